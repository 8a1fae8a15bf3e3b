//! How an error ends the process: one line on stderr and a status that tells its kind apart.

use wasmux::Error;

/// Exit status of a guest trap: 128 + SIGABRT on Unix, as wasmtime's CLI does, so scripts that
/// check for a crashed guest work with either tool.
pub const TRAP: u8 = if cfg!(unix) { 134 } else { 3 };
/// Any failure not listed below.
pub const FAILURE: u8 = 1;
/// The command line was wrong (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// The module is not valid WebAssembly (binary or text).
pub const INVALID_MODULE: u8 = 65;
/// An import could not be satisfied.
pub const LINK: u8 = 66;
/// A file could not be read or written.
pub const IO: u8 = 74;
/// The engine cannot do what was asked, or the configuration is inconsistent.
pub const UNSUPPORTED: u8 = 69;
/// A resource limit refused the instance.
pub const RESOURCE_LIMIT: u8 = 70;
/// A precompiled artifact was refused.
pub const ARTIFACT: u8 = 71;
/// An OCI image was refused (bad reference, missing or corrupt blob, unsafe layer, no Wasm
/// platform or entrypoint) or its registry failed.
pub const IMAGE: u8 = 72;

/// The engine itself failed (an internal error, contained); not the guest's or the user's fault.
pub const ENGINE: u8 = 76;
/// wasmux itself panicked: a bug in wasmux.
pub const INTERNAL: u8 = 101;

/// The exit status for an error.
pub fn status(error: &Error) -> u8 {
    match error {
        Error::Trap(_) => TRAP,
        Error::Exit(status) => u8::try_from(*status).unwrap_or(FAILURE),
        Error::Parse { .. } | Error::Compile { .. } => INVALID_MODULE,
        Error::Link(_) => LINK,
        Error::Io { .. } => IO,
        Error::Unsupported { .. } | Error::Config(_) => UNSUPPORTED,
        Error::ResourceLimit { .. } => RESOURCE_LIMIT,
        Error::Artifact { .. } => ARTIFACT,
        Error::InvalidArgument(_) | Error::Export { .. } => USAGE,
        Error::Engine { .. } => ENGINE,
        _ => FAILURE,
    }
}
