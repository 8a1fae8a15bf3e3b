//! The preview1 wire format: flag and enum values from the witx specification, and the
//! little-endian layouts of the structures the guest reads and writes.

use std::ops::{BitAnd, BitOr, Not};

use super::errno::{Errno, WasiResult};
use super::memory::GuestMemory;

/// Rights of a descriptor (`rights` in witx): what operations it permits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct Rights(pub u64);

#[allow(dead_code)] // the full witx vocabulary, some of it only reported
impl Rights {
    pub const FD_DATASYNC: Rights = Rights(1 << 0);
    pub const FD_READ: Rights = Rights(1 << 1);
    pub const FD_SEEK: Rights = Rights(1 << 2);
    pub const FD_FDSTAT_SET_FLAGS: Rights = Rights(1 << 3);
    pub const FD_SYNC: Rights = Rights(1 << 4);
    pub const FD_TELL: Rights = Rights(1 << 5);
    pub const FD_WRITE: Rights = Rights(1 << 6);
    pub const FD_ADVISE: Rights = Rights(1 << 7);
    pub const FD_ALLOCATE: Rights = Rights(1 << 8);
    pub const PATH_CREATE_DIRECTORY: Rights = Rights(1 << 9);
    pub const PATH_CREATE_FILE: Rights = Rights(1 << 10);
    pub const PATH_LINK_SOURCE: Rights = Rights(1 << 11);
    pub const PATH_LINK_TARGET: Rights = Rights(1 << 12);
    pub const PATH_OPEN: Rights = Rights(1 << 13);
    pub const FD_READDIR: Rights = Rights(1 << 14);
    pub const PATH_READLINK: Rights = Rights(1 << 15);
    pub const PATH_RENAME_SOURCE: Rights = Rights(1 << 16);
    pub const PATH_RENAME_TARGET: Rights = Rights(1 << 17);
    pub const PATH_FILESTAT_GET: Rights = Rights(1 << 18);
    pub const PATH_FILESTAT_SET_SIZE: Rights = Rights(1 << 19);
    pub const PATH_FILESTAT_SET_TIMES: Rights = Rights(1 << 20);
    pub const FD_FILESTAT_GET: Rights = Rights(1 << 21);
    pub const FD_FILESTAT_SET_SIZE: Rights = Rights(1 << 22);
    pub const FD_FILESTAT_SET_TIMES: Rights = Rights(1 << 23);
    pub const PATH_SYMLINK: Rights = Rights(1 << 24);
    pub const PATH_REMOVE_DIRECTORY: Rights = Rights(1 << 25);
    pub const PATH_UNLINK_FILE: Rights = Rights(1 << 26);
    pub const POLL_FD_READWRITE: Rights = Rights(1 << 27);
    pub const SOCK_SHUTDOWN: Rights = Rights(1 << 28);
    pub const SOCK_ACCEPT: Rights = Rights(1 << 29);

    pub const NONE: Rights = Rights(0);

    /// Rights that apply to a regular file.
    pub const FILE: Rights = Rights(
        Self::FD_DATASYNC.0
            | Self::FD_READ.0
            | Self::FD_SEEK.0
            | Self::FD_FDSTAT_SET_FLAGS.0
            | Self::FD_SYNC.0
            | Self::FD_TELL.0
            | Self::FD_WRITE.0
            | Self::FD_ADVISE.0
            | Self::FD_ALLOCATE.0
            | Self::FD_FILESTAT_GET.0
            | Self::FD_FILESTAT_SET_SIZE.0
            | Self::FD_FILESTAT_SET_TIMES.0
            | Self::POLL_FD_READWRITE.0,
    );

    /// The rights of [`Rights::FILE`] that do not change the file.
    pub const FILE_READ_ONLY: Rights = Rights(
        Self::FD_READ.0
            | Self::FD_SEEK.0
            | Self::FD_FDSTAT_SET_FLAGS.0
            | Self::FD_TELL.0
            | Self::FD_ADVISE.0
            | Self::FD_FILESTAT_GET.0
            | Self::POLL_FD_READWRITE.0,
    );

