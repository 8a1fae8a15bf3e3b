//! Host functions, defined once and accepted by every engine, and the per-instance host state
//! they work on.

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::{Error, LinkError, LinkProblem, Result};
use crate::externs::{Exports, Extern};
use crate::import_match::{func_import_accepts, import_accepts};
use crate::limits::Limits;
use crate::native_wrap::{HostFn, NativeWrap};
use crate::typed::WasmTuple;
use crate::val_buf::{BitsBuf, ValBuf};
use crate::value::{ExternType, FuncType, ImportInfo, ModuleInfo, Val};

/// Why a host function failed. The backend turns it into [`Error::Trap`] with
/// [`TrapCode::HostError`](crate::TrapCode::HostError), or into [`Error::Exit`].
///
/// Any error converts into it, so `?` works inside a host function on an `io::Error` or the
/// embedder's own error type; the embedder gets that error back from the call's [`Error`]
/// with [`Error::host_error`]. (That conversion is why `HostError` is not itself a
/// `std::error::Error`, as with `anyhow::Error`.)
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum HostError {
    /// Stop the guest with a trap carrying this message.
    Trap(String),
    /// End the guest as if it exited with this status (WASI `proc_exit`).
    Exit(i32),
    /// Stop the guest with a trap caused by this error.
    Error(Arc<dyn std::error::Error + Send + Sync>),
}

impl HostError {
    /// A trap with this message.
    pub fn trap(message: impl Into<String>) -> Self {
        HostError::Trap(message.into())
    }

