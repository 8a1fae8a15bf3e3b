//! Conversions between wasmux's types and values and wasmtime's.
//!
//! Two representations are used for values: wasmtime's `ValRaw` for signatures made only of
//! numbers and vectors (the fast path: no allocation, no store access), and wasmtime's `Val`
//! for signatures with references, which need the store to root or unwrap them.

use std::any::Any;
use std::sync::Arc;

use wasmtime::{AsContextMut, HeapType, Mutability, OwnedRooted, StoreContextMut, ValRaw};
use wasmux_core::{
    AnyRef, AnyRefKind, Error, ExnRef, ExternRef, ExternType, FuncRef, FuncType, GlobalType,
    MemoryType, Result, TableType, Val, ValType,
};

/// The host value inside a wasmtime `externref` made by wasmux: the very allocation the
/// embedder's [`ExternRef`] holds, so the same `Arc` comes back out.
struct HostRef(Arc<dyn Any + Send + Sync>);

/// What a wasmux [`FuncRef`] made by this backend holds: the function and the instance whose
/// store owns it.
#[derive(Debug)]
pub(crate) struct FuncHandle {
    pub(crate) func: wasmtime::Func,
    pub(crate) instance_id: u64,
}

/// What a wasmux [`AnyRef`] or [`ExnRef`] made by this backend holds: the object, rooted until
/// the last clone is dropped, and the store it lives in, since wasmtime panics on a root used
/// with another store.
pub(crate) struct GcHandle<T: wasmtime::GcRef> {
    root: OwnedRooted<T>,
    store_id: u64,
}

/// The wasmux type of a wasmtime value type, if wasmux can represent it (continuation
/// references are not).
pub(crate) fn val_type(ty: &wasmtime::ValType) -> Option<ValType> {
    Some(match ty {
        wasmtime::ValType::I32 => ValType::I32,
        wasmtime::ValType::I64 => ValType::I64,
        wasmtime::ValType::F32 => ValType::F32,
        wasmtime::ValType::F64 => ValType::F64,
        wasmtime::ValType::V128 => ValType::V128,
        wasmtime::ValType::Ref(r) => ref_type(r)?,
    })
}

/// The wasmtime form of a wasmux value type. A module's own types (`(ref $t)`) cannot be
/// named without the module, so the host cannot declare them.
pub(crate) fn to_val_type(ty: ValType) -> Result<wasmtime::ValType> {
    Ok(match ty {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
        ValType::F32 => wasmtime::ValType::F32,
        ValType::F64 => wasmtime::ValType::F64,
        ValType::V128 => wasmtime::ValType::V128,
        ValType::FuncRef => wasmtime::ValType::FUNCREF,
        ValType::ExternRef => wasmtime::ValType::EXTERNREF,
        ValType::Ref(r) => {
            wasmtime::ValType::Ref(wasmtime::RefType::new(r.nullable, to_heap_type(ty, r.heap)?))
        }
        other => unknown_type(other),
    })
}

fn to_heap_type(ty: ValType, heap: wasmux_core::HeapType) -> Result<HeapType> {
    use wasmux_core::HeapType as H;
    Ok(match heap {
        H::Func => HeapType::Func,
        H::NoFunc => HeapType::NoFunc,
        H::Extern => HeapType::Extern,
        H::NoExtern => HeapType::NoExtern,
        H::Any => HeapType::Any,
        H::Eq => HeapType::Eq,
        H::I31 => HeapType::I31,
        H::Struct => HeapType::Struct,
        H::Array => HeapType::Array,
        H::None => HeapType::None,
        H::Exn => HeapType::Exn,
        H::NoExn => HeapType::NoExn,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "{ty} names a module's own type, which a host-declared type cannot"
            )));
        }
    })
}

/// A value type newer than this backend: the backends are released with the core they
/// implement, and the conformance suite has a case for every type, so this is never reached.
#[cold]
fn unknown_type(ty: ValType) -> ! {
    unreachable!("the wasmtime backend does not know the value type {ty}")
}

