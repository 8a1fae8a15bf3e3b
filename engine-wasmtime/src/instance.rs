//! [`WasmtimeInstance`]: an instance with its own wasmtime store.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::Arc;

use wasmtime::{AsContextMut, RootScope, Store, ValRaw};
use wasmux_core::backend::{CallerMemory, InstanceSlot, check_call};
use wasmux_core::{
    Config, Error, ExportInfo, Exports, Extern, ExternType, FuncType, GlobalType, HostState,
    Imports, Instance, InterruptHandle, MemoryType, ModuleInfo, PoolingConfig, Result, TableType,
    TypedFunc, Val, WasmTuple,
};

use crate::ENGINE;
use crate::engine::instantiate_error;
use crate::externs::ExternTable;
use crate::link::StoreImports;
use crate::module::WasmtimeModule;
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

/// A wasmtime store holding the host state, limits, fuel and deadline, its instances and the
/// items the host made in it. Made by [`WasmtimeEngine::instantiate`](wasmux_core::Engine::instantiate)
/// or [`store`](wasmux_core::Engine::store).
pub struct WasmtimeInstance {
    pub(crate) store: Store<StoreData>,
    /// The current instance: the latest made in this store, which by-name methods address.
    instance: Option<wasmtime::Instance>,
    info: Arc<ModuleInfo>,
    /// Handles of the current instance's exports, made on first use.
    exports: Option<Exports>,
    pub(crate) externs: ExternTable,
    /// Offered to every module instantiated into this store.
    pub(crate) base_imports: Imports,
    /// How many instances the store holds.
    instances: usize,
    interrupt: InterruptHandle,
    pub(crate) id: u64,
    fuel: bool,
    deadline: bool,
    _slot: InstanceSlot,
    _ticker: Option<Arc<Ticker>>,
}

