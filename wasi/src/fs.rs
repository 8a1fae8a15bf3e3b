//! Files and directories: the `fd_*` and `path_*` functions, on cap-std.
//!
//! Every path is resolved by cap-std relative to a directory descriptor: `..` past it, absolute
//! paths and symlinks leading outside fail there (as `EPERM`), not through string checks here.
//! Rights are checked first (`ENOTCAPABLE`).

use std::io::{Read, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use cap_fs_ext::{
    DirExt, FileTypeExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt,
    OpenOptionsSyncExt,
};
use cap_std::fs::{Dir, FileType, Metadata, OpenOptions};
use fs_set_times::SetTimes;
use system_interface::fs::{Advice, FileIoExt, GetSetFdFlags};

use super::WasiCtx;
use super::errno::{Errno, WasiResult};
use super::fd_table::{Descriptor, DirEntry, DirHandle, Handle};
use super::memory::GuestMemory;
use super::stdio::retry;
use super::types::{
    Fdstat, Filestat, Rights, encode_dirent, fdflags, filetype, fstflags, lookupflags, oflags,
    whence,
};

/// `ENOTCAPABLE` unless `base` holds `rights`.
fn need(base: Rights, rights: Rights) -> WasiResult<()> {
    if base.contains(rights) { Ok(()) } else { Err(Errno::Notcapable) }
}

/// The preview1 file type of a host file type.
pub(crate) fn filetype_of(ft: &FileType) -> u8 {
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if FileTypeExt::is_block_device(ft) {
        filetype::BLOCK_DEVICE
    } else if FileTypeExt::is_char_device(ft) {
        filetype::CHARACTER_DEVICE
    } else if FileTypeExt::is_socket(ft) {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

fn since_epoch(t: std::io::Result<cap_std::time::SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.into_std().duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The preview1 `filestat` of host metadata.
pub(crate) fn filestat_of(meta: &Metadata) -> Filestat {
    #[cfg(unix)]
    let ctim = {
        use cap_fs_ext::OsMetadataExt;
        let secs = u64::try_from(OsMetadataExt::ctime(meta)).unwrap_or(0);
        let nsecs = u64::try_from(OsMetadataExt::ctime_nsec(meta)).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(nsecs)
    };
    #[cfg(not(unix))]
    let ctim = since_epoch(meta.created());
    Filestat {
        dev: cap_fs_ext::MetadataExt::dev(meta),
        ino: cap_fs_ext::MetadataExt::ino(meta),
        filetype: filetype_of(&meta.file_type()),
        nlink: cap_fs_ext::MetadataExt::nlink(meta),
        size: meta.len(),
        atim: since_epoch(meta.accessed()),
        mtim: since_epoch(meta.modified()),
        ctim,
    }
}

/// A time to set: the symbolic "now", or an instant.
#[derive(Clone, Copy, Debug)]
enum Time {
    Now,
    At(SystemTime),
}

/// Decodes one half of `fstflags`: both "set" and "set to now" is `EINVAL`.
fn time_of(ts: u64, set: bool, now: bool) -> WasiResult<Option<Time>> {
    match (set, now) {
        (true, true) => Err(Errno::Inval),
        (true, false) => SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_nanos(ts))
            .map(|at| Some(Time::At(at)))
            .ok_or(Errno::Overflow),
        (false, true) => Ok(Some(Time::Now)),
        (false, false) => Ok(None),
    }
}

fn times_of(atim: u64, mtim: u64, fst: u16) -> WasiResult<(Option<Time>, Option<Time>)> {
    if fst & !fstflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    let atime = time_of(atim, fst & fstflags::ATIM != 0, fst & fstflags::ATIM_NOW != 0)?;
    let mtime = time_of(mtim, fst & fstflags::MTIM != 0, fst & fstflags::MTIM_NOW != 0)?;
    Ok((atime, mtime))
}

fn fd_time(t: Option<Time>) -> Option<fs_set_times::SystemTimeSpec> {
    t.map(|t| match t {
        Time::Now => fs_set_times::SystemTimeSpec::SymbolicNow,
        Time::At(at) => fs_set_times::SystemTimeSpec::Absolute(at),
    })
}

fn path_time(t: Option<Time>) -> Option<cap_fs_ext::SystemTimeSpec> {
    t.map(|t| match t {
        Time::Now => cap_fs_ext::SystemTimeSpec::SymbolicNow,
        Time::At(at) => {
            cap_fs_ext::SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(at))
        }
    })
}

/// Stamps `file` as changed at `at` (stable metadata), or leaves the host's stamp (`None`).
fn stamp_file(file: &cap_std::fs::File, at: Option<SystemTime>) -> WasiResult<()> {
    let Some(at) = at else { return Ok(()) };
    let at = || Some(fs_set_times::SystemTimeSpec::Absolute(at));
    Ok(SetTimes::set_times(file, at(), at())?)
}

/// Stamps the entry at `path` itself (a link, not its target) as changed at `at`.
fn stamp_entry(dir: &Dir, path: &Path, at: Option<SystemTime>) -> WasiResult<()> {
    let Some(at) = at else { return Ok(()) };
    let at = || Some(cap_fs_ext::SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(at)));
    Ok(dir.set_symlink_times(path, at(), at())?)
}

/// Stamps the directory holding `path` as changed at `at`: adding or removing an entry
/// changes it.
fn stamp_parent(dir: &Dir, path: &str, at: Option<SystemTime>) -> WasiResult<()> {
    let parent = Path::new(path.trim_end_matches('/'))
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    stamp_entry(dir, parent, at)
}

fn follow(flags: u32) -> WasiResult<bool> {
    if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(flags & lookupflags::SYMLINK_FOLLOW != 0)
}

/// A directory entry's name as bytes.
fn name_bytes(name: std::ffi::OsString) -> WasiResult<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Ok(name.into_vec())
    }
    #[cfg(not(unix))]
    {
        name.into_string().map(String::into_bytes).map_err(|_| Errno::Ilseq)
    }
}

