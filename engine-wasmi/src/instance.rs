//! `WasmiInstance`: calls, memory, globals and the fuel-slice loop that makes calls stoppable.

use std::sync::Arc;
use std::time::Duration;

use wasmi::{AsContext, ResumableCall, Store};
use wasmux_core::{
    Capability, Error, ExportInfo, FuncType, HostState, Instance, InstanceSlot, InterruptHandle,
    ModuleInfo, Result, StopCondition, Trap, TrapCode, TypedFunc, Val, WasmTuple, check_call,
};

use crate::ENGINE;
use crate::contain::contained;
use crate::store::StoreData;
use crate::traps::execution_error;
use crate::values::{
    bits_to_wasmi, from_wasmi, func_type, to_wasmi, wasmi_to_bits, wasmi_val_type,
};

/// Fuel handed to the interpreter per slice when calls must be stoppable. Between slices the
/// deadline and the interrupt flag are checked, so this bounds how late a stop is noticed:
/// about 100 000 executed instructions, well under a millisecond on current machines.
pub const FUEL_SLICE: u64 = 100_000;

/// The instance's fuel account. wasmi meters fuel whenever calls are stoppable; the embedder's
/// own fuel limit, if any, is the `remaining` balance.
pub(crate) struct Metering {
    metered: bool,
    counted: bool,
    remaining: u64,
    /// Fuel placed in the store for the current slice.
    given: u64,
}

impl Metering {
    pub(crate) fn new(metered: bool, counted: bool, limit: Option<u64>) -> Self {
        Metering { metered, counted, remaining: limit.unwrap_or(u64::MAX), given: 0 }
    }

    /// Puts the whole balance in the store: a start function runs in one piece.
    pub(crate) fn fill_for_start(&mut self, store: &mut Store<StoreData>) -> Result<()> {
        self.fill(store, self.remaining)
    }

    fn fill(&mut self, store: &mut Store<StoreData>, amount: u64) -> Result<()> {
        if self.metered {
            self.given = amount.min(self.remaining);
            store.set_fuel(self.given).map_err(execution_error)?;
        }
        Ok(())
    }

    /// Charges what the last slice used.
    pub(crate) fn settle(&mut self, store: &Store<StoreData>) {
        if self.metered {
            let left = store.get_fuel().unwrap_or(0);
            self.remaining -= self.given.saturating_sub(left);
            self.given = 0;
        }
    }
}

/// An exported function of a wasmi instance, with its signature.
#[derive(Clone)]
pub struct WasmiFunc {
    func: wasmi::Func,
    ty: Arc<FuncType>,
    /// The store it belongs to: wasmi panics on a function of another store.
    store_id: u64,
}

impl std::fmt::Debug for WasmiFunc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WasmiFunc({})", self.ty)
    }
}

/// A wasmi module instance in its own store.
pub struct WasmiInstance {
    store: Store<StoreData>,
    instance: wasmi::Instance,
    info: Arc<ModuleInfo>,
    metering: Metering,
    stop: StopCondition,
    params: Vec<wasmi::Val>,
    results: Vec<wasmi::Val>,
    /// Set when wasmi panicked in a call: its state may be inconsistent, so nothing runs again.
    poisoned: bool,
    _slot: InstanceSlot,
}

impl WasmiInstance {
    pub(crate) fn new(
        store: Store<StoreData>,
        instance: wasmi::Instance,
        info: Arc<ModuleInfo>,
        metering: Metering,
        deadline: Option<Duration>,
        slot: InstanceSlot,
    ) -> Self {
        WasmiInstance {
            store,
            instance,
            info,
            metering,
            stop: StopCondition::new(InterruptHandle::new(|| {}), deadline),
            params: Vec::new(),
            results: Vec::new(),
            poisoned: false,
            _slot: slot,
        }
    }

    fn store_id(&self) -> u64 {
        self.store.data().store_id
    }

    /// Refuses a function of another instance, before wasmi would panic on it.
    fn check_store(&self, func: &WasmiFunc) -> Result<()> {
        if func.store_id == self.store_id() {
            Ok(())
        } else {
            Err(Error::InvalidArgument("function belongs to another instance".into()))
        }
    }

    fn export_error(name: &str, what: &str) -> Error {
        Error::Export {
            name: name.to_string(),
            message: format!("no exported {what} of that name"),
        }
    }

    /// Runs `func` in fuel slices, checking the deadline and interrupt flag between them.
    fn call_metered(
        &mut self,
        func: wasmi::Func,
        params: &[wasmi::Val],
        results: &mut [wasmi::Val],
    ) -> Result<()> {
        if let Some(trap) = self.stop.check() {
            return Err(trap.into());
        }
        self.metering.fill(&mut self.store, FUEL_SLICE)?;
        let mut call = func.call_resumable(&mut self.store, params, results);
        loop {
            self.metering.settle(&self.store);
            let pending = match call {
                Ok(ResumableCall::Finished) => return Ok(()),
                Ok(ResumableCall::HostTrap(trap)) => {
                    return Err(execution_error(trap.into_host_error()));
                }
                Ok(ResumableCall::OutOfFuel(pending)) => pending,
                Err(error) => return Err(execution_error(error)),
            };
            let required = pending.required_fuel().max(1);
            if self.metering.remaining < required {
                return Err(Trap::new(TrapCode::OutOfFuel, "fuel limit reached").into());
            }
            if let Some(trap) = self.stop.check() {
                return Err(trap.into());
            }
            self.metering.fill(&mut self.store, FUEL_SLICE.max(required))?;
            call = pending.resume(&mut self.store, results);
        }
    }

