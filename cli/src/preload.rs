//! `--preload NAME=MODULE`: instantiates MODULE first, with WASI, in the store the main module
//! will run in, and offers every export of it as the imports of module NAME, as `wasmtime run
//! --preload` does — e.g. the `bench` module that sightglass benchmarks import. Functions,
//! memories, tables and globals are shared, not copied: each module sees the other's writes.

use std::path::PathBuf;

use wasmux::{Config, DynEngine, DynInstance, Error, Imports, Result};

use crate::module;

/// One `--preload`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preload {
    /// The import module name it provides.
    pub name: String,
    /// The module file (`.wasm` or `.wat`).
    pub path: PathBuf,
}

/// `NAME=MODULE`.
pub fn parse_preload(text: &str) -> std::result::Result<Preload, String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok(Preload { name: name.to_string(), path: PathBuf::from(path) })
        }
        _ => Err(format!("`{text}`: expected NAME=MODULE, e.g. bench=stub.wasm")),
    }
}

/// Instantiates every preloaded module on `engine` into `store` in order, each linked to the
/// ones before it, running a reactor's `_initialize`; returns the imports offering each one's
/// exports under its name.
pub fn link(
    engine: &dyn DynEngine,
    config: &Config,
    preloads: &[Preload],
    store: &mut dyn DynInstance,
) -> Result<Imports> {
    let mut imports = Imports::new();
    for preload in preloads {
        let file = module::open(&preload.path)?;
        let compiled = module::load_cached_file(engine, config, &file, false)?;
        let exports = engine.instantiate_in(store, &compiled, &imports)?;
        if let Some(status) = store.initialize()? {
            return Err(Error::Exit(status));
        }
        imports.instance(&preload.name, &exports);
    }
    Ok(imports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_module() {
        assert_eq!(
            parse_preload("bench=stub.wat"),
            Ok(Preload { name: "bench".into(), path: "stub.wat".into() })
        );
        for bad in ["bench", "=stub.wat", "bench="] {
            assert!(parse_preload(bad).is_err(), "{bad}");
        }
    }
}
