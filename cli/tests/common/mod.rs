//! What every CLI test shares.

use std::process::Command;

/// The `wasmux` binary, with its compiled-module cache under the build's temporary directory
/// so that tests never read or write the user's cache.
pub fn wasmux_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmux"));
    command.env("WASMUX_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/wasmux-cache"));
    command
}
