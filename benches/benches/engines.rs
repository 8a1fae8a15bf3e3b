//! wasmux on every engine, against the engines' own APIs and native code.
//!
//! Each workload is written once, generic over `E: wasmux::Engine` (and once over
//! [`Raw`] for the baselines), and registered for every engine. Function ids are the engine
//! (`wasmtime`, `wasmer`, `wasmi`: wasmux with its default configuration, which like the raw
//! engines' defaults is not interruptible), `<engine>-raw` (the engine's own API),
//! `<engine>-interruptible` (wasmux with `Config::interruptible(true)`, what deadlines and
//! interrupt handles cost) and `native`.
//!
//! Every workload checks its answer once before it is measured; a wrong answer panics.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::{Measurement, WallTime};
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use wasmux::backends::{WasmerEngine, WasmiEngine, WasmtimeEngine};
use wasmux::wasi::{WasiConfig, WasiCtx, WasiEnvExt};
use wasmux::{Capability, Config, Engine, HostEnv, Imports, Instance, Limits, MemoryType};
use wasmux_benches::paired::{self, Ratio};
use wasmux_benches::raw::{Raw, RawWasmer, RawWasmi, RawWasmtime};
use wasmux_benches::{HostFuncs, Workload};

/// Calls made per iteration by the host-call benchmarks.
const HOST_CALLS: i32 = 10_000;
/// 64 KiB chunks in the WASI I/O file: 64 MiB.
const IO_CHUNKS: i32 = 1024;
const IO_CHUNK: usize = 64 * 1024;
/// Argument of the first call in the start-up benchmarks.
const FIRST_FIB: i32 = 10;

struct Engines {
    wasmtime: WasmtimeEngine,
    wasmer: WasmerEngine,
    wasmi: WasmiEngine,
    wasmtime_interruptible: WasmtimeEngine,
    wasmer_interruptible: WasmerEngine,
    wasmi_interruptible: WasmiEngine,
    raw_wasmtime: RawWasmtime,
    raw_wasmer: RawWasmer,
    raw_wasmi: RawWasmi,
    host: HostFuncs,
}

impl Engines {
    fn new() -> Self {
        let lean = Config::default();
        let mut interruptible = Config::default();
        interruptible.interruptible(true);
        let wasmtime = WasmtimeEngine::new(&lean).expect("wasmtime");
        let raw_wasmtime = RawWasmtime::new(wasmtime.wasmtime_engine().clone());
        Engines {
            raw_wasmtime,
            wasmtime,
            wasmer: WasmerEngine::new(&lean).expect("wasmer"),
            wasmi: WasmiEngine::new(&lean).expect("wasmi"),
            wasmtime_interruptible: WasmtimeEngine::new(&interruptible).expect("wasmtime"),
            wasmer_interruptible: WasmerEngine::new(&interruptible).expect("wasmer"),
            wasmi_interruptible: WasmiEngine::new(&interruptible).expect("wasmi"),
            raw_wasmer: RawWasmer::new(),
            raw_wasmi: RawWasmi::new(),
            host: HostFuncs::new(),
        }
    }
}

/// Registers a generic benchmark function for the three wasmux engines.
macro_rules! each_engine {
    ($f:ident, $group:expr, $engines:expr $(, $arg:expr)*) => {{
        $f($group, "wasmtime", &$engines.wasmtime, &$engines.host $(, $arg)*);
        $f($group, "wasmer", &$engines.wasmer, &$engines.host $(, $arg)*);
        $f($group, "wasmi", &$engines.wasmi, &$engines.host $(, $arg)*);
    }};
}

/// Registers a generic benchmark function for the three wasmux engines configured
/// interruptible.
macro_rules! each_interruptible_engine {
    ($f:ident, $group:expr, $engines:expr $(, $arg:expr)*) => {{
        $f($group, "wasmtime-interruptible", &$engines.wasmtime_interruptible, &$engines.host $(, $arg)*);
        $f($group, "wasmer-interruptible", &$engines.wasmer_interruptible, &$engines.host $(, $arg)*);
        $f($group, "wasmi-interruptible", &$engines.wasmi_interruptible, &$engines.host $(, $arg)*);
    }};
}

