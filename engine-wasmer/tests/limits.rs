//! Memory, table and instance limits.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{compile, engine, instantiate};
use wasmux_core::{Engine, Error, HostEnv, Instance, Limits, Resource, Val};

const GROW: &str = r#"
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow_table") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))
"#;

fn limited(limits: Limits) -> HostEnv {
    let mut env = HostEnv::new();
    env.limits(limits);
    env
}

#[test]
fn memory_growth_past_the_limit_returns_minus_one() {
    let engine = engine();
    let limits = Limits { max_memory_bytes: Some(3 * 65536), ..Limits::default() };
    let mut instance = instantiate(&engine, GROW, limited(limits)).expect("instantiates");
    assert_eq!(instance.call("grow", &[Val::I32(2)]).expect("runs"), vec![Val::I32(1)]);
    assert_eq!(instance.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(-1)]);
    assert_eq!(instance.call("size", &[]).expect("runs"), vec![Val::I32(3)]);
    assert_eq!(instance.memory("memory").expect("memory").len(), 3 * 65536);
}

#[test]
fn a_limit_between_pages_allows_whole_pages_below_it() {
    let engine = engine();
    let limits = Limits { max_memory_bytes: Some(2 * 65536 + 100), ..Limits::default() };
    let mut instance = instantiate(&engine, GROW, limited(limits)).expect("instantiates");
    assert_eq!(instance.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(1)]);
    assert_eq!(instance.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(-1)]);
}

#[test]
fn limits_are_per_instance() {
    let engine = engine();
    let module = compile(&engine, GROW);
    let tight = Limits { max_memory_bytes: Some(65536), ..Limits::default() };
    let mut small = engine.instantiate(&module, limited(tight)).expect("instantiates");
    let mut free = engine.instantiate(&module, HostEnv::new()).expect("instantiates");
    assert_eq!(small.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(-1)]);
    assert_eq!(free.call("grow", &[Val::I32(10)]).expect("runs"), vec![Val::I32(1)]);
}

#[test]
fn initial_memory_over_the_limit_fails_instantiation() {
    let engine = engine();
    let limits = Limits { max_memory_bytes: Some(65536), ..Limits::default() };
    let err = instantiate(&engine, "(module (memory 2))", limited(limits)).expect_err("refused");
    match err {
        Error::ResourceLimit { resource: Resource::Memory, requested, limit } => {
            assert_eq!((requested, limit), (2 * 65536, 65536));
        }
        other => panic!("expected a memory limit error, got {other:?}"),
    }
}

#[test]
fn unexported_memories_are_limited_too() {
    let engine = engine();
    let limits = Limits { max_memory_bytes: Some(65536), ..Limits::default() };
    let wat =
        "(module (memory 1) (func (export \"grow\") (result i32) (memory.grow (i32.const 1))))";
    let mut instance = instantiate(&engine, wat, limited(limits)).expect("instantiates");
    assert_eq!(instance.call("grow", &[]).expect("runs"), vec![Val::I32(-1)]);
}

#[test]
fn table_limits() {
    let engine = engine();
    let limits = Limits { max_table_elements: Some(4), ..Limits::default() };
    let mut instance = instantiate(&engine, GROW, limited(limits.clone())).expect("instantiates");
    assert_eq!(instance.call("grow_table", &[Val::I32(3)]).expect("runs"), vec![Val::I32(1)]);
    assert_eq!(instance.call("grow_table", &[Val::I32(1)]).expect("runs"), vec![Val::I32(-1)]);

    let err =
        instantiate(&engine, "(module (table 5 funcref))", limited(limits)).expect_err("refused");
    match err {
        Error::ResourceLimit { resource: Resource::TableElements, requested: 5, limit: 4 } => {}
        other => panic!("expected a table limit error, got {other:?}"),
    }
}

#[test]
fn instance_count_limit() {
    let engine = engine();
    let module = compile(&engine, GROW);
    let limits = Limits { max_instances: Some(2), ..Limits::default() };
    let a = engine.instantiate(&module, limited(limits.clone())).expect("first");
    let _b = engine.instantiate(&module, limited(limits.clone())).expect("second");
    let err = engine.instantiate(&module, limited(limits.clone())).expect_err("third refused");
    assert!(matches!(err, Error::ResourceLimit { resource: Resource::Instances, .. }), "{err:?}");
    drop(a);
    engine.instantiate(&module, limited(limits)).expect("a slot was freed");
}
