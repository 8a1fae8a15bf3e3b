//! Handles a host function gets from [`Caller::get_export`](crate::Caller::get_export): items
//! of the calling instance, valid until that host function returns.
//!
//! An engine's host call knows its caller's exports (wasmtime and wasmi ask the calling
//! instance, wasmer the instance its functions were bound to) but not which of the store's
//! registered handles they are: wasmtime's memories, tables and globals have no public
//! identity. So a host call keeps its own small table, in the store, and its handles carry a
//! scope id of their own: a handle used after its host call has returned, or in another one,
//! is refused like a handle of another store, never mistaken for another item.

use crate::error::{Error, Result};
use crate::externs::{Extern, ExternKind, new_store_id};

/// The engine items handed out by the host calls running on a store, for backends. Nested host
/// calls (host → guest → host) each get their own scope; the outer scope is back when the inner
/// call returns.
#[derive(Debug)]
pub struct CallerExterns<X> {
    /// The id of the innermost scope with handles; 0 while none has any.
    scope: u64,
    items: Vec<X>,
}

impl<X> Default for CallerExterns<X> {
    fn default() -> Self {
        CallerExterns { scope: 0, items: Vec::new() }
    }
}

/// Where the enclosing host call's scope ends, kept by the host call that opened its own.
#[derive(Clone, Copy, Debug)]
pub struct ScopeMark {
    scope: u64,
    len: usize,
}

impl<X> CallerExterns<X> {
    /// A handle to `item`, of kind `kind`, in the scope of the running host call. `mark` is
    /// that host call's own: `None` until its first handle, when its scope opens.
    pub fn push(&mut self, mark: &mut Option<ScopeMark>, item: X, kind: ExternKind) -> Extern {
        if mark.is_none() {
            *mark = Some(ScopeMark { scope: self.scope, len: self.items.len() });
            self.scope = new_store_id();
        }
        self.items.push(item);
        Extern::new(self.scope, self.items.len() - 1, kind)
    }

    /// The item behind `handle`, if it belongs to the running host call and is a `kind`.
    pub fn get(&self, handle: Extern, kind: ExternKind) -> Result<&X> {
        if handle.store() != self.scope || self.scope == 0 {
            return Err(Error::InvalidArgument(
                "this handle is not one the running host function got from its caller".into(),
            ));
        }
        if handle.kind() != kind {
            return Err(Error::InvalidArgument(format!("a {} is not a {kind}", handle.kind())));
        }
        self.items.get(handle.index()).ok_or_else(|| {
            Error::InvalidArgument("this handle is not one the running host function got".into())
        })
    }

    /// Closes the scope `mark` opened, when its host call returns (or unwinds).
    pub fn close(&mut self, mark: ScopeMark) {
        self.items.truncate(mark.len);
        self.scope = mark.scope;
    }
}

/// The error for a handle whose item is not of the handle's kind. [`CallerExterns::get`] and
/// the stores' tables check kinds, so a backend meets it only if its engine disagrees.
pub fn kind_mismatch() -> Error {
    Error::InvalidArgument("the handle's kind does not match its item".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_live_as_long_as_their_host_call() {
        let mut table = CallerExterns::default();
        let mut outer = None;
        let a = table.push(&mut outer, 'a', ExternKind::Memory);
        assert_eq!(table.get(a, ExternKind::Memory).ok(), Some(&'a'));
        assert!(table.get(a, ExternKind::Table).is_err(), "kind checked");

        let mut inner = None;
        let b = table.push(&mut inner, 'b', ExternKind::Global);
        assert_eq!(table.get(b, ExternKind::Global).ok(), Some(&'b'));
        assert!(table.get(a, ExternKind::Memory).is_err(), "the outer call is not running");
        table.close(inner.expect("opened"));

        assert!(table.get(b, ExternKind::Global).is_err(), "the inner call returned");
        assert_eq!(table.get(a, ExternKind::Memory).ok(), Some(&'a'));
        table.close(outer.expect("opened"));
        assert!(table.get(a, ExternKind::Memory).is_err(), "the outer call returned");
        assert!(table.items.is_empty());

        let mut later = None;
        let c = table.push(&mut later, 'c', ExternKind::Memory);
        assert_eq!(c.index(), a.index(), "the slot is reused");
        assert!(table.get(a, ExternKind::Memory).is_err(), "but not by the old handle");
    }
}
