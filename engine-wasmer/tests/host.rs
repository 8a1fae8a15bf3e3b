//! Host functions: memory access, state, errors, exit, linking.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{engine, instantiate};
use wasmux_core::{
    Error, FuncType, HostEnv, HostError, HostFunc, Instance, LinkProblem, TrapCode, Val, ValType,
};

const GREET: &str = r#"
(module
  (import "env" "upper" (func $upper (param i32 i32)))
  (import "env" "count" (func $count (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "run") (result i32)
    (call $upper (i32.const 16) (i32.const 5))
    (call $count)))
"#;

fn greet_env() -> HostEnv {
    let mut env = HostEnv::new();
    env.data(0u32);
    env.func(HostFunc::wrap("env", "upper", |caller, (ptr, len): (i32, i32)| {
        let bytes = caller.read(ptr as u64, len as u64)?.to_ascii_uppercase();
        caller.write(ptr as u64, &bytes)?;
        *caller.data::<u32>().ok_or_else(|| HostError::trap("no state"))? += 1;
        Ok(())
    }));
    env.func(HostFunc::wrap("env", "count", |caller, (): ()| {
        Ok(*caller.data::<u32>().ok_or_else(|| HostError::trap("no state"))? as i32)
    }));
    env
}

#[test]
fn host_functions_read_and_write_guest_memory_and_share_state() {
    let engine = engine();
    let mut instance = instantiate(&engine, GREET, greet_env()).expect("instantiates");
    assert_eq!(instance.call("run", &[]).expect("runs"), vec![Val::I32(1)]);
    assert_eq!(instance.call("run", &[]).expect("runs"), vec![Val::I32(2)]);
    let mut bytes = [0; 5];
    instance.read_memory("memory", 16, &mut bytes).expect("reads");
    assert_eq!(&bytes, b"HELLO");
    assert_eq!(instance.host_state().data::<u32>(), Some(&mut 2));
}

#[test]
fn the_start_function_sees_memory_in_host_functions() {
    let engine = engine();
    let wat = r#"(module
      (import "env" "poke" (func $poke (param i32)))
      (memory (export "memory") 1)
      (func $start (call $poke (i32.const 8)))
      (start $start))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "poke", |caller, ptr: i32| caller.write(ptr as u64, b"!")));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    assert_eq!(instance.memory("memory").expect("memory")[8], b'!');
}

#[test]
fn host_errors_become_host_error_traps() {
    let engine = engine();
    let wat = r#"(module (import "env" "fail" (func $fail))
      (func (export "run") (call $fail)))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "fail", |_, (): ()| Err::<(), _>(HostError::trap("nope"))));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    match instance.call("run", &[]) {
        Err(Error::Trap(trap)) => {
            assert_eq!(trap.code, TrapCode::HostError);
            assert_eq!(trap.message, "nope");
        }
        other => panic!("expected a host error trap, got {other:?}"),
    }
}

#[test]
fn exit_ends_the_guest_with_a_status() {
    let engine = engine();
    let wat = r#"(module (import "env" "exit" (func $exit (param i32)))
      (func (export "_start") (call $exit (i32.const 3)) unreachable))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "exit", |_, code: i32| Err::<(), _>(HostError::Exit(code))));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    assert!(matches!(instance.call("_start", &[]), Err(Error::Exit(3))));
    assert_eq!(instance.run().expect("runs"), 3);
}

#[test]
fn memory_access_out_of_range_is_a_host_error() {
    let engine = engine();
    let wat = r#"(module (import "env" "peek" (func $peek (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (call $peek (i32.const 65535))))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "peek", |caller, ptr: i32| {
        caller.read(ptr as u64, 2).map(|_| ())
    }));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    assert_eq!(
        instance.call("run", &[]).expect_err("traps").trap_code(),
        Some(TrapCode::HostError)
    );
}

#[test]
fn a_module_without_memory_gives_no_memory_to_host_functions() {
    let engine = engine();
    let wat = r#"(module (import "env" "probe" (func $probe (result i32)))
      (func (export "run") (result i32) (call $probe)))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "probe", |caller, (): ()| Ok(caller.memory().is_some() as i32)));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    assert_eq!(instance.call("run", &[]).expect("runs"), vec![Val::I32(0)]);
}

#[cfg(feature = "cranelift")] // v128 needs SIMD, which Singlepass lacks
#[test]
fn host_functions_with_every_value_type() {
    let engine = engine();
    let wat = r#"(module
      (import "env" "echo" (func $echo (param i32 i64 f32 f64 v128 externref)
                                       (result i32 i64 f32 f64 v128 externref)))
      (func (export "run") (param i32 i64 f32 f64 v128 externref)
                           (result i32 i64 f32 f64 v128 externref)
        (call $echo (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5))))"#;
    let types =
        [ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::V128, ValType::ExternRef];
    let mut env = HostEnv::new();
    env.func(HostFunc::new("env", "echo", FuncType::new(types, types), |_, params, results| {
        results.clone_from_slice(params);
        Ok(())
    }));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    let host_value = wasmux_core::ExternRef::new(String::from("kept"));
    let params = vec![
        Val::I32(-1),
        Val::I64(i64::MIN),
        Val::F32(0x7fc0_0001), // a NaN with payload
        Val::F64(0x7ff8_0000_0000_0001),
        Val::V128(0x0123_4567_89ab_cdef_0011_2233_4455_6677),
        Val::ExternRef(Some(host_value.clone())),
    ];
    let results = instance.call("run", &params).expect("runs");
    assert_eq!(results, params);
    match &results[5] {
        Val::ExternRef(Some(r)) => {
            assert_eq!(r.downcast_ref::<String>().map(String::as_str), Some("kept"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_host_function_returning_the_wrong_type_traps() {
    let engine = engine();
    let wat = r#"(module (import "env" "bad" (func $bad (result i32)))
      (func (export "run") (result i32) (call $bad)))"#;
    let mut env = HostEnv::new();
    let ty = FuncType::new([], [ValType::I32]);
    env.func(HostFunc::new("env", "bad", ty, |_, _, results| {
        results[0] = Val::I64(1);
        Ok(())
    }));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    assert_eq!(
        instance.call("run", &[]).expect_err("traps").trap_code(),
        Some(TrapCode::HostError)
    );
}

#[test]
fn missing_and_mismatched_imports_are_named() {
    let engine = engine();
    let err = instantiate(&engine, GREET, HostEnv::new()).expect_err("missing");
    match err {
        Error::Link(link) => {
            assert_eq!((link.module.as_str(), link.field.as_str()), ("env", "upper"));
            assert_eq!(link.problem, LinkProblem::Missing);
        }
        other => panic!("expected a link error, got {other:?}"),
    }
    let mut env = greet_env();
    env.func(HostFunc::wrap("env", "count", |_, (): ()| Ok(1i64)));
    let err = instantiate(&engine, GREET, env).expect_err("mismatch");
    assert!(
        matches!(&err, Error::Link(link) if matches!(link.problem, LinkProblem::Mismatch { .. })),
        "{err:?}"
    );
}

#[test]
fn panics_in_host_functions_propagate_and_the_process_survives() {
    let engine = engine();
    let wat = r#"(module (import "env" "boom" (func $boom))
      (func (export "run") (call $boom)) (func (export "ok") (result i32) (i32.const 1)))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "boom", |_, (): ()| -> Result<(), HostError> {
        panic!("boom")
    }));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| instance.call("run", &[])));
    assert!(caught.is_err());
    assert_eq!(instance.call("ok", &[]).expect("runs"), vec![Val::I32(1)]);
}
