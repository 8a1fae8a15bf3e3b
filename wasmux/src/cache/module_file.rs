//! A module file whose bytes are read only when needed: a cached start of an unchanged file
//! recognises it by its metadata (see `digests.rs`) and never reads or hashes it.

use std::cell::OnceCell;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How many leading bytes [`ModuleFile::head`] reads: enough for the header of a wasmux
/// artifact, which names its engine.
const HEAD_BYTES: usize = 4096;

/// A module file, open, for [`Cache::load_or_compile_file`](super::Cache::load_or_compile_file).
///
/// Its metadata is taken when it is opened and its bytes are read from the same open file,
/// so both describe one file even if the path is replaced meanwhile.
#[derive(Debug)]
pub struct ModuleFile {
    path: PathBuf,
    file: File,
    stamp: Option<FileStamp>,
    head: OnceCell<Vec<u8>>,
    bytes: OnceCell<Vec<u8>>,
}

impl ModuleFile {
    /// Opens `path` and notes its metadata. Reads nothing yet.
    pub fn open(path: impl Into<PathBuf>) -> io::Result<ModuleFile> {
        let path = path.into();
        let file = File::open(&path)?;
        let stamp = FileStamp::of(&file.metadata()?);
        Ok(ModuleFile { path, file, stamp, head: OnceCell::new(), bytes: OnceCell::new() })
    }

    /// The path it was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole file, read on first use.
    pub fn bytes(&self) -> io::Result<&[u8]> {
        if let Some(bytes) = self.bytes.get() {
            return Ok(bytes);
        }
        let mut bytes = Vec::new();
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))?;
        file.read_to_end(&mut bytes)?;
        Ok(self.bytes.get_or_init(|| bytes))
    }

    /// The first few KiB (all of a smaller file): enough to tell a wasmux artifact and its
    /// engine (`wasmux::artifact_engine`) without reading a large module. Read once.
    pub fn head(&self) -> io::Result<&[u8]> {
        if let Some(bytes) = self.bytes.get() {
            return Ok(&bytes[..bytes.len().min(HEAD_BYTES)]);
        }
        if let Some(head) = self.head.get() {
            return Ok(head);
        }
        #[cfg(unix)]
        {
            let mut head = vec![0; HEAD_BYTES];
            let mut filled = 0;
            while filled < head.len() {
                match std::os::unix::fs::FileExt::read_at(
                    &self.file,
                    &mut head[filled..],
                    filled as u64,
                )? {
                    0 => break,
                    n => filled += n,
                }
            }
            head.truncate(filled);
            Ok(self.head.get_or_init(|| head))
        }
        #[cfg(not(unix))]
        {
            let bytes = self.bytes()?;
            Ok(&bytes[..bytes.len().min(HEAD_BYTES)])
        }
    }

    /// The metadata noted at [`open`](Self::open), if this platform has file identities.
    pub(crate) fn stamp(&self) -> Option<&FileStamp> {
        self.stamp.as_ref()
    }

    /// Whether the file still has the metadata it was opened with: nothing wrote to it
    /// meanwhile, so the bytes read are the bytes the stamp describes.
    pub(crate) fn unchanged(&self) -> bool {
        match (&self.stamp, self.file.metadata()) {
            (Some(stamp), Ok(now)) => FileStamp::of(&now).as_ref() == Some(stamp),
            _ => false,
        }
    }
}

/// What identifies one version of a file: which file (device and inode), and its size and
/// change times to the nanosecond. Every write changes `ctime`, which, unlike `mtime`, no
/// program can set back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileStamp {
    pub(crate) device: u64,
    pub(crate) inode: u64,
    pub(crate) size: u64,
    pub(crate) modified: (i64, i64),
    pub(crate) changed: (i64, i64),
}

impl FileStamp {
    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        Some(FileStamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        })
    }

    /// Without inodes and change times there is no identity to trust: always hash.
    #[cfg(not(unix))]
    fn of(_metadata: &std::fs::Metadata) -> Option<FileStamp> {
        None
    }
}
