//! Handles to the functions, memories, tables, globals and tags of a store, and the exports of
//! one instance as such handles.
//!
//! A store is what an [`Instance`](crate::Instance) owns: the engine's store with the host
//! state, its first instance, every module instantiated into it since
//! ([`Engine::instantiate_in`](crate::Engine::instantiate_in)), and the memories, tables and
//! globals the host made in it. Modules instantiated into one store link to each other's
//! exports directly, share memories and tables, and see each other's writes.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::value::{ExportInfo, ExternType, ModuleInfo};

/// A new store id, unique in the process across every engine, so a handle of one store (or
/// of a dropped one) never matches another's items. For backends.
#[doc(hidden)]
pub fn new_store_id() -> u64 {
    /// Ids a thread takes from the shared counter at once: a store made on a thread that has
    /// ids left costs no atomic operation.
    const BLOCK: u64 = 1 << 16;
    static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        /// The ids this thread has left: `next..end`.
        static LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    LEFT.with(|left| {
        let (mut next, mut end) = left.get();
        if next == end {
            next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        left.set((next + 1, end));
        next
    })
}

/// What kind of thing an [`Extern`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExternKind {
    /// A function.
    Func,
    /// A linear memory.
    Memory,
    /// A table.
    Table,
    /// A global.
    Global,
    /// An exception tag.
    Tag,
}

impl ExternKind {
    /// The kind of an import or export of type `ty`; `None` for a kind wasmux does not model.
    pub fn of(ty: &ExternType) -> Option<ExternKind> {
        match ty {
            ExternType::Func(_) => Some(ExternKind::Func),
            ExternType::Memory(_) => Some(ExternKind::Memory),
            ExternType::Table(_) => Some(ExternKind::Table),
            ExternType::Global(_) => Some(ExternKind::Global),
            ExternType::Other(what) if what.starts_with("(tag") => Some(ExternKind::Tag),
            ExternType::Other(_) => None,
        }
    }
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "function",
            ExternKind::Memory => "memory",
            ExternKind::Table => "table",
            ExternKind::Global => "global",
            ExternKind::Tag => "tag",
        })
    }
}

/// A function, memory, table, global or tag living in one store. Cheap to copy, and valid
/// only with the store that made it: any other store refuses it with
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Extern {
    store: u64,
    index: u32,
    kind: ExternKind,
}

impl Extern {
    /// A handle to entry `index` of store `store`'s table of externs. For backends.
    #[doc(hidden)]
    pub fn new(store: u64, index: usize, kind: ExternKind) -> Self {
        let index = u32::try_from(index).expect("fewer than 2^32 externs in one store");
        Extern { store, index, kind }
    }

    /// What it is.
    pub fn kind(&self) -> ExternKind {
        self.kind
    }

    /// The store it belongs to. For backends.
    #[doc(hidden)]
    pub fn store(&self) -> u64 {
        self.store
    }

    /// Its entry in the store's table of externs. For backends.
    #[doc(hidden)]
    pub fn index(&self) -> usize {
        self.index as usize
    }
}

/// Every export of one instance, in the module's order, with its type as the module declared
/// it and its handle. Give it to [`Imports::instance`](crate::Imports::instance) to link
/// another module of the same store to all of them. Cheap to clone: instantiation keeps one
/// and returns another, and the names and types are the module's own, shared, not copied.
#[derive(Clone, Debug, Default)]
pub struct Exports {
    module: Arc<ModuleInfo>,
    /// One per export of `module`, in order; `None` for one the instance did not have.
    handles: Arc<[Option<Extern>]>,
}

impl Exports {
    /// The exports of an instance of `module`: `handle` gives each export's handle, in the
    /// module's order, or `None` for one the instance does not have. For backends.
    #[doc(hidden)]
    pub fn new(module: Arc<ModuleInfo>, handle: impl FnMut(&ExportInfo) -> Option<Extern>) -> Self {
        let handles = module.exports.iter().map(handle).collect();
        Exports { module, handles }
    }

    /// The export `name`.
    pub fn get(&self, name: &str) -> Option<Extern> {
        self.iter().find(|(info, _)| info.name == name).map(|(_, handle)| handle)
    }

    /// Every export with its declared type, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&ExportInfo, Extern)> {
        self.module
            .exports
            .iter()
            .zip(self.handles.iter())
            .filter_map(|(info, h)| Some((info, (*h)?)))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.handles.iter().flatten().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for Exports {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::new_store_id;

    #[test]
    fn store_ids_are_unique_across_threads() {
        let per_thread = |_| std::thread::spawn(|| (0..1000).map(|_| new_store_id()).collect());
        let threads: Vec<std::thread::JoinHandle<Vec<u64>>> = (0..4).map(per_thread).collect();
        let mut ids: Vec<u64> = (0..1000).map(|_| new_store_id()).collect();
        for thread in threads {
            ids.extend(thread.join().expect("thread"));
        }
        let distinct: HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(!distinct.contains(&0), "0 is no store's id");
    }
}
