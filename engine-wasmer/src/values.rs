//! Conversions between wasmer's types and values and wasmux's.

use std::any::Any;
use std::sync::Arc;

use wasmer::{AsStoreMut, AsStoreRef, Type, Value};
use wasmux_core::{
    Error, ExternRef, ExternType, FuncRef, FuncType, GlobalType, MemoryType, Result, TableType,
    Val, ValType,
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
        other => unknown_type(other),
    }
}

/// A value type newer than this backend: the backends are released with the core they
/// implement, and the conformance suite has a case for every type, so this is never reached.
#[cold]
fn unknown_type(ty: ValType) -> ! {
    unreachable!("the wasmer backend does not know the value type {ty}")
}

/// A wasmer value type as wasmux's; `None` for exception references, which wasmux does not model.
pub(crate) fn from_wasmer_type(ty: Type) -> Option<ValType> {
    Some(match ty {
        Type::I32 => ValType::I32,
        Type::I64 => ValType::I64,
        Type::F32 => ValType::F32,
        Type::F64 => ValType::F64,
        Type::V128 => ValType::V128,
        Type::FuncRef => ValType::FuncRef,
        Type::ExternRef => ValType::ExternRef,
        Type::ExceptionRef => return None,
    })
}

/// A wasmux signature as wasmer's.
pub(crate) fn to_wasmer_func_type(ty: &FuncType) -> wasmer::FunctionType {
    wasmer::FunctionType::new(
        ty.params().iter().map(|t| to_wasmer_type(*t)).collect::<Vec<_>>(),
        ty.results().iter().map(|t| to_wasmer_type(*t)).collect::<Vec<_>>(),
    )
}

/// A wasmer signature as wasmux's, if wasmux can express its types.
pub(crate) fn from_wasmer_func_type(ty: &wasmer::FunctionType) -> Option<FuncType> {
    let params = ty.params().iter().map(|t| from_wasmer_type(*t)).collect::<Option<Vec<_>>>()?;
    let results = ty.results().iter().map(|t| from_wasmer_type(*t)).collect::<Option<Vec<_>>>()?;
    Some(FuncType::new(params, results))
}

/// An import's or export's type as wasmux's.
pub(crate) fn from_wasmer_extern_type(ty: &wasmer::ExternType) -> ExternType {
    match ty {
        wasmer::ExternType::Function(f) => match from_wasmer_func_type(f) {
            Some(f) => ExternType::Func(f),
            None => ExternType::Other(format!("(func {f}) using exnref")),
        },
        wasmer::ExternType::Global(g) => match from_wasmer_type(g.ty) {
            Some(content) => {
                ExternType::Global(GlobalType { content, mutable: g.mutability.is_mutable() })
            }
            None => ExternType::Other("(global exnref)".to_string()),
        },
        wasmer::ExternType::Table(t) => match from_wasmer_type(t.ty) {
            Some(element) => ExternType::Table(TableType {
                element,
                min: u64::from(t.minimum),
                max: t.maximum.map(u64::from),
            }),
            None => ExternType::Other("(table exnref)".to_string()),
        },
        wasmer::ExternType::Memory(m) => ExternType::Memory(MemoryType {
            min: u64::from(m.minimum.0),
            max: m.maximum.map(|p| u64::from(p.0)),
            // wasmer 7 has no 64-bit memories.
            memory64: false,
            shared: m.shared,
        }),
        wasmer::ExternType::Tag(t) => {
            match t.params().iter().map(|p| from_wasmer_type(*p)).collect::<Option<Vec<_>>>() {
                Some(params) => ExternType::tag(&params),
                None => ExternType::Other("(tag) carrying exnref".to_string()),
            }
        }
    }
}

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
        other => return Err(Error::unsupported(crate::ENGINE, format!("{} values", other.ty()))),
    })
}

/// A wasmer value as wasmux's. Callers only see values of types wasmux can express: signatures
/// with `exnref` are refused before anything is called.
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
        Value::ExceptionRef(_) => Val::ExternRef(None),
    }
}
