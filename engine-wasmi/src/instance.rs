//! `WasmiInstance`: a store with its instances, calls, the store's memories, tables and globals,
//! and the fuel-slice loop that makes calls stoppable.

use std::sync::Arc;
use std::time::Duration;

use wasmi::{ResumableCall, Store};
use wasmux_core::backend::{
    CallerMemory, InstanceSlot, StopCondition, check_call, refuse_typed_refs,
};
use wasmux_core::{
    Capability, Error, ExportInfo, Exports, Extern, ExternType, FuncType, GlobalType, HostState,
    Imports, Instance, InterruptHandle, MemoryType, ModuleInfo, Result, TableType, Trap, TrapCode,
    TypedFunc, Val, WasmTuple,
};

use crate::ENGINE;
use crate::contain::contained;
use crate::externs::{
    ExternTable, current_type, table_element, wasmi_memory_type, wasmi_table_type,
};
use crate::module::WasmiModule;
use crate::store::StoreData;
use crate::store_items;
use crate::traps::execution_error;
use crate::values::{
    bits_to_wasmi, from_wasmi, func_type, to_wasmi, wasmi_to_bits, wasmi_val_type,
};

/// Fuel handed to the interpreter per slice when calls must be stoppable. Between slices the
/// deadline and the interrupt flag are checked, so this bounds how late a stop is noticed:
/// about 100 000 executed instructions, well under a millisecond on current machines.
pub const FUEL_SLICE: u64 = 100_000;

/// The store's fuel account. wasmi meters fuel whenever calls are stoppable; the embedder's
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

/// A wasmi store with the instances of the modules instantiated into it, the current one
/// (the latest) addressed by name.
pub struct WasmiInstance {
    store: Store<StoreData>,
    current: Option<Current>,
    /// Offered to every module instantiated into the store, beneath its own imports.
    imports: Imports,
    externs: ExternTable,
    /// Whether a module was ever instantiated into the store, even unsuccessfully: the memory
    /// host calls use is resolved once only for the store's first and only instance.
    instantiated: bool,
    metering: Metering,
    stop: StopCondition,
    params: Vec<wasmi::Val>,
    results: Vec<wasmi::Val>,
    /// Set when wasmi panicked in a call or an instantiation: its state may be inconsistent, so
    /// nothing runs again.
    poisoned: bool,
    _slot: InstanceSlot,
}

/// The store's latest instance.
struct Current {
    instance: wasmi::Instance,
    module: Arc<ModuleInfo>,
    /// Where the handles of its exports start in the store's table of externs, once made (on
    /// first request): one per export, in the module's order, so asking again makes none.
    handles_from: Option<usize>,
}

impl WasmiInstance {
    /// A store with no instance yet.
    pub(crate) fn new(
        store: Store<StoreData>,
        imports: Imports,
        metering: Metering,
        deadline: Option<Duration>,
        slot: InstanceSlot,
    ) -> Self {
        let store_id = store.data().store_id;
        WasmiInstance {
            store,
            current: None,
            imports,
            externs: ExternTable::new(store_id),
            instantiated: false,
            metering,
            stop: StopCondition::polled(deadline),
            params: Vec::new(),
            results: Vec::new(),
            poisoned: false,
            _slot: slot,
        }
    }

    /// What every module instantiated into the store is offered.
    pub(crate) fn imports(&self) -> &Imports {
        &self.imports
    }

    /// The store's table of externs, to link items of the store.
    pub(crate) fn externs(&self) -> &ExternTable {
        &self.externs
    }

    /// The current type of `item`, if it is an item of this store.
    pub(crate) fn item_type(&self, item: Extern) -> Result<ExternType> {
        Ok(current_type(&self.store, self.externs.get(item)?))
    }

