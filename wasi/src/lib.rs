//! WASI preview1 (`wasi_snapshot_preview1`), written once and bound into every engine through
//! host functions.
//!
//! A [`WasiConfig`] says what the guest gets; [`WasiCtx::new`] checks it and opens what it
//! names (before the guest starts); [`WasiEnvExt::wasi`] installs the context in a
//! [`HostEnv`](wasmux_core::HostEnv) and offers the 46 preview1 functions
//! ([`add_to_imports`]). Each function is an ordinary [`HostFunc`](wasmux_core::HostFunc) that
//! finds the context in the caller's [`HostState`](wasmux_core::HostState), so a backend only
//! has to call host functions with the caller's memory, and knows nothing of WASI; `proc_exit`
//! surfaces as [`HostError::Exit`](wasmux_core::HostError::Exit).
//!
//! The guest reaches only what was preopened: paths are resolved by cap-std inside the
//! directory descriptors, and the preview1 rights model limits each descriptor.
//!
//! ```
//! use wasmux_core::HostEnv;
//! use wasmux_wasi::{WasiConfig, WasiCtx, WasiEnvExt};
//!
//! let mut config = WasiConfig::new();
//! config.args(["prog", "input.txt"]).capture_stdout();
//! let ctx = WasiCtx::new(&config)?;
//! let stdout = ctx.stdout_buffer().expect("captured");
//! let mut env = HostEnv::new();
//! env.wasi(ctx);
//! assert!(env.imports.get("wasi_snapshot_preview1", "fd_write").is_some());
//! // ... instantiate and run; afterwards:
//! assert!(stdout.contents().is_empty());
//! # Ok::<(), wasmux_core::Error>(())
//! ```

mod binding;
mod clocks;
mod config;
mod errno;
mod fd_table;
mod fs;
mod functions;
mod memory;
mod poll;
mod random;
mod sockets;
mod stable_metadata;
mod stdio;
mod types;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use wasmux_core::Imports;
use wasmux_core::{Error, Result};

pub use binding::{WasiEnvExt, WasiStateExt};
pub use config::{
    ClockConfig, DETERMINISTIC_START_UNIX_NANOS, DETERMINISTIC_STEP_NANOS, DirAccess, OutputConfig,
    PreopenDir, StdinConfig, WasiConfig,
};
pub use errno::Errno;
pub use functions::{FUNCTION_NAMES, MODULE};
pub use memory::GuestMemory;
pub use sockets::Socket;
pub use stdio::CaptureBuffer;

use clocks::Clocks;
use fd_table::{Descriptor, DirHandle, FdTable, Handle};
use random::Random;
use stable_metadata::StableMetadata;
use stdio::{HostStream, Input, Output};
use types::Rights;

/// The WASI state of one instance: arguments, environment, descriptors, clocks, randomness.
///
/// Made from a [`WasiConfig`] with [`WasiCtx::new`], then handed to
/// [`WasiEnvExt::wasi`]. Keep a [`CaptureBuffer`] handle
/// ([`WasiCtx::stdout_buffer`]) to read captured output after the context has moved into the
/// instance.
pub struct WasiCtx {
    /// Each argument followed by its NUL.
    args: Vec<Vec<u8>>,
    /// Each `NAME=value` followed by its NUL.
    env: Vec<Vec<u8>>,
    pub(crate) table: FdTable,
    pub(crate) clocks: Clocks,
    pub(crate) random: Random,
    /// Present when file metadata is stable ([`WasiConfig::stable_file_metadata`]).
    pub(crate) stable: Option<StableMetadata>,
    stdout: Option<CaptureBuffer>,
    stderr: Option<CaptureBuffer>,
}

impl Default for WasiCtx {
    /// A context that gives the guest nothing: no arguments, no environment, no directories,
    /// stdio connected to nothing, host clocks and randomness.
    fn default() -> Self {
        let mut table = FdTable::default();
        for desc in [
            Descriptor::new(Handle::Stdin(Input::Null), Rights::STDIN, Rights::NONE),
            Descriptor::new(Handle::Stdout(Output::Null), Rights::STDOUT, Rights::NONE),
            Descriptor::new(Handle::Stdout(Output::Null), Rights::STDOUT, Rights::NONE),
        ] {
            // Three pushes into an empty table cannot fail.
            let _ = table.push(desc);
        }
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            table,
            clocks: Clocks::new(&ClockConfig::System),
            random: Random::new(None),
            stable: None,
            stdout: None,
            stderr: None,
        }
    }
}

