//! One module per WebAssembly proposal, each using it and returning a known value from `run`:
//! it runs on every engine that advertises the proposal, and is refused as unsupported,
//! naming the proposal, by every engine that does not (see the capability probes).

use wasmux_core::{Capability, Engine, HostEnv, Instance, Val};

use crate::case::{Case, Ctx, Outcome, ensure_eq, ok};

/// A proposal, a module using it whose export `run` returns an `i32`, and that value.
pub type ProposalModule = (Capability, &'static str, i32);

/// A module for every proposal a feature switch governs.
pub const PROPOSAL_MODULES: [ProposalModule; 13] = [
    (
        Capability::Simd,
        "(module (func (export \"run\") (result i32) (i32x4.extract_lane 0 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 1 1 1 1)))))",
        2,
    ),
    (
        Capability::RelaxedSimd,
        "(module (func (export \"run\") (result i32) (i8x16.extract_lane_u 0 (i8x16.relaxed_swizzle (v128.const i8x16 7 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))))",
        7,
    ),
    (
        Capability::MultiValue,
        "(module (func $two (result i32 i32) (i32.const 1) (i32.const 2)) (func (export \"run\") (result i32) (call $two) (block (param i32 i32) (result i32) (i32.add))))",
        3,
    ),
    (
        Capability::BulkMemory,
        "(module (memory 1) (func (export \"run\") (result i32) (memory.fill (i32.const 0) (i32.const 7) (i32.const 8)) (memory.copy (i32.const 100) (i32.const 0) (i32.const 8)) (i32.load8_u (i32.const 107))))",
        7,
    ),
    (
        Capability::ReferenceTypes,
        "(module (table $a 1 funcref) (table $b 1 externref) (func (export \"run\") (result i32) (ref.is_null (table.get $b (i32.const 0)))))",
        1,
    ),
    (
        Capability::TailCalls,
        "(module (func $f (result i32) (i32.const 3)) (func (export \"run\") (result i32) (return_call $f)))",
        3,
    ),
    (
        Capability::Exceptions,
        "(module (tag $e (param i32)) (func (export \"run\") (result i32) (block $h (result i32) (try_table (catch $e $h) (throw $e (i32.const 5))) (i32.const 0))))",
        5,
    ),
    (
        Capability::Gc,
        "(module (type $point (struct (field i32) (field (mut i32)))) (func (export \"run\") (result i32) (local $p (ref $point)) (local.set $p (struct.new $point (i32.const 4) (i32.const 5))) (struct.set $point 1 (local.get $p) (i32.const 8)) (i32.add (struct.get $point 0 (local.get $p)) (struct.get $point 1 (local.get $p)))))",
        12,
    ),
    (
        Capability::Threads,
        "(module (memory 1 1 shared) (func (export \"run\") (result i32) (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 2))) (i32.atomic.load (i32.const 0))))",
        2,
    ),
    (
        Capability::Memory64,
        "(module (memory i64 1) (func (export \"run\") (result i32) (i64.store (i64.const 65528) (i64.const 9)) (i32.wrap_i64 (i64.add (i64.load (i64.const 65528)) (memory.size)))))",
        10,
    ),
    (
        Capability::MultiMemory,
        "(module (memory $a 1) (memory $b 1) (func (export \"run\") (result i32) (i32.store $b (i32.const 0) (i32.const 4)) (i32.add (i32.load $a (i32.const 0)) (i32.load $b (i32.const 0)))))",
        4,
    ),
    (
        Capability::ExtendedConst,
        "(module (global $g i32 (i32.add (i32.const 2) (i32.mul (i32.const 3) (i32.const 4)))) (func (export \"run\") (result i32) (global.get $g)))",
        14,
    ),
    (
        Capability::FunctionReferences,
        "(module (type $t (func (result i32))) (func $six (type $t) (i32.const 6)) (elem declare func $six) (func (export \"run\") (result i32) (call_ref $t (ref.func $six))))",
        6,
    ),
];

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        proposal_case::<E, 0>(),
        proposal_case::<E, 1>(),
        proposal_case::<E, 2>(),
        proposal_case::<E, 3>(),
        proposal_case::<E, 4>(),
        proposal_case::<E, 5>(),
        proposal_case::<E, 6>(),
        proposal_case::<E, 7>(),
        proposal_case::<E, 8>(),
        proposal_case::<E, 9>(),
        proposal_case::<E, 10>(),
        proposal_case::<E, 11>(),
        proposal_case::<E, 12>(),
    ]
}

/// The case for `PROPOSAL_MODULES[I]`, needing its proposal.
fn proposal_case<E: Engine, const I: usize>() -> Case<E> {
    let (cap, _, _) = PROPOSAL_MODULES[I];
    Case::new("proposals", cap.as_str(), runs::<E, I>).requires(const { &[PROPOSAL_MODULES[I].0] })
}

fn runs<E: Engine, const I: usize>(ctx: &Ctx<'_, E>) -> Outcome {
    let (cap, wat, expected) = PROPOSAL_MODULES[I];
    let mut instance = ctx.instantiate(wat, HostEnv::new())?;
    let results = ok(instance.call("run", &[]), &format!("{cap} module's `run`"))?;
    ensure_eq(results, vec![Val::I32(expected)], cap.as_str())
}
