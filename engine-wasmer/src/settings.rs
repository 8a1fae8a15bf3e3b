//! What a wasmux [`Config`] means for wasmer: the compiler, the proposals, and everything that
//! must match between the engine that precompiles an artifact and the one that loads it.
//!
//! Everything a configuration cannot honour is refused here, when the engine is built.

use std::fmt::Write as _;

use wasmer::sys::Target;
use wasmux_core::backend::ArtifactStamp;
use wasmux_core::{Capabilities, Capability, Compiler, Config, Error, Features, OptLevel, Result};

use crate::{ENGINE, ENGINE_VERSION};

/// Version of the transformations wasmux applies to every module it compiles (start function
/// hoisted to an export, metering globals). Part of every artifact's compatibility key.
const WASMUX_ABI: u32 = 1;

/// A wasmer code generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompilerKind {
    Cranelift,
    Singlepass,
    Llvm,
}

impl CompilerKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            CompilerKind::Cranelift => "cranelift",
            CompilerKind::Singlepass => "singlepass",
            CompilerKind::Llvm => "llvm",
        }
    }

    /// Every compiler, in order of preference when the configuration does not name one.
    const ALL: [CompilerKind; 3] =
        [CompilerKind::Cranelift, CompilerKind::Singlepass, CompilerKind::Llvm];

    /// The proposals this compiler's code is built with under `features`.
    fn proposals(self, features: &Features) -> Result<Capabilities> {
        features.resolve(ENGINE, |cap| self.supports(cap))
    }

    /// Whether this build can compile with it.
    fn is_built(self) -> bool {
        match self {
            CompilerKind::Cranelift => cfg!(feature = "cranelift"),
            CompilerKind::Singlepass => cfg!(feature = "singlepass"),
            CompilerKind::Llvm => cfg!(feature = "llvm"),
        }
    }

    /// The proposals wasmer 7.4.2 implements with this compiler, read from its source:
    /// Cranelift's `supported_features_for_target` (wasmer's defaults plus exceptions and
    /// relaxed SIMD; its translator rejects `return_call`), LLVM's (the same plus tail calls),
    /// and Singlepass's code generator, which has no `v128` operators, no exception handling
    /// and no tail calls.
    pub(crate) fn supports(self, cap: Capability) -> bool {
        use Capability::*;
        let common = matches!(
            cap,
            MultiValue | BulkMemory | ReferenceTypes | Threads | MultiMemory | ExtendedConst
        );
        match self {
            CompilerKind::Cranelift => common || matches!(cap, Simd | RelaxedSimd | Exceptions),
            CompilerKind::Singlepass => common,
            CompilerKind::Llvm => {
                common || matches!(cap, Simd | RelaxedSimd | Exceptions | TailCalls)
            }
        }
    }
}

/// The resolved configuration of one [`WasmerEngine`](crate::WasmerEngine).
#[derive(Debug)]
pub(crate) struct Settings {
    /// The compiler used by `compile`/`precompile`; `None` in a build without one.
    pub compiler: Option<CompilerKind>,
    /// Compilers whose artifacts `load_precompiled` accepts (one, except for a headless build
    /// configured with [`Compiler::Auto`], which accepts any).
    pub accepted: Vec<CompilerKind>,
    pub features: wasmer::sys::Features,
    /// The proposals as configured, from which each compiler's own set follows.
    pub proposals: Features,
    pub fuel: bool,
    pub interruptible: bool,
    pub opt_level: OptLevel,
    /// The guest stack wasmer gets: `Config::max_wasm_stack` scaled by [`stack_per_frame`].
    pub max_wasm_stack: Option<usize>,
    pub target: Target,
    pub capabilities: Capabilities,
}

