//! Engine configuration, as data: the CLI, a config file and an embedder share it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capability::{Capabilities, Capability};
use crate::error::{Error, Result};

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

impl Compiler {
    /// The compiler's name, as the CLI's `--compiler` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Compiler::Auto => "auto",
            Compiler::Cranelift => "cranelift",
            Compiler::Singlepass => "singlepass",
            Compiler::Llvm => "llvm",
        }
    }
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

/// The WebAssembly proposals an engine is built with. Each proposal is switched on, switched
/// off, or — the default — left to the engine, which enables it when it belongs to
/// WebAssembly 3.0 and the engine (with its compiler) implements it soundly, as wasmtime's own
/// defaults do. Threads are not part of WebAssembly 3.0: they are on only when asked.
///
/// Asking for a proposal the engine lacks makes [`Engine::new`](crate::Engine::new) fail with
/// [`Error::Unsupported`] naming it; [`Capabilities`] say what was enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Features {
    /// The proposals switched on or off explicitly; the others are left to the engine.
    choices: BTreeMap<Capability, bool>,
}

impl Features {
    /// Every proposal a feature switch governs.
    pub const PROPOSALS: [Capability; 13] = [
        Capability::Simd,
        Capability::RelaxedSimd,
        Capability::MultiValue,
        Capability::BulkMemory,
        Capability::ReferenceTypes,
        Capability::TailCalls,
        Capability::Exceptions,
        Capability::Gc,
        Capability::Threads,
        Capability::Memory64,
        Capability::MultiMemory,
        Capability::ExtendedConst,
        Capability::FunctionReferences,
    ];

    /// Every proposal left to the engine.
    pub fn new() -> Self {
        Features::default()
    }

    /// Every proposal switched on, as wasmtime's `-W all-proposals=y`: an engine lacking any
    /// refuses it.
    pub fn all() -> Self {
        Features { choices: Self::PROPOSALS.into_iter().map(|cap| (cap, true)).collect() }
    }

    /// Every proposal switched off: WebAssembly 1.0 and the small proposals no switch governs.
    pub fn none() -> Self {
        Features { choices: Self::PROPOSALS.into_iter().map(|cap| (cap, false)).collect() }
    }

    /// Whether `cap` is a proposal (rather than, say, fuel).
    pub fn is_proposal(cap: Capability) -> bool {
        Self::PROPOSALS.contains(&cap)
    }

    /// Whether `cap` belongs to WebAssembly 3.0, and so is on by default where implemented.
    pub fn in_wasm3(cap: Capability) -> bool {
        Self::is_proposal(cap) && cap != Capability::Threads
    }

    /// The explicit choice for `cap`: `None` when left to the engine or not a proposal.
    pub fn choice(&self, cap: Capability) -> Option<bool> {
        self.choices.get(&cap).copied()
    }

    /// Switches the proposal `cap` on or off. Returns whether `cap` is a proposal; a
    /// capability that no feature governs (fuel, deadlines, precompilation) changes nothing.
    pub fn set(&mut self, cap: Capability, on: bool) -> bool {
        let proposal = Self::is_proposal(cap);
        if proposal {
            self.choices.insert(cap, on);
        }
        proposal
    }

    /// Leaves `cap` to the engine again.
    pub fn reset(&mut self, cap: Capability) -> &mut Self {
        self.choices.remove(&cap);
        self
    }

