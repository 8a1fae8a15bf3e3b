//! Engine configuration, as data: the CLI, a config file and an embedder share it.

use serde::{Deserialize, Serialize};

use crate::capability::Capability;

/// Which code generator a compiling engine uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compiler {
    /// The engine's default.
    #[default]
    Auto,
    /// Cranelift (wasmtime, wasmer).
    Cranelift,
    /// wasmer's Singlepass: fast to compile, slower code.
    Singlepass,
    /// wasmer's LLVM: slow to compile, fastest code.
    Llvm,
}

/// How hard the compiler optimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptLevel {
    /// No optimisation: fastest compile.
    None,
    /// Optimise for speed (the default).
    #[default]
    Speed,
    /// Optimise for speed and code size.
    SpeedAndSize,
}

/// WebAssembly proposals to enable. The default is the WebAssembly 2.0 set (SIMD, multi-value,
/// bulk memory, reference types) plus extended constants. Tail calls are off by default because
/// wasmer's compilers lack them; wasmer's Singlepass also lacks SIMD, so with it turn `simd` off.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
#[allow(clippy::struct_excessive_bools)]
pub struct Features {
    /// Fixed-width SIMD.
    pub simd: bool,
    /// Relaxed SIMD.
    pub relaxed_simd: bool,
    /// Multi-value.
    pub multi_value: bool,
    /// Bulk memory.
    pub bulk_memory: bool,
    /// Reference types.
    pub reference_types: bool,
    /// Tail calls.
    pub tail_calls: bool,
    /// Exception handling.
    pub exceptions: bool,
    /// Garbage collection.
    pub gc: bool,
    /// Threads (shared memory, atomics).
    pub threads: bool,
    /// 64-bit memories.
    pub memory64: bool,
    /// Multiple memories.
    pub multi_memory: bool,
    /// Extended constant expressions.
    pub extended_const: bool,
    /// Typed function references.
    pub function_references: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            simd: true,
            relaxed_simd: false,
            multi_value: true,
            bulk_memory: true,
            reference_types: true,
            tail_calls: false,
            exceptions: false,
            gc: false,
            threads: false,
            memory64: false,
            multi_memory: false,
            extended_const: true,
            function_references: false,
        }
    }
}

impl Features {
    /// The enabled proposals, as capabilities.
    pub fn enabled(&self) -> impl Iterator<Item = Capability> + '_ {
        Capability::ALL.into_iter().filter(|cap| self.get(*cap) == Some(true))
    }

    /// Whether the proposal `cap` is enabled; `None` if `cap` is not a proposal (fuel, say).
    pub fn get(&self, cap: Capability) -> Option<bool> {
        let mut copy = self.clone();
        copy.flag(cap).map(|on| *on)
    }

    /// Switches the proposal `cap` on or off. Returns whether `cap` is a proposal; a
    /// capability that no feature governs (fuel, deadlines, precompilation) changes nothing.
    pub fn set(&mut self, cap: Capability, on: bool) -> bool {
        match self.flag(cap) {
            Some(flag) => {
                *flag = on;
                true
            }
            None => false,
        }
    }

    /// The one mapping from capability to feature switch.
    fn flag(&mut self, cap: Capability) -> Option<&mut bool> {
        Some(match cap {
            Capability::Simd => &mut self.simd,
            Capability::RelaxedSimd => &mut self.relaxed_simd,
            Capability::MultiValue => &mut self.multi_value,
            Capability::BulkMemory => &mut self.bulk_memory,
            Capability::ReferenceTypes => &mut self.reference_types,
            Capability::TailCalls => &mut self.tail_calls,
            Capability::Exceptions => &mut self.exceptions,
            Capability::Gc => &mut self.gc,
            Capability::Threads => &mut self.threads,
            Capability::Memory64 => &mut self.memory64,
            Capability::MultiMemory => &mut self.multi_memory,
            Capability::ExtendedConst => &mut self.extended_const,
            Capability::FunctionReferences => &mut self.function_references,
            Capability::Precompile
            | Capability::Fuel
            | Capability::Deadline
            | Capability::Interrupt
            | Capability::MemoryLimit
            | Capability::TableLimit
            | Capability::StackOverflowTrap
            | Capability::MultiResultHostFunctions => return None,
        })
    }
}