    /// Rights that apply to a directory.
    pub const DIR: Rights = Rights(
        Self::FD_DATASYNC.0
            | Self::FD_SYNC.0
            | Self::PATH_CREATE_DIRECTORY.0
            | Self::PATH_CREATE_FILE.0
            | Self::PATH_LINK_SOURCE.0
            | Self::PATH_LINK_TARGET.0
            | Self::PATH_OPEN.0
            | Self::FD_READDIR.0
            | Self::PATH_READLINK.0
            | Self::PATH_RENAME_SOURCE.0
            | Self::PATH_RENAME_TARGET.0
            | Self::PATH_FILESTAT_GET.0
            | Self::PATH_FILESTAT_SET_SIZE.0
            | Self::PATH_FILESTAT_SET_TIMES.0
            | Self::FD_FILESTAT_GET.0
            | Self::FD_FILESTAT_SET_TIMES.0
            | Self::PATH_SYMLINK.0
            | Self::PATH_REMOVE_DIRECTORY.0
            | Self::PATH_UNLINK_FILE.0,
    );

    /// The rights of [`Rights::DIR`] that do not change the tree below the directory.
    pub const DIR_READ_ONLY: Rights = Rights(
        Self::PATH_OPEN.0
            | Self::FD_READDIR.0
            | Self::PATH_READLINK.0
            | Self::PATH_FILESTAT_GET.0
            | Self::FD_FILESTAT_GET.0,
    );

    /// Rights of a connected stream socket.
    pub const SOCKET_STREAM: Rights = Rights(
        Self::FD_READ.0
            | Self::FD_WRITE.0
            | Self::FD_FDSTAT_SET_FLAGS.0
            | Self::FD_FILESTAT_GET.0
            | Self::POLL_FD_READWRITE.0
            | Self::SOCK_SHUTDOWN.0,
    );

    /// Rights of a listening socket.
    pub const SOCKET_LISTENER: Rights = Rights(
        Self::FD_FDSTAT_SET_FLAGS.0
            | Self::FD_FILESTAT_GET.0
            | Self::POLL_FD_READWRITE.0
            | Self::SOCK_ACCEPT.0,
    );

    /// Rights of standard input.
    pub const STDIN: Rights = Rights(
        Self::FD_READ.0
            | Self::FD_FDSTAT_SET_FLAGS.0
            | Self::FD_FILESTAT_GET.0
            | Self::POLL_FD_READWRITE.0,
    );

    /// Rights of standard output and standard error.
    pub const STDOUT: Rights = Rights(
        Self::FD_WRITE.0
            | Self::FD_FDSTAT_SET_FLAGS.0
            | Self::FD_FILESTAT_GET.0
            | Self::POLL_FD_READWRITE.0,
    );

    /// Whether every right of `other` is in `self`.
    pub fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any right of `other` is in `self`.
    pub fn intersects(self, other: Rights) -> bool {
        self.0 & other.0 != 0
    }
}

impl BitOr for Rights {
    type Output = Rights;
    fn bitor(self, rhs: Rights) -> Rights {
        Rights(self.0 | rhs.0)
    }
}

impl BitAnd for Rights {
    type Output = Rights;
    fn bitand(self, rhs: Rights) -> Rights {
        Rights(self.0 & rhs.0)
    }
}

impl Not for Rights {
    type Output = Rights;
    fn not(self) -> Rights {
        Rights(!self.0)
    }
}

/// `filetype`.
pub(crate) mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    #[allow(dead_code)]
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags`.
pub(crate) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags`.
pub(crate) mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// `lookupflags`.
pub(crate) mod lookupflags {
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
}

/// `fstflags`.
pub(crate) mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
    pub const ALL: u16 = ATIM | ATIM_NOW | MTIM | MTIM_NOW;
}

/// `clockid`.
pub(crate) mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `whence`.
pub(crate) mod whence {
    pub const SET: u32 = 0;
    pub const CUR: u32 = 1;
    pub const END: u32 = 2;
}