impl WasmtimeInstance {
    /// A store holding `instance` (of a module described by `info`), or nothing yet.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        store: Store<StoreData>,
        instance: Option<wasmtime::Instance>,
        info: Arc<ModuleInfo>,
        base_imports: Imports,
        interrupt: InterruptHandle,
        slot: InstanceSlot,
        ticker: Option<Arc<Ticker>>,
        config: &Config,
    ) -> Self {
        let id = store.data().instance_id;
        let deadline = store.data().stop.has_deadline();
        WasmtimeInstance {
            store,
            instances: usize::from(instance.is_some()),
            instance,
            info,
            exports: None,
            externs: ExternTable::default(),
            base_imports,
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

    /// The current instance, which must export `name`.
    fn current(&self, name: &str) -> Result<wasmtime::Instance> {
        self.instance
            .ok_or_else(|| Self::export_error(name, "no such export: the store has no instance"))
    }

    /// The current type of `item`, if it is an item of this store.
    pub(crate) fn item_type(&self, item: Extern) -> Result<ExternType> {
        let found = self.externs.get(self.id, item, None)?;
        Ok(crate::store_items::current_type(&self.store, found))
    }

    /// Instantiates `module` into this store (see `Engine::instantiate_in`).
    pub(crate) fn instantiate(
        &mut self,
        engine: &wasmtime::Engine,
        module: &WasmtimeModule,
        imports: &Imports,
        pooling: Option<&PoolingConfig>,
    ) -> Result<Exports> {
        let imports = crate::link::link_in_store(engine, self, module, imports)?;
        self.store.data_mut().stop.start_call();
        let instance = match imports {
            StoreImports::Items(items) => {
                wasmtime::Instance::new(&mut self.store, &module.module, &items)
            }
            StoreImports::Linker(linker) => linker.instantiate(&mut self.store, &module.module),
        }
        .map_err(|e| instantiate_error(e, &mut self.store, pooling))?;
        self.instances += 1;
        // Host functions find the caller's memory by name when the store holds several.
        self.store.data_mut().memory = match self.instances {
            1 => CallerMemory::Known(instance.get_memory(&mut self.store, "memory")),
            _ => CallerMemory::ByName,
        };
        self.instance = Some(instance);
        self.info = module.info.clone();
        self.exports = None;
        self.instance_exports()
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

    /// The general path, for signatures with references.
    fn call_vals(
        &mut self,
        func: &WasmtimeFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        call_with_vals(&mut self.store, func.func, params, results)
    }

    /// Maps a failed call's error, dropping any exception left pending in the store.
    #[cold]
    fn fail(&mut self, error: wasmtime::Error) -> Error {
        call_failed(&mut self.store, error)
    }
}

/// Calls `func` of `store` (the instance's, or a host function's caller) with wasmux values,
/// already checked against its type; `results` has a slot per result. Rooted in a scope that
/// ends with the call, so `externref`s do not pile up in the store.
pub(crate) fn call_with_vals(
    mut store: impl AsContextMut<Data = StoreData>,
    func: wasmtime::Func,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let id = store.as_context().data().instance_id;
    let mut scope = RootScope::new(&mut store);
    let args = params.iter().map(|v| to_wasmtime(&mut scope, v, id)).collect::<Result<Vec<_>>>()?;
    let mut out: Vec<wasmtime::Val> = results.iter().map(|_| wasmtime::Val::I32(0)).collect();
    if let Err(error) = func.call(&mut scope, &args, &mut out) {
        drop(scope);
        return Err(call_failed(&mut store, error));
    }
    for (result, val) in results.iter_mut().zip(&out) {
        *result = from_wasmtime(&mut scope, val, id)?;
    }
    Ok(())
}

/// Maps a failed call's error, dropping any exception left pending in `store`.
#[cold]
fn call_failed(mut store: impl AsContextMut, error: wasmtime::Error) -> Error {
    if error.is::<wasmtime::ThrownException>() {
        let mut scope = RootScope::new(&mut store);
        let _ = scope.as_context_mut().take_pending_exception();
    }
    call_error(error)
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
            .current(name)?
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
            *bits = values::raw_to_bits(*ty, unsafe { raw.assume_init_ref() });
        }
        Ok(R::from_bits(results.as_ref()))
    }

    fn call_func(
        &mut self,
        func: &WasmtimeFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let _span = wasmux_core::backend::call_span(ENGINE);
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

    fn get_export(&mut self, name: &str) -> Result<Extern> {
        let exports = self.instance_exports()?;
        exports.get(name).ok_or_else(|| Self::export_error(name, "no such export"))
    }

    fn instance_exports(&mut self) -> Result<Exports> {
        if let Some(exports) = &self.exports {
            return Ok(exports.clone());
        }
        let instance = self.instance;
        let (store, externs, id) = (&mut self.store, &mut self.externs, self.id);
        let exports = Exports::new(Arc::clone(&self.info), |info| {
            let item = instance?.get_export(&mut *store, &info.name)?;
            Some(externs.push(id, item))
        });
        self.exports = Some(exports.clone());
        Ok(exports)
    }

    fn extern_type(&mut self, item: Extern) -> Result<ExternType> {
        self.item_type(item)
    }

    fn extern_func(&mut self, item: Extern) -> Result<WasmtimeFunc> {
        let func = self.externs.func(self.id, item)?;
        let ty = func.ty(&self.store);
        let ty = values::func_type(&ty).ok_or_else(|| {
            Error::unsupported(
                ENGINE,
                format!("calling a function of type {ty}: wasmux values cannot represent it"),
            )
        })?;
        Ok(WasmtimeFunc { numeric: ty.is_numeric(), ty: Arc::new(ty), func, instance_id: self.id })
    }

    fn new_memory(&mut self, ty: &MemoryType) -> Result<Extern> {
        crate::store_items::new_memory(self, ty)
    }

    fn new_table(&mut self, ty: &TableType, init: Val) -> Result<Extern> {
        crate::store_items::new_table(self, ty, init)
    }

    fn new_global(&mut self, ty: &GlobalType, value: Val) -> Result<Extern> {
        crate::store_items::new_global(self, ty, value)
    }

    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]> {
        let memory = self.externs.memory(self.id, memory)?;
        Ok(memory.data_mut(&mut self.store))
    }

    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64> {
        let memory = self.externs.memory(self.id, memory)?;
        crate::store_items::grow_memory(&mut self.store, memory, pages)
    }

    fn table_size(&mut self, table: Extern) -> Result<u64> {
        Ok(self.externs.table(self.id, table)?.size(&self.store))
    }

    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val> {
        let table = self.externs.table(self.id, table)?;
        crate::store_items::get_element(&mut self.store, table, index)
    }

    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()> {
        let table = self.externs.table(self.id, table)?;
        crate::store_items::set_element(&mut self.store, table, index, value)
    }

    fn table_grow(&mut self, table: Extern, delta: u64, init: Val) -> Result<u64> {
        crate::store_items::table_grow(self, table, delta, init)
    }

    fn global_get(&mut self, global: Extern) -> Result<Val> {
        let global = self.externs.global(self.id, global)?;
        crate::store_items::get_global(&mut self.store, global)
    }

    fn global_set(&mut self, global: Extern, value: Val) -> Result<()> {
        let global = self.externs.global(self.id, global)?;
        crate::store_items::set_global(&mut self.store, global, "global", value)
    }

    fn memory(&mut self, name: &str) -> Result<&mut [u8]> {
        let memory = match self.instance {
            Some(instance) => instance.get_memory(&mut self.store, name),
            None => None,
        };
        match memory {
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
            .current(name)?
            .get_global(&mut self.store, name)
            .ok_or_else(|| Self::export_error(name, "no such global"))?;
        crate::store_items::get_global(&mut self.store, global)
    }

    fn set_global(&mut self, name: &str, value: Val) -> Result<()> {
        let global = self
            .current(name)?
            .get_global(&mut self.store, name)
            .ok_or_else(|| Self::export_error(name, "no such global"))?;
        if global.ty(&self.store).mutability() != wasmtime::Mutability::Var {
            return Err(Self::export_error(name, "is an immutable global"));
        }
        crate::store_items::set_global(&mut self.store, global, &format!("global `{name}`"), value)
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