/// The listing of `dir`, `.` and `..` first, as wasi-common gives it.
fn list(dir: &Dir) -> WasiResult<Vec<DirEntry>> {
    let ino = cap_fs_ext::MetadataExt::ino(&dir.dir_metadata()?);
    let mut entries = vec![
        DirEntry { name: b".".to_vec(), ino, filetype: filetype::DIRECTORY },
        DirEntry { name: b"..".to_vec(), ino, filetype: filetype::DIRECTORY },
    ];
    for entry in dir.entries()? {
        let entry = entry?;
        let filetype = filetype_of(&entry.file_type()?);
        #[cfg(unix)]
        let ino = rustix::fs::DirEntryExt::ino(&entry);
        #[cfg(not(unix))]
        let ino = cap_fs_ext::MetadataExt::ino(&entry.metadata()?);
        entries.push(DirEntry { name: name_bytes(entry.file_name())?, ino, filetype });
    }
    Ok(entries)
}

impl WasiCtx {
    fn dir_at(&self, fd: u32, rights: Rights) -> WasiResult<&Dir> {
        Ok(&self.table.get(fd)?.dir(rights)?.dir)
    }

    /// Host metadata as the guest sees it: as it is, or made stable.
    fn filestat(&mut self, meta: &Metadata) -> Filestat {
        let host = filestat_of(meta);
        match &mut self.stable {
            Some(stable) => stable.filestat(host),
            None => host,
        }
    }

