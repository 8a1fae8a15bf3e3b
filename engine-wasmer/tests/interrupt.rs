//! Deadlines and interrupt handles stop a running guest.
#![cfg(all(unix, any(feature = "cranelift", feature = "singlepass", feature = "llvm")))]

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{engine_with, instantiate};
use wasmux_core::{Capability, Engine, Error, HostEnv, HostFunc, Instance, TrapCode, Val};

const SPIN: &str = r#"
(module
  (func (export "forever") (loop $l (br $l)))
  (func (export "busy") (param i64) (result i64)
    (local i64)
    (loop $l
      (local.set 1 (i64.add (local.get 1) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get 1) (local.get 0))))
    (local.get 1)))
"#;

fn deadline(d: Duration) -> HostEnv {
    let mut env = HostEnv::new();
    env.limits.deadline = Some(d);
    env
}

fn interrupted(result: wasmux_core::Result<Vec<Val>>) -> String {
    match result {
        Err(Error::Trap(trap)) if trap.code == TrapCode::Interrupt => trap.message,
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

/// An engine whose calls can be stopped (deadlines, interrupts).
fn interruptible() -> wasmux_wasmer::WasmerEngine {
    engine_with(|c| c.interruptible = true)
}

#[test]
fn a_deadline_stops_an_endless_loop() {
    let engine = interruptible();
    let info = engine.info();
    assert!(
        info.capabilities.has(Capability::Deadline) && info.capabilities.has(Capability::Interrupt)
    );
    let mut instance = instantiate(&engine, SPIN, deadline(Duration::from_millis(50))).expect("ok");
    let start = Instant::now();
    let message = interrupted(instance.call("forever", &[]));
    let took = start.elapsed();
    assert!(message.contains("deadline"), "{message}");
    assert!(took >= Duration::from_millis(50) && took < Duration::from_secs(2), "took {took:?}");
    // The deadline is per call: short calls still succeed afterwards.
    assert_eq!(instance.call("busy", &[Val::I64(10)]).expect("runs"), vec![Val::I64(10)]);
    // And it fires again.
    interrupted(instance.call("forever", &[]));
}

#[test]
fn an_interrupt_handle_stops_a_call_from_another_thread() {
    let engine = interruptible();
    let mut instance = instantiate(&engine, SPIN, HostEnv::new()).expect("instantiates");
    let handle = instance.interrupt_handle();
    let (started_tx, started_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        started_tx.send(()).expect("send");
        let result = instance.call("forever", &[]);
        (instance, result)
    });
    started_rx.recv().expect("started");
    std::thread::sleep(Duration::from_millis(50));
    handle.interrupt();
    let (mut instance, result) = worker.join().expect("worker survives");
    assert!(interrupted(result).contains("interrupted by the host"));

    // The request stays in force until cleared.
    interrupted(instance.call("busy", &[Val::I64(1)]));
    handle.clear();
    assert_eq!(instance.call("busy", &[Val::I64(3)]).expect("runs"), vec![Val::I64(3)]);
}

#[test]
fn an_interrupt_racing_the_call_start_is_not_lost() {
    let engine = interruptible();
    for round in 0..20 {
        let mut instance = instantiate(&engine, SPIN, HostEnv::new()).expect("instantiates");
        let handle = instance.interrupt_handle();
        let worker = std::thread::spawn(move || instance.call("forever", &[]));
        // Sweep the moment of the interrupt across the call's start.
        std::thread::sleep(Duration::from_micros(round * 50));
        handle.interrupt();
        interrupted(worker.join().expect("worker survives"));
    }
}

#[test]
fn interrupting_one_instance_leaves_the_others_running() {
    let engine = interruptible();
    let mut a = instantiate(&engine, SPIN, HostEnv::new()).expect("instantiates");
    let mut b = instantiate(&engine, SPIN, HostEnv::new()).expect("instantiates");
    let handle_a = a.interrupt_handle();
    let worker = std::thread::spawn(move || a.call("forever", &[]));
    std::thread::sleep(Duration::from_millis(20));
    handle_a.interrupt();
    // Meanwhile b computes undisturbed on this thread.
    assert_eq!(b.call("busy", &[Val::I64(2_000_000)]).expect("runs"), vec![Val::I64(2_000_000)]);
    interrupted(worker.join().expect("worker survives"));
}

#[test]
fn a_blocking_host_function_is_not_interrupted_but_the_call_stops_after_it() {
    let engine = interruptible();
    let wat = r#"(module (import "env" "block" (func $block))
      (func (export "run") (call $block) (loop $l (br $l))))"#;
    let (release_tx, release_rx) = mpsc::sync_channel::<()>(0);
    let release_rx = std::sync::Mutex::new(release_rx);
    let (entered_tx, entered_rx) = mpsc::sync_channel::<()>(1);
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "block", move |_, (): ()| {
        let _ = entered_tx.send(());
        let _ = release_rx.lock().map(|rx| rx.recv());
        Ok(())
    }));
    let mut instance = instantiate(&engine, wat, env).expect("instantiates");
    let handle = instance.interrupt_handle();
    let worker = std::thread::spawn(move || instance.call("run", &[]));
    entered_rx.recv().expect("host function entered");
    handle.interrupt();
    std::thread::sleep(Duration::from_millis(30));
    assert!(!worker.is_finished(), "the host function must not be unwound");
    release_tx.send(()).expect("release");
    interrupted(worker.join().expect("worker survives"));
}

#[test]
fn a_deadline_applies_to_the_start_function() {
    let engine = interruptible();
    let wat = "(module (func $s (loop $l (br $l))) (start $s))";
    let err = instantiate(&engine, wat, deadline(Duration::from_millis(20))).expect_err("stopped");
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupt), "{err:?}");
}

#[test]
fn deadlines_need_an_interruptible_engine() {
    let engine = engine_with(|c| c.interruptible = false);
    assert!(!engine.info().capabilities.has(Capability::Deadline));
    let err = instantiate(&engine, SPIN, deadline(Duration::from_millis(5))).expect_err("refused");
    assert!(matches!(err, Error::Unsupported { engine: "wasmer", .. }), "{err:?}");
    // Without interruption the handle is still honoured when the next call starts.
    let mut instance = instantiate(&engine, SPIN, HostEnv::new()).expect("instantiates");
    instance.interrupt_handle().interrupt();
    interrupted(instance.call("busy", &[Val::I64(1)]));
}

#[test]
fn many_short_calls_with_a_deadline() {
    let engine = interruptible();
    let mut instance = instantiate(&engine, SPIN, deadline(Duration::from_secs(5))).expect("ok");
    for i in 0..2_000 {
        assert_eq!(instance.call("busy", &[Val::I64(i)]).expect("runs"), vec![Val::I64(i.max(1))]);
    }
}
