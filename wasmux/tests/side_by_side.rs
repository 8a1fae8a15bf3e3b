//! Every compiled-in engine in one process at once, on threads of their own: each computes,
//! traps and hits its deadline while the others do the same.
//!
//! The danger is in signals. wasmtime and wasmer both turn a guest's out-of-bounds access
//! (a SIGSEGV) into a trap, and wasmer stops a call at its deadline with SIGUSR1: each engine's
//! handler must pass on what is not its own.
#![cfg(all(feature = "wasmtime", feature = "wasmer", feature = "wasmi"))]

use std::sync::Barrier;
use std::time::Duration;

use wasmux::{Capability, Config, DynEngine, DynModule, Error, HostEnv, Limits, TrapCode, Val};

const GUEST: &str = r#"(module
  (memory 1)
  (func $fib (export "fib") (param i32) (result i64)
    (if (result i64) (i32.lt_u (local.get 0) (i32.const 2))
      (then (i64.extend_i32_u (local.get 0)))
      (else (i64.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "out_of_bounds") (result i32) (i32.load (i32.const 70000)))
  (func (export "spin") (loop (br 0))))"#;

const THREADS_PER_ENGINE: usize = 3;
const ROUNDS: usize = 4;
const DEADLINE: Duration = Duration::from_millis(20);

#[test]
fn every_engine_runs_traps_and_stops_at_once_on_its_own_threads() {
    let mut config = Config::default();
    config.interruptible(true);
    let engines: Vec<Box<dyn DynEngine>> = wasmux::engines()
        .into_iter()
        .map(|backend| wasmux::engine(backend, &config).expect("engine"))
        .collect();
    assert_eq!(engines.len(), 3, "all three engines are built in");
    let wasm = wasmux::parse(GUEST.as_bytes()).expect("parse");
    let modules: Vec<DynModule> =
        engines.iter().map(|engine| engine.compile(&wasm).expect("compile")).collect();
    let barrier = Barrier::new(engines.len() * THREADS_PER_ENGINE);
    std::thread::scope(|scope| {
        for (engine, module) in engines.iter().zip(&modules) {
            for _ in 0..THREADS_PER_ENGINE {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    exercise(engine.as_ref(), module);
                });
            }
        }
    });
}

/// One thread's work: fresh instances, then rounds of a computation, a memory fault and a
/// call stopped by its deadline. Only the endless call has a deadline: on a loaded machine a
/// thread may wait longer than any deadline for its turn on a core.
fn exercise(engine: &dyn DynEngine, module: &DynModule) {
    let name = engine.info().name;
    assert!(
        engine.info().capabilities.has(Capability::Deadline),
        "{name}: every engine enforces deadlines"
    );
    let mut instance = engine.instantiate(module, HostEnv::new()).expect("instantiate");
    let mut env = HostEnv::new();
    env.limits(Limits::new().deadline(DEADLINE).clone());
    let mut limited = engine.instantiate(module, env).expect("instantiate");
    for _ in 0..ROUNDS {
        let fib = instance.call("fib", &[Val::I32(20)]);
        assert_eq!(fib.unwrap_or_else(|e| panic!("{name}: {e}")), [Val::I64(6765)], "{name}");
        let fault = trap_code(name, instance.call("out_of_bounds", &[]));
        assert_eq!(fault, TrapCode::MemoryOutOfBounds, "{name}");
        assert_eq!(trap_code(name, limited.call("spin", &[])), TrapCode::Interrupt, "{name}");
    }
}

fn trap_code(engine: &str, outcome: wasmux::Result<Vec<Val>>) -> TrapCode {
    match outcome {
        Err(Error::Trap(trap)) => trap.code,
        other => panic!("{engine}: expected a trap, got {other:?}"),
    }
}
