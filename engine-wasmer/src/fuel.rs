//! Fuel: the two globals `wasmer_middlewares::Metering` adds to every module it compiles, read
//! and written here the way `wasmer_middlewares::metering::{get,set}_remaining_points` do, with
//! the globals resolved once per instance and without that crate (loading a metered artifact
//! needs no compiler and no middleware).
//!
//! Metering charges each basic block's operators (one unit each) at the block's branch point;
//! when the remaining points cannot pay, it sets the `exhausted` flag and executes
//! `unreachable`, which is how an out-of-fuel trap is told from a guest's own `unreachable`.

use wasmer::{Global, Instance, Store, Value};
use wasmux_core::{Error, Result};

use crate::ENGINE;

/// Remaining points, an `i64` global exported by metered modules.
pub(crate) const METERING_REMAINING: &str = "wasmer_metering_remaining_points";
/// Set to 1 when a block could not be paid for, an `i32` global exported by metered modules.
pub(crate) const METERING_EXHAUSTED: &str = "wasmer_metering_points_exhausted";

/// An instance's metering globals.
pub(crate) struct Fuel {
    remaining: Global,
    exhausted: Global,
}

impl Fuel {
    /// The metering globals of `instance`, which was compiled with metering.
    pub(crate) fn of(instance: &Instance) -> Result<Self> {
        let global = |name: &str| {
            instance.exports.get_global(name).cloned().map_err(|_| Error::Instantiate {
                engine: ENGINE,
                message: format!("metered module lacks the global `{name}`"),
            })
        };
        Ok(Fuel { remaining: global(METERING_REMAINING)?, exhausted: global(METERING_EXHAUSTED)? })
    }

    /// Fuel left: 0 once exhausted.
    pub(crate) fn get(&self, store: &mut Store) -> u64 {
        if self.is_exhausted(store) {
            return 0;
        }
        match self.remaining.get(store) {
            Value::I64(points) => points as u64,
            _ => 0,
        }
    }

    /// Whether the guest stopped for lack of fuel.
    pub(crate) fn is_exhausted(&self, store: &mut Store) -> bool {
        matches!(self.exhausted.get(store), Value::I32(flag) if flag != 0)
    }

    /// Sets the fuel left, clearing exhaustion.
    pub(crate) fn set(&self, store: &mut Store, fuel: u64) -> Result<()> {
        let failed = |e: wasmer::RuntimeError| Error::Instantiate {
            engine: ENGINE,
            message: format!("cannot set fuel: {}", e.message()),
        };
        self.remaining.set(store, Value::I64(fuel as i64)).map_err(failed)?;
        self.exhausted.set(store, Value::I32(0)).map_err(failed)
    }
}
