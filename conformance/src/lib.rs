//! The one behaviour suite every wasmux engine runs.
//!
//! Each backend registers the whole suite from its `tests/conformance.rs` with one line:
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     wasmux_conformance::main::<wasmux_wasmi::WasmiEngine>()
//! }
//! ```
//!
//! Tests are named `ENGINE/GROUP/CASE`. A case needing a capability the engine lacks is
//! reported as ignored, naming the capability; and for every capability the engine lacks, a
//! test `ENGINE/unsupported/CAPABILITY` checks that asking for it fails with
//! [`Error::Unsupported`](wasmux_core::Error::Unsupported) — a missing feature is never
//! silently passed over.

mod case;
pub mod cases;
pub mod differential;
mod harness;
mod probe;
pub mod program;
pub mod programs;
pub mod wast;

pub use case::{Case, Ctx, Outcome};
pub use harness::{main, trials};
