//! [`WasmerEngine`]: the wasmux [`Engine`] on wasmer.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmer::Store;
use wasmer::sys::NativeEngineExt;
use wasmux_core::backend::{ArtifactStamp, InstanceCounter, Resolved, StopCondition};
use wasmux_core::{
    ArtifactProblem, Config, Engine, EngineInfo, EngineKind, Error, Exports, HostEnv, Imports,
    ModuleInfo, Result,
};

use crate::fuel::Fuel;
use crate::instance::{Parts, WasmerInstance};
use crate::interrupt::{Target, Watchdog, inert_handle};
use crate::module::WasmerModule;
use crate::settings::Settings;
use crate::traps::from_deserialize_error;
use crate::tunables::{LimitTunables, SharedTunables};
use crate::{ENGINE, ENGINE_VERSION};

/// The wasmux engine on wasmer: compiles ahead of time with Cranelift or Singlepass, and loads
/// precompiled artifacts without a compiler.
///
/// ```
/// # #[cfg(feature = "cranelift")] {
/// use wasmux_core::{Config, Engine, HostEnv, Instance, Val};
/// use wasmux_wasmer::WasmerEngine;
///
/// let engine = WasmerEngine::new(&Config::default())?;
/// // (module (func (export "answer") (result i32) i32.const 42))
/// let wasm = b"\0asm\x01\0\0\0\x01\x05\x01\x60\0\x01\x7f\x03\x02\x01\0\x07\x0a\x01\x06answer\0\0\x0a\x06\x01\x04\0\x41\x2a\x0b";
/// let module = engine.compile(wasm)?;
/// let mut instance = engine.instantiate(&module, HostEnv::new())?;
/// assert_eq!(instance.call("answer", &[])?, vec![Val::I32(42)]);
/// # }
/// # Ok::<(), wasmux_core::Error>(())
/// ```
#[derive(Clone)]
pub struct WasmerEngine {
    info: EngineInfo,
    settings: Arc<Settings>,
    /// Stamps of the artifacts `load_precompiled` accepts; the first seals `precompile`'s.
    stamps: Arc<[ArtifactStamp]>,
    /// Validates modules (never compiles: each compilation gets its own engine).
    #[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
    validator: Option<wasmer::Engine>,
    /// The engine of stores made empty (`Engine::store`): holds no code, so one serves all.
    headless: wasmer::Engine,
    /// Names `headless`'s signature registry, which every clone of it shares: a module's
    /// function types are registered there once (see `WasmerInstance::adopt_signatures`).
    headless_registry: u64,
    instances: InstanceCounter,
    watchdog: Arc<Watchdog>,
}

impl WasmerEngine {
    /// A module wasmer refused: what it needs, when that is a proposal this engine (with its
    /// compiler) is built without.
    #[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
    fn explain(&self, wasm: &[u8], error: Error) -> Error {
        match error {
            Error::Compile { .. } => {
                let implements = |cap| self.settings.accepted.iter().any(|k| k.supports(cap));
                wasmux_core::backend::explain_invalid(
                    ENGINE,
                    wasm,
                    self.info.capabilities,
                    implements,
                    error,
                )
            }
            other => other,
        }
    }

    fn compile_module(&self, wasm: &[u8]) -> Result<WasmerModule> {
        #[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
        if let Some(kind) = self.settings.compiler {
            let engine = crate::compile::engine(&self.settings, kind);
            let module =
                crate::compile::compile(&engine, kind, wasm).map_err(|e| self.explain(wasm, e))?;
            return Ok(WasmerModule::new(module, engine, self.settings.fuel));
        }
        let _ = wasm;
        Err(no_compiler("compiling"))
    }

    /// Opens the envelope with the first accepted stamp that matches; otherwise reports the
    /// refusal by the engine's own stamp.
    fn open<'a>(&self, artifact: &'a [u8]) -> Result<&'a [u8]> {
        let mut first_error = None;
        for stamp in self.stamps.iter() {
            match stamp.open(artifact) {
                Ok(payload) => return Ok(payload),
                Err(error) => {
                    let incompatible = matches!(
                        error,
                        Error::Artifact { problem: ArtifactProblem::Incompatible, .. }
                    );
                    first_error.get_or_insert(error);
                    if !incompatible {
                        break;
                    }
                }
            }
        }
        Err(first_error.unwrap_or_else(|| no_compiler("loading")))
    }

    /// An empty store on a clone of `engine` carrying `env`'s limits (see `tunables.rs`);
    /// `registry` names the engine's signature registry when it is the headless engine's.
    fn new_store<T: Any + Send>(
        &self,
        engine: &wasmer::Engine,
        registry: Option<u64>,
        env: HostEnv<T>,
    ) -> Result<WasmerInstance> {
        let HostEnv { imports, limits, state, .. } = env;
        self.info.check_limits(&limits)?;
        let slot = self.instances.acquire(limits.max_instances)?;
        let tunables = LimitTunables::new(&limits, self.settings.max_wasm_stack);
        let mut engine = engine.clone();
        engine.set_tunables(SharedTunables(tunables.clone()));
        let store = Store::new(engine);

        let target = self.settings.interruptible.then(|| Target::new(&store, &self.watchdog));
        let handle = target.as_ref().map_or_else(inert_handle, |t| t.handle().clone());
        let stop = StopCondition::new(handle, limits.deadline);
        let fuel = self.settings.fuel.then(|| Fuel::new(limits.fuel.unwrap_or(u64::MAX)));
        Ok(WasmerInstance::new(Parts {
            store,
            imports,
            state,
            tunables,
            slot,
            fuel,
            stop,
            deadline: limits.deadline,
            target,
            watchdog: self.watchdog.clone(),
            registry,
        }))
    }
}

