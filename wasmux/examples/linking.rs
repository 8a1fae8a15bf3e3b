//! Linking instances in one store: the host makes a memory and a counter global, a library
//! module imports them and exports a `push` function and its table; an application module
//! imports the library's exports whole (`Imports::instance`), calls `push` and fills the
//! library's table. Both modules, and the host afterwards, see every write.
//!
//! ```sh
//! cargo run -p wasmux --example linking -- wasmtime   # or wasmer, wasmi
//! ```

use wasmux::{Backend, Config, GlobalType, HostEnv, Imports, MemoryType, Val, ValType};

/// Appends bytes to the shared memory at the shared counter; calls what the table holds.
const LIBRARY: &str = r#"(module
    (import "host" "memory" (memory 1))
    (import "host" "length" (global $length (mut i32)))
    (table (export "callbacks") 1 funcref)
    (type $callback (func (result i32)))
    (func (export "push") (param $byte i32)
        (i32.store8 (global.get $length) (local.get $byte))
        (global.set $length (i32.add (global.get $length) (i32.const 1))))
    (func (export "run_callback") (result i32)
        (call_indirect (type $callback) (i32.const 0))))"#;

/// Pushes "hi!" through the library, and registers a callback in the library's table.
const APPLICATION: &str = r#"(module
    (import "lib" "push" (func $push (param i32)))
    (import "lib" "callbacks" (table 1 funcref))
    (func $answer (result i32) i32.const 42)
    (elem (i32.const 0) $answer)
    (func (export "main")
        (call $push (i32.const 104)) (call $push (i32.const 105)) (call $push (i32.const 33))))"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = match std::env::args().nth(1) {
        Some(name) => name.parse::<Backend>()?,
        None => wasmux::default_backend()?,
    };
    let engine = wasmux::engine(backend, &Config::default())?;
    println!("engine: {} {}", engine.info().name, engine.info().version);
    let library = engine.compile(&wasmux::parse(LIBRARY.as_bytes())?)?;
    let application = engine.compile(&wasmux::parse(APPLICATION.as_bytes())?)?;

    // One store for everything: the host's items, the library, the application.
    let mut store = engine.store(HostEnv::new())?;
    let memory_type = MemoryType { min: 1, max: None, memory64: false, shared: false };
    let memory = store.new_memory(&memory_type)?;
    let length =
        store.new_global(&GlobalType { content: ValType::I32, mutable: true }, Val::I32(0))?;
    let mut host = Imports::new();
    host.define("host", "memory", memory).define("host", "length", length);
    let lib = engine.instantiate_in(store.as_mut(), &library, &host)?;

    let mut imports = Imports::new();
    imports.instance("lib", &lib);
    engine.instantiate_in(store.as_mut(), &application, &imports)?;
    store.call("main", &[])?;

    let Val::I32(len) = store.global_get(length)? else { unreachable!("an i32 global") };
    let text = String::from_utf8_lossy(&store.memory_data(memory)?[..len as usize]).into_owned();
    println!("the host reads {len} bytes the application pushed: {text:?}");
    assert_eq!(text, "hi!");

    let table = lib.get("callbacks").ok_or("the library exports its table")?;
    let element = store.table_get(table, 0)?;
    assert!(matches!(element, Val::FuncRef(Some(_))), "the application filled the table");
    let run_callback = lib.get("run_callback").ok_or("the library exports run_callback")?;
    let answer = store.call_extern(run_callback, &[])?;
    println!("the library calls the application's callback: {answer:?}");
    assert_eq!(answer, [Val::I32(42)]);
    Ok(())
}
