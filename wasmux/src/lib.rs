//! Embed WebAssembly through one API and run it on wasmtime (JIT), wasmer (AOT) or wasmi
//! (interpreter), chosen by cargo feature at build time or by name at run time.
//!
//! ```
//! # fn main() -> wasmux::Result<()> {
//! # let Some(backend) = wasmux::engines().first().copied() else { return Ok(()) };
//! let engine = wasmux::engine(backend, &wasmux::Config::default())?;
//! let wasm = wasmux::parse(br#"(module (func (export "add") (param i32 i32) (result i32)
//!     local.get 0 local.get 1 i32.add))"#)?;
//! let module = engine.compile(&wasm)?;
//! let mut instance = engine.instantiate(&module, wasmux::HostEnv::new())?;
//! let sum = instance.call("add", &[wasmux::Val::I32(2), wasmux::Val::I32(40)])?;
//! assert_eq!(sum, [wasmux::Val::I32(42)]);
//! # Ok(()) }
//! ```
//!
//! Features: `wasmtime`, `wasmer` (Cranelift), `wasmer-singlepass`, `wasmer-llvm` (needs LLVM
//! 22.1 installed), `wasmer-headless` (loads artifacts only), `wasmi`, `all-engines` (all but
//! LLVM), and `wasi` (WASI preview 1 on cap-std). The default is `all-engines` and `wasi`. Any
//! subset of engines builds, including none, with or without `wasi`.

#[cfg(feature = "wasi")]
mod command;

use std::borrow::Cow;

#[cfg(feature = "wasi")]
pub use command::{CommandOutput, run_command};
pub use wasmux_core::*;
/// WASI preview 1 (feature `wasi`, on by default): [`wasi::WasiConfig`] says what a guest gets,
/// [`wasi::WasiEnvExt::wasi`] gives it to an instance.
#[cfg(feature = "wasi")]
pub use wasmux_wasi as wasi;
#[cfg(feature = "wasi")]
pub use wasmux_wasi::{
    CaptureBuffer, ClockConfig, DirAccess, OutputConfig, PreopenDir, StdinConfig, WasiConfig,
    WasiCtx, WasiEnvExt, WasiStateExt,
};

pub mod cache;

/// The engine types themselves, for static dispatch.
pub mod backends {
    #[cfg(any(
        feature = "wasmer",
        feature = "wasmer-singlepass",
        feature = "wasmer-llvm",
        feature = "wasmer-headless"
    ))]
    pub use wasmux_wasmer::WasmerEngine;
    #[cfg(feature = "wasmi")]
    pub use wasmux_wasmi::WasmiEngine;
    #[cfg(feature = "wasmtime")]
    pub use wasmux_wasmtime::WasmtimeEngine;
}

/// Every engine compiled into this build, for [`HostFunc::wrap_for`]: a function made with
/// `HostFunc::wrap_for::<wasmux::CompiledEngines, _, _>(..)` runs as each of these engines' own
/// typed host function, at the speed of wasmtime's `func_wrap`, wasmer's typed functions and
/// wasmi's `Func::wrap`.
pub type CompiledEngines = (compiled::Wasmtime, compiled::Wasmer, compiled::Wasmi);

/// Each engine type, or `()` (which makes no typed form) when it is not compiled in.
mod compiled {
    #[cfg(any(
        feature = "wasmer",
        feature = "wasmer-singlepass",
        feature = "wasmer-llvm",
        feature = "wasmer-headless"
    ))]
    pub type Wasmer = wasmux_wasmer::WasmerEngine;
    #[cfg(not(any(
        feature = "wasmer",
        feature = "wasmer-singlepass",
        feature = "wasmer-llvm",
        feature = "wasmer-headless"
    )))]
    pub type Wasmer = ();
    #[cfg(feature = "wasmi")]
    pub type Wasmi = wasmux_wasmi::WasmiEngine;
    #[cfg(not(feature = "wasmi"))]
    pub type Wasmi = ();
    #[cfg(feature = "wasmtime")]
    pub type Wasmtime = wasmux_wasmtime::WasmtimeEngine;
    #[cfg(not(feature = "wasmtime"))]
    pub type Wasmtime = ();
}

/// The engines compiled into this build, in order of preference.
pub fn engines() -> Vec<Backend> {
    Backend::ALL.into_iter().filter(|b| is_compiled_in(*b)).collect()
}

/// Whether `backend` is compiled into this build.
pub fn is_compiled_in(backend: Backend) -> bool {
    match backend {
        Backend::Wasmtime => cfg!(feature = "wasmtime"),
        Backend::Wasmer => cfg!(any(
            feature = "wasmer",
            feature = "wasmer-singlepass",
            feature = "wasmer-llvm",
            feature = "wasmer-headless"
        )),
        Backend::Wasmi => cfg!(feature = "wasmi"),
    }
}

/// The preferred compiled-in engine, or an error saying that none is.
pub fn default_backend() -> Result<Backend> {
    engines().first().copied().ok_or_else(no_engine)
}

fn no_engine() -> Error {
    Error::Config(
        "no engine is compiled into this build: enable a feature of the `wasmux` crate \
         (wasmtime, wasmer, wasmi or all-engines)"
            .into(),
    )
}

/// Creates the engine `backend` with `config`, if it is compiled in.
pub fn engine(backend: Backend, config: &Config) -> Result<Box<dyn DynEngine>> {
    let _ = config;
    #[allow(unreachable_patterns)]
    match backend {
        #[cfg(feature = "wasmtime")]
        Backend::Wasmtime => Ok(backends::WasmtimeEngine::new(config)?.into_dyn()),
        #[cfg(any(
            feature = "wasmer",
            feature = "wasmer-singlepass",
            feature = "wasmer-llvm",
            feature = "wasmer-headless"
        ))]
        Backend::Wasmer => Ok(backends::WasmerEngine::new(config)?.into_dyn()),
        #[cfg(feature = "wasmi")]
        Backend::Wasmi => Ok(backends::WasmiEngine::new(config)?.into_dyn()),
        other => Err(Error::Config(format!(
            "engine `{other}` is not compiled into this build (rebuild with the `{other}` feature)"
        ))),
    }
}

/// The binary form of a module given as binary or as WebAssembly text. A text error reads as
/// one line: the message, then the line and column.
pub fn parse(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    wat::parse_bytes(bytes).map_err(|e| Error::Parse { message: one_line(&e.to_string()) })
}

/// Folds the parser's rendered error (message, `--> file:line:col`, source excerpt) into one line.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let message = lines.next().unwrap_or_default().trim();
    let location = lines.find_map(|l| l.trim().strip_prefix("--> ")).and_then(|place| {
        let mut parts = place.rsplitn(3, ':');
        Some((parts.next()?, parts.next()?))
    });
    match location {
        Some((column, line)) => format!("{message} (line {line}, column {column})"),
        None => message.to_string(),
    }
}

/// Compiles `bytes` (binary or text) on `engine`, or loads them if they are a precompiled
/// artifact of that engine.
///
/// # Safety
/// If `bytes` are an artifact, they are loaded as native code: see
/// [`Engine::load_precompiled`]. Only pass artifacts from a trusted source.
pub unsafe fn load(engine: &dyn DynEngine, bytes: &[u8]) -> Result<DynModule> {
    if artifact_engine(bytes).is_some() {
        // SAFETY: the caller vouches for the artifact's origin.
        return unsafe { engine.load_precompiled(bytes) };
    }
    engine.compile(&parse(bytes)?)
}
