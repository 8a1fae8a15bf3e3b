//! Choosing the engine and loading a module file, shared by the commands.

use std::path::Path;

use wasmux::{Backend, Config, DynEngine, DynModule, Error, Result};

/// The bytes of a module file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
}

/// The engine asked for; else the one that made an artifact; else the preferred one.
pub fn choose_backend(requested: Option<&str>, bytes: &[u8]) -> Result<Backend> {
    match (requested, wasmux::artifact_engine(bytes)) {
        (Some(name), _) => name.parse(),
        (None, Some(name)) => name.parse(),
        (None, None) => wasmux::default_backend(),
    }
}

/// Creates the engine.
pub fn engine(backend: Backend, config: &Config) -> Result<Box<dyn DynEngine>> {
    wasmux::engine(backend, config)
}

/// Compiles the module, or loads it if it is a precompiled artifact.
pub fn load(engine: &dyn DynEngine, bytes: &[u8]) -> Result<DynModule> {
    // SAFETY: an artifact given on the command line is the user's own output of
    // `wasmux compile`: running a file is trusting it, as with any native executable. Damaged
    // or foreign artifacts are still refused by the envelope check.
    unsafe { wasmux::load(engine, bytes) }
}
