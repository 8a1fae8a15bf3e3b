//! Exports of an instance: functions, values of every type, globals, memories, errors.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{engine, instantiate};
use wasmux_core::{Engine, Error, ExternType, FuncType, HostEnv, Instance, Val, ValType};

const EXPORTS: &str = r#"
(module
  (memory (export "memory") 1 2)
  (global (export "counter") (mut i64) (i64.const 5))
  (global (export "fixed") i32 (i32.const 9))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $double)
  (func $double (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "pair") (param f32 f64) (result f64 f32) (local.get 1) (local.get 0))
  (func (export "get_ref") (result funcref) (table.get 0 (i32.const 0)))
  (func (export "call_ref") (param funcref i32) (result i32)
    (table.set 0 (i32.const 1) (local.get 0))
    (call_indirect (param i32) (result i32) (local.get 1) (i32.const 1)))
  (func (export "same") (param externref) (result externref) (local.get 0))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0))))
"#;

#[test]
fn module_info_lists_imports_and_exports_in_order() {
    let engine = engine();
    let module = common::compile(&engine, EXPORTS);
    let info = engine.module_info(&module);
    assert!(info.imports.is_empty());
    let names: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "memory", "counter", "fixed", "table", "double", "pair", "get_ref", "call_ref", "same",
            "is_null"
        ]
    );
    assert_eq!(
        info.export("pair").map(|e| &e.ty),
        Some(&ExternType::Func(FuncType::new(
            [ValType::F32, ValType::F64],
            [ValType::F64, ValType::F32]
        )))
    );
    match &info.exports[0].ty {
        ExternType::Memory(m) => assert_eq!((m.min, m.max, m.shared), (1, Some(2), false)),
        other => panic!("{other:?}"),
    }
    // The start function wasmux hoists is never visible.
    let module = common::compile(&engine, "(module (func $s) (start $s) (func (export \"f\")))");
    assert_eq!(engine.module_info(&module).exports.len(), 1);
}

#[test]
fn funcrefs_round_trip_through_the_host() {
    let engine = engine();
    let mut instance = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    let func_ref = instance.call("get_ref", &[]).expect("runs").remove(0);
    assert!(matches!(func_ref, Val::FuncRef(Some(_))));
    let out = instance.call("call_ref", &[func_ref.clone(), Val::I32(5)]).expect("runs");
    assert_eq!(out, vec![Val::I32(10)]);

    // A funcref of another instance is refused, not misused.
    let mut other = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    let err = other.call("call_ref", &[func_ref, Val::I32(5)]).expect_err("refused");
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    // And a funcref made by another engine.
    let foreign = Val::FuncRef(Some(wasmux_core::FuncRef::new(17u8)));
    assert!(matches!(
        other.call("call_ref", &[foreign, Val::I32(1)]),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn globals() {
    let engine = engine();
    let mut instance = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    assert_eq!(instance.get_global("counter").expect("global"), Val::I64(5));
    instance.set_global("counter", Val::I64(-3)).expect("sets");
    assert_eq!(instance.get_global("counter").expect("global"), Val::I64(-3));
    assert_eq!(instance.get_global("fixed").expect("global"), Val::I32(9));
    assert!(matches!(instance.set_global("fixed", Val::I32(1)), Err(Error::Export { .. })));
    assert!(matches!(instance.set_global("counter", Val::I32(1)), Err(Error::InvalidArgument(_))));
    assert!(matches!(instance.get_global("double"), Err(Error::Export { .. })));
    assert!(matches!(instance.get_global("nope"), Err(Error::Export { .. })));
}

#[test]
fn memory_access() {
    let engine = engine();
    let mut instance = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    assert_eq!(instance.memory("memory").expect("memory").len(), 65536);
    instance.write_memory("memory", 100, b"abc").expect("writes");
    let mut buf = [0; 3];
    instance.read_memory("memory", 100, &mut buf).expect("reads");
    assert_eq!(&buf, b"abc");
    assert!(matches!(
        instance.read_memory("memory", 65535, &mut buf),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(instance.memory("counter"), Err(Error::Export { .. })));
}

#[test]
fn bad_calls_are_invalid_arguments() {
    let engine = engine();
    let mut instance = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    assert!(matches!(instance.call("double", &[Val::I64(1)]), Err(Error::InvalidArgument(_))));
    assert!(matches!(instance.call("double", &[]), Err(Error::InvalidArgument(_))));
    let func = instance.get_func("double").expect("func");
    assert!(matches!(
        instance.call_func(&func, &[Val::I32(1)], &mut []),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(instance.get_func("memory"), Err(Error::Export { .. })));
    assert!(matches!(instance.get_func("missing"), Err(Error::Export { .. })));
    // A function of another instance.
    let mut other = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    let mut out = [Val::I32(0)];
    assert!(matches!(
        other.call_func(&func, &[Val::I32(1)], &mut out),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn instances_move_between_threads() {
    let engine = engine();
    let mut instance = instantiate(&engine, EXPORTS, HostEnv::new()).expect("instantiates");
    instance.call("double", &[Val::I32(1)]).expect("runs");
    let mut instance = std::thread::spawn(move || {
        assert_eq!(instance.call("double", &[Val::I32(2)]).expect("runs"), vec![Val::I32(4)]);
        instance
    })
    .join()
    .expect("thread");
    assert_eq!(instance.call("double", &[Val::I32(3)]).expect("runs"), vec![Val::I32(6)]);
}
