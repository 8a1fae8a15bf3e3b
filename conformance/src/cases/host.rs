//! Host functions: every value type, guest memory access, host state, errors and exit.

use std::any::Any;

use wasmux::CompiledEngines;
use wasmux_core::{
    Capability, Engine, Error, ExternRef, FuncRef, FuncType, HostEnv, HostError, HostFn, HostFunc,
    Imports, Instance, LinkProblem, NativeWrap, TrapCode, Val, ValType, WasmTuple,
};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ok};

/// How a case makes its Rust host functions.
const PORTABLE: bool = false;
/// With each compiled-in engine's own typed form (`HostFunc::wrap_for`), which the engine
/// defines instead of the type-erased body: the same cases must give the same outcomes.
const NATIVE: bool = true;

/// `HostFunc::wrap`, or `HostFunc::wrap_for::<CompiledEngines>` when `NATIVE`.
pub(super) fn wrap<const NATIVE: bool, P: WasmTuple, R: WasmTuple>(
    module: &str,
    name: &str,
    body: impl HostFn<P, R>,
) -> HostFunc
where
    CompiledEngines: NativeWrap<P, R>,
{
    if NATIVE {
        HostFunc::wrap_for::<CompiledEngines, P, R>(module, name, body)
    } else {
        HostFunc::wrap(module, name, body)
    }
}

/// [`wrap`] for a function working on host data of type `T`.
fn wrap_data<const NATIVE: bool, T: Any + Send, P: WasmTuple, R: WasmTuple>(
    module: &str,
    name: &str,
    body: impl HostFn<P, R, T>,
) -> HostFunc
where
    CompiledEngines: NativeWrap<P, R, T>,
{
    if NATIVE {
        HostFunc::wrap_with_data::<T, CompiledEngines, P, R>(module, name, body)
    } else {
        HostFunc::wrap_with_data::<T, (), P, R>(module, name, body)
    }
}

/// Each case on Rust host functions, once with the portable form and once with the native one.
macro_rules! both_forms {
    ($($name:literal, $native_name:literal, $case:ident $(, $requires:expr)?;)*) => {
        vec![$(
            Case::new("host", $name, $case::<E, PORTABLE>)$(.requires($requires))?,
            Case::new("host", $native_name, $case::<E, NATIVE>)$(.requires($requires))?,
        )*]
    };
}

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    let mut cases = both_forms![
        "wrapped_numbers_through_host", "native_numbers_through_host",
            wrapped_numbers_through_host,
            &[Capability::MultiValue, Capability::MultiResultHostFunctions];
        "wrapped_v128_through_host", "native_v128_through_host", wrapped_v128_through_host,
            &[Capability::Simd];
        "each_instance_gets_its_own_functions", "native_each_instance_gets_its_own_functions",
            each_instance_gets_its_own_functions;
        "reads_and_writes_guest_memory", "native_reads_and_writes_guest_memory",
            reads_and_writes_guest_memory;
        "wrapped_references_through_host", "native_wrapped_references_through_host",
            wrapped_references_through_host,
            &[Capability::ReferenceTypes, Capability::MultiValue,
              Capability::MultiResultHostFunctions];
        "shares_host_state", "native_shares_host_state", shares_host_state;
        "host_data_of_another_type_is_refused", "native_host_data_of_another_type_is_refused",
            host_data_of_another_type_is_refused;
        "error_is_a_host_trap", "native_error_is_a_host_trap", error_is_a_host_trap;
        "error_source_comes_back", "native_error_source_comes_back", error_source_comes_back;
        "exit_ends_the_run", "native_exit_ends_the_run", exit_ends_the_run;
    ];
    cases.extend([
        Case::new("host", "numbers_through_host", numbers_through_host::<E>)
            .requires(&[Capability::MultiValue, Capability::MultiResultHostFunctions]),
        Case::new("host", "v128_through_host", v128_through_host::<E>)
            .requires(&[Capability::Simd]),
        Case::new("host", "externref_through_host", externref_through_host::<E>)
            .requires(&[Capability::ReferenceTypes]),
        Case::new("host", "wrong_result_type_traps", wrong_result_type_traps::<E>),
    ]);
    cases
}

