//! What each wasmtime store carries: the host state, the stop condition, the resource limiter.

use wasmux_core::backend::{CallerMemory, ResourceGuard, StopCondition};
use wasmux_core::{Error, HostState, Limits};

/// The data of every store this backend creates (one store per instance).
pub(crate) struct StoreData {
    /// The state shared by host functions.
    pub(crate) host: HostState,
    /// When the running call must stop; consulted at each epoch tick.
    pub(crate) stop: StopCondition,
    /// Memory and table limits.
    pub(crate) limiter: Limiter,
    /// Where host functions find their caller's export `memory`.
    pub(crate) memory: CallerMemory<wasmtime::Memory>,
    /// Identifies the instance, so a function of another instance is refused.
    pub(crate) instance_id: u64,
    /// The handles host calls got from `Caller::get_export`.
    pub(crate) caller_externs: crate::caller_exports::Handles,
}

/// wasmtime's resource limiter for wasmux [`Limits`]: delegates every decision to the shared
/// [`ResourceGuard`], which remembers what it refused so a failed instantiation can say which
/// limit was in the way.
#[derive(Debug)]
pub(crate) struct Limiter(ResourceGuard);

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Limiter(ResourceGuard::new(limits))
    }

    /// See [`ResourceGuard::instantiation_error`].
    pub(crate) fn instantiation_error(&mut self, error: Error) -> Error {
        self.0.instantiation_error(error)
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.0.memory_growing(desired))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.0.table_growing(desired))
    }
}
