//! The engine-independent contract of wasmux.
//!
//! An [`Engine`] compiles bytes into a module, and instantiates a module with a [`HostEnv`]
//! (host functions, [`Limits`], state) into an [`Instance`], whose exports are called with
//! [`Val`]s. WASI is not part of the contract: the `wasmux-wasi` crate builds it on host
//! functions. Every backend — wasmtime, wasmer, wasmi — implements these traits,
//! maps its errors into [`Error`] and its traps into [`TrapCode`], and states what it can do in
//! [`Capabilities`]. [`DynEngine`] and [`DynInstance`] are the object-safe forms, for choosing
//! an engine at run time.
//!
//! Data flows one way: bytes → [`Engine::compile`] (or [`Engine::load_precompiled`]) → module
//! → [`Engine::instantiate`] → [`Instance`] → calls → values, exit status, or a typed error.

mod artifact;
mod call_span;
mod caller_externs;
mod caller_memory;
mod capability;
mod config;
mod engine;
mod error;
mod externs;
mod host;
mod import_match;
mod instance_counter;
mod limits;
mod link_cache;
mod native_wrap;
mod needed_proposals;
mod reference;
mod typed;
mod val_buf;
mod value;

pub use artifact::artifact_engine;
pub use capability::{Capabilities, Capability};
pub use config::{Compiler, Config, DEFAULT_MAX_WASM_STACK, Features, OptLevel, PoolingConfig};
pub use engine::{
    Backend, DynEngine, DynInstance, DynModule, Engine, EngineInfo, EngineKind, Instance,
};
pub use error::{ArtifactProblem, Error, LinkError, LinkProblem, Resource, Result, Trap, TrapCode};
pub use externs::{Exports, Extern, ExternKind};
pub use host::{Caller, HostCallback, HostEnv, HostError, HostFunc, HostState, HostValFn, Imports};
pub use limits::{InterruptHandle, Limits};
pub use native_wrap::{HostFn, NativeWrap};
pub use reference::{AnyRef, AnyRefKind, ExnRef, HeapType, RefType};
pub use typed::{TypedFunc, WasmTuple, WasmTy};
pub use value::{
    ExportInfo, ExternRef, ExternType, FuncRef, FuncType, GlobalType, ImportInfo, MemoryType,
    ModuleInfo, TableType, Val, ValType,
};

/// What the backends share and an embedder does not need: the artifact envelope, call
/// bookkeeping, value buffers, resource accounting, link caching and error shaping. Kept out of
/// the crate root (and so out of the `wasmux` facade's root) so that the embedding API is only
/// what an embedder uses.
///
/// ```compile_fail
/// use wasmux_core::LinkCache; // backend plumbing is not in the root
/// ```
pub mod backend {
    pub use crate::artifact::ArtifactStamp;
    pub use crate::call_span::call_span;
    pub use crate::caller_externs::{CallerExterns, ScopeMark, kind_mismatch};
    pub use crate::caller_memory::CallerMemory;
    pub use crate::engine::check_call;
    pub use crate::error::panic_message;
    pub use crate::externs::new_store_id;
    pub use crate::host::{CallerAccess, CallerExports, DataType, Resolved};
    pub use crate::import_match::import_accepts;
    pub use crate::instance_counter::{InstanceCounter, InstanceSlot};
    pub use crate::limits::{ResourceGuard, StopCondition};
    pub use crate::link_cache::LinkCache;
    pub use crate::needed_proposals::{explain_invalid, needed_proposals};
    pub use crate::reference::refuse_typed_refs;
    pub use crate::val_buf::{BitsBuf, ValBuf};
}
