//! Conversions between wasmux and wasmi values and types.

use std::any::Any;
use std::sync::Arc;

use wasmi::{AsContext, AsContextMut, Nullable};
use wasmux_core::{
    Error, ExportInfo, ExternRef, ExternType, FuncRef, FuncType, GlobalType, ImportInfo,
    MemoryType, ModuleInfo, Result, TableType, Val, ValType,
};

/// What a wasmux `FuncRef` holds for wasmi: the function and the store it lives in, since a
/// wasmi handle used with another store panics.
pub(crate) struct WasmiFuncRef {
    pub(crate) store_id: u64,
    pub(crate) func: wasmi::Func,
}

/// What a wasmi `ExternRef` holds: the embedder's shared allocation, returned unchanged.
type HostObject = Arc<dyn Any + Send + Sync>;

pub(crate) fn val_type(ty: wasmi::ValType) -> ValType {
    match ty {
        wasmi::ValType::I32 => ValType::I32,
        wasmi::ValType::I64 => ValType::I64,
        wasmi::ValType::F32 => ValType::F32,
        wasmi::ValType::F64 => ValType::F64,
        wasmi::ValType::V128 => ValType::V128,
        wasmi::ValType::FuncRef => ValType::FuncRef,
        wasmi::ValType::ExternRef => ValType::ExternRef,
    }
}

pub(crate) fn wasmi_val_type(ty: ValType) -> wasmi::ValType {
    match ty {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
        ValType::F32 => wasmi::ValType::F32,
        ValType::F64 => wasmi::ValType::F64,
        ValType::V128 => wasmi::ValType::V128,
        ValType::FuncRef => wasmi::ValType::FuncRef,
        ValType::ExternRef => wasmi::ValType::ExternRef,
        other => unknown_type(other),
    }
}

/// A value type this backend cannot convert: newer than the backend (the backends are released
/// with the core they implement, and the conformance suite has a case for every type), or a
/// Wasm 3.0 reference type, which is refused before conversion (`refuse_typed_refs`). Never
/// reached.
#[cold]
fn unknown_type(ty: ValType) -> ! {
    unreachable!("the wasmi backend does not know the value type {ty}")
}

pub(crate) fn func_type(ty: &wasmi::FuncType) -> FuncType {
    FuncType::new(
        ty.params().iter().map(|t| val_type(*t)),
        ty.results().iter().map(|t| val_type(*t)),
    )
}

pub(crate) fn wasmi_func_type(ty: &FuncType) -> wasmi::FuncType {
    wasmi::FuncType::new(
        ty.params().iter().map(|t| wasmi_val_type(*t)),
        ty.results().iter().map(|t| wasmi_val_type(*t)),
    )
}

pub(crate) fn ref_type(ty: wasmi::RefType) -> ValType {
    match ty {
        wasmi::RefType::Func => ValType::FuncRef,
        wasmi::RefType::Extern => ValType::ExternRef,
    }
}

fn extern_type(ty: &wasmi::ExternType) -> ExternType {
    match ty {
        wasmi::ExternType::Func(f) => ExternType::Func(func_type(f)),
        wasmi::ExternType::Memory(m) => ExternType::Memory(MemoryType {
            min: m.minimum(),
            max: m.maximum(),
            memory64: m.is_64(),
            shared: false,
        }),
        wasmi::ExternType::Table(t) => ExternType::Table(TableType {
            element: ref_type(t.element()),
            min: t.minimum(),
            max: t.maximum(),
        }),
        wasmi::ExternType::Global(g) => ExternType::Global(GlobalType {
            content: val_type(g.content()),
            mutable: matches!(g.mutability(), wasmi::Mutability::Var),
        }),
    }
}

/// The module's interface, exports in declaration order like the other engines report them
/// (wasmi itself lists them by name).
pub(crate) fn module_info(module: &wasmi::Module, wasm: &[u8]) -> ModuleInfo {
    let mut info = ModuleInfo {
        imports: module
            .imports()
            .map(|i| ImportInfo {
                module: i.module().to_string(),
                name: i.name().to_string(),
                ty: extern_type(i.ty()),
            })
            .collect(),
        exports: module
            .exports()
            .map(|e| ExportInfo { name: e.name().to_string(), ty: extern_type(e.ty()) })
            .collect(),
    };
    let declared = export_names_in_order(wasm);
    info.exports.sort_by_key(|e| declared.iter().position(|name| *name == e.name));
    info
}

