//! [`WasmtimeInstance`]: an instance with its own wasmtime store.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::Arc;

use wasmtime::{AsContextMut as _, RootScope, Store, ValRaw};
use wasmux_core::{
    Config, Error, ExportInfo, ExternType, FuncType, HostState, Instance, InstanceSlot,
    InterruptHandle, ModuleInfo, Result, TypedFunc, Val, WasmTuple, check_call,
};

use crate::ENGINE;
use crate::store::StoreData;
use crate::ticker::Ticker;
use crate::traps::{call_error, engine_error};
use crate::values::{self, from_wasmtime, to_wasmtime};

/// Calls with up to this many parameter-or-result slots pass their values on the stack.
const INLINE_SLOTS: usize = 16;

/// The most values a [`WasmTuple`] holds.
const TUPLE_SLOTS: usize = 8;

/// An exported function of a [`WasmtimeInstance`], resolved once for repeated calls.
#[derive(Clone)]
pub struct WasmtimeFunc {
    func: wasmtime::Func,
    ty: Arc<FuncType>,
    /// Only numbers and vectors: called through the raw, allocation-free path.
    numeric: bool,
    instance_id: u64,
}

impl WasmtimeFunc {
    /// The function's signature.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }
}

impl fmt::Debug for WasmtimeFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WasmtimeFunc({})", self.ty)
    }
}

/// A module instance on wasmtime, with its own store holding the host state, limits, fuel and
/// deadline. Made by [`WasmtimeEngine::instantiate`](wasmux_core::Engine::instantiate).
pub struct WasmtimeInstance {
    store: Store<StoreData>,
    instance: wasmtime::Instance,
    info: Arc<ModuleInfo>,
    interrupt: InterruptHandle,
    id: u64,
    fuel: bool,
    deadline: bool,
    _slot: InstanceSlot,
    _ticker: Option<Arc<Ticker>>,
}

impl WasmtimeInstance {
    pub(crate) fn new(
        store: Store<StoreData>,
        instance: wasmtime::Instance,
        info: Arc<ModuleInfo>,
        interrupt: InterruptHandle,
        slot: InstanceSlot,
        ticker: Option<Arc<Ticker>>,
        config: &Config,
    ) -> Self {
        let id = store.data().instance_id;
        let deadline = store.data().stop.has_deadline();
        WasmtimeInstance {
            store,
            instance,
            info,
            interrupt,
            id,
            fuel: config.fuel,
            deadline,
            _slot: slot,
            _ticker: ticker,
        }
    }

    /// The module's imports and exports.
    pub fn module_info(&self) -> &ModuleInfo {
        &self.info
    }

    fn export_error(name: &str, message: impl Into<String>) -> Error {
        Error::Export { name: name.to_string(), message: message.into() }
    }

    /// The fast path: every value is a number or a vector, passed raw, on the stack unless
    /// the signature is unusually long.
    #[inline]
    fn call_raw(&mut self, func: &WasmtimeFunc, params: &[Val], results: &mut [Val]) -> Result<()> {
        let slots = params.len().max(results.len());
        if slots <= INLINE_SLOTS {
            let mut inline = [MaybeUninit::<ValRaw>::uninit(); INLINE_SLOTS];
            self.call_raw_in(func, params, results, &mut inline[..slots])
        } else {
            let mut heap = vec![MaybeUninit::<ValRaw>::uninit(); slots];
            self.call_raw_in(func, params, results, &mut heap)
        }
    }

    /// Calls `func` with `raw` (one slot per parameter or result, whichever is more) as
    /// wasmtime's argument-and-result array.
    #[inline]
    fn call_raw_in(
        &mut self,
        func: &WasmtimeFunc,
        params: &[Val],
        results: &mut [Val],
        raw: &mut [MaybeUninit<ValRaw>],
    ) -> Result<()> {
        for (slot, param) in raw.iter_mut().zip(params) {
            slot.write(values::to_raw(param));
        }
        let array =
            std::ptr::slice_from_raw_parts_mut(raw.as_mut_ptr().cast::<ValRaw>(), raw.len());
        // SAFETY: `func` belongs to this store (checked by the caller); `array` has room for
        // every parameter and every result, and its first slots hold parameters of exactly
        // the function's parameter types (`check_call`), all numbers or vectors (`numeric`).
        unsafe { func.func.call_unchecked(&mut self.store, array) }.map_err(|e| self.fail(e))?;
        for ((result, ty), raw) in results.iter_mut().zip(func.ty.results()).zip(raw.iter()) {
            // SAFETY: on success wasmtime has written every result slot.
            *result = values::from_raw(*ty, unsafe { raw.assume_init() });
        }
        Ok(())
    }

    /// The general path, for signatures with references: rooted in a scope that ends with the
    /// call, so `externref`s do not pile up in the store.
    fn call_vals(
        &mut self,
        func: &WasmtimeFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let id = self.id;
        let mut scope = RootScope::new(&mut self.store);
        let args =
            params.iter().map(|v| to_wasmtime(&mut scope, v, id)).collect::<Result<Vec<_>>>()?;
        let mut out: Vec<wasmtime::Val> =
            func.ty.results().iter().map(|_| wasmtime::Val::I32(0)).collect();
        if let Err(error) = func.func.call(&mut scope, &args, &mut out) {
            drop(scope);
            return Err(self.fail(error));
        }
        for (result, val) in results.iter_mut().zip(&out) {
            *result = from_wasmtime(&scope, val, id)?;
        }
        Ok(())
    }

