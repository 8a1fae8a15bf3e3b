//! One error vocabulary for every engine.

use std::fmt;
use std::io;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::value::ExternType;

/// The result type of every fallible wasmux operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a WebAssembly execution stopped abnormally. The same guest fault has the same code on
/// every engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable,
    /// A load, store or bulk memory operation was out of bounds.
    MemoryOutOfBounds,
    /// A table access or bulk table operation was out of bounds, or `call_indirect` past the end.
    TableOutOfBounds,
    /// `call_indirect` reached a null table entry.
    IndirectCallToNull,
    /// `call_indirect` reached a function of another signature.
    BadSignature,
    /// Signed division overflowed (`i32.div_s(INT_MIN, -1)`), or a float-to-integer conversion
    /// was out of range.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A float-to-integer conversion of NaN.
    BadConversionToInteger,
    /// The call stack was exhausted, e.g. by unbounded recursion.
    StackOverflow,
    /// A null reference was dereferenced.
    NullReference,
    /// An atomic access was not aligned.
    UnalignedAtomic,
    /// An exception was thrown and not caught.
    UncaughtException,
    /// A GC reference cast failed (`ref.cast`).
    CastFailure,
    /// A GC array access was out of bounds.
    ArrayOutOfBounds,
    /// A GC allocation was larger than the engine can make.
    AllocationTooLarge,
    /// `memory.atomic.wait` on a memory that is not shared.
    ExpectedSharedMemory,
    /// The fuel limit was used up.
    OutOfFuel,
    /// The call's deadline passed, or an [`InterruptHandle`](crate::InterruptHandle) fired.
    Interrupt,
    /// A host function returned an error.
    HostError,
}

impl TrapCode {
    /// A short stable name, as used in reports and by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "memory out of bounds",
            TrapCode::TableOutOfBounds => "table out of bounds",
            TrapCode::IndirectCallToNull => "indirect call to null",
            TrapCode::BadSignature => "indirect call signature mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::NullReference => "null reference",
            TrapCode::UnalignedAtomic => "unaligned atomic",
            TrapCode::UncaughtException => "uncaught exception",
            TrapCode::CastFailure => "cast failure",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::AllocationTooLarge => "allocation too large",
            TrapCode::ExpectedSharedMemory => "expected shared memory",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::Interrupt => "interrupted",
            TrapCode::HostError => "host error",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trap: the code that classifies it, the engine's own description, and for a host
/// function's failure the error it failed with ([`std::error::Error::source`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// What went wrong, the same on every engine.
    pub code: TrapCode,
    /// Detail from the engine or the host function; wording differs between engines.
    pub message: String,
    source: Option<HostSource>,
}

impl Trap {
    /// A trap with a code and a message.
    pub fn new(code: TrapCode, message: impl Into<String>) -> Self {
        Trap { code, message: message.into(), source: None }
    }

    /// A [`TrapCode::HostError`] trap caused by `source`, which a host function failed with.
    pub fn host(source: Arc<dyn std::error::Error + Send + Sync>) -> Self {
        Trap {
            code: TrapCode::HostError,
            message: source.to_string(),
            source: Some(HostSource(source)),
        }
    }

    /// The error a host function failed with, if it is a `E`.
    pub fn host_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.source.as_ref()?.0.downcast_ref()
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if self.message.is_empty() { Ok(()) } else { write!(f, " ({})", self.message) }
    }
}

impl std::error::Error for Trap {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + 'static) = &*self.source.as_ref()?.0;
        Some(source)
    }
}

/// A host function's error inside a [`Trap`]: equal only to itself.
#[derive(Clone, Debug)]
struct HostSource(Arc<dyn std::error::Error + Send + Sync>);

impl PartialEq for HostSource {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for HostSource {}

/// Which resource limit an operation exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resource {
    /// Linear memory, in bytes.
    Memory,
    /// Table elements.
    TableElements,
    /// Live instances of one engine.
    Instances,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Memory => "memory bytes",
            Resource::TableElements => "table elements",
            Resource::Instances => "live instances",
        })
    }
}

/// What is wrong with a precompiled artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ArtifactProblem {
    /// Not an artifact at all, truncated, or its checksum does not match its bytes.
    Corrupt,
    /// Made by another engine.
    OtherEngine,
    /// Made by another version of this engine, or of wasmux.
    OtherVersion,
    /// Made with other compiler settings or for another CPU.
    Incompatible,
}

