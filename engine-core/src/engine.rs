//! The engine contract: `Engine` and `Instance` with static dispatch, and their object-safe
//! mirrors `DynEngine` and `DynInstance` for choosing an engine at run time.

use std::any::Any;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::capability::{Capabilities, Capability};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::externs::{Exports, Extern};
use crate::host::{HostEnv, HostState, Imports};
use crate::limits::InterruptHandle;
use crate::typed::{TypedFunc, WasmTuple};
use crate::value::{
    ExportInfo, ExternType, FuncType, GlobalType, MemoryType, ModuleInfo, TableType, Val,
};

/// How an engine turns WebAssembly into execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// Compiles to native code just before running.
    Jit,
    /// Compiles to a native artifact ahead of time, loadable without a compiler.
    Aot,
    /// Interprets; generates no native code.
    Interpreter,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Jit => "jit",
            EngineKind::Aot => "aot",
            EngineKind::Interpreter => "interpreter",
        })
    }
}

/// What an engine is and can do, as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EngineInfo {
    /// The engine's name: `wasmtime`, `wasmer` or `wasmi`.
    pub name: &'static str,
    /// The engine crate's exact version.
    pub version: &'static str,
    /// How it executes.
    pub kind: EngineKind,
    /// The code generator in use, for compiling engines.
    pub compiler: Option<&'static str>,
    /// What it can do.
    pub capabilities: Capabilities,
}

impl EngineInfo {
    /// What a backend says of itself.
    pub fn new(
        name: &'static str,
        version: &'static str,
        kind: EngineKind,
        compiler: Option<&'static str>,
        capabilities: Capabilities,
    ) -> Self {
        EngineInfo { name, version, kind, compiler, capabilities }
    }

    /// Refuses limits the engine was not configured to enforce, saying which setting they
    /// need: a deadline must never be a silent no-op, nor an endless loop a hang.
    pub fn check_limits(&self, limits: &crate::Limits) -> Result<()> {
        if limits.fuel.is_some() && !self.capabilities.has(Capability::Fuel) {
            return Err(Error::unsupported(
                self.name,
                "Limits::fuel on an engine built without Config::fuel",
            ));
        }
        if limits.deadline.is_some() && !self.capabilities.has(Capability::Deadline) {
            return Err(Error::unsupported(
                self.name,
                "Limits::deadline on an engine built without Config::interruptible",
            ));
        }
        Ok(())
    }

    /// Fails with [`Error::Unsupported`] unless the engine has `cap`.
    pub fn require(&self, cap: Capability) -> Result<()> {
        if self.capabilities.has(cap) {
            Ok(())
        } else {
            Err(Error::unsupported(self.name, cap.as_str()))
        }
    }
}

/// The engines wasmux knows, whether or not they are compiled into this build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// wasmtime: Cranelift JIT.
    Wasmtime,
    /// wasmer: ahead-of-time artifacts.
    Wasmer,
    /// wasmi: interpreter.
    Wasmi,
}

impl Backend {
    /// Every backend, in order of preference.
    pub const ALL: [Backend; 3] = [Backend::Wasmtime, Backend::Wasmer, Backend::Wasmi];

    /// The backend's name: the one spelling every backend, error, artifact and the CLI use.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Wasmtime => "wasmtime",
            Backend::Wasmer => "wasmer",
            Backend::Wasmi => "wasmi",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        Backend::ALL.into_iter().find(|b| b.name().eq_ignore_ascii_case(name)).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown engine `{name}` (known engines: wasmtime, wasmer, wasmi)"
            ))
        })
    }
}

