//! Memories, tables and globals of a store: made by the host, typed, grown, read and written
//! through wasmux handles. The operations on one item take any context of the store (the
//! instance's, or a host function's caller), so the embedder and host functions share them.

use wasmtime::{AsContext, AsContextMut, Mutability, Ref, RootScope};
use wasmux_core::{Error, Extern, ExternType, GlobalType, MemoryType, Result, TableType, Val};

use crate::instance::WasmtimeInstance;
use crate::store::StoreData;
use crate::traps::{chain, engine_error};
use crate::values::{self, from_wasmtime, to_val_type, to_wasmtime};

/// The type of `found` now: a memory's and a table's current size is the minimum.
pub(crate) fn current_type(store: impl AsContext, found: &wasmtime::Extern) -> ExternType {
    let store = store.as_context();
    match (values::extern_type(&found.ty(&store)), found) {
        (ExternType::Memory(mut ty), wasmtime::Extern::Memory(memory)) => {
            ty.min = memory.size(&store);
            ExternType::Memory(ty)
        }
        (ExternType::Memory(mut ty), wasmtime::Extern::SharedMemory(memory)) => {
            ty.min = memory.size();
            ExternType::Memory(ty)
        }
        (ExternType::Table(mut ty), wasmtime::Extern::Table(table)) => {
            ty.min = table.size(&store);
            ExternType::Table(ty)
        }
        (ty, _) => ty,
    }
}

pub(crate) fn new_memory(store: &mut WasmtimeInstance, ty: &MemoryType) -> Result<Extern> {
    if ty.shared {
        return Err(Error::unsupported(crate::ENGINE, "shared memories made by the host"));
    }
    let mut builder = wasmtime::MemoryTypeBuilder::new();
    builder.min(ty.min).max(ty.max).memory64(ty.memory64);
    let wasm_ty = builder.build().map_err(|e| invalid_type(&ExternType::Memory(ty.clone()), &e))?;
    let memory = wasmtime::Memory::new(&mut store.store, wasm_ty).map_err(|e| {
        refused(
            &mut store.store,
            &format!("making a memory {}", ExternType::Memory(ty.clone())),
            &e,
        )
    })?;
    Ok(store.externs.push(store.id, memory.into()))
}

pub(crate) fn new_table(store: &mut WasmtimeInstance, ty: &TableType, init: Val) -> Result<Extern> {
    let element = match to_val_type(ty.element)? {
        wasmtime::ValType::Ref(element) => element,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "a table holds references, not {}",
                ty.element
            )));
        }
    };
    // wasmux's table type has 32-bit indices, as the table of a module without memory64 has.
    let index = |n: u64| {
        u32::try_from(n).map_err(|_| {
            Error::InvalidArgument(format!(
                "a table of {n} elements is too large for 32-bit indices"
            ))
        })
    };
    let wasm_ty = wasmtime::TableType::new(element, index(ty.min)?, ty.max.map(index).transpose()?);
    let id = store.id;
    let mut scope = RootScope::new(&mut store.store);
    let init = element_ref(&mut scope, &init, id, ty.element)?;
    let table = wasmtime::Table::new(&mut scope, wasm_ty, init);
    drop(scope);
    let table = table.map_err(|e| {
        refused(&mut store.store, &format!("making a table {}", ExternType::Table(ty.clone())), &e)
    })?;
    Ok(store.externs.push(store.id, table.into()))
}

pub(crate) fn new_global(
    store: &mut WasmtimeInstance,
    ty: &GlobalType,
    value: Val,
) -> Result<Extern> {
    check_value(ty.content, &value, "a global")?;
    let mutability = if ty.mutable { Mutability::Var } else { Mutability::Const };
    let wasm_ty = wasmtime::GlobalType::new(to_val_type(ty.content)?, mutability);
    let id = store.id;
    let mut scope = RootScope::new(&mut store.store);
    let value = to_wasmtime(&mut scope, &value, id)?;
    let global = wasmtime::Global::new(&mut scope, wasm_ty, value).map_err(engine_error)?;
    drop(scope);
    Ok(store.externs.push(store.id, global.into()))
}

/// Grows `memory` by `pages`; its previous size in pages.
pub(crate) fn grow_memory(
    mut store: impl AsContextMut<Data = StoreData>,
    memory: wasmtime::Memory,
    pages: u64,
) -> Result<u64> {
    memory
        .grow(&mut store, pages)
        .map_err(|e| refused(&mut store, &format!("growing a memory by {pages} pages"), &e))
}

