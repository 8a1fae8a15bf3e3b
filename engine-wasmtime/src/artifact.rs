//! Loading the payload of a precompiled artifact into a wasmtime module.
//!
//! The wasmux envelope ([`ArtifactStamp`](wasmux_core::backend::ArtifactStamp)) has already refused
//! foreign, stale, mis-configured and damaged artifacts by the time a payload gets here; this
//! is the second line: wasmtime's own header and compatibility checks.

use wasmux_core::{ArtifactProblem, Error, Result};

use crate::ENGINE;
use crate::traps::chain;

/// Deserialises a payload made by `wasmtime::Engine::precompile_module`.
///
/// # Safety
/// `payload` must come from a trusted `precompile_module`: wasmtime maps its code executable.
pub(crate) unsafe fn deserialize(
    engine: &wasmtime::Engine,
    payload: &[u8],
) -> Result<wasmtime::Module> {
    match wasmtime::Engine::detect_precompiled(payload) {
        Some(wasmtime::Precompiled::Module) => {}
        Some(wasmtime::Precompiled::Component) => {
            return Err(refused(
                ArtifactProblem::Incompatible,
                "the artifact holds a component, not a core module".into(),
            ));
        }
        None => {
            return Err(refused(
                ArtifactProblem::Corrupt,
                "the payload is not a wasmtime precompiled module".into(),
            ));
        }
    }
    // SAFETY: forwarded from this function's contract.
    unsafe { wasmtime::Module::deserialize(engine, payload) }.map_err(|e| {
        let message = chain(&e);
        // wasmtime's compatibility checks (target, flags, tunables, features, collector) all
        // say "… was compiled …" or "incompatible"; its version checks say "version"; anything
        // else is a payload it could not read.
        let lower = message.to_ascii_lowercase();
        let problem = if lower.contains("version") {
            ArtifactProblem::OtherVersion
        } else if lower.contains("incompatible") || lower.contains("compiled") {
            ArtifactProblem::Incompatible
        } else {
            ArtifactProblem::Corrupt
        };
        refused(problem, message)
    })
}

fn refused(problem: ArtifactProblem, message: String) -> Error {
    Error::Artifact { engine: ENGINE, problem, message }
}
