//! Mapping wasmi's errors and traps into the wasmux vocabulary.

use std::fmt;

use wasmux_core::{Error, HostError, Trap, TrapCode};

use crate::ENGINE;

/// A wasmux host error travelling through wasmi's trap machinery, unwrapped again on the way out.
#[derive(Debug)]
pub(crate) struct HostFailure(pub(crate) HostError);

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl wasmi::errors::HostError for HostFailure {}

pub(crate) fn trap_code(code: wasmi::TrapCode) -> TrapCode {
    use wasmi::TrapCode as W;
    match code {
        W::UnreachableCodeReached => TrapCode::Unreachable,
        W::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
        W::TableOutOfBounds => TrapCode::TableOutOfBounds,
        W::IndirectCallToNull => TrapCode::IndirectCallToNull,
        W::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
        W::IntegerOverflow => TrapCode::IntegerOverflow,
        W::BadConversionToInteger => TrapCode::BadConversionToInteger,
        W::StackOverflow => TrapCode::StackOverflow,
        W::BadSignature => TrapCode::BadSignature,
        W::OutOfFuel => TrapCode::OutOfFuel,
        // A growth refused by a limiter configured to trap; wasmux never configures that, but a
        // refused allocation is still a memory fault from the guest's point of view.
        W::GrowthOperationLimited | W::OutOfSystemMemory => TrapCode::MemoryOutOfBounds,
    }
}

/// Maps an error from running guest code (a call or a start function).
pub(crate) fn execution_error(error: wasmi::Error) -> Error {
    use wasmi::errors::ErrorKind;
    if let Some(code) = error.as_trap_code() {
        return Error::Trap(Trap::new(trap_code(code), code.trap_message()));
    }
    if let Some(status) = error.i32_exit_status() {
        return Error::Exit(status);
    }
    match error.kind() {
        ErrorKind::Host(host) => match host.downcast_ref::<HostFailure>() {
            Some(failure) => failure.0.clone().into_error(),
            None => Error::Trap(Trap::new(TrapCode::HostError, host.to_string())),
        },
        ErrorKind::Message(message) => {
            Error::Trap(Trap::new(TrapCode::HostError, message.to_string()))
        }
        ErrorKind::Fuel(_) => Error::Trap(Trap::new(TrapCode::OutOfFuel, error.to_string())),
        // An active element segment that does not fit its table is a trap during
        // instantiation, as the specification (and every other engine) has it.
        ErrorKind::Instantiation(wasmi::errors::InstantiationError::ElementSegmentDoesNotFit {
            ..
        }) => Error::Trap(Trap::new(
            TrapCode::TableOutOfBounds,
            "element segment does not fit its table",
        )),
        _ => Error::Instantiate { engine: ENGINE, message: error.to_string() },
    }
}

/// Maps an error from decoding, validating or translating a module.
pub(crate) fn compile_error(error: wasmi::Error) -> Error {
    Error::Compile { engine: ENGINE, message: error.to_string() }
}
