//! The descriptor table: stdio, files, directories (preopened or opened), sockets, each with
//! its preview1 rights.

use cap_std::fs::{Dir, File};

use super::errno::{Errno, WasiResult};
use super::sockets::Socket;
use super::stdio::{Input, Output};
use super::types::{Fdstat, Rights, filetype};

/// The most descriptors one context holds; opening more is `EMFILE`.
const MAX_DESCRIPTORS: usize = 1 << 16;

/// One directory entry, as `fd_readdir` returns it.
#[derive(Clone, Debug)]
pub(crate) struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub filetype: u8,
}

/// An open directory.
#[derive(Debug)]
pub(crate) struct DirHandle {
    pub dir: Dir,
    /// The guest name, for a preopened directory.
    pub preopen: Option<String>,
    /// The listing `fd_readdir` reads from: taken when a listing starts (cookie 0) so that the
    /// cookies of one listing stay consistent, however the guest pages through it.
    pub listing: Option<Vec<DirEntry>>,
}

/// What a descriptor refers to.
#[derive(Debug)]
pub(crate) enum Handle {
    Stdin(Input),
    Stdout(Output),
    File(File),
    Dir(DirHandle),
    Socket(Socket),
}

impl Handle {
    /// The file for positioned I/O (`fd_pread`, `fd_pwrite`): streams cannot seek (`ESPIPE`),
    /// directories are not files (`EBADF`).
    pub fn positioned_file(&self) -> WasiResult<&File> {
        match self {
            Handle::File(file) => Ok(file),
            Handle::Stdin(_) | Handle::Stdout(_) | Handle::Socket(_) => Err(Errno::Spipe),
            Handle::Dir(_) => Err(Errno::Badf),
        }
    }
}

/// A table entry: the object, its rights and its `fdflags`.
#[derive(Debug)]
pub(crate) struct Descriptor {
    pub handle: Handle,
    pub base: Rights,
    pub inheriting: Rights,
    pub flags: u16,
}

impl Descriptor {
    pub fn new(handle: Handle, base: Rights, inheriting: Rights) -> Descriptor {
        Descriptor { handle, base, inheriting, flags: 0 }
    }

    /// `ENOTCAPABLE` unless the descriptor has every right of `rights`.
    pub fn require(&self, rights: Rights) -> WasiResult<()> {
        if self.base.contains(rights) { Ok(()) } else { Err(Errno::Notcapable) }
    }

    /// The open file, if this is one and it has `rights`. Other kinds are `EBADF`.
    pub fn file(&self, rights: Rights) -> WasiResult<&File> {
        match &self.handle {
            Handle::File(file) => {
                self.require(rights)?;
                Ok(file)
            }
            _ => Err(Errno::Badf),
        }
    }

    /// The directory, if this is one and it has `rights`. Other kinds are `ENOTDIR`.
    pub fn dir(&self, rights: Rights) -> WasiResult<&DirHandle> {
        match &self.handle {
            Handle::Dir(dir) => {
                self.require(rights)?;
                Ok(dir)
            }
            _ => Err(Errno::Notdir),
        }
    }

    pub fn filetype(&self) -> u8 {
        match &self.handle {
            Handle::Stdin(input) => input.filetype(),
            Handle::Stdout(output) => output.filetype(),
            Handle::File(file) => match file.metadata() {
                Ok(meta) => super::fs::filetype_of(&meta.file_type()),
                Err(_) => filetype::UNKNOWN,
            },
            Handle::Dir(_) => filetype::DIRECTORY,
            Handle::Socket(_) => filetype::SOCKET_STREAM,
        }
    }

    pub fn fdstat(&self) -> Fdstat {
        Fdstat {
            filetype: self.filetype(),
            flags: self.flags,
            rights_base: self.base,
            rights_inheriting: self.inheriting,
        }
    }

    pub fn preopen(&self) -> Option<&str> {
        match &self.handle {
            Handle::Dir(DirHandle { preopen: Some(name), .. }) => Some(name),
            _ => None,
        }
    }
}

/// Descriptors by number.
#[derive(Debug, Default)]
pub(crate) struct FdTable {
    slots: Vec<Option<Descriptor>>,
}

impl FdTable {
    pub fn get(&self, fd: u32) -> WasiResult<&Descriptor> {
        self.slots.get(fd as usize).and_then(Option::as_ref).ok_or(Errno::Badf)
    }

    pub fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Descriptor> {
        self.slots.get_mut(fd as usize).and_then(Option::as_mut).ok_or(Errno::Badf)
    }

    pub fn contains(&self, fd: u32) -> bool {
        self.get(fd).is_ok()
    }

    /// Stores `desc` under the lowest free number.
    pub fn push(&mut self, desc: Descriptor) -> WasiResult<u32> {
        let fd = match self.slots.iter().position(Option::is_none) {
            Some(free) => free,
            None if self.slots.len() < MAX_DESCRIPTORS => {
                self.slots.push(None);
                self.slots.len() - 1
            }
            None => return Err(Errno::Mfile),
        };
        self.slots[fd] = Some(desc);
        Ok(fd as u32)
    }

    /// Stores `desc` under `fd`, replacing (and closing) whatever was there.
    pub fn insert_at(&mut self, fd: u32, desc: Descriptor) -> WasiResult<()> {
        let index = fd as usize;
        if index >= MAX_DESCRIPTORS {
            return Err(Errno::Mfile);
        }
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || None);
        }
        self.slots[index] = Some(desc);
        Ok(())
    }

    pub fn remove(&mut self, fd: u32) -> WasiResult<Descriptor> {
        self.slots.get_mut(fd as usize).and_then(Option::take).ok_or(Errno::Badf)
    }

    /// Every open descriptor.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Descriptor)> {
        self.slots.iter().enumerate().filter_map(|(fd, d)| Some((fd as u32, d.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn null() -> Descriptor {
        Descriptor::new(Handle::Stdin(Input::Null), Rights::STDIN, Rights::NONE)
    }

    #[test]
    fn numbers_are_reused_lowest_first() {
        let mut table = FdTable::default();
        assert_eq!(table.push(null()), Ok(0));
        assert_eq!(table.push(null()), Ok(1));
        assert_eq!(table.push(null()), Ok(2));
        assert!(table.remove(1).is_ok());
        assert_eq!(table.remove(1).map(drop), Err(Errno::Badf));
        assert_eq!(table.push(null()), Ok(1));
        assert_eq!(table.insert_at(7, null()), Ok(()));
        assert_eq!(table.push(null()), Ok(3));
        assert!(table.contains(7));
        assert_eq!(table.iter().count(), 5);
        assert_eq!(table.get(99).map(drop), Err(Errno::Badf));
    }

    #[test]
    fn rights_are_checked() {
        let desc = null();
        assert_eq!(desc.require(Rights::FD_READ), Ok(()));
        assert_eq!(desc.require(Rights::FD_WRITE), Err(Errno::Notcapable));
        assert_eq!(desc.file(Rights::FD_READ).map(drop), Err(Errno::Badf));
        assert_eq!(desc.dir(Rights::NONE).map(drop), Err(Errno::Notdir));
    }
}
