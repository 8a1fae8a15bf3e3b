//! The shared conformance suite, run on wasmi.

fn main() -> std::process::ExitCode {
    wasmux_conformance::main::<wasmux_wasmi::WasmiEngine>()
}
