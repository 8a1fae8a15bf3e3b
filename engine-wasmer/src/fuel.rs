//! Fuel: the two globals `wasmer_middlewares::Metering` adds to every module it compiles, read
//! and written here the way `wasmer_middlewares::metering::{get,set}_remaining_points` do, with
//! the globals resolved once per instance and without that crate (loading a metered artifact
//! needs no compiler and no middleware), and shared out between the instances of one store.
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

/// One instance's metering globals.
pub(crate) struct Meter {
    remaining: Global,
    exhausted: Global,
}

impl Meter {
    /// The metering globals of `instance`, which was compiled with metering.
    pub(crate) fn of(instance: &Instance) -> Result<Self> {
        let global = |name: &str| {
            instance.exports.get_global(name).cloned().map_err(|_| Error::Instantiate {
                engine: ENGINE,
                message: format!("metered module lacks the global `{name}`"),
            })
        };
        Ok(Meter { remaining: global(METERING_REMAINING)?, exhausted: global(METERING_EXHAUSTED)? })
    }

    /// Points left: 0 once exhausted.
    fn get(&self, store: &mut Store) -> u64 {
        if self.is_exhausted(store) {
            return 0;
        }
        self.remaining(store)
    }

    fn remaining(&self, store: &mut Store) -> u64 {
        match self.remaining.get(store) {
            Value::I64(points) => points as u64,
            _ => 0,
        }
    }

    fn is_exhausted(&self, store: &mut Store) -> bool {
        matches!(self.exhausted.get(store), Value::I32(flag) if flag != 0)
    }

    fn set_remaining(&self, store: &mut Store, points: u64) -> Result<()> {
        self.remaining.set(store, Value::I64(points as i64)).map_err(cannot_set)
    }

    /// Sets the points left, clearing exhaustion.
    fn set(&self, store: &mut Store, points: u64) -> Result<()> {
        self.set_remaining(store, points)?;
        self.exhausted.set(store, Value::I32(0)).map_err(cannot_set)
    }
}

fn cannot_set(error: wasmer::RuntimeError) -> Error {
    Error::Instantiate { engine: ENGINE, message: format!("cannot set fuel: {}", error.message()) }
}

/// A store's fuel. Metering counts in each instance's own globals, while wasmux's fuel is the
/// store's: with several metered instances, each starts a call with the store's fuel, and what
/// they consumed together is taken from it when the call ends (so one call may run past the
/// fuel by what the other instances consumed in it, but never a second one).
pub(crate) struct Fuel {
    meters: Vec<Meter>,
    /// The store's fuel when no metered instance holds it: with none, or with several, between
    /// calls (each of them then holds it too).
    left: u64,
}

impl Fuel {
    pub(crate) fn new(fuel: u64) -> Self {
        Fuel { meters: Vec::new(), left: fuel }
    }

    /// Meters a new instance of the store, from the store's fuel.
    pub(crate) fn add(&mut self, store: &mut Store, meter: Meter) -> Result<()> {
        self.left = self.get(store);
        // An exhausted store gives 0, on which the new instance's first block traps.
        meter.set(store, self.left)?;
        self.meters.push(meter);
        Ok(())
    }

    /// Fuel left: 0 once exhausted.
    pub(crate) fn get(&self, store: &mut Store) -> u64 {
        match self.meters.first() {
            Some(meter) => meter.get(store),
            None => self.left,
        }
    }

    /// Whether the guest stopped for lack of fuel, in any instance.
    pub(crate) fn is_exhausted(&self, store: &mut Store) -> bool {
        self.meters.iter().any(|meter| meter.is_exhausted(store))
    }

    /// Sets the fuel left, clearing exhaustion.
    pub(crate) fn set(&mut self, store: &mut Store, fuel: u64) -> Result<()> {
        self.left = fuel;
        self.meters.iter().try_for_each(|meter| meter.set(store, fuel))
    }

    /// Whether calls must [`settle`](Self::settle): one instance's globals are the fuel itself.
    #[inline(always)]
    pub(crate) fn is_shared(&self) -> bool {
        self.meters.len() > 1
    }

    /// After a call, takes what every instance consumed from the store's fuel, and gives each
    /// what is left for the next call.
    #[cold]
    pub(crate) fn settle(&mut self, store: &mut Store) {
        let consumed = self.meters.iter().fold(0u64, |sum, meter| {
            sum.saturating_add(self.left - meter.remaining(store).min(self.left))
        });
        self.left = if self.is_exhausted(store) { 0 } else { self.left.saturating_sub(consumed) };
        for meter in &self.meters {
            // Cannot fail: the remaining-points global is a mutable i64.
            let _ = meter.set_remaining(store, self.left);
        }
    }
}