/// A WebAssembly engine. Create one per configuration and share it: compiled modules and
/// instances belong to the engine that made them. Cheap to clone: clones are one engine,
/// sharing its compiled code, its count of live instances and its interruption machinery.
pub trait Engine: Clone + Send + Sync + fmt::Debug + 'static {
    /// A compiled module: cheap to clone, shareable across threads.
    type Module: Clone + Send + Sync + fmt::Debug + 'static;
    /// A module instance with its own store.
    type Instance: Instance + fmt::Debug;

    /// Builds an engine; options it cannot honour fail with [`Error::Unsupported`].
    fn new(config: &Config) -> Result<Self>
    where
        Self: Sized;

    /// The engine's name, version, kind and capabilities.
    fn info(&self) -> &EngineInfo;

    /// Checks that `wasm` is a valid module without compiling it.
    fn validate(&self, wasm: &[u8]) -> Result<()>;

    /// Compiles a binary module. (The facade also accepts text.)
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module>;

    /// Compiles `wasm` to an artifact that [`load_precompiled`](Self::load_precompiled) accepts.
    /// Engines without [`Capability::Precompile`] return [`Error::Unsupported`].
    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>>;

    /// The compatibility key this engine's artifacts carry: everything beyond
    /// [`info`](Self::info) and the [`Config`] that decides their code, such as the engine's
    /// own build options. Caches key artifacts by it. `None` for engines that cannot precompile.
    fn artifact_compat(&self) -> Option<&str> {
        None
    }

    /// Loads an artifact made by [`precompile`](Self::precompile), without compiling.
    ///
    /// Artifacts made by another engine, version or configuration, and damaged ones, are
    /// refused with [`Error::Artifact`].
    ///
    /// # Safety
    /// The artifact holds native code that will run unchecked: it must come from a trusted
    /// `precompile`. Accidental damage is detected; a deliberately forged artifact is not.
    unsafe fn load_precompiled(&self, artifact: &[u8]) -> Result<Self::Module>;

    /// The module's imports and exports with their types.
    fn module_info<'m>(&self, module: &'m Self::Module) -> &'m ModuleInfo;

    /// Instantiates `module` with the host's functions, limits and state, running its start
    /// function if it has one.
    fn instantiate<T: Any + Send>(
        &self,
        module: &Self::Module,
        env: HostEnv<T>,
    ) -> Result<Self::Instance>;

    /// A store with no instance yet, holding `env`'s limits and state: a place to make
    /// memories, tables and globals, and to instantiate modules that link to them and to each
    /// other ([`instantiate_in`](Self::instantiate_in)). `env`'s imports (WASI, say) are
    /// offered to every module instantiated into it, beneath each instantiation's own.
    fn store<T: Any + Send>(&self, env: HostEnv<T>) -> Result<Self::Instance>;

    /// Instantiates `module` into `store`, linking its imports from `imports` (host functions,
    /// and the functions, memories, tables, globals and tags of that store), and runs its
    /// start function. The new instance becomes the one `store`'s by-name methods (`call`,
    /// `get_func`, `memory`, `run`, …) address. Returns its exports.
    fn instantiate_in(
        &self,
        store: &mut Self::Instance,
        module: &Self::Module,
        imports: &Imports,
    ) -> Result<Exports>;

    /// This engine as a [`DynEngine`], for code that takes an engine chosen at run time.
    fn as_dyn(&self) -> &dyn DynEngine
    where
        Self: Sized,
    {
        AsDyn::from_ref(self)
    }

    /// This engine boxed as a [`DynEngine`], as the facade's `wasmux::engine` hands them out.
    fn into_dyn(self) -> Box<dyn DynEngine>
    where
        Self: Sized,
    {
        Box::new(AsDyn(self))
    }
}

