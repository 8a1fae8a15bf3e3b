//! Translating a wasmux [`Config`] into a wasmtime `Config`, and stating what results.

use std::hash::{Hash, Hasher};

use wasmux_core::{
    Capabilities, Capability, Compiler, Config, DEFAULT_MAX_WASM_STACK, Error, Features, OptLevel,
    PoolingConfig, Result,
};

use crate::ENGINE;

/// The wasmtime configuration for `config`, or the first option wasmtime cannot honour.
pub(crate) fn wasmtime_config(config: &Config) -> Result<wasmtime::Config> {
    let mut wt = wasmtime::Config::new();
    match config.compiler {
        Compiler::Auto | Compiler::Cranelift => {
            wt.strategy(wasmtime::Strategy::Cranelift);
        }
        Compiler::Singlepass => return Err(Error::unsupported(ENGINE, "the singlepass compiler")),
        Compiler::Llvm => return Err(Error::unsupported(ENGINE, "the LLVM compiler")),
    }
    wt.cranelift_opt_level(match config.opt_level {
        OptLevel::None => wasmtime::OptLevel::None,
        OptLevel::Speed => wasmtime::OptLevel::Speed,
        OptLevel::SpeedAndSize => wasmtime::OptLevel::SpeedAndSize,
    });
    set_features(&mut wt, proposals(config)?);
    wt.consume_fuel(config.fuel);
    wt.epoch_interruption(config.interruptible);
    let stack = config.max_wasm_stack.unwrap_or(DEFAULT_MAX_WASM_STACK);
    if stack == 0 {
        return Err(Error::Config("max_wasm_stack must be greater than zero".into()));
    }
    // wasmux never runs guests on async stacks, but wasmtime refuses a wasm stack larger than
    // one (2 MiB by default), which would cap `max_wasm_stack` there.
    wt.max_wasm_stack(stack).async_stack_size(stack.max(2 << 20));
    if let Some(pooling) = &config.pooling {
        wt.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling_config(
            pooling,
        )?));
    }
    Ok(wt)
}

/// Whether wasmtime implements the proposal `cap`: with Cranelift, every one wasmux names.
pub(crate) fn implements(cap: Capability) -> bool {
    Features::is_proposal(cap)
}

/// The proposals an engine built from `config` enables.
pub(crate) fn proposals(config: &Config) -> Result<Capabilities> {
    config.features.resolve(ENGINE, implements)
}

/// Every wasmux proposal switch, set explicitly: wasmtime's own defaults never leak through.
fn set_features(wt: &mut wasmtime::Config, enabled: Capabilities) {
    let on = |cap| enabled.has(cap);
    wt.wasm_simd(on(Capability::Simd))
        .wasm_relaxed_simd(on(Capability::RelaxedSimd))
        .wasm_multi_value(on(Capability::MultiValue))
        .wasm_bulk_memory(on(Capability::BulkMemory))
        .wasm_reference_types(on(Capability::ReferenceTypes))
        .wasm_tail_call(on(Capability::TailCalls))
        .wasm_exceptions(on(Capability::Exceptions))
        .wasm_gc(on(Capability::Gc))
        .wasm_threads(on(Capability::Threads))
        .wasm_memory64(on(Capability::Memory64))
        .wasm_multi_memory(on(Capability::MultiMemory))
        .wasm_extended_const(on(Capability::ExtendedConst))
        .wasm_function_references(on(Capability::FunctionReferences));
    // Without this, wasmtime validates shared memories but refuses to create one. (wasmtime
    // rates threads tier 2: no security fixes for old releases.)
    wt.shared_memory(on(Capability::Threads));
}

fn pooling_config(pooling: &PoolingConfig) -> Result<wasmtime::PoolingAllocationConfig> {
    let max_memory = usize::try_from(pooling.max_memory_bytes).map_err(|_| {
        Error::Config(format!(
            "pooling max_memory_bytes {} does not fit this host's address space",
            pooling.max_memory_bytes
        ))
    })?;
    let mut pc = wasmtime::PoolingAllocationConfig::new();
    let total = pooling.total_instances;
    pc.total_core_instances(total)
        .total_memories(total)
        .total_tables(total)
        .total_gc_heaps(total)
        .max_memory_size(max_memory)
        .table_elements(pooling.max_table_elements as usize);
    Ok(pc)
}

/// What an engine built from `config` can do.
pub(crate) fn capabilities(config: &Config) -> Result<Capabilities> {
    let mut caps: Capabilities = [
        Capability::Precompile,
        Capability::MemoryLimit,
        Capability::TableLimit,
        Capability::StackOverflowTrap,
        Capability::MultiResultHostFunctions,
    ]
    .into_iter()
    .chain(proposals(config)?.iter())
    .collect();
    caps.set(Capability::Fuel, config.fuel);
    caps.set(Capability::Deadline, config.interruptible);
    caps.set(Capability::Interrupt, config.interruptible);
    Ok(caps)
}

/// A stable description of everything that changes the code wasmtime generates: wasmux's
/// settings in words, and a digest of wasmtime's own compilation environment (target triple,
/// Cranelift and ISA flags — the CPU features wasmtime detected —, tunables, features).
pub(crate) fn compat_key(config: &Config, engine: &wasmtime::Engine) -> Result<String> {
    let features: Vec<&str> = proposals(config)?.iter().map(Capability::as_str).collect();
    let mut digest = Fnv1a::default();
    engine.precompile_compatibility_hash().hash(&mut digest);
    Ok(format!(
        "target={}-{};compiler=cranelift;opt={:?};features={};fuel={};epochs={};max_wasm_stack={};wasmtime-env={:016x}",
        std::env::consts::ARCH,
        std::env::consts::OS,
        config.opt_level,
        features.join(","),
        config.fuel,
        config.interruptible,
        config.max_wasm_stack.map_or_else(|| "default".to_string(), |b| b.to_string()),
        digest.finish(),
    ))
}

/// FNV-1a, 64-bit: a hash with no random keys, so the digest is the same in every process.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
