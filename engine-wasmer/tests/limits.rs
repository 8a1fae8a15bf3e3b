//! Memory, table and instance limits.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{compile, engine, instantiate};
use wasmux_core::{Engine, HostEnv, Instance, Limits, Val};

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
fn a_limit_between_pages_allows_whole_pages_below_it() {
    let engine = engine();
    let limits = Limits::new().max_memory_bytes(2 * 65536 + 100).clone();
    let mut instance = instantiate(&engine, GROW, limited(limits)).expect("instantiates");
    assert_eq!(instance.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(1)]);
    assert_eq!(instance.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(-1)]);
}

#[test]
fn limits_are_per_instance() {
    let engine = engine();
    let module = compile(&engine, GROW);
    let tight = Limits::new().max_memory_bytes(65536).clone();
    let mut small = engine.instantiate(&module, limited(tight)).expect("instantiates");
    let mut free = engine.instantiate(&module, HostEnv::new()).expect("instantiates");
    assert_eq!(small.call("grow", &[Val::I32(1)]).expect("runs"), vec![Val::I32(-1)]);
    assert_eq!(free.call("grow", &[Val::I32(10)]).expect("runs"), vec![Val::I32(1)]);
}

#[test]
fn unexported_memories_are_limited_too() {
    let engine = engine();
    let limits = Limits::new().max_memory_bytes(65536).clone();
    let wat =
        "(module (memory 1) (func (export \"grow\") (result i32) (memory.grow (i32.const 1))))";
    let mut instance = instantiate(&engine, wat, limited(limits)).expect("instantiates");
    assert_eq!(instance.call("grow", &[]).expect("runs"), vec![Val::I32(-1)]);
}
