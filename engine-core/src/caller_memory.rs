//! Where a backend's host calls find their caller's exported `memory`.

/// Where a host call finds the memory its caller exports as `memory`. Resolved once when a
/// store holds a single instance, so that a host call costs no by-name export lookup, whether
/// the instance has such a memory or not; looked up by name on each call while that is not
/// known (during instantiation, in a start function) or when several instances share the store
/// and the caller may be any of them.
#[derive(Clone, Copy, Debug, Default)]
pub enum CallerMemory<M> {
    /// Looked up by name on each call.
    #[default]
    ByName,
    /// The store's only instance's export `memory`, or `None` when it exports none.
    Known(Option<M>),
}

impl<M: Copy> CallerMemory<M> {
    /// The caller's memory: the one known, or what `by_name` finds.
    #[inline]
    pub fn get(self, by_name: impl FnOnce() -> Option<M>) -> Option<M> {
        match self {
            CallerMemory::Known(memory) => memory,
            CallerMemory::ByName => by_name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CallerMemory;

    #[test]
    fn a_known_absence_is_not_looked_up_again() {
        let looked_up = std::cell::Cell::new(0);
        let by_name = || {
            looked_up.set(looked_up.get() + 1);
            Some(7)
        };
        assert_eq!(CallerMemory::<u8>::Known(None).get(by_name), None);
        assert_eq!(CallerMemory::Known(Some(3)).get(by_name), Some(3));
        assert_eq!(looked_up.get(), 0);
        assert_eq!(CallerMemory::ByName.get(by_name), Some(7));
        assert_eq!(looked_up.get(), 1);
    }
}