impl Settings {
    /// Resolves `config`, refusing what wasmer 7.4.2 cannot do in this build.
    pub(crate) fn new(config: &Config) -> Result<Self> {
        if config.pooling.is_some() {
            return Err(Error::unsupported(ENGINE, "the pooling instance allocator"));
        }
        if config.interruptible && !cfg!(unix) {
            return Err(Error::unsupported(
                ENGINE,
                "interruptible calls on this platform (wasmer interrupts by a unix signal)",
            ));
        }
        let built = CompilerKind::ALL.into_iter().find(|c| c.is_built());
        let headless = built.is_none();
        let (compiler, accepted) = match config.compiler {
            Compiler::Auto => match built {
                Some(kind) => (Some(kind), vec![kind]),
                None => (None, CompilerKind::ALL.to_vec()),
            },
            Compiler::Llvm => Self::named(CompilerKind::Llvm, headless)?,
            Compiler::Cranelift => Self::named(CompilerKind::Cranelift, headless)?,
            Compiler::Singlepass => Self::named(CompilerKind::Singlepass, headless)?,
        };

        // A proposal is implemented when the compiler whose code runs here implements it (one
        // of them, for a headless engine that accepts artifacts of either).
        let implements = |cap| accepted.iter().any(|k: &CompilerKind| k.supports(cap));
        let enabled = config.features.resolve(ENGINE, implements).map_err(|_| {
            let lacking: Vec<&str> = Features::PROPOSALS
                .into_iter()
                .filter(|cap| config.features.choice(*cap) == Some(true) && !implements(*cap))
                .map(Capability::as_str)
                .collect();
            let names: Vec<&str> = accepted.iter().map(|k| k.name()).collect();
            Error::unsupported(
                ENGINE,
                format!(
                    "{} with the {} compiler of wasmer {ENGINE_VERSION}",
                    lacking.join(", "),
                    names.join("/")
                ),
            )
        })?;

        // The code of the compiler in use is compiled with exactly its own proposals; a headless
        // engine loads artifacts of any accepted compiler, each made with that compiler's.
        let features = match compiler {
            Some(kind) => wasmer_features(kind.proposals(&config.features)?),
            None => wasmer_features(enabled),
        };

        let mut capabilities = enabled;
        capabilities
            .set(Capability::Precompile, compiler.is_some())
            .set(Capability::Fuel, config.fuel)
            .set(Capability::Deadline, config.interruptible)
            .set(Capability::Interrupt, config.interruptible)
            .set(Capability::MemoryLimit, true)
            .set(Capability::TableLimit, true)
            .set(Capability::StackOverflowTrap, true)
            .set(Capability::MultiResultHostFunctions, compiler != Some(CompilerKind::Singlepass));

        let max_wasm_stack = match (config.max_wasm_stack, stack_per_frame(compiler, &accepted)) {
            // wasmer's own default (1 MiB) already holds wasmtime's default depth.
            (None, 1) => None,
            (bytes, factor) => {
                Some(bytes.unwrap_or(wasmux_core::DEFAULT_MAX_WASM_STACK).saturating_mul(factor))
            }
        };
        Ok(Settings {
            compiler,
            accepted,
            features,
            proposals: config.features.clone(),
            fuel: config.fuel,
            interruptible: config.interruptible,
            opt_level: config.opt_level,
            max_wasm_stack,
            target: Target::default(),
            capabilities,
        })
    }

    /// A compiler named in the configuration: used if built; in a headless build it names the
    /// compiler whose artifacts are accepted.
    fn named(
        kind: CompilerKind,
        headless: bool,
    ) -> Result<(Option<CompilerKind>, Vec<CompilerKind>)> {
        if kind.is_built() {
            Ok((Some(kind), vec![kind]))
        } else if headless {
            Ok((None, vec![kind]))
        } else {
            Err(Error::unsupported(
                ENGINE,
                format!(
                    "the {} compiler (not built: enable the `{}` feature)",
                    kind.name(),
                    kind.name()
                ),
            ))
        }
    }

