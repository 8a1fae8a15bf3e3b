//! `run_command` is safe, so it must never turn bytes into native code: it compiles modules
//! and refuses precompiled artifacts, on every engine.

use wasmux::wasi::WasiConfig;
use wasmux::{Capability, Config, Error, Limits};

const HELLO: &[u8] = include_bytes!("../../examples/hello.wat");

#[test]
fn run_command_compiles_modules_and_refuses_artifacts() {
    for backend in wasmux::engines() {
        let engine = wasmux::engine(backend, &Config::default()).expect("engine");
        let mut wasi = WasiConfig::new();
        wasi.args(["hello.wat"]);
        let output = wasmux::run_command(engine.as_ref(), HELLO, &wasi, &Limits::new())
            .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(output.stdout, b"Hello from WebAssembly!\n", "{backend:?}");

        let wasm = wasmux::parse(HELLO).expect("valid text");
        let artifact = match engine.precompile(&wasm) {
            Ok(artifact) => artifact,
            Err(Error::Unsupported { .. }) => {
                assert!(
                    !engine.info().capabilities.has(Capability::Precompile),
                    "{backend:?} says it precompiles"
                );
                continue;
            }
            Err(e) => panic!("{backend:?}: {e}"),
        };
        match wasmux::run_command(engine.as_ref(), &artifact, &wasi, &Limits::new()) {
            Err(Error::InvalidArgument(message)) => {
                assert!(message.contains("precompiled artifact"), "{backend:?}: {message}")
            }
            other => panic!("{backend:?}: an artifact must be refused, got {other:?}"),
        }
    }
}
