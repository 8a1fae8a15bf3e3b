//! Standard input, output and error: inherited, null, bytes, a file, or an in-memory capture.

use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use super::errno::{Errno, WasiResult};
use super::types::filetype;

/// An in-memory buffer collecting what a guest writes to standard output or error.
///
/// Cheap to clone: clones share the bytes, so the embedder keeps one handle and reads it
/// while or after the guest runs.
///
/// ```
/// use wasmux_wasi::{CaptureBuffer, WasiConfig};
///
/// let out = CaptureBuffer::new();
/// let mut config = WasiConfig::new();
/// config.stdout_buffer(out.clone());
/// // ... run the guest ...
/// assert!(out.contents().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct CaptureBuffer(Arc<Mutex<Vec<u8>>>);

impl CaptureBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        CaptureBuffer::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock cannot leave the bytes inconsistent.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// Takes everything written so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.lock())
    }

    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Discards everything written so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn append(&self, bytes: &[u8]) {
        self.lock().extend_from_slice(bytes);
    }

    /// Whether both handles share one buffer.
    pub fn same_buffer(&self, other: &CaptureBuffer) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for CaptureBuffer {
    /// Handles are equal when they share one buffer.
    fn eq(&self, other: &Self) -> bool {
        self.same_buffer(other)
    }
}

impl fmt::Debug for CaptureBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaptureBuffer({} bytes)", self.len())
    }
}

/// The source behind descriptor 0.
#[derive(Debug)]
pub(crate) enum Input {
    Null,
    Inherit,
    Bytes { data: Vec<u8>, pos: usize },
    File(File),
}

/// A host descriptor `poll_oneoff` can wait on.
#[cfg(unix)]
pub(crate) type OsFd<'a> = rustix::fd::BorrowedFd<'a>;
/// A host descriptor `poll_oneoff` can wait on (none off Unix).
#[cfg(not(unix))]
pub(crate) type OsFd<'a> = std::marker::PhantomData<&'a ()>;

/// How ready a stream is, for `poll_oneoff`.
#[derive(Debug)]
pub(crate) enum Readiness<'a> {
    /// Ready now, with this many bytes available (0 when unknown) and whether at end.
    Ready { nbytes: u64, hangup: bool },
    /// Ask the OS about this descriptor.
    #[cfg_attr(not(unix), allow(dead_code))]
    Os(OsFd<'a>),
}

impl Input {
    pub fn filetype(&self) -> u8 {
        match self {
            Input::Inherit if io::stdin().is_terminal() => filetype::CHARACTER_DEVICE,
            _ => filetype::UNKNOWN,
        }
    }

    /// Reads into `buf`. With `nonblock`, an inherited stdin without data is `EAGAIN`.
    pub fn read(&mut self, buf: &mut [u8], nonblock: bool) -> WasiResult<usize> {
        match self {
            Input::Null => Ok(0),
            Input::Bytes { data, pos } => {
                let rest = data.get(*pos..).unwrap_or_default();
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
            Input::File(file) => retry(|| file.read(buf)),
            Input::Inherit => read_host_stdin(buf, nonblock),
        }
    }

    pub fn readiness(&self) -> Readiness<'static> {
        match self {
            Input::Null => Readiness::Ready { nbytes: 0, hangup: true },
            Input::Bytes { data, pos } => {
                let left = data.len().saturating_sub(*pos) as u64;
                Readiness::Ready { nbytes: left, hangup: left == 0 }
            }
            Input::File(_) => Readiness::Ready { nbytes: 0, hangup: false },
            #[cfg(unix)]
            Input::Inherit => Readiness::Os(rustix::stdio::stdin()),
            #[cfg(not(unix))]
            Input::Inherit => Readiness::Ready { nbytes: 0, hangup: false },
        }
    }
}

#[cfg(unix)]
fn read_host_stdin(buf: &mut [u8], nonblock: bool) -> WasiResult<usize> {
    // The raw descriptor, not `std::io::stdin()`: its buffer would hide data from `poll`.
    let fd = rustix::stdio::stdin();
    if nonblock {
        let mut fds = [rustix::event::PollFd::from_borrowed_fd(fd, rustix::event::PollFlags::IN)];
        let zero = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
        if rustix::event::poll(&mut fds, Some(&zero))? == 0 {
            return Err(Errno::Again);
        }
    }
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return Ok(other?),
        }
    }
}

#[cfg(not(unix))]
fn read_host_stdin(buf: &mut [u8], _nonblock: bool) -> WasiResult<usize> {
    retry(|| io::stdin().read(buf))
}

/// Which host stream an inherited output writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostStream {
    Stdout,
    Stderr,
}

/// The sink behind descriptors 1 and 2.
#[derive(Debug)]
pub(crate) enum Output {
    Null,
    Inherit(HostStream),
    Capture(CaptureBuffer),
    File(File),
}

impl Output {
    pub fn filetype(&self) -> u8 {
        let terminal = match self {
            Output::Inherit(HostStream::Stdout) => io::stdout().is_terminal(),
            Output::Inherit(HostStream::Stderr) => io::stderr().is_terminal(),
            _ => false,
        };
        if terminal { filetype::CHARACTER_DEVICE } else { filetype::UNKNOWN }
    }

    pub fn write(&mut self, buf: &[u8]) -> WasiResult<usize> {
        match self {
            Output::Null => Ok(buf.len()),
            Output::Capture(capture) => {
                capture.append(buf);
                Ok(buf.len())
            }
            Output::File(file) => retry(|| file.write(buf)),
            Output::Inherit(HostStream::Stdout) => {
                let mut out = io::stdout().lock();
                let n = retry(|| out.write(buf))?;
                out.flush()?;
                Ok(n)
            }
            Output::Inherit(HostStream::Stderr) => retry(|| io::stderr().lock().write(buf)),
        }
    }

    pub fn flush(&mut self) -> WasiResult<()> {
        match self {
            Output::Null | Output::Capture(_) => Ok(()),
            Output::File(file) => Ok(file.flush()?),
            Output::Inherit(HostStream::Stdout) => Ok(io::stdout().flush()?),
            Output::Inherit(HostStream::Stderr) => Ok(io::stderr().flush()?),
        }
    }
}

/// Runs an I/O call again when a signal interrupted it.
pub(crate) fn retry<T>(mut op: impl FnMut() -> io::Result<T>) -> WasiResult<T> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other.map_err(Errno::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_buffers_share_their_bytes() {
        let a = CaptureBuffer::new();
        let b = a.clone();
        let mut out = Output::Capture(b);
        assert_eq!(out.write(b"hello"), Ok(5));
        assert_eq!(a.contents(), b"hello");
        assert_eq!(a.to_string_lossy(), "hello");
        assert_eq!(a.take(), b"hello");
        assert!(a.is_empty());
        assert_ne!(a, CaptureBuffer::new());
    }

    #[test]
    fn byte_input_reads_then_ends() {
        let mut input = Input::Bytes { data: b"abc".to_vec(), pos: 0 };
        let mut buf = [0u8; 2];
        assert_eq!(input.read(&mut buf, false), Ok(2));
        assert_eq!(&buf, b"ab");
        assert_eq!(input.read(&mut buf, false), Ok(1));
        assert_eq!(input.read(&mut buf, false), Ok(0));
        assert_eq!(Input::Null.read(&mut buf, false), Ok(0));
    }
}
