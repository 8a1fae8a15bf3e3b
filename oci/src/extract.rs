//! Unpacking tar archives and image layers without ever writing outside the target directory.
//!
//! Every write goes through a cap-std [`Dir`], so the kernel-level sandbox of cap-std keeps
//! even a crafted path inside the root. On top of that, entries are checked so that a hostile
//! archive is refused with an error that names the entry, not silently bent into shape:
//! absolute paths, `..`, symlinks whose target leaves the root, hard links to anything but a
//! file inside the root, device files and FIFOs are refused. Absolute symlink targets, which
//! images use to mean "from the image root", are rewritten as relative ones, so the tree is
//! also safe for host tools that follow links. Layers apply OCI whiteouts (`.wh.NAME`,
//! `.wh..wh..opq`) against the layers below them.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use cap_std::fs::{Dir, OpenOptions};
use oci_spec::image::Digest;
use tar::EntryType;

use crate::digest::{self, Hasher, HashingReader};
use crate::error::{Error, Result};

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// How a layer's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    /// A plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

impl Compression {
    /// Guesses from the first bytes of the content (for archives without a media type).
    pub(crate) fn sniff(file: &mut File) -> io::Result<Compression> {
        let mut magic = [0u8; 4];
        let mut read = 0;
        while read < magic.len() {
            match file.read(&mut magic[read..])? {
                0 => break,
                n => read += n,
            }
        }
        file.seek(SeekFrom::Start(0))?;
        Ok(match &magic[..read] {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd] => Compression::Zstd,
            _ => Compression::None,
        })
    }
}

/// The uncompressed stream of `reader`.
pub(crate) fn decompress<'a>(
    reader: impl Read + 'a,
    compression: Compression,
    name: &str,
) -> Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(reader)
                .map_err(|e| Error::invalid(name.to_string(), format!("zstd: {e}")))?,
        ),
    })
}

/// What a layer deletes from the layers below it.
#[derive(Debug)]
enum Whiteout {
    /// `DIR/.wh.NAME`: delete `DIR/NAME`.
    Remove(PathBuf),
    /// `DIR/.wh..wh..opq`: delete everything below `DIR`.
    Opaque(PathBuf),
}

/// Applies one image layer (a tar, compressed or not) on top of `root`.
///
/// The layer is read twice: first to check its uncompressed digest against `diff_id` (when
/// given) and to collect its whiteouts, which then delete from the layers below; then to
/// unpack its entries.
pub(crate) fn apply_layer(
    root: &Dir,
    file: &mut File,
    compression: Compression,
    name: &str,
    diff_id: Option<&Digest>,
) -> Result<()> {
    let hasher = match diff_id {
        Some(d) => Hasher::new(d.algorithm())?,
        None => Hasher::sha256(),
    };
    let reader = HashingReader::new(decompress(&mut *file, compression, name)?, hasher);
    let mut archive = tar::Archive::new(reader);
    let mut whiteouts = Vec::new();
    for entry in archive.entries().map_err(|e| read_error(name, e))? {
        let entry = entry.map_err(|e| read_error(name, e))?;
        let raw = entry.path_bytes();
        let Some(path) = entry_path(&raw).map_err(|r| unsafe_entry(name, &raw, r))? else {
            continue;
        };
        if let Some(whiteout) = whiteout(&path).map_err(|r| unsafe_entry(name, &raw, r))? {
            whiteouts.push(whiteout);
        }
    }
    let (actual, _) = archive.into_inner().finish().map_err(|e| read_error(name, e))?;
    if let Some(expected) = diff_id {
        digest::check_digest(expected, actual, &format!("{name} (uncompressed)"))?;
    }
    for whiteout in &whiteouts {
        let (path, contents_only) = match whiteout {
            Whiteout::Remove(path) => (path, false),
            Whiteout::Opaque(path) => (path, true),
        };
        remove(root, path, contents_only)
            .map_err(|e| write_error(name, &path.to_string_lossy(), e))?;
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| read_error(name, e))?;
    unpack(root, decompress(&mut *file, compression, name)?, name, true)
}

/// Unpacks a plain tar archive (an OCI archive, a `docker save` tarball) into `root`.
pub(crate) fn unpack_archive(root: &Dir, file: &mut File, name: &str) -> Result<()> {
    let compression = Compression::sniff(file).map_err(|e| read_error(name, e))?;
    unpack(root, decompress(file, compression, name)?, name, false)?;
    check_symlinks(root, name)
}

