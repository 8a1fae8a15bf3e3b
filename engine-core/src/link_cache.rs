//! What an engine prepared to link a module with a set of host functions, kept for the next
//! instantiation with the same functions.
//!
//! `HostEnv`s built from one set of [`HostFunc`]s hold clones of the same functions, so an
//! embedder instantiating a module again and again (a server, a pool) links once, as with
//! wasmtime's `Linker::instantiate_pre` or a wasmi `Linker` kept by hand. One entry per module:
//! an embedder alternating between import sets relinks on each change, which costs what
//! linking costs without the cache.

use std::sync::{PoisonError, RwLock};

use crate::error::Result;
use crate::host::HostFunc;

/// A module's last linking: the functions, by identity ([`HostFunc::same`]), and what the
/// engine made of them.
#[derive(Debug)]
pub struct LinkCache<T>(RwLock<Option<(Vec<HostFunc>, T)>>);

impl<T> Default for LinkCache<T> {
    fn default() -> Self {
        LinkCache(RwLock::new(None))
    }
}

impl<T: Clone> LinkCache<T> {
    /// What `link` makes of `funcs` (one per import, as `Imports::resolve` returns them):
    /// the kept value if it was made from the same functions, else a new one, kept.
    pub fn get_or_link(
        &self,
        funcs: Vec<HostFunc>,
        link: impl FnOnce(&[HostFunc]) -> Result<T>,
    ) -> Result<T> {
        if let Some((linked, value)) =
            self.0.read().unwrap_or_else(PoisonError::into_inner).as_ref()
            && same_funcs(linked, &funcs)
        {
            return Ok(value.clone());
        }
        let value = link(&funcs)?;
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some((funcs, value.clone()));
        Ok(value)
    }
}

fn same_funcs(a: &[HostFunc], b: &[HostFunc]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HostError;

    fn func(name: &str) -> HostFunc {
        HostFunc::wrap("m", name, |_caller, (): ()| Ok::<_, HostError>(()))
    }

    #[test]
    fn links_again_only_for_other_functions() {
        let cache = LinkCache::default();
        let (a, b) = (func("a"), func("b"));
        let mut links = 0;
        let mut get = |funcs: &[&HostFunc]| {
            let funcs = funcs.iter().map(|f| (*f).clone()).collect();
            cache
                .get_or_link(funcs, |_| {
                    links += 1;
                    Ok(links)
                })
                .expect("links")
        };
        assert_eq!(get(&[&a, &b]), 1);
        assert_eq!(get(&[&a, &b]), 1, "same functions: kept");
        assert_eq!(get(&[&b, &a]), 2, "other order");
        assert_eq!(get(&[&a]), 3, "fewer");
        assert_eq!(get(&[&func("a")]), 4, "same name, another function");
        assert_eq!(get(&[&a]), 5, "the earlier set is not kept");
    }
}
