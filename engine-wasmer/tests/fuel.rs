//! Fuel through wasmer's metering middleware.
#![cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]

mod common;

use common::{compile, engine, engine_with, instantiate};
use wasmux_core::{Capability, Engine, Error, HostEnv, HostFunc, Instance, TrapCode, Val};

const LOOP: &str = r#"
(module
  (func (export "spin") (param i32) (result i32)
    (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "forever") (loop $l (br $l)))
  (func (export "unreachable") unreachable))
"#;

fn fuel(amount: u64) -> HostEnv {
    let mut env = HostEnv::new();
    env.limits.fuel = Some(amount);
    env
}

#[test]
fn fuel_runs_out_with_its_own_trap_code() {
    let engine = engine_with(|c| c.fuel = true);
    assert!(engine.info().capabilities.has(Capability::Fuel));
    let mut instance = instantiate(&engine, LOOP, fuel(10_000)).expect("instantiates");
    let err = instance.call("forever", &[]).expect_err("runs out");
    assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel), "{err:?}");
    assert_eq!(instance.fuel(), Some(0));
}

#[test]
fn fuel_is_consumed_roughly_one_per_operator_and_can_be_refilled() {
    let engine = engine_with(|c| c.fuel = true);
    let mut instance = instantiate(&engine, LOOP, fuel(1_000_000)).expect("instantiates");
    instance.call("spin", &[Val::I32(1000)]).expect("runs");
    let used = 1_000_000 - instance.fuel().expect("counted");
    // 8 operators per iteration.
    assert!((7_000..=9_000).contains(&used), "used {used}");

    instance.set_fuel(100).expect("refills");
    let err = instance.call("spin", &[Val::I32(1000)]).expect_err("too little");
    assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel));
    instance.set_fuel(1_000_000).expect("refills");
    assert_eq!(instance.call("spin", &[Val::I32(10)]).expect("runs"), vec![Val::I32(10)]);
}

#[test]
fn a_guest_unreachable_stays_unreachable_with_fuel_on() {
    let engine = engine_with(|c| c.fuel = true);
    let mut instance = instantiate(&engine, LOOP, fuel(1_000)).expect("instantiates");
    let err = instance.call("unreachable", &[]).expect_err("traps");
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
}

#[test]
fn without_a_fuel_limit_the_instance_is_unmetered_in_effect() {
    let engine = engine_with(|c| c.fuel = true);
    let mut instance = instantiate(&engine, LOOP, HostEnv::new()).expect("instantiates");
    instance.call("spin", &[Val::I32(100_000)]).expect("runs");
    assert!(instance.fuel().expect("counted") > u64::MAX / 2);
}

#[test]
fn fuel_limits_need_fuel_in_the_config() {
    let engine = engine();
    assert!(!engine.info().capabilities.has(Capability::Fuel));
    let err = instantiate(&engine, LOOP, fuel(10)).expect_err("refused");
    assert!(matches!(err, Error::Unsupported { engine: "wasmer", .. }), "{err:?}");
    let mut instance = instantiate(&engine, LOOP, HostEnv::new()).expect("instantiates");
    assert_eq!(instance.fuel(), None);
    assert!(matches!(instance.set_fuel(5), Err(Error::Unsupported { .. })));
}

#[test]
fn the_start_function_is_charged() {
    let engine = engine_with(|c| c.fuel = true);
    let wat = "(module (func $s (loop $l (br $l))) (start $s))";
    let err = instantiate(&engine, wat, fuel(10_000)).expect_err("start runs out");
    assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel), "{err:?}");
}

#[test]
fn metering_globals_are_not_exports() {
    let engine = engine_with(|c| c.fuel = true);
    let module = compile(&engine, LOOP);
    let names: Vec<&str> =
        engine.module_info(&module).exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["spin", "forever", "unreachable"]);
    let mut instance = engine.instantiate(&module, HostEnv::new()).expect("instantiates");
    assert!(instance.get_func("wasmer_metering_remaining_points").is_err());
}

#[test]
fn host_calls_do_not_refill() {
    let engine = engine_with(|c| c.fuel = true);
    let wat = r#"(module (import "env" "tick" (func $tick))
      (func (export "run") (loop $l (call $tick) (br $l))))"#;
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "tick", |_, (): ()| Ok(())));
    env.limits_mut().fuel(50_000);
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    let err = instance.call("run", &[]).expect_err("runs out");
    assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel));
}