fn export_names_in_order(wasm: &[u8]) -> Vec<&str> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            return reader.into_iter().filter_map(|e| e.ok().map(|e| e.name)).collect();
        }
    }
    Vec::new()
}

/// A wasmi value for `val`, allocating host references in `store`.
/// The bits of a number or vector (see `wasmux_core::WasmTy::to_bits`); 0 for a reference,
/// which numeric signatures never carry.
#[inline(always)]
pub(crate) fn wasmi_to_bits(val: &wasmi::Val) -> u128 {
    match val {
        wasmi::Val::I32(v) => u128::from(*v as u32),
        wasmi::Val::I64(v) => u128::from(*v as u64),
        wasmi::Val::F32(v) => u128::from(v.to_bits()),
        wasmi::Val::F64(v) => u128::from(v.to_bits()),
        wasmi::Val::V128(v) => v.as_u128(),
        _ => 0,
    }
}

/// The wasmi number or vector of type `ty` with bits `bits`.
#[inline(always)]
pub(crate) fn bits_to_wasmi(ty: ValType, bits: u128) -> wasmi::Val {
    match ty {
        ValType::I32 => wasmi::Val::I32(bits as u32 as i32),
        ValType::I64 => wasmi::Val::I64(bits as u64 as i64),
        ValType::F32 => wasmi::Val::F32(wasmi::F32::from_bits(bits as u32)),
        ValType::F64 => wasmi::Val::F64(wasmi::F64::from_bits(bits as u64)),
        ValType::V128 => wasmi::Val::V128(wasmi::V128::from(bits)),
        _ => wasmi::Val::default_for_ty(wasmi_val_type(ty)),
    }
}

pub(crate) fn to_wasmi(
    mut store: impl AsContextMut,
    store_id: u64,
    val: &Val,
) -> Result<wasmi::Val> {
    Ok(match val {
        Val::I32(v) => wasmi::Val::I32(*v),
        Val::I64(v) => wasmi::Val::I64(*v),
        Val::F32(bits) => wasmi::Val::F32(wasmi::F32::from_bits(*bits)),
        Val::F64(bits) => wasmi::Val::F64(wasmi::F64::from_bits(*bits)),
        Val::V128(bits) => wasmi::Val::V128(wasmi::V128::from(*bits)),
        Val::FuncRef(None) => wasmi::Val::FuncRef(Nullable::Null),
        Val::FuncRef(Some(func)) => match func.downcast_ref::<WasmiFuncRef>() {
            Some(f) if f.store_id == store_id => wasmi::Val::FuncRef(Nullable::Val(f.func)),
            _ => {
                return Err(Error::InvalidArgument(
                    "funcref belongs to another instance or engine".into(),
                ));
            }
        },
        Val::ExternRef(None) => wasmi::Val::ExternRef(Nullable::Null),
        Val::ExternRef(Some(host)) => wasmi::Val::ExternRef(Nullable::Val(wasmi::ExternRef::new(
            store.as_context_mut(),
            host.as_arc().clone(),
        ))),
        other => return Err(Error::unsupported(crate::ENGINE, format!("{} values", other.ty()))),
    })
}

/// The wasmux value for a wasmi value read from `store`.
pub(crate) fn from_wasmi(store: impl AsContext, store_id: u64, val: &wasmi::Val) -> Val {
    match val {
        wasmi::Val::I32(v) => Val::I32(*v),
        wasmi::Val::I64(v) => Val::I64(*v),
        wasmi::Val::F32(v) => Val::F32(v.to_bits()),
        wasmi::Val::F64(v) => Val::F64(v.to_bits()),
        wasmi::Val::V128(v) => Val::V128(v.as_u128()),
        wasmi::Val::FuncRef(Nullable::Null) => Val::FuncRef(None),
        wasmi::Val::FuncRef(Nullable::Val(func)) => {
            Val::FuncRef(Some(FuncRef::new(WasmiFuncRef { store_id, func: *func })))
        }
        wasmi::Val::ExternRef(Nullable::Null) => Val::ExternRef(None),
        wasmi::Val::ExternRef(Nullable::Val(r)) => {
            let data = r.data(store.as_context());
            let host = match data.downcast_ref::<HostObject>() {
                Some(host) => host.clone(),
                // Created by the guest side of another embedding: hand out an opaque token.
                None => Arc::new(()) as HostObject,
            };
            Val::ExternRef(Some(ExternRef::from_arc(host)))
        }
    }
}
