//! Containing panics inside wasmi.
//!
//! wasmi 2.0.0's translator can panic on valid modules (wasmux's differential fuzzer found
//! "a register operand already exists on the stack" on modules wasm-smith generates). Since
//! wasmi translates functions lazily, on their first call, such a panic would unwind out of a
//! call into the embedder. Every entry into wasmi goes through [`contained`], which turns a
//! panic into [`Error::Engine`]; the instance it happened in is then unusable.
//!
//! This needs `panic = "unwind"` (Rust's default); with `panic = "abort"` the process ends.

use std::panic::{AssertUnwindSafe, catch_unwind};

use wasmux_core::backend::panic_message;
use wasmux_core::{Error, Result};

use crate::ENGINE;

/// Runs `f`, turning a panic inside wasmi into [`Error::Engine`].
pub(crate) fn contained<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    // Unwind safety: after a panic the caller discards (or poisons) whatever `f` touched.
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = format!("wasmi panicked: {}", panic_message(payload.as_ref()));
        Err(Error::Engine { engine: ENGINE, message })
    })
}
