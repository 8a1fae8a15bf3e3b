//! Host functions, defined once and accepted by every engine, and the per-instance host state
//! they work on.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, LinkError, LinkProblem, Result};
use crate::limits::Limits;
use crate::value::{ExternType, FuncType, ModuleInfo, Val};
use crate::wasi::WasiCtx;

/// Why a host function failed. The backend turns it into [`Error::Trap`] with
/// [`TrapCode::HostError`](crate::TrapCode::HostError), or into [`Error::Exit`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// Stop the guest with a trap carrying this message.
    #[error("{0}")]
    Trap(String),
    /// End the guest as if it exited with this status (WASI `proc_exit`).
    #[error("exit with status {0}")]
    Exit(i32),
}

impl HostError {
    /// A trap with this message.
    pub fn trap(message: impl Into<String>) -> Self {
        HostError::Trap(message.into())
    }

    /// The wasmux error a backend reports for it.
    pub fn into_error(self) -> Error {
        match self {
            HostError::Trap(message) => {
                Error::Trap(crate::Trap::new(crate::TrapCode::HostError, message))
            }
            HostError::Exit(status) => Error::Exit(status),
        }
    }
}

/// What an instance's host functions share: the embedder's data and the WASI context.
pub struct HostState {
    data: Box<dyn Any + Send>,
    wasi: Option<WasiCtx>,
}

impl Default for HostState {
    fn default() -> Self {
        HostState { data: Box::new(()), wasi: None }
    }
}

impl HostState {
    /// State holding the embedder's `data`.
    pub fn new<T: Any + Send>(data: T) -> Self {
        HostState { data: Box::new(data), wasi: None }
    }

    /// The embedder's data, if it has type `T`.
    pub fn data<T: Any>(&mut self) -> Option<&mut T> {
        self.data.downcast_mut()
    }

    /// The WASI context, if the instance has one.
    pub fn wasi(&mut self) -> Option<&mut WasiCtx> {
        self.wasi.as_mut()
    }

    /// Installs a WASI context.
    pub fn set_wasi(&mut self, ctx: WasiCtx) {
        self.wasi = Some(ctx);
    }
}

impl fmt::Debug for HostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostState").field("wasi", &self.wasi.is_some()).finish_non_exhaustive()
    }
}

/// What a host function sees of its caller: the caller's exported linear memory `memory`
/// (if it has one) and the instance's host state.
pub struct Caller<'a> {
    memory: Option<&'a mut [u8]>,
    state: &'a mut HostState,
}

impl<'a> Caller<'a> {
    /// A caller view. For backends.
    pub fn new(memory: Option<&'a mut [u8]>, state: &'a mut HostState) -> Self {
        Caller { memory, state }
    }

    /// The caller's linear memory, if it exports one named `memory`.
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        self.memory.as_deref_mut()
    }

    /// The instance's host state.
    pub fn state(&mut self) -> &mut HostState {
        self.state
    }

    /// Memory and state at once, for functions that need both.
    pub fn split(&mut self) -> (Option<&mut [u8]>, &mut HostState) {
        (self.memory.as_deref_mut(), self.state)
    }

    /// The embedder's data, if it has type `T`.
    pub fn data<T: Any>(&mut self) -> Option<&mut T> {
        self.state.data()
    }

    /// `len` bytes of guest memory at `ptr`, bounds-checked.
    pub fn read(&mut self, ptr: u64, len: u64) -> Result<&[u8], HostError> {
        let memory = self.memory.as_deref().ok_or_else(no_memory)?;
        let range = guest_range(memory.len(), ptr, len)?;
        Ok(&memory[range])
    }

    /// Copies `bytes` into guest memory at `ptr`, bounds-checked.
    pub fn write(&mut self, ptr: u64, bytes: &[u8]) -> Result<(), HostError> {
        let memory = self.memory.as_deref_mut().ok_or_else(no_memory)?;
        let range = guest_range(memory.len(), ptr, bytes.len() as u64)?;
        memory[range].copy_from_slice(bytes);
        Ok(())
    }
}

fn no_memory() -> HostError {
    HostError::trap("the calling module exports no memory named `memory`")
}

fn guest_range(size: usize, ptr: u64, len: u64) -> Result<std::ops::Range<usize>, HostError> {
    match ptr.checked_add(len) {
        Some(end) if end <= size as u64 => Ok(ptr as usize..end as usize),
        _ => Err(HostError::trap(format!(
            "guest range {ptr}+{len} is outside memory of {size} bytes"
        ))),
    }
}

impl fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("memory_bytes", &self.memory.as_ref().map(|m| m.len()))
            .finish_non_exhaustive()
    }
}

