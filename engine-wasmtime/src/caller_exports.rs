//! A host function's view of its calling instance's exports: wasmtime's `Caller::get_export`,
//! handed out as scoped wasmux handles (see [`CallerExterns`]), and what can be done with them.

use wasmtime::{AsContextMut, Caller, Extern, Mutability, RootScope};
use wasmux_core::backend::{CallerExterns, ScopeMark, check_call};
use wasmux_core::{Error, ExternKind, ExternType, Result, Val};

use crate::store::StoreData;
use crate::traps::{call_error, chain};
use crate::values::{self, from_wasmtime, to_wasmtime};

/// The handles of the host calls running on a store.
pub(crate) type Handles = CallerExterns<Extern>;

/// The caller's export `name` as a handle of the running host call (`mark` is its scope).
pub(crate) fn get_export(
    caller: &mut Caller<'_, StoreData>,
    mark: &mut Option<ScopeMark>,
    name: &str,
) -> Option<wasmux_core::Extern> {
    let item = caller.get_export(name)?;
    let kind = match &item {
        Extern::Func(_) => ExternKind::Func,
        Extern::Memory(_) | Extern::SharedMemory(_) => ExternKind::Memory,
        Extern::Table(_) => ExternKind::Table,
        Extern::Global(_) => ExternKind::Global,
        Extern::Tag(_) => ExternKind::Tag,
    };
    Some(caller.data_mut().caller_externs.push(mark, item, kind))
}

fn item(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<Extern> {
    caller.data().caller_externs.get(handle, handle.kind()).cloned()
}

fn memory(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<wasmtime::Memory> {
    match caller.data().caller_externs.get(handle, ExternKind::Memory)? {
        Extern::Memory(memory) => Ok(*memory),
        _ => Err(Error::InvalidArgument(
            "a shared memory cannot be borrowed as bytes or grown from a host function".into(),
        )),
    }
}

fn table(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<wasmtime::Table> {
    match caller.data().caller_externs.get(handle, ExternKind::Table)? {
        Extern::Table(table) => Ok(*table),
        _ => Err(Error::InvalidArgument("not a table".into())),
    }
}

fn global(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<wasmtime::Global> {
    match caller.data().caller_externs.get(handle, ExternKind::Global)? {
        Extern::Global(global) => Ok(*global),
        _ => Err(Error::InvalidArgument("not a global".into())),
    }
}

pub(crate) fn extern_type(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
) -> Result<ExternType> {
    let found = item(caller, handle)?;
    Ok(match (values::extern_type(&found.ty(&*caller)), &found) {
        (ExternType::Memory(mut ty), Extern::Memory(memory)) => {
            ty.min = memory.size(&*caller);
            ExternType::Memory(ty)
        }
        (ExternType::Table(mut ty), Extern::Table(table)) => {
            ty.min = table.size(&*caller);
            ExternType::Table(ty)
        }
        (ty, _) => ty,
    })
}

pub(crate) fn memory_data<'c>(
    caller: &'c mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
) -> Result<&'c mut [u8]> {
    Ok(memory(caller, handle)?.data_mut(caller))
}

pub(crate) fn memory_grow(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    pages: u64,
) -> Result<u64> {
    let memory = memory(caller, handle)?;
    memory.grow(&mut *caller, pages).map_err(|e| {
        let error = Error::InvalidArgument(format!(
            "growing a memory by {pages} pages failed: {}",
            chain(&e)
        ));
        caller.data_mut().limiter.instantiation_error(error)
    })
}

pub(crate) fn table_size(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
) -> Result<u64> {
    Ok(table(caller, handle)?.size(&*caller))
}

pub(crate) fn table_get(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    index: u64,
) -> Result<Val> {
    let table = table(caller, handle)?;
    let id = caller.data().instance_id;
    let mut scope = RootScope::new(&mut *caller);
    let element = table.get(&mut scope, index).ok_or_else(|| out_of_bounds(index))?;
    from_wasmtime(&mut scope, &wasmtime::Val::from(element), id)
}

pub(crate) fn table_set(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    index: u64,
    value: Val,
) -> Result<()> {
    let table = table(caller, handle)?;
    let id = caller.data().instance_id;
    let mut scope = RootScope::new(&mut *caller);
    if index >= table.size(&scope) {
        return Err(out_of_bounds(index));
    }
    let value = to_wasmtime(&mut scope, &value, id)?;
    let element = value
        .ref_()
        .ok_or_else(|| Error::InvalidArgument("a table element must be a reference".into()))?;
    table.set(&mut scope, index, element).map_err(|e| Error::InvalidArgument(chain(&e)))
}

pub(crate) fn global_get(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
) -> Result<Val> {
    let global = global(caller, handle)?;
    let id = caller.data().instance_id;
    let mut scope = RootScope::new(&mut *caller);
    let value = global.get(&mut scope);
    from_wasmtime(&mut scope, &value, id)
}

pub(crate) fn global_set(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    value: Val,
) -> Result<()> {
    let global = global(caller, handle)?;
    if global.ty(&*caller).mutability() != Mutability::Var {
        return Err(Error::InvalidArgument("the global is immutable".into()));
    }
    let id = caller.data().instance_id;
    let mut scope = RootScope::new(&mut *caller);
    let value = to_wasmtime(&mut scope, &value, id)?;
    global.set(&mut scope, value).map_err(|e| Error::InvalidArgument(chain(&e)))
}

pub(crate) fn call(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    params: &[Val],
) -> Result<Vec<Val>> {
    let Extern::Func(func) = caller.data().caller_externs.get(handle, ExternKind::Func)?.clone()
    else {
        return Err(Error::InvalidArgument("not a function".into()));
    };
    let wasm_ty = func.ty(&*caller);
    let ty = values::func_type(&wasm_ty).ok_or_else(|| {
        Error::unsupported(crate::ENGINE, format!("calling a function of type {wasm_ty}"))
    })?;
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    check_call(&ty, params, &results)?;
    let id = caller.data().instance_id;
    let mut scope = RootScope::new(&mut *caller);
    let args = params.iter().map(|v| to_wasmtime(&mut scope, v, id)).collect::<Result<Vec<_>>>()?;
    let mut out: Vec<wasmtime::Val> = results.iter().map(|_| wasmtime::Val::I32(0)).collect();
    if let Err(error) = func.call(&mut scope, &args, &mut out) {
        if error.is::<wasmtime::ThrownException>() {
            let _ = scope.as_context_mut().take_pending_exception();
        }
        return Err(call_error(error));
    }
    for (result, val) in results.iter_mut().zip(&out) {
        *result = from_wasmtime(&mut scope, val, id)?;
    }
    Ok(results)
}

fn out_of_bounds(index: u64) -> Error {
    Error::InvalidArgument(format!("table index {index} is out of bounds"))
}
