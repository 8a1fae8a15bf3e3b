//! A store's table of wasmer externs, which wasmux [`Extern`] handles index, and what the
//! host does with a memory, table or global through such a handle.
//!
//! A wasmux handle is engine-independent plain data, `(store id, index, kind)`, so each store
//! keeps the wasmer externs it gave handles for in a table the handles index, and checks a
//! handle's store, index and kind before using it.

use wasmer::{AsStoreMut, AsStoreRef, Function, Global, Memory, Pages, Store, Table, Value};
use wasmux_core::{
    Error, Extern, ExternKind, ExternType, GlobalType, MemoryType, Result, TableType, Val,
};

use crate::tunables::LimitTunables;
use crate::values::{
    from_wasmer, from_wasmer_extern_type, from_wasmer_type, refuse_typed_refs, to_wasmer,
    to_wasmer_type,
};

/// The externs of one store that the host holds handles to.
pub(crate) struct ExternTable {
    store: u64,
    items: Vec<wasmer::Extern>,
}

impl ExternTable {
    pub(crate) fn new() -> Self {
        ExternTable { store: wasmux_core::backend::new_store_id(), items: Vec::new() }
    }

    /// A handle to `item`, which must belong to this table's store.
    pub(crate) fn add(&mut self, item: wasmer::Extern) -> Extern {
        let kind = kind_of(&item);
        self.items.push(item);
        Extern::new(self.store, self.items.len() - 1, kind)
    }

    /// The extern `handle` names, if it is one of this store's.
    pub(crate) fn get(&self, handle: Extern) -> Result<&wasmer::Extern> {
        if handle.store() != self.store {
            return Err(Error::InvalidArgument(format!(
                "a {} of another store cannot be used with this one",
                handle.kind()
            )));
        }
        match self.items.get(handle.index()) {
            Some(item) if kind_of(item) == handle.kind() => Ok(item),
            _ => Err(Error::InvalidArgument(format!(
                "no {} {} in this store",
                handle.kind(),
                handle.index()
            ))),
        }
    }

    pub(crate) fn func(&self, handle: Extern) -> Result<&Function> {
        match self.get(expect(handle, ExternKind::Func)?)? {
            wasmer::Extern::Function(func) => Ok(func),
            _ => Err(wrong_kind(handle, ExternKind::Func)),
        }
    }

    pub(crate) fn memory(&self, handle: Extern) -> Result<&Memory> {
        match self.get(expect(handle, ExternKind::Memory)?)? {
            wasmer::Extern::Memory(memory) => Ok(memory),
            _ => Err(wrong_kind(handle, ExternKind::Memory)),
        }
    }

    pub(crate) fn table(&self, handle: Extern) -> Result<&Table> {
        match self.get(expect(handle, ExternKind::Table)?)? {
            wasmer::Extern::Table(table) => Ok(table),
            _ => Err(wrong_kind(handle, ExternKind::Table)),
        }
    }

    pub(crate) fn global(&self, handle: Extern) -> Result<&Global> {
        match self.get(expect(handle, ExternKind::Global)?)? {
            wasmer::Extern::Global(global) => Ok(global),
            _ => Err(wrong_kind(handle, ExternKind::Global)),
        }
    }
}

fn expect(handle: Extern, kind: ExternKind) -> Result<Extern> {
    if handle.kind() == kind { Ok(handle) } else { Err(wrong_kind(handle, kind)) }
}

fn wrong_kind(handle: Extern, wanted: ExternKind) -> Error {
    Error::InvalidArgument(format!("a {} was given where a {wanted} is needed", handle.kind()))
}

pub(crate) fn kind_of(item: &wasmer::Extern) -> ExternKind {
    match item {
        wasmer::Extern::Function(_) => ExternKind::Func,
        wasmer::Extern::Memory(_) => ExternKind::Memory,
        wasmer::Extern::Table(_) => ExternKind::Table,
        wasmer::Extern::Global(_) => ExternKind::Global,
        wasmer::Extern::Tag(_) => ExternKind::Tag,
    }
}

/// `item`'s type as it is now: a memory's or table's current size as its minimum, as import
/// matching wants it.
pub(crate) fn current_type(item: &wasmer::Extern, store: &impl AsStoreRef) -> ExternType {
    let mut ty = from_wasmer_extern_type(&item.ty(store));
    match (&mut ty, item) {
        (ExternType::Memory(ty), wasmer::Extern::Memory(memory)) => {
            ty.min = u64::from(memory.view(store).size().0);
        }
        (ExternType::Table(ty), wasmer::Extern::Table(table)) => {
            ty.min = u64::from(table.size(store));
        }
        _ => {}
    }
    ty
}

/// Grows `memory` by `pages`; its previous size in pages.
pub(crate) fn memory_grow(
    memory: &Memory,
    store: &mut impl AsStoreMut,
    pages: u64,
    limits: &LimitTunables,
) -> Result<u64> {
    let old = u64::from(memory.view(store).size().0);
    let refused = || {
        let requested = old.saturating_add(pages).saturating_mul(wasmer::WASM_PAGE_SIZE as u64);
        limits.memory_refusal(requested).unwrap_or_else(|| {
            Error::InvalidArgument(format!(
                "memory of {old} pages cannot grow by {pages} pages: past its maximum"
            ))
        })
    };
    let delta = u32::try_from(pages).map_err(|_| refused())?;
    memory.grow(store, Pages(delta)).map(|_| old).map_err(|_| refused())
}

/// Element `index` of `table`.
pub(crate) fn table_get(table: &Table, store: &mut impl AsStoreMut, index: u64) -> Result<Val> {
    let value = u32::try_from(index).ok().and_then(|i| table.get(store, i));
    match value {
        Some(value) => Ok(from_wasmer(&value, &*store)),
        None => Err(out_of_bounds(index, table.size(store))),
    }
}