/// Settings of wasmtime's pooling instance allocator, for many short-lived instances.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolingConfig {
    /// Instances alive at once.
    pub total_instances: u32,
    /// Largest linear memory of one instance, in bytes.
    pub max_memory_bytes: u64,
    /// Largest table of one instance, in elements.
    pub max_table_elements: u32,
}

impl Default for PoolingConfig {
    fn default() -> Self {
        PoolingConfig {
            total_instances: 1000,
            max_memory_bytes: 64 << 20,
            max_table_elements: 10_000,
        }
    }
}

/// How to build an engine. Options an engine cannot honour make
/// [`Engine::new`](crate::Engine::new) fail with [`Error::Unsupported`](crate::Error::Unsupported).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Proposals to enable.
    pub features: Features,
    /// Count fuel, so that [`Limits::fuel`](crate::Limits::fuel) can be enforced. Costs
    /// throughput on every engine.
    pub fuel: bool,
    /// Make calls interruptible, so that deadlines and
    /// [`InterruptHandle`](crate::InterruptHandle)s work. Off by default, because it costs
    /// throughput: wasmtime compiles an epoch check into every loop and function entry (up to
    /// 1.9× on a tight loop), wasmi meters fuel and runs calls in resumable slices, wasmer
    /// arms a watchdog around each call. A deadline on an engine without it is refused.
    pub interruptible: bool,
    /// The code generator, for compiling engines.
    pub compiler: Compiler,
    /// The optimisation level, for compiling engines.
    pub opt_level: OptLevel,
    /// Use a pooling allocator for instances (wasmtime).
    pub pooling: Option<PoolingConfig>,
    /// Largest guest call stack, in bytes; `None` means [`DEFAULT_MAX_WASM_STACK`]. Each engine
    /// maps it to its own knob: wasmtime's `max_wasm_stack`, wasmer's guest stack size (a
    /// minimum: wasmer may reuse a larger cached stack), and wasmi's recursion depth and value
    /// stack height, sized so that wasmi recurses at least as deep as wasmtime.
    pub max_wasm_stack: Option<usize>,
}

/// The guest call stack every engine gives by default: wasmtime's default `max_wasm_stack`, so
/// that a program recursing within what wasmtime allows completes on every engine.
pub const DEFAULT_MAX_WASM_STACK: usize = 512 << 10;

impl Default for Config {
    fn default() -> Self {
        Config {
            features: Features::default(),
            fuel: false,
            interruptible: false,
            compiler: Compiler::Auto,
            opt_level: OptLevel::Speed,
            pooling: None,
            max_wasm_stack: None,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Self {
        Config::default()
    }

    /// Turns fuel counting on or off.
    pub fn fuel(&mut self, on: bool) -> &mut Self {
        self.fuel = on;
        self
    }

    /// Turns interruptible calls (deadlines, interrupt handles) on or off; see
    /// [`Config::interruptible`](Config#structfield.interruptible) for what it costs.
    pub fn interruptible(&mut self, on: bool) -> &mut Self {
        self.interruptible = on;
        self
    }

    /// Chooses the code generator.
    pub fn compiler(&mut self, compiler: Compiler) -> &mut Self {
        self.compiler = compiler;
        self
    }

    /// Chooses the optimisation level.
    pub fn opt_level(&mut self, level: OptLevel) -> &mut Self {
        self.opt_level = level;
        self
    }

    /// Uses the pooling allocator with these settings.
    pub fn pooling(&mut self, pooling: Option<PoolingConfig>) -> &mut Self {
        self.pooling = pooling;
        self
    }

    /// Sets the largest guest call stack.
    pub fn max_wasm_stack(&mut self, bytes: Option<usize>) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// Mutable access to the proposals.
    pub fn features_mut(&mut self) -> &mut Features {
        &mut self.features
    }
}
