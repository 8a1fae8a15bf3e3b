//! Fuel, deadlines, interrupts, memory and table limits, instance counts.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{engine, engine_with, module};
use wasmux_core::{
    Capability, Config, Engine, Error, Features, HostEnv, Instance, Limits, Resource, TrapCode, Val,
};

const SPIN: &str = r#"(module (func (export "spin") (loop br 0)) (func (export "ok") (result i32) (i32.const 1)))"#;

const COUNT: &str = r#"(module (func (export "count") (param i32) (result i32) (local i32)
    (loop
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1)))"#;

fn env(limits: Limits) -> HostEnv {
    let mut env = HostEnv::new();
    env.limits(limits);
    env
}

/// An engine whose calls can be stopped (deadlines, interrupts).
fn interruptible() -> wasmux_wasmtime::WasmtimeEngine {
    engine_with(Config::default().interruptible(true))
}

#[test]
fn capabilities_follow_the_config() {
    let caps = interruptible().info().capabilities;
    for cap in [
        Capability::Precompile,
        Capability::Deadline,
        Capability::Interrupt,
        Capability::MemoryLimit,
        Capability::TableLimit,
        Capability::StackOverflowTrap,
    ] {
        assert!(caps.has(cap), "{cap}");
    }
    assert!(!caps.has(Capability::Fuel));
    for cap in Features::PROPOSALS {
        assert_eq!(
            caps.has(cap),
            Features::in_wasm3(cap),
            "{cap} is on by default in WebAssembly 3.0"
        );
    }
    let caps = engine_with(Config::default().fuel(true).interruptible(false)).info().capabilities;
    assert!(caps.has(Capability::Fuel));
    assert!(!caps.has(Capability::Deadline));
    assert!(!caps.has(Capability::Interrupt));
    // What a user does not ask for, they do not pay for: no epoch checks by default.
    let caps = engine().info().capabilities;
    assert!(!caps.has(Capability::Deadline) && !caps.has(Capability::Interrupt));
    let info = engine().info().clone();
    assert_eq!((info.name, info.version, info.compiler), ("wasmtime", "48.0.0", Some("cranelift")));
}

#[test]
fn fuel_runs_out() {
    let engine = engine_with(Config::default().fuel(true));
    let module = module(&engine, COUNT);
    let mut instance =
        engine.instantiate(&module, env(Limits::new().fuel(10_000).clone())).unwrap();
    assert_eq!(instance.call("count", &[Val::I32(10)]).unwrap(), vec![Val::I32(10)]);
    let left = instance.fuel().unwrap();
    assert!(left < 10_000, "fuel was not consumed: {left}");
    let error = instance.call("count", &[Val::I32(1_000_000)]).unwrap_err();
    assert_eq!(error.trap_code(), Some(TrapCode::OutOfFuel));
    assert_eq!(instance.fuel(), Some(0));
    instance.set_fuel(1_000_000_000).unwrap();
    assert_eq!(instance.call("count", &[Val::I32(1000)]).unwrap(), vec![Val::I32(1000)]);
}

#[test]
fn fuel_without_a_limit_is_unlimited() {
    let engine = engine_with(Config::default().fuel(true));
    let mut instance = engine.instantiate(&module(&engine, COUNT), HostEnv::new()).unwrap();
    assert_eq!(instance.call("count", &[Val::I32(100_000)]).unwrap(), vec![Val::I32(100_000)]);
    assert!(instance.fuel().unwrap() > u64::MAX / 2);
}

#[test]
fn fuel_needs_a_fuel_engine() {
    let engine = engine();
    let module = module(&engine, COUNT);
    let error = engine.instantiate(&module, env(Limits::new().fuel(1).clone())).unwrap_err();
    assert!(
        matches!(&error, Error::Unsupported { engine: "wasmtime", feature } if feature.contains("Config::fuel")),
        "{error}"
    );
    let mut instance = engine.instantiate(&module, HostEnv::new()).unwrap();
    assert_eq!(instance.fuel(), None);
    assert!(matches!(instance.set_fuel(5), Err(Error::Unsupported { .. })));
}

#[test]
fn deadline_stops_an_endless_loop() {
    let engine = interruptible();
    let module = module(&engine, SPIN);
    let mut instance = engine
        .instantiate(&module, env(Limits::new().deadline(Duration::from_millis(50)).clone()))
        .unwrap();
    let started = Instant::now();
    let error = instance.call("spin", &[]).unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.trap_code(), Some(TrapCode::Interrupt), "{error}");
    assert!(took >= Duration::from_millis(50), "stopped too early: {took:?}");
    assert!(took < Duration::from_secs(5), "stopped too late: {took:?}");
    // The deadline is per call: the next call gets a fresh one.
    assert_eq!(instance.call("ok", &[]).unwrap(), vec![Val::I32(1)]);
    let error = instance.call("spin", &[]).unwrap_err();
    assert_eq!(error.trap_code(), Some(TrapCode::Interrupt));
}

#[test]
fn deadlines_of_many_instances_share_one_ticker() {
    let engine = std::sync::Arc::new(interruptible());
    let module = module(&engine, SPIN);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let engine = engine.clone();
            let module = module.clone();
            std::thread::spawn(move || {
                let limits = Limits::new().deadline(Duration::from_millis(20)).clone();
                let mut instance = engine.instantiate(&module, env(limits)).unwrap();
                instance.call("spin", &[]).unwrap_err().trap_code()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), Some(TrapCode::Interrupt));
    }
}

#[test]
fn deadline_needs_an_interruptible_engine() {
    let engine = engine_with(Config::default().interruptible(false));
    let module = module(&engine, SPIN);
    let limits = Limits::new().deadline(Duration::from_millis(5)).clone();
    assert!(matches!(engine.instantiate(&module, env(limits)), Err(Error::Unsupported { .. })));
}

#[test]
fn interrupting_one_instance_leaves_others_running() {
    let engine = interruptible();
    let module = module(&engine, SPIN);
    let first = engine.instantiate(&module, HostEnv::new()).unwrap();
    let mut second = engine.instantiate(&module, HostEnv::new()).unwrap();
    first.interrupt_handle().interrupt();
    assert_eq!(second.call("ok", &[]).unwrap(), vec![Val::I32(1)]);
}

#[test]
fn max_instances_counts_live_instances() {
    let engine = engine();
    let module = module(&engine, SPIN);
    let limits = Limits::new().max_instances(2).clone();
    let a = engine.instantiate(&module, env(limits.clone())).unwrap();
    let _b = engine.instantiate(&module, env(limits.clone())).unwrap();
    assert!(matches!(
        engine.instantiate(&module, env(limits.clone())),
        Err(Error::ResourceLimit { resource: Resource::Instances, limit: 2, .. })
    ));
    drop(a);
    assert_eq!(engine.live_instances(), 1);
    engine.instantiate(&module, env(limits)).unwrap();
}
