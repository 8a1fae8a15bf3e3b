//! A store with its instances, and calls into them.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmer::{Function, FunctionEnv, Store, Value};
use wasmux_core::backend::{InstanceSlot, Resolved, StopCondition, check_call};
use wasmux_core::{
    Error, ExportInfo, Exports, Extern, ExternType, FuncType, GlobalType, HostFunc, HostState,
    Imports, Instance, InterruptHandle, MemoryType, Result, TableType, TypedFunc, Val, WasmTuple,
};

use crate::ENGINE;
use crate::externs::{self, ExternTable, current_type};
use crate::fuel::{Fuel, Meter};
use crate::host::{Env, bind, guest_memory};
use crate::interrupt::{Target, Watchdog};
use crate::module::{START_EXPORT, WasmerModule};
use crate::traps::{TrapContext, from_instantiation_error, from_runtime_error};
use crate::tunables::LimitTunables;
use crate::typed_call::{self, NativeCache};
use crate::values::{from_wasmer, from_wasmer_func_type, refuse_typed_refs, to_wasmer};

/// A function of a [`WasmerInstance`]'s store, resolved once for repeated calls.
pub struct WasmerFunc {
    func: Function,
    ty: Arc<FuncType>,
    /// wasmer's typed handle, for typed calls (see [`typed_call`](crate::typed_call)).
    native: NativeCache,
}

impl Clone for WasmerFunc {
    /// A clone starts with an empty native cache: the typed call that uses it may have another
    /// Rust signature for the same WebAssembly type (`i32` or `(i32,)`).
    fn clone(&self) -> Self {
        WasmerFunc {
            func: self.func.clone(),
            ty: Arc::clone(&self.ty),
            native: NativeCache::default(),
        }
    }
}

impl fmt::Debug for WasmerFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WasmerFunc({})", self.ty)
    }
}

/// A wasmer store with the instances of [`WasmerModule`]s made in it, the latest of which is
/// the current one (the one by-name methods address), and the memories, tables and globals
/// the host made in it.
pub struct WasmerInstance {
    /// The signature registry of the store's engine, when it is the headless engine's.
    registry: Option<u64>,
    /// The current instance: the latest whose instantiation succeeded.
    current: Option<usize>,
    env: FunctionEnv<Env>,
    fuel: Option<Fuel>,
    stop: StopCondition,
    deadline: Option<Duration>,
    target: Option<Arc<Target>>,
    watchdog: Arc<Watchdog>,
    /// Scratch space for call arguments.
    args: Vec<Value>,
    externs: ExternTable,
    /// Offered to every module instantiated into the store, beneath its own imports.
    imports: Imports,
    tunables: Arc<LimitTunables>,
    // Drop order: the store (whose VM instances run the modules' code) before the modules,
    // which own that code.
    store: Store,
    /// Every instance made in the store, those whose start function trapped included: their
    /// functions may already sit in a shared table.
    instances: Vec<Member>,
    /// Every module instantiated into the store, once each, those whose instantiation failed
    /// included: wasmer keeps a partly initialized instance, whose functions may already sit in
    /// a shared table.
    modules: Vec<WasmerModule>,
    _slot: InstanceSlot,
}

/// One instance of a store.
struct Member {
    /// Shared with the store's `Env`, where its host functions look up its exports.
    instance: Arc<wasmer::Instance>,
    module: WasmerModule,
    /// Its exports as handles, made on first request so that instantiating pays nothing for
    /// them, and once so that the store's extern table does not grow with each request.
    handles: Option<Exports>,
}

// SAFETY: wasmer 7's `Store` is not `Send` (wasmer issue #7001: it was up to 6.1), because its
// `on_called` hook lost its `Send` bound, a host function's data is kept as `Box<dyn Any>`, and
// VM objects hold raw pointers. None of these ties a store to a thread here:
// - `on_called` is only set by wasmer's asyncify/async machinery, which wasmux never uses;
// - the only host functions wasmux puts in a store are `Function::new_with_env` closures, which
//   wasmer requires to be `Send + Sync`, over an environment (`Env`: `HostState` is `Send`,
//   `Memory` is a store index);
// - the raw pointers point into allocations owned by the store and the engines it and the
//   modules hold, which move with it; the instances and externs kept beside the store are
//   store indices;
// - wasmer's thread-local state (current store, interrupt registry, guest stack) is installed
//   when a call enters the store and removed when it returns, so nothing of it outlives a call,
//   and a call needs `&mut self`, so it cannot run while the instance is being sent.
// The `Instance` trait requires `Send`; it does not require `Sync`, and none is claimed.
unsafe impl Send for WasmerInstance {}

