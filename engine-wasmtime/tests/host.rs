//! Host functions: arguments and results, guest memory, host state, errors and exit.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{engine, module};
use wasmux_core::{
    Engine, Error, ExternType, FuncType, HostEnv, HostError, HostFunc, Instance, LinkProblem,
    TrapCode, Val, ValType,
};

const GUEST: &str = r#"(module
  (import "env" "add" (func $add (param i32 i64 f32 f64) (result f64)))
  (import "env" "upper" (func $upper (param i32 i32)))
  (import "env" "count" (func $count))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "call_add") (result f64)
    (call $add (i32.const 1) (i64.const 2) (f32.const 3.5) (f64.const 4.25)))
  (func (export "shout") (call $upper (i32.const 16) (i32.const 5)))
  (func (export "count_twice") (call $count) (call $count)))"#;

fn env(counter: Arc<AtomicUsize>) -> HostEnv {
    let mut env = HostEnv::new();
    env.func(HostFunc::new(
        "env",
        "add",
        FuncType::new([ValType::I32, ValType::I64, ValType::F32, ValType::F64], [ValType::F64]),
        |_caller, params, results| {
            let sum = f64::from(params[0].i32().unwrap())
                + params[1].i64().unwrap() as f64
                + f64::from(params[2].f32().unwrap())
                + params[3].f64().unwrap();
            results[0] = Val::from(sum);
            Ok(())
        },
    ))
    .func(HostFunc::wrap("env", "upper", |caller, (ptr, len): (i32, i32)| {
        let text = caller.read(ptr as u64, len as u64)?.to_ascii_uppercase();
        caller.write(ptr as u64, &text)?;
        Ok(())
    }))
    .func(HostFunc::wrap("env", "count", move |caller, ()| {
        *caller.data::<u32>().ok_or_else(|| HostError::trap("no state"))? += 1;
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }))
    .data(0_u32);
    env
}

#[test]
fn host_functions_get_arguments_and_return_results() {
    let engine = engine();
    let mut instance = engine.instantiate(&module(&engine, GUEST), env(Arc::default())).unwrap();
    assert_eq!(instance.call("call_add", &[]).unwrap(), vec![Val::from(10.75_f64)]);
}

#[test]
fn host_functions_read_and_write_guest_memory() {
    let engine = engine();
    let mut instance = engine.instantiate(&module(&engine, GUEST), env(Arc::default())).unwrap();
    instance.call("shout", &[]).unwrap();
    let mut buf = [0; 5];
    instance.read_memory("memory", 16, &mut buf).unwrap();
    assert_eq!(&buf, b"HELLO");
}

#[test]
fn host_functions_share_host_state() {
    let engine = engine();
    let counter = Arc::new(AtomicUsize::new(0));
    let mut instance = engine.instantiate(&module(&engine, GUEST), env(counter.clone())).unwrap();
    instance.call("count_twice", &[]).unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2);
    assert_eq!(instance.host_state().data::<u32>(), Some(&mut 2));
}

#[test]
fn a_host_error_is_a_host_error_trap() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "fail", |_caller, ()| -> Result<(), HostError> {
        Err(HostError::trap("the host says no"))
    }));
    let module = module(
        &engine,
        r#"(module (import "env" "fail" (func $f)) (func (export "go") (call $f)))"#,
    );
    let mut instance = engine.instantiate(&module, env).unwrap();
    match instance.call("go", &[]) {
        Err(Error::Trap(trap)) => {
            assert_eq!(trap.code, TrapCode::HostError);
            assert_eq!(trap.message, "the host says no");
        }
        other => panic!("expected a host error trap, got {other:?}"),
    }
}

#[test]
fn exit_ends_the_guest_with_a_status() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap(
        "wasi_snapshot_preview1",
        "proc_exit",
        |_caller, code: i32| -> Result<(), HostError> { Err(HostError::Exit(code)) },
    ));
    let module = module(
        &engine,
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (func (export "_start") (call $exit (i32.const 3)) unreachable)
            (func (export "exit") (call $exit (i32.const 9))))"#,
    );
    let mut instance = engine.instantiate(&module, env).unwrap();
    assert_eq!(instance.run().unwrap(), 3);
    assert!(matches!(instance.call("exit", &[]), Err(Error::Exit(9))));
}