    /// The wasmux error a backend reports for it.
    pub fn into_error(self) -> Error {
        match self {
            HostError::Trap(message) => {
                Error::Trap(crate::Trap::new(crate::TrapCode::HostError, message))
            }
            HostError::Exit(status) => Error::Exit(status),
            HostError::Error(source) => Error::Trap(crate::Trap::host(source)),
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HostError {
    fn from(error: E) -> Self {
        HostError::Error(Arc::new(error))
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Trap(message) => f.write_str(message),
            HostError::Exit(status) => write!(f, "exit with status {status}"),
            HostError::Error(source) => fmt::Display::fmt(source, f),
        }
    }
}

/// Equal when both are the same trap message or exit status, or carry the very same error.
impl PartialEq for HostError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HostError::Trap(a), HostError::Trap(b)) => a == b,
            (HostError::Exit(a), HostError::Exit(b)) => a == b,
            (HostError::Error(a), HostError::Error(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for HostError {}

/// What an instance's host functions share: the embedder's data and, beside it, the state of
/// a host interface such as WASI (the `wasmux-wasi` crate keeps its context there), so that
/// neither has to hold the other and the contract needs no WASI.
pub struct HostState {
    data: Box<dyn Any + Send>,
    data_type: DataType,
    extension: Option<Box<dyn Any + Send>>,
}

/// The type of an instance's host data, as host functions made for it record it and linking
/// compares it. For backends, which pass [`HostState::data_type`] to [`Imports::resolve`].
#[derive(Clone, Copy, Debug)]
pub struct DataType {
    id: TypeId,
    name: &'static str,
}

impl DataType {
    /// The type `T`.
    pub fn of<T: Any>() -> Self {
        DataType { id: TypeId::of::<T>(), name: std::any::type_name::<T>() }
    }

    /// Host functions made for `()` use no host data and so link with any.
    fn is_unit(self) -> bool {
        self.id == TypeId::of::<()>()
    }
}

impl PartialEq for DataType {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for DataType {}

impl Default for HostState {
    fn default() -> Self {
        HostState::new(())
    }
}

impl HostState {
    /// State holding the embedder's `data`.
    pub fn new<T: Any + Send>(data: T) -> Self {
        HostState { data: Box::new(data), data_type: DataType::of::<T>(), extension: None }
    }

    /// The embedder's data, if it has type `T`: for reading it after a call. Host functions
    /// get it typed, without an `Option`, from [`Caller::data_mut`].
    #[inline]
    pub fn data<T: Any>(&mut self) -> Option<&mut T> {
        self.data.downcast_mut()
    }

    /// The type of the embedder's data.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// The data as the `T` a linked host function was made for. Linking checked the type (see
    /// [`LinkProblem::HostData`]); comparing the recorded type with `T`'s here keeps a state
    /// swapped for another after linking from being misread, at the cost of one comparison.
    #[inline(always)]
    fn linked_data<T: Any>(&mut self) -> &mut T {
        if TypeId::of::<T>() == TypeId::of::<()>() {
            // SAFETY: `()` is a zero-sized type: any aligned non-null pointer is a valid `&mut ()`.
            return unsafe { std::ptr::NonNull::<T>::dangling().as_mut() };
        }
        if self.data_type.id != TypeId::of::<T>() {
            swapped_state(self.data_type, DataType::of::<T>());
        }
        // SAFETY: `data` holds a `T`: `data_type`, just compared, is set with it in `new`.
        unsafe { &mut *(self.data.as_mut() as *mut (dyn Any + Send) as *mut T) }
    }

    /// The host interface's state, if one of type `T` is installed.
    pub fn extension<T: Any>(&mut self) -> Option<&mut T> {
        self.extension.as_mut()?.downcast_mut()
    }

    /// Installs a host interface's state, replacing any before it.
    pub fn set_extension<T: Any + Send>(&mut self, state: T) {
        self.extension = Some(Box::new(state));
    }
}

#[cold]
#[inline(never)]
fn swapped_state(found: DataType, wanted: DataType) -> ! {
    panic!(
        "a host function made for host data of type `{}` was called with a host state holding a \
         `{}`: the instance's state was replaced after linking",
        wanted.name, found.name
    )
}

impl fmt::Debug for HostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostState")
            .field("data_type", &self.data_type.name)
            .field("extension", &self.extension.is_some())
            .finish_non_exhaustive()
    }
}

/// What a host function sees of its caller: the caller's exported linear memory `memory`
/// (if it has one), any other export by name ([`Caller::get_export`]), the embedder's host
/// data of type `T`, and the whole host state.
///
/// A backend lends it through [`CallerAccess`], so nothing is looked up until the function
/// asks: a host function that touches neither memory nor state costs no lookup at all.
#[repr(transparent)]
pub struct Caller<'a, T = ()> {
    access: Access<'a>,
    data: PhantomData<fn() -> T>,
}

enum Access<'a> {
    Lent { memory: Option<&'a mut [u8]>, state: &'a mut HostState },
    Engine(&'a mut dyn CallerAccess),
}

/// How a backend lends a host function its caller's memory, exports and the host state, on
/// demand. For backends; see [`Caller::lend`].
pub trait CallerAccess: CallerExports {
    /// The caller's export `memory` (if it has one) and the host state, borrowed together.
    fn memory_and_state(&mut self) -> (Option<&mut [u8]>, &mut HostState);
    /// The host state alone, without looking for a memory.
    fn state(&mut self) -> &mut HostState;
}

/// How a backend lends a host function its caller's exports by name, and works on them.
/// For backends; see [`Caller::get_export`].
pub trait CallerExports {
    /// The calling instance's export `name`, as a handle valid until the host function
    /// returns (see [`CallerExterns`](crate::backend::CallerExterns)).
    fn get_export(&mut self, name: &str) -> Option<Extern>;
    /// The type of such a handle's item now (a memory's or table's current size as minimum).
    fn extern_type(&mut self, item: Extern) -> Result<ExternType>;
    /// A memory's bytes.
    fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]>;
    /// Grows a memory by `pages`, returning the old size in pages.
    fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64>;
    /// A table's size in elements.
    fn table_size(&mut self, table: Extern) -> Result<u64>;
    /// A table's element `index`.
    fn table_get(&mut self, table: Extern, index: u64) -> Result<Val>;
    /// Sets a table's element `index`.
    fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()>;
    /// A global's value.
    fn global_get(&mut self, global: Extern) -> Result<Val>;
    /// Sets a mutable global.
    fn global_set(&mut self, global: Extern, value: Val) -> Result<()>;
    /// Calls a function of the caller, re-entering the guest, and returns its results.
    fn call(&mut self, func: Extern, params: &[Val]) -> Result<Vec<Val>>;
}

impl<'a> Caller<'a> {
    /// A caller view of `memory` and `state`, lent as they are (for tests of host functions,
    /// and backends that have both at hand).
    pub fn new(memory: Option<&'a mut [u8]>, state: &'a mut HostState) -> Self {
        Caller { access: Access::Lent { memory, state }, data: PhantomData }
    }

    /// A caller view that asks `access` for memory and state only when the function does.
    /// For backends.
    #[inline(always)]
    pub fn lend(access: &'a mut dyn CallerAccess) -> Self {
        Caller { access: Access::Engine(access), data: PhantomData }
    }

    /// The same view, for a function made for host data of type `T`.
    #[inline(always)]
    pub fn with_data<T>(&mut self) -> &mut Caller<'a, T> {
        // SAFETY: `Caller` is `repr(transparent)` over `Access`, whatever `T`: the same layout.
        // `T` only selects what `data_mut` reads, and that checks the state's data type.
        unsafe { &mut *(self as *mut Caller<'a> as *mut Caller<'a, T>) }
    }
}

