//! Differential fuzzing: wasm-smith turns a seed into a module that always terminates; every
//! engine compiles it, instantiates it and calls each exported function; any disagreement that
//! [`EXPLAINED_DIFFERENCES`](wasmux_conformance::differential::EXPLAINED_DIFFERENCES) does not
//! cover is a bug.
//!
//! The test suite runs a fixed range of seeds; `cargo run -p wasmux-fuzz --release -- --seconds N`
//! runs for as long as asked and saves each disagreeing module.

use arbitrary::Unstructured;
use wasmux::{Config, DynEngine, Error, ExternType, HostEnv, Result, TrapCode, Val};
use wasmux_conformance::differential::{memory_difference, render};

/// How a module behaved on one engine, compared across engines: one line per step, then each
/// exported memory, compared as `wasmux run --engine all` compares them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// One line per call or global read, or one line saying why the module did not run.
    pub steps: Vec<String>,
    /// Each exported memory afterwards, by name.
    pub memories: Vec<(String, Vec<u8>)>,
}

impl Trace {
    fn failed(step: String) -> Trace {
        Trace { steps: vec![step], memories: Vec::new() }
    }
}

/// The module wasm-smith makes from `seed`: no imports, every item exported, NaNs canonicalised
/// (so results do not depend on NaN payloads) and a fuel counter injected so every call ends.
pub fn module_from_seed(seed: u64) -> std::result::Result<Vec<u8>, String> {
    let bytes = random_bytes(seed, 16 * 1024);
    let mut input = Unstructured::new(&bytes);
    let config = wasm_smith::Config {
        max_imports: 0,
        export_everything: true,
        canonicalize_nans: true,
        max_memory32_bytes: 16 * 65536,
        max_table_elements: 1000,
        max_funcs: 20,
        max_instructions: 500,
        simd_enabled: true,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        multi_value_enabled: true,
        reference_types_enabled: true,
        // Off: wasmer's compilers lack tail calls, so the default configuration has them off.
        tail_call_enabled: false,
        relaxed_simd_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        shared_everything_threads_enabled: false,
        ..wasm_smith::Config::default()
    };
    let mut module = wasm_smith::Module::new(config, &mut input).map_err(|e| e.to_string())?;
    module.ensure_termination(10_000).map_err(|e| e.to_string())?;
    Ok(module.to_bytes())
}

/// Deterministic bytes from a seed (SplitMix64), so a seed names the same module forever.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// The engines a differential run uses: every engine compiled in, with the same limits.
pub fn engines() -> Result<Vec<Box<dyn DynEngine>>> {
    wasmux::engines().into_iter().map(|b| wasmux::engine(b, &Config::default())).collect()
}

/// What `wasm` does on `engine`: compile, instantiate, each exported function called with zero
/// arguments, then each exported global and each exported memory. A panic inside the
/// engine ends the trace with `panic: MESSAGE`, which never matches another engine's trace.
pub fn trace(engine: &dyn DynEngine, wasm: &[u8]) -> Trace {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| trace_unguarded(engine, wasm))) {
        Ok(trace) => trace,
        Err(payload) => {
            Trace::failed(format!("panic: {}", wasmux::backend::panic_message(payload.as_ref())))
        }
    }
}

fn trace_unguarded(engine: &dyn DynEngine, wasm: &[u8]) -> Trace {
    let mut trace = Trace::default();
    let module = match engine.compile(wasm) {
        Ok(module) => module,
        Err(error) => return Trace::failed(format!("compile: {}", kind(&error))),
    };
    let info = match engine.module_info(&module) {
        Ok(info) => info,
        Err(error) => return Trace::failed(format!("module_info: {error}")),
    };
    let mut env = HostEnv::new();
    env.limits_mut().max_memory_bytes(16 * 65536).max_table_elements(1000);
    let mut instance = match engine.instantiate(&module, env) {
        Ok(instance) => instance,
        Err(error) => return Trace::failed(format!("instantiate: {}", kind(&error))),
    };
    for export in &info.exports {
        match &export.ty {
            ExternType::Func(ty) => {
                let args: Vec<Val> = ty.params().iter().map(|t| Val::default_for(*t)).collect();
                let outcome = match instance.call(&export.name, &args) {
                    Ok(values) => values.iter().map(render).collect::<Vec<_>>().join(" "),
                    Err(error) => kind(&error),
                };
                trace.steps.push(format!("call {}: {outcome}", export.name));
            }
            ExternType::Global(_) => {
                let value = instance
                    .get_global(&export.name)
                    .map(|v| render(&v))
                    .unwrap_or_else(|e| kind(&e));
                trace.steps.push(format!("global {}: {value}", export.name));
            }
            ExternType::Memory(_) => match instance.memory(&export.name) {
                Ok(bytes) => trace.memories.push((export.name.clone(), bytes.to_vec())),
                Err(error) => trace.steps.push(format!("memory {}: {}", export.name, kind(&error))),
            },
            _ => {}
        }
    }
    trace
}

/// An error as compared across engines: its kind and trap code, not the engine's wording.
fn kind(error: &Error) -> String {
    match error {
        Error::Trap(trap) => format!("trap {}", trap.code),
        Error::Compile { .. } => "invalid".into(),
        Error::ResourceLimit { resource, .. } => format!("limit {resource}"),
        Error::Link(_) => "link error".into(),
        other => format!("error {other}"),
    }
}

/// Where engines disagreed on a module, after explained differences are set aside.
pub fn disagreement(names: &[&str], traces: &[Trace]) -> Option<String> {
    let (first, rest) = traces.split_first()?;
    'engines: for (index, other) in rest.iter().enumerate() {
        let name = names[index + 1];
        let steps = first.steps.len().max(other.steps.len());
        for step in 0..steps {
            let (a, b) = (first.steps.get(step), other.steps.get(step));
            if a == b {
                continue;
            }
            if explained(a, b) {
                continue 'engines;
            }
            return Some(format!("step {step}: {} gave {a:?}, {name} gave {b:?}", names[0]));
        }
        let memories = first.memories.iter().zip(&other.memories);
        for ((memory, a), (_, b)) in memories {
            if let Some(found) = memory_difference(a, b)
                && found.allowed.is_none()
            {
                return Some(format!(
                    "memory {memory} differs at {}: {} gave {}, {name} gave {}",
                    found.place, names[0], found.left, found.right
                ));
            }
        }
    }
    None
}

/// The stack-depth entry of the explained differences: recursion that exhausts one engine's
/// stack may finish (or exhaust its fuel counter first) on another. Once that happens the
/// instance's state may differ too, so later steps are not compared.
fn explained(a: Option<&String>, b: Option<&String>) -> bool {
    let overflow = format!("trap {}", TrapCode::StackOverflow);
    a.is_some_and(|s| s.ends_with(&overflow)) || b.is_some_and(|s| s.ends_with(&overflow))
}

/// Runs seed `seed` on `engines`: `Ok(true)` if they agree, `Ok(false)` if wasm-smith could not
/// make a module from the seed, `Err` describing the first unexplained disagreement.
pub fn check_seed(engines: &[Box<dyn DynEngine>], seed: u64) -> std::result::Result<bool, String> {
    let Ok(wasm) = module_from_seed(seed) else { return Ok(false) };
    let names: Vec<&str> = engines.iter().map(|e| e.info().name).collect();
    let traces: Vec<Trace> = engines.iter().map(|e| trace(e.as_ref(), &wasm)).collect();
    match disagreement(&names, &traces) {
        Some(what) => Err(format!("seed {seed}: {what}")),
        None => Ok(true),
    }
}
