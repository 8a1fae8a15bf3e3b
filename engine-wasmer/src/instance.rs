//! An instance with its own store, and calls into it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmer::{Function, FunctionEnv, Store, Value};
use wasmux_core::{
    Error, ExportInfo, FuncType, HostState, Instance, InstanceSlot, InterruptHandle, Result,
    StopCondition, TypedFunc, Val, WasmTuple, check_call,
};

use crate::ENGINE;
use crate::fuel::Fuel;
use crate::host::{Env, guest_memory};
use crate::interrupt::{Target, Watchdog};
use crate::module::{START_EXPORT, WasmerModule};
use crate::traps::{TrapContext, from_runtime_error};
use crate::typed_call::{self, NativeCache};
use crate::values::{from_wasmer, from_wasmer_func_type, to_wasmer};

/// An exported function of a [`WasmerInstance`], resolved once for repeated calls.
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

/// An instance of a [`WasmerModule`], alone in its wasmer store.
pub struct WasmerInstance {
    // Drop order: the instance (and the module code it references) before the store and the
    // engine clone the store holds.
    instance: wasmer::Instance,
    env: FunctionEnv<Env>,
    fuel: Option<Fuel>,
    stop: StopCondition,
    deadline: Option<Duration>,
    target: Option<Arc<Target>>,
    watchdog: Arc<Watchdog>,
    /// Scratch space for call arguments.
    args: Vec<Value>,
    store: Store,
    module: WasmerModule,
    _slot: InstanceSlot,
}

// SAFETY: wasmer 7's `Store` is not `Send` (wasmer issue #7001: it was up to 6.1), because its
// `on_called` hook lost its `Send` bound, a host function's data is kept as `Box<dyn Any>`, and
// VM objects hold raw pointers. None of these ties a store to a thread here:
// - `on_called` is only set by wasmer's asyncify/async machinery, which wasmux never uses;
// - the only host functions wasmux puts in a store are `Function::new_with_env` closures, which
//   wasmer requires to be `Send + Sync`, over an environment (`Env`: `HostState` is `Send`,
//   `Memory` is a store index);
// - the raw pointers point into allocations owned by the store and the engine it holds, which
//   move with it;
// - wasmer's thread-local state (current store, interrupt registry, guest stack) is installed
//   when a call enters the store and removed when it returns, so nothing of it outlives a call,
//   and a call needs `&mut self`, so it cannot run while the instance is being sent.
// The `Instance` trait requires `Send`; it does not require `Sync`, and none is claimed.
unsafe impl Send for WasmerInstance {}

/// Everything [`WasmerInstance::new`] needs, built by the engine.
pub(crate) struct Parts {
    pub instance: wasmer::Instance,
    pub env: FunctionEnv<Env>,
    pub store: Store,
    pub module: WasmerModule,
    pub slot: InstanceSlot,
    pub fuel: Option<(Fuel, u64)>,
    pub stop: StopCondition,
    pub deadline: Option<Duration>,
    pub target: Option<Arc<Target>>,
    pub watchdog: Arc<Watchdog>,
}

impl WasmerInstance {
    /// Finishes instantiation: lends the memory to host functions, gives the fuel, and runs
    /// the start function (hoisted out of wasmer's instantiation for exactly this).
    pub(crate) fn new(parts: Parts) -> Result<Self> {
        let Parts {
            instance,
            env,
            mut store,
            module,
            slot,
            fuel,
            stop,
            deadline,
            target,
            watchdog,
        } = parts;
        let memory = instance.exports.get_memory("memory").ok().cloned();
        env.as_mut(&mut store).memory = memory;
        let fuel = match fuel {
            Some((fuel, amount)) => {
                fuel.set(&mut store, amount)?;
                Some(fuel)
            }
            None => None,
        };
        let mut this = WasmerInstance {
            instance,
            env,
            fuel,
            stop,
            deadline,
            target,
            watchdog,
            args: Vec::new(),
            store,
            module: module.clone(),
            _slot: slot,
        };
        if module.has_start() {
            let start = this
                .instance
                .exports
                .get_function(START_EXPORT)
                .cloned()
                .map_err(|e| Error::Instantiate { engine: ENGINE, message: e.to_string() })?;
            this.invoke(&start, &[])?;
        }
        Ok(this)
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
        Error::InvalidArgument("function of another instance".to_string())
    }

    fn export_error(name: &str, message: impl Into<String>) -> Error {
        Error::Export { name: name.to_string(), message: message.into() }
    }

    fn extern_kind(&self, name: &str) -> &'static str {
        match self.instance.exports.get_extern(name) {
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
        let func = self
            .instance
            .exports
            .get_function(name)
            .map_err(|_| self.lookup_error(name, "a function"))?
            .clone();
        let ty = from_wasmer_func_type(&func.ty(&self.store))
            .ok_or_else(|| {
                Error::unsupported(
                    ENGINE,
                    format!("calling `{name}`, which takes or returns exnref: wasmux values cannot represent it"),
                )
            })?;
        Ok(WasmerFunc { func, ty: Arc::new(ty), native: NativeCache::default() })
    }

    fn exports(&self) -> &[ExportInfo] {
        &self.module.info().exports
    }

    fn func_type(&self, func: &WasmerFunc) -> FuncType {
        FuncType::clone(&func.ty)
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
        let _span = wasmux_core::call_span(ENGINE);
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
        let memory = match self.instance.exports.get_memory(name) {
            Ok(memory) => memory.clone(),
            Err(_) => return Err(self.lookup_error(name, "a memory")),
        };
        Ok(guest_memory(&memory, &mut self.store))
    }

    fn get_global(&mut self, name: &str) -> Result<Val> {
        let global = match self.instance.exports.get_global(name) {
            Ok(global) => global.clone(),
            Err(_) => return Err(self.lookup_error(name, "a global")),
        };
        let value = global.get(&mut self.store);
        if matches!(value, Value::ExceptionRef(_)) {
            return Err(Self::export_error(name, "holds an exnref, which wasmux does not model"));
        }
        Ok(from_wasmer(&value, &self.store))
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        let global = match self.instance.exports.get_global(name) {
            Ok(global) => global.clone(),
            Err(_) => return Err(self.lookup_error(name, "a global")),
        };
        let ty = global.ty(&self.store);
        if !ty.mutability.is_mutable() {
            return Err(Self::export_error(name, "is immutable"));
        }
        if crate::values::from_wasmer_type(ty.ty) != Some(value.ty()) {
            return Err(Error::InvalidArgument(format!(
                "global `{name}` of type {} set to a value of type {}",
                ty.ty,
                value.ty()
            )));
        }
        let value = to_wasmer(&value, &mut self.store)?;
        global
            .set(&mut self.store, value)
            .map_err(|e| Error::InvalidArgument(format!("global `{name}`: {}", e.message())))
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        self.stop.interrupt_handle().clone()
    }

    fn fuel(&mut self) -> Option<u64> {
        let fuel = self.fuel.as_ref()?;
        Some(fuel.get(&mut self.store))
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        match &self.fuel {
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
            .field("module", &self.module)
            .field("fuel", &self.fuel.is_some())
            .finish_non_exhaustive()
    }
}