/// An instantiated module, with its store. Not shared between threads while running; its
/// [`InterruptHandle`] can be.
pub trait Instance: Send + 'static {
    /// A resolved exported function, for repeated calls without a name lookup.
    type Func: Clone + Send + Sync + fmt::Debug + 'static;

    /// The exported function `name`.
    fn get_func(&mut self, name: &str) -> Result<Self::Func>;

    /// The instance's exports with their types, in the module's order.
    fn exports(&self) -> &[ExportInfo];

    /// The signature of `func`.
    fn func_type(&self, func: &Self::Func) -> FuncType;

    /// The export `name` of the current instance (the store's latest), as a handle.
    fn get_export(&mut self, name: &str) -> Result<Extern>;

    /// Every export of the current instance, as handles.
    fn instance_exports(&mut self) -> Result<Exports>;

    /// The type of `item` as it is now: a memory's or table's current size is its minimum.
    fn extern_type(&mut self, item: Extern) -> Result<ExternType>;

    /// The function `item`, for calls.
    fn extern_func(&mut self, item: Extern) -> Result<Self::Func>;

    /// A new memory of type `ty` in this store.
    fn new_memory(&mut self, ty: &MemoryType) -> Result<Extern>;

    /// A new table of type `ty` in this store, every element `init`.
    fn new_table(&mut self, ty: &TableType, init: Val) -> Result<Extern>;

    /// A new global of type `ty` in this store, holding `value`.
    fn new_global(&mut self, ty: &GlobalType, value: Val) -> Result<Extern>;

    /// The bytes of memory `memory`.
    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]>;

    /// Grows memory `memory` by `pages` 64 KiB pages; returns its previous size in pages.
    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64>;

    /// The number of elements of `table`.
    fn table_size(&mut self, table: Extern) -> Result<u64>;

    /// Element `index` of `table`.
    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val>;

    /// Sets element `index` of `table`.
    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()>;

    /// Grows `table` by `delta` elements set to `init`; returns its previous size.
    fn table_grow(&mut self, table: Extern, delta: u64, init: Val) -> Result<u64>;

    /// The value of `global`.
    fn global_get(&mut self, global: Extern) -> Result<Val>;

    /// Sets the mutable `global`.
    fn global_set(&mut self, global: Extern, value: Val) -> Result<()>;

    /// Calls `func`; `results` must have one slot per result. Arguments of the wrong number or
    /// type fail with [`Error::InvalidArgument`].
    fn call_func(&mut self, func: &Self::Func, params: &[Val], results: &mut [Val]) -> Result<()>;

    /// The bytes of the exported memory `name`.
    fn memory(&mut self, name: &str) -> Result<&mut [u8]>;

    /// The value of the exported global `name`.
    fn get_global(&mut self, name: &str) -> Result<Val>;

    /// Sets the exported mutable global `name`.
    fn set_global(&mut self, name: &str, value: Val) -> Result<()>;

    /// A handle that stops this instance's running call from any thread.
    fn interrupt_handle(&self) -> InterruptHandle;

    /// Fuel left, if fuel is counted.
    fn fuel(&mut self) -> Option<u64>;

    /// Sets the fuel left; [`Error::Unsupported`] unless the engine was configured with fuel.
    fn set_fuel(&mut self, fuel: u64) -> Result<()>;

    /// The state shared by the host functions: embedder data and a host interface's state (WASI).
    fn host_state(&mut self) -> &mut HostState;

    /// Calls the exported function `name`.
    fn call(&mut self, name: &str, params: &[Val]) -> Result<Vec<Val>> {
        let func = self.get_func(name)?;
        let mut results: Vec<Val> = Instance::func_type(self, &func)
            .results()
            .iter()
            .map(|t| Val::default_for(*t))
            .collect();
        self.call_func(&func, params, &mut results)?;
        Ok(results)
    }

    /// Calls the function `func` of this store.
    fn call_extern(&mut self, func: Extern, params: &[Val]) -> Result<Vec<Val>> {
        let func = self.extern_func(func)?;
        let mut results: Vec<Val> = Instance::func_type(self, &func)
            .results()
            .iter()
            .map(|t| Val::default_for(*t))
            .collect();
        self.call_func(&func, params, &mut results)?;
        Ok(results)
    }

    /// Calls a typed function of this instance. Its signature was checked when it was made,
    /// so an engine may pass the values as raw bits without looking at them again:
    /// [`TypedFunc::call`] calls this only for numbers and vectors ([`WasmTuple::NUMERIC`]).
    /// The default goes through [`Val`]s and [`call_func`](Self::call_func).
    fn call_typed<P: WasmTuple, R: WasmTuple>(
        &mut self,
        func: &TypedFunc<Self, P, R>,
        params: P,
    ) -> Result<R>
    where
        Self: Sized,
    {
        func.call_with_vals(self, params)
    }

    /// The exported function `name` as a typed function, its signature checked once.
    fn typed<P: WasmTuple, R: WasmTuple>(&mut self, name: &str) -> Result<TypedFunc<Self, P, R>>
    where
        Self: Sized,
    {
        let func = self.get_func(name)?;
        TypedFunc::new(name, func, self)
    }

    /// Runs the module as a WASI program, as wasmtime's CLI does: a reactor's constructor
    /// `_initialize` first when exported (see [`initialize`](Self::initialize)), then the
    /// command entry point `_start`, else the default export (the empty name). Returns the exit
    /// status: 0 when it returns, `n` when it calls `proc_exit(n)`. A module with neither entry
    /// point is an [`Error::Export`] naming both.
    fn run(&mut self) -> Result<i32> {
        let has = |name: &str| self.exports().iter().any(|e| e.name == name);
        let entry = match ["_start", ""].into_iter().find(|name| has(name)) {
            Some(entry) => entry,
            None => {
                return Err(Error::Export {
                    name: "_start".into(),
                    message: "no entry point: the module exports neither `_start` nor a \
                              default export (the empty name)"
                        .into(),
                });
            }
        };
        if let Some(status) = self.initialize()? {
            return Ok(status);
        }
        let entry = self.get_func(entry)?;
        exit_status(self.call_func(&entry, &[], &mut []))
    }

    /// Calls a WASI reactor's constructor `_initialize` if the module exports one, as must happen
    /// once before any other export of a reactor is called. Returns the exit status if the
    /// constructor calls `proc_exit`.
    fn initialize(&mut self) -> Result<Option<i32>> {
        if !self.exports().iter().any(|e| e.name == "_initialize") {
            return Ok(None);
        }
        let init = self.get_func("_initialize")?;
        match self.call_func(&init, &[], &mut []) {
            Ok(()) => Ok(None),
            Err(Error::Exit(status)) => Ok(Some(status)),
            Err(error) => Err(error),
        }
    }

    /// Copies `buf.len()` bytes from the exported memory `name` at `offset`.
    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        let memory = self.memory(name)?;
        let range = memory_range(memory.len(), offset, buf.len())?;
        buf.copy_from_slice(&memory[range]);
        Ok(())
    }

    /// Copies `data` into the exported memory `name` at `offset`.
    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<()> {
        let memory = self.memory(name)?;
        let range = memory_range(memory.len(), offset, data.len())?;
        memory[range].copy_from_slice(data);
        Ok(())
    }

    /// This instance boxed as a [`DynInstance`], as [`DynEngine::instantiate`] makes them.
    fn into_dyn(self) -> Box<dyn DynInstance>
    where
        Self: Sized,
    {
        Box::new(AsDyn(self))
    }
}