/// Registers a generic baseline function for the three engines' own APIs.
macro_rules! each_raw {
    ($f:ident, $group:expr, $engines:expr $(, $arg:expr)*) => {{
        $f($group, "wasmtime-raw", &$engines.raw_wasmtime $(, $arg)*);
        $f($group, "wasmer-raw", &$engines.raw_wasmer $(, $arg)*);
        $f($group, "wasmi-raw", &$engines.raw_wasmi $(, $arg)*);
    }};
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;
type Sizes = [(String, Arc<Vec<u8>>)];

fn group<'a>(c: &'a mut Criterion, name: &str) -> Group<'a> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g
}

fn can_precompile<E: Engine>(engine: &E) -> bool {
    engine.info().capabilities.has(Capability::Precompile)
}

/// A module ready to instantiate: loaded from an artifact where the engine has them.
fn ready<E: Engine>(engine: &E, wasm: &[u8]) -> E::Module {
    if can_precompile(engine) {
        let artifact = engine.precompile(wasm).expect("precompile");
        // SAFETY: made just above by the same engine.
        unsafe { engine.load_precompiled(&artifact) }.expect("load")
    } else {
        engine.compile(wasm).expect("compile")
    }
}

fn raw_ready<R: Raw>(raw: &R, wasm: &[u8]) -> R::Module {
    match raw.precompile(wasm) {
        Some(artifact) => raw.load(&artifact),
        None => raw.compile(wasm),
    }
}

// ---- start-up phases -------------------------------------------------------------------

fn validate<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, _: &HostFuncs, sizes: &Sizes) {
    for (size, wasm) in sizes {
        engine.validate(wasm).expect("valid");
        g.bench_with_input(BenchmarkId::new(label, size), wasm, |b, wasm| {
            b.iter(|| engine.validate(wasm))
        });
    }
}

fn raw_validate<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, sizes: &Sizes) {
    for (size, wasm) in sizes {
        g.bench_with_input(BenchmarkId::new(label, size), wasm, |b, wasm| {
            b.iter(|| raw.validate(wasm))
        });
    }
}

fn compile<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, _: &HostFuncs, sizes: &Sizes) {
    for (size, wasm) in sizes {
        g.bench_with_input(BenchmarkId::new(label, size), wasm, |b, wasm| {
            b.iter(|| engine.compile(wasm).expect("compile"))
        });
    }
}

fn raw_compile<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, sizes: &Sizes) {
    for (size, wasm) in sizes {
        g.bench_with_input(BenchmarkId::new(label, size), wasm, |b, wasm| {
            b.iter(|| raw.compile(wasm))
        });
    }
}

fn precompile<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, _: &HostFuncs, sizes: &Sizes) {
    if !can_precompile(engine) {
        return;
    }
    for (size, wasm) in sizes {
        g.bench_with_input(BenchmarkId::new(label, size), wasm, |b, wasm| {
            b.iter(|| engine.precompile(wasm).expect("precompile"))
        });
    }
}

fn load<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, _: &HostFuncs, sizes: &Sizes) {
    if !can_precompile(engine) {
        return;
    }
    for (size, wasm) in sizes {
        let artifact = engine.precompile(wasm).expect("precompile");
        g.bench_with_input(BenchmarkId::new(label, size), &artifact, |b, artifact| {
            // SAFETY: made just above by the same engine.
            b.iter(|| unsafe { engine.load_precompiled(artifact) }.expect("load"))
        });
    }
}

fn raw_load<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, sizes: &Sizes) {
    for (size, wasm) in sizes {
        let Some(artifact) = raw.precompile(wasm) else {
            return;
        };
        g.bench_with_input(BenchmarkId::new(label, size), &artifact, |b, artifact| {
            b.iter(|| raw.load(artifact))
        });
    }
}

fn instantiate<E: Engine>(
    g: &mut Group<'_>,
    label: &str,
    engine: &E,
    host: &HostFuncs,
    sizes: &Sizes,
) {
    for (size, wasm) in sizes {
        let module = ready(engine, wasm);
        let mut instance = engine.instantiate(&module, host.env()).expect("instantiate");
        let run = instance.typed::<i32, i64>("run").expect("run");
        run.call(&mut instance, 1).expect("runs");
        g.bench_function(BenchmarkId::new(label, size), |b| {
            b.iter(|| engine.instantiate(&module, host.env()).expect("instantiate"))
        });
    }
}

/// Reads a word of the memory it imports: instantiated with a memory the host made.
const MEMORY_IMPORTER: &str = r#"(module (import "env" "memory" (memory 1))
  (func (export "run") (param i32) (result i64) (i64.extend_i32_u (i32.load (local.get 0)))))"#;

