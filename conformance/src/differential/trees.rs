//! Directory trees of a differential run: copied so that every engine finds the same files
//! with the same times, and snapshotted afterwards by what the guest could have written.

use std::collections::BTreeMap;
use std::path::Path;

use fs_set_times::SystemTimeSpec;

/// Adds every entry below `root` to `tree`, keyed by `prefix` + its path relative to `root`:
/// file contents, `<dir>`, or `-> target` for links. Times, inode numbers and permissions are
/// left out: the host sets them by itself (stable metadata shows the guest its own).
pub fn snapshot(
    root: &Path,
    prefix: &str,
    tree: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), String> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            let relative =
                path.strip_prefix(root).map_err(|e| e.to_string())?.to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| e.to_string())?;
            let contents = if meta.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| e.to_string())?;
                format!("-> {}", target.display()).into_bytes()
            } else if meta.is_dir() {
                pending.push(path.clone());
                b"<dir>".to_vec()
            } else {
                std::fs::read(&path).map_err(|e| e.to_string())?
            };
            tree.insert(format!("{prefix}{relative}"), contents);
        }
    }
    Ok(())
}

/// Copies the tree at `from` into `to` (which must not exist), links as links, every entry
/// with its access and modification times: copies made one after the other then look alike,
/// where plain copies would carry the time each was made.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let meta = std::fs::symlink_metadata(&source)?;
        if meta.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
        } else if meta.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)?;
        }
        copy_times(&meta, &target)?;
    }
    // Last: adding the entries changed the directory's own times.
    copy_times(&std::fs::metadata(from)?, to)
}

fn copy_times(meta: &std::fs::Metadata, to: &Path) -> std::io::Result<()> {
    let time = |t: std::io::Result<std::time::SystemTime>| t.ok().map(SystemTimeSpec::Absolute);
    fs_set_times::set_symlink_times(to, time(meta.accessed()), time(meta.modified()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_contents_links_and_times() -> std::io::Result<()> {
        let scratch = tempfile::tempdir()?;
        let source = scratch.path().join("source");
        std::fs::create_dir_all(source.join("sub"))?;
        std::fs::write(source.join("sub/file"), b"data")?;
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let spec = || Some(SystemTimeSpec::Absolute(old));
        fs_set_times::set_times(source.join("sub/file"), spec(), spec())?;
        fs_set_times::set_times(source.join("sub"), spec(), spec())?;
        #[cfg(unix)]
        std::os::unix::fs::symlink("sub/file", source.join("link"))?;
        let copy = scratch.path().join("copy");
        copy_tree(&source, &copy)?;
        for path in ["sub/file", "sub"] {
            let meta = std::fs::metadata(copy.join(path))?;
            assert_eq!((meta.modified()?, meta.accessed()?), (old, old), "{path}");
        }
        let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
        snapshot(&source, "", &mut a).map_err(std::io::Error::other)?;
        snapshot(&copy, "", &mut b).map_err(std::io::Error::other)?;
        assert_eq!(a, b);
        assert_eq!(b.get("sub/file").map(Vec::as_slice), Some(&b"data"[..]));
        Ok(())
    }
}
