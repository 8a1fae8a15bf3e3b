//! `--preload NAME=MODULE`: instantiates MODULE with WASI first and offers its exported
//! functions as the imports of module NAME, as `wasmtime run --preload` does — e.g. the `bench`
//! module that sightglass benchmarks import.
//!
//! Each instance keeps its own store, so what crosses is function calls, through the host
//! ([`wasmux::forward`]); a main module importing a preloaded memory, table or global is
//! refused as unsupported, naming it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wasmux::wasi::{WasiConfig, WasiCtx, WasiEnvExt};
use wasmux::{
    Config, DynEngine, Error, ExternType, HostEnv, Limits, ModuleInfo, Result, SharedInstance,
};

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

/// Instantiates every preloaded module on `engine` with WASI as `wasi` describes and `limits`,
/// running a reactor's `_initialize`, and offers each one's functions that `main` imports from
/// its name in `env`. An import a preloaded module does not export is left for linking to
/// report, naming it.
pub fn link(
    engine: &dyn DynEngine,
    config: &Config,
    preloads: &[Preload],
    main: &ModuleInfo,
    wasi: &WasiConfig,
    limits: &Limits,
    env: &mut HostEnv,
) -> Result<()> {
    for preload in preloads {
        let file = module::open(&preload.path)?;
        let compiled = module::load_cached_file(engine, config, &file, false)?;
        let mut own = HostEnv::new();
        own.limits(limits.clone()).wasi(WasiCtx::new(wasi)?);
        let mut instance = engine.instantiate(&compiled, own)?;
        if let Some(status) = instance.initialize()? {
            return Err(Error::Exit(status));
        }
        let exported: Vec<String> = instance.exports().iter().map(|e| e.name.clone()).collect();
        let shared: SharedInstance = Arc::new(Mutex::new(instance));
        for import in main.imports.iter().filter(|i| i.module == preload.name) {
            if !exported.contains(&import.name) {
                continue;
            }
            match &import.ty {
                ExternType::Func(_) => {
                    env.func(wasmux::forward(&shared, &preload.name, &import.name)?);
                }
                other => {
                    return Err(Error::unsupported(
                        "wasmux",
                        format!(
                            "--preload linking `{}::{}`, a {other}: preloaded modules provide \
                             functions only so far",
                            import.module, import.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
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