fn no_compiler(what: &str) -> Error {
    Error::unsupported(
        ENGINE,
        format!("{what} modules: this build of wasmux-wasmer has no compiler"),
    )
}

impl Engine for WasmerEngine {
    type Module = WasmerModule;
    type Instance = WasmerInstance;

    fn new(config: &Config) -> Result<Self> {
        let settings = Settings::new(config)?;
        let stamps = match settings.compiler {
            Some(kind) => vec![settings.stamp(kind)],
            None => settings.accepted.iter().map(|k| settings.stamp(*k)).collect(),
        };
        let info = EngineInfo::new(
            ENGINE,
            ENGINE_VERSION,
            EngineKind::Aot,
            settings.compiler.map(|k| k.name()),
            settings.capabilities,
        );
        #[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
        let validator = settings.compiler.map(|kind| crate::compile::validator(&settings, kind));
        Ok(WasmerEngine {
            info,
            stamps: stamps.into(),
            #[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
            validator,
            headless: wasmer::Engine::headless(),
            headless_registry: {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed)
            },
            instances: InstanceCounter::new(),
            watchdog: Arc::new(Watchdog::default()),
            settings: Arc::new(settings),
        })
    }

    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        #[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
        if let Some(validator) = &self.validator {
            return wasmer::Module::validate(validator, wasm)
                .map_err(|e| self.explain(wasm, crate::traps::from_compile_error(e)));
        }
        let _ = wasm;
        Err(no_compiler("validating"))
    }

    fn compile(&self, wasm: &[u8]) -> Result<WasmerModule> {
        let _span = tracing::debug_span!("compile", engine = ENGINE, bytes = wasm.len()).entered();
        self.compile_module(wasm)
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        let _span =
            tracing::debug_span!("precompile", engine = ENGINE, bytes = wasm.len()).entered();
        let module = self.compile_module(wasm)?;
        let payload = module.wasmer().serialize().map_err(|e| Error::Compile {
            engine: ENGINE,
            message: format!("cannot serialize the compiled module: {e}"),
        })?;
        // `compile_module` succeeded, so there is a compiler and a stamp for it.
        match self.stamps.first() {
            Some(stamp) => Ok(stamp.seal(&payload)),
            None => Err(no_compiler("precompiling")),
        }
    }

    /// The key of the stamp `precompile` seals with: the configured compiler's.
    fn artifact_compat(&self) -> Option<&str> {
        self.stamps.first().map(|stamp| stamp.compat_key.as_str())
    }

    unsafe fn load_precompiled(&self, artifact: &[u8]) -> Result<WasmerModule> {
        let _span = tracing::debug_span!("load", engine = ENGINE, bytes = artifact.len()).entered();
        let payload = self.open(artifact)?;
        // A headless engine of its own: wasmer keeps every module's code until its engine is
        // dropped, so one shared engine would grow by each load, forever.
        let engine = wasmer::Engine::headless();
        // SAFETY: the caller vouches that the artifact comes from a trusted `precompile`; the
        // envelope has established that it is intact and was made by wasmer 7.4.2 with this
        // engine's code-generation settings for this CPU.
        let module = unsafe { wasmer::Module::deserialize(&engine, payload) }
            .map_err(from_deserialize_error)?;
        Ok(WasmerModule::new(module, engine, self.settings.fuel))
    }

    fn module_info<'m>(&self, module: &'m WasmerModule) -> &'m ModuleInfo {
        module.info()
    }

    fn instantiate<T: Any + Send>(
        &self,
        module: &WasmerModule,
        env: HostEnv<T>,
    ) -> Result<WasmerInstance> {
        let _span = tracing::debug_span!("instantiate", engine = ENGINE).entered();
        let mut store = self.new_store(module.engine(), None, env)?;
        let funcs = store.resolve_host(module)?;
        store.instantiate(module, funcs.into_iter().map(Resolved::Host))?;
        Ok(store)
    }

    fn store<T: Any + Send>(&self, env: HostEnv<T>) -> Result<WasmerInstance> {
        self.new_store(&self.headless, Some(self.headless_registry), env)
    }

    fn instantiate_in(
        &self,
        store: &mut WasmerInstance,
        module: &WasmerModule,
        imports: &Imports,
    ) -> Result<Exports> {
        let _span = tracing::debug_span!("instantiate", engine = ENGINE).entered();
        let resolved = store.resolve(module, imports)?;
        store.adopt_signatures(module);
        let index = store.instantiate(module, resolved)?;
        Ok(store.handles(index).clone())
    }
}

impl fmt::Debug for WasmerEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmerEngine")
            .field("info", &self.info)
            .field("live_instances", &self.instances.live())
            .finish_non_exhaustive()
    }
}