/// Everything [`WasmerInstance::new`] needs, built by the engine.
pub(crate) struct Parts {
    pub store: Store,
    pub imports: Imports,
    pub state: HostState,
    pub tunables: Arc<LimitTunables>,
    pub slot: InstanceSlot,
    pub fuel: Option<Fuel>,
    pub stop: StopCondition,
    pub deadline: Option<Duration>,
    pub target: Option<Arc<Target>>,
    pub watchdog: Arc<Watchdog>,
    pub registry: Option<u64>,
}

impl WasmerInstance {
    /// A store with no instance yet.
    pub(crate) fn new(parts: Parts) -> Self {
        let Parts {
            mut store,
            imports,
            state,
            tunables,
            slot,
            fuel,
            stop,
            deadline,
            target,
            watchdog,
            registry,
        } = parts;
        let guarded = fuel.is_some() || target.is_some();
        let env = FunctionEnv::new(&mut store, Env::new(state, guarded, Arc::clone(&tunables)));
        WasmerInstance {
            current: None,
            env,
            fuel,
            stop,
            deadline,
            target,
            watchdog,
            args: Vec::new(),
            externs: ExternTable::new(),
            imports,
            tunables,
            store,
            instances: Vec::new(),
            modules: Vec::new(),
            registry,
            _slot: slot,
        }
    }

    /// The store's own imports resolved for `module`, host functions only: the fast path of
    /// `Engine::instantiate`.
    pub(crate) fn resolve_host(&self, module: &WasmerModule) -> Result<Vec<HostFunc>> {
        self.imports.resolve(module.info(), self.env.as_ref(&self.store).state.data_type())
    }

    /// `module`'s imports resolved from `imports` over the store's own.
    pub(crate) fn resolve(
        &self,
        module: &WasmerModule,
        imports: &Imports,
    ) -> Result<Vec<Resolved>> {
        let data = self.env.as_ref(&self.store).state.data_type();
        imports.resolve_all_over(&self.imports, module.info(), data, |item| {
            Ok(current_type(self.externs.get(item)?, &self.store))
        })
    }

    /// Makes `module`'s function types known to the store's engine, of which wasmer asks the
    /// type of each function reference read from a table or returned by a call: each module has
    /// an engine of its own, where alone its types are registered at compilation.
    /// Once per module for stores on the headless engine, whose clones share one registry.
    pub(crate) fn adopt_signatures(&self, module: &WasmerModule) {
        if self.registry.is_some_and(|registry| module.adopted_by(registry)) {
            return;
        }
        let engine = self.store.engine().as_sys();
        for ty in module.wasmer().info().signatures.values() {
            engine.register_signature(ty);
        }
        if let Some(registry) = self.registry {
            module.mark_adopted(registry);
        }
    }

