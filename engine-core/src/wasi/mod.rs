//! WASI preview1, written once and bound into every engine through host functions.

use crate::host::Imports;

/// The WASI state of one instance.
#[derive(Debug, Default)]
pub struct WasiCtx {}

/// Offers the `wasi_snapshot_preview1` functions.
pub fn add_to_imports(_imports: &mut Imports) {}
