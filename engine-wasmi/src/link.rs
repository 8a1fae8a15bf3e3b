//! Linking a module's imports to host functions in a wasmi `Linker`, which the module keeps in
//! its [`LinkCache`](wasmux_core::LinkCache) for the next instantiation with the same
//! functions.

use std::sync::Arc;

use wasmi::Linker;
use wasmux_core::{Error, HostFunc, ModuleInfo, Result};

use crate::ENGINE;
use crate::host;
use crate::store::StoreData;

/// A linker defining `funcs` (one per import of `info`, in import order).
pub(crate) fn link(
    engine: &wasmi::Engine,
    info: &ModuleInfo,
    funcs: &[HostFunc],
) -> Result<Arc<Linker<StoreData>>> {
    let mut linker = Linker::new(engine);
    // A module may import one name twice; both imports get the same function.
    linker.allow_shadowing(true);
    for (func, import) in funcs.iter().zip(&info.imports) {
        host::define(&mut linker, &import.module, &import.name, func.clone()).map_err(|e| {
            Error::Instantiate {
                engine: ENGINE,
                message: format!("defining `{}::{}`: {e}", import.module, import.name),
            }
        })?;
    }
    Ok(Arc::new(linker))
}