    /// Instantiates `module` into the store with its resolved imports, lends its memory to its
    /// host functions, meters it, and runs its start function (hoisted out of wasmer's
    /// instantiation for exactly this); it then becomes the current instance. Returns its
    /// number in the store.
    pub(crate) fn instantiate(
        &mut self,
        module: &WasmerModule,
        resolved: impl IntoIterator<Item = Resolved>,
    ) -> Result<usize> {
        let number = self.env.as_mut(&mut self.store).add_instance();
        let imports = resolved
            .into_iter()
            .map(|item| match item {
                Resolved::Host(func) => {
                    let ty = func.ty();
                    refuse_typed_refs(ty.params().iter().chain(ty.results()))?;
                    Ok(wasmer::Extern::Function(bind(&mut self.store, &self.env, number, func)))
                }
                Resolved::Extern(item) => self.externs.get(item).cloned(),
            })
            .collect::<Result<Vec<_>>>()?;
        if !self.modules.iter().any(|kept| kept.same(module)) {
            self.modules.push(module.clone());
        }
        // No guest code runs here: the start function is hoisted (see `compile.rs`).
        let instantiated =
            wasmer::Instance::new_by_index(&mut self.store, module.wasmer(), &imports);
        let instance = instantiated.map_err(|error| {
            let ctx = TrapContext { out_of_fuel: false, stop: None };
            from_instantiation_error(error, self.tunables.take_refusal(), ctx)
        })?;
        let instance = Arc::new(instance);
        let memory = instance.exports.get_memory("memory").ok().cloned();
        let env = self.env.as_mut(&mut self.store);
        env.memories[number] = memory;
        env.instances[number] = Some(Arc::clone(&instance));
        if let Some(fuel) = &mut self.fuel {
            fuel.add(&mut self.store, Meter::of(&instance)?)?;
        }
        let start = module
            .has_start()
            .then(|| instance.exports.get_function(START_EXPORT).cloned())
            .transpose()
            .map_err(|e| Error::Instantiate { engine: ENGINE, message: e.to_string() })?;
        let index = self.instances.len();
        self.instances.push(Member { instance, module: module.clone(), handles: None });
        if let Some(start) = start {
            self.invoke(&start, &[])?;
        }
        self.current = Some(index);
        Ok(index)
    }

    /// The exports of instance `index` as handles.
    pub(crate) fn handles(&mut self, index: usize) -> &Exports {
        let externs = &mut self.externs;
        let member = &mut self.instances[index];
        member.handles.get_or_insert_with(|| {
            Exports::new(Arc::clone(member.module.shared_info()), |info| {
                let item = member.instance.exports.get_extern(&info.name)?.clone();
                Some(externs.add(item))
            })
        })
    }

    fn current(&self) -> Option<&Member> {
        self.current.map(|index| &self.instances[index])
    }

    /// The current instance's export `name`.
    fn export(&self, name: &str) -> Option<&wasmer::Extern> {
        self.current()?.instance.exports.get_extern(name)
    }

    /// `func` for calls.
    fn wasmer_func(&self, func: Function) -> WasmerFunc {
        let ty = from_wasmer_func_type(&func.ty(&self.store));
        WasmerFunc { func, ty: Arc::new(ty), native: NativeCache::default() }
    }

    /// Calls `func` with wasmer values, under the instance's deadline and interrupt handle.
    fn invoke(&mut self, func: &Function, params: &[Value]) -> Result<Box<[Value]>> {
        self.guarded(|store| func.call(store, params))
    }

    /// Runs `call` into the store under the instance's deadline and interrupt handle, and maps
    /// its error to a trap.
    #[inline(always)]
    fn guarded<T>(
        &mut self,
        call: impl FnOnce(&mut Store) -> std::result::Result<T, wasmer::RuntimeError>,
    ) -> Result<T> {
        self.stop.start_call();
        if let Some(trap) = self.stop.check() {
            return Err(Error::Trap(trap));
        }
        let outcome = match &self.target {
            Some(target) => {
                let deadline = self.deadline.map(|d| Instant::now() + d);
                watched(target, &self.watchdog, deadline, &self.stop, &mut self.store, call)?
            }
            None => call(&mut self.store),
        };
        if let Some(fuel) = &mut self.fuel
            && fuel.is_shared()
        {
            fuel.settle(&mut self.store);
        }
        outcome.map_err(|error| self.trap(error))
    }

    /// The wasmux error for a call's `error`, told apart by the instance's state.
    #[cold]
    #[inline(never)]
    fn trap(&mut self, error: wasmer::RuntimeError) -> Error {
        let ctx = TrapContext {
            out_of_fuel: self.fuel.as_ref().is_some_and(|f| f.is_exhausted(&mut self.store)),
            stop: self.stop.check(),
        };
        from_runtime_error(error, ctx)
    }

    /// Refuses a function of another store, which wasmer would not accept either.
    #[inline(always)]
    fn check_store(&self, func: &WasmerFunc) -> Result<()> {
        if func.func.is_from_store(&self.store) { Ok(()) } else { Err(Self::foreign_func()) }
    }

    #[cold]
    fn foreign_func() -> Error {
        Error::InvalidArgument("function of another store".to_string())
    }

    fn export_error(name: &str, message: impl Into<String>) -> Error {
        Error::Export { name: name.to_string(), message: message.into() }
    }