/// `go` passes its four numbers to the host's `reverse` and returns what it gets back.
const REVERSE_THROUGH_HOST: &str = r#"(module
  (import "host" "reverse" (func $rev (param i32 i64 f32 f64) (result f64 f32 i64 i32)))
  (func (export "go") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $rev))"#;

fn numbers_through_host<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let reverse = HostFunc::new(
        "host",
        "reverse",
        FuncType::new(
            [ValType::I32, ValType::I64, ValType::F32, ValType::F64],
            [ValType::F64, ValType::F32, ValType::I64, ValType::I32],
        ),
        |_caller, params, results| {
            for (slot, value) in results.iter_mut().zip(params.iter().rev()) {
                *slot = value.clone();
            }
            Ok(())
        },
    );
    let mut env = HostEnv::new();
    env.func(reverse);
    let mut instance = ctx.instantiate(REVERSE_THROUGH_HOST, env)?;
    let args = [Val::I32(-7), Val::I64(1 << 40), Val::F32(0x7fc0_0001), Val::from(-0.0f64)];
    let results = ok(instance.call("go", &args), "go")?;
    ensure_eq(results, args.iter().rev().cloned().collect(), "values reversed by the host")
}

/// A function made by `HostFunc::wrap` (which engines call with raw bits) or `wrap_for` (in
/// each engine's typed form) gets and returns
/// every number type unchanged, NaN payloads included, called by the guest and by the host.
fn wrapped_numbers_through_host<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>(
        "host",
        "reverse",
        |_caller, (a, b, c, d): (i32, i64, f32, f64)| Ok::<_, HostError>((d, c, b, a)),
    ));
    let mut instance = ctx.instantiate(REVERSE_THROUGH_HOST, env)?;
    let args =
        [Val::I32(i32::MIN), Val::I64(-1), Val::F32(0xffc0_0001), Val::F64(0x7ff8_0000_0000_0002)];
    let results = ok(instance.call("go", &args), "go")?;
    ensure_eq(results, args.iter().rev().cloned().collect(), "values reversed by the host")?;
    let go = ok(instance.typed::<(i32, i64, f32, f64), (f64, f32, i64, i32)>("go"), "typed go")?;
    let (d, c, b, a) = ok(go.call(&mut instance, (7, 1 << 40, -2.5, f64::INFINITY)), "typed go")?;
    ensure_eq((a, b, c, d), (7, 1 << 40, -2.5, f64::INFINITY), "typed, reversed by the host")
}

fn wrapped_v128_through_host<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>("host", "not", |_caller, v: u128| Ok::<_, HostError>(!v)));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "not" (func $not (param v128) (result v128)))
             (func (export "go") (param v128) (result v128) local.get 0 call $not))"#,
        env,
    )?;
    let value = 0x00ff_00ff_1234_5678_0000_0000_ffff_ffffu128;
    ensure_eq(
        ok(instance.call("go", &[Val::V128(value)]), "go")?,
        vec![Val::V128(!value)],
        "bitwise not",
    )
}

fn v128_through_host<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(HostFunc::new(
        "host",
        "not",
        FuncType::new([ValType::V128], [ValType::V128]),
        |_caller, params, results| match params {
            [Val::V128(v)] => {
                results[0] = Val::V128(!v);
                Ok(())
            }
            _ => Err(HostError::trap("expected one v128")),
        },
    ));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "not" (func $not (param v128) (result v128)))
             (func (export "go") (param v128) (result v128) local.get 0 call $not))"#,
        env,
    )?;
    let value = 0x00ff_00ff_1234_5678_0000_0000_ffff_ffffu128;
    ensure_eq(
        ok(instance.call("go", &[Val::V128(value)]), "go")?,
        vec![Val::V128(!value)],
        "bitwise not",
    )
}