impl<T: Any> Caller<'_, T> {
    /// The caller's linear memory, if it exports one named `memory`.
    #[inline]
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        self.split().0
    }

    /// The instance's host state: the host data and a host interface's state (WASI).
    #[inline]
    pub fn state(&mut self) -> &mut HostState {
        match &mut self.access {
            Access::Lent { state, .. } => state,
            Access::Engine(access) => access.state(),
        }
    }

    /// Memory and state at once, for functions that need both.
    #[inline]
    pub fn split(&mut self) -> (Option<&mut [u8]>, &mut HostState) {
        match &mut self.access {
            Access::Lent { memory, state } => (memory.as_deref_mut(), state),
            Access::Engine(access) => access.memory_and_state(),
        }
    }

    /// The embedder's host data.
    #[inline]
    pub fn data(&mut self) -> &T {
        self.data_mut()
    }

    /// The embedder's host data, to change.
    #[inline]
    pub fn data_mut(&mut self) -> &mut T {
        self.state().linked_data()
    }

    /// Memory and host data at once.
    #[inline]
    pub fn memory_and_data(&mut self) -> (Option<&mut [u8]>, &mut T) {
        let (memory, state) = self.split();
        (memory, state.linked_data())
    }

    /// The calling instance's export `name` (any kind), as wasmtime's `Caller::get_export`
    /// gives it. The handle is valid until this host function returns; use it with this
    /// `Caller`'s methods.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        match &mut self.access {
            Access::Lent { .. } => None,
            Access::Engine(access) => access.get_export(name),
        }
    }

    /// The type of an item from [`Caller::get_export`], a memory's and a table's current size
    /// as its minimum.
    pub fn extern_type(&mut self, item: Extern) -> Result<ExternType> {
        self.engine()?.extern_type(item)
    }

    /// The bytes of a memory from [`Caller::get_export`].
    pub fn memory_data(&mut self, memory: Extern) -> Result<&mut [u8]> {
        self.engine()?.memory_data(memory)
    }

    /// Grows a memory from [`Caller::get_export`] by `pages`; returns its old size in pages.
    pub fn memory_grow(&mut self, memory: Extern, pages: u64) -> Result<u64> {
        self.engine()?.memory_grow(memory, pages)
    }

    /// The number of elements of a table from [`Caller::get_export`].
    pub fn table_size(&mut self, table: Extern) -> Result<u64> {
        self.engine()?.table_size(table)
    }

    /// Element `index` of a table from [`Caller::get_export`].
    pub fn table_get(&mut self, table: Extern, index: u64) -> Result<Val> {
        self.engine()?.table_get(table, index)
    }

    /// Sets element `index` of a table from [`Caller::get_export`].
    pub fn table_set(&mut self, table: Extern, index: u64, value: Val) -> Result<()> {
        self.engine()?.table_set(table, index, value)
    }

    /// The value of a global from [`Caller::get_export`].
    pub fn global_get(&mut self, global: Extern) -> Result<Val> {
        self.engine()?.global_get(global)
    }

    /// Sets a mutable global from [`Caller::get_export`].
    pub fn global_set(&mut self, global: Extern, value: Val) -> Result<()> {
        self.engine()?.global_set(global, value)
    }

    /// Calls a function from [`Caller::get_export`]: the guest runs again, inside this host
    /// call (for example its allocator, to make room for what the host writes).
    pub fn call(&mut self, func: Extern, params: &[Val]) -> Result<Vec<Val>> {
        self.engine()?.call(func, params)
    }

    fn engine(&mut self) -> Result<&mut dyn CallerAccess> {
        match &mut self.access {
            Access::Lent { .. } => Err(Error::InvalidArgument(
                "a caller made by `Caller::new` has no instance, so no exports".into(),
            )),
            Access::Engine(access) => Ok(&mut **access),
        }
    }

    /// `len` bytes of guest memory at `ptr`, bounds-checked.
    #[inline]
    pub fn read(&mut self, ptr: u64, len: u64) -> Result<&[u8], HostError> {
        let memory = self.memory().ok_or_else(no_memory)?;
        let range = guest_range(memory.len(), ptr, len)?;
        Ok(&memory[range])
    }

    /// Copies `bytes` into guest memory at `ptr`, bounds-checked.
    #[inline]
    pub fn write(&mut self, ptr: u64, bytes: &[u8]) -> Result<(), HostError> {
        let memory = self.memory().ok_or_else(no_memory)?;
        let range = guest_range(memory.len(), ptr, bytes.len() as u64)?;
        memory[range].copy_from_slice(bytes);
        Ok(())
    }
}

fn no_memory() -> HostError {
    HostError::trap("the calling module exports no memory named `memory`")
}

fn guest_range(size: usize, ptr: u64, len: u64) -> Result<std::ops::Range<usize>, HostError> {
    match ptr.checked_add(len) {
        Some(end) if end <= size as u64 => Ok(ptr as usize..end as usize),
        _ => Err(HostError::trap(format!(
            "guest range {ptr}+{len} is outside memory of {size} bytes"
        ))),
    }
}