    /// The proposals `cap` builds on, which must be on with it: relaxed SIMD extends SIMD, GC
    /// extends typed function references, which extend reference types.
    pub fn prerequisites(cap: Capability) -> &'static [Capability] {
        match cap {
            Capability::RelaxedSimd => &[Capability::Simd],
            Capability::Gc => &[Capability::FunctionReferences, Capability::ReferenceTypes],
            Capability::FunctionReferences => &[Capability::ReferenceTypes],
            _ => &[],
        }
    }

    /// The proposals engine `engine` enables, given which it implements: those switched on
    /// with their prerequisites, and those left to it that are in WebAssembly 3.0, implemented,
    /// and whose prerequisites are on. A proposal switched on that the engine lacks is
    /// [`Error::Unsupported`]; one switched on whose prerequisite is switched off,
    /// [`Error::Config`].
    pub fn resolve(
        &self,
        engine: &'static str,
        implemented: impl Fn(Capability) -> bool,
    ) -> Result<Capabilities> {
        let mut enabled = Capabilities::none();
        for cap in Self::PROPOSALS {
            let on = match self.choice(cap) {
                Some(on) => on,
                None => Self::in_wasm3(cap) && implemented(cap),
            };
            enabled.set(cap, on);
        }
        let switched_on =
            || Self::PROPOSALS.into_iter().filter(|cap| self.choice(*cap) == Some(true));
        if let Some(cap) = switched_on().find(|cap| !implemented(*cap)) {
            return Err(Error::unsupported(engine, format!("the {cap} proposal")));
        }
        for cap in switched_on() {
            for needed in Self::prerequisites(cap) {
                if self.choice(*needed) == Some(false) {
                    return Err(Error::Config(format!(
                        "the {cap} proposal needs the {needed} proposal, which is switched off"
                    )));
                }
                enabled.set(*needed, true);
            }
        }
        for cap in enabled.iter().filter(|cap| Self::is_proposal(*cap)) {
            if !implemented(cap) {
                return Err(Error::unsupported(engine, format!("the {cap} proposal")));
            }
        }
        // A proposal left to the engine goes off with a prerequisite switched off. (Chains are
        // short: GC, typed function references, reference types.)
        for _ in 0..2 {
            for cap in Self::PROPOSALS.into_iter().filter(|cap| self.choice(*cap).is_none()) {
                if Self::prerequisites(cap).iter().any(|needed| !enabled.has(*needed)) {
                    enabled.set(cap, false);
                }
            }
        }
        Ok(enabled)
    }
}

/// Settings of wasmtime's pooling instance allocator, for many short-lived instances.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PoolingConfig {
    /// Instances alive at once.
    pub total_instances: u32,
    /// Largest linear memory of one instance, in bytes.
    pub max_memory_bytes: u64,
    /// Largest table of one instance, in elements.
    pub max_table_elements: u32,
}

impl PoolingConfig {
    /// The default pool: 1000 instances of at most 64 MiB of memory and 10 000 table elements.
    pub fn new() -> Self {
        PoolingConfig::default()
    }

    /// Sets how many instances may be alive at once.
    pub fn total_instances(&mut self, instances: u32) -> &mut Self {
        self.total_instances = instances;
        self
    }

    /// Sets the largest linear memory of one instance, in bytes.
    pub fn max_memory_bytes(&mut self, bytes: u64) -> &mut Self {
        self.max_memory_bytes = bytes;
        self
    }

    /// Sets the largest table of one instance, in elements.
    pub fn max_table_elements(&mut self, elements: u32) -> &mut Self {
        self.max_table_elements = elements;
        self
    }
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
/// [`Engine::new`](crate::Engine::new) fail with [`Error::Unsupported`].
///
/// Built with [`Config::new`] and its setters (fields can be read and assigned, but not listed
/// in a struct literal: new options will come).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Config {
    /// Proposals to enable; by default every WebAssembly 3.0 proposal the engine implements.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn implemented_but_gc(cap: Capability) -> bool {
        Features::is_proposal(cap) && cap != Capability::Gc
    }

    #[test]
    fn by_default_every_implemented_wasm3_proposal_is_on_and_threads_off() {
        let enabled = Features::new().resolve("e", implemented_but_gc).expect("resolves");
        for cap in Features::PROPOSALS {
            let expected = cap != Capability::Gc && cap != Capability::Threads;
            assert_eq!(enabled.has(cap), expected, "{cap}");
        }
    }

    #[test]
    fn a_proposal_switched_on_that_the_engine_lacks_is_unsupported() {
        let mut features = Features::new();
        features.set(Capability::Gc, true);
        let error = features.resolve("e", implemented_but_gc).expect_err("refused");
        assert_eq!(error.to_string(), "e does not support the gc proposal");
    }

    #[test]
    fn prerequisites_follow_the_proposals_built_on_them() {
        let mut features = Features::new();
        features.set(Capability::Simd, false);
        let enabled = features.resolve("e", Features::is_proposal).expect("resolves");
        assert!(!enabled.has(Capability::RelaxedSimd), "relaxed SIMD goes off with SIMD");

        features.set(Capability::RelaxedSimd, true);
        let error = features.resolve("e", Features::is_proposal).expect_err("conflict");
        assert!(matches!(error, Error::Config(_)), "{error}");

        let mut features = Features::new();
        features.set(Capability::Gc, true);
        let lacking_references =
            |cap| Features::is_proposal(cap) && cap != Capability::FunctionReferences;
        let error = features.resolve("e", lacking_references).expect_err("refused");
        assert_eq!(error.to_string(), "e does not support the function-references proposal");
    }
}
