//! A rough check that a wasmux call costs about what a wasmtime typed call costs. Ignored by
//! default (timings need a release build on a quiet machine):
//! `cargo test -p wasmux-wasmtime --release --test perf -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{engine, wasm};
use wasmux_core::{Engine, HostEnv, Instance, Val};

const MODULE: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#;

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
#[ignore = "timing; run in release"]
fn call_overhead_against_wasmtime_typed_calls() {
    let engine = engine();
    let bytes = wasm(MODULE);

    // wasmtime's own typed API, on an engine of the very same configuration.
    let wt_engine = engine.wasmtime_engine();
    let wt_module = wasmtime::Module::new(wt_engine, &bytes).unwrap();
    let mut store = wasmtime::Store::new(wt_engine, ());
    store.epoch_deadline_callback(|_| Ok(wasmtime::UpdateDeadline::Continue(1)));
    store.set_epoch_deadline(1);
    let wt_instance = wasmtime::Instance::new(&mut store, &wt_module, &[]).unwrap();
    let wt_add = wt_instance.get_typed_func::<(i32, i32), i32>(&mut store, "add").unwrap();
    let wt_fib = wt_instance.get_typed_func::<i32, i32>(&mut store, "fib").unwrap();

    let module = engine.compile(&bytes).unwrap();
    let mut instance = engine.instantiate(&module, HostEnv::new()).unwrap();
    let add = instance.get_func("add").unwrap();
    let fib = instance.get_func("fib").unwrap();
    let typed_add = instance.typed::<(i32, i32), i32>("add").unwrap();

    const N: i32 = 1_000_000;
    let raw_add = best_of(5, || {
        for i in 0..N {
            black_box(wt_add.call(&mut store, (i, 1)).unwrap());
        }
    });
    let wt_add_func = wt_instance.get_func(&mut store, "add").unwrap();
    let unchecked_add = best_of(5, || {
        for i in 0..N {
            let mut raw = [wasmtime::ValRaw::i32(i), wasmtime::ValRaw::i32(1)];
            // SAFETY: `add` takes two i32s and returns one.
            unsafe { wt_add_func.call_unchecked(&mut store, &mut raw as *mut [wasmtime::ValRaw]) }
                .unwrap();
            black_box(raw[0].get_i32());
        }
    });
    let mux_add = best_of(5, || {
        let mut results = [Val::I32(0)];
        for i in 0..N {
            instance.call_func(&add, &[Val::I32(i), Val::I32(1)], &mut results).unwrap();
            black_box(&results);
        }
    });
    let mux_typed_add = best_of(5, || {
        for i in 0..N {
            black_box(typed_add.call(&mut instance, (i, 1)).unwrap());
        }
    });
    let raw_fib = best_of(5, || {
        black_box(wt_fib.call(&mut store, 25).unwrap());
    });
    let mux_fib = best_of(5, || {
        let mut results = [Val::I32(0)];
        instance.call_func(&fib, &[Val::I32(25)], &mut results).unwrap();
        black_box(&results);
    });
    let per_call = |d: Duration| d.as_nanos() as f64 / f64::from(N);
    println!(
        "add: wasmtime typed {:.1} ns, wasmtime call_unchecked {:.1} ns, wasmux call_func {:.1} ns, wasmux typed {:.1} ns",
        per_call(raw_add),
        per_call(unchecked_add),
        per_call(mux_add),
        per_call(mux_typed_add)
    );
    println!("fib(25): wasmtime {raw_fib:?}, wasmux {mux_fib:?}");
}