/// A WASI entry point's outcome as an exit status.
fn exit_status(outcome: Result<()>) -> Result<i32> {
    match outcome {
        Ok(()) => Ok(0),
        Err(Error::Exit(status)) => Ok(status),
        Err(error) => Err(error),
    }
}

fn memory_range(size: usize, offset: u64, len: usize) -> Result<std::ops::Range<usize>> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= size as u64 => Ok(offset as usize..end as usize),
        _ => Err(Error::InvalidArgument(format!(
            "memory access {offset}+{len} is outside memory of {size} bytes"
        ))),
    }
}

/// Checks call arguments against a signature before a backend calls the engine, so the error
/// for a bad call reads the same on every engine.
pub fn check_call(ty: &FuncType, params: &[Val], results: &[Val]) -> Result<()> {
    let types_match = params.len() == ty.params().len()
        && params.iter().zip(ty.params()).all(|(v, t)| t.accepts(v));
    if !types_match {
        let given: Vec<String> = params.iter().map(|v| v.ty().to_string()).collect();
        return Err(Error::InvalidArgument(format!(
            "function of type {ty} called with ({})",
            given.join(" ")
        )));
    }
    if results.len() != ty.results().len() {
        return Err(Error::InvalidArgument(format!(
            "function of type {ty} needs {} result slots, got {}",
            ty.results().len(),
            results.len()
        )));
    }
    Ok(())
}

