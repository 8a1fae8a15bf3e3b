//! Every guest fault becomes the same `TrapCode` as on the other engines, and the process
//! survives, stack overflow included.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{engine, instantiate};
use wasmux_core::{Error, HostEnv, Instance, TrapCode, Val};

const FAULTS: &str = r#"
(module
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 1) $nop)
  (func $nop)
  (func (export "unreachable") unreachable)
  (func (export "div_zero") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "rem_zero") (result i64) (i64.rem_u (i64.const 1) (i64.const 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "oob_load") (result i32) (i32.load (i32.const 65536)))
  (func (export "oob_store") (i32.store (i32.const -1) (i32.const 0)))
  (func (export "oob_fill") (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))
  (func (export "null_call") (call_indirect (type $v) (i32.const 0)))
  (func (export "table_oob") (call_indirect (type $v) (i32.const 7)))
  (func (export "bad_sig") (result i32) (call_indirect (type $i) (i32.const 1)))
  (func (export "nan_to_int") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export "big_to_int") (result i32) (i32.trunc_f64_u (f64.const 1e100)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "ok") (result i32) (i32.const 7)))
"#;

fn trap(instance: &mut impl Instance, name: &str, params: &[Val]) -> TrapCode {
    match instance.call(name, params) {
        Err(Error::Trap(trap)) => trap.code,
        other => panic!("{name}: expected a trap, got {other:?}"),
    }
}

#[test]
fn unbounded_recursion_is_a_stack_overflow_and_the_process_survives() {
    let engine = engine();
    let mut instance = instantiate(&engine, FAULTS, HostEnv::new()).expect("instantiates");
    for _ in 0..3 {
        assert_eq!(trap(&mut instance, "recurse", &[Val::I32(0)]), TrapCode::StackOverflow);
    }
    assert_eq!(instance.call("ok", &[]).expect("runs"), vec![Val::I32(7)]);
}

#[test]
fn stack_overflow_on_another_thread() {
    let engine = engine();
    let mut instance = instantiate(&engine, FAULTS, HostEnv::new()).expect("instantiates");
    // The instance moves to a thread that never ran wasm before.
    let code = std::thread::spawn(move || trap(&mut instance, "recurse", &[Val::I32(0)]))
        .join()
        .expect("thread survives");
    assert_eq!(code, TrapCode::StackOverflow);
}

#[test]
fn a_larger_guest_stack_allows_deeper_recursion() {
    // wasmer treats the size as a minimum (it reuses any cached stack at least that large), so
    // only growth beyond the 1 MiB default is observable. The default-stack run goes first, on
    // a fresh thread, before any larger stack exists to be reused.
    std::thread::spawn(|| {
        let default = engine();
        let large = common::engine_with(|c| c.max_wasm_stack = Some(8 << 20));
        let wat = r#"
          (module
            (global $depth (mut i32) (i32.const 0))
            (func $down (export "down") (param i32)
              (global.set $depth (local.get 0))
              (call $down (i32.add (local.get 0) (i32.const 1))))
            (func (export "depth") (result i32) (global.get $depth)))"#;
        let mut reached = Vec::new();
        for engine in [&default, &large] {
            let mut instance = instantiate(engine, wat, HostEnv::new()).expect("instantiates");
            assert_eq!(trap(&mut instance, "down", &[Val::I32(0)]), TrapCode::StackOverflow);
            reached.push(instance.call("depth", &[]).expect("runs")[0].i32().expect("i32"));
        }
        assert!(reached[0] * 4 < reached[1], "depths {reached:?}");
    })
    .join()
    .expect("test thread");
}
