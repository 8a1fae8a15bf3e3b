//! Limits on what one instance may use, and the handle that stops a running call.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Resource, Trap, TrapCode};

/// Limits enforced on one instance. `None` means unlimited.
///
/// Built with [`Limits::new`] and its setters, or [`HostEnv::limits_mut`](crate::HostEnv::limits_mut).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Limits {
    /// Largest size of each linear memory, in bytes. Growth past it fails (`memory.grow`
    /// returns -1); a module whose initial memory exceeds it fails to instantiate.
    pub max_memory_bytes: Option<u64>,
    /// Largest number of elements in each table, with the same rules as memory.
    pub max_table_elements: Option<u64>,
    /// Largest number of instances alive at once in the engine that creates this one.
    pub max_instances: Option<usize>,
    /// Fuel for the instance's lifetime; each executed operator costs about one unit. Needs
    /// [`Config::fuel`](crate::Config::fuel).
    pub fuel: Option<u64>,
    /// Wall-clock time each call may take. Needs
    /// [`Config::interruptible`](crate::Config::interruptible).
    #[serde(with = "optional_duration_ms")]
    pub deadline: Option<Duration>,
}

impl Limits {
    /// No limits.
    pub fn new() -> Self {
        Limits::default()
    }

    /// Caps linear memory, in bytes.
    pub fn max_memory_bytes(&mut self, bytes: u64) -> &mut Self {
        self.max_memory_bytes = Some(bytes);
        self
    }

    /// Caps table elements.
    pub fn max_table_elements(&mut self, elements: u64) -> &mut Self {
        self.max_table_elements = Some(elements);
        self
    }

    /// Caps live instances of the engine.
    pub fn max_instances(&mut self, instances: usize) -> &mut Self {
        self.max_instances = Some(instances);
        self
    }

    /// Gives the instance this much fuel.
    pub fn fuel(&mut self, fuel: u64) -> &mut Self {
        self.fuel = Some(fuel);
        self
    }

    /// Stops each call after this long.
    pub fn deadline(&mut self, deadline: Duration) -> &mut Self {
        self.deadline = Some(deadline);
        self
    }
}

mod optional_duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        value.map(|d| d.as_millis() as u64).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

struct InterruptState {
    requested: AtomicBool,
    wake: Box<dyn Fn() + Send + Sync>,
}

/// Stops a running call from any thread.
///
/// After [`interrupt`](Self::interrupt), the call running on the instance (or the next one,
/// if none is running) traps with [`TrapCode::Interrupt`], at the engine's check granularity
/// (see each backend's documentation). The request stays in force until [`clear`](Self::clear).
#[derive(Clone)]
pub struct InterruptHandle(Arc<InterruptState>);

impl InterruptHandle {
    /// A handle whose `wake` makes the engine look at the flag promptly (wasmtime bumps its
    /// epoch, for instance). For backends.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        InterruptHandle(Arc::new(InterruptState {
            requested: AtomicBool::new(false),
            wake: Box::new(wake),
        }))
    }

    /// Asks the instance to stop.
    pub fn interrupt(&self) {
        self.0.requested.store(true, Ordering::SeqCst);
        (self.0.wake)();
    }

    /// Whether an interrupt is pending.
    #[inline]
    pub fn is_interrupted(&self) -> bool {
        self.0.requested.load(Ordering::Relaxed)
    }

    /// Withdraws a pending interrupt, so the instance can be called again.
    pub fn clear(&self) {
        self.0.requested.store(false, Ordering::SeqCst);
    }
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptHandle").field("interrupted", &self.is_interrupted()).finish()
    }
}

/// When the running call must stop: its deadline and the instance's interrupt handle.
/// Backends consult it at their check points.
#[derive(Clone, Debug)]
pub struct StopCondition {
    /// Made on first request when the engine needs no waking ([`polled`](Self::polled)): most
    /// stores are never interrupted, and a store is cheaper to make without the allocation.
    interrupt: OnceLock<InterruptHandle>,
    deadline: Option<Duration>,
    stop_at: Option<Instant>,
}

impl StopCondition {
    /// A condition for an instance with this interrupt handle and per-call deadline.
    pub fn new(interrupt: InterruptHandle, deadline: Option<Duration>) -> Self {
        StopCondition { interrupt: OnceLock::from(interrupt), deadline, stop_at: None }
    }