    /// With stable metadata, the time a change the guest makes is stamped with: the guest's
    /// realtime clock. `None` leaves the host's stamp.
    fn stamp(&self) -> Option<SystemTime> {
        self.stable.as_ref()?;
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_nanos(self.clocks.realtime_now()))
    }

    /// A time the guest sets: "now" is the guest's clock when metadata is stable.
    fn guest_now(&self, time: Option<Time>) -> Option<Time> {
        match (time, self.stamp()) {
            (Some(Time::Now), Some(at)) => Some(Time::At(at)),
            (time, _) => time,
        }
    }

    /// With stable metadata, the inode at `path` if removing it frees it (its last link).
    fn freed_by_removing(&self, dir: &Dir, path: &str) -> Option<(u64, u64)> {
        self.stable.as_ref()?;
        let meta = dir.symlink_metadata(path).ok()?;
        let links = cap_fs_ext::MetadataExt::nlink(&meta);
        (meta.is_dir() || links <= 1)
            .then(|| (cap_fs_ext::MetadataExt::dev(&meta), cap_fs_ext::MetadataExt::ino(&meta)))
    }

    /// Gives up the guest's number of an inode a removal freed.
    fn forget(&mut self, freed: Option<(u64, u64)>) {
        if let (Some(stable), Some((dev, ino))) = (&mut self.stable, freed) {
            stable.forget(dev, ino);
        }
    }

    /// `fd_read`: returns the bytes read.
    pub(crate) fn fd_read(
        &mut self,
        mem: &mut GuestMemory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
    ) -> WasiResult<u32> {
        let desc = self.table.get_mut(fd)?;
        let (base, nonblock) = (desc.base, desc.flags & fdflags::NONBLOCK != 0);
        match &mut desc.handle {
            Handle::File(file) => {
                need(base, Rights::FD_READ)?;
                mem.read_iovecs(iovs, count, false, |buf| retry(|| (&*file).read(buf)))
            }
            Handle::Stdin(input) => {
                need(base, Rights::FD_READ)?;
                mem.read_iovecs(iovs, count, true, |buf| input.read(buf, nonblock))
            }
            Handle::Socket(socket) => {
                need(base, Rights::FD_READ)?;
                mem.read_iovecs(iovs, count, true, |buf| socket.read(buf))
            }
            Handle::Stdout(_) | Handle::Dir(_) => Err(Errno::Badf),
        }
    }

    /// `fd_write`: returns the bytes written.
    pub(crate) fn fd_write(
        &mut self,
        mem: &GuestMemory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
    ) -> WasiResult<u32> {
        let at = self.stamp();
        let desc = self.table.get_mut(fd)?;
        let base = desc.base;
        match &mut desc.handle {
            Handle::File(file) => {
                need(base, Rights::FD_WRITE)?;
                let n =
                    mem.write_iovecs(iovs, count, false, |buf| retry(|| (&*file).write(buf)))?;
                stamp_file(file, at.filter(|_| n > 0))?;
                Ok(n)
            }
            Handle::Stdout(output) => {
                need(base, Rights::FD_WRITE)?;
                mem.write_iovecs(iovs, count, false, |buf| output.write(buf))
            }
            Handle::Socket(socket) => {
                need(base, Rights::FD_WRITE)?;
                mem.write_iovecs(iovs, count, true, |buf| socket.write(buf))
            }
            Handle::Stdin(_) | Handle::Dir(_) => Err(Errno::Badf),
        }
    }

    /// `fd_pread`: reads at `offset` without moving the file position.
    pub(crate) fn fd_pread(
        &mut self,
        mem: &mut GuestMemory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: u64,
    ) -> WasiResult<u32> {
        let desc = self.table.get(fd)?;
        let file = desc.handle.positioned_file()?;
        need(desc.base, Rights::FD_READ | Rights::FD_SEEK)?;
        let mut at = offset;
        mem.read_iovecs(iovs, count, false, |buf| {
            let n = retry(|| file.read_at(buf, at))?;
            at = at.saturating_add(n as u64);
            Ok(n)
        })
    }

    /// `fd_pwrite`: writes at `offset` without moving the file position.
    pub(crate) fn fd_pwrite(
        &mut self,
        mem: &GuestMemory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: u64,
    ) -> WasiResult<u32> {
        let stamp = self.stamp();
        let desc = self.table.get(fd)?;
        let file = desc.handle.positioned_file()?;
        need(desc.base, Rights::FD_WRITE | Rights::FD_SEEK)?;
        let mut at = offset;
        let written = mem.write_iovecs(iovs, count, false, |buf| {
            let n = retry(|| file.write_at(buf, at))?;
            at = at.saturating_add(n as u64);
            Ok(n)
        })?;
        stamp_file(file, stamp.filter(|_| written > 0))?;
        Ok(written)
    }

    fn seekable(&self, fd: u32) -> WasiResult<(&cap_std::fs::File, Rights)> {
        let desc = self.table.get(fd)?;
        match &desc.handle {
            Handle::File(file) => Ok((file, desc.base)),
            Handle::Stdin(_) | Handle::Stdout(_) | Handle::Socket(_) => Err(Errno::Spipe),
            Handle::Dir(_) => Err(Errno::Badf),
        }
    }

    /// `fd_seek`: returns the new offset.
    pub(crate) fn fd_seek(&mut self, fd: u32, offset: i64, how: u32) -> WasiResult<u64> {
        let (file, base) = self.seekable(fd)?;
        let pos = match how {
            whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
            whence::CUR => SeekFrom::Current(offset),
            whence::END => SeekFrom::End(offset),
            _ => return Err(Errno::Inval),
        };
        let required = if pos == SeekFrom::Current(0) {
            Rights::FD_TELL
        } else {
            Rights::FD_TELL | Rights::FD_SEEK
        };
        need(base, required)?;
        retry(|| FileIoExt::seek(file, pos))
    }

    /// `fd_tell`.
    pub(crate) fn fd_tell(&mut self, fd: u32) -> WasiResult<u64> {
        let (file, base) = self.seekable(fd)?;
        need(base, Rights::FD_TELL)?;
        retry(|| FileIoExt::stream_position(file))
    }

    /// `fd_fdstat_get`.
    pub(crate) fn fd_fdstat_get(&mut self, fd: u32) -> WasiResult<Fdstat> {
        Ok(self.table.get(fd)?.fdstat())
    }

    /// `fd_fdstat_set_flags`: `APPEND` and `NONBLOCK` can change; the sync flags cannot.
    pub(crate) fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u16) -> WasiResult<()> {
        if flags & !fdflags::ALL != 0 {
            return Err(Errno::Inval);
        }
        let desc = self.table.get_mut(fd)?;
        if matches!(desc.handle, Handle::Dir(_)) {
            return Err(Errno::Badf);
        }
        need(desc.base, Rights::FD_FDSTAT_SET_FLAGS)?;
        let sync = fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC;
        if flags & sync != desc.flags & sync {
            return Err(Errno::Inval);
        }
        match &mut desc.handle {
            Handle::File(file) => {
                let mut host = system_interface::fs::FdFlags::empty();
                if flags & fdflags::APPEND != 0 {
                    host |= system_interface::fs::FdFlags::APPEND;
                }
                if flags & fdflags::NONBLOCK != 0 {
                    host |= system_interface::fs::FdFlags::NONBLOCK;
                }
                if flags & sync != 0 {
                    // Keep the sync flags the file was opened with.
                    host |= GetSetFdFlags::get_fd_flags(&*file)?
                        & (system_interface::fs::FdFlags::DSYNC
                            | system_interface::fs::FdFlags::RSYNC
                            | system_interface::fs::FdFlags::SYNC);
                }
                let set = GetSetFdFlags::new_set_fd_flags(&*file, host)?;
                GetSetFdFlags::set_fd_flags(&mut *file, set)?;
            }
            Handle::Socket(socket) => socket.set_nonblocking(flags & fdflags::NONBLOCK != 0)?,
            // Host stdio is shared with the embedder: the flags are only recorded (an inherited
            // stdin honours NONBLOCK by polling before it reads).
            Handle::Stdin(_) | Handle::Stdout(_) | Handle::Dir(_) => {}
        }
        desc.flags = flags;
        Ok(())
    }

    /// `fd_fdstat_set_rights`: rights can only be dropped.
    pub(crate) fn fd_fdstat_set_rights(
        &mut self,
        fd: u32,
        base: u64,
        inheriting: u64,
    ) -> WasiResult<()> {
        let desc = self.table.get_mut(fd)?;
        let (base, inheriting) = (Rights(base), Rights(inheriting));
        if !desc.base.contains(base) || !desc.inheriting.contains(inheriting) {
            return Err(Errno::Notcapable);
        }
        desc.base = base;
        desc.inheriting = inheriting;
        Ok(())
    }

    /// `fd_filestat_get`.
    pub(crate) fn fd_filestat_get(&mut self, fd: u32) -> WasiResult<Filestat> {
        let desc = self.table.get(fd)?;
        desc.require(Rights::FD_FILESTAT_GET)?;
        let meta = match &desc.handle {
            Handle::File(file) => file.metadata()?,
            Handle::Dir(dir) => dir.dir.dir_metadata()?,
            Handle::Stdin(_) | Handle::Stdout(_) | Handle::Socket(_) => {
                return Ok(Filestat { filetype: desc.filetype(), ..Filestat::default() });
            }
        };
        Ok(self.filestat(&meta))
    }

    /// `fd_filestat_set_size`.
    pub(crate) fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> WasiResult<()> {
        let at = self.stamp();
        let file = self.table.get(fd)?.file(Rights::FD_FILESTAT_SET_SIZE)?;
        retry(|| file.set_len(size))?;
        stamp_file(file, at)
    }

    /// `fd_filestat_set_times`.
    pub(crate) fn fd_filestat_set_times(
        &mut self,
        fd: u32,
        atim: u64,
        mtim: u64,
        fst: u16,
    ) -> WasiResult<()> {
        let (atime, mtime) = times_of(atim, mtim, fst)?;
        let (atime, mtime) = (self.guest_now(atime), self.guest_now(mtime));
        let desc = self.table.get(fd)?;
        match &desc.handle {
            Handle::File(file) => {
                desc.require(Rights::FD_FILESTAT_SET_TIMES)?;
                Ok(SetTimes::set_times(file, fd_time(atime), fd_time(mtime))?)
            }
            Handle::Dir(dir) => {
                desc.require(Rights::FD_FILESTAT_SET_TIMES)?;
                // Through the path `.`: the directory may be held by a path-only descriptor.
                Ok(dir.dir.set_symlink_times(".", path_time(atime), path_time(mtime))?)
            }
            _ => Err(Errno::Badf),
        }
    }

    /// `fd_advise`.
    pub(crate) fn fd_advise(
        &mut self,
        fd: u32,
        offset: u64,
        len: u64,
        advice: u32,
    ) -> WasiResult<()> {
        let advice = match advice {
            0 => Advice::Normal,
            1 => Advice::Sequential,
            2 => Advice::Random,
            3 => Advice::WillNeed,
            4 => Advice::DontNeed,
            5 => Advice::NoReuse,
            _ => return Err(Errno::Inval),
        };
        let (file, base) = self.seekable(fd)?;
        need(base, Rights::FD_ADVISE)?;
        Ok(file.advise(offset, len, advice)?)
    }

    /// `fd_allocate`.
    pub(crate) fn fd_allocate(&mut self, fd: u32, offset: u64, len: u64) -> WasiResult<()> {
        let at = self.stamp();
        let file = self.table.get(fd)?.file(Rights::FD_ALLOCATE)?;
        if offset.checked_add(len).is_none_or(|end| end > i64::MAX as u64) {
            return Err(Errno::Fbig);
        }
        file.allocate(offset, len)?;
        stamp_file(file, at)
    }

    /// `fd_sync` (`data_only` false) and `fd_datasync` (true).
    pub(crate) fn fd_sync(&mut self, fd: u32, data_only: bool) -> WasiResult<()> {
        let right = if data_only { Rights::FD_DATASYNC } else { Rights::FD_SYNC };
        let desc = self.table.get(fd)?;
        match &desc.handle {
            Handle::File(file) => {
                desc.require(right)?;
                if data_only { retry(|| file.sync_data()) } else { retry(|| file.sync_all()) }
            }
            Handle::Dir(dir) => {
                desc.require(right)?;
                // cap-std may hold a directory by a path-only descriptor: sync a readable one.
                let mut opts = OpenOptions::new();
                opts.read(true).maybe_dir(true);
                let file = dir.dir.open_with(".", &opts)?;
                if data_only { retry(|| file.sync_data()) } else { retry(|| file.sync_all()) }
            }
            Handle::Stdin(_) | Handle::Stdout(_) | Handle::Socket(_) => Err(Errno::Inval),
        }
    }

    /// `fd_close`. Any descriptor may be closed, preopens and stdio included.
    pub(crate) fn fd_close(&mut self, fd: u32) -> WasiResult<()> {
        let mut desc = self.table.remove(fd)?;
        if let Handle::Stdout(output) = &mut desc.handle {
            let _ = output.flush();
        }
        Ok(())
    }

    /// `fd_renumber`: moves `from` onto `to`, closing what `to` was. Both must be open.
    pub(crate) fn fd_renumber(&mut self, from: u32, to: u32) -> WasiResult<()> {
        if !self.table.contains(from) || !self.table.contains(to) {
            return Err(Errno::Badf);
        }
        if from == to {
            return Ok(());
        }
        let desc = self.table.remove(from)?;
        self.table.insert_at(to, desc)
    }

    /// `fd_readdir`: fills `buf` with dirents from `cookie` on; returns the bytes used (the
    /// whole buffer when more entries remain).
    pub(crate) fn fd_readdir(
        &mut self,
        mem: &mut GuestMemory<'_>,
        fd: u32,
        buf: u32,
        buf_len: u32,
        cookie: u64,
    ) -> WasiResult<u32> {
        mem.check(buf, u64::from(buf_len))?;
        let desc = self.table.get_mut(fd)?;
        let base = desc.base;
        let Handle::Dir(DirHandle { dir, listing, .. }) = &mut desc.handle else {
            return Err(Errno::Notdir);
        };
        need(base, Rights::FD_READDIR)?;
        let dev = match self.stable {
            Some(_) => Some(cap_fs_ext::MetadataExt::dev(&dir.dir_metadata()?)),
            None => None,
        };
        let entries = match listing {
            Some(entries) if cookie != 0 => entries,
            _ => listing.insert(list(dir)?),
        };
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        let mut used: u32 = 0;
        for (index, entry) in entries.iter().enumerate().skip(start) {
            let namlen = u32::try_from(entry.name.len()).map_err(|_| Errno::Overflow)?;
            let ino = match (&mut self.stable, dev) {
                (Some(stable), Some(dev)) => stable.inode(dev, entry.ino),
                _ => entry.ino,
            };
            let head = encode_dirent(index as u64 + 1, ino, namlen, entry.filetype);
            for part in [&head[..], &entry.name[..]] {
                let room = (buf_len - used) as usize;
                let n = part.len().min(room);
                if n > 0 {
                    mem.write(buf + used, &part[..n])?;
                    used += n as u32;
                }
                if n < part.len() {
                    return Ok(buf_len);
                }
            }
        }
        Ok(used)
    }

    /// `fd_prestat_get`: the length of a preopen's name. Other descriptors are `EBADF`.
    pub(crate) fn fd_prestat_get(&mut self, fd: u32) -> WasiResult<u32> {
        let name = self.table.get(fd)?.preopen().ok_or(Errno::Badf)?;
        u32::try_from(name.len()).map_err(|_| Errno::Overflow)
    }

    /// `fd_prestat_dir_name`.
    pub(crate) fn fd_prestat_dir_name(
        &mut self,
        mem: &mut GuestMemory<'_>,
        fd: u32,
        path: u32,
        path_len: u32,
    ) -> WasiResult<()> {
        let name = self.table.get(fd)?.preopen().ok_or(Errno::Badf)?;
        if name.len() > path_len as usize {
            return Err(Errno::Nametoolong);
        }
        mem.write(path, name.as_bytes())
    }

    /// `path_open`: returns the new descriptor.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_open(
        &mut self,
        fd: u32,
        dirflags: u32,
        path: &str,
        oflags: u16,
        rights_base: u64,
        rights_inheriting: u64,
        fdflags: u16,
    ) -> WasiResult<u32> {
        let follow = follow(dirflags)?;
        if oflags & !oflags::ALL != 0 || fdflags & !fdflags::ALL != 0 {
            return Err(Errno::Inval);
        }
        let parent = self.table.get(fd)?;
        let mut required = Rights::PATH_OPEN;
        if oflags & oflags::CREAT != 0 {
            required = required | Rights::PATH_CREATE_FILE;
        }
        if oflags & oflags::TRUNC != 0 {
            required = required | Rights::PATH_FILESTAT_SET_SIZE;
        }
        let dir = &parent.dir(required)?.dir;
        let at = self.stamp();
        let creates = at.is_some()
            && oflags & oflags::CREAT != 0
            && dir.symlink_metadata(path.trim_end_matches('/')).is_err();
        let (wanted_base, wanted_inheriting) = (Rights(rights_base), Rights(rights_inheriting));
        // Rights that cannot be inherited are dropped, as in wasi-common, except writing a
        // file: asking to write where writing is not granted fails now rather than at the
        // first write.
        if oflags & oflags::DIRECTORY == 0
            && wanted_base.contains(Rights::FD_WRITE)
            && !parent.inheriting.contains(Rights::FD_WRITE)
        {
            return Err(Errno::Notcapable);
        }
        let base = wanted_base & parent.inheriting;
        let inheriting = wanted_inheriting & parent.inheriting;

        let handle = if oflags & oflags::DIRECTORY != 0 {
            if oflags & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
                return Err(Errno::Inval);
            }
            let child = if follow { dir.open_dir(path)? } else { dir.open_dir_nofollow(path)? };
            // A directory cannot be written: POSIX's open(dir, O_WRONLY | O_DIRECTORY), and
            // wasmtime, fail with EISDIR rather than hand out a descriptor that never writes.
            if wanted_base.contains(Rights::FD_WRITE) {
                return Err(Errno::Isdir);
            }
            Handle::Dir(DirHandle { dir: child, preopen: None, listing: None })
        } else {
            let write = base
                .intersects(Rights::FD_WRITE | Rights::FD_ALLOCATE | Rights::FD_FILESTAT_SET_SIZE);
            let mut opts = OpenOptions::new();
            opts.read(base.contains(Rights::FD_READ) || !write);
            opts.write(write);
            if oflags & oflags::CREAT != 0 {
                opts.write(true);
                if oflags & oflags::EXCL != 0 {
                    opts.create_new(true);
                } else {
                    opts.create(true);
                }
            }
            let append = fdflags & fdflags::APPEND != 0;
            // The OS truncates in append mode (C's O_TRUNC | O_APPEND), but std's and cap-std's
            // OpenOptions refuse the pair: such a file is truncated once it is open.
            let truncate_after_open = append && oflags & oflags::TRUNC != 0;
            if oflags & oflags::TRUNC != 0 {
                opts.write(true).truncate(!truncate_after_open);
            }
            if append {
                opts.append(true);
            }
            opts.dsync(fdflags & fdflags::DSYNC != 0)
                .rsync(fdflags & fdflags::RSYNC != 0)
                .sync(fdflags & fdflags::SYNC != 0)
                .nonblock(fdflags & fdflags::NONBLOCK != 0);
            opts.follow(if follow { FollowSymlinks::Yes } else { FollowSymlinks::No });
            // A directory opened for reading alone becomes a directory descriptor.
            opts.maybe_dir(!write && oflags & oflags::CREAT == 0);
            let file = dir.open_with(path, &opts)?;
            if truncate_after_open {
                file.set_len(0)?;
            }
            if creates || oflags & oflags::TRUNC != 0 {
                stamp_file(&file, at)?;
            }
            if creates {
                stamp_parent(dir, path, at)?;
            }
            if file.metadata()?.is_dir() {
                Handle::Dir(DirHandle {
                    dir: Dir::from_std_file(file.into_std()),
                    preopen: None,
                    listing: None,
                })
            } else {
                Handle::File(file)
            }
        };
        let desc = match handle {
            Handle::Dir(_) => Descriptor::new(handle, base & Rights::DIR, inheriting),
            _ => {
                let mut desc = Descriptor::new(handle, base & Rights::FILE, Rights::NONE);
                desc.flags = fdflags;
                desc
            }
        };
        self.table.push(desc)
    }

    /// `path_create_directory`.
    pub(crate) fn path_create_directory(&mut self, fd: u32, path: &str) -> WasiResult<()> {
        let at = self.stamp();
        let dir = self.dir_at(fd, Rights::PATH_CREATE_DIRECTORY)?;
        dir.create_dir(path)?;
        stamp_entry(dir, Path::new(path), at)?;
        stamp_parent(dir, path, at)
    }

    /// `path_remove_directory`.
    pub(crate) fn path_remove_directory(&mut self, fd: u32, path: &str) -> WasiResult<()> {
        let at = self.stamp();
        let dir = self.dir_at(fd, Rights::PATH_REMOVE_DIRECTORY)?;
        let freed = self.freed_by_removing(dir, path);
        dir.remove_dir(path)?;
        stamp_parent(dir, path, at)?;
        self.forget(freed);
        Ok(())
    }

    /// `path_unlink_file`.
    pub(crate) fn path_unlink_file(&mut self, fd: u32, path: &str) -> WasiResult<()> {
        let at = self.stamp();
        let dir = self.dir_at(fd, Rights::PATH_UNLINK_FILE)?;
        let freed = self.freed_by_removing(dir, path);
        dir.remove_file(path)?;
        stamp_parent(dir, path, at)?;
        self.forget(freed);
        Ok(())
    }

    /// `path_filestat_get`.
    pub(crate) fn path_filestat_get(
        &mut self,
        fd: u32,
        flags: u32,
        path: &str,
    ) -> WasiResult<Filestat> {
        let follow = follow(flags)?;
        let dir = self.dir_at(fd, Rights::PATH_FILESTAT_GET)?;
        let meta = if follow { dir.metadata(path)? } else { dir.symlink_metadata(path)? };
        Ok(self.filestat(&meta))
    }

    /// `path_filestat_set_times`.
    pub(crate) fn path_filestat_set_times(
        &mut self,
        fd: u32,
        flags: u32,
        path: &str,
        atim: u64,
        mtim: u64,
        fst: u16,
    ) -> WasiResult<()> {
        let follow = follow(flags)?;
        let (atime, mtime) = times_of(atim, mtim, fst)?;
        let (atime, mtime) = (self.guest_now(atime), self.guest_now(mtime));
        let dir = self.dir_at(fd, Rights::PATH_FILESTAT_SET_TIMES)?;
        if follow {
            DirExt::set_times(dir, path, path_time(atime), path_time(mtime))?;
        } else {
            dir.set_symlink_times(path, path_time(atime), path_time(mtime))?;
        }
        Ok(())
    }

    /// `path_link`: a hard link; following a symlink at the source is `EINVAL`, as in wasmtime.
    pub(crate) fn path_link(
        &mut self,
        old_fd: u32,
        old_flags: u32,
        old_path: &str,
        new_fd: u32,
        new_path: &str,
    ) -> WasiResult<()> {
        if follow(old_flags)? {
            return Err(Errno::Inval);
        }
        let at = self.stamp();
        let old_dir = self.dir_at(old_fd, Rights::PATH_LINK_SOURCE)?;
        let new_dir = self.dir_at(new_fd, Rights::PATH_LINK_TARGET)?;
        old_dir.hard_link(old_path, new_dir, new_path)?;
        stamp_parent(new_dir, new_path, at)
    }

    /// `path_rename`.
    pub(crate) fn path_rename(
        &mut self,
        old_fd: u32,
        old_path: &str,
        new_fd: u32,
        new_path: &str,
    ) -> WasiResult<()> {
        let at = self.stamp();
        let old_dir = self.dir_at(old_fd, Rights::PATH_RENAME_SOURCE)?;
        let new_dir = self.dir_at(new_fd, Rights::PATH_RENAME_TARGET)?;
        let freed = self.freed_by_removing(new_dir, new_path);
        old_dir.rename(old_path, new_dir, new_path)?;
        stamp_parent(old_dir, old_path, at)?;
        stamp_parent(new_dir, new_path, at)?;
        self.forget(freed);
        Ok(())
    }

    /// `path_symlink`: an absolute target is refused (`EPERM`) by cap-std.
    pub(crate) fn path_symlink(
        &mut self,
        old_path: &str,
        fd: u32,
        new_path: &str,
    ) -> WasiResult<()> {
        let at = self.stamp();
        let dir = self.dir_at(fd, Rights::PATH_SYMLINK)?;
        #[cfg(unix)]
        dir.symlink(old_path, new_path)?;
        #[cfg(not(unix))]
        DirExt::symlink(dir, old_path, new_path)?;
        stamp_entry(dir, Path::new(new_path), at)?;
        stamp_parent(dir, new_path, at)
    }

    /// `path_readlink`: the link's contents, truncated to `buf_len` like POSIX `readlink`.
    pub(crate) fn path_readlink(
        &mut self,
        mem: &mut GuestMemory<'_>,
        fd: u32,
        path: &str,
        buf: u32,
        buf_len: u32,
    ) -> WasiResult<u32> {
        mem.check(buf, u64::from(buf_len))?;
        let link = self.dir_at(fd, Rights::PATH_READLINK)?.read_link(path)?;
        let bytes = name_bytes(link.into_os_string())?;
        let n = bytes.len().min(buf_len as usize);
        mem.write(buf, &bytes[..n])?;
        Ok(n as u32)
    }
}