/// Unpacks the entries of `reader` into `root`, checking each. With `layer`, whiteout files
/// are skipped (they were applied before).
fn unpack(root: &Dir, reader: impl Read, name: &str, layer: bool) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(|e| read_error(name, e))? {
        let mut entry = entry.map_err(|e| read_error(name, e))?;
        let raw = entry.path_bytes().into_owned();
        let Some(path) = entry_path(&raw).map_err(|r| unsafe_entry(name, &raw, r))? else {
            continue;
        };
        if layer && is_whiteout(&path) {
            continue;
        }
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let kind = entry.header().entry_type();
        let write = |e: io::Error| write_error(name, &shown, e);
        match kind {
            EntryType::Directory => make_dir(root, &path).map_err(write)?,
            // Old tar writers mark directories only by a trailing slash.
            EntryType::Regular if raw.ends_with(b"/") => make_dir(root, &path).map_err(write)?,
            EntryType::Regular | EntryType::Continuous => {
                prepare(root, &path).map_err(write)?;
                let mut file = root
                    .open_with(&path, OpenOptions::new().write(true).create_new(true))
                    .map_err(write)?;
                io::copy(&mut entry, &mut file).map_err(write)?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| unsafe_entry(name, &raw, "is a symlink without a target"))?;
                let target =
                    symlink_target(&path, &target).map_err(|r| unsafe_entry(name, &raw, r))?;
                prepare(root, &path).map_err(write)?;
                symlink(root, &target, &path).map_err(write)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| unsafe_entry(name, &raw, "is a hard link without a target"))?;
                let target = entry_path(&target)
                    .map_err(|r| {
                        unsafe_entry(name, &raw, format!("is a hard link whose target {r}"))
                    })?
                    .ok_or_else(|| unsafe_entry(name, &raw, "is a hard link to the root"))?;
                match root.symlink_metadata(&target) {
                    Ok(meta) if !meta.is_dir() => {}
                    Ok(_) => return Err(unsafe_entry(name, &raw, "is a hard link to a directory")),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        return Err(unsafe_entry(
                            name,
                            &raw,
                            format!(
                                "is a hard link to `{}`, which is not in the archive before it",
                                target.display()
                            ),
                        ));
                    }
                    Err(e) => return Err(write(e)),
                }
                if target != path {
                    prepare(root, &path).map_err(write)?;
                    root.hard_link(&target, root, &path).map_err(write)?;
                }
            }
            EntryType::Char | EntryType::Block => {
                return Err(unsafe_entry(
                    name,
                    &raw,
                    "is a device file; device files are not allowed",
                ));
            }
            EntryType::Fifo => {
                return Err(unsafe_entry(name, &raw, "is a FIFO; special files are not allowed"));
            }
            EntryType::GNUSparse => {
                return Err(unsafe_entry(name, &raw, "is a sparse file, which is not supported"));
            }
            // Metadata entries; the tar crate folds them into the entry they describe.
            EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => {}
            other => {
                return Err(unsafe_entry(
                    name,
                    &raw,
                    format!(
                        "has tar entry type {:?}, which is not supported",
                        other.as_byte() as char
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses a tree in which a symlink, followed from inside `root`, leads outside it (a chain
/// like `a -> .` and `b -> a/..` passes any check of a single target).
pub(crate) fn check_symlinks(root: &Dir, name: &str) -> Result<()> {
    fn walk(root: &Dir, dir: &Path, name: &str) -> Result<()> {
        let entries = if dir.as_os_str().is_empty() { root.entries() } else { root.read_dir(dir) };
        let entries =
            entries.map_err(|e| Error::io(format!("{name}: listing {}", dir.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::io(format!("{name}: listing {}", dir.display()), e))?;
            let path = dir.join(entry.file_name());
            let kind = entry
                .file_type()
                .map_err(|e| Error::io(format!("{name}: {}", path.display()), e))?;
            if kind.is_symlink() {
                if let Err(e) = root.metadata(&path)
                    && is_escape(&e)
                {
                    return Err(unsafe_entry(
                        name,
                        path.to_string_lossy().as_bytes(),
                        "is a symlink that leads outside the image root",
                    ));
                }
            } else if kind.is_dir() {
                walk(root, &path, name)?;
            }
        }
        Ok(())
    }
    walk(root, Path::new(""), name)
}

/// The path of an archive entry, relative to the root; `None` for the root itself.
pub(crate) fn entry_path(raw: &[u8]) -> std::result::Result<Option<PathBuf>, String> {
    let path = bytes_path(raw);
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err("is an absolute path".into());
            }
            Component::ParentDir => return Err("has a `..` component".into()),
            Component::CurDir => {}
            Component::Normal(part) => clean.push(part),
        }
    }
    Ok(if clean.as_os_str().is_empty() { None } else { Some(clean) })
}

/// The target to give a symlink at `link`: a relative target that stays inside the root is kept,
/// an absolute one (meaning "from the image root") is made relative; one that leaves the root
/// is refused.
fn symlink_target(link: &Path, raw: &[u8]) -> std::result::Result<PathBuf, String> {
    let target = bytes_path(raw);
    if target.as_os_str().is_empty() {
        return Err("is a symlink with an empty target".into());
    }
    let parent: Vec<&OsStr> = link
        .parent()
        .map(|p| p.components().map(Component::as_os_str).collect())
        .unwrap_or_default();
    let absolute = target.has_root();
    let mut stack: Vec<&OsStr> = if absolute { Vec::new() } else { parent.clone() };
    let mut rest = PathBuf::new();
    for component in target.components() {
        match component {
            Component::Prefix(_) => return Err("is a symlink to a path with a drive prefix".into()),
            Component::RootDir => continue,
            Component::CurDir => {}
            Component::ParentDir => {
                if stack.pop().is_none() {
                    return Err(format!(
                        "is a symlink that points outside the image root (`{}`)",
                        target.display()
                    ));
                }
            }
            Component::Normal(part) => stack.push(part),
        }
        rest.push(component.as_os_str());
    }
    if !absolute {
        return Ok(target);
    }
    let mut relative: PathBuf = parent.iter().map(|_| "..").collect();
    relative.push(rest);
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    Ok(relative)
}

fn whiteout(path: &Path) -> std::result::Result<Option<Whiteout>, String> {
    let Some(file_name) = path.file_name().and_then(OsStr::to_str) else { return Ok(None) };
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if file_name == OPAQUE_WHITEOUT {
        return Ok(Some(Whiteout::Opaque(parent)));
    }
    match file_name.strip_prefix(WHITEOUT_PREFIX) {
        None => Ok(None),
        Some("" | "." | "..") => Err("is a whiteout without a name".into()),
        Some(target) => Ok(Some(Whiteout::Remove(parent.join(target)))),
    }
}

fn is_whiteout(path: &Path) -> bool {
    path.file_name().and_then(OsStr::to_str).is_some_and(|n| n.starts_with(WHITEOUT_PREFIX))
}

/// Deletes `path` (or, with `contents_only`, what is inside it). Missing is fine.
fn remove(root: &Dir, path: &Path, contents_only: bool) -> io::Result<()> {
    let meta = match root.symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return if contents_only { Ok(()) } else { root.remove_file(path) };
    }
    if !contents_only {
        return root.remove_dir_all(path);
    }
    let entries = if path.as_os_str().is_empty() { root.entries()? } else { root.read_dir(path)? };
    for entry in entries {
        let entry = entry?;
        let child = path.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            root.remove_dir_all(&child)?;
        } else {
            root.remove_file(&child)?;
        }
    }
    Ok(())
}

/// Makes room for a new non-directory at `path`: creates its parents, removes what was there
/// (a file of a lower layer, a symlink — never written through).
fn prepare(root: &Dir, path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        root.create_dir_all(parent)?;
    }
    remove(root, path, false)
}