#[test]
fn exit_in_the_start_function_fails_instantiation_with_exit() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "exit", |_caller, code: i32| -> Result<(), HostError> {
        Err(HostError::Exit(code))
    }));
    let module = module(
        &engine,
        r#"(module (import "env" "exit" (func $exit (param i32)))
            (func $s (call $exit (i32.const 4))) (start $s))"#,
    );
    assert!(matches!(engine.instantiate(&module, env), Err(Error::Exit(4))));
}

#[test]
fn a_host_function_sees_memory_during_the_start_function() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "poke", |caller, ()| caller.write(0, b"!")));
    let module = module(
        &engine,
        r#"(module (import "env" "poke" (func $poke)) (memory (export "memory") 1)
            (func $s (call $poke)) (start $s))"#,
    );
    let mut instance = engine.instantiate(&module, env).unwrap();
    assert_eq!(instance.memory("memory").unwrap()[0], b'!');
}

#[test]
fn without_an_exported_memory_the_caller_has_none() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "probe", |caller, ()| Ok(i32::from(caller.memory().is_some()))));
    let module = module(
        &engine,
        r#"(module (import "env" "probe" (func $p (result i32))) (memory 1)
            (func (export "go") (result i32) (call $p)))"#,
    );
    let mut instance = engine.instantiate(&module, env).unwrap();
    assert_eq!(instance.call("go", &[]).unwrap(), vec![Val::I32(0)]);
}

#[test]
fn missing_and_mismatched_imports_are_link_errors() {
    let engine = engine();
    let module = module(&engine, GUEST);
    match engine.instantiate(&module, HostEnv::new()) {
        Err(Error::Link(link)) => {
            assert_eq!((link.module.as_str(), link.field.as_str()), ("env", "add"));
            assert_eq!(link.problem, LinkProblem::Missing);
        }
        other => panic!("expected a link error, got {other:?}"),
    }
    let mut env = env(Arc::default());
    env.func(HostFunc::wrap("env", "add", |_caller, x: i32| Ok::<_, HostError>(x)));
    match engine.instantiate(&module, env) {
        Err(Error::Link(link)) => {
            assert!(matches!(link.problem, LinkProblem::Mismatch { found: ExternType::Func(_) }));
        }
        other => panic!("expected a link error, got {other:?}"),
    }
}

#[test]
fn host_functions_with_references_round_trip_externrefs() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::new(
        "env",
        "id",
        FuncType::new([ValType::ExternRef], [ValType::ExternRef, ValType::I32]),
        |_caller, params, results| {
            let is_str = match &params[0] {
                Val::ExternRef(Some(r)) => r.downcast_ref::<&str>().is_some(),
                _ => false,
            };
            results[0] = params[0].clone();
            results[1] = Val::I32(i32::from(is_str));
            Ok(())
        },
    ));
    let module = module(
        &engine,
        r#"(module (import "env" "id" (func $id (param externref) (result externref i32)))
            (func (export "go") (param externref) (result externref i32) (call $id (local.get 0))))"#,
    );
    let mut instance = engine.instantiate(&module, env).unwrap();
    let value = wasmux_core::ExternRef::new("payload");
    let results = instance.call("go", &[Val::ExternRef(Some(value.clone()))]).unwrap();
    assert_eq!(results, vec![Val::ExternRef(Some(value)), Val::I32(1)]);
    let results = instance.call("go", &[Val::ExternRef(None)]).unwrap();
    assert_eq!(results, vec![Val::ExternRef(None), Val::I32(0)]);
}

#[test]
fn a_host_function_returning_the_wrong_type_traps() {
    let engine = engine();
    let mut env = HostEnv::new();
    env.func(HostFunc::new("env", "bad", FuncType::new([], [ValType::I32]), |_c, _p, results| {
        results[0] = Val::I64(1);
        Ok(())
    }));
    let module = module(
        &engine,
        r#"(module (import "env" "bad" (func $b (result i32))) (func (export "go") (result i32) (call $b)))"#,
    );
    let mut instance = engine.instantiate(&module, env).unwrap();
    assert_eq!(instance.call("go", &[]).unwrap_err().trap_code(), Some(TrapCode::HostError));
}
