//! `containerd-shim-wasmux-v1`: the containerd runtime shim (`--runtime io.containerd.wasmux.v1`)
//! that runs a container's WebAssembly entrypoint on wasmtime, wasmer or wasmi through the
//! wasmux library, and hands a native entrypoint to runc.
//!
//! containerd starts it with `start`, `delete` or to serve one container group; the hidden
//! subcommand [`guest::SUBCOMMAND`] makes it a container's guest process instead.

mod container;
mod entrypoint;
mod guest;
mod guest_process;
mod plan;
mod reaped;
mod rootfs;
mod runc;
mod service;
mod shim;
mod stdio;

/// The runtime name containerd knows this shim by.
const RUNTIME_ID: &str = "io.containerd.wasmux.v1";

fn main() {
    if std::env::args().nth(1).as_deref() == Some(guest::SUBCOMMAND) {
        guest::main();
    }
    containerd_shim::run::<shim::WasmuxShim>(RUNTIME_ID, None);
}