/// Element `index` of `table`.
pub(crate) fn get_element(
    mut store: impl AsContextMut<Data = StoreData>,
    table: wasmtime::Table,
    index: u64,
) -> Result<Val> {
    let id = store.as_context().data().instance_id;
    let mut scope = RootScope::new(&mut store);
    let element = table.get(&mut scope, index).ok_or_else(|| out_of_bounds(index))?;
    from_wasmtime(&mut scope, &wasmtime::Val::from(element), id)
}

/// Sets element `index` of `table` to `value`, if of its element type.
pub(crate) fn set_element(
    mut store: impl AsContextMut<Data = StoreData>,
    table: wasmtime::Table,
    index: u64,
    value: Val,
) -> Result<()> {
    let element = element_type(&store, table)?;
    let id = store.as_context().data().instance_id;
    let mut scope = RootScope::new(&mut store);
    let value = element_ref(&mut scope, &value, id, element)?;
    if index >= table.size(&scope) {
        return Err(out_of_bounds(index));
    }
    table.set(&mut scope, index, value).map_err(engine_error)
}

pub(crate) fn table_grow(
    store: &mut WasmtimeInstance,
    table: Extern,
    delta: u64,
    init: Val,
) -> Result<u64> {
    let table = store.externs.table(store.id, table)?;
    let element = element_type(&store.store, table)?;
    let id = store.id;
    let mut scope = RootScope::new(&mut store.store);
    let init = element_ref(&mut scope, &init, id, element)?;
    let grown = table.grow(&mut scope, delta, init);
    drop(scope);
    grown
        .map_err(|e| refused(&mut store.store, &format!("growing a table by {delta} elements"), &e))
}

/// The value of `global`.
pub(crate) fn get_global(
    mut store: impl AsContextMut<Data = StoreData>,
    global: wasmtime::Global,
) -> Result<Val> {
    let id = store.as_context().data().instance_id;
    let mut scope = RootScope::new(&mut store);
    let value = global.get(&mut scope);
    from_wasmtime(&mut scope, &value, id)
}

/// Sets `global` (described as `what` in errors) to `value`, if it is mutable and of its type.
pub(crate) fn set_global(
    mut store: impl AsContextMut<Data = StoreData>,
    global: wasmtime::Global,
    what: &str,
    value: Val,
) -> Result<()> {
    let ty = global.ty(&store);
    if ty.mutability() != Mutability::Var {
        return Err(Error::InvalidArgument(format!("{what} is immutable")));
    }
    match values::val_type(ty.content()) {
        Some(content) => check_value(content, &value, what)?,
        None => {
            return Err(Error::InvalidArgument(format!(
                "{what} has type {:?}, which wasmux values cannot represent",
                ty.content()
            )));
        }
    }
    let id = store.as_context().data().instance_id;
    let mut scope = RootScope::new(&mut store);
    let value = to_wasmtime(&mut scope, &value, id)?;
    global.set(&mut scope, value).map_err(engine_error)
}

fn element_type(store: impl AsContext, table: wasmtime::Table) -> Result<wasmux_core::ValType> {
    let ty = table.ty(&store);
    values::val_type(&wasmtime::ValType::Ref(ty.element().clone())).ok_or_else(|| {
        Error::InvalidArgument(format!("a table of {} cannot hold wasmux values", ty.element()))
    })
}

/// `value` as an element of a table of `element`s.
fn element_ref(
    scope: &mut RootScope<impl AsContextMut<Data = StoreData>>,
    value: &Val,
    id: u64,
    element: wasmux_core::ValType,
) -> Result<Ref> {
    check_value(element, value, "a table element")?;
    let value = to_wasmtime(scope, value, id)?;
    value.ref_().ok_or_else(|| Error::InvalidArgument("a table element must be a reference".into()))
}

fn check_value(ty: wasmux_core::ValType, value: &Val, what: &str) -> Result<()> {
    if ty.accepts(value) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("{what} of type {ty} cannot hold a {}", value.ty())))
    }
}

fn out_of_bounds(index: u64) -> Error {
    Error::InvalidArgument(format!("table index {index} is out of bounds"))
}

fn invalid_type(ty: &ExternType, error: &wasmtime::Error) -> Error {
    Error::InvalidArgument(format!("invalid type {ty}: {}", chain(error)))
}

/// An allocation the engine refused: a wasmux limit's refusal if one was in the way.
fn refused(
    mut store: impl AsContextMut<Data = StoreData>,
    what: &str,
    error: &wasmtime::Error,
) -> Error {
    let error = Error::InvalidArgument(format!("{what} failed: {}", chain(error)));
    store.as_context_mut().data_mut().limiter.instantiation_error(error)
}
