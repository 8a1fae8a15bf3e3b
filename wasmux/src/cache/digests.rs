//! Remembered module digests: the SHA-256 of a module file, kept under the file's identity,
//! so that a cached start of an unchanged file neither reads nor hashes it (hashing a 4 MiB
//! module costs half as much as loading its artifact).
//!
//! ```text
//! DIR/v1/digests/DEVICE-INODE   "SIZE MTIME CTIME SHA256\n" of the file last hashed there
//! ```
//!
//! A digest is used only if the file still has the same device, inode, size and modification
//! and change times, to the nanosecond. Any write moves `ctime`, which no program can set
//! back, so a changed file misses. One race remains, as for git's index: a write within the
//! file system's timestamp tick after the digest was taken leaves the times unchanged. So, as
//! git does, a digest is remembered only for a file untouched for [`SETTLED`]: a later write
//! then lands in a later tick.
//!
//! A wrong digest could only make the cache miss or pick another module's artifact; the
//! latter is what this guards against, and a miss re-hashes the module.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::module_file::FileStamp;
use super::store;

/// How long a file must have been left alone before its digest is remembered: far more than
/// any file system's timestamp tick, and than clock skew between a network file system's
/// server and this host.
const SETTLED: Duration = Duration::from_secs(2);

const DIR: &str = "digests";

fn path(root: &Path, stamp: &FileStamp) -> PathBuf {
    root.join(DIR).join(format!("{:x}-{:x}", stamp.device, stamp.inode))
}

/// The stamp as the record's first fields: size, mtime, ctime.
fn fields(stamp: &FileStamp) -> String {
    let (ms, mns) = stamp.modified;
    let (cs, cns) = stamp.changed;
    format!("{} {ms}.{mns:09} {cs}.{cns:09}", stamp.size)
}

fn record(stamp: &FileStamp, digest: &[u8; 32]) -> String {
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{} {hex}\n", fields(stamp))
}

/// The digest remembered for the file with `stamp`, if its record matches exactly.
pub(crate) fn recall(root: &Path, stamp: &FileStamp) -> Option<[u8; 32]> {
    let text = fs::read_to_string(path(root, stamp)).ok()?;
    let (found, hex) = text.trim_end().rsplit_once(' ')?;
    if found != fields(stamp) || hex.len() != 64 {
        return None;
    }
    let mut digest = [0; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(digest)
}

/// Remembers `digest` for the file with `stamp`, whose bytes it was computed from, unless the
/// file changed within [`SETTLED`] of `now`. Best effort: a digest not remembered only costs
/// hashing next time.
pub(crate) fn remember(
    cache_dir: &Path,
    root: &Path,
    stamp: &FileStamp,
    digest: &[u8; 32],
    now: SystemTime,
) {
    let latest = stamp.modified.max(stamp.changed);
    let Ok(latest_secs) = u64::try_from(latest.0) else { return };
    let latest = UNIX_EPOCH + Duration::new(latest_secs, u32::try_from(latest.1).unwrap_or(0));
    if now.duration_since(latest).is_ok_and(|age| age >= SETTLED) {
        let _ = store::write_entry(cache_dir, &path(root, stamp), record(stamp, digest).as_bytes());
    }
}

/// Deletes every remembered digest under `root`.
pub(crate) fn clear(root: &Path) {
    let _ = fs::remove_dir_all(root.join(DIR));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> FileStamp {
        FileStamp {
            device: 0x801,
            inode: 42,
            size: 1000,
            modified: (1_700_000_000, 5),
            changed: (1_700_000_001, 7),
        }
    }

    fn settled() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn a_digest_is_recalled_only_for_the_same_stamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("v1");
        let digest = [0xa5; 32];
        remember(dir.path(), &root, &stamp(), &digest, settled());
        assert_eq!(recall(&root, &stamp()), Some(digest));
        for change in [
            |s: &mut FileStamp| s.size += 1,
            |s: &mut FileStamp| s.modified.1 += 1,
            |s: &mut FileStamp| s.changed.1 += 1,
            |s: &mut FileStamp| s.changed.0 += 1,
            |s: &mut FileStamp| s.device += 1,
            |s: &mut FileStamp| s.inode += 1,
        ] {
            let mut other = stamp();
            change(&mut other);
            assert_eq!(recall(&root, &other), None, "{other:?}");
        }
    }

    #[test]
    fn a_recently_changed_file_is_not_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("v1");
        let just_after = UNIX_EPOCH + Duration::new(1_700_000_001, 900_000_000);
        remember(dir.path(), &root, &stamp(), &[1; 32], just_after);
        assert_eq!(recall(&root, &stamp()), None);
        clear(&root);
        remember(dir.path(), &root, &stamp(), &[1; 32], settled());
        assert_eq!(recall(&root, &stamp()), Some([1; 32]));
        clear(&root);
        assert_eq!(recall(&root, &stamp()), None);
    }

    #[test]
    fn a_damaged_record_is_not_recalled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("v1");
        remember(dir.path(), &root, &stamp(), &[7; 32], settled());
        let file = path(&root, &stamp());
        let good = fs::read_to_string(&file).expect("record");
        for bad in [&good[..good.len() - 5], "", "garbage", &good.replace(' ', "  ")] {
            fs::write(&file, bad).expect("write");
            assert_eq!(recall(&root, &stamp()), None, "{bad:?}");
        }
    }
}
