//! wasmux host functions as wasmtime functions.
//!
//! A function whose signature has only numbers and vectors is defined with
//! `Func::new_unchecked`: its arguments go from wasmtime's raw value array to bits on the
//! stack and to the function ([`HostFunc::call_bits`]), so a host call allocates nothing and,
//! for a function made by `HostFunc::wrap`, builds no `Val`. Signatures with references go through
//! `Func::new` and wasmtime's `Val`, which can root and unwrap them.

use std::mem::MaybeUninit;

use wasmtime::{AsContextMut, Caller, Extern, Linker, ValRaw};
use wasmux_core::backend::{BitsBuf, ValBuf};
use wasmux_core::{Caller as HostCaller, HostFunc, Result, Val};

use crate::store::StoreData;
use crate::traps::carry;
use crate::values;

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
    if func.ty().is_numeric() {
        let callback = move |caller: Caller<'_, StoreData>, raw: &mut [MaybeUninit<ValRaw>]| {
            call_raw(&func, caller, raw)
        };
        // SAFETY: `ty` has the same parameter and result types as `func.ty()` (both describe
        // the import `Imports::resolve` matched), and `call_raw` reads exactly those
        // parameters and writes exactly those results, as raw numbers and vectors.
        unsafe { linker.func_new_unchecked(module, name, ty, callback) }?;
    } else {
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
        *slot = values::raw_to_bits(*ty, unsafe { raw.assume_init() });
    }
    run(caller, |host| func.call_bits(host, bits))?;
    for ((slot, ty), bits) in raw.iter_mut().zip(ty.results()).zip(bits.iter()) {
        *slot = MaybeUninit::new(values::bits_to_raw(*ty, *bits));
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
    run(&mut caller, |host| func.call(host, &params, vals.as_mut_slice()))?;
    for (slot, val) in results.iter_mut().zip(vals.as_mut_slice().iter()) {
        *slot = values::to_wasmtime(caller.as_context_mut(), val, instance_id).map_err(carry)?;
    }
    Ok(())
}

/// Runs a host function's body with the caller's memory and the host state.
#[inline]
fn run(
    caller: &mut Caller<'_, StoreData>,
    body: impl FnOnce(&mut HostCaller<'_>) -> std::result::Result<(), wasmux_core::HostError>,
) -> wasmtime::Result<()> {
    let memory =
        caller.data().memory.get(|| caller.get_export("memory").and_then(Extern::into_memory));
    let outcome = match memory {
        Some(memory) => {
            let (bytes, data) = memory.data_and_store_mut(caller);
            body(&mut HostCaller::new(Some(bytes), &mut data.host))
        }
        None => body(&mut HostCaller::new(None, &mut caller.data_mut().host)),
    };
    outcome.map_err(|error| carry(error.into_error()))
}
