//! Mapping wasmtime's errors and traps into wasmux's vocabulary.
//!
//! A wasmux error raised inside a wasmtime callback (a host function's [`HostError`], the
//! deadline check's interrupt) travels through wasmtime wrapped in [`Carried`] and is taken
//! back out unchanged by [`call_error`].
//!
//! [`HostError`]: wasmux_core::HostError

use std::fmt;

use wasmux_core::{Error, Trap, TrapCode};

use crate::ENGINE;

/// A wasmux error on its way through wasmtime, from a callback back to the caller.
#[derive(Debug)]
pub(crate) struct Carried(pub(crate) Error);

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Carried {}

/// Wraps a wasmux error for returning from a wasmtime callback.
pub(crate) fn carry(error: Error) -> wasmtime::Error {
    wasmtime::Error::new(Carried(error))
}

/// The wasmux code of a wasmtime trap.
///
/// Traps of the component model, which this backend never runs, map to `Unreachable`.
pub(crate) fn trap_code(trap: wasmtime::Trap) -> TrapCode {
    use wasmtime::Trap as T;
    match trap {
        T::StackOverflow => TrapCode::StackOverflow,
        T::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
        T::HeapMisaligned => TrapCode::UnalignedAtomic,
        T::TableOutOfBounds => TrapCode::TableOutOfBounds,
        T::IndirectCallToNull => TrapCode::IndirectCallToNull,
        T::BadSignature => TrapCode::BadSignature,
        T::IntegerOverflow => TrapCode::IntegerOverflow,
        T::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
        T::BadConversionToInteger => TrapCode::BadConversionToInteger,
        T::UnreachableCodeReached => TrapCode::Unreachable,
        T::Interrupt => TrapCode::Interrupt,
        T::OutOfFuel => TrapCode::OutOfFuel,
        T::NullReference => TrapCode::NullReference,
        T::AtomicWaitNonSharedMemory => TrapCode::ExpectedSharedMemory,
        T::ArrayOutOfBounds => TrapCode::ArrayOutOfBounds,
        T::AllocationTooLarge => TrapCode::AllocationTooLarge,
        T::CastFailure => TrapCode::CastFailure,
        T::UnhandledTag | T::UncaughtException => TrapCode::UncaughtException,
        _ => TrapCode::Unreachable,
    }
}

/// The wasmux error for an error returned by a call into wasm (or by a start function).
pub(crate) fn call_error(error: wasmtime::Error) -> Error {
    let error = match error.downcast::<Carried>() {
        Ok(Carried(inner)) => return inner,
        Err(error) => error,
    };
    if let Some(trap) = error.downcast_ref::<wasmtime::Trap>() {
        return Error::Trap(Trap::new(trap_code(*trap), trap.to_string()));
    }
    if error.is::<wasmtime::ThrownException>() {
        return Error::Trap(Trap::new(
            TrapCode::UncaughtException,
            "a wasm exception was thrown and not caught",
        ));
    }
    engine_error(error)
}

/// The wasmux error for a failure of wasmtime itself (out of host memory, GC heap
/// exhausted, …) rather than of the guest.
pub(crate) fn engine_error(error: wasmtime::Error) -> Error {
    Error::Engine { engine: ENGINE, message: chain(&error) }
}

/// Every message of an error's chain, outermost first.
pub(crate) fn chain(error: &wasmtime::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if !text.is_empty() {
            if text.ends_with(&cause) {
                continue;
            }
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}
