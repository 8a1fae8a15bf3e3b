//! A host function's view of its calling instance's exports: wasmtime's `Caller::get_export`,
//! handed out as scoped wasmux handles (see [`CallerExterns`]). What can be done with them is
//! what the embedder does with the store's own handles (`store_items`).

use wasmtime::Extern;
use wasmux_core::backend::{CallerExports, CallerExterns, check_call, kind_mismatch};
use wasmux_core::{Error, ExternKind, ExternType, Result, Val};

use crate::host::Access;
use crate::instance::call_with_vals;
use crate::store_items;
use crate::values;

/// The handles of the host calls running on a store.
pub(crate) type Handles = CallerExterns<Extern>;

impl Access<'_, '_> {
    /// The item behind `handle`, if it belongs to the running host call and is a `kind`.
    fn item(&self, handle: wasmux_core::Extern, kind: ExternKind) -> Result<Extern> {
        self.caller.data().caller_externs.get(handle, kind).cloned()
    }

    fn memory(&self, handle: wasmux_core::Extern) -> Result<wasmtime::Memory> {
        match self.item(handle, ExternKind::Memory)? {
            Extern::Memory(memory) => Ok(memory),
            _ => Err(Error::InvalidArgument(
                "a shared memory cannot be borrowed as bytes or grown from a host function".into(),
            )),
        }
    }

    fn table(&self, handle: wasmux_core::Extern) -> Result<wasmtime::Table> {
        self.item(handle, ExternKind::Table)?.into_table().ok_or_else(kind_mismatch)
    }

    fn global(&self, handle: wasmux_core::Extern) -> Result<wasmtime::Global> {
        self.item(handle, ExternKind::Global)?.into_global().ok_or_else(kind_mismatch)
    }
}

impl CallerExports for Access<'_, '_> {
    fn get_export(&mut self, name: &str) -> Option<wasmux_core::Extern> {
        let item = self.caller.get_export(name)?;
        let kind = match &item {
            Extern::Func(_) => ExternKind::Func,
            Extern::Memory(_) | Extern::SharedMemory(_) => ExternKind::Memory,
            Extern::Table(_) => ExternKind::Table,
            Extern::Global(_) => ExternKind::Global,
            Extern::Tag(_) => ExternKind::Tag,
        };
        Some(self.caller.data_mut().caller_externs.push(&mut self.mark, item, kind))
    }

    fn extern_type(&mut self, handle: wasmux_core::Extern) -> Result<ExternType> {
        let found = self.item(handle, handle.kind())?;
        Ok(store_items::current_type(&*self.caller, &found))
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
        store_items::get_element(&mut *self.caller, table, index)
    }

    fn table_set(&mut self, handle: wasmux_core::Extern, index: u64, value: Val) -> Result<()> {
        let table = self.table(handle)?;
        store_items::set_element(&mut *self.caller, table, index, value)
    }

    fn global_get(&mut self, handle: wasmux_core::Extern) -> Result<Val> {
        let global = self.global(handle)?;
        store_items::get_global(&mut *self.caller, global)
    }

    fn global_set(&mut self, handle: wasmux_core::Extern, value: Val) -> Result<()> {
        let global = self.global(handle)?;
        store_items::set_global(&mut *self.caller, global, "the global", value)
    }

    fn call(&mut self, handle: wasmux_core::Extern, params: &[Val]) -> Result<Vec<Val>> {
        let func = self.item(handle, ExternKind::Func)?.into_func().ok_or_else(kind_mismatch)?;
        let wasm_ty = func.ty(&*self.caller);
        let ty = values::func_type(&wasm_ty).ok_or_else(|| {
            Error::unsupported(crate::ENGINE, format!("calling a function of type {wasm_ty}"))
        })?;
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        check_call(&ty, params, &results)?;
        call_with_vals(&mut *self.caller, func, params, &mut results)?;
        Ok(results)
    }
}
