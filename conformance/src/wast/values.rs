//! Spec-test argument values and result patterns, against wasmux values.

use wasmux_core::{AnyRef, AnyRefKind, ExternRef, Val};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// The value of a spec-test argument, or the kind of value wasmux cannot pass.
pub(crate) fn arg(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(core) = arg else { return Err("component-model arguments".into()) };
    Ok(match core {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(heap) => match hierarchy(heap) {
            Some(Hierarchy::Func) => Val::FuncRef(None),
            Some(Hierarchy::Extern) => Val::ExternRef(None),
            Some(Hierarchy::Any) => Val::AnyRef(None),
            Some(Hierarchy::Exn) => Val::ExnRef(None),
            None => return Err(format!("null references of type {heap:?}")),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(*n))),
        // A host value inside the `any` hierarchy, as `any.convert_extern` makes it.
        WastArgCore::RefHost(n) => Val::AnyRef(Some(AnyRef::from_extern(ExternRef::new(*n)))),
    })
}

/// The reference hierarchies a null can belong to.
#[derive(PartialEq)]
enum Hierarchy {
    Func,
    Extern,
    Any,
    Exn,
}

/// The hierarchy of an abstract, unshared heap type; `None` for shared types, continuations
/// and a module's own types (which this side cannot resolve).
fn hierarchy(heap: &HeapType<'_>) -> Option<Hierarchy> {
    let HeapType::Abstract { shared: false, ty } = heap else { return None };
    match ty {
        AbstractHeapType::Func | AbstractHeapType::NoFunc => Some(Hierarchy::Func),
        AbstractHeapType::Extern | AbstractHeapType::NoExtern => Some(Hierarchy::Extern),
        AbstractHeapType::Any
        | AbstractHeapType::Eq
        | AbstractHeapType::I31
        | AbstractHeapType::Struct
        | AbstractHeapType::Array
        | AbstractHeapType::None => Some(Hierarchy::Any),
        AbstractHeapType::Exn | AbstractHeapType::NoExn => Some(Hierarchy::Exn),
        _ => None,
    }
}

/// The hierarchy of a null value; `None` for a value that is not a null reference.
fn null_hierarchy(value: &Val) -> Option<Hierarchy> {
    match value {
        Val::FuncRef(None) => Some(Hierarchy::Func),
        Val::ExternRef(None) => Some(Hierarchy::Extern),
        Val::AnyRef(None) => Some(Hierarchy::Any),
        Val::ExnRef(None) => Some(Hierarchy::Exn),
        _ => None,
    }
}

/// Why a result does not match its pattern.
pub(crate) enum Mismatch {
    /// The pattern expects a value wasmux cannot represent (shared references).
    Unrepresentable(String),
    /// The value differs.
    Different(String),
}

/// Whether `actual` matches the expected pattern.
pub(crate) fn matches(expected: &WastRet<'_>, actual: &Val) -> Result<(), Mismatch> {
    let WastRet::Core(expected) = expected else {
        return Err(Mismatch::Unrepresentable("component-model results".into()));
    };
    core_matches(expected, actual)
}

fn core_matches(expected: &WastRetCore<'_>, actual: &Val) -> Result<(), Mismatch> {
    let ok = match (expected, actual) {
        // Relaxed SIMD: any of the results the specification allows.
        (WastRetCore::Either(cases), _) => {
            let mut last = Mismatch::Different("no alternative".into());
            for case in cases {
                match core_matches(case, actual) {
                    Ok(()) => return Ok(()),
                    Err(mismatch) => last = mismatch,
                }
            }
            return Err(last);
        }
        (WastRetCore::RefI31Shared, _) => {
            return Err(Mismatch::Unrepresentable(format!("{expected:?} results")));
        }
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(e), Val::F32(a)) => f32_matches(e, *a),
        (WastRetCore::F64(e), Val::F64(a)) => f64_matches(e, *a),
        (WastRetCore::V128(e), Val::V128(a)) => v128_matches(e, *a),
        // A null of the pattern's hierarchy; of any, for a module's own type.
        (WastRetCore::RefNull(heap), value) => {
            match (heap.as_ref().and_then(hierarchy), null_hierarchy(value)) {
                (Some(expected), Some(actual)) => expected == actual,
                (None, actual) => actual.is_some(),
                (Some(_), None) => false,
            }
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => {
            r.downcast_ref::<u32>() == Some(n)
        }
        (WastRetCore::RefHost(n), Val::AnyRef(Some(r))) => {
            r.as_extern().and_then(|host| host.downcast_ref::<u32>()) == Some(n)
        }
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::RefAny, Val::AnyRef(Some(_))) => true,
        (WastRetCore::RefEq, Val::AnyRef(Some(r))) => {
            matches!(r.kind(), AnyRefKind::I31 | AnyRefKind::Struct | AnyRefKind::Array)
        }
        (WastRetCore::RefI31, Val::AnyRef(Some(r))) => r.kind() == AnyRefKind::I31,
        (WastRetCore::RefStruct, Val::AnyRef(Some(r))) => r.kind() == AnyRefKind::Struct,
        (WastRetCore::RefArray, Val::AnyRef(Some(r))) => r.kind() == AnyRefKind::Array,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Mismatch::Different(format!("expected {expected:?}, got {actual:?}")))
    }
}

fn f32_matches(expected: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    let value = f32::from_bits(bits);
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => value.is_nan() && bits & 0x0040_0000 != 0,
        NanPattern::Value(e) => e.bits == bits,
    }
}

fn f64_matches(expected: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    let value = f64::from_bits(bits);
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => value.is_nan() && bits & 0x0008_0000_0000_0000 != 0,
        NanPattern::Value(e) => e.bits == bits,
    }
}

fn v128_matches(expected: &V128Pattern, actual: u128) -> bool {
    let bytes = actual.to_le_bytes();
    let lane = |i: usize, width: usize| -> u64 {
        bytes[i * width..(i + 1) * width].iter().rev().fold(0u64, |acc, b| acc << 8 | u64::from(*b))
    };
    match expected {
        V128Pattern::I8x16(l) => (0..16).all(|i| lane(i, 1) as u8 == l[i] as u8),
        V128Pattern::I16x8(l) => (0..8).all(|i| lane(i, 2) as u16 == l[i] as u16),
        V128Pattern::I32x4(l) => (0..4).all(|i| lane(i, 4) as u32 == l[i] as u32),
        V128Pattern::I64x2(l) => (0..2).all(|i| lane(i, 8) == l[i] as u64),
        V128Pattern::F32x4(l) => (0..4).all(|i| f32_matches(&l[i], lane(i, 4) as u32)),
        V128Pattern::F64x2(l) => (0..2).all(|i| f64_matches(&l[i], lane(i, 8))),
    }
}
