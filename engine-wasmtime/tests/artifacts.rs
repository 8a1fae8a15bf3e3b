//! Precompiled artifacts: the round trip, and every way a bad artifact is refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engine, engine_with, wasm};
use wasmux_core::backend::ArtifactStamp;
use wasmux_core::{ArtifactProblem, Config, Engine, Error, HostEnv, Instance, Val};
use wasmux_wasmtime::WasmtimeEngine;

const ADD: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add))"#;

fn problem(engine: &WasmtimeEngine, artifact: &[u8]) -> ArtifactProblem {
    // SAFETY: every artifact in these tests comes from `precompile` or is refused before
    // any native code is mapped.
    match unsafe { engine.load_precompiled(artifact) } {
        Err(Error::Artifact { engine: "wasmtime", problem, .. }) => problem,
        Err(other) => panic!("expected an artifact error, got {other:?}"),
        Ok(_) => panic!("a bad artifact was accepted"),
    }
}

#[test]
fn another_engine_with_the_same_config_loads_it() {
    let artifact = engine().precompile(&wasm(ADD)).unwrap();
    let other = engine();
    // SAFETY: made by `precompile` just above.
    let module = unsafe { other.load_precompiled(&artifact) }.unwrap();
    let mut instance = other.instantiate(&module, HostEnv::new()).unwrap();
    assert_eq!(instance.call("add", &[Val::I32(1), Val::I32(1)]).unwrap(), vec![Val::I32(2)]);
}

#[test]
fn artifact_of_another_version_is_refused() {
    let engine = engine();
    let payload = wasmtime_payload(&engine);
    let stale =
        ArtifactStamp { engine_version: "47.0.1".into(), ..engine.artifact_stamp().clone() };
    assert_eq!(problem(&engine, &stale.seal(&payload)), ArtifactProblem::OtherVersion);
}

#[test]
fn artifact_with_other_settings_is_refused() {
    let with_fuel = engine_with(Config::default().fuel(true));
    let without_fuel = engine();
    let artifact = with_fuel.precompile(&wasm(ADD)).unwrap();
    assert_eq!(problem(&without_fuel, &artifact), ArtifactProblem::Incompatible);
    let artifact = without_fuel.precompile(&wasm(ADD)).unwrap();
    assert_eq!(problem(&with_fuel, &artifact), ArtifactProblem::Incompatible);

    let mut no_simd = Config::default();
    no_simd.features_mut().set(wasmux_core::Capability::Simd, false);
    assert_eq!(problem(&engine_with(&no_simd), &artifact), ArtifactProblem::Incompatible);

    let interruptible = engine_with(Config::default().interruptible(true));
    assert_eq!(problem(&interruptible, &artifact), ArtifactProblem::Incompatible);
}

#[test]
fn settings_mismatch_hidden_from_the_stamp_is_refused_by_wasmtime() {
    // A payload made with fuel, sealed with the stamp of an engine without fuel: the envelope
    // passes, wasmtime's own compatibility check must refuse it.
    let with_fuel = engine_with(Config::default().fuel(true));
    let without_fuel = engine();
    let payload = wasmtime_payload(&with_fuel);
    let disguised = without_fuel.artifact_stamp().seal(&payload);
    assert_eq!(problem(&without_fuel, &disguised), ArtifactProblem::Incompatible);
}

#[test]
fn a_sealed_payload_that_is_not_wasmtime_code_is_refused() {
    let engine = engine();
    let sealed = engine.artifact_stamp().seal(b"not an ELF object at all");
    assert_eq!(problem(&engine, &sealed), ArtifactProblem::Corrupt);
    let sealed = engine.artifact_stamp().seal(&wasm(ADD));
    assert_eq!(problem(&engine, &sealed), ArtifactProblem::Corrupt);
}

#[test]
fn precompiling_an_invalid_module_is_a_compile_error() {
    let engine = engine();
    assert!(matches!(
        engine.precompile(b"\0asm\x01\0\0\0\x01"),
        Err(Error::Compile { engine: "wasmtime", .. })
    ));
}

/// wasmtime's own serialized module for `ADD`, without the wasmux envelope.
fn wasmtime_payload(engine: &WasmtimeEngine) -> Vec<u8> {
    engine.wasmtime_engine().precompile_module(&wasm(ADD)).unwrap()
}
