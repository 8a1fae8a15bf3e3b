//! The shared conformance suite, run on wasmer.

fn main() -> std::process::ExitCode {
    wasmux_conformance::main::<wasmux_wasmer::WasmerEngine>()
}
