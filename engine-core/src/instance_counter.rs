//! Counting an engine's live instances, so that [`Limits::max_instances`] holds on every
//! engine, at one atomic operation when an instance is made and one when it is dropped.
//!
//! Each engine's count is a cell taken from a process-wide pool, not an `Arc` of its own: an
//! instance's slot refers to the cell directly, so making and dropping an instance clones and
//! drops no `Arc` (two more atomic operations, a measurable part of instantiating on wasmi).
//! The cell goes back to the pool when the engine and the last of its instances are gone, so
//! the pool holds at most as many cells as there were engines alive at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Resource, Result};
#[cfg(doc)]
use crate::limits::Limits;

/// Set in a cell once its engine is gone; below it, the count of live instances.
const ENGINE_GONE: usize = 1 << (usize::BITS - 1);

/// Cells no engine uses.
static POOL: Mutex<Vec<&'static AtomicUsize>> = Mutex::new(Vec::new());

fn take_cell() -> &'static AtomicUsize {
    let recycled = POOL.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let cell = recycled.unwrap_or_else(|| Box::leak(Box::new(AtomicUsize::new(0))));
    cell.store(0, Ordering::SeqCst);
    cell
}

fn recycle(cell: &'static AtomicUsize) {
    POOL.lock().unwrap_or_else(PoisonError::into_inner).push(cell);
}

/// Counts an engine's live instances so [`Limits::max_instances`] holds on every engine.
/// Clones share one count.
#[derive(Clone, Debug, Default)]
pub struct InstanceCounter(Arc<EngineCell>);

/// An engine's cell, held by every clone of the engine.
#[derive(Debug)]
struct EngineCell(&'static AtomicUsize);

impl Default for EngineCell {
    fn default() -> Self {
        EngineCell(take_cell())
    }
}

impl Drop for EngineCell {
    fn drop(&mut self) {
        // The engine's last clone is gone. Whichever of it and the instances' slots is last to
        // leave the cell returns it: here if no instance is alive, else the last slot's drop.
        if self.0.fetch_or(ENGINE_GONE, Ordering::SeqCst) == 0 {
            recycle(self.0);
        }
    }
}

impl InstanceCounter {
    /// A counter with no instances.
    pub fn new() -> Self {
        InstanceCounter::default()
    }

    /// Takes a slot for a new instance, or fails if `max` are alive already.
    pub fn acquire(&self, max: Option<usize>) -> Result<InstanceSlot> {
        let cell = (self.0).0;
        let previous = cell.fetch_add(1, Ordering::SeqCst);
        let slot = InstanceSlot(cell);
        match max {
            Some(max) if previous >= max => Err(Error::ResourceLimit {
                resource: Resource::Instances,
                requested: previous as u64 + 1,
                limit: max as u64,
            }),
            _ => Ok(slot),
        }
    }

    /// Instances alive now.
    pub fn live(&self) -> usize {
        (self.0).0.load(Ordering::SeqCst) & !ENGINE_GONE
    }
}

/// A live instance's place in its engine's count; released on drop.
#[derive(Debug)]
pub struct InstanceSlot(&'static AtomicUsize);

impl Drop for InstanceSlot {
    fn drop(&mut self) {
        if self.0.fetch_sub(1, Ordering::SeqCst) == ENGINE_GONE | 1 {
            recycle(self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InstanceCounter;

    #[test]
    fn counts_live_instances_and_refuses_past_the_maximum() {
        let counter = InstanceCounter::new();
        let first = counter.acquire(Some(2)).expect("first");
        let second = counter.clone().acquire(None).expect("second");
        assert_eq!(counter.live(), 2);
        assert!(counter.acquire(Some(2)).is_err(), "a third is past the maximum");
        assert_eq!(counter.live(), 2, "a refused slot is not counted");
        drop(first);
        assert_eq!(counter.live(), 1);
        drop(second);
        assert_eq!(counter.live(), 0);
    }

    #[test]
    fn a_cell_outlives_its_engine_while_instances_live() {
        let counter = InstanceCounter::new();
        let slot = counter.acquire(None).expect("slot");
        drop(counter);
        // The cell stays with the slot: a new engine takes another cell, which starts empty.
        let other = InstanceCounter::new();
        assert_eq!(other.live(), 0);
        let other_slot = other.acquire(Some(1)).expect("the other engine's first instance");
        drop(slot);
        assert_eq!(other.live(), 1, "dropping the first engine's slot leaves the other count");
        drop(other_slot);
        assert_eq!(other.live(), 0);
    }
}