    /// Runs a call with wasmi values, contained: a panic in wasmi poisons the instance.
    fn run_call(
        &mut self,
        func: wasmi::Func,
        params: &[wasmi::Val],
        results: &mut [wasmi::Val],
    ) -> Result<()> {
        self.stop.start_call();
        let outcome = if self.poisoned {
            Err(Error::Engine {
                engine: ENGINE,
                message: "the instance is unusable after an earlier engine failure".into(),
            })
        } else {
            contained(|| {
                if self.metering.metered {
                    self.call_metered(func, params, results)
                } else {
                    func.call(&mut self.store, params, results).map_err(execution_error)
                }
            })
        };
        self.poisoned |= matches!(outcome, Err(Error::Engine { .. }));
        outcome
    }
}

impl Instance for WasmiInstance {
    type Func = WasmiFunc;

    fn get_func(&mut self, name: &str) -> Result<WasmiFunc> {
        let func = self
            .instance
            .get_func(&self.store, name)
            .ok_or_else(|| Self::export_error(name, "function"))?;
        let ty = Arc::new(func_type(&func.ty(&self.store)));
        Ok(WasmiFunc { func, ty, store_id: self.store_id() })
    }

    fn exports(&self) -> &[ExportInfo] {
        &self.info.exports
    }

    fn func_type(&self, func: &WasmiFunc) -> FuncType {
        FuncType::clone(&func.ty)
    }

    fn call_typed<P: WasmTuple, R: WasmTuple>(
        &mut self,
        typed: &TypedFunc<Self, P, R>,
        params: P,
    ) -> Result<R> {
        self.check_store(typed.func())?;
        let mut wasm_params = std::mem::take(&mut self.params);
        let mut wasm_results = std::mem::take(&mut self.results);
        wasm_params.clear();
        wasm_params.extend(
            P::TYPES
                .iter()
                .zip(params.into_bits().as_ref())
                .map(|(ty, bits)| bits_to_wasmi(*ty, *bits)),
        );
        wasm_results.clear();
        wasm_results.extend(R::TYPES.iter().map(|ty| bits_to_wasmi(*ty, 0)));
        let outcome = self.run_call(typed.func().func, &wasm_params, &mut wasm_results).map(|()| {
            let mut bits = R::zero_bits();
            for (bits, value) in bits.as_mut().iter_mut().zip(&wasm_results) {
                *bits = wasmi_to_bits(value);
            }
            R::from_bits(bits.as_ref())
        });
        self.params = wasm_params;
        self.results = wasm_results;
        outcome
    }

    fn call_func(&mut self, func: &WasmiFunc, params: &[Val], results: &mut [Val]) -> Result<()> {
        let _span = wasmux_core::call_span(ENGINE);
        check_call(&func.ty, params, results)?;
        self.check_store(func)?;
        let store_id = self.store_id();
        let mut wasm_params = std::mem::take(&mut self.params);
        let mut wasm_results = std::mem::take(&mut self.results);
        wasm_params.clear();
        for param in params {
            wasm_params.push(to_wasmi(&mut self.store, store_id, param)?);
        }
        wasm_results.clear();
        wasm_results.extend(
            func.ty.results().iter().map(|t| wasmi::Val::default_for_ty(wasmi_val_type(*t))),
        );
        let outcome = self.run_call(func.func, &wasm_params, &mut wasm_results);
        if outcome.is_ok() {
            for (slot, value) in results.iter_mut().zip(&wasm_results) {
                *slot = from_wasmi(&self.store, store_id, value);
            }
        }
        self.params = wasm_params;
        self.results = wasm_results;
        outcome
    }

    fn memory(&mut self, name: &str) -> Result<&mut [u8]> {
        let memory = self
            .instance
            .get_memory(&self.store, name)
            .ok_or_else(|| Self::export_error(name, "memory"))?;
        Ok(memory.data_mut(&mut self.store))
    }

    fn get_global(&mut self, name: &str) -> Result<Val> {
        let global = self
            .instance
            .get_global(&self.store, name)
            .ok_or_else(|| Self::export_error(name, "global"))?;
        let value = global.get(&self.store);
        Ok(from_wasmi(self.store.as_context(), self.store_id(), &value))
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        let global = self
            .instance
            .get_global(&self.store, name)
            .ok_or_else(|| Self::export_error(name, "global"))?;
        let store_id = self.store_id();
        let value = to_wasmi(&mut self.store, store_id, &value)?;
        global
            .set(&mut self.store, value)
            .map_err(|e| Error::Export { name: name.to_string(), message: e.to_string() })
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        self.stop.interrupt_handle().clone()
    }

    fn fuel(&mut self) -> Option<u64> {
        self.metering.counted.then_some(self.metering.remaining)
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        if !self.metering.counted {
            return Err(Error::unsupported(ENGINE, Capability::Fuel.as_str()));
        }
        self.metering.remaining = fuel;
        Ok(())
    }

    fn host_state(&mut self) -> &mut HostState {
        &mut self.store.data_mut().host
    }
}

impl std::fmt::Debug for WasmiInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiInstance").field("store_id", &self.store_id()).finish_non_exhaustive()
    }
}
