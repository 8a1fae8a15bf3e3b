//! Every guest fault comes back as the same wasmux trap code, and the process survives.
#![allow(clippy::unwrap_used)]

mod common;

use common::instance;
use wasmux_core::{Instance, TrapCode, Val};

const FAULTS: &str = r#"(module
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1 1 shared)
  (memory $m 1)
  (table 2 funcref)
  (elem (i32.const 0) $f)
  (func $f)
  (func (export "unreachable") unreachable)
  (func (export "oob") (result i32) (i32.load $m (i32.const 70000)))
  (func (export "div0") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "conversion") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export "table_oob") (call_indirect (type $v) (i32.const 5)))
  (func (export "null_entry") (call_indirect (type $v) (i32.const 1)))
  (func (export "bad_sig") (result i32) (call_indirect (type $i) (i32.const 0)))
  (func (export "misaligned") (result i32) (i32.atomic.load (i32.const 1)))
  (func $recurse (export "recurse") (call $recurse))
  (func (export "ok") (result i32) (i32.const 7))
)"#;

fn engine_with_threads() -> wasmux_wasmtime::WasmtimeEngine {
    let mut config = wasmux_core::Config::default();
    config.features_mut().set(wasmux_core::Capability::Threads, true);
    common::engine_with(&config)
}

#[test]
fn stack_overflow_is_a_trap_and_the_instance_still_works() {
    let mut instance = instance(&engine_with_threads(), FAULTS);
    for _ in 0..3 {
        let error = instance.call("recurse", &[]).unwrap_err();
        assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    }
    assert_eq!(instance.call("ok", &[]).unwrap(), vec![Val::I32(7)]);
}

#[test]
fn stack_overflow_on_another_thread_is_a_trap() {
    let handle = std::thread::spawn(|| {
        let mut instance = instance(&engine_with_threads(), FAULTS);
        instance.call("recurse", &[]).unwrap_err().trap_code()
    });
    assert_eq!(handle.join().unwrap(), Some(TrapCode::StackOverflow));
}

#[test]
fn a_small_max_wasm_stack_overflows_sooner() {
    let mut config = wasmux_core::Config::default();
    config.max_wasm_stack(Some(64 * 1024));
    let engine = common::engine_with(&config);
    let mut instance = instance(
        &engine,
        r#"(module (func $r (export "r") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
                (else (i32.add (i32.const 1) (call $r (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    // Shallow recursion fits; deep recursion does not fit in 64 KiB.
    assert_eq!(instance.call("r", &[Val::I32(100)]).unwrap(), vec![Val::I32(100)]);
    let error = instance.call("r", &[Val::I32(1_000_000)]).unwrap_err();
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
}

#[test]
fn uncaught_exception_is_a_trap() {
    let engine = common::engine();
    let mut instance = instance(
        &engine,
        r#"(module (tag $e (param i32))
            (func (export "throw") (throw $e (i32.const 1)))
            (func (export "ok") (result i32) (i32.const 1)))"#,
    );
    let error = instance.call("throw", &[]).unwrap_err();
    assert_eq!(error.trap_code(), Some(TrapCode::UncaughtException), "{error}");
    assert_eq!(instance.call("ok", &[]).unwrap(), vec![Val::I32(1)]);
}
