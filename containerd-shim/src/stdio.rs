//! containerd's stdio paths for a container, opened for its process.
//!
//! An output FIFO is opened for writing only once its reader (`ctr`, containerd's CRI) has
//! opened it: a process that writes into a FIFO nobody has opened yet and exits loses its
//! output with the FIFO's buffer. Opening for writing without `O_NONBLOCK` would wait for
//! the reader, but forever if there is none, so the open is retried for a while and then
//! falls back to read-write (which never blocks, as runwasi opens them).

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};

/// How long an output FIFO's reader is waited for.
const READER_WAIT: Duration = Duration::from_secs(5);
/// How often the reader is looked for.
const READER_POLL: Duration = Duration::from_millis(2);

/// Opens the container's standard input: `/dev/null` for none; a FIFO read-write, so that
/// opening does not wait for a writer.
pub fn open_input(path: Option<&Path>) -> Result<File, String> {
    let path = path.unwrap_or(Path::new("/dev/null"));
    OpenOptions::new().read(true).write(true).open(path).map_err(|e| failed(path, &e))
}

/// Opens one of the container's output streams: `/dev/null` for none; a FIFO once its
/// reader has it open (see the module's documentation); a `file://` URI or other path as a
/// file to append to.
pub fn open_output(path: Option<&Path>) -> Result<File, String> {
    let Some(path) = path else {
        return OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .map_err(|e| failed(Path::new("/dev/null"), &e));
    };
    let file_uri = path.to_str().and_then(|p| p.strip_prefix("file://")).map(Path::new);
    let path = file_uri.unwrap_or(path);
    if !std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
        return OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| failed(path, &e));
    }
    let deadline = Instant::now() + READER_WAIT;
    loop {
        match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path) {
            Ok(file) => {
                // Writes block when the FIFO is full, as for any process's output.
                fcntl(&file, FcntlArg::F_SETFL(OFlag::empty()))
                    .map_err(|e| failed(path, &e.into()))?;
                return Ok(file);
            }
            // ENXIO: no reader yet.
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) && Instant::now() < deadline => {
                std::thread::sleep(READER_POLL);
            }
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                log::warn!(
                    "no reader opened {} in {READER_WAIT:?}: opening it read-write",
                    path.display()
                );
                return OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(|e| failed(path, &e));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(path, &e)),
        }
    }
}

fn failed(path: &Path, error: &std::io::Error) -> String {
    format!("cannot open the container's stream {}: {error}", path.display())
}
