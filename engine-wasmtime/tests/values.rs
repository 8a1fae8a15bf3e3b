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