/// A compiled module of some engine, for run-time engine choice.
#[derive(Clone)]
pub struct DynModule {
    engine: &'static str,
    module: Arc<dyn Any + Send + Sync>,
}

impl DynModule {
    /// The name of the engine that compiled it.
    pub fn engine(&self) -> &'static str {
        self.engine
    }

    fn downcast<M: Any>(&self, engine: &'static str) -> Result<&M> {
        self.module.downcast_ref().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "module compiled by {} cannot be used with {engine}",
                self.engine
            ))
        })
    }
}

impl fmt::Debug for DynModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynModule").field("engine", &self.engine).finish_non_exhaustive()
    }
}

/// The object-safe form of [`Engine`], for choosing an engine at run time: any engine becomes
/// one through [`Engine::into_dyn`] or [`Engine::as_dyn`].
pub trait DynEngine: Send + Sync {
    /// See [`Engine::info`].
    fn info(&self) -> &EngineInfo;
    /// See [`Engine::validate`].
    fn validate(&self, wasm: &[u8]) -> Result<()>;
    /// See [`Engine::compile`].
    fn compile(&self, wasm: &[u8]) -> Result<DynModule>;
    /// See [`Engine::precompile`].
    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>>;
    /// See [`Engine::artifact_compat`].
    fn artifact_compat(&self) -> Option<&str>;
    /// See [`Engine::load_precompiled`].
    ///
    /// # Safety
    /// As for [`Engine::load_precompiled`].
    unsafe fn load_precompiled(&self, artifact: &[u8]) -> Result<DynModule>;
    /// See [`Engine::module_info`].
    fn module_info(&self, module: &DynModule) -> Result<ModuleInfo>;
    /// See [`Engine::instantiate`]. A typed environment is passed as [`HostEnv::erase`] makes
    /// it.
    fn instantiate(&self, module: &DynModule, env: HostEnv) -> Result<Box<dyn DynInstance>>;
    /// See [`Engine::store`] and [`HostEnv::erase`].
    fn store(&self, env: HostEnv) -> Result<Box<dyn DynInstance>>;
    /// See [`Engine::instantiate_in`]: `store` must have been made by this engine.
    fn instantiate_in(
        &self,
        store: &mut dyn DynInstance,
        module: &DynModule,
        imports: &Imports,
    ) -> Result<Exports>;
}

/// An [`Engine`] or [`Instance`] seen through its object-safe form. A wrapper, not a blanket
/// impl of [`DynEngine`] for every engine, so that a concrete engine has one `compile` (and an
/// instance one `call`): with both traits in scope, as `use wasmux::*` brings them, two would
/// be ambiguous (E0034).
#[repr(transparent)]
struct AsDyn<T>(T);

impl<T> AsDyn<T> {
    fn from_ref(inner: &T) -> &AsDyn<T> {
        // SAFETY: `AsDyn<T>` is `repr(transparent)` over `T`: same layout, same validity.
        unsafe { &*(inner as *const T as *const AsDyn<T>) }
    }
}

impl<E: Engine> DynEngine for AsDyn<E> {
    fn info(&self) -> &EngineInfo {
        Engine::info(&self.0)
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        Engine::validate(&self.0, wasm)
    }

    fn compile(&self, wasm: &[u8]) -> Result<DynModule> {
        let module = Engine::compile(&self.0, wasm)?;
        Ok(DynModule { engine: Engine::info(&self.0).name, module: Arc::new(module) })
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        Engine::precompile(&self.0, wasm)
    }

    fn artifact_compat(&self) -> Option<&str> {
        Engine::artifact_compat(&self.0)
    }

    unsafe fn load_precompiled(&self, artifact: &[u8]) -> Result<DynModule> {
        // SAFETY: the caller upholds `Engine::load_precompiled`'s contract.
        let module = unsafe { Engine::load_precompiled(&self.0, artifact)? };
        Ok(DynModule { engine: Engine::info(&self.0).name, module: Arc::new(module) })
    }

