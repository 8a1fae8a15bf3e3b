//! Hello, wasmux: compile a module, instantiate it and call its exports, first with [`Val`]s
//! on an engine chosen at run time, then through a typed function on the engine's own type.
//!
//! Run it on any engine (the default is the preferred one compiled in):
//!
//! ```sh
//! cargo run -p wasmux --example hello -- wasmi   # or wasmtime, wasmer
//! ```

use wasmux::{Backend, Config, Engine, HostEnv, Instance, Val};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = match std::env::args().nth(1) {
        Some(name) => name.parse::<Backend>()?,
        None => wasmux::default_backend()?,
    };
    let config = Config::default();
    // Text or binary: `parse` turns WebAssembly text into the binary form engines compile.
    let wasm = wasmux::parse(include_bytes!("hello.wat"))?;

    // 1. Run-time choice: `wasmux::engine` gives a `Box<dyn DynEngine>` for any backend.
    let engine = wasmux::engine(backend, &config)?;
    let info = engine.info();
    println!("engine: {} {} ({})", info.name, info.version, info.kind);
    let module = engine.compile(&wasm)?;
    let mut instance = engine.instantiate(&module, HostEnv::new())?;
    println!("add has type {}", instance.export_func_type("add")?);
    let sum = instance.call("add", &[Val::I32(2), Val::I32(40)])?;
    println!("add(2, 40) with Vals = {}", sum[0]);
    let hypot = instance.call("hypot", &[Val::from(3.0f64), Val::from(4.0f64)])?;
    println!("hypot(3, 4) with Vals = {}", hypot[0]);

    // 2. Typed functions need the engine's own type (static dispatch): pick it by backend.
    #[allow(unreachable_patterns)] // the last arm is only reachable with some engines left out
    match backend {
        #[cfg(feature = "wasmtime")]
        Backend::Wasmtime => typed_calls(&wasmux::backends::WasmtimeEngine::new(&config)?, &wasm),
        #[cfg(any(
            feature = "wasmer",
            feature = "wasmer-singlepass",
            feature = "wasmer-llvm",
            feature = "wasmer-headless"
        ))]
        Backend::Wasmer => typed_calls(&wasmux::backends::WasmerEngine::new(&config)?, &wasm),
        #[cfg(feature = "wasmi")]
        Backend::Wasmi => typed_calls(&wasmux::backends::WasmiEngine::new(&config)?, &wasm),
        other => {
            println!("{other} is not compiled into this build: no typed calls");
            Ok(())
        }
    }
}

/// Calls the exports through typed functions: the signature is checked once, when the
/// `TypedFunc` is made, and each call passes plain Rust values.
#[allow(dead_code)] // unused only in a build without any engine
fn typed_calls<E: Engine>(engine: &E, wasm: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let module = engine.compile(wasm)?;
    let mut instance = engine.instantiate(&module, HostEnv::new())?;
    let add = instance.typed::<(i32, i32), i32>("add")?;
    let total = (1..=10).try_fold(0, |total, n| add.call(&mut instance, (total, n)))?;
    println!("1 + 2 + ... + 10 through typed add = {total}");
    let hypot = instance.typed::<(f64, f64), f64>("hypot")?;
    println!("typed hypot(5, 12) = {}", hypot.call(&mut instance, (5.0, 12.0))?);
    // A wrong signature is refused when the typed function is made, not at each call.
    match instance.typed::<i64, i64>("add") {
        Err(e) => println!("typed::<i64, i64>(\"add\") refused: {e}"),
        Ok(_) => return Err("add was accepted as (i64) -> i64".into()),
    }
    Ok(())
}
