//! Binding a wasmux host function into a wasmi store.

use wasmi::{AsContextMut, Store};
use wasmux_core::{Caller, HostError, HostFunc, Val};

use crate::convert::{from_wasmi, to_wasmi, wasmi_func_type};
use crate::errors::HostFailure;
use crate::store::StoreData;

/// A wasmi function that runs `func` with the caller's memory and the store's host state.
pub(crate) fn define(store: &mut Store<StoreData>, func: HostFunc) -> wasmi::Func {
    let ty = wasmi_func_type(func.ty());
    wasmi::Func::new(
        store.as_context_mut(),
        ty,
        move |mut caller: wasmi::Caller<'_, StoreData>, params, results| {
            let store_id = caller.data().store_id;
            let mut args = std::mem::take(&mut caller.data_mut().host_params);
            let mut outs = std::mem::take(&mut caller.data_mut().host_results);
            args.clear();
            args.extend(params.iter().map(|v| from_wasmi(&caller, store_id, v)));
            outs.clear();
            outs.extend(func.ty().results().iter().map(|t| Val::default_for(*t)));
            let memory = caller
                .data()
                .memory
                .or_else(|| caller.get_export("memory").and_then(wasmi::Extern::into_memory));
            let outcome = match memory {
                Some(memory) => {
                    let (bytes, data) = memory.data_and_store_mut(&mut caller);
                    func.call(&mut Caller::new(Some(bytes), &mut data.host), &args, &mut outs)
                }
                None => {
                    let data = caller.data_mut();
                    func.call(&mut Caller::new(None, &mut data.host), &args, &mut outs)
                }
            };
            let written = outcome.and_then(|()| {
                results.iter_mut().zip(&outs).try_for_each(|(slot, value)| {
                    *slot = to_wasmi(&mut caller, store_id, value)
                        .map_err(|e| HostError::trap(e.to_string()))?;
                    Ok(())
                })
            });
            let data = caller.data_mut();
            data.host_params = args;
            data.host_results = outs;
            written.map_err(|e| wasmi::Error::host(HostFailure(e)))
        },
    )
}
