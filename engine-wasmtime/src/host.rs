//! wasmux host functions as wasmtime functions.
//!
//! A function whose signature has only numbers and vectors is defined with
//! `Func::new_unchecked`: its arguments are read straight from wasmtime's raw value array into
//! an inline buffer, so a host call allocates nothing. Signatures with references go through
//! `Func::new` and wasmtime's `Val`, which can root and unwrap them.

use std::mem::MaybeUninit;

use wasmtime::{AsContextMut, Caller, Extern, Store, ValRaw};
use wasmux_core::{Caller as HostCaller, HostFunc, Result, Val};

use crate::store::StoreData;
use crate::traps::carry;
use crate::values::{self, ValBuf};

/// Defines `func` in `store` with wasmtime type `ty`, which must be the wasmtime form of
/// `func.ty()` (the module's own import type, checked equal by `Imports::resolve`).
pub(crate) fn define(
    store: &mut Store<StoreData>,
    ty: wasmtime::FuncType,
    func: HostFunc,
) -> wasmtime::Func {
    if values::is_numeric(func.ty()) {
        let callback = move |caller: Caller<'_, StoreData>, raw: &mut [MaybeUninit<ValRaw>]| {
            call_raw(&func, caller, raw)
        };
        // SAFETY: `ty` has the same parameter and result types as `func.ty()` (both describe
        // the import `Imports::resolve` matched), and `call_raw` reads exactly those
        // parameters and writes exactly those results, as raw numbers and vectors.
        unsafe { wasmtime::Func::new_unchecked(store, ty, callback) }
    } else {
        wasmtime::Func::new(store, ty, move |caller, params, results| {
            call_vals(&func, caller, params, results)
        })
    }
}

/// The fast path: numbers and vectors only.
fn call_raw(
    func: &HostFunc,
    mut caller: Caller<'_, StoreData>,
    raw: &mut [MaybeUninit<ValRaw>],
) -> wasmtime::Result<()> {
    let ty = func.ty();
    let mut params = ValBuf::zeroed(ty.params());
    for ((param, ty), raw) in params.as_mut_slice().iter_mut().zip(ty.params()).zip(raw.iter()) {
        // SAFETY: wasmtime initialises the first `params().len()` slots with the arguments.
        *param = values::from_raw(*ty, unsafe { raw.assume_init() });
    }
    let mut results = ValBuf::zeroed(ty.results());
    run(func, &mut caller, params.as_mut_slice(), results.as_mut_slice())?;
    for (slot, result) in raw.iter_mut().zip(results.as_mut_slice().iter()) {
        *slot = MaybeUninit::new(values::to_raw(result));
    }
    Ok(())
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
        .map(|v| values::from_wasmtime(&caller, v, instance_id))
        .collect::<Result<_>>()
        .map_err(carry)?;
    let mut vals = ValBuf::zeroed(func.ty().results());
    run(func, &mut caller, &params, vals.as_mut_slice())?;
    for (slot, val) in results.iter_mut().zip(vals.as_mut_slice().iter()) {
        *slot = values::to_wasmtime(caller.as_context_mut(), val, instance_id).map_err(carry)?;
    }
    Ok(())
}

/// Runs the host function with the caller's memory and the host state.
fn run(
    func: &HostFunc,
    caller: &mut Caller<'_, StoreData>,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let memory =
        caller.data().memory.or_else(|| caller.get_export("memory").and_then(Extern::into_memory));
    let outcome = match memory {
        Some(memory) => {
            let (bytes, data) = memory.data_and_store_mut(caller);
            func.call(&mut HostCaller::new(Some(bytes), &mut data.host), params, results)
        }
        None => func.call(&mut HostCaller::new(None, &mut caller.data_mut().host), params, results),
    };
    outcome.map_err(|error| carry(error.into_error()))
}
