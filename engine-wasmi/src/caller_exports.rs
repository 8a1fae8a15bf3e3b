//! A host function's view of its calling instance's exports: wasmi's `Caller::get_export`,
//! handed out as scoped wasmux handles (see [`CallerExterns`]), and what can be done with them.

use wasmi::Caller;
use wasmux_core::backend::{CallerExterns, ScopeMark, check_call};
use wasmux_core::{Error, ExternKind, ExternType, Result, Val};

use crate::externs::{current_type, kind_of, table_element};
use crate::store::StoreData;
use crate::traps::execution_error;
use crate::values::{from_wasmi, func_type, to_wasmi};

/// The handles of the host calls running on a store.
pub(crate) type Handles = CallerExterns<wasmi::Extern>;

/// The caller's export `name` as a handle of the running host call (`mark` is its scope).
pub(crate) fn get_export(
    caller: &mut Caller<'_, StoreData>,
    mark: &mut Option<ScopeMark>,
    name: &str,
) -> Option<wasmux_core::Extern> {
    let item = caller.get_export(name)?;
    let kind = kind_of(&item);
    Some(caller.data_mut().caller_externs.push(mark, item, kind))
}

fn item(
    caller: &Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    kind: ExternKind,
) -> Result<wasmi::Extern> {
    caller.data().caller_externs.get(handle, kind).copied()
}

fn memory(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<wasmi::Memory> {
    item(caller, handle, ExternKind::Memory)?.into_memory().ok_or_else(unreachable_kind)
}

fn table(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<wasmi::Table> {
    item(caller, handle, ExternKind::Table)?.into_table().ok_or_else(unreachable_kind)
}

fn global(caller: &Caller<'_, StoreData>, handle: wasmux_core::Extern) -> Result<wasmi::Global> {
    item(caller, handle, ExternKind::Global)?.into_global().ok_or_else(unreachable_kind)
}

/// The table checks each handle's kind against its item's when it hands the item out.
fn unreachable_kind() -> Error {
    Error::InvalidArgument("the handle's kind does not match its item".into())
}

pub(crate) fn extern_type(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
) -> Result<ExternType> {
    Ok(current_type(&*caller, item(caller, handle, handle.kind())?))
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
    memory.grow(&mut *caller, pages).map_err(|_| {
        let size = memory.size(&*caller);
        Error::InvalidArgument(format!("a memory of {size} pages cannot grow by {pages}"))
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
    let store_id = caller.data().store_id;
    match table.get(&*caller, index) {
        Some(element) => Ok(from_wasmi(&*caller, store_id, &element.into())),
        None => Err(out_of_bounds(index)),
    }
}

pub(crate) fn table_set(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    index: u64,
    value: Val,
) -> Result<()> {
    let table = table(caller, handle)?;
    let store_id = caller.data().store_id;
    let value = to_wasmi(&mut *caller, store_id, &value)?;
    let element = table_element(table.ty(&*caller).element(), value)?;
    table.set(&mut *caller, index, element).map_err(|_| out_of_bounds(index))
}

pub(crate) fn global_get(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
) -> Result<Val> {
    let global = global(caller, handle)?;
    let store_id = caller.data().store_id;
    Ok(from_wasmi(&*caller, store_id, &global.get(&*caller)))
}

pub(crate) fn global_set(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    value: Val,
) -> Result<()> {
    let global = global(caller, handle)?;
    let store_id = caller.data().store_id;
    let value = to_wasmi(&mut *caller, store_id, &value)?;
    global
        .set(&mut *caller, value)
        .map_err(|e| Error::InvalidArgument(format!("setting the global: {e}")))
}

pub(crate) fn call(
    caller: &mut Caller<'_, StoreData>,
    handle: wasmux_core::Extern,
    params: &[Val],
) -> Result<Vec<Val>> {
    let func = item(caller, handle, ExternKind::Func)?.into_func().ok_or_else(unreachable_kind)?;
    if caller.data().metered {
        // The store holds one slice of fuel, which only the instance's own call loop refills:
        // a nested call could run out of it early and report fuel exhausted wrongly.
        return Err(Error::unsupported(
            crate::ENGINE,
            "calling the guest from a host function with fuel metering or a deadline",
        ));
    }
    let ty = func_type(&func.ty(&*caller));
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    check_call(&ty, params, &results)?;
    let store_id = caller.data().store_id;
    let args =
        params.iter().map(|v| to_wasmi(&mut *caller, store_id, v)).collect::<Result<Vec<_>>>()?;
    let mut out: Vec<wasmi::Val> =
        func.ty(&*caller).results().iter().map(|t| wasmi::Val::default_for_ty(*t)).collect();
    func.call(&mut *caller, &args, &mut out).map_err(execution_error)?;
    for (result, val) in results.iter_mut().zip(&out) {
        *result = from_wasmi(&*caller, store_id, val);
    }
    Ok(results)
}

fn out_of_bounds(index: u64) -> Error {
    Error::InvalidArgument(format!("table index {index} is out of bounds"))
}
