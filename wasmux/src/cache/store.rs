//! The cache's files: one entry per file, written whole and renamed into place, so that any
//! number of threads and processes can share a directory without locks.
//!
//! ```text
//! DIR/CACHEDIR.TAG                    marks DIR as a cache for backup tools
//! DIR/v1/ENGINE/KEY.cwasm             an artifact, exactly as `precompile` made it
//! DIR/v1/ENGINE/.tmp-XXXXXX.partial   an entry being written (or left by a crash)
//! DIR/v1/hits, DIR/v1/misses          counters: one byte appended per event
//! DIR/v1/digests/DEVICE-INODE         a module file's remembered SHA-256 (`digests.rs`)
//! ```
//!
//! Recency for least-recently-used eviction is the entry's modification time, set when the
//! entry is written and refreshed when it is read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The extension of entry files.
pub(crate) const ENTRY_EXTENSION: &str = "cwasm";
const TEMP_PREFIX: &str = ".tmp-";
const TEMP_SUFFIX: &str = ".partial";
/// A temporary file this old was left by a process that died while writing it.
const STALE_TEMP: Duration = Duration::from_secs(3600);
/// A hit refreshes an entry's recency only when it is older than this: LRU order does not need
/// finer grain, and most hits then cost no metadata write.
const TOUCH_AFTER: Duration = Duration::from_secs(60);

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
    # This file is a cache directory tag created by wasmux.\n\
    # For information about cache directory tags see https://bford.info/cachedir/\n";

/// Reads an entry and refreshes its recency; `None` if there is no such entry.
pub(crate) fn read_entry(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        // A missing directory on the way (or a file where one should be) means no entry; the
        // attempt to store one will say what is wrong.
        Err(error)
            if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    let metadata = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    let now = SystemTime::now();
    let stale = metadata
        .modified()
        .ok()
        .and_then(|m| now.duration_since(m).ok())
        .is_none_or(|age| age > TOUCH_AFTER);
    if stale {
        // Best effort: a cache shared read-only still serves hits, it just ages by write time.
        let _ = file.set_modified(now);
    }
    Ok(Some(bytes))
}

/// Writes an entry: to a temporary file beside it, then renamed over `path`. Readers see the
/// old entry, no entry, or the whole new one, never a part; concurrent writers of the same key
/// each rename a complete artifact, and the last one stays.
pub(crate) fn write_entry(cache_dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("entry path has no directory"))?;
    let mut temp = match temp_file(dir) {
        Ok(temp) => temp,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            create_dirs(cache_dir, dir)?;
            temp_file(dir)?
        }
        Err(error) => return Err(error),
    };
    temp.write_all(bytes)?;
    // No fsync: after a crash an entry may be short or zeroed, and the artifact envelope's
    // length and checksum then refuse it, and the entry is rebuilt.
    match temp.persist(path) {
        Ok(_) => Ok(()),
        // Windows refuses to replace a file that another process has open; that file is an
        // entry for the same key, as good as ours.
        Err(error) if path.is_file() => {
            drop(error);
            Ok(())
        }
        Err(error) => Err(error.error),
    }
}

fn temp_file(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new().prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX).tempfile_in(dir)
}

/// Creates `dir` (inside `cache_dir`), private to the user on Unix, and tags `cache_dir`.
pub(crate) fn create_dirs(cache_dir: &Path, dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let tag = cache_dir.join("CACHEDIR.TAG");
    if !tag.exists() {
        let _ = fs::write(tag, CACHEDIR_TAG);
    }
    Ok(())
}

/// An entry found by [`scan`].
#[derive(Debug)]
pub(crate) struct EntryFile {
    pub(crate) path: PathBuf,
    pub(crate) bytes: u64,
    pub(crate) used: SystemTime,
}

/// What [`scan`] found: entries, and temporary files (which are not entries).
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) entries: Vec<EntryFile>,
    pub(crate) temps: Vec<EntryFile>,
}

