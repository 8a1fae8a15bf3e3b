//! wasmux host functions as wasmtime functions.
//!
//! A function made by `HostFunc::wrap_for::<WasmtimeEngine>` is defined as what it is, a
//! closure of known parameter and result types: wasmtime's array-call trampoline for it is
//! monomorphic, as `func_wrap`'s is, and the closure reads its arguments straight from
//! wasmtime's raw value array.
//!
//! Any other function whose signature has only numbers and vectors is defined with
//! `Func::new_unchecked` too: its arguments go from the raw array to bits on the stack and
//! to the function ([`HostFunc::call_bits`]), so a host call allocates nothing. Signatures
//! with references go through `Func::new` and wasmtime's `Val`, which can root and unwrap them.

use std::any::Any;
use std::mem::MaybeUninit;
use std::sync::Arc;

use wasmtime::{AsContextMut, Caller, Extern, Linker, ValRaw};
use wasmux_core::backend::{BitsBuf, CallerAccess, ScopeMark, ValBuf};
use wasmux_core::{
    Caller as HostCaller, FuncType, HostError, HostFn, HostFunc, HostState, NativeWrap, Result,
    Val, ValType, WasmTuple,
};

use crate::WasmtimeEngine;
use crate::store::StoreData;
use crate::traps::carry;
use crate::values;

/// A function made by `HostFunc::wrap_for`, as a definer of its own typed form.
type DefineNative = dyn Fn(&mut Linker<StoreData>, &str, &str, wasmtime::FuncType) -> wasmtime::Result<()>
    + Send
    + Sync;

/// wasmtime's form of a function made by `HostFunc::wrap_for` (see [`HostFunc::native`]).
struct Native(Box<DefineNative>);

impl<P: WasmTuple, R: WasmTuple, T: Any> NativeWrap<P, R, T> for WasmtimeEngine {
    fn natives<F: HostFn<P, R, T>>(body: &Arc<F>, natives: &mut Vec<Box<dyn Any + Send + Sync>>) {
        if !(P::NUMERIC && R::NUMERIC) {
            // References must be rooted through wasmtime's `Val`: the general path does that.
            return;
        }
        let body = Arc::clone(body);
        let define = move |linker: &mut Linker<StoreData>, module: &str, name: &str, ty| {
            let body = Arc::clone(&body);
            let callback = move |mut caller: Caller<'_, StoreData>,
                                 raw: &mut [MaybeUninit<ValRaw>]| {
                call_native(&*body, &mut caller, raw)
            };
            // SAFETY: `ty` is the wasmtime form of `P -> R` (`HostFunc::wrap_for` derived the
            // function's type from them, and `Imports::resolve` matched the import against it),
            // and `call_native` reads exactly `P`'s parameters and writes exactly `R`'s results.
            unsafe { linker.func_new_unchecked(module, name, ty, callback) }.map(drop)
        };
        natives.push(Box::new(Native(Box::new(define))));
    }
}

/// One call of a typed host function: its arguments from the raw array, its results back.
#[inline(always)]
fn call_native<P: WasmTuple, R: WasmTuple, T: Any>(
    body: &impl HostFn<P, R, T>,
    caller: &mut Caller<'_, StoreData>,
    raw: &mut [MaybeUninit<ValRaw>],
) -> wasmtime::Result<()> {
    // wasmtime passes one slot per parameter or result, whichever are more: indexed unchecked,
    // as wasmtime's own typed functions do, since a length check per slot is measurable here.
    debug_assert!(raw.len() >= P::TYPES.len().max(R::TYPES.len()));
    let mut params = P::zero_bits();
    for (i, (slot, ty)) in params.as_mut().iter_mut().zip(P::TYPES).enumerate() {
        // SAFETY: wasmtime initialises the first `P::TYPES.len()` slots with the arguments.
        *slot = values::raw_to_bits(*ty, unsafe { raw.get_unchecked(i).assume_init_ref() });
    }
    let mut access = Access::new(caller);
    let mut host = HostCaller::lend(&mut access);
    let results = body(host.with_data(), P::from_bits(params.as_ref()))
        .map_err(|error| carry(error.into_error()))?;
    for (i, (ty, bits)) in R::TYPES.iter().zip(results.into_bits().as_ref()).enumerate() {
        // SAFETY: there is a slot for each result (see above).
        *unsafe { raw.get_unchecked_mut(i) } = MaybeUninit::new(values::bits_to_raw(*ty, *bits));
    }
    Ok(())
}

/// Defines `func` in `linker` as `module::name` with wasmtime type `ty`, which must be the
/// wasmtime form of `func.ty()` (the module's own import type, checked equal by
/// `Imports::resolve`).
pub(crate) fn define(
    linker: &mut Linker<StoreData>,
    module: &str,
    name: &str,
    ty: wasmtime::FuncType,
    func: HostFunc,
) -> wasmtime::Result<()> {
    if let Some(Native(define)) = func.native::<Native>() {
        return define(linker, module, name, ty);
    }
    if func.ty().is_numeric() {
        let callback = move |caller: Caller<'_, StoreData>, raw: &mut [MaybeUninit<ValRaw>]| {
            call_raw(&func, caller, raw)
        };
        // SAFETY: `ty` has the same parameter and result types as `func.ty()` (both describe
        // the import `Imports::resolve` matched), and `call_raw` reads exactly those
        // parameters and writes exactly those results, as raw numbers and vectors.
        unsafe { linker.func_new_unchecked(module, name, ty, callback) }?;
    } else {
        // With Wasm 3.0 reference types the host's own type may differ from the import's
        // (`(ref extern)` for `externref`): define the host's, so wasmtime's subtyping check
        // refuses what the function does not accept instead of handing it a null.
        let ty = if func
            .ty()
            .params()
            .iter()
            .chain(func.ty().results())
            .any(|t| matches!(t, ValType::Ref(_)))
        {
            own_type(linker.engine(), func.ty())?
        } else {
            ty
        };
        linker.func_new(module, name, ty, move |caller, params, results| {
            call_vals(&func, caller, params, results)
        })?;
    }
    Ok(())
}

