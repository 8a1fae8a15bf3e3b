//! The cases, by group. Every backend runs all of them.

mod bad_input;
mod caller_exports;
mod gc_values;
mod host;
mod instance;
mod limits;
mod link;
mod precompiled;
mod proposals;
mod stores;
mod traps;
mod values;

pub use proposals::{PROPOSAL_MODULES, ProposalModule};
use wasmux_core::Engine;

use crate::case::Case;

/// Every case of the suite, for engine `E`.
pub fn all<E: Engine>() -> Vec<Case<E>> {
    [
        values::cases::<E>(),
        gc_values::cases::<E>(),
        host::cases::<E>(),
        caller_exports::cases::<E>(),
        traps::cases::<E>(),
        limits::cases::<E>(),
        link::cases::<E>(),
        instance::cases::<E>(),
        bad_input::cases::<E>(),
        precompiled::cases::<E>(),
        proposals::cases::<E>(),
        stores::cases::<E>(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