impl<T> fmt::Debug for Caller<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Caller");
        if let Access::Lent { memory, .. } = &self.access {
            debug.field("memory_bytes", &memory.as_ref().map(|m| m.len()));
        }
        debug.finish_non_exhaustive()
    }
}

/// The body of a host function on [`Val`]s: reads `params`, writes `results` (already sized
/// and typed), working on host data of type `T` (`()`: none).
pub trait HostValFn<T = ()>:
    Fn(&mut Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), HostError> + Send + Sync + 'static
{
}

impl<T, F> HostValFn<T> for F where
    F: Fn(&mut Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), HostError> + Send + Sync + 'static
{
}

/// The body of a host function: reads `params`, writes `results` (already sized and typed).
pub type HostCallback =
    dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), HostError> + Send + Sync;

/// The body of a host function made by [`HostFunc::wrap`]: its values as bits (see
/// [`HostFunc::call_bits`]), so a backend passes them without building [`Val`]s.
type BitsCallback = dyn Fn(&mut Caller<'_>, &mut [u128]) -> Result<(), HostError> + Send + Sync;

enum Body {
    Vals(Box<HostCallback>),
    Bits(Box<BitsCallback>),
}

struct HostFuncInner {
    module: String,
    name: String,
    ty: FuncType,
    body: Body,
    /// The host data type the function was made for, unless it uses none.
    data_type: Option<DataType>,
    /// The same function in engines' own typed forms (see [`HostFunc::wrap_for`]).
    natives: Vec<Box<dyn Any + Send + Sync>>,
}

/// A host function, importable as `module::name`. Cheap to clone.
#[derive(Clone)]
pub struct HostFunc(Arc<HostFuncInner>);

impl HostFunc {
    /// A host function of type `ty` running `callback`.
    pub fn new(
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        callback: impl HostValFn,
    ) -> Self {
        Self::with_body(module, name, ty, Body::Vals(Box::new(callback)), None, Vec::new())
    }

    /// [`HostFunc::new`] for a function that works on host data of type `T`
    /// ([`Caller::data_mut`]). Instances whose host data has another type refuse it at link
    /// time ([`LinkProblem::HostData`]).
    pub fn new_with_data<T: Any + Send>(
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        callback: impl HostValFn<T>,
    ) -> Self {
        let body = move |caller: &mut Caller<'_>, params: &[Val], results: &mut [Val]| {
            callback(caller.with_data(), params, results)
        };
        Self::from_vals(module, name, ty, body, Some(DataType::of::<T>()), Vec::new())
    }

    /// A host function on [`Val`]s. `data_type` is the host data it works on, if any;
    /// `natives` are the same function in engines' own forms, found with [`HostFunc::native`].
    pub(crate) fn from_vals(
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        callback: impl HostValFn,
        data_type: Option<DataType>,
        natives: Vec<Box<dyn Any + Send + Sync>>,
    ) -> Self {
        Self::with_body(module, name, ty, Body::Vals(Box::new(callback)), data_type, natives)
    }

    /// A host function of numbers and vectors only, running on bits: `callback` gets
    /// [`HostFunc::call_bits`]'s slots. `data_type` and `natives` as for `from_vals`.
    pub(crate) fn from_bits(
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        callback: impl Fn(&mut Caller<'_>, &mut [u128]) -> Result<(), HostError> + Send + Sync + 'static,
        data_type: Option<DataType>,
        natives: Vec<Box<dyn Any + Send + Sync>>,
    ) -> Self {
        debug_assert!(ty.is_numeric());
        Self::with_body(module, name, ty, Body::Bits(Box::new(callback)), data_type, natives)
    }

    fn with_body(
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        body: Body,
        data_type: Option<DataType>,
        natives: Vec<Box<dyn Any + Send + Sync>>,
    ) -> Self {
        HostFunc(Arc::new(HostFuncInner {
            module: module.into(),
            name: name.into(),
            ty,
            body,
            data_type: data_type.filter(|t| !t.is_unit()),
            natives,
        }))
    }

    /// The type of host data the function works on, if it uses any.
    pub fn data_type(&self) -> Option<DataType> {
        self.0.data_type
    }

    /// How many engines' own typed forms the function carries ([`HostFunc::wrap_for`]): each
    /// of those engines calls it as its own typed host function.
    pub fn native_forms(&self) -> usize {
        self.0.natives.len()
    }

    /// The function's native form of type `N`, if [`HostFunc::wrap_for`] made one: how a
    /// backend finds its engine's own typed host function. For backends.
    #[inline]
    pub fn native<N: Any>(&self) -> Option<&N> {
        self.0.natives.iter().find_map(|native| native.downcast_ref())
    }

    /// The import module name.
    pub fn module(&self) -> &str {
        &self.0.module
    }

    /// The import field name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The signature.
    pub fn ty(&self) -> &FuncType {
        &self.0.ty
    }

    /// Whether `self` and `other` are clones of one function, so an engine may reuse what
    /// it prepared for one as the other.
    pub fn same(&self, other: &HostFunc) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Runs the function. For backends: `params` must match the signature and `results` must
    /// hold one value of each result type.
    pub fn call(
        &self,
        caller: &mut Caller<'_>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), HostError> {
        let callback = match &self.0.body {
            Body::Vals(callback) => callback,
            Body::Bits(_) => {
                let mut bits = BitsBuf::new(params.len().max(results.len()));
                for (slot, param) in bits.as_mut_slice().iter_mut().zip(params) {
                    *slot = param.to_bits().unwrap_or(0);
                }
                self.call_bits(caller, bits.as_mut_slice())?;
                for ((result, ty), bits) in
                    results.iter_mut().zip(self.0.ty.results()).zip(bits.as_mut_slice())
                {
                    *result = Val::from_bits(*ty, *bits);
                }
                return Ok(());
            }
        };
        callback(caller, params, results)?;
        match results.iter().zip(self.0.ty.results()).find(|(v, t)| !t.accepts(v)) {
            Some((value, expected)) => Err(HostError::trap(format!(
                "host function `{}::{}` returned {} where {expected} was declared",
                self.0.module,
                self.0.name,
                value.ty()
            ))),
            None => Ok(()),
        }
    }

    /// Runs a function whose signature is all numbers and vectors
    /// ([`FuncType::is_numeric`]) on bits: `bits` has a slot for each parameter and for each
    /// result (as many as the longer list), holds the parameters' bits on entry (see
    /// [`WasmTy::to_bits`](crate::WasmTy::to_bits)) and the results' on return. Functions
    /// made by [`HostFunc::wrap`] run without building a single [`Val`].
    pub fn call_bits(&self, caller: &mut Caller<'_>, bits: &mut [u128]) -> Result<(), HostError> {
        match &self.0.body {
            Body::Bits(callback) => callback(caller, bits),
            Body::Vals(_) => {
                let ty = &self.0.ty;
                let mut params = ValBuf::zeroed(ty.params());
                for ((param, ty), bits) in
                    params.as_mut_slice().iter_mut().zip(ty.params()).zip(&*bits)
                {
                    *param = Val::from_bits(*ty, *bits);
                }
                let mut results = ValBuf::zeroed(ty.results());
                self.call(caller, params.as_mut_slice(), results.as_mut_slice())?;
                for (slot, result) in bits.iter_mut().zip(results.as_mut_slice().iter()) {
                    *slot = result.to_bits().unwrap_or(0);
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for HostFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostFunc({}::{} {})", self.0.module, self.0.name, self.0.ty)
    }
}

/// What is offered to a module: host functions, and functions, memories, tables, globals and
/// tags of a store ([`Extern`]s), each under an import module and field name. A later
/// definition of the same `module::name` replaces the earlier one.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    funcs: Vec<HostFunc>,
    externs: Vec<(String, String, Extern)>,
}

/// What one import of a module resolved to.
#[derive(Clone, Debug)]
pub enum Resolved {
    /// A host function.
    Host(HostFunc),
    /// Something living in the store the module is instantiated into.
    Extern(Extern),
}

impl Resolved {
    /// The store items `resolved` names (as [`Imports::resolve_each_over`] gives them), in
    /// order and each made the engine's own by `engine_item`, when it names no host function:
    /// an engine instantiates with those directly, with no linker to build, fill and drop.
    /// `None` as soon as it names a host function; an error as soon as an import fails to
    /// resolve.
    pub fn only_items<T>(
        resolved: impl IntoIterator<Item = Result<Resolved>>,
        mut engine_item: impl FnMut(Extern) -> Result<T>,
    ) -> Result<Option<Vec<T>>> {
        let resolved = resolved.into_iter();
        let mut items = Vec::with_capacity(resolved.size_hint().0);
        for resolved in resolved {
            match resolved? {
                Resolved::Extern(item) => items.push(engine_item(item)?),
                Resolved::Host(_) => return Ok(None),
            }
        }
        Ok(Some(items))
    }
}

impl Imports {
    /// No imports.
    pub fn new() -> Self {
        Imports::default()
    }

    /// Adds a host function.
    pub fn func(&mut self, func: HostFunc) -> &mut Self {
        self.externs.retain(|(m, n, _)| m != func.module() || n != func.name());
        match self.funcs.iter_mut().find(|f| f.module() == func.module() && f.name() == func.name())
        {
            Some(existing) => *existing = func,
            None => self.funcs.push(func),
        }
        self
    }

    /// Offers `item`, which lives in the store the module will be instantiated into, as
    /// `module::name`.
    pub fn define(&mut self, module: &str, name: &str, item: Extern) -> &mut Self {
        self.funcs.retain(|f| f.module() != module || f.name() != name);
        match self.externs.iter_mut().find(|(m, n, _)| m == module && n == name) {
            Some(existing) => existing.2 = item,
            None => self.externs.push((module.to_string(), name.to_string(), item)),
        }
        self
    }

    /// Offers every export of an instance under the import module name `module`, as
    /// wasmtime's `Linker::instance` does.
    pub fn instance(&mut self, module: &str, exports: &Exports) -> &mut Self {
        for (info, item) in exports.iter() {
            self.define(module, &info.name, item);
        }
        self
    }

    /// The host function offered as `module::name`.
    pub fn get(&self, module: &str, name: &str) -> Option<&HostFunc> {
        self.funcs.iter().find(|f| f.module() == module && f.name() == name)
    }

    /// The store item offered as `module::name`.
    pub fn get_extern(&self, module: &str, name: &str) -> Option<Extern> {
        self.externs.iter().find(|(m, n, _)| m == module && n == name).map(|(_, _, item)| *item)
    }

    /// Every host function, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &HostFunc> {
        self.funcs.iter()
    }

    /// Adds everything `other` offers, replacing what this offers under the same names.
    pub fn extend(&mut self, other: &Imports) -> &mut Self {
        for func in &other.funcs {
            self.func(func.clone());
        }
        for (module, name, item) in &other.externs {
            self.define(module, name, *item);
        }
        self
    }

    /// Whether anything but host functions is offered.
    pub fn has_externs(&self) -> bool {
        !self.externs.is_empty()
    }

    /// Resolves every import of `module` to a host function, in import order, or names the
    /// first import that cannot be satisfied. For imports offering host functions only
    /// ([`has_externs`](Self::has_externs) false); see [`resolve_all`](Self::resolve_all).
    /// `data` is the type of the instance's host data ([`HostState::data_type`]), which every
    /// function made for host data must work on.
    pub fn resolve(&self, module: &ModuleInfo, data: DataType) -> Result<Vec<HostFunc>> {
        // One pass and one vector: this is every instantiation's path.
        module
            .imports
            .iter()
            .map(|import| match self.resolve_import(import, data, |_| unreachable_extern())? {
                Resolved::Host(func) => Ok(func),
                Resolved::Extern(_) => unreachable_extern(),
            })
            .collect()
    }

    /// Resolves every import of `module`, in import order, or names the first import that
    /// cannot be satisfied: missing, or provided with a type the import does not accept
    /// ([`import_accepts`]). `type_of` gives a store item's current type. Every backend links
    /// through this, so a link error reads the same on every engine.
    pub fn resolve_all(
        &self,
        module: &ModuleInfo,
        data: DataType,
        mut type_of: impl FnMut(Extern) -> Result<ExternType>,
    ) -> Result<Vec<Resolved>> {
        module
            .imports
            .iter()
            .map(|import| self.resolve_import(import, data, &mut type_of))
            .collect()
    }

    /// [`resolve_all`](Self::resolve_all) of what `self` offers over what `base` offers (a
    /// store's own imports): as if `base` were extended by `self`, an import `self` offers, of
    /// any kind, is taken from `self` and any other from `base`, without copying either.
    pub fn resolve_all_over(
        &self,
        base: &Imports,
        module: &ModuleInfo,
        data: DataType,
        type_of: impl FnMut(Extern) -> Result<ExternType>,
    ) -> Result<Vec<Resolved>> {
        self.resolve_each_over(base, module, data, type_of).collect()
    }

    /// [`resolve_all_over`](Self::resolve_all_over) one import at a time, in import order, so
    /// that an engine can map each to its own item without collecting them first.
    pub fn resolve_each_over<'a>(
        &'a self,
        base: &'a Imports,
        module: &'a ModuleInfo,
        data: DataType,
        mut type_of: impl FnMut(Extern) -> Result<ExternType> + 'a,
    ) -> impl Iterator<Item = Result<Resolved>> + 'a {
        module.imports.iter().map(move |import| {
            let offer = self.offer(import).or_else(|| base.offer(import));
            resolve_offer(import, offer, data, &mut type_of)
        })
    }

    /// What this offers for `import`, by its module and name.
    fn offer(&self, import: &ImportInfo) -> Option<Offer<'_>> {
        match self.get(&import.module, &import.name) {
            Some(func) => Some(Offer::Host(func)),
            None => self.get_extern(&import.module, &import.name).map(Offer::Item),
        }
    }

    fn resolve_import(
        &self,
        import: &ImportInfo,
        data: DataType,
        type_of: impl FnMut(Extern) -> Result<ExternType>,
    ) -> Result<Resolved> {
        resolve_offer(import, self.offer(import), data, type_of)
    }
}

