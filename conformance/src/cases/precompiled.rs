//! Precompiled artifacts load without compiling, and damaged or foreign ones are refused.

use wasmux_core::{ArtifactProblem, Capability, Engine, Error, HostEnv, Instance, Val};

use crate::case::{Case, Ctx, Outcome, ensure_eq, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("precompiled", "round_trip", round_trip::<E>).requires(&[Capability::Precompile]),
        Case::new("precompiled", "damaged_artifacts_refused", damaged_artifacts_refused::<E>)
            .requires(&[Capability::Precompile]),
        Case::new("precompiled", "other_settings_refused", other_settings_refused::<E>)
            .requires(&[Capability::Precompile, Capability::Fuel]),
    ]
}

const WAT: &str = r#"(module (func (export "triple") (param i32) (result i32)
  local.get 0 i32.const 3 i32.mul))"#;

fn artifact<E: Engine>(engine: &E) -> Result<Vec<u8>, String> {
    let wasm = wasmux::parse(WAT.as_bytes()).map_err(|e| e.to_string())?;
    ok(engine.precompile(&wasm), "precompile")
}

fn problem<E: Engine>(engine: &E, bytes: &[u8]) -> Result<ArtifactProblem, String> {
    // SAFETY: every artifact here is either this engine's own or is refused by the envelope
    // check before deserialisation; that refusal is what the case tests.
    match unsafe { engine.load_precompiled(bytes) } {
        Err(Error::Artifact { problem, .. }) => Ok(problem),
        Err(other) => Err(format!("expected an artifact error, got: {other}")),
        Ok(_) => Err("a damaged or foreign artifact was loaded".into()),
    }
}

fn round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let bytes = artifact(ctx.engine)?;
    // SAFETY: made by this engine just above.
    let module = ok(unsafe { ctx.engine.load_precompiled(&bytes) }, "load_precompiled")?;
    let mut instance = ok(ctx.engine.instantiate(&module, HostEnv::new()), "instantiate")?;
    ensure_eq(ok(instance.call("triple", &[Val::I32(14)]), "triple")?, vec![Val::I32(42)], "call")?;
    ensure_eq(ctx.engine.module_info(&module).exports.len(), 1, "interface of a loaded module")
}

fn damaged_artifacts_refused<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let bytes = artifact(ctx.engine)?;
    for len in [0, 4, 12, bytes.len() / 2, bytes.len() - 1] {
        ensure_eq(
            problem(ctx.engine, &bytes[..len])?,
            ArtifactProblem::Corrupt,
            &format!("cut at {len}"),
        )?;
    }
    for index in [bytes.len() - 1, bytes.len() - 100, bytes.len() / 2] {
        let mut flipped = bytes.clone();
        flipped[index] ^= 0x04;
        ensure_eq(
            problem(ctx.engine, &flipped)?,
            ArtifactProblem::Corrupt,
            &format!("bit flip at {index}"),
        )?;
    }
    let wasm = wasmux::parse(WAT.as_bytes()).map_err(|e| e.to_string())?;
    ensure_eq(problem(ctx.engine, &wasm)?, ArtifactProblem::Corrupt, "a plain module")?;
    // The engine's name sits after the magic, the format version and its length.
    let mut foreign = bytes.clone();
    foreign[16] ^= 0x20;
    ensure_eq(
        problem(ctx.engine, &foreign)?,
        ArtifactProblem::OtherEngine,
        "another engine's artifact",
    )
}

fn other_settings_refused<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut without_fuel = ctx.config.clone();
    without_fuel.fuel = false;
    let other = E::new(&without_fuel).map_err(|e| e.to_string())?;
    let bytes = artifact(&other)?;
    ensure_eq(
        problem(ctx.engine, &bytes)?,
        ArtifactProblem::Incompatible,
        "artifact made without fuel",
    )
}