/// The fast path: numbers and vectors only.
fn call_raw(
    func: &HostFunc,
    mut caller: Caller<'_, StoreData>,
    raw: &mut [MaybeUninit<ValRaw>],
) -> wasmtime::Result<()> {
    call_raw_in(func, &mut caller, raw, BitsBuf::new(raw.len()).as_mut_slice())
}

/// Runs `func` with `bits` (one slot per raw slot) between wasmtime's array and the function.
#[inline]
fn call_raw_in(
    func: &HostFunc,
    caller: &mut Caller<'_, StoreData>,
    raw: &mut [MaybeUninit<ValRaw>],
    bits: &mut [u128],
) -> wasmtime::Result<()> {
    let ty = func.ty();
    for ((slot, ty), raw) in bits.iter_mut().zip(ty.params()).zip(raw.iter()) {
        // SAFETY: wasmtime initialises the first `params().len()` slots with the arguments.
        *slot = values::raw_to_bits(*ty, unsafe { raw.assume_init_ref() });
    }
    run(caller, |host| func.call_bits(host, bits))?;
    for ((slot, ty), bits) in raw.iter_mut().zip(ty.results()).zip(bits.iter()) {
        *slot = MaybeUninit::new(values::bits_to_raw(*ty, *bits));
    }
    Ok(())
}

/// The wasmtime form of a host function's declared type.
fn own_type(engine: &wasmtime::Engine, ty: &FuncType) -> wasmtime::Result<wasmtime::FuncType> {
    let convert = |types: &[ValType]| {
        types.iter().map(|t| values::to_val_type(*t)).collect::<Result<Vec<_>>>()
    };
    let params = convert(ty.params()).map_err(wasmtime::Error::msg)?;
    let results = convert(ty.results()).map_err(wasmtime::Error::msg)?;
    Ok(wasmtime::FuncType::new(engine, params, results))
}

/// The general path, for signatures with references.
fn call_vals(
    func: &HostFunc,
    mut caller: Caller<'_, StoreData>,
    params: &[wasmtime::Val],
    results: &mut [wasmtime::Val],
) -> wasmtime::Result<()> {
    let instance_id = caller.data().instance_id;
    let params: Vec<Val> = params
        .iter()
        .map(|v| values::from_wasmtime(&mut caller, v, instance_id))
        .collect::<Result<_>>()
        .map_err(carry)?;
    let mut vals = ValBuf::zeroed(func.ty().results());
    run(&mut caller, |host| func.call(host, &params, vals.as_mut_slice()))?;
    for (slot, val) in results.iter_mut().zip(vals.as_mut_slice().iter()) {
        *slot = values::to_wasmtime(caller.as_context_mut(), val, instance_id).map_err(carry)?;
    }
    Ok(())
}

/// Runs a host function's body, which sees the caller's memory and the host state on demand.
#[inline]
fn run(
    caller: &mut Caller<'_, StoreData>,
    body: impl FnOnce(&mut HostCaller<'_>) -> std::result::Result<(), HostError>,
) -> wasmtime::Result<()> {
    body(&mut HostCaller::lend(&mut Access::new(caller))).map_err(|error| carry(error.into_error()))
}

/// What a host function sees of its wasmtime caller; its exports are in `caller_exports`.
pub(crate) struct Access<'a, 'b> {
    pub(crate) caller: &'a mut Caller<'b, StoreData>,
    /// The scope of the handles this host call got from `get_export`, once it has any.
    pub(crate) mark: Option<ScopeMark>,
}

impl<'a, 'b> Access<'a, 'b> {
    #[inline(always)]
    fn new(caller: &'a mut Caller<'b, StoreData>) -> Self {
        Access { caller, mark: None }
    }
}

impl Drop for Access<'_, '_> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(mark) = self.mark.take() {
            self.caller.data_mut().caller_externs.close(mark);
        }
    }
}

impl CallerAccess for Access<'_, '_> {
    #[inline(always)]
    fn memory_and_state(&mut self) -> (Option<&mut [u8]>, &mut HostState) {
        let caller = &mut *self.caller;
        let memory = caller.data().memory.get(|| {
            // The lookup works on a copy of the caller: lending the caller itself would take
            // its address, and keep it in memory on the straight path too, where the stores
            // and reloads measurably slow a host call of a few nanoseconds.
            // SAFETY: the copy is the only use of the caller until the lookup returns, and a
            // wasmtime `Caller` has no `Drop`: the same as lending `caller` itself.
            let mut copy = unsafe { std::ptr::read(caller) };
            copy.get_export("memory").and_then(Extern::into_memory)
        });
        match memory {
            Some(memory) => {
                let (bytes, data) = memory.data_and_store_mut(caller);
                (Some(bytes), &mut data.host)
            }
            None => (None, &mut caller.data_mut().host),
        }
    }

    #[inline]
    fn state(&mut self) -> &mut HostState {
        &mut self.caller.data_mut().host
    }
}
