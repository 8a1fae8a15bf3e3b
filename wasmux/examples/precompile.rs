//! Precompiled artifacts and the compiled-module cache. Engines that can (wasmtime, wasmer)
//! precompile a module to an artifact, which is loaded later without compiling; wasmi, an
//! interpreter, says it cannot. Then `wasmux::cache::Cache`, in a temporary directory: the
//! first load compiles and stores the artifact, the second loads it from the cache.
//!
//! ```sh
//! cargo run -p wasmux --example precompile -- wasmtime   # or wasmer, wasmi
//! ```

use std::time::Instant;

use wasmux::cache::{Cache, CacheEvent};
use wasmux::{Backend, Capability, Config, DynEngine, DynModule, Error, HostEnv, Val};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BoxResult<()> {
    let backend = match std::env::args().nth(1) {
        Some(name) => name.parse::<Backend>()?,
        None => wasmux::default_backend()?,
    };
    let config = Config::default();
    let engine = wasmux::engine(backend, &config)?;
    let info = engine.info();
    println!("engine: {} {} ({})", info.name, info.version, info.kind);
    let wasm = wasmux::parse(include_bytes!("precompile.wat"))?;

    println!("precompile:");
    precompile(engine.as_ref(), &wasm)?;
    println!("cache:");
    cache(engine.as_ref(), &config, &wasm)
}

/// Calls `fib(25)` on a fresh instance of `module`.
fn call_fib(engine: &dyn DynEngine, module: &DynModule) -> BoxResult<Val> {
    let mut instance = engine.instantiate(module, HostEnv::new())?;
    let results = instance.call("fib", &[Val::I32(25)])?;
    results.first().cloned().ok_or_else(|| "fib returned nothing".into())
}

fn precompile(engine: &dyn DynEngine, wasm: &[u8]) -> BoxResult<()> {
    let info = engine.info();
    if let Err(e) = info.require(Capability::Precompile) {
        // `precompile` itself would fail the same way, with `Error::Unsupported`.
        println!("  {} cannot precompile: {e}", info.name);
        return Ok(());
    }
    let artifact = engine.precompile(wasm)?;
    println!(
        "  artifact: {} bytes, made by {}",
        artifact.len(),
        wasmux::artifact_engine(&artifact).unwrap_or("an unknown engine")
    );
    // A real embedder would write the artifact to disk and load it in a later process (or on
    // another machine with the same engine, version, configuration and CPU).
    // SAFETY: the artifact holds native code that runs unchecked, so it must come from a
    // trusted `precompile`: it was made just above, by this process, from our own module, and
    // has been in memory ever since.
    let module = unsafe { engine.load_precompiled(&artifact) }?;
    println!("  loaded without compiling: fib(25) = {}", call_fib(engine, &module)?);

    // A damaged artifact is refused before any of its code is mapped: wasmux's envelope
    // carries a checksum of the whole artifact.
    let mut damaged = artifact;
    if let Some(last) = damaged.last_mut() {
        *last ^= 0xff;
    }
    // SAFETY: as above, these are our own artifact's bytes; the one byte flipped fails the
    // envelope's CRC-32 check, which runs before the engine sees any code, so nothing runs.
    match unsafe { engine.load_precompiled(&damaged) } {
        Err(e @ Error::Artifact { .. }) => println!("  a damaged copy is refused: {e}"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("a damaged artifact was accepted".into()),
    }
    Ok(())
}

fn cache(engine: &dyn DynEngine, config: &Config, wasm: &[u8]) -> BoxResult<()> {
    // A private cache for this run; the default one is `Cache::from_env()` (~/.cache/wasmux).
    let dir = tempfile::tempdir()?;
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let can_precompile = engine.info().capabilities.has(Capability::Precompile);
    if !can_precompile {
        println!(
            "  {} cannot precompile: the cache compiles the module every time and stores nothing",
            engine.info().name
        );
    }
    for run in 1..=2 {
        let start = Instant::now();
        let mut events = Vec::new();
        let mut hit = false;
        // The key is the module's hash, the engine, its version and build, the config and the CPU.
        let module = cache.load_or_compile_with(engine, config, wasm, &mut |event| {
            events.push(match event {
                CacheEvent::Hit { .. } => {
                    hit = true;
                    "loaded from the cache".to_string()
                }
                CacheEvent::Compiling => "compiling".to_string(),
                CacheEvent::Compiled { elapsed } => format!("compiled in {elapsed:.1?}"),
                CacheEvent::Stored { bytes, .. } => format!("stored {bytes} bytes"),
                CacheEvent::Evicted(removed) => format!("evicted {} entries", removed.entries),
                CacheEvent::Warning(warning) => format!("warning: {warning}"),
                other => format!("{other:?}"),
            });
        })?;
        let elapsed = start.elapsed();
        println!("  run {run}: {} ({elapsed:.1?})", events.join(", "));
        println!("  run {run}: fib(25) = {}", call_fib(engine, &module)?);
        if hit != (can_precompile && run == 2) {
            return Err(format!(
                "run {run}: unexpected cache {}",
                if hit { "hit" } else { "miss" }
            )
            .into());
        }
    }
    let stats = cache.stats()?;
    println!(
        "  cache stats: entries {}, bytes {}, hits {}, misses {}",
        stats.entries, stats.bytes, stats.hits, stats.misses
    );
    Ok(())
}
