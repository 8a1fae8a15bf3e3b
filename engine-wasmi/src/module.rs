//! `WasmiModule`: a module compiled by wasmi, with its interface and its last linking.

use std::sync::Arc;

use wasmi::Linker;
use wasmux_core::ModuleInfo;
use wasmux_core::backend::LinkCache;

use crate::store::StoreData;

/// A module compiled by wasmi, with its interface computed once.
#[derive(Clone)]
pub struct WasmiModule {
    pub(crate) module: wasmi::Module,
    pub(crate) info: Arc<ModuleInfo>,
    /// The last linking of this module, shared by its clones.
    pub(crate) linked: Arc<LinkCache<Arc<Linker<StoreData>>>>,
}

impl WasmiModule {
    pub(crate) fn new(module: wasmi::Module, info: Arc<ModuleInfo>) -> Self {
        WasmiModule { module, info, linked: Arc::default() }
    }
}

impl std::fmt::Debug for WasmiModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiModule").field("info", &self.info).finish_non_exhaustive()
    }
}