    /// Instantiates `module` into the store with `instantiate` (given the imports), running
    /// its start function in one piece (contained: a panic in wasmi poisons the store), and
    /// makes it the current instance.
    pub(crate) fn instantiate(
        &mut self,
        module: &WasmiModule,
        instantiate: impl FnOnce(
            &mut Store<StoreData>,
            &wasmi::Module,
        ) -> std::result::Result<wasmi::Instance, wasmi::Error>,
    ) -> Result<()> {
        self.usable()?;
        let first = !self.instantiated;
        self.instantiated = true;
        // Host calls from a second instance must find their own caller's memory.
        self.store.data_mut().memory = CallerMemory::ByName;
        self.forget_refusal();
        self.metering.fill_for_start(&mut self.store)?;
        let instantiated =
            contained(|| instantiate(&mut self.store, &module.module).map_err(execution_error));
        self.metering.settle(&self.store);
        self.store.data_mut().resume_host_panic();
        self.poisoned |= matches!(instantiated, Err(Error::Engine { .. }));
        let instance = instantiated
            .map_err(|error| self.store.data_mut().limiter.0.instantiation_error(error))?;
        if first {
            // Most modules that import their memory export none: no lookup for those.
            let exports_memory = module.info.exports.iter().any(|export| export.name == "memory");
            self.store.data_mut().memory = CallerMemory::Known(
                exports_memory.then(|| instance.get_memory(&self.store, "memory")).flatten(),
            );
        }
        let module = Arc::clone(&module.info);
        self.current = Some(Current { instance, module, handles_from: None });
        Ok(())
    }

    /// The current instance's exports as handles, if there is a current instance.
    pub(crate) fn current_exports(&mut self) -> Option<Exports> {
        let (from, module) = self.current_handles()?;
        let module = Arc::clone(module);
        let mut indices = from..;
        Some(Exports::new(module, |_| indices.next().and_then(|index| self.externs.handle(index))))
    }

    /// The current instance's export `name` as a handle.
    fn current_export(&mut self, name: &str) -> Option<Extern> {
        let (from, module) = self.current_handles()?;
        let position = module.exports.iter().position(|export| export.name == name)?;
        self.externs.handle(from + position)
    }

    /// Where the handles of the current instance's exports start, made now if they were not
    /// yet, and its module.
    fn current_handles(&mut self) -> Option<(usize, &Arc<ModuleInfo>)> {
        let current = self.current.as_mut()?;
        let (store, externs, instance) = (&self.store, &mut self.externs, current.instance);
        let from = *current.handles_from.get_or_insert_with(|| {
            let items = current.module.exports.iter();
            externs.add_run(items.map(|export| instance.get_export(store, &export.name)))
        });
        Some((from, &current.module))
    }

    fn current_instance(&self) -> Option<wasmi::Instance> {
        self.current.as_ref().map(|current| current.instance)
    }

    fn store_id(&self) -> u64 {
        self.store.data().store_id
    }

    /// Refuses a function of another store, before wasmi would panic on it.
    fn check_store(&self, func: &WasmiFunc) -> Result<()> {
        if func.store_id == self.store_id() {
            Ok(())
        } else {
            Err(Error::InvalidArgument("function belongs to another store".into()))
        }
    }

    /// Refuses to run anything after wasmi panicked in this store.
    fn usable(&self) -> Result<()> {
        if self.poisoned {
            Err(Error::Engine {
                engine: ENGINE,
                message: "the instance is unusable after an earlier engine failure".into(),
            })
        } else {
            Ok(())
        }
    }

    /// Forgets a growth refused earlier (a guest's `memory.grow` that returned -1, say), so
    /// that only a refusal by the next operation explains its failure.
    fn forget_refusal(&mut self) {
        self.store.data_mut().limiter.0.take_refusal();
    }

    /// The error for a failed allocation or growth: the limit that refused it, else `otherwise`.
    fn refusal_or(&mut self, otherwise: Error) -> Error {
        self.store.data_mut().limiter.0.take_refusal().unwrap_or(otherwise)
    }

