//! Host functions: arguments and results, guest memory, host state, errors and exit.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engine, module};
use wasmux_core::{Engine, Error, FuncType, HostEnv, HostError, HostFunc, Instance, Val, ValType};

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