    /// Maps a failed call's error, dropping any exception left pending in the store.
    #[cold]
    fn fail(&mut self, error: wasmtime::Error) -> Error {
        if error.is::<wasmtime::ThrownException>() {
            let mut scope = RootScope::new(&mut self.store);
            let _ = scope.as_context_mut().take_pending_exception();
        }
        call_error(error)
    }
}

impl Instance for WasmtimeInstance {
    type Func = WasmtimeFunc;

    fn get_func(&mut self, name: &str) -> Result<WasmtimeFunc> {
        let ty = match self.info.export(name).map(|e| &e.ty) {
            Some(ExternType::Func(ty)) => ty.clone(),
            Some(ExternType::Other(what)) => {
                return Err(Error::unsupported(
                    ENGINE,
                    format!("calling `{name}` of type {what}: wasmux values cannot represent it"),
                ));
            }
            Some(other) => {
                return Err(Self::export_error(name, format!("is not a function: {other}")));
            }
            None => return Err(Self::export_error(name, "no such export")),
        };
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| Self::export_error(name, "is not a function"))?;
        Ok(WasmtimeFunc { numeric: ty.is_numeric(), ty: Arc::new(ty), func, instance_id: self.id })
    }

    fn exports(&self) -> &[ExportInfo] {
        &self.info.exports
    }

    fn func_type(&self, func: &WasmtimeFunc) -> FuncType {
        (*func.ty).clone()
    }

    #[inline]
    fn call_typed<P: WasmTuple, R: WasmTuple>(
        &mut self,
        typed: &TypedFunc<Self, P, R>,
        params: P,
    ) -> Result<R> {
        let func = typed.func();
        if func.instance_id != self.id {
            return Err(Error::InvalidArgument("function belongs to another instance".into()));
        }
        if self.deadline {
            self.store.data_mut().stop.start_call();
        }
        let mut raw = [MaybeUninit::<ValRaw>::uninit(); TUPLE_SLOTS];
        for ((slot, ty), bits) in raw.iter_mut().zip(P::TYPES).zip(params.into_bits().as_ref()) {
            slot.write(values::bits_to_raw(*ty, *bits));
        }
        let slots = P::TYPES.len().max(R::TYPES.len());
        let array = std::ptr::slice_from_raw_parts_mut(raw.as_mut_ptr().cast::<ValRaw>(), slots);
        // SAFETY: `func` belongs to this store (checked above). `TypedFunc::new` checked with
        // this instance that the function takes exactly `P` and returns exactly `R`, which
        // are numbers and vectors only; `array` has a slot for each parameter and result, and
        // its first slots hold the parameters.
        unsafe { func.func.call_unchecked(&mut self.store, array) }.map_err(|e| self.fail(e))?;
        let mut results = R::zero_bits();
        for ((bits, ty), raw) in results.as_mut().iter_mut().zip(R::TYPES).zip(&raw) {
            // SAFETY: on success wasmtime has written every result slot.
            *bits = values::raw_to_bits(*ty, unsafe { raw.assume_init() });
        }
        Ok(R::from_bits(results.as_ref()))
    }

    fn call_func(
        &mut self,
        func: &WasmtimeFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let _span = wasmux_core::call_span(ENGINE);
        if func.instance_id != self.id {
            return Err(Error::InvalidArgument("function belongs to another instance".into()));
        }
        check_call(&func.ty, params, results)?;
        if self.deadline {
            self.store.data_mut().stop.start_call();
        }
        if func.numeric {
            self.call_raw(func, params, results)
        } else {
            self.call_vals(func, params, results)
        }
    }

    fn memory(&mut self, name: &str) -> Result<&mut [u8]> {
        match self.instance.get_memory(&mut self.store, name) {
            Some(memory) => Ok(memory.data_mut(&mut self.store)),
            None => Err(Self::export_error(
                name,
                match self.info.export(name) {
                    Some(ExportInfo { ty: ExternType::Memory(m), .. }) if m.shared => {
                        "is a shared memory, which cannot be borrowed as bytes"
                    }
                    Some(_) => "is not a memory",
                    None => "no such export",
                },
            )),
        }
    }

    fn get_global(&mut self, name: &str) -> Result<Val> {
        let global = self
            .instance
            .get_global(&mut self.store, name)
            .ok_or_else(|| Self::export_error(name, "no such global"))?;
        let id = self.id;
        let mut scope = RootScope::new(&mut self.store);
        let value = global.get(&mut scope);
        from_wasmtime(&scope, &value, id)
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        let global = self
            .instance
            .get_global(&mut self.store, name)
            .ok_or_else(|| Self::export_error(name, "no such global"))?;
        let ty = global.ty(&self.store);
        if ty.mutability() != wasmtime::Mutability::Var {
            return Err(Self::export_error(name, "is an immutable global"));
        }
        if values::val_type(ty.content()) != Some(value.ty()) {
            return Err(Error::InvalidArgument(format!(
                "global `{name}` has type {:?}, cannot set it to a {}",
                ty.content(),
                value.ty()
            )));
        }
        let id = self.id;
        let mut scope = RootScope::new(&mut self.store);
        let value = to_wasmtime(&mut scope, &value, id)?;
        global.set(&mut scope, value).map_err(engine_error)
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    fn fuel(&mut self) -> Option<u64> {
        if self.fuel { self.store.get_fuel().ok() } else { None }
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        if !self.fuel {
            return Err(Error::unsupported(ENGINE, "fuel"));
        }
        self.store.set_fuel(fuel).map_err(engine_error)
    }

    fn host_state(&mut self) -> &mut HostState {
        &mut self.store.data_mut().host
    }
}

impl fmt::Debug for WasmtimeInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmtimeInstance")
            .field("id", &self.id)
            .field("exports", &self.info.exports.len())
            .field("fuel", &self.fuel)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
