//! Bad input gets a typed error, never a panic.

use wasmux_core::{Engine, Error};

use crate::case::{Case, Ctx, Outcome, ensure};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("bad_input", "malformed_bytes", malformed_bytes::<E>),
        Case::new("bad_input", "invalid_module", invalid_module::<E>),
        Case::new("bad_input", "truncated_module", truncated_module::<E>),
        Case::new("bad_input", "mutated_module", mutated_module::<E>),
        Case::new("bad_input", "text_syntax_error", text_syntax_error::<E>),
    ]
}

fn ensure_compile_error<T>(result: Result<T, Error>, what: &str) -> Outcome {
    match result {
        Err(Error::Compile { .. }) => Ok(()),
        Err(other) => Err(format!("{what}: expected a compile error, got: {other}")),
        Ok(_) => Err(format!("{what}: was accepted")),
    }
}

fn malformed_bytes<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let inputs: [&[u8]; 6] = [
        b"",
        b"hello, world",
        b"\0as",
        b"\0asm\x02\0\0\0",
        b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f",
        &[0xff; 64],
    ];
    for bytes in inputs {
        ensure_compile_error(ctx.engine.compile(bytes), &format!("compile {bytes:?}"))?;
        ensure_compile_error(ctx.engine.validate(bytes).map(|()| 0), &format!("validate {bytes:?}"))?;
    }
    Ok(())
}

fn invalid_module<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    for wat in [
        "(module (func (result i32) i64.const 0))",
        "(module (func (export \"f\") call 7))",
        "(module (memory 70000))",
        "(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))",
    ] {
        let wasm = wasmux::parse(wat.as_bytes()).map_err(|e| e.to_string())?;
        ensure_compile_error(ctx.engine.compile(&wasm), wat)?;
        ensure_compile_error(ctx.engine.validate(&wasm).map(|()| 0), wat)?;
    }
    Ok(())
}

fn sample_module() -> Result<Vec<u8>, String> {
    let wasm = wasmux::parse(
        br#"(module (type (func (param i32) (result i32)))
             (import "env" "f" (func (type 0)))
             (memory (export "memory") 1) (global (mut i32) (i32.const 3))
             (func (export "g") (type 0) local.get 0 call 0 global.get 0 i32.add)
             (data (i32.const 8) "data segment"))"#,
    )
    .map_err(|e| e.to_string())?;
    Ok(wasm.into_owned())
}

fn truncated_module<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let wasm = sample_module()?;
    for len in 0..wasm.len() {
        match ctx.engine.compile(&wasm[..len]) {
            // A cut that falls between sections leaves a shorter, valid module.
            Ok(_) | Err(Error::Compile { .. }) => {}
            Err(other) => return Err(format!("cut at {len}: unexpected error kind: {other}")),
        }
    }
    ensure_compile_error(ctx.engine.compile(&wasm[..wasm.len() - 1]), "cut one byte short")
}

fn mutated_module<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let wasm = sample_module()?;
    let mut rejected = 0;
    for index in 0..wasm.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut mutated = wasm.clone();
            mutated[index] ^= flip;
            match ctx.engine.compile(&mutated) {
                Ok(_) => {}
                Err(Error::Compile { .. }) => rejected += 1,
                Err(other) => return Err(format!("byte {index} ^ {flip:#x}: unexpected error: {other}")),
            }
        }
    }
    ensure(rejected > wasm.len(), || format!("only {rejected} mutations were rejected"))
}

fn text_syntax_error<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    match wasmux::parse(b"(module\n  (func (export \"f\") i32.const)") {
        Err(Error::Parse { message }) => {
            ensure(message.contains("line 2") && !message.contains('\n'), || {
                format!("the error must be one line giving the line number: {message}")
            })
        }
        other => Err(format!("expected a parse error, got {:?}", other.map(|w| w.len())))?,
    }?;
    let _ = ctx;
    Ok(())
}
