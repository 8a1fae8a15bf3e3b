//! The table of wasmtime items that wasmux [`Extern`] handles index, one per store.

use wasmux_core::{Error, Extern, ExternKind, Result};

/// Every item of one store that a handle was given out for, in the order they were.
#[derive(Default)]
pub(crate) struct ExternTable {
    items: Vec<wasmtime::Extern>,
}

impl ExternTable {
    /// Keeps `item` and returns its handle in store `store`.
    pub(crate) fn push(&mut self, store: u64, item: wasmtime::Extern) -> Extern {
        let kind = kind_of(&item);
        self.items.push(item);
        Extern::new(store, self.items.len() - 1, kind)
    }

    /// The item `handle` stands for, which must be of store `store` and of kind `kind` (any
    /// kind when `None`).
    pub(crate) fn get(
        &self,
        store: u64,
        handle: Extern,
        kind: Option<ExternKind>,
    ) -> Result<&wasmtime::Extern> {
        if handle.store() != store {
            return Err(Error::InvalidArgument(format!(
                "this {} belongs to another store",
                handle.kind()
            )));
        }
        let item = self.items.get(handle.index()).ok_or_else(|| {
            Error::InvalidArgument(format!("no {} with this handle in the store", handle.kind()))
        })?;
        match kind {
            Some(kind) if kind != handle.kind() => {
                Err(Error::InvalidArgument(format!("expected a {kind}, given a {}", handle.kind())))
            }
            _ => Ok(item),
        }
    }

    pub(crate) fn memory(&self, store: u64, handle: Extern) -> Result<wasmtime::Memory> {
        match self.get(store, handle, Some(ExternKind::Memory))? {
            wasmtime::Extern::Memory(memory) => Ok(*memory),
            _ => Err(shared_memory()),
        }
    }

    pub(crate) fn table(&self, store: u64, handle: Extern) -> Result<wasmtime::Table> {
        match self.get(store, handle, Some(ExternKind::Table))? {
            wasmtime::Extern::Table(table) => Ok(*table),
            _ => unreachable_kind(),
        }
    }

    pub(crate) fn global(&self, store: u64, handle: Extern) -> Result<wasmtime::Global> {
        match self.get(store, handle, Some(ExternKind::Global))? {
            wasmtime::Extern::Global(global) => Ok(*global),
            _ => unreachable_kind(),
        }
    }

    pub(crate) fn func(&self, store: u64, handle: Extern) -> Result<wasmtime::Func> {
        match self.get(store, handle, Some(ExternKind::Func))? {
            wasmtime::Extern::Func(func) => Ok(*func),
            _ => unreachable_kind(),
        }
    }
}

/// The kind of a wasmtime item; a shared memory is a memory.
fn kind_of(item: &wasmtime::Extern) -> ExternKind {
    match item {
        wasmtime::Extern::Func(_) => ExternKind::Func,
        wasmtime::Extern::Memory(_) | wasmtime::Extern::SharedMemory(_) => ExternKind::Memory,
        wasmtime::Extern::Table(_) => ExternKind::Table,
        wasmtime::Extern::Global(_) => ExternKind::Global,
        wasmtime::Extern::Tag(_) => ExternKind::Tag,
    }
}

fn shared_memory() -> Error {
    Error::InvalidArgument("a shared memory cannot be used as bytes of one store".into())
}

/// A handle's kind is the kind of the item it was made for (see `push`).
fn unreachable_kind<T>() -> Result<T> {
    Err(Error::InvalidArgument("handle of the wrong kind".into()))
}
