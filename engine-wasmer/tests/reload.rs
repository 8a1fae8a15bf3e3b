//! Loading artifacts again and again does not keep their code: a wasmer engine keeps every
//! module it made until it is dropped, so the backend loads each artifact into an engine of
//! its own. (Its own test binary: other tests running alongside would map memory too.)
#![cfg(all(
    target_os = "linux",
    any(feature = "cranelift", feature = "singlepass", feature = "llvm")
))]

mod common;

use common::{engine, wasm};
use wasmux_core::{Engine, HostEnv, Instance, Val};

const LOADS: usize = 1_000;

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps").lines().count()
}

#[test]
fn reloading_an_artifact_releases_its_code() {
    let engine = engine();
    let artifact = engine
        .precompile(&wasm(r#"(module (func (export "answer") (result i32) i32.const 42))"#))
        .expect("precompile");
    let load_and_call = || {
        // SAFETY: made just above by the same engine.
        let module = unsafe { engine.load_precompiled(&artifact) }.expect("load");
        let mut instance = engine.instantiate(&module, HostEnv::new()).expect("instantiate");
        assert_eq!(instance.call("answer", &[]).expect("call"), vec![Val::I32(42)]);
    };
    // Warm up the allocator and wasmer's caches (stacks, signal handlers).
    (0..20).for_each(|_| load_and_call());
    let before = mappings();
    (0..LOADS).for_each(|_| load_and_call());
    let grown = mappings().saturating_sub(before);
    // Code kept per load adds at least one mapping each time.
    assert!(grown < LOADS / 10, "{LOADS} loads left {grown} more memory mappings");
}
