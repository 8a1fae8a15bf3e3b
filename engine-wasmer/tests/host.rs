//! Host functions: memory access, state, errors, exit, linking.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{engine, instantiate};
use wasmux_core::{HostEnv, HostError, HostFunc, Instance, Val};

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
    use wasmux_core::{FuncType, ValType};
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
