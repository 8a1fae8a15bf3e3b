//! containerd's stdio paths for a container, opened for its process.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Opens one of containerd's stdio paths (a FIFO, or a file) read-write: a FIFO opened for
/// only reading or only writing blocks until its other end is opened, which containerd may
/// never do. No path means `/dev/null`.
pub fn open_stream(path: Option<&Path>) -> Result<File, String> {
    let path = path.unwrap_or(Path::new("/dev/null"));
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open the container's stream {}: {e}", path.display()))
}