    /// `value` for wasmi, refusing a function reference of another store.
    fn wasmi_value(&mut self, value: &Val) -> Result<wasmi::Val> {
        let store_id = self.store_id();
        to_wasmi(&mut self.store, store_id, value)
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
        let outcome = self.usable().and_then(|()| {
            contained(|| {
                if self.metering.metered {
                    self.call_metered(func, params, results)
                } else {
                    func.call(&mut self.store, params, results).map_err(execution_error)
                }
            })
        });
        self.store.data_mut().resume_host_panic();
        self.poisoned |= matches!(outcome, Err(Error::Engine { .. }));
        outcome
    }
}

/// The most values a `WasmTuple` holds (`call_typed` checks it when compiled).
const MAX_TUPLE: usize = 8;

impl Instance for WasmiInstance {
    type Func = WasmiFunc;

    fn get_func(&mut self, name: &str) -> Result<WasmiFunc> {
        let func = self
            .current_instance()
            .and_then(|instance| instance.get_func(&self.store, name))
            .ok_or_else(|| Self::export_error(name, "function"))?;
        let ty = Arc::new(func_type(&func.ty(&self.store)));
        Ok(WasmiFunc { func, ty, store_id: self.store_id() })
    }

    fn exports(&self) -> &[ExportInfo] {
        self.current.as_ref().map_or(&[], |current| &current.module.exports)
    }

    fn func_type(&self, func: &WasmiFunc) -> FuncType {
        FuncType::clone(&func.ty)
    }

    fn get_export(&mut self, name: &str) -> Result<Extern> {
        self.current_export(name).ok_or_else(|| Self::export_error(name, "item"))
    }

    fn instance_exports(&mut self) -> Result<Exports> {
        Ok(self.current_exports().unwrap_or_default())
    }

    fn extern_type(&mut self, item: Extern) -> Result<ExternType> {
        self.item_type(item)
    }

    fn extern_func(&mut self, item: Extern) -> Result<WasmiFunc> {
        let func = self.externs.func(item)?;
        let ty = Arc::new(func_type(&func.ty(&self.store)));
        Ok(WasmiFunc { func, ty, store_id: self.store_id() })
    }

    fn new_memory(&mut self, ty: &MemoryType) -> Result<Extern> {
        let wasmi_ty = wasmi_memory_type(ty)?;
        self.forget_refusal();
        match wasmi::Memory::new(&mut self.store, wasmi_ty) {
            Ok(memory) => Ok(self.externs.add(memory.into())),
            Err(error) => Err(self.refusal_or(Error::InvalidArgument(format!(
                "cannot make a memory of type {ty:?}: {error}"
            )))),
        }
    }

    fn new_table(&mut self, ty: &TableType, init: Val) -> Result<Extern> {
        let wasmi_ty = wasmi_table_type(ty)?;
        let init = self.wasmi_value(&init)?;
        let init = table_element(wasmi_ty.element(), init)?;
        self.forget_refusal();
        match wasmi::Table::new(&mut self.store, wasmi_ty, init) {
            Ok(table) => Ok(self.externs.add(table.into())),
            Err(error) => Err(self.refusal_or(Error::InvalidArgument(format!(
                "cannot make a table of type {ty:?}: {error}"
            )))),
        }
    }

