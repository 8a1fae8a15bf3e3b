//! The store's table of wasmi externs behind wasmux [`Extern`] handles, and the conversions
//! between wasmux and wasmi memory, table and global types.
//!
//! wasmi panics on a handle of another store, so every handle is checked against this table
//! (its store, its index, its kind) before wasmi sees what it stands for.

use wasmi::{AsContext, Ref};
use wasmux_core::backend::refuse_typed_refs;
use wasmux_core::{
    Error, ExternKind, ExternType, GlobalType, MemoryType, Result, TableType, ValType,
};

use crate::ENGINE;
use crate::values::{func_type, ref_type, val_type};

/// The functions, memories, tables and globals of one store handed out as [`Extern`]s:
/// handle index `i` is entry `i`. An entry may hold a place for nothing, in a run of handles
/// one of which does not exist (see [`add_run`](Self::add_run)).
pub(crate) struct ExternTable {
    store_id: u64,
    items: Vec<Option<wasmi::Extern>>,
}

impl ExternTable {
    pub(crate) fn new(store_id: u64) -> Self {
        ExternTable { store_id, items: Vec::new() }
    }

    /// A new handle to `item`.
    pub(crate) fn add(&mut self, item: wasmi::Extern) -> wasmux_core::Extern {
        let handle = wasmux_core::Extern::new(self.store_id, self.items.len(), kind_of(&item));
        self.items.push(Some(item));
        handle
    }

    /// Entries for `items`, in order, so that the handle of the `k`-th is at the returned
    /// index plus `k` ([`handle`](Self::handle)); a `None` holds its place.
    pub(crate) fn add_run(&mut self, items: impl Iterator<Item = Option<wasmi::Extern>>) -> usize {
        let from = self.items.len();
        self.items.extend(items);
        from
    }

    /// The handle of entry `index`, if it stands for an item.
    pub(crate) fn handle(&self, index: usize) -> Option<wasmux_core::Extern> {
        let item = self.items.get(index)?.as_ref()?;
        Some(wasmux_core::Extern::new(self.store_id, index, kind_of(item)))
    }

    /// What `handle` stands for, if it is a handle of this store.
    pub(crate) fn get(&self, handle: wasmux_core::Extern) -> Result<wasmi::Extern> {
        if handle.store() != self.store_id {
            return Err(Error::InvalidArgument(format!(
                "the {} belongs to another store",
                handle.kind()
            )));
        }
        match self.items.get(handle.index()) {
            Some(Some(item)) if kind_of(item) == handle.kind() => Ok(*item),
            _ => Err(Error::InvalidArgument(format!(
                "this store has no {} #{}",
                handle.kind(),
                handle.index()
            ))),
        }
    }

    pub(crate) fn func(&self, handle: wasmux_core::Extern) -> Result<wasmi::Func> {
        self.get(handle)?.into_func().ok_or_else(|| wrong_kind(handle, ExternKind::Func))
    }

    pub(crate) fn memory(&self, handle: wasmux_core::Extern) -> Result<wasmi::Memory> {
        self.get(handle)?.into_memory().ok_or_else(|| wrong_kind(handle, ExternKind::Memory))
    }

    pub(crate) fn table(&self, handle: wasmux_core::Extern) -> Result<wasmi::Table> {
        self.get(handle)?.into_table().ok_or_else(|| wrong_kind(handle, ExternKind::Table))
    }

    pub(crate) fn global(&self, handle: wasmux_core::Extern) -> Result<wasmi::Global> {
        self.get(handle)?.into_global().ok_or_else(|| wrong_kind(handle, ExternKind::Global))
    }
}

fn wrong_kind(handle: wasmux_core::Extern, needed: ExternKind) -> Error {
    Error::InvalidArgument(format!("a {} was given where a {needed} is needed", handle.kind()))
}

pub(crate) fn kind_of(item: &wasmi::Extern) -> ExternKind {
    match item {
        wasmi::Extern::Func(_) => ExternKind::Func,
        wasmi::Extern::Memory(_) => ExternKind::Memory,
        wasmi::Extern::Table(_) => ExternKind::Table,
        wasmi::Extern::Global(_) => ExternKind::Global,
    }
}

/// The type of `item` as it is now: a memory's or table's current size as its minimum, as
/// import matching wants it.
pub(crate) fn current_type(store: impl AsContext, item: wasmi::Extern) -> ExternType {
    match item {
        wasmi::Extern::Func(func) => ExternType::Func(func_type(&func.ty(&store))),
        wasmi::Extern::Memory(memory) => {
            let ty = memory.ty(&store);
            ExternType::Memory(MemoryType {
                min: memory.size(&store),
                max: ty.maximum(),
                memory64: ty.is_64(),
                shared: false,
            })
        }
        wasmi::Extern::Table(table) => {
            let ty = table.ty(&store);
            ExternType::Table(TableType {
                element: ref_type(ty.element()),
                min: table.size(&store),
                max: ty.maximum(),
            })
        }
        wasmi::Extern::Global(global) => {
            let ty = global.ty(&store);
            ExternType::Global(GlobalType {
                content: val_type(ty.content()),
                mutable: matches!(ty.mutability(), wasmi::Mutability::Var),
            })
        }
    }
}

/// wasmi's memory type for `ty`; wasmi has no shared memories.
pub(crate) fn wasmi_memory_type(ty: &MemoryType) -> Result<wasmi::MemoryType> {
    if ty.shared {
        return Err(Error::unsupported(ENGINE, "shared memories"));
    }
    let mut builder = wasmi::MemoryType::builder();
    builder.memory64(ty.memory64).min(ty.min).max(ty.max);
    builder.build().map_err(|e| Error::InvalidArgument(format!("memory type {ty:?}: {e}")))
}

/// wasmi's table type for `ty`, checked first: wasmi panics on a minimum above the maximum.
/// wasmux tables have 32-bit indices.
pub(crate) fn wasmi_table_type(ty: &TableType) -> Result<wasmi::TableType> {
    let invalid = |why: &str| Error::InvalidArgument(format!("table type {ty:?}: {why}"));
    let element = match ty.element {
        ValType::FuncRef => wasmi::RefType::Func,
        ValType::ExternRef => wasmi::RefType::Extern,
        other => {
            refuse_typed_refs(ENGINE, [&other])?;
            return Err(invalid(&format!("{other} is not a reference type")));
        }
    };
    let min = u32::try_from(ty.min).map_err(|_| invalid("minimum above 2^32 - 1"))?;
    let max =
        ty.max.map(u32::try_from).transpose().map_err(|_| invalid("maximum above 2^32 - 1"))?;
    if max.is_some_and(|max| max < min) {
        return Err(invalid("minimum above maximum"));
    }
    Ok(wasmi::TableType::new(element, min, max))
}

/// The reference a wasmi value holds, for a table of element type `element`.
pub(crate) fn table_element(element: wasmi::RefType, value: wasmi::Val) -> Result<Ref> {
    let reference = match value {
        wasmi::Val::FuncRef(func) => Ref::from(func),
        wasmi::Val::ExternRef(host) => Ref::from(host),
        other => {
            return Err(Error::InvalidArgument(format!(
                "a table element must be a reference, not {}",
                val_type(other.ty())
            )));
        }
    };
    if reference.ty() != element {
        return Err(Error::InvalidArgument(format!(
            "a table of {} elements cannot hold an element of type {}",
            ref_type(element),
            ref_type(reference.ty())
        )));
    }
    Ok(reference)
}
