//! [`WasmtimeEngine`]: wasmux's [`Engine`] on wasmtime.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::debug_span;
use wasmux_core::backend::{
    ArtifactStamp, CallerMemory, InstanceCounter, InstanceSlot, StopCondition, explain_invalid,
};
use wasmux_core::{
    Config, Engine, EngineInfo, EngineKind, Error, Exports, HostEnv, HostState, Imports,
    InterruptHandle, Limits, ModuleInfo, Result,
};

use crate::instance::WasmtimeInstance;
use crate::module::WasmtimeModule;
use crate::settings;
use crate::store::{Limiter, StoreData};
use crate::ticker::Ticker;
use crate::traps::{call_error, carry, chain};
use crate::{ENGINE, ENGINE_VERSION};

/// wasmux's [`Engine`] on wasmtime: Cranelift JIT compilation, precompiled artifacts, fuel,
/// epoch-based deadlines and interrupts, resource limits and the pooling allocator.
///
/// Create one per configuration and share it; modules and instances belong to the engine that
/// made them.
///
/// ```
/// use wasmux_core::{Config, Engine, HostEnv, Instance, Val};
/// use wasmux_wasmtime::WasmtimeEngine;
///
/// // (module (func (export "answer") (result i32) i32.const 42))
/// let wasm = [
///     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
///     0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65,
///     0x72, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
/// ];
/// let engine = WasmtimeEngine::new(&Config::default())?;
/// let module = engine.compile(&wasm)?;
/// let mut instance = engine.instantiate(&module, HostEnv::new())?;
/// assert_eq!(instance.call("answer", &[])?, vec![Val::I32(42)]);
/// # Ok::<(), wasmux_core::Error>(())
/// ```
#[derive(Clone)]
pub struct WasmtimeEngine {
    engine: wasmtime::Engine,
    config: Config,
    info: EngineInfo,
    stamp: ArtifactStamp,
    instances: InstanceCounter,
    /// The epoch ticker, started by the first instance with a deadline.
    ticker: Arc<Mutex<Option<Arc<Ticker>>>>,
}

impl WasmtimeEngine {
    /// The underlying wasmtime engine, for embedders that need wasmtime's own API.
    pub fn wasmtime_engine(&self) -> &wasmtime::Engine {
        &self.engine
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The stamp this engine's artifacts carry and require.
    pub fn artifact_stamp(&self) -> &ArtifactStamp {
        &self.stamp
    }

    /// Live instances made by this engine.
    pub fn live_instances(&self) -> usize {
        self.instances.live()
    }

    /// The shared epoch ticker, started on first use.
    fn ticker(&self) -> Result<Arc<Ticker>> {
        let mut ticker = self.ticker.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = &*ticker {
            return Ok(running.clone());
        }
        let started = Arc::new(
            Ticker::start(self.engine.clone())
                .map_err(|e| Error::io("starting the wasmtime epoch ticker thread", e))?,
        );
        *ticker = Some(started.clone());
        Ok(started)
    }
}

impl WasmtimeEngine {
    /// The error for `wasm` failing to compile: what it needs, when that is a proposal this
    /// engine is built without.
    fn compile_error(&self, wasm: &[u8], error: &wasmtime::Error) -> Error {
        let invalid = Error::Compile { engine: ENGINE, message: chain(error) };
        explain_invalid(ENGINE, wasm, self.info.capabilities, settings::implements, invalid)
    }
}

impl Engine for WasmtimeEngine {
    type Module = WasmtimeModule;
    type Instance = WasmtimeInstance;

    fn new(config: &Config) -> Result<Self> {
        let wt = settings::wasmtime_config(config)?;
        let engine = wasmtime::Engine::new(&wt).map_err(|e| {
            let message = chain(&e);
            if message.contains("not supported") || message.contains("disabled at compile time") {
                Error::unsupported(ENGINE, message)
            } else {
                Error::Config(format!("{ENGINE}: {message}"))
            }
        })?;
        let info = EngineInfo::new(
            ENGINE,
            ENGINE_VERSION,
            EngineKind::Jit,
            Some("cranelift"),
            settings::capabilities(config)?,
        );
        let stamp = ArtifactStamp {
            engine: ENGINE,
            engine_version: ENGINE_VERSION.to_string(),
            compat_key: settings::compat_key(config, &engine)?,
        };
        Ok(WasmtimeEngine {
            engine,
            config: config.clone(),
            info,
            stamp,
            instances: InstanceCounter::new(),
            ticker: Arc::new(Mutex::new(None)),
        })
    }

    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        let _span = debug_span!("validate", engine = ENGINE).entered();
        wasmtime::Module::validate(&self.engine, wasm).map_err(|e| self.compile_error(wasm, &e))
    }

    fn compile(&self, wasm: &[u8]) -> Result<WasmtimeModule> {
        let _span = debug_span!("compile", engine = ENGINE, bytes = wasm.len()).entered();
        let module =
            wasmtime::Module::new(&self.engine, wasm).map_err(|e| self.compile_error(wasm, &e))?;
        Ok(WasmtimeModule::new(module))
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        let _span = debug_span!("precompile", engine = ENGINE, bytes = wasm.len()).entered();
        let payload =
            self.engine.precompile_module(wasm).map_err(|e| self.compile_error(wasm, &e))?;
        Ok(self.stamp.seal(&payload))
    }

    fn artifact_compat(&self) -> Option<&str> {
        Some(&self.stamp.compat_key)
    }

    unsafe fn load_precompiled(&self, artifact: &[u8]) -> Result<WasmtimeModule> {
        let _span = debug_span!("load", engine = ENGINE, bytes = artifact.len()).entered();
        let payload = self.stamp.open(artifact)?;
        // SAFETY: the caller vouches that the artifact came from a trusted `precompile`; the
        // envelope has just checked engine, version, settings and checksum.
        let module = unsafe { crate::artifact::deserialize(&self.engine, payload)? };
        Ok(WasmtimeModule::new(module))
    }