fn instantiate_with_memory<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, _: &HostFuncs) {
    let module = engine.compile(&wasmux_benches::wasm(MEMORY_IMPORTER)).expect("compile");
    let instantiate = || store_importing_memory(engine, &module);
    let mut store = instantiate();
    assert_eq!(store.call("run", &[wasmux::Val::I32(0)]).expect("runs"), [wasmux::Val::I64(0)]);
    g.bench_function(BenchmarkId::new(label, "memory"), |b| b.iter(instantiate));
}

/// A store holding a memory made on the host and `module` instantiated with it.
fn store_importing_memory<E: Engine>(engine: &E, module: &E::Module) -> E::Instance {
    let memory_type = MemoryType { min: 1, max: None, memory64: false, shared: false };
    let mut store = engine.store(HostEnv::new()).expect("store");
    let memory = store.new_memory(&memory_type).expect("memory");
    let mut imports = Imports::new();
    imports.define("env", "memory", memory);
    engine.instantiate_in(&mut store, module, &imports).expect("instantiate");
    store
}

/// Instantiating a module that imports a memory, through wasmux over through the engine's own
/// API, measured in pairs: the two differ by a few hundred nanoseconds in microseconds, less
/// than this machine drifts between two groups. Each side makes and drops its store.
fn instantiation_overhead<E: Engine, R: Raw>(
    paired: &mut Criterion<Ratio>,
    label: &str,
    engine: &E,
    raw: &R,
) {
    let wasm = wasmux_benches::wasm(MEMORY_IMPORTER);
    let module = engine.compile(&wasm).expect("compile");
    let raw_module = raw.compile(&wasm);
    let mut wasmux_side = || {
        drop(store_importing_memory(engine, &module));
        0
    };
    let mut raw_side = || {
        drop(raw.instantiate_with_memory(&raw_module));
        0
    };
    let mut g = paired.benchmark_group("overhead_instantiate_importing_memory");
    g.bench_function(BenchmarkId::new(label, "memory"), |b| {
        b.iter_custom(|iters| paired::ratio(iters, 8, &mut wasmux_side, &mut raw_side))
    });
    g.finish();
}

fn raw_instantiate_with_memory<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R) {
    let module = raw.compile(&wasmux_benches::wasm(MEMORY_IMPORTER));
    let mut instance = raw.instantiate_with_memory(&module);
    let run = raw.func(&mut instance, "run");
    assert_eq!(raw.call(&mut instance, &run, 0), 0);
    g.bench_function(BenchmarkId::new(label, "memory"), |b| {
        b.iter(|| raw.instantiate_with_memory(&module))
    });
}

fn raw_instantiate<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, sizes: &Sizes) {
    for (size, wasm) in sizes {
        let pre = raw.pre(&raw_ready(raw, wasm));
        let mut instance = raw.instantiate(&pre);
        let run = raw.func(&mut instance, "run");
        raw.call(&mut instance, &run, 1);
        g.bench_function(BenchmarkId::new(label, size), |b| b.iter(|| raw.instantiate(&pre)));
    }
}

fn first_call<E: Engine>(
    g: &mut Group<'_>,
    label: &str,
    engine: &E,
    host: &HostFuncs,
    wasm: &[u8],
) {
    let module = ready(engine, wasm);
    g.bench_function(BenchmarkId::new(label, "fib10"), |b| {
        b.iter_batched(
            || engine.instantiate(&module, host.env()).expect("instantiate"),
            |mut instance| {
                let fib = instance.typed::<i32, i64>("fib").expect("fib");
                let got = fib.call(&mut instance, FIRST_FIB).expect("call");
                assert_eq!(got, 55);
                instance
            },
            BatchSize::SmallInput,
        )
    });
}

fn raw_first_call<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, wasm: &[u8]) {
    let pre = raw.pre(&raw_ready(raw, wasm));
    g.bench_function(BenchmarkId::new(label, "fib10"), |b| {
        b.iter_batched(
            || raw.instantiate(&pre),
            |mut instance| {
                let fib = raw.func(&mut instance, "fib");
                assert_eq!(raw.call(&mut instance, &fib, FIRST_FIB), 55);
                instance
            },
            BatchSize::SmallInput,
        )
    });
}