    fn module_info(&self, module: &DynModule) -> Result<ModuleInfo> {
        let module = module.downcast::<E::Module>(Engine::info(&self.0).name)?;
        Ok(Engine::module_info(&self.0, module).clone())
    }

    fn instantiate(&self, module: &DynModule, env: HostEnv) -> Result<Box<dyn DynInstance>> {
        let module = module.downcast::<E::Module>(Engine::info(&self.0).name)?;
        Ok(Box::new(AsDyn(Engine::instantiate(&self.0, module, env)?)))
    }

    fn store(&self, env: HostEnv) -> Result<Box<dyn DynInstance>> {
        Ok(Box::new(AsDyn(Engine::store(&self.0, env)?)))
    }

    fn instantiate_in(
        &self,
        store: &mut dyn DynInstance,
        module: &DynModule,
        imports: &Imports,
    ) -> Result<Exports> {
        let name = Engine::info(&self.0).name;
        let module = module.downcast::<E::Module>(name)?;
        let store = store.as_any_mut().downcast_mut::<E::Instance>().ok_or_else(|| {
            Error::InvalidArgument(format!("a store of another engine cannot be used with {name}"))
        })?;
        Engine::instantiate_in(&self.0, store, module, imports)
    }
}

impl fmt::Debug for dyn DynEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynEngine").field("info", self.info()).finish()
    }
}

