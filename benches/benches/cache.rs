//! The compiled-module cache on a module of several MiB: a first run (compile and store), a
//! second run (load the cached artifact) and, as the baseline, the engine's own API loading
//! an artifact it made. Each "run" is what `wasmux run` does before and at the first call:
//! read the module file, get a module (from the cache or the engine), instantiate, call.
//!
//! Results land in criterion's group `cache_run`; `report` turns them into BENCHMARKS.md's
//! cache table and the targets of the cache issue (second run ≥ 20× faster than the first,
//! within 1.1× of the engine's own artifact load).

use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode};
use wasmux::backends::{WasmerEngine, WasmtimeEngine};
use wasmux::cache::{Cache, ModuleFile};
use wasmux::{Config, DynEngine, Engine, HostEnv, Val};
use wasmux_benches::raw::{Raw, RawWasmer, RawWasmtime};

/// Functions in the module: about 3 MiB of code.
const FUNCS: usize = 4096;

/// What `run(1)` returns on the sized module.
fn expected(engine: &dyn DynEngine, module: &[u8]) -> i64 {
    let module = engine.compile(module).expect("compile");
    run_module(engine, &module)
}

fn run_module(engine: &dyn DynEngine, module: &wasmux::DynModule) -> i64 {
    let mut instance = engine.instantiate(module, HostEnv::new()).expect("instantiate");
    match instance.call("run", &[Val::I32(1)]).expect("call").as_slice() {
        [Val::I64(v)] => *v,
        other => panic!("run returned {other:?}"),
    }
}

/// A `wasmux run` up to the first call's result, with the cache in `cache`: open the module
/// file, read its head to tell an artifact, get the module through the cache.
fn wasmux_run(engine: &dyn DynEngine, config: &Config, cache: &Cache, path: &Path) -> i64 {
    let file = ModuleFile::open(path).expect("open module");
    assert!(wasmux::artifact_engine(file.head().expect("head")).is_none());
    let module = cache.load_or_compile_file(engine, config, &file).expect("load or compile");
    run_module(engine, &module)
}

/// The engine's own API: read its artifact file, load it, instantiate, call.
fn raw_run<R: Raw>(raw: &R, artifact: &Path) -> i64 {
    let bytes = std::fs::read(artifact).expect("read artifact");
    let pre = raw.pre(&raw.load(&bytes));
    let mut instance = raw.instantiate(&pre);
    let run = raw.func(&mut instance, "run");
    raw.call(&mut instance, &run, 1)
}

fn bench_engine<R: Raw>(
    c: &mut Criterion,
    (engine, config): (&dyn DynEngine, &Config),
    raw: &R,
    dir: &Path,
    wasm: &[u8],
) {
    let backend = engine.info().name;
    let want = expected(engine, wasm);
    let module_path = dir.join("module.wasm");
    std::fs::write(&module_path, wasm).expect("write module");
    let artifact_path = dir.join(format!("{backend}.artifact"));
    std::fs::write(&artifact_path, raw.precompile(wasm).expect("precompile")).expect("write");
    let cache = Cache::open(dir.join(format!("cache-{backend}")), Cache::DEFAULT_MAX_BYTES);

    let mut g = c.benchmark_group("cache_run");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function(BenchmarkId::new(backend, "first run (compile, store)"), |b| {
        b.iter_batched(
            || cache.clear().expect("clear"),
            |_| assert_eq!(wasmux_run(engine, config, &cache, &module_path), want),
            BatchSize::PerIteration,
        )
    });
    assert_eq!(wasmux_run(engine, config, &cache, &module_path), want);
    // The two compared with each other: more samples, back to back.
    g.sample_size(30);
    g.bench_function(BenchmarkId::new(backend, "second run (cached)"), |b| {
        b.iter(|| assert_eq!(wasmux_run(engine, config, &cache, &module_path), want))
    });
    g.bench_function(BenchmarkId::new(backend, "engine API, artifact file"), |b| {
        b.iter(|| assert_eq!(raw_run(raw, &artifact_path), want))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
        .configure_from_args();
    let wasm = wasmux_benches::sized_module(FUNCS);
    let dir = tempfile::tempdir().expect("tempdir");
    // The default configuration has no epoch checks, as the raw engines run by default; the
    // cache's work does not depend on the configuration.
    let config = Config::default();
    let wasmtime = WasmtimeEngine::new(&config).expect("wasmtime");
    let raw_wasmtime = RawWasmtime::new(wasmtime.wasmtime_engine().clone());
    bench_engine(&mut c, (wasmtime.as_dyn(), &config), &raw_wasmtime, dir.path(), &wasm);
    let wasmer = WasmerEngine::new(&config).expect("wasmer");
    bench_engine(&mut c, (wasmer.as_dyn(), &config), &RawWasmer::new(), dir.path(), &wasm);
    c.final_summary();
}
