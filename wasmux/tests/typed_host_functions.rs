//! Host functions made with `HostFunc::wrap_for::<CompiledEngines>` carry each compiled-in
//! engine's own typed form, and behave as the portable form does on every engine, a panic
//! included. (What they compute, with memory, state and errors, is checked by the conformance
//! suite's `host/native_*` cases.) Typed host data sits beside the WASI context.

use std::panic::{AssertUnwindSafe, catch_unwind};

use wasmux::{CompiledEngines, DynEngine, ExternRef, HostEnv, HostError, HostFunc, Result, Val};

fn engines() -> Result<Vec<Box<dyn DynEngine>>> {
    wasmux::engines().into_iter().map(|b| wasmux::engine(b, &wasmux::Config::default())).collect()
}

fn wasmer_compiled_in() -> bool {
    wasmux::engines().iter().any(|b| b.name() == "wasmer")
}

#[test]
fn each_compiled_in_engine_gets_its_typed_form() {
    let add = HostFunc::wrap_for::<CompiledEngines, _, _>("env", "add", |_, (a, b): (i32, i32)| {
        Ok::<_, HostError>(a + b)
    });
    assert_eq!(add.native_forms(), wasmux::engines().len());
    let portable = HostFunc::wrap("env", "add", |_, (a, b): (i32, i32)| Ok::<_, HostError>(a + b));
    assert_eq!(portable.native_forms(), 0);
    // wasmer's typed functions take no v128: that engine runs the portable body.
    let not = HostFunc::wrap_for::<CompiledEngines, _, _>("env", "not", |_, v: u128| {
        Ok::<_, HostError>(!v)
    });
    assert_eq!(not.native_forms(), wasmux::engines().len() - usize::from(wasmer_compiled_in()));
    // References go through each engine's `Val`s, which root and check them: no typed form.
    let keep =
        HostFunc::wrap_for::<CompiledEngines, _, _>("env", "keep", |_, r: Option<ExternRef>| {
            Ok::<_, HostError>(r)
        });
    assert_eq!(keep.native_forms(), 0);
}

/// Whether calling `boom` (a host function that panics) panicked through `call`, and what the
/// instance answers afterwards.
fn panic_outcome(engine: &dyn DynEngine, boom: HostFunc) -> Result<(bool, Vec<Val>)> {
    let wasm = wasmux::parse(
        br#"(module (import "env" "boom" (func $boom (param i32) (result i32)))
             (func (export "run") (result i32) i32.const 1 call $boom)
             (func (export "ok") (result i32) i32.const 7))"#,
    )?;
    let mut env = HostEnv::new();
    env.func(boom);
    let mut instance = engine.instantiate(&engine.compile(&wasm)?, env)?;
    let panicked = catch_unwind(AssertUnwindSafe(|| instance.call("run", &[]))).is_err();
    Ok((panicked, instance.call("ok", &[])?))
}

#[test]
fn a_panic_behaves_as_in_the_portable_form() -> Result<()> {
    let body = |_: &mut wasmux::Caller<'_>, n: i32| -> std::result::Result<i32, HostError> {
        panic!("host function panicked with {n}")
    };
    for engine in engines()? {
        let portable = panic_outcome(&*engine, HostFunc::wrap("env", "boom", body))?;
        let native = panic_outcome(
            &*engine,
            HostFunc::wrap_for::<CompiledEngines, _, _>("env", "boom", body),
        )?;
        assert_eq!(native, portable, "{}", engine.info().name);
        assert!(native.0, "{}: the panic reaches the embedder", engine.info().name);
        assert_eq!(
            native.1,
            [Val::I32(7)],
            "{}: the instance answers after the panic",
            engine.info().name
        );
    }
    Ok(())
}

/// The embedder's typed host data and the WASI context live side by side in one instance:
/// a typed host function counts calls while the guest writes to WASI's stdout.
#[test]
fn typed_host_data_beside_wasi() -> Result<()> {
    use wasmux::wasi::{WasiConfig, WasiCtx, WasiEnvExt, WasiStateExt};

    #[derive(Debug, Default, PartialEq)]
    struct Calls(u32);

    let wasm = wasmux::parse(
        br#"(module
             (import "wasi_snapshot_preview1" "fd_write"
               (func $fd_write (param i32 i32 i32 i32) (result i32)))
             (import "host" "tick" (func $tick (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "hi\n")
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 16))
               (i32.store (i32.const 4) (i32.const 3))
               (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
               (drop (call $tick)) (drop (call $tick))))"#,
    )?;
    for engine in engines()? {
        let mut config = WasiConfig::new();
        config.capture_stdout();
        let mut env = HostEnv::with_data(Calls::default());
        env.wasi(WasiCtx::new(&config)?);
        env.wrap_for::<CompiledEngines, _, _>("host", "tick", |caller, ()| {
            caller.data_mut().0 += 1;
            Ok::<_, HostError>(caller.data().0 as i32)
        });
        let mut instance = engine.instantiate(&engine.compile(&wasm)?, env.erase())?;
        let name = engine.info().name;
        assert_eq!(instance.run()?, 0, "{name}");
        let state = instance.host_state();
        assert_eq!(state.data::<Calls>(), Some(&mut Calls(2)), "{name}");
        let stdout = state.wasi().expect("WASI context").stdout_captured();
        assert_eq!(stdout, b"hi\n", "{name}");
    }
    Ok(())
}

/// A reference to a host function, taken from an instance that is gone, is refused by the
/// next instance with a typed error on every engine; the function itself lives on and serves
/// that next instance.
#[test]
fn host_function_called_after_its_instance_is_gone() -> Result<()> {
    let wasm = wasmux::parse(
        br#"(module
             (import "host" "seven" (func $seven (result i32)))
             (type $answer (func (result i32)))
             (table 1 funcref)
             (elem declare func $seven)
             (func (export "get") (result funcref) ref.func $seven)
             (func (export "call") (param funcref) (result i32)
               i32.const 0 local.get 0 table.set
               i32.const 0 call_indirect (type $answer)))"#,
    )?;
    let seven =
        HostFunc::wrap_for::<CompiledEngines, _, _>("host", "seven", |_, ()| Ok::<_, HostError>(7));
    for engine in engines()? {
        let name = engine.info().name;
        let module = engine.compile(&wasm)?;
        let env = || {
            let mut env = HostEnv::new();
            env.func(seven.clone());
            env
        };
        let mut first = engine.instantiate(&module, env())?;
        let stale = first.call("get", &[])?;
        drop(first);
        let mut second = engine.instantiate(&module, env())?;
        match second.call("call", &stale) {
            Err(wasmux::Error::InvalidArgument(_)) => {}
            other => panic!("{name}: a reference into a dropped instance gave {other:?}"),
        }
        let own = second.call("get", &[])?;
        assert_eq!(second.call("call", &own)?, [Val::I32(7)], "{name}");
    }
    Ok(())
}
