//! Each module remembers the `InstancePre` it was last linked into and the host functions it
//! was linked with. Instantiating again with the same functions (clones of the same
//! `HostFunc`s, as every `HostEnv` built from one set of functions holds) skips defining them
//! and type-checking the imports: the same work wasmtime's own
//! `Linker::instantiate_pre` + `InstancePre::instantiate` saves. One entry per module: an
//! embedder alternating import sets relinks each time, which costs what linking always did.

use std::sync::{PoisonError, RwLock};

use wasmtime::{InstancePre, Linker};
use wasmux_core::{Error, HostFunc, Result};

use crate::engine::ENGINE;
use crate::module::WasmtimeModule;
use crate::store::StoreData;

/// The module's last linking, if any.
#[derive(Default)]
pub(crate) struct LinkCache(RwLock<Option<Linked>>);

struct Linked {
    funcs: Vec<HostFunc>,
    pre: InstancePre<StoreData>,
}

impl Linked {
    fn links(&self, funcs: &[HostFunc]) -> bool {
        self.funcs.len() == funcs.len() && self.funcs.iter().zip(funcs).all(|(a, b)| a.same(b))
    }
}

impl LinkCache {
    /// `module` ready to instantiate with `funcs`, one per import in import order (as
    /// `Imports::resolve` returns them).
    pub(crate) fn pre(
        &self,
        engine: &wasmtime::Engine,
        module: &WasmtimeModule,
        funcs: Vec<HostFunc>,
    ) -> Result<InstancePre<StoreData>> {
        if let Some(linked) = self.0.read().unwrap_or_else(PoisonError::into_inner).as_ref()
            && linked.links(&funcs)
        {
            return Ok(linked.pre.clone());
        }
        let pre = link(engine, module, &funcs)?;
        *self.0.write().unwrap_or_else(PoisonError::into_inner) =
            Some(Linked { funcs, pre: pre.clone() });
        Ok(pre)
    }
}

/// Defines `funcs` as the imports of `module` and pre-instantiates it.
fn link(
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
