//! A build of the facade with only `wasmer-headless` loads and runs wasmer artifacts and can
//! do nothing else. Exists only in that build; `.ci/run` makes the artifact with the full CLI
//! and runs: `cargo test -p wasmux --no-default-features --features wasmer-headless --test headless`
//! with `WASMUX_HEADLESS_ARTIFACT` naming it (examples/fib.wat compiled for wasmer).
#![cfg(all(
    feature = "wasmer-headless",
    not(feature = "wasmer"),
    not(feature = "wasmer-singlepass")
))]

use wasmux::{Backend, Config, Error, HostEnv, Val};

#[test]
fn headless_build_runs_artifacts_and_compiles_nothing() {
    assert_eq!(wasmux::engines(), [Backend::Wasmer]);
    let engine = wasmux::engine(Backend::Wasmer, &Config::default()).expect("headless engine");
    assert_eq!(engine.info().compiler, None, "no compiler in a headless build");
    let wasm = wasmux::parse(include_bytes!("../../examples/fib.wat")).expect("parse");
    assert!(matches!(engine.compile(&wasm), Err(Error::Unsupported { .. })));
    assert!(matches!(engine.precompile(&wasm), Err(Error::Unsupported { .. })));

    let path = std::env::var("WASMUX_HEADLESS_ARTIFACT")
        .expect("WASMUX_HEADLESS_ARTIFACT must name an artifact of examples/fib.wat for wasmer");
    let artifact = std::fs::read(&path).expect("read the artifact");
    // SAFETY: made by `wasmux compile --engine wasmer` in the same CI run.
    let module = unsafe { engine.load_precompiled(&artifact) }.expect("load without a compiler");
    let mut instance = engine.instantiate(&module, HostEnv::new()).expect("instantiate");
    assert_eq!(instance.call("fib", &[Val::I32(20)]).expect("call"), [Val::I64(6765)]);
}
