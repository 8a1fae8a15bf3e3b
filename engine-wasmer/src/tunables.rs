//! Per-store memory and table limits, and the guest stack size, through wasmer's `Tunables`.
//!
//! wasmer has no per-store resource limiter: memories and tables are created by the `Tunables`
//! of the engine the store belongs to. wasmux gives every store its own clone of a wasmer engine
//! (the first module's, or a headless one for an empty store; clones share compiled code and
//! signatures, the tunables are per clone), carrying a [`LimitTunables`] built from that
//! store's [`Limits`]; every memory and table of the store, the host's included, is made by
//! them. Measured cost: one `Arc` allocation per store.
//!
//! The limit is enforced by lowering the declared maximum of each memory and table to the
//! limit, so wasmer's own growth check refuses (`memory.grow` returns -1, `table.grow` -1),
//! and by refusing creation when the initial size already exceeds it. The refusal is recorded
//! so that instantiation reports [`Error::ResourceLimit`](wasmux_core::Error::ResourceLimit)
//! with the numbers rather than wasmer's text.

use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};

use wasmer::sys::vm::{
    MemoryError, MemoryStyle, TableStyle, VMConfig, VMMemory, VMMemoryDefinition, VMTable,
    VMTableDefinition,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryType, Pages, TableType, WASM_MAX_PAGES, WASM_PAGE_SIZE};
use wasmux_core::{Error, Limits, Resource};

/// An allocation the limits refused: what was asked for and the limit in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub resource: Resource,
    pub requested: u64,
    pub limit: u64,
}

impl Refusal {
    pub(crate) fn into_error(self) -> Error {
        Error::ResourceLimit {
            resource: self.resource,
            requested: self.requested,
            limit: self.limit,
        }
    }
}

/// wasmer's default tunables, with one store's limits and stack size applied.
pub(crate) struct LimitTunables {
    base: BaseTunables,
    max_memory_bytes: Option<u64>,
    max_table_elements: Option<u64>,
    vmconfig: VMConfig,
    refusal: Mutex<Option<Refusal>>,
}

impl LimitTunables {
    pub(crate) fn new(limits: &Limits, max_wasm_stack: Option<usize>) -> Arc<Self> {
        Arc::new(LimitTunables {
            base: BaseTunables::new(),
            max_memory_bytes: limits.max_memory_bytes,
            max_table_elements: limits.max_table_elements,
            vmconfig: VMConfig { wasm_stack_size: max_wasm_stack },
            refusal: Mutex::new(None),
        })
    }

    /// The allocation refused since the last call, if any: what made a memory or table, or
    /// an instantiation, fail.
    pub(crate) fn take_refusal(&self) -> Option<Refusal> {
        self.refusal.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// The limit's refusal of a memory of `bytes`, if it is the limit that stops it.
    pub(crate) fn memory_refusal(&self, bytes: u64) -> Option<Error> {
        let limit = self.max_memory_bytes.filter(|limit| bytes > *limit)?;
        Some(Refusal { resource: Resource::Memory, requested: bytes, limit }.into_error())
    }

    /// The limit's refusal of a table of `elements`, if it is the limit that stops it.
    pub(crate) fn table_refusal(&self, elements: u64) -> Option<Error> {
        let limit = self.max_table_elements.filter(|limit| elements > *limit)?;
        Some(Refusal { resource: Resource::TableElements, requested: elements, limit }.into_error())
    }

    fn refuse(&self, refusal: Refusal) -> String {
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner) = Some(refusal);
        format!("{} {} requested, limit is {}", refusal.requested, refusal.resource, refusal.limit)
    }

    /// `ty` with its maximum lowered to the memory limit, or the refusal of its minimum.
    fn limit_memory(&self, ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        let Some(limit) = self.max_memory_bytes else {
            return Ok(*ty);
        };
        let requested = u64::from(ty.minimum.0) * WASM_PAGE_SIZE as u64;
        if requested > limit {
            let message = self.refuse(Refusal { resource: Resource::Memory, requested, limit });
            return Err(MemoryError::Generic(message));
        }
        // Whole pages only: a memory's size is always a multiple of the page size.
        let limit_pages = (limit / WASM_PAGE_SIZE as u64).min(u64::from(WASM_MAX_PAGES)) as u32;
        let declared = ty.maximum.map_or(WASM_MAX_PAGES, |p| p.0);
        Ok(MemoryType { maximum: Some(Pages(declared.min(limit_pages))), ..*ty })
    }

    /// `ty` with its maximum lowered to the table limit, or the refusal of its minimum.
    fn limit_table(&self, ty: &TableType) -> Result<TableType, String> {
        let Some(limit) = self.max_table_elements else {
            return Ok(*ty);
        };
        let requested = u64::from(ty.minimum);
        if requested > limit {
            return Err(self.refuse(Refusal {
                resource: Resource::TableElements,
                requested,
                limit,
            }));
        }
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let declared = ty.maximum.unwrap_or(u32::MAX);
        Ok(TableType { maximum: Some(declared.min(limit)), ..*ty })
    }
}

impl Tunables for LimitTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        // Must match the style the code was compiled for: the base tunables' (wasmer compiles
        // with them), whatever the limit.
        self.base.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.base.create_host_memory(&self.limit_memory(ty)?, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let ty = self.limit_memory(ty)?;
        // SAFETY: forwarded unchanged from wasmer, which upholds the contract of
        // `Tunables::create_vm_memory` for this location.
        unsafe { self.base.create_vm_memory(&ty, style, vm_definition_location) }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(&self.limit_table(ty)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        let ty = self.limit_table(ty)?;
        // SAFETY: forwarded unchanged from wasmer, as above.
        unsafe { self.base.create_vm_table(&ty, style, vm_definition_location) }
    }

    fn vmconfig(&self) -> &VMConfig {
        &self.vmconfig
    }
}

/// The tunables handed to wasmer, sharing the [`LimitTunables`] wasmux keeps to read refusals.
pub(crate) struct SharedTunables(pub(crate) Arc<LimitTunables>);

impl Tunables for SharedTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.0.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.0.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.0.create_host_memory(ty, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        // SAFETY: forwarded unchanged.
        unsafe { self.0.create_vm_memory(ty, style, vm_definition_location) }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.0.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: forwarded unchanged.
        unsafe { self.0.create_vm_table(ty, style, vm_definition_location) }
    }

    fn vmconfig(&self) -> &VMConfig {
        self.0.vmconfig()
    }
}
