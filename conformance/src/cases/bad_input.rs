//! Bad input gets a typed error, never a panic.

use wasmux_core::{Capability, Engine, Error, HostEnv, Instance, Limits, Resource};

use crate::case::{Case, Ctx, Outcome, ensure, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("bad_input", "malformed_bytes", malformed_bytes::<E>),
        Case::new("bad_input", "invalid_module", invalid_module::<E>),
        Case::new("bad_input", "truncated_module", truncated_module::<E>),
        Case::new("bad_input", "mutated_module", mutated_module::<E>),
        Case::new("bad_input", "text_syntax_error", text_syntax_error::<E>),
        Case::new("bad_input", "huge_memory_and_table_declarations", huge_declarations::<E>)
            .requires(&[Capability::MemoryLimit, Capability::TableLimit]),
        Case::new("bad_input", "deep_nesting", deep_nesting::<E>),
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
        ensure_compile_error(
            ctx.engine.validate(bytes).map(|()| 0),
            &format!("validate {bytes:?}"),
        )?;
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
                Err(other) => {
                    return Err(format!("byte {index} ^ {flip:#x}: unexpected error: {other}"));
                }
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

/// Modules declaring the largest memories and tables WebAssembly allows: with limits in force,
/// instantiation fails with a resource-limit error, never an allocation failure or abort.
fn huge_declarations<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut limits = Limits::new();
    limits.max_memory_bytes(64 << 20).max_table_elements(100_000);
    for (wat, resource) in [
        ("(module (memory 65536))", Resource::Memory),
        ("(module (memory 40000 65536))", Resource::Memory),
        ("(module (table 4000000000 funcref))", Resource::TableElements),
        ("(module (table 1000000 1000000 externref))", Resource::TableElements),
    ] {
        let module = ctx.compile(wat)?;
        let mut env = HostEnv::new();
        env.limits(limits.clone());
        match ctx.engine.instantiate(&module, env) {
            Err(Error::ResourceLimit { resource: r, .. }) if r == resource => {}
            Err(other) => {
                return Err(format!("{wat}: expected a {resource} limit error, got: {other}"));
            }
            Ok(_) => return Err(format!("{wat}: instantiated despite the limit")),
        }
    }
    Ok(())
}

/// A function of `depth` nested blocks, as binary (the text parser is not what is tested).
fn nested_blocks(depth: usize) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = vec![0x00]; // no locals
    body.extend(std::iter::repeat_n([0x02, 0x40], depth).flatten()); // block (empty type)
    body.extend(std::iter::repeat_n(0x0b, depth + 1)); // end of each block, then of the body
    let mut code = vec![0x01]; // one body
    leb(body.len(), &mut code);
    code.extend(body);
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend([0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type section: () -> ()
    wasm.extend([0x03, 0x02, 0x01, 0x00]); // function section: one function of type 0
    wasm.extend([0x07, 0x05, 0x01, 0x01, b'f', 0x00, 0x00]); // export "f"
    wasm.push(0x0a); // code section
    leb(code.len(), &mut wasm);
    wasm.extend(code);
    wasm
}

/// Deeply nested control flow: each engine compiles and runs it, or refuses it with a compile
/// error (an implementation limit); none may overflow its own stack while compiling.
fn deep_nesting<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    for depth in [1_000, 100_000] {
        match ctx.engine.compile(&nested_blocks(depth)) {
            Ok(module) => {
                let mut instance =
                    ok(ctx.engine.instantiate(&module, HostEnv::new()), "instantiate")?;
                ok(instance.call("f", &[]), &format!("call at depth {depth}"))?;
            }
            Err(Error::Compile { .. }) => {}
            Err(other) => return Err(format!("depth {depth}: unexpected error: {other}")),
        }
    }
    ensure(ctx.engine.compile(&nested_blocks(1_000)).is_ok(), || {
        "1000 nested blocks must compile".into()
    })
}
