//! The wasmux backend on [wasmi](https://docs.rs/wasmi), an interpreter: no native code is
//! generated, start-up is the fastest of the three engines, and it runs where JIT is forbidden.
//!
//! # Stopping calls
//! wasmi has no epoch interruption. When the engine is configured `interruptible` (off by
//! default) or with `fuel`, wasmi meters fuel and every call runs in slices of [`FUEL_SLICE`] units
//! through wasmi's resumable calls; between slices the instance's deadline and
//! [`InterruptHandle`](wasmux_core::InterruptHandle) are checked. A stop is therefore noticed
//! within one slice, about 100 000 executed instructions. A start function runs in one piece.
//! Metered engines translate every function when compiling (wasmi's lazy translation charges
//! fuel on a function's first call, and running out there cannot be resumed); an engine with
//! neither fuel nor interruption keeps wasmi's lazy translation and its faster start-up.
//!
//! # Stores
//! A [`WasmiInstance`] is one wasmi `Store`: the instance it was made with, or none
//! ([`Engine::store`](wasmux_core::Engine::store)), every module instantiated into it since,
//! and the memories, tables and globals the host made in it, all behind
//! [`Extern`](wasmux_core::Extern) handles checked against the store's table before wasmi sees
//! them. A host function finds the exported `memory` of the instance calling it.
//!
//! # Engine panics
//! wasmi 2.0.0's lazy translator can panic on some valid modules; the backend contains such a
//! panic and reports [`Error::Engine`](wasmux_core::Error::Engine), and the store is unusable
//! afterwards (see the `contain` module). This relies on `panic = "unwind"`.
//!
//! Precompiled artifacts are not supported: there is nothing to precompile, and
//! [`Engine::precompile`](wasmux_core::Engine::precompile) returns
//! [`Error::Unsupported`](wasmux_core::Error::Unsupported).

mod caller_exports;
mod contain;
mod engine;
mod externs;
mod host;
mod instance;
mod link;
mod module;
mod native;
mod settings;
mod store;
mod store_items;
mod traps;
mod values;

pub use engine::WasmiEngine;
pub use instance::{FUEL_SLICE, WasmiFunc, WasmiInstance};
pub use module::WasmiModule;

/// The engine's name in [`EngineInfo`](wasmux_core::EngineInfo), errors, spans and artifacts:
/// core's name for this backend.
pub(crate) const ENGINE: &str = wasmux_core::Backend::Wasmi.name();

/// The exact version of the `wasmi` crate this backend is built on (pinned in the workspace);
/// `wasmux/tests/engine_versions.rs` checks it against `Cargo.lock`.
pub const ENGINE_VERSION: &str = "2.0.0";