fn with_nul(s: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(s.len() + 1);
    bytes.extend_from_slice(s.as_bytes());
    bytes.push(0);
    bytes
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Config(message.into())
}

impl WasiCtx {
    /// Checks `config` and opens everything it names: preopened directories, stdio files.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an argument or environment entry with a NUL byte, an environment
    /// name that is empty or holds `=`, an inherited host variable that is not UTF-8, or an
    /// empty guest path; [`Error::Io`] (naming the path) for a preopened directory or stdio
    /// file that cannot be opened.
    pub fn new(config: &WasiConfig) -> Result<WasiCtx> {
        let mut args = Vec::with_capacity(config.args.len());
        for (i, arg) in config.args.iter().enumerate() {
            if arg.contains('\0') {
                return Err(config_error(format!("WASI argument {i} contains a NUL byte")));
            }
            args.push(with_nul(arg));
        }

        let mut vars: Vec<(String, String)> = Vec::new();
        if config.inherit_env {
            for (name, value) in std::env::vars_os() {
                let name = name.into_string().map_err(|name| {
                    config_error(format!("host environment variable {name:?} is not valid UTF-8"))
                })?;
                let value = value.into_string().map_err(|_| {
                    config_error(format!("host environment variable `{name}` is not valid UTF-8"))
                })?;
                vars.push((name, value));
            }
        }
        for (name, value) in &config.env {
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(config_error(format!(
                    "invalid WASI environment variable name {name:?}: it must be non-empty \
                     and hold neither `=` nor NUL"
                )));
            }
            if value.contains('\0') {
                return Err(config_error(format!(
                    "WASI environment variable `{name}` has a NUL byte in its value"
                )));
            }
            match vars.iter_mut().find(|(n, _)| n == name) {
                Some(existing) => existing.1 = value.clone(),
                None => vars.push((name.clone(), value.clone())),
            }
        }
        let env = vars.iter().map(|(n, v)| with_nul(&format!("{n}={v}"))).collect();

        let input = match &config.stdin {
            StdinConfig::Null => Input::Null,
            StdinConfig::Inherit => Input::Inherit,
            StdinConfig::Bytes(bytes) => Input::Bytes { data: bytes.clone(), pos: 0 },
            StdinConfig::File(path) => Input::File(File::open(path).map_err(|e| {
                Error::io(format!("opening WASI stdin file {}", path.display()), e)
            })?),
        };
        let (stdout, stdout_capture) = output(&config.stdout, HostStream::Stdout, "stdout")?;
        let (stderr, stderr_capture) = output(&config.stderr, HostStream::Stderr, "stderr")?;

        let mut ctx = WasiCtx {
            args,
            env,
            table: FdTable::default(),
            clocks: Clocks::new(&config.clock),
            random: Random::new(config.random_seed),
            stable: config.stable_file_metadata.then(StableMetadata::default),
            stdout: stdout_capture,
            stderr: stderr_capture,
        };
        for handle in [Handle::Stdin(input), Handle::Stdout(stdout), Handle::Stdout(stderr)] {
            let rights =
                if matches!(handle, Handle::Stdin(_)) { Rights::STDIN } else { Rights::STDOUT };
            ctx.table.push(Descriptor::new(handle, rights, Rights::NONE)).map_err(table_error)?;
        }

