//! The wasmtime backend of wasmux: Cranelift JIT compilation and precompiled artifacts behind
//! the engine-independent [`wasmux_core::Engine`] contract.
//!
//! [`WasmtimeEngine`] implements [`wasmux_core::Engine`]; its modules are [`WasmtimeModule`]s
//! and its instances [`WasmtimeInstance`]s, each with its own wasmtime store.
//!
//! # Deadlines and interrupts
//!
//! With [`Config::interruptible`](wasmux_core::Config::interruptible) (off by default), compiled
//! code checks wasmtime's *epoch* at every function entry and loop back-edge. A per-call
//! deadline ([`Limits::deadline`](wasmux_core::Limits::deadline)) is enforced by one ticker
//! thread per engine that advances the epoch every **1 ms**; at each tick a running call
//! compares the clock with its deadline. A deadline therefore fires between 0 and about 1 ms
//! late (plus scheduling delay on a loaded machine), and only while the guest executes wasm
//! code: time spent inside a host function is counted, but the call is stopped only when it
//! returns to wasm. The ticker starts with the first instance that has a deadline, and stops
//! once the engine and every instance with a deadline are dropped.
//!
//! An [`InterruptHandle`](wasmux_core::InterruptHandle) advances the epoch itself when fired,
//! so an interrupt is seen at the guest's next check point, with or without the ticker.
//! Both surface as a trap with [`TrapCode::Interrupt`](wasmux_core::TrapCode::Interrupt).
//!
//! Without `interruptible`, no epoch checks are compiled in (tight loops run up to 1.9×
//! faster, as `wasmtime run` without `-W timeout` does), deadlines are refused with [`Error::Unsupported`](wasmux_core::Error::Unsupported), and
//! interrupt handles have no effect.
//!
//! # Fuel
//!
//! With [`Config::fuel`](wasmux_core::Config::fuel), each instance gets
//! [`Limits::fuel`](wasmux_core::Limits::fuel) units for its lifetime (or `u64::MAX` if
//! unset); running out traps with `OutOfFuel`. Asking for `Limits::fuel` from an engine built
//! without fuel fails with [`Error::Unsupported`](wasmux_core::Error::Unsupported)
//! `{ feature: "fuel" }`, as does [`Instance::set_fuel`](wasmux_core::Instance::set_fuel).
//!
//! # Text
//!
//! This backend takes binary modules only (wasmtime is built without its `wat` feature); the
//! `wasmux` facade converts text.

mod artifact;
mod caller_exports;
mod engine;
mod externs;
mod host;
mod instance;
mod link;
mod module;
mod settings;
mod store;
mod store_items;
mod ticker;
mod traps;
mod values;

pub use engine::WasmtimeEngine;
pub use instance::{WasmtimeFunc, WasmtimeInstance};
pub use module::WasmtimeModule;

/// The engine's name in [`EngineInfo`](wasmux_core::EngineInfo), errors, spans and artifacts:
/// core's name for this backend.
pub(crate) const ENGINE: &str = wasmux_core::Backend::Wasmtime.name();

/// The exact version of the `wasmtime` crate this backend is built on (pinned in the workspace);
/// `wasmux/tests/engine_versions.rs` checks it against `Cargo.lock`.
pub const ENGINE_VERSION: &str = "48.0.0";
