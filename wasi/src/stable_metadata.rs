//! Stable file metadata, for deterministic runs: what only the host decides about a file —
//! its device and inode numbers, when it was last read, when its inode last changed, and the
//! time it is stamped with when changed — is replaced by what depends on the guest alone.
//!
//! - Device and inode numbers count from 1 in the order the guest first sees them.
//! - Access and status-change times read as the modification time (the host moves them when
//!   it reads or copies a file, which the guest did not ask for).
//! - What the guest changes is stamped with the context's realtime clock instead of the
//!   host's (see `WasiCtx::stamp_*` in `fs.rs`), so with deterministic clocks the
//!   modification times the guest sees are deterministic too.

use std::collections::HashMap;

use super::types::Filestat;

/// The numbering of devices and inodes one context has handed out.
#[derive(Debug, Default)]
pub(crate) struct StableMetadata {
    devices: HashMap<u64, u64>,
    inodes: HashMap<(u64, u64), u64>,
    /// Inode numbers handed out so far, forgotten ones included.
    inodes_numbered: u64,
}

impl StableMetadata {
    /// The guest's number for host device `dev`.
    fn device(&mut self, dev: u64) -> u64 {
        let next = self.devices.len() as u64 + 1;
        *self.devices.entry(dev).or_insert(next)
    }

    /// The guest's number for host inode `ino` on host device `dev`.
    pub fn inode(&mut self, dev: u64, ino: u64) -> u64 {
        *self.inodes.entry((dev, ino)).or_insert_with(|| {
            self.inodes_numbered += 1;
            self.inodes_numbered
        })
    }

    /// Forgets an inode the guest removed, so that a new file the host gives the same number
    /// gets a number of its own, as it would where the host numbered it differently.
    pub fn forget(&mut self, dev: u64, ino: u64) {
        self.inodes.remove(&(dev, ino));
    }

    /// `stat` as the guest sees it.
    pub fn filestat(&mut self, host: Filestat) -> Filestat {
        Filestat {
            dev: self.device(host.dev),
            ino: self.inode(host.dev, host.ino),
            atim: host.mtim,
            ctim: host.mtim,
            ..host
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(dev: u64, ino: u64) -> Filestat {
        Filestat { dev, ino, size: 5, atim: 30, mtim: 10, ctim: 20, ..Filestat::default() }
    }

    #[test]
    fn numbers_follow_first_sight_and_times_follow_mtime() {
        let mut stable = StableMetadata::default();
        let first = stable.filestat(host(2049, 777));
        assert_eq!((first.dev, first.ino, first.size), (1, 1, 5));
        assert_eq!((first.atim, first.mtim, first.ctim), (10, 10, 10));
        assert_eq!(stable.filestat(host(2049, 12)).ino, 2);
        assert_eq!(stable.filestat(host(2049, 777)).ino, 1, "same inode, same number");
        assert_eq!(stable.filestat(host(64, 777)).dev, 2);
        stable.forget(2049, 12);
        assert_eq!(stable.inode(2049, 12), 4, "a removed inode number is not reused");
    }
}