fn externref_through_host<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(HostFunc::new(
        "host",
        "describe",
        FuncType::new([ValType::ExternRef], [ValType::I32]),
        |_caller, params, results| {
            let len = match params {
                [Val::ExternRef(Some(r))] => {
                    r.downcast_ref::<String>().map_or(-1, |s| s.len() as i32)
                }
                [Val::ExternRef(None)] => 0,
                _ => return Err(HostError::trap("expected one externref")),
            };
            results[0] = Val::I32(len);
            Ok(())
        },
    ));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "describe" (func $d (param externref) (result i32)))
             (func (export "go") (param externref) (result i32) local.get 0 call $d))"#,
        env,
    )?;
    let value = Val::ExternRef(Some(ExternRef::new(String::from("twelve chars"))));
    ensure_eq(
        ok(instance.call("go", &[value]), "go")?,
        vec![Val::I32(12)],
        "host saw its own object",
    )?;
    ensure_eq(ok(instance.call("go", &[Val::ExternRef(None)]), "go")?, vec![Val::I32(0)], "null")
}

/// References as Rust types: a wrapped host function takes and returns `Option<ExternRef>`,
/// and typed calls pass `Option<ExternRef>` and `Option<FuncRef>` both ways, `None` as null.
fn wrapped_references_through_host<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>("host", "tag", |_caller, r: Option<ExternRef>| {
        let len =
            r.as_ref().and_then(|r| r.downcast_ref::<String>()).map_or(-1, |s| s.len() as i32);
        Ok::<_, HostError>((r, len))
    }));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "tag" (func $tag (param externref) (result externref i32)))
             (type $answer (func (result i32)))
             (table 1 funcref)
             (func $seven (result i32) i32.const 7)
             (elem declare func $seven)
             (func (export "pass") (param externref) (result externref i32) local.get 0 call $tag)
             (func (export "seven") (result funcref) ref.func $seven)
             (func (export "call") (param funcref) (result i32)
               i32.const 0 local.get 0 table.set
               i32.const 0 call_indirect (type $answer)))"#,
        env,
    )?;
    let pass = ok(instance.typed::<Option<ExternRef>, (Option<ExternRef>, i32)>("pass"), "pass")?;
    let object = ExternRef::new(String::from("eleven char"));
    let (back, len) = ok(pass.call(&mut instance, Some(object.clone())), "pass an object")?;
    ensure_eq((back, len), (Some(object), 11), "the very object, seen by the host")?;
    ensure_eq(ok(pass.call(&mut instance, None), "pass null")?, (None, -1), "null both ways")?;

    let seven = ok(instance.typed::<(), Option<FuncRef>>("seven"), "seven")?;
    let func = ok(seven.call(&mut instance, ()), "get a funcref")?;
    ensure(func.is_some(), || "ref.func returned null".to_string())?;
    let call = ok(instance.typed::<Option<FuncRef>, i32>("call"), "call")?;
    ensure_eq(ok(call.call(&mut instance, func), "call it")?, 7, "the funcref called back")
}

fn reads_and_writes_guest_memory<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>("host", "upper", |caller, (ptr, len): (i32, i32)| {
        let text = caller.read(ptr as u64, len as u64)?.to_ascii_uppercase();
        caller.write(ptr as u64, &text)?;
        Ok(text.len() as i32)
    }));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "upper" (func $upper (param i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "hello, wasm")
             (func (export "go") (result i32) i32.const 16 i32.const 11 call $upper)
             (func (export "bad") (result i32) i32.const 65530 i32.const 100 call $upper))"#,
        env,
    )?;
    ensure_eq(ok(instance.call("go", &[]), "go")?, vec![Val::I32(11)], "bytes converted")?;
    let mut text = [0u8; 11];
    ok(instance.read_memory("memory", 16, &mut text), "read memory")?;
    ensure_eq(&text, b"HELLO, WASM", "guest memory after the host wrote it")?;
    match instance.call("bad", &[]) {
        Err(Error::Trap(trap)) if trap.code == TrapCode::HostError => Ok(()),
        other => Err(format!("an out-of-bounds host access must trap, got {other:?}")),
    }
}

/// The host data an embedder gives a store, typed in the host functions that share it.
#[derive(Debug, Default, PartialEq)]
struct Ticks {
    count: u32,
    seen: Vec<i32>,
}

