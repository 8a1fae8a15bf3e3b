//! The wasmux backend on [wasmer] 7.4.2: compile ahead of time, load the artifact anywhere —
//! even where no compiler is built.
//!
//! [`WasmerEngine`] implements [`wasmux_core::Engine`]. Its kind is
//! [`EngineKind::Aot`](wasmux_core::EngineKind::Aot): [`precompile`](wasmux_core::Engine::precompile)
//! produces an artifact, sealed in wasmux's envelope ([`wasmux_core::backend::ArtifactStamp`]), which
//! [`load_precompiled`](wasmux_core::Engine::load_precompiled) maps back on a compiler-less
//! (headless) wasmer engine.
//!
//! # Compilers
//!
//! | crate feature | compiler | proposals beyond WebAssembly 1.0 (wasmer 7.4.2) |
//! |---|---|---|
//! | `cranelift` (default) | Cranelift, optimising | SIMD, relaxed SIMD, multi-value, bulk memory, reference types, exceptions, threads, multi-memory, extended constants |
//! | `singlepass` | Singlepass, linear-time, slower code | multi-value, bulk memory, reference types, threads, multi-memory, extended constants |
//! | `llvm` | LLVM 22.1, slowest to compile, fastest code | as Cranelift, plus tail calls |
//!
//! No compiler implements 64-bit memories, typed function references or GC; only LLVM has tail
//! calls; Singlepass has no SIMD, no exceptions, and cannot call a host function that returns
//! several values (a module importing one is refused with `Unsupported` when compiled; the
//! capability is `MultiResultHostFunctions`).
//! [`Config::compiler`](wasmux_core::Config::compiler) picks one (`Auto` is the first built of
//! Cranelift, Singlepass, LLVM). The `llvm` feature needs LLVM 22.1 on the build machine
//! (Debian: `llvm-22-dev`) and `LLVM_SYS_221_PREFIX=/usr/lib/llvm-22`; it is not in the
//! facade's default features for that reason.
//! Enabling in [`Config::features`](wasmux_core::Config::features) a proposal the compiler lacks
//! makes [`Engine::new`](wasmux_core::Engine::new) fail with
//! [`Error::Unsupported`](wasmux_core::Error::Unsupported); with Singlepass, turn `simd` off.
//!
//! # Headless mode
//!
//! Built with no compiler feature (the `headless` feature names that intent),
//! the engine has no compiler: `compile`, `validate` and `precompile` return
//! [`Error::Unsupported`](wasmux_core::Error::Unsupported), and precompiled artifacts load and
//! run as usual. Artifacts must have been made with the same settings: compiler
//! (`Config::compiler` names it; `Auto` accepts artifacts of any), optimisation level, proposals, fuel, and the same target triple and CPU features. Anything else is
//! refused with [`Error::Artifact`](wasmux_core::Error::Artifact).
//!
//! # Limits
//!
//! Memory and table limits are enforced per store, on each of its memories and tables, the
//! host's included (each store has its own wasmer engine clone and tunables). Fuel
//! (`Config::fuel`) compiles wasmer's metering middleware into the code:
//! one unit per operator, charged per basic block; [`Limits::fuel`](wasmux_core::Limits::fuel)
//! without `Config::fuel` is refused with `Error::Unsupported`, and with `Config::fuel` but no
//! `Limits::fuel` the instance is unmetered in effect (`u64::MAX`). A module's start function
//! runs after instantiation proper, so fuel, deadline and host memory access apply to it too.
//! Metering counts per instance: in a store of several metered instances, each starts a call
//! with the store's fuel and their consumption is summed when the call ends, so a call that
//! crosses instances may overrun the fuel by what the others consumed before it stops.
//!
//! # Interrupts and deadlines
//!
//! With `Config::interruptible` (unix only), deadlines and
//! [`InterruptHandle`](wasmux_core::InterruptHandle)s use wasmer's `experimental-host-interrupt`:
//! a per-engine watchdog thread sends `SIGUSR1` to the thread running the call, and wasmer
//! unwinds the guest with a trap reported as [`TrapCode::Interrupt`](wasmux_core::TrapCode::Interrupt).
//! No check is compiled into the guest code. What interruption costs is a handshake with the
//! watchdog as each call starts and ends: two sequentially consistent stores, about 9 % of a
//! call to an empty function (`Config::interruptible(false)` leaves them out).
//! Granularity: guest code stops within microseconds; a running host function is never
//! interrupted, and the call stops when it returns to the guest. The signal can be missed when
//! it arrives just as a call enters the guest, so the watchdog repeats it (after 50 ms,
//! doubling to 400 ms) until the call ends; a call that returns from a host function into a
//! loop therefore stops up to 400 ms after the host function returns. `SIGUSR1` belongs to
//! wasmer in processes using this engine, and its handler does not restart interrupted system
//! calls.
//!
//! [`Config::max_wasm_stack`](wasmux_core::Config::max_wasm_stack) sets the size of the guest
//! stack wasmer runs calls on, as a minimum: wasmer reuses any cached stack at least that
//! large, so a guest may get more (at least its 1 MiB default when a default-sized stack is
//! cached). Unbounded recursion traps with
//! [`TrapCode::StackOverflow`](wasmux_core::TrapCode::StackOverflow) either way.
//!
//! # Memory and code lifetime
//!
//! Each module, compiled or loaded from an artifact, owns a private wasmer engine (a headless
//! one for artifacts), so its machine code is freed with the last module handle and instance:
//! a wasmer engine keeps the code of every module it ever made until it is dropped, and a
//! long-running embedder that reloads modules into one engine grows without bound (by about
//! 16 MiB per load of a 4.4 MiB module, measured; thousands of loads exhaust the process's
//! memory mappings). A store keeps the code of every module instantiated into it. Each
//! `externref` passed into an instance stays in its store until the store is dropped, as do
//! the instances, memories, tables and globals made in it.
//!
//! [wasmer]: https://docs.rs/wasmer/7.4.2

#![warn(missing_docs)]

mod caller_exports;
#[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
mod compile;
mod engine;
mod externs;
mod fuel;
mod host;
mod instance;
mod interrupt;
mod module;
mod native;
mod settings;
mod traps;
mod tunables;
mod typed_call;
mod values;

pub use engine::WasmerEngine;
pub use instance::{WasmerFunc, WasmerInstance};
pub use module::WasmerModule;

/// The engine's name in [`EngineInfo`](wasmux_core::EngineInfo), errors, spans and artifacts:
/// core's name for this backend.
pub(crate) const ENGINE: &str = wasmux_core::Backend::Wasmer.name();

/// The exact version of the `wasmer` crate this backend is built on (pinned in the workspace);
/// `wasmux/tests/engine_versions.rs` checks it against `Cargo.lock`.
pub const ENGINE_VERSION: &str = "7.4.2";