/// What an [`Imports`] offers for one import.
enum Offer<'a> {
    Host(&'a HostFunc),
    Item(Extern),
}

/// `offer` checked against `import`: a host function of the import's type working on host
/// data of type `data`, or a store item whose current type (`type_of`) the import accepts.
fn resolve_offer(
    import: &ImportInfo,
    offer: Option<Offer<'_>>,
    data: DataType,
    mut type_of: impl FnMut(Extern) -> Result<ExternType>,
) -> Result<Resolved> {
    let link_error = |problem| {
        Error::Link(Box::new(LinkError {
            module: import.module.clone(),
            field: import.name.clone(),
            expected: import.ty.clone(),
            problem,
        }))
    };
    match offer {
        None => Err(link_error(LinkProblem::Missing)),
        // Compared in place, not through a cloned type: this is every instantiation's path.
        Some(Offer::Host(func)) if !func_import_accepts(&import.ty, func.ty()) => {
            Err(link_error(LinkProblem::Mismatch { found: ExternType::Func(func.ty().clone()) }))
        }
        Some(Offer::Host(func)) => match func.data_type() {
            Some(wanted) if wanted != data => {
                Err(link_error(LinkProblem::HostData { expected: wanted.name, found: data.name }))
            }
            _ => Ok(Resolved::Host(func.clone())),
        },
        Some(Offer::Item(item)) => {
            let found = type_of(item)?;
            if import_accepts(&import.ty, &found) {
                Ok(Resolved::Extern(item))
            } else {
                Err(link_error(LinkProblem::Mismatch { found }))
            }
        }
    }
}