/// Lists the entries under `root` (the layout directory). Only files this cache writes are
/// reported, so that nothing else in a directory the user chose is ever deleted.
pub(crate) fn scan(root: &Path) -> io::Result<Scan> {
    let mut found = Scan::default();
    let engines = match fs::read_dir(root) {
        Ok(engines) => engines,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(error),
    };
    for engine in engines {
        let engine = engine?;
        if !engine.file_type()?.is_dir() {
            continue;
        }
        let files = match fs::read_dir(engine.path()) {
            Ok(files) => files,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for file in files {
            let Ok(file) = file else { continue };
            let name = file.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_entry = is_entry_name(name);
            let is_temp = name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX);
            if !is_entry && !is_temp {
                continue;
            }
            // Another process may evict or rename it meanwhile: skip what vanished.
            let Ok(metadata) = file.metadata() else { continue };
            if !metadata.is_file() {
                continue;
            }
            let entry = EntryFile {
                path: file.path(),
                bytes: metadata.len(),
                used: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            };
            if is_entry { found.entries.push(entry) } else { found.temps.push(entry) }
        }
    }
    Ok(found)
}

/// `KEY.cwasm` with a 64-digit lowercase hex key.
fn is_entry_name(name: &str) -> bool {
    name.strip_suffix(ENTRY_EXTENSION).and_then(|stem| stem.strip_suffix('.')).is_some_and(|key| {
        key.len() == 64 && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Entries removed and bytes freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Removed {
    pub(crate) entries: u64,
    pub(crate) bytes: u64,
}

/// Deletes least recently used entries until the entries total at most `max_bytes`, never
/// `keep` (the entry just written), and deletes temporary files left by crashed writers.
///
/// Safe to run in several processes at once: an entry deleted twice is counted once, an
/// entry deleted while another process reads it is either already read or becomes a miss.
pub(crate) fn trim(root: &Path, max_bytes: u64, keep: Option<&Path>) -> io::Result<Removed> {
    let Scan { mut entries, temps } = scan(root)?;
    let now = SystemTime::now();
    for temp in temps {
        if now.duration_since(temp.used).is_ok_and(|age| age > STALE_TEMP) {
            let _ = fs::remove_file(&temp.path);
        }
    }
    let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
    let mut removed = Removed::default();
    if total <= max_bytes {
        return Ok(removed);
    }
    entries.sort_by_key(|e| e.used);
    for entry in entries {
        if total <= max_bytes {
            break;
        }
        if keep == Some(entry.path.as_path()) {
            continue;
        }
        match fs::remove_file(&entry.path) {
            Ok(()) => {
                removed.entries += 1;
                removed.bytes += entry.bytes;
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        // Gone either way: by us or by another process trimming at the same time.
        total = total.saturating_sub(entry.bytes);
    }
    Ok(removed)
}

/// Deletes every entry and temporary file under `root`, and the counters.
pub(crate) fn clear(root: &Path) -> io::Result<Removed> {
    let Scan { entries, temps } = scan(root)?;
    let mut removed = Removed::default();
    for entry in entries {
        match fs::remove_file(&entry.path) {
            Ok(()) => {
                removed.entries += 1;
                removed.bytes += entry.bytes;
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    for temp in temps {
        let _ = fs::remove_file(&temp.path);
    }
    for counter in [Counter::Hits, Counter::Misses] {
        match fs::remove_file(counter.path(root)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(removed)
}

/// The events counted across processes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    Hits,
    Misses,
}

impl Counter {
    fn path(self, root: &Path) -> PathBuf {
        root.join(match self {
            Counter::Hits => "hits",
            Counter::Misses => "misses",
        })
    }

    /// Counts one event by appending one byte: appends are atomic, so concurrent processes
    /// never lose a count, and the count is the file's length. Best effort.
    pub(crate) fn bump(self, root: &Path) {
        let append = || OpenOptions::new().append(true).create(true).open(self.path(root));
        let file = match append() {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                create_dirs(root.parent().unwrap_or(root), root).and_then(|()| append())
            }
            other => other,
        };
        if let Ok(mut file) = file {
            let _ = file.write_all(b".");
        }
    }

    /// The number of events counted.
    pub(crate) fn read(self, root: &Path) -> u64 {
        fs::metadata(self.path(root)).map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_names_are_entries() {
        let key = "0123456789abcdef".repeat(4);
        assert!(is_entry_name(&format!("{key}.cwasm")));
        assert!(!is_entry_name(&format!("{}.cwasm", key.to_uppercase())));
        assert!(!is_entry_name(&format!("{key}.wasm")));
        assert!(!is_entry_name(&format!("{}.cwasm", &key[1..])));
        assert!(!is_entry_name("notes.txt"));
        assert!(!is_entry_name(".cwasm"));
    }
}
