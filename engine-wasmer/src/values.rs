//! Conversions between wasmer's types and values and wasmux's.

use std::any::Any;
use std::sync::Arc;

use wasmer::{AsStoreMut, AsStoreRef, Type, Value};
use wasmux_core::{
    Error, ExnRef, ExternRef, ExternType, FuncRef, FuncType, GlobalType, HeapType, MemoryType,
    RefType, Result, TableType, Val, ValType,
};

/// A wasmux value type as wasmer's.
pub(crate) fn to_wasmer_type(ty: ValType) -> Type {
    match ty {
        ValType::I32 => Type::I32,
        ValType::I64 => Type::I64,
        ValType::F32 => Type::F32,
        ValType::F64 => Type::F64,
        ValType::V128 => Type::V128,
        ValType::FuncRef => Type::FuncRef,
        ValType::ExternRef => Type::ExternRef,
        ValType::Ref(EXNREF) => Type::ExceptionRef,
        other => unknown_type(other),
    }
}

/// `exnref`, the one Wasm 3.0 reference type wasmer has.
const EXNREF: RefType = RefType { nullable: true, heap: HeapType::Exn };

/// Refuses a host-declared type with a Wasm 3.0 reference type wasmer lacks: all but `exnref`.
pub(crate) fn refuse_typed_refs<'a>(types: impl IntoIterator<Item = &'a ValType>) -> Result<()> {
    wasmux_core::backend::refuse_typed_refs(
        crate::ENGINE,
        types.into_iter().filter(|t| **t != ValType::Ref(EXNREF)),
    )
}

/// A value type this backend cannot convert: newer than the backend (the backends are released
/// with the core they implement, and the conformance suite has a case for every type), or a
/// Wasm 3.0 reference type, which is refused before conversion (`refuse_typed_refs`). Never
/// reached.
#[cold]
fn unknown_type(ty: ValType) -> ! {
    unreachable!("the wasmer backend does not know the value type {ty}")
}

/// A wasmer value type as wasmux's.
pub(crate) fn from_wasmer_type(ty: Type) -> ValType {
    match ty {
        Type::I32 => ValType::I32,
        Type::I64 => ValType::I64,
        Type::F32 => ValType::F32,
        Type::F64 => ValType::F64,
        Type::V128 => ValType::V128,
        Type::FuncRef => ValType::FuncRef,
        Type::ExternRef => ValType::ExternRef,
        Type::ExceptionRef => ValType::Ref(EXNREF),
    }
}

/// A wasmux signature as wasmer's.
pub(crate) fn to_wasmer_func_type(ty: &FuncType) -> wasmer::FunctionType {
    wasmer::FunctionType::new(
        ty.params().iter().map(|t| to_wasmer_type(*t)).collect::<Vec<_>>(),
        ty.results().iter().map(|t| to_wasmer_type(*t)).collect::<Vec<_>>(),
    )
}

/// A wasmer signature as wasmux's.
pub(crate) fn from_wasmer_func_type(ty: &wasmer::FunctionType) -> FuncType {
    FuncType::new(
        ty.params().iter().map(|t| from_wasmer_type(*t)),
        ty.results().iter().map(|t| from_wasmer_type(*t)),
    )
}

/// An import's or export's type as wasmux's.
pub(crate) fn from_wasmer_extern_type(ty: &wasmer::ExternType) -> ExternType {
    match ty {
        wasmer::ExternType::Function(f) => ExternType::Func(from_wasmer_func_type(f)),
        wasmer::ExternType::Global(g) => ExternType::Global(GlobalType {
            content: from_wasmer_type(g.ty),
            mutable: g.mutability.is_mutable(),
        }),
        wasmer::ExternType::Table(t) => ExternType::Table(TableType {
            element: from_wasmer_type(t.ty),
            min: u64::from(t.minimum),
            max: t.maximum.map(u64::from),
        }),
        wasmer::ExternType::Memory(m) => ExternType::Memory(MemoryType {
            min: u64::from(m.minimum.0),
            max: m.maximum.map(|p| u64::from(p.0)),
            // wasmer 7 has no 64-bit memories.
            memory64: false,
            shared: m.shared,
        }),
        wasmer::ExternType::Tag(t) => {
            let params: Vec<ValType> = t.params().iter().map(|p| from_wasmer_type(*p)).collect();
            ExternType::tag(&params)
        }
    }
}