    fn extern_kind(&self, name: &str) -> &'static str {
        match self.export(name) {
            Some(wasmer::Extern::Function(_)) => "a function",
            Some(wasmer::Extern::Memory(_)) => "a memory",
            Some(wasmer::Extern::Global(_)) => "a global",
            Some(wasmer::Extern::Table(_)) => "a table",
            Some(wasmer::Extern::Tag(_)) => "a tag",
            None => "missing",
        }
    }

    fn lookup_error(&self, name: &str, wanted: &str) -> Error {
        match self.extern_kind(name) {
            "missing" => Self::export_error(name, "no such export"),
            kind => Self::export_error(name, format!("is {kind}, not {wanted}")),
        }
    }
}

/// Runs `call` under the watchdog, which stops it at `deadline` or when the interrupt handle
/// fires. Out of line: it keeps the common, unwatched call path small.
#[inline(never)]
fn watched<T>(
    target: &Arc<Target>,
    watchdog: &Watchdog,
    deadline: Option<Instant>,
    stop: &StopCondition,
    store: &mut Store,
    call: impl FnOnce(&mut Store) -> std::result::Result<T, wasmer::RuntimeError>,
) -> Result<std::result::Result<T, wasmer::RuntimeError>> {
    let _call = target.begin(watchdog, deadline);
    // The handle may have fired between the caller's check and `begin`, when no call was
    // running for the watchdog to stop.
    if let Some(trap) = stop.check() {
        return Err(Error::Trap(trap));
    }
    Ok(call(store))
}

impl Instance for WasmerInstance {
    type Func = WasmerFunc;

    fn get_func(&mut self, name: &str) -> Result<WasmerFunc> {
        if name == START_EXPORT {
            return Err(Self::export_error(name, "no such export"));
        }
        let func = match self.export(name) {
            Some(wasmer::Extern::Function(func)) => func.clone(),
            _ => return Err(self.lookup_error(name, "a function")),
        };
        Ok(self.wasmer_func(func))
    }

    fn exports(&self) -> &[ExportInfo] {
        self.current().map_or(&[], |member| &member.module.info().exports)
    }

    fn func_type(&self, func: &WasmerFunc) -> FuncType {
        FuncType::clone(&func.ty)
    }

    fn get_export(&mut self, name: &str) -> Result<Extern> {
        let Some(index) = self.current else {
            return Err(Self::export_error(name, "no such export"));
        };
        self.handles(index).get(name).ok_or_else(|| Self::export_error(name, "no such export"))
    }

    fn instance_exports(&mut self) -> Result<Exports> {
        match self.current {
            Some(index) => Ok(self.handles(index).clone()),
            None => Ok(Exports::default()),
        }
    }

    fn extern_type(&mut self, item: Extern) -> Result<ExternType> {
        Ok(current_type(self.externs.get(item)?, &self.store))
    }

    fn extern_func(&mut self, item: Extern) -> Result<WasmerFunc> {
        let func = self.externs.func(item)?.clone();
        Ok(self.wasmer_func(func))
    }

    fn new_memory(&mut self, ty: &MemoryType) -> Result<Extern> {
        let memory = externs::new_memory(&mut self.store, ty, &self.tunables)?;
        Ok(self.externs.add(wasmer::Extern::Memory(memory)))
    }

    fn new_table(&mut self, ty: &TableType, init: Val) -> Result<Extern> {
        let table = externs::new_table(&mut self.store, ty, init, &self.tunables)?;
        Ok(self.externs.add(wasmer::Extern::Table(table)))
    }

