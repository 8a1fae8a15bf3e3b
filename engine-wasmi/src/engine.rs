//! `WasmiEngine`: the wasmux `Engine` on the wasmi interpreter.

use std::sync::Arc;

use tracing::debug_span;
use wasmi::{AsContextMut, Linker, Store};
use wasmux_core::{
    Capabilities, Capability, Compiler, Config, Engine, EngineInfo, EngineKind, Error, HostEnv,
    InstanceCounter, LinkCache, ModuleInfo, ResourceGuard, Result,
};

use crate::contain::contained;
use crate::convert::module_info;
use crate::errors::{compile_error, execution_error};
use crate::instance::{Metering, WasmiInstance};
use crate::store::StoreData;
use crate::{ENGINE_NAME, ENGINE_VERSION};

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

/// A module compiled by wasmi, with its interface computed once.
#[derive(Clone)]
pub struct WasmiModule {
    module: wasmi::Module,
    info: Arc<ModuleInfo>,
    /// The last linking of this module, shared by its clones.
    linked: Arc<LinkCache<Arc<Linker<StoreData>>>>,
}

impl WasmiEngine {
    fn wasmi_config(config: &Config) -> Result<wasmi::Config> {
        let refuse = |feature: &str| Err(Error::unsupported(ENGINE_NAME, feature));
        let features = &config.features;
        for (enabled, name) in [
            (features.exceptions, "the exceptions proposal"),
            (features.gc, "the gc proposal"),
            (features.threads, "the threads proposal"),
            (features.function_references, "the function-references proposal"),
        ] {
            if enabled {
                return refuse(name);
            }
        }
        match config.compiler {
            Compiler::Auto => {}
            other => return refuse(&format!("the {other:?} compiler (it interprets)")),
        }
        if config.pooling.is_some() {
            return refuse("the pooling allocator");
        }
        let mut wasmi = wasmi::Config::default();
        wasmi
            .wasm_simd(features.simd)
            .wasm_relaxed_simd(features.relaxed_simd)
            .wasm_multi_value(features.multi_value)
            .wasm_bulk_memory(features.bulk_memory)
            .wasm_reference_types(features.reference_types)
            .wasm_tail_call(features.tail_calls)
            .wasm_memory64(features.memory64)
            .wasm_multi_memory(features.multi_memory)
            .wasm_extended_const(features.extended_const)
            .consume_fuel(config.fuel || config.interruptible);
        if config.fuel || config.interruptible {
            // wasmi charges fuel for translating a function on its first call, and running out
            // there is not resumable: a fuel slice ending mid-translation would fail the call
            // (any wasi-libc printf did). Metered engines therefore translate when compiling.
            wasmi.compilation_mode(wasmi::CompilationMode::Eager);
        }
        if let Some(bytes) = config.max_wasm_stack {
            const MIN_STACK_BYTES: usize = 1_000;
            if bytes < MIN_STACK_BYTES {
                return Err(Error::Config(format!(
                    "max_wasm_stack of {bytes} bytes is below wasmi's minimum of {MIN_STACK_BYTES}"
                )));
            }
            wasmi.set_max_stack_height(bytes);
        }
        Ok(wasmi)
    }

    fn capabilities(config: &Config) -> Capabilities {
        let mut caps: Capabilities = config.features.enabled().collect();
        caps.set(Capability::Fuel, config.fuel)
            .set(Capability::Deadline, config.interruptible)
            .set(Capability::Interrupt, config.interruptible)
            .set(Capability::MemoryLimit, true)
            .set(Capability::TableLimit, true)
            .set(Capability::StackOverflowTrap, true)
            .set(Capability::MultiResultHostFunctions, true);
        caps
    }
}

impl Engine for WasmiEngine {
    type Module = WasmiModule;
    type Instance = WasmiInstance;

    fn new(config: &Config) -> Result<Self> {
        let wasmi_config = Self::wasmi_config(config)?;
        Ok(WasmiEngine {
            engine: wasmi::Engine::new(&wasmi_config),
            info: EngineInfo {
                name: ENGINE_NAME,
                version: ENGINE_VERSION,
                kind: EngineKind::Interpreter,
                compiler: None,
                capabilities: Self::capabilities(config),
            },
            metered: config.fuel || config.interruptible,
            instances: InstanceCounter::new(),
        })
    }

    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        let _span = debug_span!("validate", engine = ENGINE_NAME).entered();
        contained(|| wasmi::Module::validate(&self.engine, wasm).map_err(compile_error))
    }

    fn compile(&self, wasm: &[u8]) -> Result<WasmiModule> {
        let _span = debug_span!("compile", engine = ENGINE_NAME, bytes = wasm.len()).entered();
        let module = contained(|| wasmi::Module::new(&self.engine, wasm).map_err(compile_error))?;
        let info = Arc::new(module_info(&module, wasm));
        Ok(WasmiModule { module, info, linked: Arc::default() })
    }

    fn precompile(&self, _wasm: &[u8]) -> Result<Vec<u8>> {
        self.info.require(Capability::Precompile).map(|()| Vec::new())
    }

    unsafe fn load_precompiled(&self, _artifact: &[u8]) -> Result<WasmiModule> {
        Err(Error::unsupported(ENGINE_NAME, Capability::Precompile.as_str()))
    }

    fn module_info<'m>(&self, module: &'m WasmiModule) -> &'m ModuleInfo {
        &module.info
    }

    fn instantiate(&self, module: &WasmiModule, env: HostEnv) -> Result<WasmiInstance> {
        let _span = debug_span!("instantiate", engine = ENGINE_NAME).entered();
        let HostEnv { imports, limits, state } = env;
        if limits.fuel.is_some() {
            self.info.require(Capability::Fuel)?;
        }
        if limits.deadline.is_some() {
            self.info.require(Capability::Deadline)?;
        }
        let slot = self.instances.acquire(limits.max_instances)?;
        let linker = module.linked.get_or_link(imports.resolve(&module.info)?, |funcs| {
            crate::link::link(&self.engine, &module.info, funcs)
        })?;
        let mut store =
            Store::new(&self.engine, StoreData::new(state, ResourceGuard::new(&limits)));
        store.limiter(|data| &mut data.limiter);
        let mut metering =
            Metering::new(self.metered, self.info.capabilities.has(Capability::Fuel), limits.fuel);
        metering.fill_for_start(&mut store)?;
        let instantiated = contained(|| {
            linker
                .instantiate_and_start(store.as_context_mut(), &module.module)
                .map_err(execution_error)
        });
        metering.settle(&store);
        let instance =
            instantiated.map_err(|error| store.data_mut().limiter.0.instantiation_error(error))?;
        store.data_mut().memory = instance.get_memory(&store, "memory");
        Ok(WasmiInstance::new(store, instance, metering, limits.deadline, slot))
    }
}

impl std::fmt::Debug for WasmiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngine").field("info", &self.info).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for WasmiModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiModule").field("info", &self.info).finish_non_exhaustive()
    }
}