    fn module_info<'m>(&self, module: &'m WasmtimeModule) -> &'m ModuleInfo {
        &module.info
    }

    fn instantiate<T: Any + Send>(
        &self,
        module: &WasmtimeModule,
        env: HostEnv<T>,
    ) -> Result<WasmtimeInstance> {
        let _span = debug_span!("instantiate", engine = ENGINE).entered();
        let HostEnv { imports, limits, state, .. } = env;
        self.info.check_limits(&limits)?;
        self.check_module(module)?;
        let pre = module
            .linked
            .get_or_link(imports.resolve(&module.info, state.data_type())?, |funcs| {
                crate::link::link(&self.engine, module, funcs)
            })?;
        let parts = self.new_store(&limits, state)?;
        let mut store = parts.store;
        // The start function is a call like any other: its deadline starts now.
        store.data_mut().stop.start_call();
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| instantiate_error(e, &mut store, self.config.pooling.as_ref()))?;
        let memory = instance.get_memory(&mut store, "memory");
        store.data_mut().memory = CallerMemory::Known(memory);
        Ok(WasmtimeInstance::new(
            store,
            Some(instance),
            module.info.clone(),
            imports,
            parts.interrupt,
            parts.slot,
            parts.ticker,
            &self.config,
        ))
    }

    fn store<T: Any + Send>(&self, env: HostEnv<T>) -> Result<WasmtimeInstance> {
        let HostEnv { imports, limits, state, .. } = env;
        self.info.check_limits(&limits)?;
        let parts = self.new_store(&limits, state)?;
        Ok(WasmtimeInstance::new(
            parts.store,
            None,
            Arc::new(ModuleInfo::default()),
            imports,
            parts.interrupt,
            parts.slot,
            parts.ticker,
            &self.config,
        ))
    }

    fn instantiate_in(
        &self,
        store: &mut WasmtimeInstance,
        module: &WasmtimeModule,
        imports: &Imports,
    ) -> Result<Exports> {
        let _span = debug_span!("instantiate_in", engine = ENGINE).entered();
        self.check_module(module)?;
        store.instantiate(&self.engine, module, imports, self.config.pooling.as_ref())
    }
}

/// A new store and what its instance holds beside it.
struct StoreParts {
    store: wasmtime::Store<StoreData>,
    interrupt: InterruptHandle,
    slot: InstanceSlot,
    ticker: Option<Arc<Ticker>>,
}

impl WasmtimeEngine {
    fn check_module(&self, module: &WasmtimeModule) -> Result<()> {
        if wasmtime::Engine::same(module.module.engine(), &self.engine) {
            Ok(())
        } else {
            Err(Error::InvalidArgument("module was compiled by another wasmtime engine".into()))
        }
    }

    /// A store with `limits`, fuel, deadline and interruption as configured, holding `state`.
    fn new_store(&self, limits: &Limits, state: HostState) -> Result<StoreParts> {
        let slot = self.instances.acquire(limits.max_instances)?;
        let ticker = match limits.deadline {
            Some(_) => Some(self.ticker()?),
            None => None,
        };

        let interrupt = if self.config.interruptible {
            let engine = self.engine.clone();
            InterruptHandle::new(move || engine.increment_epoch())
        } else {
            InterruptHandle::new(|| {})
        };
        // A distinct identity, to refuse another store's `funcref`s and handles.
        let id = wasmux_core::backend::new_store_id();
        let data = StoreData {
            host: state,
            stop: StopCondition::new(interrupt.clone(), limits.deadline),
            limiter: Limiter::new(limits),
            memory: CallerMemory::ByName,
            instance_id: id,
            caller_externs: Default::default(),
        };
        let mut store = wasmtime::Store::new(&self.engine, data);
        if limits.max_memory_bytes.is_some() || limits.max_table_elements.is_some() {
            store.limiter(|data| &mut data.limiter);
        }
        if self.config.fuel {
            store.set_fuel(limits.fuel.unwrap_or(u64::MAX)).map_err(crate::traps::engine_error)?;
        }
        if self.config.interruptible {
            store.epoch_deadline_callback(|store| match store.data().stop.check() {
                Some(trap) => Err(carry(Error::Trap(trap))),
                None => Ok(wasmtime::UpdateDeadline::Continue(1)),
            });
            store.set_epoch_deadline(1);
        }

        Ok(StoreParts { store, interrupt, slot, ticker })
    }
}

/// The wasmux error for a failed `Instance::new`.
pub(crate) fn instantiate_error(
    error: wasmtime::Error,
    store: &mut wasmtime::Store<StoreData>,
    pooling: Option<&wasmux_core::PoolingConfig>,
) -> Error {
    let error = if error.is::<crate::traps::Carried>()
        || error.is::<wasmtime::Trap>()
        || error.is::<wasmtime::ThrownException>()
    {
        call_error(error)
    } else if error.is::<wasmtime::PoolConcurrencyLimitError>() {
        let limit = pooling.map_or(0, |p| p.total_instances);
        Error::ResourceLimit {
            resource: wasmux_core::Resource::Instances,
            requested: u64::from(limit) + 1,
            limit: u64::from(limit),
        }
    } else {
        Error::Instantiate { engine: ENGINE, message: chain(&error) }
    };
    store.data_mut().limiter.instantiation_error(error)
}

impl fmt::Debug for WasmtimeEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmtimeEngine")
            .field("info", &self.info)
            .field("live_instances", &self.instances.live())
            .finish_non_exhaustive()
    }
}
