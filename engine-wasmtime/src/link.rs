//! Linking a module with host functions into an `InstancePre`, which the module keeps in its
//! [`LinkCache`](wasmux_core::LinkCache) for the next instantiation with the same functions.

use wasmtime::{InstancePre, Linker};
use wasmux_core::{Error, HostFunc, Result};

use crate::ENGINE;
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