    fn new_global(&mut self, ty: &GlobalType, value: Val) -> Result<Extern> {
        let global = externs::new_global(&mut self.store, ty, value)?;
        Ok(self.externs.add(wasmer::Extern::Global(global)))
    }

    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]> {
        let memory = self.externs.memory(memory)?.clone();
        Ok(guest_memory(&memory, &mut self.store))
    }

    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64> {
        let memory = self.externs.memory(memory)?.clone();
        externs::memory_grow(&memory, &mut self.store, pages, &self.tunables)
    }

    fn table_size(&mut self, table: Extern) -> Result<u64> {
        Ok(u64::from(self.externs.table(table)?.size(&self.store)))
    }

    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val> {
        let table = self.externs.table(table)?.clone();
        externs::table_get(&table, &mut self.store, index)
    }

    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()> {
        let table = self.externs.table(table)?.clone();
        externs::table_set(&table, &mut self.store, index, value)
    }

    fn table_grow(&mut self, table: Extern, delta: u64, init: Val) -> Result<u64> {
        let table = self.externs.table(table)?.clone();
        externs::table_grow(&table, &mut self.store, delta, init, &self.tunables)
    }

    fn global_get(&mut self, global: Extern) -> Result<Val> {
        let global = self.externs.global(global)?.clone();
        Ok(externs::global_get(&global, &mut self.store))
    }

    fn global_set(&mut self, global: Extern, value: Val) -> Result<()> {
        let global = self.externs.global(global)?.clone();
        externs::global_set(&global, &mut self.store, value, "the global")
    }

    // Inlined into the caller: with its cold paths out of line the call path is small, and a
    // frame of its own cost ~2 % of a call.
    #[inline(always)]
    fn call_typed<P: WasmTuple, R: WasmTuple>(
        &mut self,
        typed: &TypedFunc<Self, P, R>,
        params: P,
    ) -> Result<R> {
        let func = typed.func();
        self.check_store(func)?;
        let params = params.into_bits();
        self.guarded(|store| {
            typed_call::call::<P, R>(&func.native, &func.func, store, params.as_ref())
        })
    }

    fn call_func(&mut self, func: &WasmerFunc, params: &[Val], results: &mut [Val]) -> Result<()> {
        let _span = wasmux_core::backend::call_span(ENGINE);
        check_call(&func.ty, params, results)?;
        self.check_store(func)?;
        let mut args = std::mem::take(&mut self.args);
        args.clear();
        let converted = params.iter().try_for_each(|value| {
            args.push(to_wasmer(value, &mut self.store)?);
            Ok(())
        });
        let outcome = converted.and_then(|()| self.invoke(&func.func, &args)).map(|values| {
            for (slot, value) in results.iter_mut().zip(values.iter()) {
                *slot = from_wasmer(value, &self.store);
            }
        });
        args.clear();
        self.args = args;
        outcome
    }

    fn memory(&mut self, name: &str) -> Result<&mut [u8]> {
        let memory = match self.export(name) {
            Some(wasmer::Extern::Memory(memory)) => memory.clone(),
            _ => return Err(self.lookup_error(name, "a memory")),
        };
        Ok(guest_memory(&memory, &mut self.store))
    }

    fn get_global(&mut self, name: &str) -> Result<Val> {
        let global = match self.export(name) {
            Some(wasmer::Extern::Global(global)) => global.clone(),
            _ => return Err(self.lookup_error(name, "a global")),
        };
        let value = global.get(&mut self.store);
        if matches!(value, Value::ExceptionRef(_)) {
            return Err(Self::export_error(name, "holds an exnref, which wasmux does not model"));
        }
        Ok(from_wasmer(&value, &self.store))
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        let global = match self.export(name) {
            Some(wasmer::Extern::Global(global)) => global.clone(),
            _ => return Err(self.lookup_error(name, "a global")),
        };
        if !global.ty(&self.store).mutability.is_mutable() {
            return Err(Self::export_error(name, "is immutable"));
        }
        externs::global_set(&global, &mut self.store, value, &format!("global `{name}`"))
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        self.stop.interrupt_handle().clone()
    }

    fn fuel(&mut self) -> Option<u64> {
        let fuel = self.fuel.as_ref()?;
        Some(fuel.get(&mut self.store))
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        match &mut self.fuel {
            Some(f) => f.set(&mut self.store, fuel),
            None => {
                Err(Error::unsupported(ENGINE, "fuel (the engine was built without Config::fuel)"))
            }
        }
    }

    fn host_state(&mut self) -> &mut HostState {
        &mut self.env.as_mut(&mut self.store).state
    }
}

impl fmt::Debug for WasmerInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmerInstance")
            .field("instances", &self.instances.len())
            .field("current", &self.current().map(|member| &member.module))
            .field("fuel", &self.fuel.is_some())
            .finish_non_exhaustive()
    }
}