    /// The stamp artifacts are sealed with: `kind`'s compatibility key.
    pub(crate) fn stamp(&self, kind: CompilerKind) -> ArtifactStamp {
        ArtifactStamp {
            engine: ENGINE,
            engine_version: ENGINE_VERSION.to_string(),
            compat_key: self.compat_key(kind),
        }
    }

    /// Every setting that changes the code wasmer generates, in a stable textual form: the
    /// compiler (and its optimisation level), the proposals, metering and its cost,
    /// wasmux's own module transformations, and the host triple and CPU features the code was
    /// generated for. Interruption is absent on purpose: wasmer interrupts by signal, without
    /// instrumenting code, so the same artifact serves interruptible and other engines. The
    /// guest stack size and the limits are absent too: they are applied when instantiating.
    pub(crate) fn compat_key(&self, kind: CompilerKind) -> String {
        let mut key = format!("compiler={}", kind.name());
        if kind != CompilerKind::Singlepass {
            let opt = match self.opt_level {
                OptLevel::None => "none",
                OptLevel::Speed => "speed",
                OptLevel::SpeedAndSize => "speed_and_size",
            };
            let _ = write!(key, ";opt={opt}");
        }
        let f = &kind
            .proposals(&self.proposals)
            .map_or_else(|_| self.features.clone(), wasmer_features);
        let flags = [
            (f.threads, "threads"),
            (f.reference_types, "reference-types"),
            (f.simd, "simd"),
            (f.bulk_memory, "bulk-memory"),
            (f.multi_value, "multi-value"),
            (f.tail_call, "tail-calls"),
            (f.multi_memory, "multi-memory"),
            (f.memory64, "memory64"),
            (f.exceptions, "exceptions"),
            (f.relaxed_simd, "relaxed-simd"),
            (f.extended_const, "extended-const"),
        ];
        let enabled: Vec<&str> = flags.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        let _ = write!(key, ";features={}", enabled.join(","));
        let fuel = if self.fuel { "metering(1/operator)" } else { "off" };
        let _ = write!(key, ";fuel={fuel};wasmux-abi={WASMUX_ABI}");
        let cpu: Vec<String> = self.target.cpu_features().iter().map(|c| c.to_string()).collect();
        let _ = write!(key, ";target={};cpu={}", self.target.triple(), cpu.join(","));
        key
    }
}

/// wasmer's switches for the proposals `enabled`.
fn wasmer_features(enabled: Capabilities) -> wasmer::sys::Features {
    let on = |cap| enabled.has(cap);
    let mut features = wasmer::sys::Features::none();
    features.threads = on(Capability::Threads);
    features.reference_types = on(Capability::ReferenceTypes);
    features.simd = on(Capability::Simd);
    features.bulk_memory = on(Capability::BulkMemory);
    features.multi_value = on(Capability::MultiValue);
    features.tail_call = on(Capability::TailCalls);
    features.multi_memory = on(Capability::MultiMemory);
    features.memory64 = on(Capability::Memory64);
    features.exceptions = on(Capability::Exceptions);
    features.relaxed_simd = on(Capability::RelaxedSimd);
    features.extended_const = on(Capability::ExtendedConst);
    features
}

/// How many times wasmtime's stack a compiler's code needs for the same recursion depth:
/// `Config::max_wasm_stack` means the depth wasmtime reaches with that many bytes, so a module
/// that recurses within wasmtime's default completes on every engine. Singlepass keeps values
/// in stack slots, and needs eight times the stack to reach the depths of the conformance
/// suite's recursion cases. When the compiler whose code runs is not known (headless), any may
/// be.
fn stack_per_frame(compiler: Option<CompilerKind>, accepted: &[CompilerKind]) -> usize {
    let singlepass = match compiler {
        Some(kind) => kind == CompilerKind::Singlepass,
        None => accepted.contains(&CompilerKind::Singlepass),
    };
    if singlepass { 8 } else { 1 }
}