/// The handle wasmux keeps inside an [`ExnRef`] made by this backend.
#[derive(Clone, Debug)]
pub(crate) struct WasmerExnRef(pub(crate) wasmer::Exception);

/// The handle wasmux keeps inside a [`FuncRef`] made by this backend.
#[derive(Clone, Debug)]
pub(crate) struct WasmerFuncRef(pub(crate) wasmer::Function);

/// The wasmer number or vector of type `ty` with bits `bits` (see
/// `wasmux_core::WasmTy::to_bits`); a null reference for a reference type.
#[inline(always)]
pub(crate) fn bits_to_wasmer(ty: ValType, bits: u128) -> Value {
    match ty {
        ValType::I32 => Value::I32(bits as u32 as i32),
        ValType::I64 => Value::I64(bits as u64 as i64),
        ValType::F32 => Value::F32(f32::from_bits(bits as u32)),
        ValType::F64 => Value::F64(f64::from_bits(bits as u64)),
        ValType::V128 => Value::V128(bits),
        ValType::FuncRef => Value::FuncRef(None),
        _ => Value::ExternRef(None),
    }
}

/// The bits of a wasmer number or vector; 0 for a reference.
#[inline(always)]
pub(crate) fn wasmer_to_bits(value: &Value) -> u128 {
    match value {
        Value::I32(v) => u128::from(*v as u32),
        Value::I64(v) => u128::from(*v as u64),
        Value::F32(v) => u128::from(v.to_bits()),
        Value::F64(v) => u128::from(v.to_bits()),
        Value::V128(v) => *v,
        _ => 0,
    }
}

/// A wasmux value as wasmer's, in `store`. References must come from this backend and store.
pub(crate) fn to_wasmer(val: &Val, store: &mut impl AsStoreMut) -> Result<Value> {
    Ok(match val {
        Val::I32(v) => Value::I32(*v),
        Val::I64(v) => Value::I64(*v),
        Val::F32(bits) => Value::F32(f32::from_bits(*bits)),
        Val::F64(bits) => Value::F64(f64::from_bits(*bits)),
        Val::V128(v) => Value::V128(*v),
        Val::FuncRef(None) => Value::FuncRef(None),
        Val::FuncRef(Some(r)) => {
            let func = r.downcast_ref::<WasmerFuncRef>().ok_or_else(|| {
                Error::InvalidArgument("funcref made by another engine".to_string())
            })?;
            if !func.0.is_from_store(store) {
                return Err(Error::InvalidArgument("funcref from another instance".to_string()));
            }
            Value::FuncRef(Some(func.0.clone()))
        }
        Val::ExternRef(None) => Value::ExternRef(None),
        Val::ExternRef(Some(r)) => {
            Value::ExternRef(Some(wasmer::ExternRef::new(store, r.as_arc().clone())))
        }
        Val::ExnRef(None) => Value::ExceptionRef(None),
        Val::ExnRef(Some(r)) => match r.downcast_ref::<WasmerExnRef>() {
            Some(exn) if exn.0.is_from_store(store) => Value::ExceptionRef(Some(exn.0.clone())),
            _ => {
                return Err(Error::InvalidArgument(
                    "exnref from another store or engine".to_string(),
                ));
            }
        },
        other => return Err(Error::unsupported(crate::ENGINE, format!("{} values", other.ty()))),
    })
}

/// A wasmer value as wasmux's.
pub(crate) fn from_wasmer(value: &Value, store: &impl AsStoreRef) -> Val {
    match value {
        Value::I32(v) => Val::I32(*v),
        Value::I64(v) => Val::I64(*v),
        Value::F32(v) => Val::F32(v.to_bits()),
        Value::F64(v) => Val::F64(v.to_bits()),
        Value::V128(v) => Val::V128(*v),
        Value::FuncRef(f) => Val::FuncRef(f.clone().map(|f| FuncRef::new(WasmerFuncRef(f)))),
        // Every externref in a wasmux store was made by `to_wasmer` around the host's shared
        // allocation, so the downcast finds it; anything else reads as null.
        Value::ExternRef(r) => Val::ExternRef(r.as_ref().and_then(|r| {
            r.downcast::<Arc<dyn Any + Send + Sync>>(store).cloned().map(ExternRef::from_arc)
        })),
        Value::ExceptionRef(e) => Val::ExnRef(e.clone().map(|e| ExnRef::new(WasmerExnRef(e)))),
    }
}
