//! What each wasmi store carries: the host state, the resource guard, and reusable buffers.

use wasmi_core::LimiterError;
use wasmux_core::backend::{CallerMemory, ResourceGuard};
use wasmux_core::{HostState, Val};

/// wasmi's limiter over the shared [`ResourceGuard`]. Instance, table and memory counts are not
/// capped here: wasmux counts live instances per engine itself.
pub(crate) struct Limiter(pub(crate) ResourceGuard);

impl wasmi::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        Ok(self.0.memory_growing(desired))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        Ok(self.0.table_growing(desired))
    }

    fn instances(&self) -> usize {
        usize::MAX
    }

    fn tables(&self) -> usize {
        usize::MAX
    }

    fn memories(&self) -> usize {
        usize::MAX
    }
}

/// The data of a wasmi `Store`.
pub(crate) struct StoreData {
    pub(crate) host: HostState,
    pub(crate) limiter: Limiter,
    /// Where host functions find their caller's export `memory`.
    pub(crate) memory: CallerMemory<wasmi::Memory>,
    /// Tells this store's function references from those of other stores.
    pub(crate) store_id: u64,
    /// Argument and result buffers of host calls, reused to avoid allocating per call.
    pub(crate) host_params: Vec<Val>,
    pub(crate) host_results: Vec<Val>,
}

impl StoreData {
    pub(crate) fn new(host: HostState, limiter: ResourceGuard) -> Self {
        StoreData {
            host,
            limiter: Limiter(limiter),
            memory: CallerMemory::ByName,
            store_id: wasmux_core::backend::new_store_id(),
            host_params: Vec::new(),
            host_results: Vec::new(),
        }
    }
}
