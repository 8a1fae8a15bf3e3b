//! A host function's view of its calling instance's exports. wasmer's host functions do not
//! know their caller, but wasmux binds them per instance: the exports are those of the
//! instance the function was bound to, handed out as scoped wasmux handles (see
//! [`CallerExterns`](wasmux_core::backend::CallerExterns)). What can be done with them is what
//! the embedder does with the store's own handles (`externs`).

use std::sync::Arc;

use wasmux_core::backend::{CallerExports, check_call, kind_mismatch};
use wasmux_core::{Error, ExternKind, ExternType, Result, Val};

use crate::externs::{self, current_type, kind_of};
use crate::host::{Access, guest_memory};
use crate::traps::{TrapContext, from_runtime_error};
use crate::values::{from_wasmer, from_wasmer_func_type, to_wasmer};

impl Access<'_, '_> {
    /// The item behind `handle`, if it belongs to the running host call and is a `kind`.
    fn item(&self, handle: wasmux_core::Extern, kind: ExternKind) -> Result<wasmer::Extern> {
        self.env.data().caller_externs.get(handle, kind).cloned()
    }

    fn memory(&self, handle: wasmux_core::Extern) -> Result<wasmer::Memory> {
        match self.item(handle, ExternKind::Memory)? {
            wasmer::Extern::Memory(memory) => Ok(memory),
            _ => Err(kind_mismatch()),
        }
    }

    fn table(&self, handle: wasmux_core::Extern) -> Result<wasmer::Table> {
        match self.item(handle, ExternKind::Table)? {
            wasmer::Extern::Table(table) => Ok(table),
            _ => Err(kind_mismatch()),
        }
    }

    fn global(&self, handle: wasmux_core::Extern) -> Result<wasmer::Global> {
        match self.item(handle, ExternKind::Global)? {
            wasmer::Extern::Global(global) => Ok(global),
            _ => Err(kind_mismatch()),
        }
    }
}

impl CallerExports for Access<'_, '_> {
    fn get_export(&mut self, name: &str) -> Option<wasmux_core::Extern> {
        let data = self.env.data_mut();
        let instance = data.instances.get(self.instance)?.as_ref()?;
        let item = instance.exports.get_extern(name)?.clone();
        let kind = kind_of(&item);
        Some(data.caller_externs.push(&mut self.mark, item, kind))
    }

    fn extern_type(&mut self, handle: wasmux_core::Extern) -> Result<ExternType> {
        let item = self.item(handle, handle.kind())?;
        Ok(current_type(&item, &*self.env))
    }

    fn memory_data(&mut self, handle: wasmux_core::Extern) -> Result<&mut [u8]> {
        let memory = self.memory(handle)?;
        Ok(guest_memory(&memory, &mut *self.env))
    }

    fn memory_grow(&mut self, handle: wasmux_core::Extern, pages: u64) -> Result<u64> {
        let memory = self.memory(handle)?;
        let tunables = Arc::clone(&self.env.data().tunables);
        externs::memory_grow(&memory, &mut *self.env, pages, &tunables)
    }

    fn table_size(&mut self, handle: wasmux_core::Extern) -> Result<u64> {
        Ok(u64::from(self.table(handle)?.size(&*self.env)))
    }

    fn table_get(&mut self, handle: wasmux_core::Extern, index: u64) -> Result<Val> {
        externs::table_get(&self.table(handle)?, &mut *self.env, index)
    }

    fn table_set(&mut self, handle: wasmux_core::Extern, index: u64, value: Val) -> Result<()> {
        externs::table_set(&self.table(handle)?, &mut *self.env, index, value)
    }

    fn global_get(&mut self, handle: wasmux_core::Extern) -> Result<Val> {
        Ok(externs::global_get(&self.global(handle)?, &mut *self.env))
    }

    fn global_set(&mut self, handle: wasmux_core::Extern, value: Val) -> Result<()> {
        externs::global_set(&self.global(handle)?, &mut *self.env, value, "the global")
    }

    fn call(&mut self, handle: wasmux_core::Extern, params: &[Val]) -> Result<Vec<Val>> {
        let wasmer::Extern::Function(func) = self.item(handle, ExternKind::Func)? else {
            return Err(kind_mismatch());
        };
        if self.env.data().guarded {
            // Fuel and the deadline's watchdog are accounted by the instance's own calls: a nested
            // call could not tell running out of fuel from a guest's `unreachable`.
            return Err(Error::unsupported(
                crate::ENGINE,
                "calling the guest from a host function with fuel metering or a deadline",
            ));
        }
        let env = &mut *self.env;
        let ty = from_wasmer_func_type(&func.ty(&*env));
        let results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        check_call(&ty, params, &results)?;
        let args = params.iter().map(|v| to_wasmer(v, env)).collect::<Result<Vec<_>>>()?;
        let out = func
            .call(env, &args)
            .map_err(|e| from_runtime_error(e, TrapContext { out_of_fuel: false, stop: None }))?;
        Ok(out.iter().map(|v| from_wasmer(v, &*env)).collect())
    }
}
