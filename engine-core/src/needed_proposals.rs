//! Telling a module that needs a proposal the engine lacks from a malformed one. Engines report
//! both as invalid; only the second is the module's fault, and the first must say what is
//! missing.

use wasmparser::{Validator, WasmFeatures};

use crate::capability::{Capabilities, Capability};
use crate::config::Features;
use crate::error::Error;

/// What every engine validates with, whatever its proposals: WebAssembly 1.0 and the small
/// proposals merged into 2.0 that no switch governs.
const BASE: WasmFeatures = WasmFeatures::MUTABLE_GLOBAL
    .union(WasmFeatures::SATURATING_FLOAT_TO_INT)
    .union(WasmFeatures::SIGN_EXTENSION)
    .union(WasmFeatures::FLOATS)
    .union(WasmFeatures::GC_TYPES);

/// wasmparser's switches for the proposal `cap`.
fn flags(cap: Capability) -> WasmFeatures {
    match cap {
        Capability::Simd => WasmFeatures::SIMD,
        Capability::RelaxedSimd => WasmFeatures::RELAXED_SIMD,
        Capability::MultiValue => WasmFeatures::MULTI_VALUE,
        Capability::BulkMemory => WasmFeatures::BULK_MEMORY,
        Capability::ReferenceTypes => WasmFeatures::REFERENCE_TYPES,
        Capability::TailCalls => WasmFeatures::TAIL_CALL,
        Capability::Exceptions => WasmFeatures::EXCEPTIONS,
        Capability::Gc => WasmFeatures::GC,
        Capability::Threads => WasmFeatures::THREADS,
        Capability::Memory64 => WasmFeatures::MEMORY64,
        Capability::MultiMemory => WasmFeatures::MULTI_MEMORY,
        Capability::ExtendedConst => WasmFeatures::EXTENDED_CONST,
        Capability::FunctionReferences => WasmFeatures::FUNCTION_REFERENCES,
        _ => WasmFeatures::empty(),
    }
}

fn is_valid(wasm: &[u8], features: WasmFeatures) -> bool {
    Validator::new_with_features(features).validate_all(wasm).is_ok()
}

/// The proposals `wasm` needs that `enabled` lacks, or `None` when it is not valid even with
/// every proposal on (then it is malformed).
///
/// A module may need several; dropping, one at a time, each missing proposal the module can
/// do without leaves a smallest set it needs.
pub fn needed_proposals(wasm: &[u8], enabled: Capabilities) -> Option<Vec<Capability>> {
    let all = Features::PROPOSALS.into_iter().fold(BASE, |set, cap| set | flags(cap));
    if !is_valid(wasm, all) {
        return None;
    }
    let mut kept = all;
    let mut needed = Vec::new();
    for cap in Features::PROPOSALS.into_iter().filter(|cap| !enabled.has(*cap)) {
        let without = kept.difference(flags(cap));
        if is_valid(wasm, without) {
            kept = without;
        } else {
            needed.push(cap);
        }
    }
    Some(needed)
}

/// The error for a module `engine` refused as `invalid`: [`Error::Unsupported`] naming the
/// proposals it needs when it is valid with them; `invalid` itself when it is malformed. Every
/// backend passes its validation errors through this. `implemented` says which proposals the
/// engine could enable, so the message tells "lacks" from "configured without".
pub fn explain_invalid(
    engine: &'static str,
    wasm: &[u8],
    enabled: Capabilities,
    implemented: impl Fn(Capability) -> bool,
    invalid: Error,
) -> Error {
    let needed = match needed_proposals(wasm, enabled) {
        Some(needed) if !needed.is_empty() => needed,
        _ => return invalid,
    };
    let names =
        |caps: &[&Capability]| caps.iter().map(|cap| cap.as_str()).collect::<Vec<_>>().join(", ");
    let (switched_off, lacking): (Vec<&Capability>, Vec<&Capability>) =
        needed.iter().partition(|cap| implemented(**cap));
    let mut parts = Vec::new();
    if !lacking.is_empty() {
        parts.push(names(&lacking));
    }
    if !switched_off.is_empty() {
        parts.push(format!("{} (switched off in its configuration)", names(&switched_off)));
    }
    Error::unsupported(engine, format!("{}, which this module uses", parts.join(" and ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).expect("valid text")
    }

    const RETURN_CALL: &str = r#"(module (func $f (return_call $f)))"#;

    #[test]
    fn simd_and_exceptions_are_recognised() {
        let simd = module(r#"(module (func (drop (i32x4.splat (i32.const 1)))))"#);
        assert_eq!(needed_proposals(&simd, Capabilities::none()), Some(vec![Capability::Simd]));
        let throw = module(r#"(module (tag $e) (func (throw $e)))"#);
        assert_eq!(
            needed_proposals(&throw, Capabilities::none()),
            Some(vec![Capability::Exceptions])
        );
    }

    #[test]
    fn a_module_using_tail_calls_needs_exactly_them() {
        let wasm = module(RETURN_CALL);
        assert_eq!(
            needed_proposals(&wasm, Capabilities::none()),
            Some(vec![Capability::TailCalls])
        );
        let with: Capabilities = [Capability::TailCalls].into_iter().collect();
        assert_eq!(needed_proposals(&wasm, with), Some(vec![]));
    }

    #[test]
    fn a_malformed_module_needs_no_proposal_but_stays_invalid() {
        assert_eq!(needed_proposals(b"\0asm\x01\0\0\0\x01", Capabilities::none()), None);
        let invalid = Error::Compile { engine: "e", message: "bad".into() };
        let error = explain_invalid("e", b"\0asm", Capabilities::none(), |_| true, invalid);
        assert!(matches!(error, Error::Compile { .. }), "{error}");
    }

    #[test]
    fn the_message_tells_lacking_from_switched_off() {
        let wasm = module(RETURN_CALL);
        let invalid = || Error::Compile { engine: "e", message: "bad".into() };
        let lacking = explain_invalid("e", &wasm, Capabilities::none(), |_| false, invalid());
        assert_eq!(lacking.to_string(), "e does not support tail-calls, which this module uses");
        let off = explain_invalid("e", &wasm, Capabilities::none(), |_| true, invalid());
        assert_eq!(
            off.to_string(),
            "e does not support tail-calls (switched off in its configuration), which this module uses"
        );
    }
}
