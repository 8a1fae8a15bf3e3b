//! Binding a wasmux host function into a wasmi store.
//!
//! A signature of numbers and vectors only passes its values as bits on the stack
//! ([`HostFunc::call_bits`]): no allocation and, for a function made by `HostFunc::wrap`, no
//! `Val`. Signatures with references convert to `Val`s in buffers kept in the store.

use std::panic::{AssertUnwindSafe, catch_unwind};

use wasmi::Linker;
use wasmux_core::backend::{BitsBuf, CallerAccess, ScopeMark};
use wasmux_core::{Caller, HostError, HostFunc, HostState, Val};

use crate::native::Native;
use crate::store::StoreData;
use crate::traps::HostFailure;
use crate::values::{bits_to_wasmi, from_wasmi, to_wasmi, wasmi_func_type, wasmi_to_bits};

/// Defines `module::name` in `linker` as a function that runs `func` with the caller's memory
/// and the store's host state: wasmi's typed form when `HostFunc::wrap_for::<WasmiEngine>`
/// made one.
pub(crate) fn define(
    linker: &mut Linker<StoreData>,
    module: &str,
    name: &str,
    func: HostFunc,
) -> Result<(), wasmi::errors::LinkerError> {
    if let Some(Native(define)) = func.native::<Native>() {
        return define(linker, module, name);
    }
    let ty = wasmi_func_type(func.ty());
    if func.ty().is_numeric() {
        linker.func_new(module, name, ty, move |mut caller, params, results| {
            let mut bits = BitsBuf::new(params.len().max(results.len()));
            let bits = bits.as_mut_slice();
            for (slot, param) in bits.iter_mut().zip(params) {
                *slot = wasmi_to_bits(param);
            }
            run(&mut caller, |host| func.call_bits(host, bits))?;
            for ((slot, ty), bits) in results.iter_mut().zip(func.ty().results()).zip(bits.iter()) {
                *slot = bits_to_wasmi(*ty, *bits);
            }
            Ok(())
        })?;
    } else {
        linker.func_new(module, name, ty, move |mut caller, params, results| {
            let store_id = caller.data().store_id;
            let mut args = std::mem::take(&mut caller.data_mut().host_params);
            let mut outs = std::mem::take(&mut caller.data_mut().host_results);
            args.clear();
            args.extend(params.iter().map(|v| from_wasmi(&caller, store_id, v)));
            outs.clear();
            outs.extend(func.ty().results().iter().map(|t| Val::default_for(*t)));
            let outcome = run(&mut caller, |host| func.call(host, &args, &mut outs));
            let written = outcome.and_then(|()| {
                results.iter_mut().zip(&outs).try_for_each(|(slot, value)| {
                    *slot = to_wasmi(&mut caller, store_id, value).map_err(|e| {
                        wasmi::Error::host(HostFailure(HostError::trap(e.to_string())))
                    })?;
                    Ok(())
                })
            });
            let data = caller.data_mut();
            data.host_params = args;
            data.host_results = outs;
            written
        })?;
    }
    Ok(())
}

/// Runs a host function's body, which sees the caller's memory and the host state on demand.
#[inline]
fn run(
    caller: &mut wasmi::Caller<'_, StoreData>,
    body: impl FnOnce(&mut Caller<'_>) -> Result<(), HostError>,
) -> Result<(), wasmi::Error> {
    catch_panic(caller, |caller| body(&mut Caller::lend(&mut Access::new(caller))))
}

/// Runs `body` so that a panic in it does not unwind into wasmi, whose dispatch cannot unwind
/// (the process would abort): the guest is stopped with a host trap instead, and the panic
/// kept in the store is resumed when the call returns to the embedder
/// (`StoreData::resume_host_panic`), as wasmtime and wasmer let it through.
#[inline(always)]
pub(crate) fn catch_panic<T>(
    caller: &mut wasmi::Caller<'_, StoreData>,
    body: impl FnOnce(&mut wasmi::Caller<'_, StoreData>) -> Result<T, HostError>,
) -> Result<T, wasmi::Error> {
    // Unwind safety: the guest is abandoned and the panic resumed, as on the other engines.
    match catch_unwind(AssertUnwindSafe(|| body(caller))) {
        Ok(outcome) => outcome.map_err(|error| wasmi::Error::host(HostFailure(error))),
        Err(payload) => {
            caller.data_mut().host_panic = Some(payload);
            Err(wasmi::Error::host(HostFailure(HostError::trap("host function panicked"))))
        }
    }
}

/// What a host function sees of its wasmi caller; its exports are in `caller_exports`.
pub(crate) struct Access<'a, 'b> {
    pub(crate) caller: &'a mut wasmi::Caller<'b, StoreData>,
    /// The scope of the handles this host call got from `get_export`, once it has any.
    pub(crate) mark: Option<ScopeMark>,
}

impl<'a, 'b> Access<'a, 'b> {
    #[inline(always)]
    pub(crate) fn new(caller: &'a mut wasmi::Caller<'b, StoreData>) -> Self {
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
        let memory = caller
            .data()
            .memory
            .get(|| caller.get_export("memory").and_then(wasmi::Extern::into_memory));
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