fn ref_type(ty: &wasmtime::RefType) -> Option<ValType> {
    use wasmux_core::HeapType as H;
    let heap = match ty.heap_type() {
        HeapType::Func => H::Func,
        HeapType::ConcreteFunc(_) => H::ConcreteFunc,
        HeapType::NoFunc => H::NoFunc,
        HeapType::Extern => H::Extern,
        HeapType::NoExtern => H::NoExtern,
        HeapType::Any => H::Any,
        HeapType::Eq => H::Eq,
        HeapType::I31 => H::I31,
        HeapType::Struct => H::Struct,
        HeapType::ConcreteStruct(_) => H::ConcreteStruct,
        HeapType::Array => H::Array,
        HeapType::ConcreteArray(_) => H::ConcreteArray,
        HeapType::None => H::None,
        HeapType::Exn => H::Exn,
        HeapType::NoExn => H::NoExn,
        HeapType::ConcreteExn(_)
        | HeapType::Cont
        | HeapType::ConcreteCont(_)
        | HeapType::NoCont => {
            return None;
        }
    };
    Some(ValType::reference(ty.is_nullable(), heap))
}

/// The wasmux signature of a wasmtime function type, if every value type is representable.
pub(crate) fn func_type(ty: &wasmtime::FuncType) -> Option<FuncType> {
    let params: Option<Vec<ValType>> = ty.params().map(|t| val_type(&t)).collect();
    let results: Option<Vec<ValType>> = ty.results().map(|t| val_type(&t)).collect();
    Some(FuncType::new(params?, results?))
}

/// The wasmux form of an import's or export's type. Kinds and types wasmux does not model
/// (tags, GC references) become [`ExternType::Other`] with wasmtime's description.
pub(crate) fn extern_type(ty: &wasmtime::ExternType) -> ExternType {
    let other = || ExternType::Other(describe(ty));
    match ty {
        wasmtime::ExternType::Func(f) => func_type(f).map_or_else(other, ExternType::Func),
        wasmtime::ExternType::Memory(m) => ExternType::Memory(MemoryType {
            min: m.minimum(),
            max: m.maximum(),
            memory64: m.is_64(),
            shared: m.is_shared(),
        }),
        wasmtime::ExternType::Table(t) => match ref_type(t.element()) {
            Some(element) => {
                ExternType::Table(TableType { element, min: t.minimum(), max: t.maximum() })
            }
            None => other(),
        },
        wasmtime::ExternType::Global(g) => match val_type(g.content()) {
            Some(content) => ExternType::Global(GlobalType {
                content,
                mutable: g.mutability() == Mutability::Var,
            }),
            None => other(),
        },
        wasmtime::ExternType::Tag(t) => {
            let params: Option<Vec<ValType>> = t.ty().params().map(|p| val_type(&p)).collect();
            params.map_or_else(other, |params| ExternType::tag(&params))
        }
    }
}

/// wasmtime's type in WebAssembly text, for types wasmux does not model.
fn describe(ty: &wasmtime::ExternType) -> String {
    match ty {
        wasmtime::ExternType::Func(f) => f.to_string(),
        wasmtime::ExternType::Global(g) if g.mutability() == Mutability::Var => {
            format!("(global (mut {}))", g.content())
        }
        wasmtime::ExternType::Global(g) => format!("(global {})", g.content()),
        wasmtime::ExternType::Table(t) => format!("(table {} {})", t.minimum(), t.element()),
        wasmtime::ExternType::Memory(_) => "(memory)".into(),
        wasmtime::ExternType::Tag(t) => format!("(tag {})", t.ty()),
    }
}

/// The raw form of a number or vector. References are never passed here (see [`FuncType::is_numeric`]);
/// they become a null reference should that invariant ever break.
#[inline]
pub(crate) fn to_raw(val: &Val) -> ValRaw {
    match *val {
        Val::I32(v) => ValRaw::i32(v),
        Val::I64(v) => ValRaw::i64(v),
        Val::F32(v) => ValRaw::f32(v),
        Val::F64(v) => ValRaw::f64(v),
        Val::V128(v) => ValRaw::v128(v),
        _ => ValRaw::null(),
    }
}

/// The value of type `ty` in `raw`. `ty` must be a number or vector type.
#[inline]
pub(crate) fn from_raw(ty: ValType, raw: ValRaw) -> Val {
    match ty {
        ValType::I32 => Val::I32(raw.get_i32()),
        ValType::I64 => Val::I64(raw.get_i64()),
        ValType::F32 => Val::F32(raw.get_f32()),
        ValType::F64 => Val::F64(raw.get_f64()),
        ValType::V128 => Val::V128(raw.get_v128()),
        other => Val::default_for(other),
    }
}

