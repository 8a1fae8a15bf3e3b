//! A host function's view of its calling instance's exports: wasmi's `Caller::get_export`,
//! handed out as scoped wasmux handles (see [`CallerExterns`]). What can be done with them is
//! what the embedder does with the store's own handles (`store_items`).

use wasmux_core::backend::{CallerExports, CallerExterns, check_call, kind_mismatch};
use wasmux_core::{Error, ExternKind, ExternType, Result, Val};

use crate::externs::{current_type, kind_of};
use crate::host::Access;
use crate::store_items;
use crate::traps::execution_error;
use crate::values::{from_wasmi, func_type, to_wasmi};

/// The handles of the host calls running on a store.
pub(crate) type Handles = CallerExterns<wasmi::Extern>;

impl Access<'_, '_> {
    /// The item behind `handle`, if it belongs to the running host call and is a `kind`.
    fn item(&self, handle: wasmux_core::Extern, kind: ExternKind) -> Result<wasmi::Extern> {
        self.caller.data().caller_externs.get(handle, kind).copied()
    }

    fn memory(&self, handle: wasmux_core::Extern) -> Result<wasmi::Memory> {
        self.item(handle, ExternKind::Memory)?.into_memory().ok_or_else(kind_mismatch)
    }

    fn table(&self, handle: wasmux_core::Extern) -> Result<wasmi::Table> {
        self.item(handle, ExternKind::Table)?.into_table().ok_or_else(kind_mismatch)
    }

    fn global(&self, handle: wasmux_core::Extern) -> Result<wasmi::Global> {
        self.item(handle, ExternKind::Global)?.into_global().ok_or_else(kind_mismatch)
    }
}

impl CallerExports for Access<'_, '_> {
    fn get_export(&mut self, name: &str) -> Option<wasmux_core::Extern> {
        let item = self.caller.get_export(name)?;
        let kind = kind_of(&item);
        Some(self.caller.data_mut().caller_externs.push(&mut self.mark, item, kind))
    }

    fn extern_type(&mut self, handle: wasmux_core::Extern) -> Result<ExternType> {
        let item = self.item(handle, handle.kind())?;
        Ok(current_type(&*self.caller, item))
    }

    fn memory_data(&mut self, handle: wasmux_core::Extern) -> Result<&mut [u8]> {
        Ok(self.memory(handle)?.data_mut(&mut *self.caller))
    }

    fn memory_grow(&mut self, handle: wasmux_core::Extern, pages: u64) -> Result<u64> {
        let memory = self.memory(handle)?;
        store_items::grow_memory(&mut *self.caller, memory, pages)
    }

    fn table_size(&mut self, handle: wasmux_core::Extern) -> Result<u64> {
        Ok(self.table(handle)?.size(&*self.caller))
    }

    fn table_get(&mut self, handle: wasmux_core::Extern, index: u64) -> Result<Val> {
        let table = self.table(handle)?;
        store_items::get_element(&*self.caller, table, index)
    }

    fn table_set(&mut self, handle: wasmux_core::Extern, index: u64, value: Val) -> Result<()> {
        let table = self.table(handle)?;
        store_items::set_element(&mut *self.caller, table, index, &value)
    }

    fn global_get(&mut self, handle: wasmux_core::Extern) -> Result<Val> {
        let global = self.global(handle)?;
        Ok(store_items::get_global(&*self.caller, global))
    }

    fn global_set(&mut self, handle: wasmux_core::Extern, value: Val) -> Result<()> {
        let global = self.global(handle)?;
        store_items::set_global(&mut *self.caller, global, &value)
    }

    fn call(&mut self, handle: wasmux_core::Extern, params: &[Val]) -> Result<Vec<Val>> {
        let func = self.item(handle, ExternKind::Func)?.into_func().ok_or_else(kind_mismatch)?;
        if self.caller.data().metered {
            // The store holds one slice of fuel, which only the instance's own call loop
            // refills: a nested call could run out of it early and report fuel exhausted wrongly.
            return Err(Error::unsupported(
                crate::ENGINE,
                "calling the guest from a host function with fuel metering or a deadline",
            ));
        }
        let caller = &mut *self.caller;
        let wasmi_ty = func.ty(&*caller);
        let ty = func_type(&wasmi_ty);
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        check_call(&ty, params, &results)?;
        let store_id = caller.data().store_id;
        let args = params
            .iter()
            .map(|v| to_wasmi(&mut *caller, store_id, v))
            .collect::<Result<Vec<_>>>()?;
        let mut out: Vec<wasmi::Val> =
            wasmi_ty.results().iter().map(|t| wasmi::Val::default_for_ty(*t)).collect();
        func.call(&mut *caller, &args, &mut out).map_err(execution_error)?;
        for (result, val) in results.iter_mut().zip(&out) {
            *result = from_wasmi(&*caller, store_id, val);
        }
        Ok(results)
    }
}