/// `eventtype`, the tag of a subscription.
pub(crate) mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`.
pub(crate) mod subclockflags {
    pub const ABSTIME: u16 = 1 << 0;
}

/// `eventrwflags`.
pub(crate) mod eventrwflags {
    pub const HANGUP: u16 = 1 << 0;
}

/// `riflags`, `roflags`, `siflags`, `sdflags`.
pub(crate) mod sockflags {
    pub const RECV_PEEK: u16 = 1 << 0;
    pub const RECV_WAITALL: u16 = 1 << 1;
    pub const SHUT_RD: u8 = 1 << 0;
    pub const SHUT_WR: u8 = 1 << 1;
}

/// `filestat`: 64 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

impl Filestat {
    pub const SIZE: u64 = 64;

    pub fn encode(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[0..8].copy_from_slice(&self.dev.to_le_bytes());
        out[8..16].copy_from_slice(&self.ino.to_le_bytes());
        out[16] = self.filetype;
        out[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        out[32..40].copy_from_slice(&self.size.to_le_bytes());
        out[40..48].copy_from_slice(&self.atim.to_le_bytes());
        out[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        out[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        out
    }

    pub fn write(&self, mem: &mut GuestMemory<'_>, ptr: u32) -> WasiResult<()> {
        mem.write(ptr, &self.encode())
    }
}

/// `fdstat`: 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fdstat {
    pub filetype: u8,
    pub flags: u16,
    pub rights_base: Rights,
    pub rights_inheriting: Rights,
}

impl Fdstat {
    pub fn encode(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[0] = self.filetype;
        out[2..4].copy_from_slice(&self.flags.to_le_bytes());
        out[8..16].copy_from_slice(&self.rights_base.0.to_le_bytes());
        out[16..24].copy_from_slice(&self.rights_inheriting.0.to_le_bytes());
        out
    }
}

/// The fixed part of a `dirent`: 24 bytes, followed by the name.
pub(crate) fn encode_dirent(next: u64, ino: u64, namlen: u32, filetype: u8) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[0..8].copy_from_slice(&next.to_le_bytes());
    out[8..16].copy_from_slice(&ino.to_le_bytes());
    out[16..20].copy_from_slice(&namlen.to_le_bytes());
    out[20] = filetype;
    out
}

/// `event`: 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub userdata: u64,
    pub error: Errno,
    pub kind: u8,
    pub nbytes: u64,
    pub flags: u16,
}

impl Event {
    pub const SIZE: u32 = 32;

    pub fn encode(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        out[8..10].copy_from_slice(&self.error.raw().to_le_bytes());
        out[10] = self.kind;
        out[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        out[24..26].copy_from_slice(&self.flags.to_le_bytes());
        out
    }
}

/// `subscription`: 48 bytes. The union starts at offset 8 (tag) / 16 (contents).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subscription {
    Clock { userdata: u64, id: u32, timeout: u64, precision: u64, flags: u16 },
    FdRead { userdata: u64, fd: u32 },
    FdWrite { userdata: u64, fd: u32 },
}

impl Subscription {
    pub const SIZE: u32 = 48;

    /// Decodes the subscription at `ptr`; an unknown tag is [`Errno::Inval`].
    pub fn read(mem: &GuestMemory<'_>, ptr: u32) -> WasiResult<Subscription> {
        mem.check(ptr, u64::from(Self::SIZE))?;
        let userdata = mem.read_u64(ptr)?;
        let tag = mem.read_u8(ptr + 8)?;
        Ok(match tag {
            eventtype::CLOCK => Subscription::Clock {
                userdata,
                id: mem.read_u32(ptr + 16)?,
                timeout: mem.read_u64(ptr + 24)?,
                precision: mem.read_u64(ptr + 32)?,
                flags: mem.read_u16(ptr + 40)?,
            },
            eventtype::FD_READ => Subscription::FdRead { userdata, fd: mem.read_u32(ptr + 16)? },
            eventtype::FD_WRITE => Subscription::FdWrite { userdata, fd: mem.read_u32(ptr + 16)? },
            _ => return Err(Errno::Inval),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_witx() {
        let stat = Filestat {
            dev: 1,
            ino: 2,
            filetype: filetype::REGULAR_FILE,
            nlink: 3,
            size: 4,
            atim: 5,
            mtim: 6,
            ctim: 7,
        }
        .encode();
        assert_eq!(stat.len(), 64);
        assert_eq!(stat[16], 4);
        assert_eq!(u64::from_le_bytes(stat[24..32].try_into().expect("8 bytes")), 3);
        assert_eq!(u64::from_le_bytes(stat[56..64].try_into().expect("8 bytes")), 7);

        let fdstat = Fdstat {
            filetype: filetype::DIRECTORY,
            flags: fdflags::APPEND,
            rights_base: Rights::FD_READ,
            rights_inheriting: Rights::FD_WRITE,
        }
        .encode();
        assert_eq!(fdstat[0], 3);
        assert_eq!(fdstat[2], 1);
        assert_eq!(fdstat[8], 2);
        assert_eq!(fdstat[16], 64);

        let dirent = encode_dirent(9, 8, 7, filetype::SYMBOLIC_LINK);
        assert_eq!(dirent[0], 9);
        assert_eq!(dirent[8], 8);
        assert_eq!(dirent[16], 7);
        assert_eq!(dirent[20], 7);

        let event = Event {
            userdata: 0xabc,
            error: Errno::Badf,
            kind: eventtype::FD_WRITE,
            nbytes: 5,
            flags: eventrwflags::HANGUP,
        }
        .encode();
        assert_eq!(event[8], 8);
        assert_eq!(event[10], 2);
        assert_eq!(event[16], 5);
        assert_eq!(event[24], 1);
    }
}
