//! A host function's view of its calling instance's exports. wasmer's host functions do not
//! know their caller, but wasmux binds them per instance: the exports are those of the
//! instance the function was bound to, handed out as scoped wasmux handles (see
//! [`CallerExterns`](wasmux_core::backend::CallerExterns)).

use wasmer::FunctionEnvMut;
use wasmux_core::backend::{ScopeMark, check_call};
use wasmux_core::{Error, ExternKind, ExternType, Result, Val};

use crate::externs::{self, current_type, kind_of};
use crate::host::{Env, guest_memory};
use crate::traps::{TrapContext, from_runtime_error};
use crate::values::{from_wasmer, from_wasmer_func_type, to_wasmer};

/// Export `name` of instance `instance` as a handle of the running host call (`mark` is its
/// scope).
pub(crate) fn get_export(
    env: &mut FunctionEnvMut<'_, Env>,
    instance: usize,
    mark: &mut Option<ScopeMark>,
    name: &str,
) -> Option<wasmux_core::Extern> {
    let data = env.data_mut();
    let item = data.instances.get(instance)?.as_ref()?.exports.get_extern(name)?.clone();
    let kind = kind_of(&item);
    Some(data.caller_externs.push(mark, item, kind))
}

fn item(
    env: &FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
    kind: ExternKind,
) -> Result<wasmer::Extern> {
    env.data().caller_externs.get(handle, kind).cloned()
}

fn memory(env: &FunctionEnvMut<'_, Env>, handle: wasmux_core::Extern) -> Result<wasmer::Memory> {
    match item(env, handle, ExternKind::Memory)? {
        wasmer::Extern::Memory(memory) => Ok(memory),
        _ => Err(kind_mismatch()),
    }
}

fn table(env: &FunctionEnvMut<'_, Env>, handle: wasmux_core::Extern) -> Result<wasmer::Table> {
    match item(env, handle, ExternKind::Table)? {
        wasmer::Extern::Table(table) => Ok(table),
        _ => Err(kind_mismatch()),
    }
}

fn global(env: &FunctionEnvMut<'_, Env>, handle: wasmux_core::Extern) -> Result<wasmer::Global> {
    match item(env, handle, ExternKind::Global)? {
        wasmer::Extern::Global(global) => Ok(global),
        _ => Err(kind_mismatch()),
    }
}

/// The table checks each handle's kind against its item's when it hands the item out.
fn kind_mismatch() -> Error {
    Error::InvalidArgument("the handle's kind does not match its item".into())
}

pub(crate) fn extern_type(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
) -> Result<ExternType> {
    let item = item(env, handle, handle.kind())?;
    Ok(current_type(&item, env))
}

pub(crate) fn memory_data<'c>(
    env: &'c mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
) -> Result<&'c mut [u8]> {
    let memory = memory(env, handle)?;
    Ok(guest_memory(&memory, env))
}

pub(crate) fn memory_grow(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
    pages: u64,
) -> Result<u64> {
    let memory = memory(env, handle)?;
    let tunables = std::sync::Arc::clone(&env.data().tunables);
    externs::memory_grow(&memory, env, pages, &tunables)
}

pub(crate) fn table_size(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
) -> Result<u64> {
    Ok(u64::from(table(env, handle)?.size(env)))
}

pub(crate) fn table_get(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
    index: u64,
) -> Result<Val> {
    externs::table_get(&table(env, handle)?, env, index)
}

pub(crate) fn table_set(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
    index: u64,
    value: Val,
) -> Result<()> {
    externs::table_set(&table(env, handle)?, env, index, value)
}

pub(crate) fn global_get(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
) -> Result<Val> {
    Ok(externs::global_get(&global(env, handle)?, env))
}

pub(crate) fn global_set(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
    value: Val,
) -> Result<()> {
    externs::global_set(&global(env, handle)?, env, value, "the global")
}

pub(crate) fn call(
    env: &mut FunctionEnvMut<'_, Env>,
    handle: wasmux_core::Extern,
    params: &[Val],
) -> Result<Vec<Val>> {
    let wasmer::Extern::Function(func) = item(env, handle, ExternKind::Func)? else {
        return Err(kind_mismatch());
    };
    if env.data().guarded {
        // Fuel and the deadline's watchdog are accounted by the instance's own calls: a nested
        // call could not tell running out of fuel from a guest's `unreachable`.
        return Err(Error::unsupported(
            crate::ENGINE,
            "calling the guest from a host function with fuel metering or a deadline",
        ));
    }
    let ty = from_wasmer_func_type(&func.ty(env));
    let results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    check_call(&ty, params, &results)?;
    let args = params.iter().map(|v| to_wasmer(v, env)).collect::<Result<Vec<_>>>()?;
    let out = func
        .call(env, &args)
        .map_err(|e| from_runtime_error(e, TrapContext { out_of_fuel: false, stop: None }))?;
    Ok(out.iter().map(|v| from_wasmer(v, env)).collect())
}