/// Bytes to the result of a first call: compile, instantiate, call.
fn bytes_to_call<E: Engine>(
    g: &mut Group<'_>,
    label: &str,
    engine: &E,
    host: &HostFuncs,
    wasm: &[u8],
) {
    g.bench_function(BenchmarkId::new(label, "compute.wat"), |b| {
        b.iter(|| {
            let module = engine.compile(wasm).expect("compile");
            let mut instance = engine.instantiate(&module, host.env()).expect("instantiate");
            let fib = instance.typed::<i32, i64>("fib").expect("fib");
            assert_eq!(fib.call(&mut instance, FIRST_FIB).expect("call"), 55);
        })
    });
}

fn raw_bytes_to_call<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, wasm: &[u8]) {
    g.bench_function(BenchmarkId::new(label, "compute.wat"), |b| {
        b.iter(|| {
            let pre = raw.pre(&raw.compile(wasm));
            let mut instance = raw.instantiate(&pre);
            let fib = raw.func(&mut instance, "fib");
            assert_eq!(raw.call(&mut instance, &fib, FIRST_FIB), 55);
        })
    });
}

/// `wasmux::run_command`: WASI hello world, binary bytes in, exit status out.
fn hello<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, _: &HostFuncs, wasm: &[u8]) {
    let mut wasi = WasiConfig::new();
    wasi.arg("hello");
    let engine = engine.as_dyn();
    let run = || wasmux::run_command(engine, wasm, &wasi, &Limits::new()).expect("starts");
    let out = run();
    assert_eq!(out.stdout, b"Hello from WebAssembly!\n");
    assert_eq!(out.status.expect("exits"), 0);
    g.bench_function(BenchmarkId::new(label, "hello.wat"), |b| {
        b.iter(|| assert_eq!(run().status.expect("exits"), 0))
    });
}

fn startup(c: &mut Criterion, e: &Engines, on: &dyn Fn(&str) -> bool) {
    let mut sizes = wasmux_benches::module_sizes();
    let hello_wasm = sizes[0].1.clone();
    let no_large: Vec<_> = sizes[..sizes.len() - 1].to_vec();

    if on("startup_validate") {
        let mut g = group(c, "startup_validate");
        each_engine!(validate, &mut g, e, &sizes);
        each_raw!(raw_validate, &mut g, e, &sizes);
        g.finish();
    }

    if on("startup_compile") {
        let mut g = group(c, "startup_compile");
        each_engine!(compile, &mut g, e, &sizes);
        each_raw!(raw_compile, &mut g, e, &no_large);
        g.finish();
    }

    if on("startup_precompile") {
        let mut g = group(c, "startup_precompile");
        each_engine!(precompile, &mut g, e, &no_large);
        g.finish();
    }

    if on("startup_load") {
        let mut g = group(c, "startup_load");
        // Short: every wasmer load maps code that is not all given back (see `load`), and
        // ~65k mappings (vm.max_map_count) end the process.
        g.warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_millis(300));
        each_engine!(load, &mut g, e, &sizes);
        each_raw!(raw_load, &mut g, e, &sizes);
        g.finish();
    }

    // hello imports WASI, which the raw baselines do not offer: instantiation is measured on
    // the host-call module (two host imports) and the generated modules.
    sizes[0] = ("host".to_string(), Arc::new(wasmux_benches::wasm(wasmux_benches::HOST_WAT)));
    sizes[0].1 = Arc::new(with_run(&sizes[0].1));
    if on("startup_instantiate") {
        let mut g = group(c, "startup_instantiate");
        each_engine!(instantiate, &mut g, e, &sizes);
        each_raw!(raw_instantiate, &mut g, e, &sizes);
        g.finish();
    }

    if on("startup_instantiate_importing_memory") {
        let mut g = group(c, "startup_instantiate_importing_memory");
        each_engine!(instantiate_with_memory, &mut g, e);
        each_raw!(raw_instantiate_with_memory, &mut g, e);
        g.finish();
    }

    let compute = wasmux_benches::wasm(wasmux_benches::COMPUTE_WAT);
    if on("startup_first_call") {
        let mut g = group(c, "startup_first_call");
        each_engine!(first_call, &mut g, e, &compute);
        each_raw!(raw_first_call, &mut g, e, &compute);
        g.finish();
    }

    if on("startup_bytes_to_first_call") {
        let mut g = group(c, "startup_bytes_to_first_call");
        each_engine!(bytes_to_call, &mut g, e, &compute);
        each_raw!(raw_bytes_to_call, &mut g, e, &compute);
        g.finish();
    }

    if on("startup_hello_e2e") {
        let mut g = group(c, "startup_hello_e2e");
        each_engine!(hello, &mut g, e, &hello_wasm);
        g.finish();
    }
}

