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

pub mod artifact;
pub mod call_span;
pub mod capability;
pub mod config;
pub mod engine;
pub mod error;
pub mod externs;
pub mod host;
pub mod import_match;
pub mod limits;
pub mod link_cache;
pub mod needed_proposals;
pub mod typed;
pub mod val_buf;
pub mod value;

pub use artifact::{ArtifactStamp, artifact_engine};
pub use call_span::call_span;
pub use capability::{Capabilities, Capability};
pub use config::{Compiler, Config, DEFAULT_MAX_WASM_STACK, Features, OptLevel, PoolingConfig};
pub use engine::{
    Backend, DynEngine, DynInstance, DynModule, Engine, EngineInfo, EngineKind, Instance,
    check_call,
};
pub use error::{
    ArtifactProblem, Error, LinkError, LinkProblem, Resource, Result, Trap, TrapCode, panic_message,
};
pub use externs::{Exports, Extern, ExternKind, new_store_id};
pub use host::{Caller, HostCallback, HostEnv, HostError, HostFunc, HostState, Imports, Resolved};
pub use import_match::import_accepts;
pub use limits::{
    InstanceCounter, InstanceSlot, InterruptHandle, Limits, ResourceGuard, StopCondition,
};
pub use link_cache::LinkCache;
pub use needed_proposals::{explain_invalid, needed_proposals};
pub use typed::{TypedFunc, WasmTuple, WasmTy};
pub use val_buf::{BitsBuf, ValBuf};
pub use value::{
    ExportInfo, ExternRef, ExternType, FuncRef, FuncType, GlobalType, ImportInfo, MemoryType,
    ModuleInfo, TableType, Val, ValType,
};