        for preopen in &config.preopens {
            let dir = Dir::open_ambient_dir(&preopen.host, ambient_authority()).map_err(|e| {
                Error::io(format!("opening preopened directory {}", preopen.host.display()), e)
            })?;
            ctx.push_preopened_dir(dir, &preopen.guest, preopen.access)?;
        }
        Ok(ctx)
    }

    /// Offers an already open directory to the guest as `guest_path`; returns its descriptor.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `guest_path` is empty or holds a NUL byte, or the descriptor
    /// table is full.
    pub fn push_preopened_dir(
        &mut self,
        dir: Dir,
        guest_path: &str,
        access: DirAccess,
    ) -> Result<u32> {
        if guest_path.is_empty() || guest_path.contains('\0') {
            return Err(config_error(format!(
                "invalid guest path {guest_path:?} for a preopened directory: it must be \
                 non-empty and hold no NUL"
            )));
        }
        let (base, inheriting) = match access {
            DirAccess::ReadWrite => (Rights::DIR, Rights::DIR | Rights::FILE),
            DirAccess::ReadOnly => {
                (Rights::DIR_READ_ONLY, Rights::DIR_READ_ONLY | Rights::FILE_READ_ONLY)
            }
        };
        let handle =
            Handle::Dir(DirHandle { dir, preopen: Some(guest_path.to_owned()), listing: None });
        self.table.push(Descriptor::new(handle, base, inheriting)).map_err(table_error)
    }

    /// Hands a socket to the guest; returns its descriptor. A listener accepts with
    /// `sock_accept`; a stream reads and writes with `fd_read`/`fd_write` and `sock_*`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the descriptor table is full.
    pub fn push_socket(&mut self, socket: impl Into<Socket>) -> Result<u32> {
        let socket = socket.into();
        let rights =
            if socket.is_listener() { Rights::SOCKET_LISTENER } else { Rights::SOCKET_STREAM };
        self.table
            .push(Descriptor::new(Handle::Socket(socket), rights, Rights::NONE))
            .map_err(table_error)
    }

    /// What the guest wrote to standard output, when it is captured (else empty).
    pub fn stdout_captured(&self) -> Vec<u8> {
        self.stdout.as_ref().map(CaptureBuffer::contents).unwrap_or_default()
    }

    /// What the guest wrote to standard error, when it is captured (else empty).
    pub fn stderr_captured(&self) -> Vec<u8> {
        self.stderr.as_ref().map(CaptureBuffer::contents).unwrap_or_default()
    }

    /// A handle on the standard output capture, if standard output is captured. It stays
    /// readable after the context has moved into an instance.
    pub fn stdout_buffer(&self) -> Option<CaptureBuffer> {
        self.stdout.clone()
    }

    /// A handle on the standard error capture, if standard error is captured.
    pub fn stderr_buffer(&self) -> Option<CaptureBuffer> {
        self.stderr.clone()
    }

    /// The guest's arguments.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| std::str::from_utf8(&a[..a.len() - 1]).unwrap_or_default())
    }

    /// The guest's environment, as `NAME=value` entries.
    pub fn env(&self) -> impl Iterator<Item = &str> {
        self.env.iter().map(|e| std::str::from_utf8(&e[..e.len() - 1]).unwrap_or_default())
    }
}

fn output(
    config: &OutputConfig,
    stream: HostStream,
    what: &str,
) -> Result<(Output, Option<CaptureBuffer>)> {
    Ok(match config {
        OutputConfig::Null => (Output::Null, None),
        OutputConfig::Inherit => (Output::Inherit(stream), None),
        OutputConfig::Capture => {
            let buffer = CaptureBuffer::new();
            (Output::Capture(buffer.clone()), Some(buffer))
        }
        OutputConfig::Buffer(buffer) => (Output::Capture(buffer.clone()), Some(buffer.clone())),
        OutputConfig::File(path) => {
            let file = File::create(path).map_err(|e| {
                Error::io(format!("creating WASI {what} file {}", path.display()), e)
            })?;
            (Output::File(file), None)
        }
    })
}

fn table_error(errno: Errno) -> Error {
    config_error(format!("WASI descriptor table: {errno}"))
}

impl fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args().collect::<Vec<_>>())
            .field("env_vars", &self.env.len())
            .field("descriptors", &self.table.iter().map(|(fd, _)| fd).collect::<Vec<_>>())
            .field("clocks", &self.clocks)
            .finish_non_exhaustive()
    }
}

/// Offers the 46 `wasi_snapshot_preview1` functions. They work on the [`WasiCtx`] in the
/// caller's host state; without one, they trap.
pub fn add_to_imports(imports: &mut Imports) {
    for func in functions::all() {
        imports.func(func.clone());
    }
}
