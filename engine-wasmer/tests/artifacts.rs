//! Precompiled artifacts: round trip through the headless loader, and every way an artifact is
//! refused.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{engine, engine_with, wasm};
use wasmux_core::backend::ArtifactStamp;
use wasmux_core::{ArtifactProblem, Engine, Error, HostEnv, Instance, Val};
use wasmux_wasmer::{WasmerEngine, WasmerModule};

const FIB: &str = r#"
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "hi")
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
"#;

fn problem<T: std::fmt::Debug>(result: wasmux_core::Result<T>) -> ArtifactProblem {
    match result {
        Err(Error::Artifact { engine: "wasmer", problem, .. }) => problem,
        other => panic!("expected an artifact error, got {other:?}"),
    }
}

fn load(engine: &WasmerEngine, artifact: &[u8]) -> wasmux_core::Result<WasmerModule> {
    // SAFETY: every artifact here is made by this test (or is damaged on purpose, which the
    // envelope must catch before wasmer sees it).
    unsafe { engine.load_precompiled(artifact) }
}

#[test]
fn precompiled_artifact_loads_headless_and_runs() {
    let artifact = engine().precompile(&wasm(FIB)).expect("precompiles");
    // A second engine, the compiling one gone: loading uses its headless wasmer engine.
    let engine = engine();
    let module = load(&engine, &artifact).expect("loads");
    assert_eq!(engine.module_info(&module).exports.len(), 2);
    let mut instance = engine.instantiate(&module, HostEnv::new()).expect("instantiates");
    assert_eq!(instance.call("fib", &[Val::I32(20)]).expect("runs"), vec![Val::I32(6765)]);
    let mut bytes = [0; 2];
    instance.read_memory("memory", 0, &mut bytes).expect("reads");
    assert_eq!(&bytes, b"hi");
}

#[test]
fn artifact_of_another_version_is_refused() {
    let engine = engine();
    let artifact = engine.precompile(&wasm(FIB)).expect("precompiles");
    // The same payload and settings, sealed as if by another wasmer version.
    let mut stamp = stamp_of(&artifact);
    stamp.engine_version = "7.4.1".into();
    let resealed = stamp.seal(&artifact[artifact.len() - payload_len(&artifact)..]);
    assert_eq!(problem(load(&engine, &resealed)), ArtifactProblem::OtherVersion);
}

/// The payload length recorded in the envelope (the 12 bytes before the payload hold the
/// length and the checksum).
fn payload_len(artifact: &[u8]) -> usize {
    // magic (8) + format (4) + three length-prefixed strings, then length (8) + crc (4).
    let mut at = 12;
    for _ in 0..3 {
        let len = u32::from_le_bytes(artifact[at..at + 4].try_into().expect("4 bytes")) as usize;
        at += 4 + len;
    }
    u64::from_le_bytes(artifact[at..at + 8].try_into().expect("8 bytes")) as usize
}

#[test]
fn artifact_with_fuel_is_refused_without_and_vice_versa() {
    let metered = engine_with(|c| c.fuel = true);
    let plain = engine();
    let metered_artifact = metered.precompile(&wasm(FIB)).expect("precompiles");
    let plain_artifact = plain.precompile(&wasm(FIB)).expect("precompiles");
    assert_eq!(problem(load(&plain, &metered_artifact)), ArtifactProblem::Incompatible);
    assert_eq!(problem(load(&metered, &plain_artifact)), ArtifactProblem::Incompatible);
    // Each loads where it belongs, and the metered one counts fuel.
    let module = load(&metered, &metered_artifact).expect("loads");
    let mut env = HostEnv::new();
    env.limits.fuel = Some(1_000);
    let mut instance = metered.instantiate(&module, env).expect("instantiates");
    instance.call("fib", &[Val::I32(5)]).expect("runs");
    assert!(instance.fuel().expect("fuel counted") < 1_000);
    load(&plain, &plain_artifact).expect("loads");
}

#[test]
fn artifact_with_other_features_is_refused() {
    let other = engine_with(|c| {
        c.features.set(wasmux_core::Capability::MultiMemory, false);
    });
    let artifact = engine().precompile(&wasm(FIB)).expect("precompiles");
    assert_eq!(problem(load(&other, &artifact)), ArtifactProblem::Incompatible);
}

#[test]
fn interruptible_and_plain_engines_share_artifacts() {
    // Interruption is by signal: it does not change the code.
    let artifact = engine_with(|c| c.interruptible = false).precompile(&wasm(FIB)).expect("ok");
    load(&engine_with(|c| c.interruptible = true), &artifact).expect("loads");
}

#[cfg(all(feature = "cranelift", feature = "singlepass"))]
#[test]
fn artifact_of_the_other_compiler_is_refused() {
    let mut config = common::singlepass_config();
    let singlepass = WasmerEngine::new(&config).expect("singlepass");
    config.compiler = wasmux_core::Compiler::Cranelift;
    let cranelift = WasmerEngine::new(&config).expect("cranelift");
    let from_cranelift = cranelift.precompile(&wasm(FIB)).expect("precompiles");
    let from_singlepass = singlepass.precompile(&wasm(FIB)).expect("precompiles");
    assert_eq!(problem(load(&singlepass, &from_cranelift)), ArtifactProblem::Incompatible);
    assert_eq!(problem(load(&cranelift, &from_singlepass)), ArtifactProblem::Incompatible);
    let module = load(&singlepass, &from_singlepass).expect("loads");
    let mut instance = singlepass.instantiate(&module, HostEnv::new()).expect("instantiates");
    assert_eq!(instance.call("fib", &[Val::I32(10)]).expect("runs"), vec![Val::I32(55)]);
}

#[test]
fn a_valid_envelope_around_garbage_is_refused_by_wasmer() {
    let engine = engine();
    let artifact = engine.precompile(&wasm(FIB)).expect("precompiles");
    // Right stamp, intact checksum, but the payload is not a wasmer artifact.
    let stamp = stamp_of(&artifact);
    let forged = stamp.seal(b"not a wasmer artifact at all");
    assert!(matches!(load(&engine, &forged), Err(Error::Artifact { engine: "wasmer", .. })));
}

/// The stamp an artifact was sealed with.
fn stamp_of(artifact: &[u8]) -> ArtifactStamp {
    let mut at = 12;
    let mut fields = Vec::new();
    for _ in 0..3 {
        let len = u32::from_le_bytes(artifact[at..at + 4].try_into().expect("4 bytes")) as usize;
        fields.push(String::from_utf8(artifact[at + 4..at + 4 + len].to_vec()).expect("utf-8"));
        at += 4 + len;
    }
    ArtifactStamp {
        engine: "wasmer",
        engine_version: fields[1].clone(),
        compat_key: fields[2].clone(),
    }
}

#[test]
fn opt_level_is_part_of_the_key_for_cranelift() {
    let engine = engine();
    if engine.info().compiler != Some("cranelift") {
        return;
    }
    let artifact = engine.precompile(&wasm(FIB)).expect("precompiles");
    let key = stamp_of(&artifact).compat_key;
    assert!(key.starts_with("compiler=cranelift;opt=speed;"), "{key}");
    assert!(key.contains(";fuel=off;"), "{key}");
    let fast = engine_with(|c| c.opt_level = wasmux_core::OptLevel::None);
    assert_eq!(problem(load(&fast, &artifact)), ArtifactProblem::Incompatible);
}

#[test]
fn precompile_reports_invalid_modules() {
    let err = engine().precompile(b"\0asm\x01\0\0\0\x05").expect_err("invalid");
    assert!(matches!(err, Error::Compile { engine: "wasmer", .. }), "{err:?}");
}