/// Host functions reach the embedder's data typed (`Caller<'_, Ticks>`), beside one that uses
/// none, through both function forms and a `Val` function; the embedder reads it afterwards.
fn shares_host_state<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::with_data(Ticks::default());
    env.func(wrap_data::<NATIVE, Ticks, _, _>("host", "tick", |caller, (): ()| {
        caller.data_mut().count += 1;
        Ok::<_, HostError>(caller.data().count as i32)
    }));
    env.func_new("host", "note", FuncType::new([ValType::I32], []), |caller, params, _| {
        let value = params[0].i32().ok_or_else(|| HostError::trap("i32 expected"))?;
        caller.data_mut().seen.push(value);
        Ok(())
    });
    env.func(wrap::<NATIVE, _, _>("host", "double", |_caller, v: i32| Ok::<_, HostError>(2 * v)));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "tick" (func $tick (result i32)))
             (import "host" "note" (func $note (param i32)))
             (import "host" "double" (func $double (param i32) (result i32)))
             (func (export "go") (result i32)
               call $tick drop call $tick call $double call $note call $tick))"#,
        env,
    )?;
    ensure_eq(ok(instance.call("go", &[]), "go")?, vec![Val::I32(3)], "third tick")?;
    ensure_eq(
        instance.host_state().data::<Ticks>(),
        Some(&mut Ticks { count: 3, seen: vec![4] }),
        "host data read after the call",
    )
}

/// A function made for one type of host data is refused, as a link error naming both types,
/// by an instance or store whose host data has another.
fn host_data_of_another_type_is_refused<E: Engine, const NATIVE: bool>(
    ctx: &Ctx<'_, E>,
) -> Outcome {
    let tick = wrap_data::<NATIVE, Ticks, _, _>("host", "tick", |caller, (): ()| {
        caller.data_mut().count += 1;
        Ok::<_, HostError>(())
    });
    let module = ctx.compile(r#"(module (import "host" "tick" (func)))"#)?;
    let mut env = HostEnv::with_data(String::from("not ticks"));
    env.func(tick.clone());
    let expect_refused = |outcome: wasmux_core::Result<()>, what: &str| match outcome {
        Err(Error::Link(error))
            if matches!(
                &error.problem,
                LinkProblem::HostData { expected, found }
                    if expected.ends_with("Ticks") && found.ends_with("String")
            ) =>
        {
            Ok(())
        }
        other => Err(format!("{what}: expected a host-data link error, got {other:?}")),
    };
    expect_refused(ctx.engine.instantiate(&module, env).map(drop), "instantiate")?;
    let mut store = ok(ctx.engine.store(HostEnv::with_data(String::new())), "store")?;
    let mut imports = Imports::new();
    imports.func(tick);
    expect_refused(ctx.engine.instantiate_in(&mut store, &module, &imports).map(drop), "store")
}

fn error_is_a_host_trap<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>("host", "fail", |_caller, (): ()| -> Result<(), HostError> {
        Err(HostError::trap("disk on fire"))
    }));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "fail" (func $fail))
             (func (export "go") (result i32) call $fail i32.const 1))"#,
        env,
    )?;
    match instance.call("go", &[]) {
        Err(Error::Trap(trap)) if trap.code == TrapCode::HostError => {
            ensure(trap.message.contains("disk on fire"), || format!("message lost: {trap}"))
        }
        other => Err(format!("expected a host-error trap, got {other:?}")),
    }
}

/// The embedder's own error, raised with `?` inside a host function.
#[derive(Debug)]
struct QuotaExceeded {
    asked: i32,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "quota exceeded: {} asked", self.asked)
    }
}

impl std::error::Error for QuotaExceeded {}

