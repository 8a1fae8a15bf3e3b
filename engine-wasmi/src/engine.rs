//! `WasmiEngine`: the wasmux `Engine` on the wasmi interpreter.

use std::any::Any;
use std::sync::Arc;

use tracing::debug_span;
use wasmi::Store;
use wasmux_core::backend::{InstanceCounter, Resolved, ResourceGuard, explain_invalid};
use wasmux_core::{
    Capability, Config, Engine, EngineInfo, EngineKind, Error, Exports, HostEnv, Imports, Instance,
    ModuleInfo, Result,
};

use crate::contain::contained;
use crate::instance::{Metering, WasmiInstance};
use crate::module::WasmiModule;
use crate::settings;
use crate::store::StoreData;
use crate::traps::compile_error;
use crate::values::module_info;
use crate::{ENGINE, ENGINE_VERSION};

/// The wasmi interpreter behind the wasmux contract.
#[derive(Clone)]
pub struct WasmiEngine {
    engine: wasmi::Engine,
    info: EngineInfo,
    /// Fuel is metered whenever calls must be stoppable: wasmi has no epochs, so deadlines and
    /// interrupts are checked between fuel slices.
    metered: bool,
    instances: InstanceCounter,
}

impl WasmiEngine {
    /// A module wasmi refused: what it needs, when that is a proposal this engine is built
    /// without. (Panics contained as engine failures stay what they are.)
    fn explain(&self, wasm: &[u8], error: Error) -> Error {
        match error {
            Error::Compile { .. } => {
                explain_invalid(ENGINE, wasm, self.info.capabilities, settings::implements, error)
            }
            other => other,
        }
    }
}

impl Engine for WasmiEngine {
    type Module = WasmiModule;
    type Instance = WasmiInstance;

    fn new(config: &Config) -> Result<Self> {
        let wasmi_config = settings::wasmi_config(config)?;
        Ok(WasmiEngine {
            engine: wasmi::Engine::new(&wasmi_config),
            info: EngineInfo::new(
                ENGINE,
                ENGINE_VERSION,
                EngineKind::Interpreter,
                None,
                settings::capabilities(config)?,
            ),
            metered: config.fuel || config.interruptible,
            instances: InstanceCounter::new(),
        })
    }

    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        let _span = debug_span!("validate", engine = ENGINE).entered();
        contained(|| wasmi::Module::validate(&self.engine, wasm).map_err(compile_error))
            .map_err(|e| self.explain(wasm, e))
    }

    fn compile(&self, wasm: &[u8]) -> Result<WasmiModule> {
        let _span = debug_span!("compile", engine = ENGINE, bytes = wasm.len()).entered();
        let module = contained(|| wasmi::Module::new(&self.engine, wasm).map_err(compile_error))
            .map_err(|e| self.explain(wasm, e))?;
        let info = Arc::new(module_info(&module, wasm));
        Ok(WasmiModule::new(module, info))
    }

    fn precompile(&self, _wasm: &[u8]) -> Result<Vec<u8>> {
        self.info.require(Capability::Precompile).map(|()| Vec::new())
    }

    unsafe fn load_precompiled(&self, _artifact: &[u8]) -> Result<WasmiModule> {
        Err(Error::unsupported(ENGINE, Capability::Precompile.as_str()))
    }

    fn module_info<'m>(&self, module: &'m WasmiModule) -> &'m ModuleInfo {
        &module.info
    }

    fn instantiate<T: Any + Send>(
        &self,
        module: &WasmiModule,
        env: HostEnv<T>,
    ) -> Result<WasmiInstance> {
        let _span = debug_span!("instantiate", engine = ENGINE).entered();
        let mut store = self.store(env)?;
        let data = store.host_state().data_type();
        let linker =
            module.linked.get_or_link(store.imports().resolve(&module.info, data)?, |funcs| {
                crate::link::link(&self.engine, &module.info, funcs)
            })?;
        store.instantiate(module, |store, module| linker.instantiate_and_start(store, module))?;
        Ok(store)
    }

    fn store<T: Any + Send>(&self, env: HostEnv<T>) -> Result<WasmiInstance> {
        let HostEnv { imports, limits, state, .. } = env;
        self.info.check_limits(&limits)?;
        // The store counts as one instance however many modules are instantiated into it.
        let slot = self.instances.acquire(limits.max_instances)?;
        let mut store = Store::new(
            &self.engine,
            StoreData::new(state, ResourceGuard::new(&limits), self.metered),
        );
        store.limiter(|data| &mut data.limiter);
        let metering =
            Metering::new(self.metered, self.info.capabilities.has(Capability::Fuel), limits.fuel);
        Ok(WasmiInstance::new(store, imports, metering, limits.deadline, slot))
    }

    fn instantiate_in(
        &self,
        store: &mut WasmiInstance,
        module: &WasmiModule,
        imports: &Imports,
    ) -> Result<Exports> {
        let _span = debug_span!("instantiate_in", engine = ENGINE).entered();
        let data = store.host_state().data_type();
        let resolve = || {
            imports.resolve_each_over(store.imports(), &module.info, data, |item| {
                store.item_type(item)
            })
        };
        // Store items only: wasmi takes them in import order, with no linker to fill and drop.
        match Resolved::only_items(resolve(), |item| store.externs().get(item))? {
            Some(items) => store
                .instantiate(module, |store, module| wasmi::Instance::new(store, module, &items))?,
            None => {
                let resolved = resolve().collect::<Result<_>>()?;
                let linker = crate::link::link_in_store(
                    &self.engine,
                    &module.info,
                    resolved,
                    store.externs(),
                )?;
                store.instantiate(module, |store, module| {
                    linker.instantiate_and_start(store, module)
                })?
            }
        }
        Ok(store.current_exports().unwrap_or_default())
    }
}

impl std::fmt::Debug for WasmiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngine").field("info", &self.info).finish_non_exhaustive()
    }
}
