//! Creating a directory whole or not at all: it is built under a temporary name beside its
//! final place, then renamed there, so a failure or a crash leaves no half-written directory.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Creates `dir` (absent, or an empty directory) with `build`, which fills a temporary
/// directory named `prefix…` in the same parent; returns what `build` returns.
pub(crate) fn create_whole<T>(
    dir: &Path,
    prefix: &str,
    build: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let temp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&parent)
        .map_err(|e| Error::io(format!("creating a directory in {}", parent.display()), e))?;
    let built = build(temp.path())?;
    fs::rename(temp.path(), dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let _ = temp.keep();
    Ok(built)
}
