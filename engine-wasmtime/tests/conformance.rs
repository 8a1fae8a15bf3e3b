//! The shared conformance suite, run on wasmtime.

fn main() -> std::process::ExitCode {
    wasmux_conformance::main::<wasmux_wasmtime::WasmtimeEngine>()
}
