//! Offering one instance's exported functions to another module as host functions. Each
//! instance has a store of its own, so this is how instances link across stores today:
//! a call crosses through the host, and only functions can be offered this way (memories,
//! tables and globals cannot be shared between stores).

use std::sync::{Arc, Mutex};

use crate::engine::DynInstance;
use crate::error::{Error, Result};
use crate::host::{HostError, HostFunc};

/// An instance that host functions of other instances call into.
pub type SharedInstance = Arc<Mutex<Box<dyn DynInstance>>>;

/// A host function `module::field` that calls `target`'s exported function `field`, with that
/// function's own signature (so an importer expecting another type fails to link). A call that
/// re-enters `target` while it runs traps, as does a trap in `target`; `proc_exit` in `target`
/// exits the caller too.
pub fn forward(target: &SharedInstance, module: &str, field: &str) -> Result<HostFunc> {
    let ty = target
        .lock()
        .map_err(|_| Error::InvalidArgument("the instance panicked in an earlier call".into()))?
        .func_type(field)?;
    let target = target.clone();
    let name = field.to_string();
    Ok(HostFunc::new(module, field, ty, move |_caller, params, results| {
        let mut instance = target.try_lock().map_err(|_| {
            HostError::trap(format!("`{name}` called back into its own instance while it runs"))
        })?;
        let values = instance.call(&name, params).map_err(|error| match error {
            Error::Exit(status) => HostError::Exit(status),
            other => HostError::trap(other.to_string()),
        })?;
        results.clone_from_slice(&values);
        Ok(())
    }))
}