fn unreachable_extern<T>() -> Result<T> {
    Err(Error::InvalidArgument(
        "a memory, table, global or function of a store was offered to a new instance, which \
         has a store of its own: instantiate into that store (`Engine::instantiate_in`)"
            .into(),
    ))
}

/// Everything the host gives one instance: host functions, limits, and state holding the
/// embedder's host data of type `T`, which host functions made through this environment
/// ([`HostEnv::wrap`], [`HostEnv::func_new`]) reach as [`Caller::data_mut`].
///
/// ```
/// use wasmux_core::{HostEnv, HostError};
/// #[derive(Default)]
/// struct Calls(u32);
/// let mut env = HostEnv::with_data(Calls::default());
/// env.wrap("host", "tick", |caller, by: u32| {
///     caller.data_mut().0 += by;
///     Ok::<_, HostError>(caller.data().0)
/// });
/// ```
pub struct HostEnv<T = ()> {
    /// Functions and other items the module may import.
    pub imports: Imports,
    /// Limits on the instance.
    pub limits: Limits,
    /// State the host functions share: the host data (a `T`) and a host interface's state.
    pub state: HostState,
    data: PhantomData<fn() -> T>,
}

impl HostEnv {
    /// No imports, no limits, no host data.
    pub fn new() -> Self {
        HostEnv::with_data(())
    }
}

