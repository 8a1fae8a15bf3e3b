//! Values crossing the boundary: numbers, NaN payloads, vectors, references, globals, memory.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engine, instance};
use wasmux_core::{Error, ExternRef, Instance, Val};

const MODULE: &str = r#"(module
  (memory (export "memory") 1)
  (global (export "counter") (mut i64) (i64.const 5))
  (global (export "fixed") i32 (i32.const 1))
  (global (export "ref") (mut externref) (ref.null extern))
  (table $t 2 funcref)
  (func $seven (export "seven") (result i32) (i32.const 7))
  (elem declare func $seven)
  (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    local.get 3 local.get 2 local.get 1 local.get 0)
  (func (export "v") (param v128) (result v128) (i32x4.add (local.get 0) (local.get 0)))
  (func (export "get_seven") (result funcref) (ref.func $seven))
  (func (export "call_ref") (param funcref) (result i32)
    (table.set $t (i32.const 0) (local.get 0))
    (call_indirect (result i32) (i32.const 0)))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "many") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    local.get 0 local.get 19 i32.add))"#;

#[test]
fn numbers_keep_their_bits() {
    let mut instance = instance(&engine(), MODULE);
    let nan = 0x7fc0_0001_u32;
    let results = instance
        .call(
            "swap",
            &[Val::I32(-1), Val::I64(i64::MIN), Val::F32(nan), Val::F64(0x7ff8_0000_0000_0042)],
        )
        .unwrap();
    assert_eq!(
        results,
        vec![Val::F64(0x7ff8_0000_0000_0042), Val::F32(nan), Val::I64(i64::MIN), Val::I32(-1)]
    );
}

#[test]
fn vectors() {
    let mut instance = instance(&engine(), MODULE);
    let v = 0x0000_0004_0000_0003_0000_0002_0000_0001_u128;
    assert_eq!(instance.call("v", &[Val::V128(v)]).unwrap(), vec![Val::V128(v * 2)]);
}

#[test]
fn many_parameters_take_the_heap_path() {
    let mut instance = instance(&engine(), MODULE);
    let params: Vec<Val> = (1..=20).map(Val::I32).collect();
    assert_eq!(instance.call("many", &params).unwrap(), vec![Val::I32(21)]);
}

#[test]
fn funcrefs_come_back_callable() {
    let mut instance = instance(&engine(), MODULE);
    let func = instance.call("get_seven", &[]).unwrap().remove(0);
    assert!(matches!(func, Val::FuncRef(Some(_))));
    assert_eq!(instance.call("call_ref", std::slice::from_ref(&func)).unwrap(), vec![Val::I32(7)]);
    let mut other = common::instance(&engine(), MODULE);
    assert!(matches!(other.call("call_ref", &[func]), Err(Error::InvalidArgument(_))));
    let error = instance.call("call_ref", &[Val::FuncRef(None)]).unwrap_err();
    assert_eq!(error.trap_code(), Some(wasmux_core::TrapCode::IndirectCallToNull));
}

#[test]
fn externrefs_come_back_as_the_same_value() {
    let mut instance = instance(&engine(), MODULE);
    let value = ExternRef::new(String::from("host data"));
    let back = instance.call("ext", &[Val::ExternRef(Some(value.clone()))]).unwrap();
    match &back[0] {
        Val::ExternRef(Some(r)) => {
            assert_eq!(r, &value);
            assert_eq!(r.downcast_ref::<String>().unwrap(), "host data");
        }
        other => panic!("expected an externref, got {other:?}"),
    }
    assert_eq!(instance.call("ext", &[Val::ExternRef(None)]).unwrap(), vec![Val::ExternRef(None)]);
}

#[test]
fn externref_calls_do_not_leak_roots() {
    let mut instance = instance(&engine(), MODULE);
    let value = ExternRef::new(0_u64);
    for _ in 0..10_000 {
        instance.call("ext", &[Val::ExternRef(Some(value.clone()))]).unwrap();
    }
    // The store's copies are released by garbage collection; at least our own survives.
    assert!(std::sync::Arc::strong_count(value.as_arc()) >= 1);
}

#[test]
fn globals() {
    let mut instance = instance(&engine(), MODULE);
    assert_eq!(instance.get_global("counter").unwrap(), Val::I64(5));
    instance.set_global("counter", Val::I64(9)).unwrap();
    assert_eq!(instance.get_global("counter").unwrap(), Val::I64(9));
    assert_eq!(instance.get_global("fixed").unwrap(), Val::I32(1));
    assert!(matches!(instance.set_global("fixed", Val::I32(2)), Err(Error::Export { .. })));
    assert!(matches!(instance.set_global("counter", Val::I32(2)), Err(Error::InvalidArgument(_))));
    assert!(matches!(instance.get_global("nope"), Err(Error::Export { .. })));
    let value = ExternRef::new(1_u8);
    instance.set_global("ref", Val::ExternRef(Some(value.clone()))).unwrap();
    assert_eq!(instance.get_global("ref").unwrap(), Val::ExternRef(Some(value)));
}

#[test]
fn memory_access() {
    let mut instance = instance(&engine(), MODULE);
    assert_eq!(instance.memory("memory").unwrap().len(), 65536);
    instance.write_memory("memory", 100, b"abc").unwrap();
    let mut buf = [0; 3];
    instance.read_memory("memory", 100, &mut buf).unwrap();
    assert_eq!(&buf, b"abc");
    assert!(matches!(instance.memory("counter"), Err(Error::Export { .. })));
    assert!(matches!(instance.memory("none"), Err(Error::Export { .. })));
    assert!(matches!(
        instance.read_memory("memory", 65535, &mut buf),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn bad_calls_are_invalid_arguments() {
    let mut instance = instance(&engine(), MODULE);
    assert!(matches!(instance.call("seven", &[Val::I32(1)]), Err(Error::InvalidArgument(_))));
    let func = instance.get_func("seven").unwrap();
    let mut results = [];
    assert!(matches!(instance.call_func(&func, &[], &mut results), Err(Error::InvalidArgument(_))));
    assert!(matches!(instance.get_func("counter"), Err(Error::Export { .. })));
    assert!(matches!(instance.get_func("missing"), Err(Error::Export { .. })));
    let mut other = common::instance(&engine(), MODULE);
    let mut results = [Val::I32(0)];
    assert!(matches!(other.call_func(&func, &[], &mut results), Err(Error::InvalidArgument(_))));
}

#[test]
fn typed_calls() {
    let mut instance = instance(&engine(), MODULE);
    let swap = instance.typed::<(i32, i64, f32, f64), (f64, f32, i64, i32)>("swap").unwrap();
    assert_eq!(swap.call(&mut instance, (1, 2, 3.0, 4.0)).unwrap(), (4.0, 3.0, 2, 1));
    assert!(instance.typed::<(), i64>("seven").is_err());
}
