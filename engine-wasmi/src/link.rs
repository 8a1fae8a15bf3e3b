//! Linking a module's imports in a wasmi `Linker`: of host functions only for
//! [`Engine::instantiate`](wasmux_core::Engine::instantiate), whose linker the module keeps in
//! its [`LinkCache`](wasmux_core::backend::LinkCache) for the next instantiation with the same
//! functions; of host functions and store items for
//! [`Engine::instantiate_in`](wasmux_core::Engine::instantiate_in) when the module imports a
//! host function (with store items only, it instantiates with no linker).

use std::sync::Arc;

use wasmi::Linker;
use wasmux_core::backend::{Resolved, refuse_typed_refs};
use wasmux_core::{Error, HostFunc, ImportInfo, ModuleInfo, Result};

use crate::ENGINE;
use crate::externs::ExternTable;
use crate::host;
use crate::store::StoreData;

/// A linker defining `funcs` (one per import of `info`, in import order).
pub(crate) fn link(
    engine: &wasmi::Engine,
    info: &ModuleInfo,
    funcs: &[HostFunc],
) -> Result<Arc<Linker<StoreData>>> {
    let mut linker = new_linker(engine);
    for (func, import) in funcs.iter().zip(&info.imports) {
        refuse_host_typed_refs(func)?;
        host::define(&mut linker, &import.module, &import.name, func.clone())
            .map_err(|e| define_error(import, e))?;
    }
    Ok(Arc::new(linker))
}

/// A linker defining every import of `info` as `resolved` (one per import, in import order)
/// says: a host function, or an item of the store whose table is `externs`.
pub(crate) fn link_in_store(
    engine: &wasmi::Engine,
    info: &ModuleInfo,
    resolved: Vec<Resolved>,
    externs: &ExternTable,
) -> Result<Linker<StoreData>> {
    let mut linker = new_linker(engine);
    for (resolved, import) in resolved.into_iter().zip(&info.imports) {
        let defined = match resolved {
            Resolved::Host(func) => {
                refuse_host_typed_refs(&func)?;
                host::define(&mut linker, &import.module, &import.name, func)
            }
            Resolved::Extern(item) => {
                linker.define(&import.module, &import.name, externs.get(item)?).map(|_| ())
            }
        };
        defined.map_err(|e| define_error(import, e))?;
    }
    Ok(linker)
}

/// wasmi has no Wasm 3.0 reference types: a host function declared with one is refused.
fn refuse_host_typed_refs(func: &HostFunc) -> Result<()> {
    let ty = func.ty();
    refuse_typed_refs(ENGINE, ty.params().iter().chain(ty.results()))
}

fn new_linker(engine: &wasmi::Engine) -> Linker<StoreData> {
    let mut linker = Linker::new(engine);
    // A module may import one name twice; both imports get the same item.
    linker.allow_shadowing(true);
    linker
}

fn define_error(import: &ImportInfo, error: wasmi::errors::LinkerError) -> Error {
    Error::Instantiate {
        engine: ENGINE,
        message: format!("defining `{}::{}`: {error}", import.module, import.name),
    }
}
