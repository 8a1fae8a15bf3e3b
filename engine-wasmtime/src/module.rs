//! A compiled module with its interface, worked out once.

use std::fmt;
use std::sync::Arc;

use wasmtime::InstancePre;
use wasmux_core::backend::LinkCache;
use wasmux_core::{ExportInfo, ImportInfo, ModuleInfo};

use crate::store::StoreData;
use crate::values::extern_type;

/// A module compiled (or loaded from an artifact) by a
/// [`WasmtimeEngine`](crate::WasmtimeEngine). Cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct WasmtimeModule {
    pub(crate) module: wasmtime::Module,
    pub(crate) info: Arc<ModuleInfo>,
    /// wasmtime's type of each function import, in import order (`None` for other kinds,
    /// which wasmux cannot satisfy): host functions are defined with it, so no function type
    /// is built or registered per instantiation.
    pub(crate) import_types: Arc<[Option<wasmtime::FuncType>]>,
    /// The last linking of this module, shared by its clones.
    pub(crate) linked: Arc<LinkCache<InstancePre<StoreData>>>,
}

impl WasmtimeModule {
    pub(crate) fn new(module: wasmtime::Module) -> Self {
        let mut imports = Vec::new();
        let mut import_types = Vec::new();
        for import in module.imports() {
            let ty = import.ty();
            imports.push(ImportInfo {
                module: import.module().to_string(),
                name: import.name().to_string(),
                ty: extern_type(&ty),
            });
            import_types.push(ty.func().cloned());
        }
        let exports = module
            .exports()
            .map(|export| ExportInfo {
                name: export.name().to_string(),
                ty: extern_type(&export.ty()),
            })
            .collect();
        WasmtimeModule {
            module,
            info: Arc::new(ModuleInfo { imports, exports }),
            import_types: import_types.into(),
            linked: Arc::default(),
        }
    }

    /// The module's imports and exports with their wasmux types.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// The underlying wasmtime module, for embedders that need wasmtime's own API.
    pub fn wasmtime_module(&self) -> &wasmtime::Module {
        &self.module
    }
}

impl fmt::Debug for WasmtimeModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmtimeModule")
            .field("imports", &self.info.imports.len())
            .field("exports", &self.info.exports.len())
            .finish_non_exhaustive()
    }
}