/// The body of a host function: reads `params`, writes `results` (already sized and typed).
pub type HostCallback =
    dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), HostError> + Send + Sync;

struct HostFuncInner {
    module: String,
    name: String,
    ty: FuncType,
    callback: Box<HostCallback>,
}

/// A host function, importable as `module::name`. Cheap to clone.
#[derive(Clone)]
pub struct HostFunc(Arc<HostFuncInner>);

impl HostFunc {
    /// A host function of type `ty` running `callback`.
    pub fn new(
        module: impl Into<String>,
        name: impl Into<String>,
        ty: FuncType,
        callback: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), HostError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        HostFunc(Arc::new(HostFuncInner {
            module: module.into(),
            name: name.into(),
            ty,
            callback: Box::new(callback),
        }))
    }

    /// The import module name.
    pub fn module(&self) -> &str {
        &self.0.module
    }

    /// The import field name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The signature.
    pub fn ty(&self) -> &FuncType {
        &self.0.ty
    }

    /// Runs the function. For backends: `params` must match the signature and `results` must
    /// hold one value of each result type.
    pub fn call(
        &self,
        caller: &mut Caller<'_>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), HostError> {
        (self.0.callback)(caller, params, results)?;
        match results.iter().zip(self.0.ty.results()).find(|(v, t)| v.ty() != **t) {
            Some((value, expected)) => Err(HostError::trap(format!(
                "host function `{}::{}` returned {} where {expected} was declared",
                self.0.module,
                self.0.name,
                value.ty()
            ))),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for HostFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostFunc({}::{} {})", self.0.module, self.0.name, self.0.ty)
    }
}

/// The host functions offered to a module. A later definition of the same `module::name`
/// replaces the earlier one.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    funcs: Vec<HostFunc>,
}

impl Imports {
    /// No imports.
    pub fn new() -> Self {
        Imports::default()
    }

    /// Adds a host function.
    pub fn func(&mut self, func: HostFunc) -> &mut Self {
        match self.funcs.iter_mut().find(|f| f.module() == func.module() && f.name() == func.name())
        {
            Some(existing) => *existing = func,
            None => self.funcs.push(func),
        }
        self
    }

    /// The function offered as `module::name`.
    pub fn get(&self, module: &str, name: &str) -> Option<&HostFunc> {
        self.funcs.iter().find(|f| f.module() == module && f.name() == name)
    }

    /// Every function, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &HostFunc> {
        self.funcs.iter()
    }

    /// Resolves every import of `module` to a host function, in import order, or names the
    /// first import that cannot be satisfied. Every backend links through this, so a link error
    /// reads the same on every engine.
    pub fn resolve(&self, module: &ModuleInfo) -> Result<Vec<HostFunc>> {
        module
            .imports
            .iter()
            .map(|import| {
                let link_error = |problem| {
                    Error::Link(Box::new(LinkError {
                        module: import.module.clone(),
                        field: import.name.clone(),
                        expected: import.ty.clone(),
                        problem,
                    }))
                };
                let func = self
                    .get(&import.module, &import.name)
                    .ok_or_else(|| link_error(LinkProblem::Missing))?;
                match &import.ty {
                    ExternType::Func(ty) if ty == func.ty() => Ok(func.clone()),
                    _ => Err(link_error(LinkProblem::Mismatch {
                        found: ExternType::Func(func.ty().clone()),
                    })),
                }
            })
            .collect()
    }
}

/// Everything the host gives one instance: host functions, limits and state.
#[derive(Debug, Default)]
pub struct HostEnv {
    /// Functions the module may import.
    pub imports: Imports,
    /// Limits on the instance.
    pub limits: Limits,
    /// State the host functions share.
    pub state: HostState,
}

impl HostEnv {
    /// No imports, no limits, empty state.
    pub fn new() -> Self {
        HostEnv::default()
    }

    /// Offers a host function.
    pub fn func(&mut self, func: HostFunc) -> &mut Self {
        self.imports.func(func);
        self
    }

    /// Replaces the set of host functions.
    pub fn imports(&mut self, imports: Imports) -> &mut Self {
        self.imports = imports;
        self
    }

    /// Sets the limits.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Stores the embedder's data, reachable from host functions through
    /// [`Caller::data`] and afterwards through the instance's host state.
    pub fn data<T: Any + Send>(&mut self, data: T) -> &mut Self {
        self.state.data = Box::new(data);
        self
    }

    /// Gives the instance a WASI context and offers the WASI preview1 functions.
    pub fn wasi(&mut self, ctx: WasiCtx) -> &mut Self {
        crate::wasi::add_to_imports(&mut self.imports);
        self.state.set_wasi(ctx);
        self
    }
}