fn make_dir(root: &Dir, path: &Path) -> io::Result<()> {
    match root.symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => remove(root, path, false)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    root.create_dir_all(path)
}

#[cfg(not(windows))]
fn symlink(root: &Dir, target: &Path, link: &Path) -> io::Result<()> {
    root.symlink(target, link)
}

#[cfg(windows)]
fn symlink(root: &Dir, target: &Path, link: &Path) -> io::Result<()> {
    root.symlink_file(target, link)
}

#[cfg(unix)]
fn bytes_path(raw: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(raw))
}

#[cfg(not(unix))]
fn bytes_path(raw: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(raw).into_owned())
}

/// Whether cap-std refused to leave its directory.
pub(crate) fn is_escape(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::PermissionDenied && error.to_string().contains("outside")
}

fn unsafe_entry(name: &str, raw: &[u8], reason: impl Into<String>) -> Error {
    Error::unsafe_entry(name, String::from_utf8_lossy(raw), reason)
}

fn read_error(name: &str, error: io::Error) -> Error {
    Error::io(format!("reading {name}"), error)
}

fn write_error(name: &str, entry: &str, error: io::Error) -> Error {
    if is_escape(&error) {
        Error::unsafe_entry(name, entry, "leads outside the image root through a symlink")
    } else {
        Error::io(format!("unpacking {name}: entry `{entry}`"), error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert_eq!(entry_path(b"./a/./b"), Ok(Some(PathBuf::from("a/b"))));
        assert_eq!(entry_path(b"./"), Ok(None));
        assert!(entry_path(b"/etc/passwd").is_err());
        assert!(entry_path(b"a/../../b").is_err());
        assert!(entry_path(b"a/../b").is_err());
    }

    #[test]
    fn symlink_targets() {
        let link = Path::new("usr/bin/tool");
        assert_eq!(symlink_target(link, b"../lib/x"), Ok(PathBuf::from("../lib/x")));
        assert_eq!(symlink_target(link, b"/lib/x"), Ok(PathBuf::from("../../lib/x")));
        assert_eq!(symlink_target(Path::new("top"), b"/"), Ok(PathBuf::from(".")));
        assert!(symlink_target(link, b"../../../etc").is_err());
        assert!(symlink_target(link, b"/../etc").is_err());
        assert!(symlink_target(link, b"").is_err());
    }

    #[test]
    fn whiteouts() {
        assert!(
            matches!(whiteout(Path::new("a/.wh.b")), Ok(Some(Whiteout::Remove(p))) if p == Path::new("a/b"))
        );
        assert!(
            matches!(whiteout(Path::new("a/.wh..wh..opq")), Ok(Some(Whiteout::Opaque(p))) if p == Path::new("a"))
        );
        assert!(whiteout(Path::new("a/.wh.")).is_err());
        assert!(matches!(whiteout(Path::new("a/b")), Ok(None)));
    }
}