/// Sets element `index` of `table` to `value`.
pub(crate) fn table_set(
    table: &Table,
    store: &mut impl AsStoreMut,
    index: u64,
    value: Val,
) -> Result<()> {
    let size = table.size(store);
    let index = match u32::try_from(index) {
        Ok(i) if i < size => i,
        _ => return Err(out_of_bounds(index, size)),
    };
    let value = element(table, store, value)?;
    table.set(store, index, value).map_err(|e| Error::InvalidArgument(e.message()))
}

/// Grows `table` by `delta` elements set to `init`; its previous size.
pub(crate) fn table_grow(
    table: &Table,
    store: &mut impl AsStoreMut,
    delta: u64,
    init: Val,
    limits: &LimitTunables,
) -> Result<u64> {
    let old = u64::from(table.size(store));
    let refused = || {
        limits.table_refusal(old.saturating_add(delta)).unwrap_or_else(|| {
            Error::InvalidArgument(format!(
                "table of {old} elements cannot grow by {delta}: past its maximum"
            ))
        })
    };
    let delta = u32::try_from(delta).map_err(|_| refused())?;
    let init = element(table, store, init)?;
    table.grow(store, delta, init).map(u64::from).map_err(|_| refused())
}

/// `value` as an element of `table`, if of its element type.
fn element(table: &Table, store: &mut impl AsStoreMut, value: Val) -> Result<Value> {
    let element = table.ty(store).ty;
    if !from_wasmer_type(element).accepts(&value) {
        return Err(Error::InvalidArgument(format!(
            "a value of type {} cannot be an element of a table of {element}",
            value.ty()
        )));
    }
    to_wasmer(&value, store)
}

fn out_of_bounds(index: u64, size: u32) -> Error {
    Error::InvalidArgument(format!("table index {index} is out of bounds (size {size})"))
}

/// The value of `global`.
pub(crate) fn global_get(global: &Global, store: &mut impl AsStoreMut) -> Val {
    from_wasmer(&global.get(&mut *store), &*store)
}

/// Sets the mutable `global` to `value`, of its type; `what` names it in errors.
pub(crate) fn global_set(
    global: &Global,
    store: &mut impl AsStoreMut,
    value: Val,
    what: &str,
) -> Result<()> {
    let ty = global.ty(store);
    if !ty.mutability.is_mutable() {
        return Err(Error::InvalidArgument(format!("{what} is immutable")));
    }
    if !from_wasmer_type(ty.ty).accepts(&value) {
        return Err(Error::InvalidArgument(format!(
            "{what} of type {} set to a value of type {}",
            ty.ty,
            value.ty()
        )));
    }
    let value = to_wasmer(&value, store)?;
    global.set(store, value).map_err(|e| Error::InvalidArgument(format!("{what}: {}", e.message())))
}

/// A new memory of type `ty` in `store`, whose tunables are `limits`.
pub(crate) fn new_memory(
    store: &mut Store,
    ty: &MemoryType,
    limits: &LimitTunables,
) -> Result<Memory> {
    if ty.memory64 {
        return Err(Error::unsupported(crate::ENGINE, "64-bit memories"));
    }
    let pages = |n: u64| {
        u32::try_from(n).ok().filter(|n| *n <= wasmer::WASM_MAX_PAGES).map(Pages).ok_or_else(|| {
            Error::InvalidArgument(format!("a memory of {n} pages: more than 4 GiB"))
        })
    };
    let wasmer_ty =
        wasmer::MemoryType::new(pages(ty.min)?, ty.max.map(pages).transpose()?, ty.shared);
    Memory::new(store, wasmer_ty).map_err(|error| match limits.take_refusal() {
        Some(refusal) => refusal.into_error(),
        None => Error::InvalidArgument(format!("cannot make a memory of type {ty:?}: {error}")),
    })
}

/// A new table of type `ty` in `store`, every element `init`.
pub(crate) fn new_table(
    store: &mut Store,
    ty: &TableType,
    init: Val,
    limits: &LimitTunables,
) -> Result<Table> {
    let elements = |n: u64| {
        u32::try_from(n).map_err(|_| {
            limits.table_refusal(n).unwrap_or_else(|| {
                Error::InvalidArgument(format!("a table of {n} elements: more than 2^32 - 1"))
            })
        })
    };
    refuse_typed_refs([&ty.element])?;
    let wasmer_ty = wasmer::TableType::new(
        to_wasmer_type(ty.element),
        elements(ty.min)?,
        ty.max.map(elements).transpose()?,
    );
    if !ty.element.accepts(&init) {
        return Err(Error::InvalidArgument(format!(
            "a table of {} cannot start with elements of type {}",
            ty.element,
            init.ty()
        )));
    }
    let init = to_wasmer(&init, store)?;
    Table::new(store, wasmer_ty, init).map_err(|error| match limits.take_refusal() {
        Some(refusal) => refusal.into_error(),
        None => Error::InvalidArgument(format!(
            "cannot make a table of type {ty:?}: {}",
            error.message()
        )),
    })
}

/// A new global of type `ty` in `store`, holding `value`.
pub(crate) fn new_global(store: &mut Store, ty: &GlobalType, value: Val) -> Result<Global> {
    refuse_typed_refs([&ty.content])?;
    if value.ty() != ty.content {
        return Err(Error::InvalidArgument(format!(
            "a global of type {} cannot hold a value of type {}",
            ty.content,
            value.ty()
        )));
    }
    let value = to_wasmer(&value, store)?;
    Ok(if ty.mutable { Global::new_mut(store, value) } else { Global::new(store, value) })
}