/// The object-safe form of [`Instance`], as [`DynEngine`] makes them; any instance becomes one
/// through [`Instance::into_dyn`].
pub trait DynInstance: Send {
    /// See [`Instance::call`].
    fn call(&mut self, name: &str, params: &[Val]) -> Result<Vec<Val>>;
    /// The signature of the exported function `name` (where [`Instance::func_type`] takes the
    /// function itself).
    fn export_func_type(&mut self, name: &str) -> Result<FuncType>;
    /// See [`Instance::exports`].
    fn exports(&self) -> &[ExportInfo];
    /// See [`Instance::run`].
    fn run(&mut self) -> Result<i32>;
    /// See [`Instance::initialize`].
    fn initialize(&mut self) -> Result<Option<i32>>;
    /// See [`Instance::memory`].
    fn memory(&mut self, name: &str) -> Result<&mut [u8]>;
    /// See [`Instance::read_memory`].
    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// See [`Instance::write_memory`].
    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<()>;
    /// See [`Instance::get_global`].
    fn get_global(&mut self, name: &str) -> Result<Val>;
    /// See [`Instance::set_global`].
    fn set_global(&mut self, name: &str, value: Val) -> Result<()>;
    /// See [`Instance::interrupt_handle`].
    fn interrupt_handle(&self) -> InterruptHandle;
    /// See [`Instance::fuel`].
    fn fuel(&mut self) -> Option<u64>;
    /// See [`Instance::set_fuel`].
    fn set_fuel(&mut self, fuel: u64) -> Result<()>;
    /// See [`Instance::host_state`].
    fn host_state(&mut self) -> &mut HostState;
    /// See [`Instance::get_export`].
    fn get_export(&mut self, name: &str) -> Result<Extern>;
    /// See [`Instance::instance_exports`].
    fn instance_exports(&mut self) -> Result<Exports>;
    /// See [`Instance::extern_type`].
    fn extern_type(&mut self, item: Extern) -> Result<ExternType>;
    /// See [`Instance::call_extern`].
    fn call_extern(&mut self, func: Extern, params: &[Val]) -> Result<Vec<Val>>;
    /// See [`Instance::new_memory`].
    fn new_memory(&mut self, ty: &MemoryType) -> Result<Extern>;
    /// See [`Instance::new_table`].
    fn new_table(&mut self, ty: &TableType, init: Val) -> Result<Extern>;
    /// See [`Instance::new_global`].
    fn new_global(&mut self, ty: &GlobalType, value: Val) -> Result<Extern>;
    /// See [`Instance::memory_data`].
    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]>;
    /// See [`Instance::memory_grow`].
    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64>;
    /// See [`Instance::table_size`].
    fn table_size(&mut self, table: Extern) -> Result<u64>;
    /// See [`Instance::table_get`].
    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val>;
    /// See [`Instance::table_set`].
    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()>;
    /// See [`Instance::table_grow`].
    fn table_grow(&mut self, table: Extern, delta: u64, init: Val) -> Result<u64>;
    /// See [`Instance::global_get`].
    fn global_get(&mut self, global: Extern) -> Result<Val>;
    /// See [`Instance::global_set`].
    fn global_set(&mut self, global: Extern, value: Val) -> Result<()>;
    /// The concrete instance, for [`DynEngine::instantiate_in`].
    #[doc(hidden)]
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<I: Instance> DynInstance for AsDyn<I> {
    fn call(&mut self, name: &str, params: &[Val]) -> Result<Vec<Val>> {
        Instance::call(&mut self.0, name, params)
    }

    fn export_func_type(&mut self, name: &str) -> Result<FuncType> {
        let func = self.0.get_func(name)?;
        Ok(Instance::func_type(&self.0, &func))
    }

    fn exports(&self) -> &[ExportInfo] {
        Instance::exports(&self.0)
    }

    fn run(&mut self) -> Result<i32> {
        Instance::run(&mut self.0)
    }

    fn initialize(&mut self) -> Result<Option<i32>> {
        Instance::initialize(&mut self.0)
    }

    fn memory(&mut self, name: &str) -> Result<&mut [u8]> {
        Instance::memory(&mut self.0, name)
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        Instance::read_memory(&mut self.0, name, offset, buf)
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<()> {
        Instance::write_memory(&mut self.0, name, offset, data)
    }

    fn get_global(&mut self, name: &str) -> Result<Val> {
        Instance::get_global(&mut self.0, name)
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        Instance::set_global(&mut self.0, name, value)
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        Instance::interrupt_handle(&self.0)
    }

    fn fuel(&mut self) -> Option<u64> {
        Instance::fuel(&mut self.0)
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        Instance::set_fuel(&mut self.0, fuel)
    }

    fn host_state(&mut self) -> &mut HostState {
        Instance::host_state(&mut self.0)
    }

    fn get_export(&mut self, name: &str) -> Result<Extern> {
        Instance::get_export(&mut self.0, name)
    }

    fn instance_exports(&mut self) -> Result<Exports> {
        Instance::instance_exports(&mut self.0)
    }

    fn extern_type(&mut self, item: Extern) -> Result<ExternType> {
        Instance::extern_type(&mut self.0, item)
    }

    fn call_extern(&mut self, func: Extern, params: &[Val]) -> Result<Vec<Val>> {
        Instance::call_extern(&mut self.0, func, params)
    }

    fn new_memory(&mut self, ty: &MemoryType) -> Result<Extern> {
        Instance::new_memory(&mut self.0, ty)
    }

    fn new_table(&mut self, ty: &TableType, init: Val) -> Result<Extern> {
        Instance::new_table(&mut self.0, ty, init)
    }

    fn new_global(&mut self, ty: &GlobalType, value: Val) -> Result<Extern> {
        Instance::new_global(&mut self.0, ty, value)
    }

    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]> {
        Instance::memory_data(&mut self.0, memory)
    }

    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64> {
        Instance::memory_grow(&mut self.0, memory, pages)
    }

    fn table_size(&mut self, table: Extern) -> Result<u64> {
        Instance::table_size(&mut self.0, table)
    }

    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val> {
        Instance::table_get(&mut self.0, table, index)
    }

    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()> {
        Instance::table_set(&mut self.0, table, index, value)
    }

    fn table_grow(&mut self, table: Extern, delta: u64, init: Val) -> Result<u64> {
        Instance::table_grow(&mut self.0, table, delta, init)
    }

    fn global_get(&mut self, global: Extern) -> Result<Val> {
        Instance::global_get(&mut self.0, global)
    }

    fn global_set(&mut self, global: Extern, value: Val) -> Result<()> {
        Instance::global_set(&mut self.0, global, value)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        &mut self.0
    }
}

impl fmt::Debug for dyn DynInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynInstance").finish_non_exhaustive()
    }
}