    /// A condition for an engine that polls the interrupt flag at its check points and needs
    /// no waking: the handle is made when first asked for.
    pub fn polled(deadline: Option<Duration>) -> Self {
        StopCondition { interrupt: OnceLock::new(), deadline, stop_at: None }
    }

    /// Starts the clock of a new call. Without a deadline there is no clock, and `stop_at`
    /// stays `None` from the start.
    #[inline]
    pub fn start_call(&mut self) {
        if let Some(deadline) = self.deadline {
            self.stop_at = Some(Instant::now() + deadline);
        }
    }

    /// The trap the call must stop with now, if any. Every call checks it twice: the common
    /// case (no interrupt, no deadline) is inlined, the rest is not.
    #[inline]
    pub fn check(&self) -> Option<Trap> {
        if !self.interrupted() && self.stop_at.is_none() {
            return None;
        }
        self.check_slow()
    }

    #[inline]
    fn interrupted(&self) -> bool {
        self.interrupt.get().is_some_and(InterruptHandle::is_interrupted)
    }

    #[cold]
    fn check_slow(&self) -> Option<Trap> {
        if self.interrupted() {
            return Some(Trap::new(TrapCode::Interrupt, "interrupted by the host"));
        }
        match (self.stop_at, self.deadline) {
            (Some(stop_at), Some(deadline)) if Instant::now() >= stop_at => Some(Trap::new(
                TrapCode::Interrupt,
                format!("deadline of {} ms exceeded", deadline.as_millis()),
            )),
            _ => None,
        }
    }

    /// The instance's interrupt handle.
    pub fn interrupt_handle(&self) -> &InterruptHandle {
        self.interrupt.get_or_init(|| InterruptHandle::new(|| {}))
    }

    /// Whether a per-call deadline is set.
    pub fn has_deadline(&self) -> bool {
        self.deadline.is_some()
    }
}

/// Decides memory and table growth against [`Limits`] and remembers the last refusal, so that
/// a failed instantiation reports which limit refused it, identically on every engine. Each
/// backend's resource limiter delegates to one of these.
#[derive(Clone, Debug, Default)]
pub struct ResourceGuard {
    max_memory_bytes: Option<u64>,
    max_table_elements: Option<u64>,
    refused: Option<(Resource, u64, u64)>,
}

impl ResourceGuard {
    /// A guard enforcing `limits`.
    pub fn new(limits: &Limits) -> Self {
        ResourceGuard {
            max_memory_bytes: limits.max_memory_bytes,
            max_table_elements: limits.max_table_elements,
            refused: None,
        }
    }

    /// Whether a memory may grow to `desired` bytes.
    pub fn memory_growing(&mut self, desired: usize) -> bool {
        self.allow(Resource::Memory, desired, self.max_memory_bytes)
    }

    /// Whether a table may grow to `desired` elements.
    pub fn table_growing(&mut self, desired: usize) -> bool {
        self.allow(Resource::TableElements, desired, self.max_table_elements)
    }

    /// The error to report for a failed instantiation whose engine error is `error`: a trap
    /// (from the start function, or a segment out of bounds) stands as it is, even if the start
    /// function had a growth refused before; any other failure is explained by the last
    /// refusal, if there was one.
    pub fn instantiation_error(&mut self, error: Error) -> Error {
        match error {
            Error::Trap(_) | Error::Exit(_) => error,
            other => self.take_refusal().unwrap_or(other),
        }
    }

    /// The last refusal as an error, forgetting it.
    pub fn take_refusal(&mut self) -> Option<Error> {
        self.refused.take().map(|(resource, requested, limit)| Error::ResourceLimit {
            resource,
            requested,
            limit,
        })
    }

    fn allow(&mut self, resource: Resource, desired: usize, max: Option<u64>) -> bool {
        match max {
            Some(limit) if desired as u64 > limit => {
                self.refused = Some((resource, desired as u64, limit));
                false
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StopCondition;
    use crate::TrapCode;

    #[test]
    fn a_polled_condition_stops_once_its_handle_is_interrupted() {
        let stop = StopCondition::polled(None);
        assert!(stop.check().is_none());
        stop.interrupt_handle().clone().interrupt();
        assert_eq!(stop.check().map(|trap| trap.code), Some(TrapCode::Interrupt));
        stop.interrupt_handle().clear();
        assert!(stop.check().is_none());
    }
}