impl Default for HostEnv {
    fn default() -> Self {
        HostEnv::new()
    }
}

impl<T: Any + Send> HostEnv<T> {
    /// No imports, no limits, and `data` as the host data.
    pub fn with_data(data: T) -> Self {
        HostEnv {
            imports: Imports::new(),
            limits: Limits::default(),
            state: HostState::new(data),
            data: PhantomData,
        }
    }

    /// Replaces the host data.
    pub fn data(&mut self, data: T) -> &mut Self {
        let extension = self.state.extension.take();
        self.state = HostState::new(data);
        self.state.extension = extension;
        self
    }

    /// Offers a host function.
    pub fn func(&mut self, func: HostFunc) -> &mut Self {
        self.imports.func(func);
        self
    }

    /// Offers `body` as the host function `module::name`, its type derived from its Rust
    /// signature; it reaches the host data through its [`Caller`]. As [`HostFunc::wrap`].
    pub fn wrap<P: WasmTuple, R: WasmTuple>(
        &mut self,
        module: impl Into<String>,
        name: impl Into<String>,
        body: impl HostFn<P, R, T>,
    ) -> &mut Self {
        self.func(HostFunc::wrap_with_data::<T, (), P, R>(module, name, body))
    }

    /// [`HostEnv::wrap`], plus the function in the own typed form of each engine `E` names,
    /// as [`HostFunc::wrap_for`].
    pub fn wrap_for<E: NativeWrap<P, R, T>, P: WasmTuple, R: WasmTuple>(
        &mut self,
        module: impl Into<String>,
        name: impl Into<String>,
        body: impl HostFn<P, R, T>,
    ) -> &mut Self {
        self.func(HostFunc::wrap_with_data::<T, E, P, R>(module, name, body))
    }

