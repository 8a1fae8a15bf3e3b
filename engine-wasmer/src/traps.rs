//! wasmer's errors as wasmux's.

use wasmer::{DeserializeError, InstantiationError, LinkError, RuntimeError};
use wasmux_core::{ArtifactProblem, Error, HostError, Trap, TrapCode};

use crate::ENGINE;
use crate::tunables::Refusal;

/// What the guest was doing when it failed, to tell traps that look alike apart.
pub(crate) struct TrapContext {
    /// Whether the instance's fuel is exhausted: metering stops the guest with `unreachable`.
    pub out_of_fuel: bool,
    /// Why the call would be interrupted now (handle fired, deadline passed), if it would.
    pub stop: Option<Trap>,
}

/// wasmer's trap code as wasmux's.
pub(crate) fn trap_code(code: wasmer::sys::vm::TrapCode) -> TrapCode {
    use wasmer::sys::vm::TrapCode as W;
    match code {
        W::StackOverflow => TrapCode::StackOverflow,
        W::HeapAccessOutOfBounds => TrapCode::MemoryOutOfBounds,
        // Misaligned accesses trap only for atomics.
        W::HeapMisaligned | W::UnalignedAtomic => TrapCode::UnalignedAtomic,
        W::TableAccessOutOfBounds => TrapCode::TableOutOfBounds,
        W::IndirectCallToNull => TrapCode::IndirectCallToNull,
        W::BadSignature => TrapCode::BadSignature,
        W::IntegerOverflow => TrapCode::IntegerOverflow,
        W::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
        W::BadConversionToInteger => TrapCode::BadConversionToInteger,
        W::UnreachableCodeReached => TrapCode::Unreachable,
        W::UncaughtException => TrapCode::UncaughtException,
        W::UninitializedExnRef => TrapCode::NullReference,
        W::HostInterrupt => TrapCode::Interrupt,
        // A write to a table wasmer proved read-only; only with an optimisation wasmux leaves off.
        W::ReadonlyTableModified => TrapCode::TableOutOfBounds,
        // Only with wasmer's async API, which wasmux does not use.
        W::YieldOutsideAsyncContext => TrapCode::HostError,
    }
}

/// A wasmux host error travelling through wasmer's unwinding as a user error, unwrapped again
/// on the way out.
#[derive(Debug)]
pub(crate) struct HostFailure(pub(crate) HostError);

impl std::fmt::Display for HostFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for HostFailure {}

/// A failed call (or start function) as a wasmux error.
pub(crate) fn from_runtime_error(error: RuntimeError, ctx: TrapContext) -> Error {
    if let Some(HostFailure(host)) = error.downcast_ref::<HostFailure>() {
        return host.clone().into_error();
    }
    if error.is_exception() {
        return Error::Trap(Trap::new(TrapCode::UncaughtException, "uncaught exception"));
    }
    let message = error.message();
    match error.to_trap() {
        Some(code) => match trap_code(code) {
            TrapCode::Unreachable if ctx.out_of_fuel => {
                Error::Trap(Trap::new(TrapCode::OutOfFuel, "all fuel consumed"))
            }
            TrapCode::Interrupt => Error::Trap(
                ctx.stop.unwrap_or_else(|| Trap::new(TrapCode::Interrupt, "interrupted")),
            ),
            code => Error::Trap(Trap::new(code, message)),
        },
        // Errors of wasmer's call machinery (argument checks), which wasmux checks beforehand.
        None => Error::InvalidArgument(message),
    }
}

/// A failed instantiation as a wasmux error; `refusal` is what the limits refused, if anything.
pub(crate) fn from_instantiation_error(
    error: InstantiationError,
    refusal: Option<Refusal>,
    ctx: TrapContext,
) -> Error {
    if let Some(refusal) = refusal {
        return refusal.into_error();
    }
    match error {
        InstantiationError::Link(LinkError::Trap(trap)) | InstantiationError::Start(trap) => {
            from_runtime_error(trap, ctx)
        }
        // A table or memory whose declared maximum exceeds what wasmer can reserve (tables of
        // more than 2^27 elements): valid WebAssembly that this engine cannot run.
        InstantiationError::Link(LinkError::Resource(message))
            if message.contains("larger than maximum allowed size") =>
        {
            Error::unsupported(ENGINE, message)
        }
        other => Error::Instantiate { engine: ENGINE, message: other.to_string() },
    }
}

/// A compilation or validation failure. What wasmer's translator says it does not implement in
/// a module that passed validation (e.g. `global.get` in an element segment's expressions) is
/// `Unsupported`, not an invalid module.
#[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
pub(crate) fn from_compile_error(error: wasmer::CompileError) -> Error {
    use wasmer::{CompileError, WasmError};
    match error {
        CompileError::Wasm(WasmError::Unsupported(what))
        | CompileError::UnsupportedFeature(what) => Error::unsupported(ENGINE, what),
        other => Error::Compile { engine: ENGINE, message: other.to_string() },
    }
}

/// wasmer's refusal of an artifact that passed wasmux's envelope checks.
pub(crate) fn from_deserialize_error(error: DeserializeError) -> Error {
    let problem = match error {
        DeserializeError::Incompatible(_) => ArtifactProblem::Incompatible,
        _ => ArtifactProblem::Corrupt,
    };
    Error::Artifact { engine: ENGINE, problem, message: error.to_string() }
}