fn error_source_comes_back<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>(
        "host",
        "reserve",
        |_caller, asked: i32| -> Result<i32, HostError> {
            let check = |asked| if asked > 10 { Err(QuotaExceeded { asked }) } else { Ok(asked) };
            Ok(check(asked)?)
        },
    ));
    env.func(wrap::<NATIVE, _, _>("host", "open", |_caller, (): ()| -> Result<(), HostError> {
        std::fs::File::open("/nonexistent/wasmux-conformance")?;
        Ok(())
    }));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "reserve" (func $reserve (param i32) (result i32)))
             (import "host" "open" (func $open))
             (func (export "reserve") (param i32) (result i32) local.get 0 call $reserve)
             (func (export "open") call $open))"#,
        env,
    )?;
    ensure_eq(
        ok(instance.call("reserve", &[Val::I32(4)]), "within quota")?,
        vec![Val::I32(4)],
        "",
    )?;
    let error = match instance.call("reserve", &[Val::I32(12)]) {
        Err(error) => error,
        Ok(values) => return Err(format!("over quota returned {values:?}")),
    };
    ensure_eq(error.trap_code(), Some(TrapCode::HostError), "trap code")?;
    ensure_eq(
        error.host_error::<QuotaExceeded>().map(|e| e.asked),
        Some(12),
        "the embedder's error",
    )?;
    let source = std::error::Error::source(&error).and_then(|s| s.downcast_ref::<QuotaExceeded>());
    ensure(source.is_some(), || format!("the error chain must reach the host's error: {error:?}"))?;
    ensure(error.to_string().contains("quota exceeded: 12 asked"), || error.to_string())?;
    let error = match instance.call("open", &[]) {
        Err(error) => error,
        Ok(_) => return Err("opening a missing file succeeded".into()),
    };
    ensure_eq(
        error.host_error::<std::io::Error>().map(std::io::Error::kind),
        Some(std::io::ErrorKind::NotFound),
        "the io::Error from `?`",
    )
}

fn exit_ends_the_run<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>("host", "exit", |_caller, code: i32| -> Result<(), HostError> {
        Err(HostError::Exit(code))
    }));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "exit" (func $exit (param i32)))
             (func (export "_start") i32.const 7 call $exit unreachable)
             (func (export "call_exit") i32.const 3 call $exit))"#,
        env,
    )?;
    ensure_eq(ok(instance.run(), "run")?, 7, "exit status of _start")?;
    match instance.call("call_exit", &[]) {
        Err(Error::Exit(3)) => Ok(()),
        other => Err(format!("a call that exits must return Error::Exit(3), got {other:?}")),
    }
}

fn wrong_result_type_traps<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(HostFunc::new(
        "host",
        "liar",
        FuncType::new([], [ValType::I32]),
        |_caller, _params, results| {
            results[0] = Val::I64(1);
            Ok(())
        },
    ));
    let mut instance = ctx.instantiate(
        r#"(module (import "host" "liar" (func $liar (result i32)))
             (func (export "go") (result i32) call $liar))"#,
        env,
    )?;
    match instance.call("go", &[]) {
        Err(Error::Trap(trap)) if trap.code == TrapCode::HostError => Ok(()),
        other => Err(format!("a host result of the wrong type must trap, got {other:?}")),
    }
}

/// One module instantiated with different host functions for the same import calls each
/// instance's own, also when an earlier set comes back (engines may reuse an earlier linking).
fn each_instance_gets_its_own_functions<E: Engine, const NATIVE: bool>(
    ctx: &Ctx<'_, E>,
) -> Outcome {
    let module = ctx.compile(
        r#"(module (import "host" "answer" (func $answer (result i32)))
             (func (export "go") (result i32) call $answer))"#,
    )?;
    let answer = |n: i32| {
        wrap::<NATIVE, _, _>("host", "answer", move |_caller, (): ()| Ok::<_, HostError>(n))
    };
    let (one, two) = (answer(1), answer(2));
    for (func, want) in [(&one, 1), (&one, 1), (&two, 2), (&one, 1), (&two, 2)] {
        let mut env = HostEnv::new();
        env.func(func.clone());
        let mut instance = ok(ctx.engine.instantiate(&module, env), "instantiate")?;
        ensure_eq(
            ok(instance.call("go", &[]), "go")?,
            vec![Val::I32(want)],
            "the instance's own function",
        )?;
    }
    Ok(())
}