/// The host-call module with a `run` export added (for the instantiation benchmark).
fn with_run(_: &[u8]) -> Vec<u8> {
    let text = wasmux_benches::HOST_WAT.trim_end().trim_end_matches(')').to_string()
        + ")))\n  (func (export \"run\") (param i32) (result i64) (i64.extend_i32_u (local.get 0))))";
    wasmux_benches::wasm(&text)
}

// ---- throughput ------------------------------------------------------------------------

fn compute<E: Engine>(g: &mut Group<'_>, label: &str, engine: &E, host: &HostFuncs, w: &Workload) {
    let module = ready(engine, &w.module());
    let mut instance = engine.instantiate(&module, host.env()).expect("instantiate");
    let run = instance.typed::<i32, i64>(w.export).expect("export");
    w.check(label, run.call(&mut instance, w.arg).expect("call"));
    g.bench_function(BenchmarkId::new(label, w.arg), |b| {
        b.iter(|| run.call(&mut instance, black_box(w.arg)).expect("call"))
    });
}

fn raw_compute<R: Raw>(g: &mut Group<'_>, label: &str, raw: &R, w: &Workload) {
    let pre = raw.pre(&raw_ready(raw, &w.module()));
    let mut instance = raw.instantiate(&pre);
    let run = raw.func(&mut instance, w.export);
    w.check(label, raw.call(&mut instance, &run, w.arg));
    g.bench_function(BenchmarkId::new(label, w.arg), |b| {
        b.iter(|| raw.call(&mut instance, &run, black_box(w.arg)))
    });
}

fn throughput(c: &mut Criterion, e: &Engines) {
    for w in wasmux_benches::workloads() {
        let mut g = group(c, &format!("compute_{}", w.name));
        g.bench_function(BenchmarkId::new("native", w.arg), |b| {
            b.iter(|| (w.native)(black_box(w.arg)))
        });
        each_engine!(compute, &mut g, e, &w);
        each_raw!(raw_compute, &mut g, e, &w);
        if matches!(w.name, "fib" | "int_loop") {
            each_interruptible_engine!(compute, &mut g, e, &w);
        }
        g.finish();
    }
}

// ---- calls -----------------------------------------------------------------------------

/// A call case: the export, its argument and answer, and how many calls make a chunk of
/// [`paired::ratio`] (tens of microseconds).
struct CallCase {
    export: &'static str,
    arg: i32,
    want: i64,
    chunk: u64,
}

/// Host -> guest call; guest -> host without and with memory.
fn call_cases() -> [CallCase; 3] {
    let n = i64::from(HOST_CALLS);
    [
        CallCase { export: "id", arg: 7, want: 7, chunk: 256 },
        CallCase { export: "host_nomem", arg: HOST_CALLS, want: n * (n + 1) / 2, chunk: 1 },
        CallCase { export: "host_mem", arg: HOST_CALLS, want: n, chunk: 1 },
    ]
}

