//! Linking a module with host functions into an `InstancePre`, which the module keeps in its
//! [`LinkCache`](wasmux_core::backend::LinkCache) for the next instantiation with the same
//! functions; and the imports of an instantiation into a store: the store's items in import
//! order when that is all the module imports (no linker to build, fill and drop), else a
//! linker of host functions and items.

use wasmtime::{InstancePre, Linker};
use wasmux_core::backend::Resolved;
use wasmux_core::{Error, HostFunc, Imports, Result};

use crate::ENGINE;
use crate::instance::WasmtimeInstance;
use crate::module::WasmtimeModule;
use crate::store::StoreData;

/// Defines `funcs` (one per import, in import order) as the imports of `module` and
/// pre-instantiates it.
pub(crate) fn link(
    engine: &wasmtime::Engine,
    module: &WasmtimeModule,
    funcs: &[HostFunc],
) -> Result<InstancePre<StoreData>> {
    let mut linker = Linker::new(engine);
    // A module may import one name twice; both imports get the same function.
    linker.allow_shadowing(true);
    let imports = module.info.imports.iter().zip(module.import_types.iter());
    for (func, (import, ty)) in funcs.iter().zip(imports) {
        let failed = |message: String| Error::Instantiate { engine: ENGINE, message };
        // `resolve` only succeeds when every import is a function of the host's type.
        let ty = ty.clone().ok_or_else(|| {
            failed(format!("import `{}::{}` is not a function", import.module, import.name))
        })?;
        crate::host::define(&mut linker, &import.module, &import.name, ty, func.clone())
            .map_err(|e| failed(format!("defining `{}::{}`: {e:#}", import.module, import.name)))?;
    }
    linker
        .instantiate_pre(&module.module)
        .map_err(|e| Error::Instantiate { engine: ENGINE, message: format!("{e:#}") })
}

/// The imports of one instantiation into a store.
pub(crate) enum StoreImports {
    /// Every import is an item of the store: wasmtime's items, in import order.
    Items(Vec<wasmtime::Extern>),
    /// Some import is a host function, which wasmtime instantiates from a linker's definition.
    Linker(Linker<StoreData>),
}

/// The imports of instantiating `module` into `store`: what `imports` offers over what the
/// store's own imports offer.
pub(crate) fn link_in_store(
    engine: &wasmtime::Engine,
    store: &WasmtimeInstance,
    module: &WasmtimeModule,
    imports: &Imports,
) -> Result<StoreImports> {
    let data = store.store.data().host.data_type();
    let resolve = || {
        imports.resolve_each_over(&store.base_imports, &module.info, data, |item| {
            store.item_type(item)
        })
    };
    let item = |item| store.externs.get(store.id, item, None).cloned();
    if let Some(items) = Resolved::only_items(resolve(), item)? {
        return Ok(StoreImports::Items(items));
    }
    let resolved = resolve().collect::<Result<Vec<_>>>()?;
    let mut linker = Linker::new(engine);
    linker.allow_shadowing(true);
    let imports = module.info.imports.iter().zip(module.import_types.iter());
    for (resolved, (import, ty)) in resolved.iter().zip(imports) {
        let failed = |message: String| Error::Instantiate { engine: ENGINE, message };
        let defined = match resolved {
            Resolved::Host(func) => {
                // `resolve_all` gives a host function only for a function import.
                let ty = ty.clone().ok_or_else(|| {
                    failed(format!("import `{}::{}` is not a function", import.module, import.name))
                })?;
                crate::host::define(&mut linker, &import.module, &import.name, ty, func.clone())
            }
            Resolved::Extern(item) => {
                let item = store.externs.get(store.id, *item, None)?.clone();
                linker.define(&store.store, &import.module, &import.name, item).map(|_| ())
            }
        };
        defined
            .map_err(|e| failed(format!("defining `{}::{}`: {e:#}", import.module, import.name)))?;
    }
    Ok(StoreImports::Linker(linker))
}