impl fmt::Display for ArtifactProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArtifactProblem::Corrupt => "corrupt",
            ArtifactProblem::OtherEngine => "made by another engine",
            ArtifactProblem::OtherVersion => "made by another version",
            ArtifactProblem::Incompatible => "incompatible with this configuration",
        })
    }
}

/// Why an import could not be satisfied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkProblem {
    /// Nothing was provided under that module and name.
    Missing,
    /// Something was provided, but of another type.
    Mismatch {
        /// What was provided.
        found: ExternType,
    },
    /// A host function made for host data of one type was offered to an instance whose host
    /// data has another.
    HostData {
        /// The type the function works on.
        expected: &'static str,
        /// The type of the instance's host data.
        found: &'static str,
    },
}

/// Everything that can go wrong in wasmux. Engine errors are mapped into these variants, never
/// passed through as strings of unknown shape.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// WebAssembly text (`.wat`) could not be parsed.
    #[error("invalid WebAssembly text: {message}")]
    Parse {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The bytes are not a valid module, or the engine failed to compile it.
    #[error("{engine}: invalid module: {message}")]
    Compile {
        /// The engine that refused it.
        engine: &'static str,
        /// The engine's message.
        message: String,
    },
    /// An import could not be satisfied.
    #[error(transparent)]
    Link(Box<LinkError>),
    /// Instantiation failed for a reason other than a trap, a link error or a limit.
    #[error("{engine}: instantiation failed: {message}")]
    Instantiate {
        /// The engine.
        engine: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The guest trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
    /// The guest asked to exit (WASI `proc_exit`) with this status.
    #[error("guest exited with status {0}")]
    Exit(i32),
    /// A resource limit refused an allocation.
    #[error("resource limit exceeded: {requested} {resource} requested, limit is {limit}")]
    ResourceLimit {
        /// The resource.
        resource: Resource,
        /// How much was asked for.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The engine cannot do what was asked, in this build or configuration.
    #[error("{engine} does not support {feature}")]
    Unsupported {
        /// The engine.
        engine: &'static str,
        /// What it cannot do.
        feature: String,
    },
    /// A precompiled artifact was refused.
    #[error("{engine}: precompiled artifact refused: {problem}: {message}")]
    Artifact {
        /// The engine asked to load it.
        engine: &'static str,
        /// The kind of problem.
        problem: ArtifactProblem,
        /// Details.
        message: String,
    },
    /// An export is missing or of the wrong kind.
    #[error("export `{name}`: {message}")]
    Export {
        /// The export's name.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// An argument from the caller is wrong: a value of the wrong type, a module of another
    /// engine, an out-of-range memory access.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The configuration is invalid or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The engine itself failed, not the guest: it ran out of host memory, or hit an internal
    /// error (a panic inside the engine is contained and reported this way).
    #[error("{engine}: internal engine failure: {message}")]
    Engine {
        /// The engine.
        engine: &'static str,
        /// What it said.
        message: String,
    },
    /// An I/O operation of the host failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. the path.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// An import that could not be satisfied, named precisely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct LinkError {
    /// The import's module name.
    pub module: String,
    /// The import's field name.
    pub field: String,
    /// The type the module expects.
    pub expected: ExternType,
    /// What is wrong with what was provided.
    pub problem: LinkProblem,
}

impl LinkError {
    fn describe(&self) -> String {
        let LinkError { module, field, expected, problem } = self;
        match problem {
            LinkProblem::Missing => {
                format!("unknown import `{module}::{field}`: the module expects {expected}")
            }
            LinkProblem::Mismatch { found } => format!(
                "incompatible import `{module}::{field}`: the module expects {expected}, the host provides {found}"
            ),
            LinkProblem::HostData { expected: wanted, found } => format!(
                "host function `{module}::{field}` works on host data of type `{wanted}`, but \
                 the instance's host data is a `{found}`"
            ),
        }
    }
}

impl Error {
    /// The error a host function failed with, if this is its trap and that error is a `E`: how
    /// an embedder gets its own error type back from a call.
    pub fn host_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Error::Trap(trap) => trap.host_error(),
            _ => None,
        }
    }

    /// The trap code, if this is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self {
            Error::Trap(trap) => Some(trap.code),
            _ => None,
        }
    }

    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// An `Unsupported` error.
    pub fn unsupported(engine: &'static str, feature: impl Into<String>) -> Self {
        Error::Unsupported { engine, feature: feature.into() }
    }
}

/// The message of a caught panic's payload (`&str` or `String`), for reporting a contained panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