    /// Offers a host function on [`Val`]s, as [`HostFunc::new`], that reaches the host data
    /// through its [`Caller`].
    pub fn func_new(
        &mut self,
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        callback: impl HostValFn<T>,
    ) -> &mut Self {
        self.func(HostFunc::new_with_data(module, name, ty, callback))
    }

    /// Replaces the set of imports.
    pub fn imports(&mut self, imports: Imports) -> &mut Self {
        self.imports = imports;
        self
    }

    /// Sets the limits.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// The limits, to set one by one: `env.limits_mut().fuel(10_000)`.
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// The same environment with its host data's type forgotten, for an engine chosen at run
    /// time ([`DynEngine`](crate::DynEngine)): the data stays, and linking still checks that
    /// every function made for host data works on its type.
    pub fn erase(self) -> HostEnv {
        HostEnv { imports: self.imports, limits: self.limits, state: self.state, data: PhantomData }
    }
}

impl<T> fmt::Debug for HostEnv<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostEnv")
            .field("imports", &self.imports)
            .field("limits", &self.limits)
            .field("state", &self.state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ValType;

    fn call_vals(func: &HostFunc, params: &[Val]) -> Result<Vec<Val>, HostError> {
        let mut state = HostState::default();
        let mut results: Vec<Val> =
            func.ty().results().iter().map(|t| Val::default_for(*t)).collect();
        func.call(&mut Caller::new(None, &mut state), params, &mut results)?;
        Ok(results)
    }

    fn call_bits(func: &HostFunc, bits: &mut [u128]) -> Result<(), HostError> {
        let mut state = HostState::default();
        func.call_bits(&mut Caller::new(None, &mut state), bits)
    }

    /// A wrapped function, which runs on bits, answers calls through `Val`s too.
    #[test]
    fn wrapped_function_called_with_vals() {
        let split = HostFunc::wrap("m", "split", |_caller, v: i64| {
            Ok::<_, HostError>(((v >> 32) as i32, v as f32, -(v as f64)))
        });
        let results = call_vals(&split, &[Val::I64((7 << 32) | 3)]).expect("split");
        let v = ((7i64 << 32) | 3) as f64;
        assert_eq!(results, vec![Val::I32(7), Val::from(v as f32), Val::from(-v)]);
    }

    /// A function on `Val`s answers calls with bits, results written over the parameters.
    #[test]
    fn val_function_called_with_bits() {
        let ty = FuncType::new([ValType::I32, ValType::F32], [ValType::F64]);
        let scale = HostFunc::new("m", "scale", ty, |_caller, params, results| {
            let factor = f64::from(params[1].f32().expect("f32 parameter"));
            results[0] = Val::from(f64::from(params[0].i32().expect("i32 parameter")) * factor);
            Ok(())
        });
        let mut bits = [u128::from((-4i32) as u32), u128::from(2.5f32.to_bits())];
        call_bits(&scale, &mut bits).expect("scale");
        assert_eq!(bits[0], u128::from((-10.0f64).to_bits()));
    }

    /// Errors come through either path unchanged.
    #[test]
    fn errors_pass_through_both_paths() {
        let fail = HostFunc::wrap("m", "fail", |_caller, code: i32| -> Result<(), HostError> {
            Err(HostError::Exit(code))
        });
        assert_eq!(call_vals(&fail, &[Val::I32(3)]), Err(HostError::Exit(3)));
        assert_eq!(call_bits(&fail, &mut [4]), Err(HostError::Exit(4)));
    }

    /// Host data reaches a function made for its type, typed; a state of another type, which
    /// linking would have refused, is never misread.
    #[test]
    fn typed_data_is_checked_against_the_state() {
        let bump = HostFunc::wrap_with_data::<u32, (), _, _>("m", "bump", |caller, by: u32| {
            *caller.data_mut() += by;
            Ok::<_, HostError>(*caller.data())
        });
        let mut state = HostState::new(40u32);
        let mut bits = [2u128];
        bump.call_bits(&mut Caller::new(None, &mut state), &mut bits).expect("bump");
        assert_eq!((bits[0], state.data::<u32>().copied()), (42, Some(42)));

        let mut other = HostState::new(String::from("not a u32"));
        let misread = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            bump.call_bits(&mut Caller::new(None, &mut other), &mut [1])
        }));
        let message = crate::error::panic_message(&*misread.expect_err("refused"));
        assert!(message.contains("`u32`") && message.contains("String"), "{message}");
    }

    /// Replacing the host data keeps a host interface's state.
    #[test]
    fn replacing_data_keeps_the_extension() {
        let mut env = HostEnv::with_data(1u8);
        env.state.set_extension("wasi");
        env.data(2u8);
        assert_eq!(env.state.data::<u8>().copied(), Some(2));
        assert_eq!(env.state.extension::<&str>().copied(), Some("wasi"));
    }
}
