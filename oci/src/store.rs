//! The local image store: pulled images as one OCI image layout (blobs stored by digest,
//! named in `index.json` by their full reference), and unpacked root filesystems by image.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;

use crate::error::{Error, Result};
use crate::layout::{self, Layout};

/// The environment variable that moves the store.
pub const STORE_ENV: &str = "WASMUX_OCI_DIR";

/// Where pulled images and unpacked root filesystems are kept.
///
/// ```text
/// ROOT/layout/            an OCI image layout: oci-layout, index.json, blobs/sha256/…
/// ROOT/rootfs/DIGEST/     the root filesystem of the image whose manifest is DIGEST
/// ROOT/tmp/               work files, renamed into place when complete
/// ```
///
/// Every file appears complete or not at all (written aside, then renamed), so concurrent
/// runs share the store safely; index updates are serialized by a lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// A store in `root` (created when first written).
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    /// The store named by `WASMUX_OCI_DIR`, else `wasmux/oci` in the platform's cache
    /// directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when neither is known.
    pub fn from_env() -> Result<Store> {
        if let Some(dir) = std::env::var_os(STORE_ENV).filter(|d| !d.is_empty()) {
            return Ok(Store::new(dir));
        }
        dirs::cache_dir().map(|d| Store::new(d.join("wasmux").join("oci"))).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "no cache directory is known for image storage: set {STORE_ENV}"
            ))
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The OCI image layout holding the pulled images.
    pub fn layout_dir(&self) -> PathBuf {
        self.root.join("layout")
    }

    pub(crate) fn rootfs_dir(&self, key: &str) -> PathBuf {
        self.root.join("rootfs").join(key)
    }

    /// A directory for work files, on the same file system as the final places.
    pub(crate) fn tmp_dir(&self) -> Result<PathBuf> {
        let dir = self.root.join("tmp");
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(dir)
    }

    /// Creates the layout if needed and opens it.
    pub(crate) fn layout(&self) -> Result<Layout> {
        let dir = self.layout_dir();
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        self.locked(|| layout::init(&dir))?;
        Layout::open(&dir)
    }

    /// The manifest stored under `name` (a full reference such as `host:5000/repo:tag`).
    ///
    /// # Errors
    /// When the store's index cannot be read.
    pub fn lookup(&self, name: &str) -> Result<Option<Descriptor>> {
        let dir = self.layout_dir();
        if !dir.join(layout::INDEX_JSON).is_file() {
            return Ok(None);
        }
        let index = Layout::open(&dir)?.index()?;
        Ok(index.manifests().iter().find(|d| layout::ref_name(d) == Some(name)).cloned())
    }

    /// Names `descriptor` `name` in the store's index.
    pub(crate) fn tag(&self, descriptor: Descriptor, name: &str) -> Result<()> {
        let dir = self.layout_dir();
        self.locked(|| layout::tag(&dir, descriptor.clone(), name))
    }

    /// Runs `f` holding the store's lock.
    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        fs::create_dir_all(&self.root)
            .map_err(|e| Error::io(format!("creating {}", self.root.display()), e))?;
        let path = self.root.join("lock");
        let file: File = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        file.lock().map_err(|e| Error::io(format!("locking {}", path.display()), e))?;
        let result = f();
        let _ = file.unlock();
        result
    }
}
