//! Choosing the engine and loading a module file, shared by the commands.

use std::path::Path;

use wasmux::cache::{Cache, CacheEvent, ModuleFile};
use wasmux::{Backend, Config, DynEngine, DynModule, Error, Result};

use crate::cache::{self, Spinner};

/// The bytes of a module file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| read_error(path, e))
}

/// A module file, opened to be read only as far as needed.
pub fn open(path: &Path) -> Result<ModuleFile> {
    ModuleFile::open(path).map_err(|e| read_error(path, e))
}

/// The whole of an opened module file.
pub fn bytes(file: &ModuleFile) -> Result<&[u8]> {
    file.bytes().map_err(|e| read_error(file.path(), e))
}

/// Enough of an opened module file to tell an artifact, for [`choose_backend`]; read once.
pub fn head(file: &ModuleFile) -> Result<&[u8]> {
    file.head().map_err(|e| read_error(file.path(), e))
}

fn read_error(path: &Path, error: std::io::Error) -> Error {
    Error::io(format!("cannot read {}", path.display()), error)
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

/// Compiles the module, or loads it if it is a precompiled artifact and the user allowed
/// that (`--allow-precompiled`). Does not use the cache: for commands that only look at a
/// module's interface.
pub fn load(
    engine: &dyn DynEngine,
    bytes: &[u8],
    path: &Path,
    allow_precompiled: bool,
) -> Result<DynModule> {
    if wasmux::artifact_engine(bytes).is_none() {
        return engine.compile(&wasmux::parse(bytes)?);
    }
    if !allow_precompiled {
        return Err(precompiled_refused(path));
    }
    // SAFETY: the user asked for this file to be loaded as native code with
    // `--allow-precompiled`, vouching for where it came from, as running any native executable
    // does. Damaged or foreign artifacts are still refused by the envelope check.
    unsafe { wasmux::load(engine, bytes) }
}

/// A precompiled artifact is native code that runs unchecked: a downloaded file must never
/// become one by accident, so loading it is opt-in, as with `wasmtime run`.
fn precompiled_refused(path: &Path) -> Error {
    Error::InvalidArgument(format!(
        "{} is a precompiled artifact (native code); if you trust where it came from, run it \
         with --allow-precompiled",
        path.display()
    ))
}

/// Loads a module to run: through the compiled-module cache (unless `--no-cache`, or the
/// engine cannot precompile), compiling it if it is not there. An artifact is loaded directly
/// if `allow_precompiled`, else refused.
///
/// `config` must be the one `engine` was built with: it is part of the cache key. While a
/// compilation runs for longer than a moment, a spinner naming `path` shows on a terminal's
/// stderr; entries the cache had to discard are reported as `wasmux: warning: ...` lines.
pub fn load_cached(
    engine: &dyn DynEngine,
    config: &Config,
    bytes: &[u8],
    path: &Path,
    allow_precompiled: bool,
) -> Result<DynModule> {
    if wasmux::artifact_engine(bytes).is_some() {
        return load(engine, bytes, path, allow_precompiled);
    }
    through_cache(
        engine,
        path,
        || Ok(bytes),
        |cache, on_event| cache.load_or_compile_with(engine, config, bytes, on_event),
    )
}

/// As [`load_cached`], for a module file: a cached start of an unchanged file reads only its
/// first bytes.
pub fn load_cached_file(
    engine: &dyn DynEngine,
    config: &Config,
    file: &ModuleFile,
    allow_precompiled: bool,
) -> Result<DynModule> {
    if wasmux::artifact_engine(head(file)?).is_some() {
        return load(engine, bytes(file)?, file.path(), allow_precompiled);
    }
    through_cache(
        engine,
        file.path(),
        || bytes(file),
        |cache, on_event| cache.load_or_compile_file_with(engine, config, file, on_event),
    )
}

/// Loads by `cached` with a spinner and warnings; without a cache (`--no-cache`), compiles
/// the module `wasm` reads, under the spinner.
fn through_cache<'a>(
    engine: &dyn DynEngine,
    path: &Path,
    wasm: impl FnOnce() -> Result<&'a [u8]>,
    cached: impl FnOnce(&Cache, &mut dyn FnMut(&CacheEvent<'_>)) -> Result<DynModule>,
) -> Result<DynModule> {
    let what = || {
        let name = path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        format!("{name} with {}", engine.info().name)
    };
    let Some(cache) = cache::for_loading() else {
        let _spinner = Spinner::start(what());
        return engine.compile(&wasmux::parse(wasm()?)?);
    };
    let mut spinner = None;
    let mut on_event = |event: &CacheEvent<'_>| match event {
        CacheEvent::Compiling => spinner = Some(Spinner::start(what())),
        CacheEvent::Compiled { .. } => spinner = None,
        CacheEvent::Warning(warning) => {
            spinner = None;
            cache::warning(&warning.to_string());
        }
        _ => {}
    };
    cached(&cache, &mut on_event)
}