/// The raw form of a typed call's value of type `ty` (a number or vector), given as bits.
#[inline(always)]
pub(crate) fn bits_to_raw(ty: ValType, bits: u128) -> ValRaw {
    match ty {
        ValType::I32 => ValRaw::u32(bits as u32),
        ValType::I64 => ValRaw::u64(bits as u64),
        ValType::F32 => ValRaw::f32(bits as u32),
        ValType::F64 => ValRaw::f64(bits as u64),
        ValType::V128 => ValRaw::v128(bits),
        _ => ValRaw::null(),
    }
}

/// The bits of a raw value of type `ty` (a number or vector). Read through a reference, so
/// that only the value's own bytes are loaded: wasmtime stores an `i32` argument as four
/// bytes, and a wider load of the slot right after that store cannot be forwarded from it:
/// it waits for the store to reach the cache, on every host call.
#[inline(always)]
pub(crate) fn raw_to_bits(ty: ValType, raw: &ValRaw) -> u128 {
    match ty {
        ValType::I32 => u128::from(raw.get_u32()),
        ValType::I64 => u128::from(raw.get_u64()),
        ValType::F32 => u128::from(raw.get_f32()),
        ValType::F64 => u128::from(raw.get_f64()),
        ValType::V128 => raw.get_v128(),
        _ => 0,
    }
}

/// The wasmtime value for `val`, rooting an `externref` in `store`'s current scope. A
/// `funcref` must come from the instance `instance_id`.
pub(crate) fn to_wasmtime(
    mut store: impl AsContextMut,
    val: &Val,
    instance_id: u64,
) -> Result<wasmtime::Val> {
    Ok(match val {
        Val::I32(v) => wasmtime::Val::I32(*v),
        Val::I64(v) => wasmtime::Val::I64(*v),
        Val::F32(v) => wasmtime::Val::F32(*v),
        Val::F64(v) => wasmtime::Val::F64(*v),
        Val::V128(v) => wasmtime::Val::V128((*v).into()),
        Val::FuncRef(None) => wasmtime::Val::FuncRef(None),
        Val::FuncRef(Some(r)) => match r.downcast_ref::<FuncHandle>() {
            Some(handle) if handle.instance_id == instance_id => {
                wasmtime::Val::FuncRef(Some(handle.func))
            }
            _ => {
                return Err(Error::InvalidArgument(
                    "funcref belongs to another instance or engine".into(),
                ));
            }
        },
        Val::ExternRef(None) => wasmtime::Val::ExternRef(None),
        Val::ExternRef(Some(r)) => wasmtime::Val::ExternRef(Some(to_extern_ref(
            &mut store.as_context_mut(),
            r,
            instance_id,
        )?)),
        Val::AnyRef(None) => wasmtime::Val::AnyRef(None),
        Val::AnyRef(Some(r)) => {
            wasmtime::Val::AnyRef(Some(to_any_ref(&mut store.as_context_mut(), r, instance_id)?))
        }
        Val::ExnRef(None) => wasmtime::Val::ExnRef(None),
        Val::ExnRef(Some(r)) => match r.downcast_ref::<GcHandle<wasmtime::ExnRef>>() {
            Some(handle) if handle.store_id == instance_id => {
                wasmtime::Val::ExnRef(Some(handle.root.to_rooted(&mut store)))
            }
            _ => return Err(other_store("exnref")),
        },
        other => {
            return Err(Error::unsupported(crate::ENGINE, format!("{} values", other.ty())));
        }
    })
}

/// An `externref` for `r`: the embedder's host value, or the internal value it was made from.
fn to_extern_ref<T>(
    store: &mut StoreContextMut<'_, T>,
    r: &ExternRef,
    store_id: u64,
) -> Result<wasmtime::Rooted<wasmtime::ExternRef>> {
    let converted = match r.as_any() {
        Some(inner) => {
            let inner = to_any_ref(&mut *store, inner, store_id)?;
            wasmtime::ExternRef::convert_any(&mut *store, inner)
        }
        None => wasmtime::ExternRef::new(&mut *store, HostRef(r.as_arc().clone())),
    };
    converted.map_err(crate::traps::engine_error)
}

/// An `anyref` for `r`: an `i31`, a host value converted with `any.convert_extern`, or an
/// object of this store.
fn to_any_ref<T>(
    store: &mut StoreContextMut<'_, T>,
    r: &AnyRef,
    store_id: u64,
) -> Result<wasmtime::Rooted<wasmtime::AnyRef>> {
    if let Some(value) = r.as_i31() {
        return Ok(wasmtime::AnyRef::from_i31(&mut *store, wasmtime::I31::wrapping_i32(value)));
    }
    if let Some(host) = r.as_extern() {
        let host = to_extern_ref(&mut *store, host, store_id)?;
        return wasmtime::AnyRef::convert_extern(&mut *store, host)
            .map_err(crate::traps::engine_error);
    }
    match r.engine_handle::<GcHandle<wasmtime::AnyRef>>() {
        Some(handle) if handle.store_id == store_id => Ok(handle.root.to_rooted(&mut *store)),
        _ => Err(other_store("anyref")),
    }
}