    fn new_global(&mut self, ty: &GlobalType, value: Val) -> Result<Extern> {
        refuse_typed_refs(ENGINE, [&ty.content])?;
        if value.ty() != ty.content {
            return Err(Error::InvalidArgument(format!(
                "a global of type {} cannot hold a {}",
                ty.content,
                value.ty()
            )));
        }
        let value = self.wasmi_value(&value)?;
        let mutability = if ty.mutable { wasmi::Mutability::Var } else { wasmi::Mutability::Const };
        let global = wasmi::Global::new(&mut self.store, value, mutability);
        Ok(self.externs.add(global.into()))
    }

    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]> {
        let memory = self.externs.memory(memory)?;
        Ok(memory.data_mut(&mut self.store))
    }

    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64> {
        let memory = self.externs.memory(memory)?;
        store_items::grow_memory(&mut self.store, memory, pages)
    }

    fn table_size(&mut self, table: Extern) -> Result<u64> {
        Ok(self.externs.table(table)?.size(&self.store))
    }

    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val> {
        let table = self.externs.table(table)?;
        store_items::get_element(&self.store, table, index)
    }

    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()> {
        let table = self.externs.table(table)?;
        store_items::set_element(&mut self.store, table, index, &value)
    }

    fn table_grow(&mut self, table: Extern, delta: u64, init: Val) -> Result<u64> {
        let table = self.externs.table(table)?;
        let init = self.wasmi_value(&init)?;
        let init = table_element(table.ty(&self.store).element(), init)?;
        self.forget_refusal();
        match table.grow(&mut self.store, delta, init) {
            Ok(previous) => Ok(previous),
            Err(_) => {
                let size = table.size(&self.store);
                Err(self.refusal_or(Error::InvalidArgument(format!(
                    "a table of {size} elements cannot grow by {delta}"
                ))))
            }
        }
    }

    fn global_get(&mut self, global: Extern) -> Result<Val> {
        let global = self.externs.global(global)?;
        Ok(store_items::get_global(&self.store, global))
    }

    fn global_set(&mut self, global: Extern, value: Val) -> Result<()> {
        let global = self.externs.global(global)?;
        store_items::set_global(&mut self.store, global, &value)
    }

    fn call_typed<P: WasmTuple, R: WasmTuple>(
        &mut self,
        typed: &TypedFunc<Self, P, R>,
        params: P,
    ) -> Result<R> {
        const {
            assert!(P::TYPES.len() <= MAX_TUPLE && R::TYPES.len() <= MAX_TUPLE);
        }
        self.check_store(typed.func())?;
        // wasmi's untyped entry, the one generic code can reach, takes slices; these are of
        // arrays on the stack, which the most values a tuple holds fit.
        let mut wasm_params = [const { wasmi::Val::I32(0) }; MAX_TUPLE];
        let mut wasm_results = [const { wasmi::Val::I32(0) }; MAX_TUPLE];
        for ((slot, ty), bits) in
            wasm_params.iter_mut().zip(P::TYPES).zip(params.into_bits().as_ref())
        {
            *slot = bits_to_wasmi(*ty, *bits);
        }
        let wasm_results = &mut wasm_results[..R::TYPES.len()];
        self.run_call(typed.func().func, &wasm_params[..P::TYPES.len()], wasm_results)?;
        let mut results = R::zero_bits();
        for (bits, value) in results.as_mut().iter_mut().zip(&*wasm_results) {
            *bits = wasmi_to_bits(value);
        }
        Ok(R::from_bits(results.as_ref()))
    }

    fn call_func(&mut self, func: &WasmiFunc, params: &[Val], results: &mut [Val]) -> Result<()> {
        let _span = wasmux_core::backend::call_span(ENGINE);
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
            .current_instance()
            .and_then(|instance| instance.get_memory(&self.store, name))
            .ok_or_else(|| Self::export_error(name, "memory"))?;
        Ok(memory.data_mut(&mut self.store))
    }

    fn get_global(&mut self, name: &str) -> Result<Val> {
        let global = self
            .current_instance()
            .and_then(|instance| instance.get_global(&self.store, name))
            .ok_or_else(|| Self::export_error(name, "global"))?;
        Ok(store_items::get_global(&self.store, global))
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        let global = self
            .current_instance()
            .and_then(|instance| instance.get_global(&self.store, name))
            .ok_or_else(|| Self::export_error(name, "global"))?;
        let value = self.wasmi_value(&value)?;
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
