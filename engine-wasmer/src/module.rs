//! A compiled or loaded module, with its interface mapped to wasmux's types once.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmux_core::{ExportInfo, ImportInfo, ModuleInfo};

use crate::fuel::{METERING_EXHAUSTED, METERING_REMAINING};
use crate::values::from_wasmer_extern_type;

/// The export under which wasmux keeps a module's start function (see `compile.rs`): not part
/// of the module's interface.
pub(crate) const START_EXPORT: &str = "\0wasmux-start";

/// A module compiled by, or loaded into, a [`WasmerEngine`](crate::WasmerEngine). Cheap to
/// clone; shareable across threads.
#[derive(Clone)]
pub struct WasmerModule(Arc<Inner>);

struct Inner {
    // Field order matters: the module's code must be unregistered before the engine that owns
    // the code memory goes (wasmer's own `Module` documents the same drop order).
    module: wasmer::Module,
    engine: wasmer::Engine,
    info: Arc<ModuleInfo>,
    has_start: bool,
    /// The signature registry its function types were last registered in by a store.
    adopted_by: AtomicU64,
}

impl WasmerModule {
    /// Wraps `module`, made on `engine`; `fuel` says whether it carries metering globals.
    pub(crate) fn new(module: wasmer::Module, engine: wasmer::Engine, fuel: bool) -> Self {
        let hidden = |name: &str| {
            name == START_EXPORT
                || (fuel && (name == METERING_REMAINING || name == METERING_EXHAUSTED))
        };
        let info = ModuleInfo {
            imports: module
                .imports()
                .map(|i| ImportInfo {
                    module: i.module().to_string(),
                    name: i.name().to_string(),
                    ty: from_wasmer_extern_type(i.ty()),
                })
                .collect(),
            exports: module
                .exports()
                .filter(|e| !hidden(e.name()))
                .map(|e| ExportInfo {
                    name: e.name().to_string(),
                    ty: from_wasmer_extern_type(e.ty()),
                })
                .collect(),
        };
        let has_start = module.exports().any(|e| e.name() == START_EXPORT);
        WasmerModule(Arc::new(Inner {
            module,
            engine,
            info: Arc::new(info),
            has_start,
            adopted_by: AtomicU64::new(u64::MAX),
        }))
    }

    /// The module's imports and exports.
    pub fn info(&self) -> &ModuleInfo {
        &self.0.info
    }

    /// The same, shared.
    pub(crate) fn shared_info(&self) -> &Arc<ModuleInfo> {
        &self.0.info
    }

    /// The wasmer module.
    pub(crate) fn wasmer(&self) -> &wasmer::Module {
        &self.0.module
    }

    /// The wasmer engine holding the module's code; instances run on clones of it.
    pub(crate) fn engine(&self) -> &wasmer::Engine {
        &self.0.engine
    }

    /// Whether a store already registered the module's function types in `registry`.
    pub(crate) fn adopted_by(&self, registry: u64) -> bool {
        self.0.adopted_by.load(Ordering::Acquire) == registry
    }

    /// Remembers that the module's function types are registered in `registry`.
    pub(crate) fn mark_adopted(&self, registry: u64) {
        self.0.adopted_by.store(registry, Ordering::Release);
    }

    /// Whether `other` is this module (a clone of its handle).
    pub(crate) fn same(&self, other: &WasmerModule) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Whether the module has a start function (kept as [`START_EXPORT`]).
    pub(crate) fn has_start(&self) -> bool {
        self.0.has_start
    }
}

impl fmt::Debug for WasmerModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmerModule")
            .field("imports", &self.0.info.imports.len())
            .field("exports", &self.0.info.exports.len())
            .finish_non_exhaustive()
    }
}