fn other_store(what: &str) -> Error {
    Error::InvalidArgument(format!("{what} belongs to another store or engine"))
}

/// The wasmux value for a wasmtime value of a representable type. GC objects are rooted
/// until the wasmux value and its clones are dropped.
pub(crate) fn from_wasmtime(
    mut store: impl AsContextMut,
    val: &wasmtime::Val,
    instance_id: u64,
) -> Result<Val> {
    Ok(match val {
        wasmtime::Val::I32(v) => Val::I32(*v),
        wasmtime::Val::I64(v) => Val::I64(*v),
        wasmtime::Val::F32(v) => Val::F32(*v),
        wasmtime::Val::F64(v) => Val::F64(*v),
        wasmtime::Val::V128(v) => Val::V128(v.as_u128()),
        wasmtime::Val::FuncRef(None) => Val::FuncRef(None),
        wasmtime::Val::FuncRef(Some(func)) => {
            Val::FuncRef(Some(FuncRef::new(FuncHandle { func: *func, instance_id })))
        }
        wasmtime::Val::ExternRef(None) => Val::ExternRef(None),
        wasmtime::Val::ExternRef(Some(rooted)) => {
            Val::ExternRef(Some(from_extern_ref(&mut store.as_context_mut(), rooted, instance_id)?))
        }
        wasmtime::Val::AnyRef(None) => Val::AnyRef(None),
        wasmtime::Val::AnyRef(Some(rooted)) => {
            Val::AnyRef(Some(from_any_ref(&mut store.as_context_mut(), rooted, instance_id)?))
        }
        wasmtime::Val::ExnRef(None) => Val::ExnRef(None),
        wasmtime::Val::ExnRef(Some(rooted)) => {
            let root = rooted.to_owned_rooted(&mut store).map_err(crate::traps::engine_error)?;
            Val::ExnRef(Some(ExnRef::new(GcHandle { root, store_id: instance_id })))
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "a value of type {:?} cannot be represented by wasmux",
                other.ty(&store).ok()
            )));
        }
    })
}

/// The wasmux form of an `externref`: the embedder's host value, or the internal value the
/// guest made it from with `extern.convert_any`.
fn from_extern_ref<T>(
    store: &mut StoreContextMut<'_, T>,
    rooted: &wasmtime::Rooted<wasmtime::ExternRef>,
    store_id: u64,
) -> Result<ExternRef> {
    if let Some(data) = rooted.data(&*store).map_err(crate::traps::engine_error)? {
        return match data.downcast_ref::<HostRef>() {
            Some(HostRef(arc)) => Ok(ExternRef::from_arc(arc.clone())),
            None => Err(Error::InvalidArgument("externref not made by wasmux".into())),
        };
    }
    let inner = wasmtime::AnyRef::convert_extern(&mut *store, *rooted)
        .map_err(crate::traps::engine_error)?;
    Ok(ExternRef::from_any(from_any_ref(&mut *store, &inner, store_id)?))
}

/// The wasmux form of a non-null `anyref`.
fn from_any_ref<T>(
    store: &mut StoreContextMut<'_, T>,
    rooted: &wasmtime::Rooted<wasmtime::AnyRef>,
    store_id: u64,
) -> Result<AnyRef> {
    let error = crate::traps::engine_error;
    if let Some(i31) = rooted.as_i31(&*store).map_err(error)? {
        return Ok(AnyRef::i31(i31.get_i32()));
    }
    let kind = if rooted.is_struct(&*store).map_err(error)? {
        AnyRefKind::Struct
    } else if rooted.is_array(&*store).map_err(error)? {
        AnyRefKind::Array
    } else {
        // Neither an i31 nor an object: a host value the guest converted with
        // `any.convert_extern`.
        let host = wasmtime::ExternRef::convert_any(&mut *store, *rooted).map_err(error)?;
        return Ok(AnyRef::from_extern(from_extern_ref(&mut *store, &host, store_id)?));
    };
    let root = rooted.to_owned_rooted(&mut *store).map_err(error)?;
    Ok(AnyRef::from_engine(GcHandle { root, store_id }, kind))
}
