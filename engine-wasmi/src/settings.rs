//! A wasmux [`Config`] as wasmi's configuration, and what an engine made with it can do.

use wasmux_core::{
    Capabilities, Capability, Compiler, Config, DEFAULT_MAX_WASM_STACK, Error, Features, Result,
};

use crate::ENGINE;

/// wasmi's smallest value stack (its default initial height): a smaller maximum panics.
const MIN_STACK_BYTES: usize = 1_000;

/// A compiled call takes at least a return address and a frame pointer on wasmtime's and
/// wasmer's stacks, so a stack of N bytes holds at most N / 16 calls there; wasmi allows as many.
const SMALLEST_COMPILED_FRAME_BYTES: usize = 16;

/// wasmi keeps every local and operand of a frame in 8-byte cells, where a compiled frame keeps
/// only what is live across the call: with this many value-stack bytes per stack byte, wasmi
/// holds as many frames as wasmtime while its frames have at most two cells per byte of
/// wasmtime's frame (a function with 32 live i64 locals: 16 368 calls on wasmtime, 31 772 on
/// wasmi; 8 bytes gave wasmi 15 885). The stack grows on demand, so the allowance costs memory
/// only when a guest recurses that deep.
const VALUE_STACK_BYTES_PER_STACK_BYTE: usize = 16;

/// wasmi's configuration for `config`, or what wasmi cannot do of it.
pub(crate) fn wasmi_config(config: &Config) -> Result<wasmi::Config> {
    let refuse = |feature: &str| Err(Error::unsupported(ENGINE, feature));
    let enabled = proposals(config)?;
    let on = |cap| enabled.has(cap);
    match config.compiler {
        Compiler::Auto => {}
        other => return refuse(&format!("the {} compiler (it interprets)", other.as_str())),
    }
    if config.pooling.is_some() {
        return refuse("the pooling allocator");
    }
    let mut wasmi = wasmi::Config::default();
    wasmi
        .wasm_simd(on(Capability::Simd))
        .wasm_relaxed_simd(on(Capability::RelaxedSimd))
        .wasm_multi_value(on(Capability::MultiValue))
        .wasm_bulk_memory(on(Capability::BulkMemory))
        .wasm_reference_types(on(Capability::ReferenceTypes))
        .wasm_tail_call(on(Capability::TailCalls))
        .wasm_memory64(on(Capability::Memory64))
        .wasm_multi_memory(on(Capability::MultiMemory))
        .wasm_extended_const(on(Capability::ExtendedConst))
        .consume_fuel(config.fuel || config.interruptible);
    if config.fuel || config.interruptible {
        // wasmi charges fuel for translating a function on its first call, and running out
        // there is not resumable: a fuel slice ending mid-translation would fail the call
        // (any wasi-libc printf did). Metered engines therefore translate when compiling.
        wasmi.compilation_mode(wasmi::CompilationMode::Eager);
    }
    let bytes = config.max_wasm_stack.unwrap_or(DEFAULT_MAX_WASM_STACK);
    if bytes < MIN_STACK_BYTES {
        return Err(Error::Config(format!(
            "max_wasm_stack of {bytes} bytes is below wasmi's minimum of {MIN_STACK_BYTES}"
        )));
    }
    wasmi
        .set_max_recursion_depth(bytes / SMALLEST_COMPILED_FRAME_BYTES)
        .set_max_stack_height(bytes.saturating_mul(VALUE_STACK_BYTES_PER_STACK_BYTE));
    Ok(wasmi)
}

/// Whether wasmi 2.0 implements the proposal `cap`: not exceptions, GC, threads or typed
/// function references.
pub(crate) fn implements(cap: Capability) -> bool {
    Features::is_proposal(cap)
        && !matches!(
            cap,
            Capability::Exceptions
                | Capability::Gc
                | Capability::Threads
                | Capability::FunctionReferences
        )
}

/// The proposals an engine built from `config` enables.
fn proposals(config: &Config) -> Result<Capabilities> {
    config.features.resolve(ENGINE, implements)
}

/// What an engine made with `config` can do.
pub(crate) fn capabilities(config: &Config) -> Result<Capabilities> {
    let mut caps = proposals(config)?;
    caps.set(Capability::Fuel, config.fuel)
        .set(Capability::Deadline, config.interruptible)
        .set(Capability::Interrupt, config.interruptible)
        .set(Capability::MemoryLimit, true)
        .set(Capability::TableLimit, true)
        .set(Capability::StackOverflowTrap, true)
        .set(Capability::MultiResultHostFunctions, true);
    Ok(caps)
}
