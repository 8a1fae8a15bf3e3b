//! Running a WASI command in a few lines: bytes in, exit status and output out.

use crate::wasi::{CaptureBuffer, WasiConfig, WasiCtx, WasiEnvExt};
use crate::{DynEngine, Error, HostEnv, Limits, Result};

/// What a WASI command produced.
#[derive(Debug)]
pub struct CommandOutput {
    /// The exit status, or why the guest did not finish (a trap, a limit).
    pub status: Result<i32>,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
}

/// Compiles `module` (binary or text) and runs it as a WASI command with `wasi`'s arguments,
/// environment and directories, capturing stdout and stderr.
///
/// Errors that stop the command from starting (an invalid module, a missing import, a bad
/// preopen) are `Err`; what happens once it runs is in [`CommandOutput::status`].
///
/// ```
/// # fn main() -> wasmux::Result<()> {
/// # let Some(backend) = wasmux::engines().first().copied() else { return Ok(()) };
/// let engine = wasmux::engine(backend, &wasmux::Config::default())?;
/// let mut wasi = wasmux::wasi::WasiConfig::new();
/// wasi.args(["hello.wat", "a", "b"]);
/// let out = wasmux::run_command(engine.as_ref(), include_bytes!("../../examples/hello.wat"), &wasi, &wasmux::Limits::new())?;
/// assert_eq!(out.stdout, b"Hello from WebAssembly!\n");
/// assert_eq!(out.status?, 2);
/// # Ok(()) }
/// ```
///
/// A precompiled artifact is refused with [`Error::InvalidArgument`]: this safe function never
/// turns bytes into native code. Load a trusted artifact with the `unsafe`
/// [`DynEngine::load_precompiled`] and instantiate it yourself.
pub fn run_command(
    engine: &dyn DynEngine,
    module: &[u8],
    wasi: &WasiConfig,
    limits: &Limits,
) -> Result<CommandOutput> {
    if crate::artifact_engine(module).is_some() {
        return Err(Error::InvalidArgument(
            "run_command compiles modules only, and these bytes are a precompiled artifact (native \
             code): load one you trust with the unsafe DynEngine::load_precompiled"
                .into(),
        ));
    }
    let module = engine.compile(&crate::parse(module)?)?;
    let stdout = CaptureBuffer::new();
    let stderr = CaptureBuffer::new();
    let mut config = wasi.clone();
    config.stdout_buffer(stdout.clone()).stderr_buffer(stderr.clone());
    let mut env = HostEnv::new();
    env.limits(limits.clone()).wasi(WasiCtx::new(&config)?);
    let mut instance = engine.instantiate(&module, env)?;
    let status = instance.run();
    Ok(CommandOutput { status, stdout: stdout.take(), stderr: stderr.take() })
}

impl CommandOutput {
    /// The exit status; a trap or other failure as the error.
    pub fn exit_status(&self) -> std::result::Result<i32, &Error> {
        self.status.as_ref().copied()
    }
}