/// One engine's call cases, timed in `calls_*` groups: wasmux (`label`, lean configuration),
/// the engine's own API (`label-raw`) and wasmux configured interruptible
/// (`label-interruptible`). Then the two wasmux cases' overhead over the raw API, measured in pairs,
/// in `overhead_*` groups.
fn engine_calls<E: Engine, R: Raw>(
    (c, paired): (&mut Criterion, &mut Criterion<Ratio>),
    label: &str,
    (lean, stoppable): (&E, &E),
    raw: &R,
    host: &HostFuncs,
) {
    let wasm = wasmux_benches::wasm(wasmux_benches::HOST_WAT);
    let mut lean_instance = lean.instantiate(&ready(lean, &wasm), host.env()).expect("instantiate");
    let mut stoppable_instance =
        stoppable.instantiate(&ready(stoppable, &wasm), host.env()).expect("instantiate");
    let mut raw_instance = raw.instantiate(&raw.pre(&raw_ready(raw, &wasm)));
    for CallCase { export, arg, want, chunk } in call_cases() {
        let lean_func = lean_instance.typed::<i32, i64>(export).expect("export");
        let stoppable_func = stoppable_instance.typed::<i32, i64>(export).expect("export");
        let raw_func = raw.func(&mut raw_instance, export);
        let mut lean_call = || lean_func.call(&mut lean_instance, black_box(arg)).expect("call");
        let mut stoppable_call =
            || stoppable_func.call(&mut stoppable_instance, black_box(arg)).expect("call");
        let mut raw_call = || raw.call(&mut raw_instance, &raw_func, black_box(arg));
        assert_eq!(lean_call(), want, "{label} {export}");
        assert_eq!(stoppable_call(), want, "{label}-interruptible {export}");
        assert_eq!(raw_call(), want, "{label}-raw {export}");

        let mut g = call_group(c, "calls", export);
        g.bench_function(BenchmarkId::new(label, arg), |b| b.iter(&mut lean_call));
        g.bench_function(BenchmarkId::new(format!("{label}-raw"), arg), |b| b.iter(&mut raw_call));
        g.bench_function(BenchmarkId::new(format!("{label}-interruptible"), arg), |b| {
            b.iter(&mut stoppable_call)
        });
        g.finish();

        let mut g = call_group(paired, "overhead", export);
        g.bench_function(BenchmarkId::new(label, arg), |b| {
            b.iter_custom(|iters| paired::ratio(iters, chunk, &mut lean_call, &mut raw_call))
        });
        g.bench_function(BenchmarkId::new(format!("{label}-interruptible"), arg), |b| {
            b.iter_custom(|iters| paired::ratio(iters, chunk, &mut stoppable_call, &mut raw_call))
        });
        g.finish();
    }
}

/// Every engine's call cases, one engine after the other.
fn all_calls(c: &mut Criterion, paired: &mut Criterion<Ratio>, e: &Engines) {
    let host = &e.host;
    engine_calls(
        (c, paired),
        "wasmtime",
        (&e.wasmtime, &e.wasmtime_interruptible),
        &e.raw_wasmtime,
        host,
    );
    engine_calls((c, paired), "wasmer", (&e.wasmer, &e.wasmer_interruptible), &e.raw_wasmer, host);
    engine_calls((c, paired), "wasmi", (&e.wasmi, &e.wasmi_interruptible), &e.raw_wasmi, host);
}

/// A call group, `{prefix}_{export}`: calls take nanoseconds, so more and longer samples than
/// elsewhere.
fn call_group<'a, M: Measurement>(
    c: &'a mut Criterion<M>,
    prefix: &str,
    export: &str,
) -> BenchmarkGroup<'a, M> {
    let mut g = c.benchmark_group(format!("{prefix}_{export}"));
    g.sample_size(30).measurement_time(Duration::from_secs(3));
    g
}

// ---- WASI I/O --------------------------------------------------------------------------

fn wasi_io<E: Engine>(
    g: &mut Group<'_>,
    label: &str,
    engine: &E,
    _: &HostFuncs,
    dir: &std::path::Path,
) {
    let module = ready(engine, &wasmux_benches::wasm(wasmux_benches::WASI_IO_WAT));
    let mut wasi = WasiConfig::new();
    wasi.preopen_dir(dir, "/data");
    let mut env = HostEnv::new();
    env.wasi(WasiCtx::new(&wasi).expect("wasi"));
    let mut instance = engine.instantiate(&module, env).expect("instantiate");
    let write = instance.typed::<i32, i64>("write_file").expect("write_file");
    let read = instance.typed::<(), i64>("read_file").expect("read_file");
    let bytes = i64::from(IO_CHUNKS) * IO_CHUNK as i64;
    assert_eq!(write.call(&mut instance, IO_CHUNKS).expect("write"), bytes, "{label} write");
    assert_eq!(std::fs::metadata(dir.join("bench.dat")).expect("file").len(), bytes as u64);
    assert_eq!(
        read.call(&mut instance, ()).expect("read"),
        bytes + i64::from(IO_CHUNKS),
        "{label} read"
    );
    g.bench_function(BenchmarkId::new(label, "write_64MiB"), |b| {
        b.iter(|| write.call(&mut instance, IO_CHUNKS).expect("write"))
    });
    g.bench_function(BenchmarkId::new(label, "read_64MiB"), |b| {
        b.iter(|| read.call(&mut instance, ()).expect("read"))
    });
}

