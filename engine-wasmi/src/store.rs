//! What each wasmi store carries: the host state, the resource guard, and reusable buffers.

use std::any::Any;

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
    /// A host function's panic, kept while wasmi unwinds the guest (see `host::catch_panic`).
    pub(crate) host_panic: Option<Box<dyn Any + Send>>,
    /// The handles host calls got from `Caller::get_export`.
    pub(crate) caller_externs: crate::caller_exports::Handles,
    /// Whether calls run on fuel slices (for fuel limits and deadlines), which only the
    /// instance's own calls refill.
    pub(crate) metered: bool,
}

impl StoreData {
    /// Resumes the panic of a host function that the guest call just unwound from, so that it
    /// reaches the embedder as it does on wasmtime and wasmer.
    pub(crate) fn resume_host_panic(&mut self) {
        if let Some(payload) = self.host_panic.take() {
            std::panic::resume_unwind(payload);
        }
    }

    pub(crate) fn new(host: HostState, limiter: ResourceGuard, metered: bool) -> Self {
        StoreData {
            host,
            limiter: Limiter(limiter),
            memory: CallerMemory::ByName,
            store_id: wasmux_core::backend::new_store_id(),
            host_params: Vec::new(),
            host_results: Vec::new(),
            host_panic: None,
            caller_externs: Default::default(),
            metered,
        }
    }
}