fn native_io(g: &mut Group<'_>, dir: &std::path::Path) {
    use std::io::{Read, Write};
    let path = dir.join("native.dat");
    let chunk: Vec<u8> = (0..IO_CHUNK).map(|i| i as u8).collect();
    let write = || {
        let mut file = std::fs::File::create(&path).expect("create");
        for _ in 0..IO_CHUNKS {
            file.write_all(&chunk).expect("write");
        }
    };
    let read = || {
        let mut file = std::fs::File::open(&path).expect("open");
        let mut buf = vec![0u8; IO_CHUNK];
        let mut total = 0usize;
        loop {
            let n = file.read(&mut buf).expect("read");
            if n == 0 {
                break total;
            }
            total += n;
        }
    };
    write();
    assert_eq!(read(), IO_CHUNK * IO_CHUNKS as usize);
    g.bench_function(BenchmarkId::new("native", "write_64MiB"), |b| b.iter(write));
    g.bench_function(BenchmarkId::new("native", "read_64MiB"), |b| b.iter(read));
}

/// wasmtime-wasi's own preview 1 on the engine wasmux's wasmtime backend uses.
fn raw_wasi_io(g: &mut Group<'_>, engine: &wasmtime::Engine, dir: &std::path::Path) {
    let wasm = wasmux_benches::wasm(wasmux_benches::WASI_IO_WAT);
    let mut io = wasmux_benches::raw_wasi::RawWasiIo::new(engine, &wasm, dir);
    let bytes = i64::from(IO_CHUNKS) * IO_CHUNK as i64;
    assert_eq!(io.write(IO_CHUNKS), bytes, "wasmtime-wasi write");
    assert_eq!(std::fs::metadata(dir.join("bench.dat")).expect("file").len(), bytes as u64);
    assert_eq!(io.read(), bytes + i64::from(IO_CHUNKS), "wasmtime-wasi read");
    g.bench_function(BenchmarkId::new("wasmtime-raw", "write_64MiB"), |b| {
        b.iter(|| io.write(IO_CHUNKS))
    });
    g.bench_function(BenchmarkId::new("wasmtime-raw", "read_64MiB"), |b| b.iter(|| io.read()));
}

fn io(c: &mut Criterion, e: &Engines) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = group(c, "wasi_io");
    native_io(&mut g, dir.path());
    each_engine!(wasi_io, &mut g, e, dir.path());
    raw_wasi_io(&mut g, e.wasmtime.wasmtime_engine(), dir.path());
    g.finish();
}

// ---- main ------------------------------------------------------------------------------

fn write_meta() {
    let sizes: Vec<_> = wasmux_benches::module_sizes()
        .into_iter()
        .map(|(name, wasm)| serde_json::json!({ "name": name, "bytes": wasm.len() }))
        .collect();
    let workloads: Vec<_> = wasmux_benches::workloads()
        .into_iter()
        .map(|w| serde_json::json!({ "name": w.name, "arg": w.arg, "native": w.native_kind }))
        .collect();
    let meta = serde_json::json!({ "module_sizes": sizes, "workloads": workloads, "host_calls_per_iter": HOST_CALLS });
    let dir = criterion_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("wasmux-meta.json"),
        serde_json::to_vec_pretty(&meta).unwrap_or_default(),
    );
}

fn criterion_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .without_plots()
        .configure_from_args();
    let mut paired = Criterion::default()
        .with_measurement(Ratio)
        .warm_up_time(Duration::from_millis(500))
        .without_plots()
        .configure_from_args();
    write_meta();
    let engines = Engines::new();
    let only = std::env::var("WASMUX_BENCH_ONLY").unwrap_or_default();
    let on = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    if on("calls") {
        all_calls(&mut c, &mut paired, &engines);
    }
    if on("compute") {
        throughput(&mut c, &engines);
    }
    if on("io") {
        io(&mut c, &engines);
    }
    if on("startup") || only.contains("startup_") {
        startup(&mut c, &engines, &|group| {
            only.is_empty() || only.split(',').any(|p| p == "startup" || p == group)
        });
    }
    if on("startup") || on("overhead_instantiate_importing_memory") {
        let e = &engines;
        instantiation_overhead(&mut paired, "wasmtime", &e.wasmtime, &e.raw_wasmtime);
        instantiation_overhead(&mut paired, "wasmer", &e.wasmer, &e.raw_wasmer);
        instantiation_overhead(&mut paired, "wasmi", &e.wasmi, &e.raw_wasmi);
    }
    c.final_summary();
    paired.final_summary();
}
