//! Limits: fuel that runs out, a deadline that stops an endless loop, an interrupt sent from
//! another thread through the instance's `InterruptHandle`, and a memory limit that refuses
//! growth. Each part first asks the engine's `Capabilities` whether it can, and says so if not.
//!
//! ```sh
//! cargo run -p wasmux --example limits -- wasmer   # or wasmtime, wasmi
//! ```

use std::time::{Duration, Instant};

use wasmux::{
    Backend, Capability, Config, DynEngine, DynModule, Error, HostEnv, Limits, TrapCode, Val,
};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

const PAGE: u64 = 64 * 1024;

fn main() -> BoxResult<()> {
    let backend = match std::env::args().nth(1) {
        Some(name) => name.parse::<Backend>()?,
        None => wasmux::default_backend()?,
    };
    let wasm = wasmux::parse(include_bytes!("limits.wat"))?;
    println!("engine: {backend}");
    fuel(backend, &wasm)?;
    deadline(backend, &wasm)?;
    interrupt(backend, &wasm)?;
    memory_limit(backend, &wasm)?;
    Ok(())
}

/// An engine built with `config` and the module compiled on it, or `None` (having said why)
/// if the engine has not got `capability` in that configuration.
fn engine_with(
    backend: Backend,
    config: &Config,
    capability: Capability,
    wasm: &[u8],
) -> BoxResult<Option<(Box<dyn DynEngine>, DynModule)>> {
    let engine = match wasmux::engine(backend, config) {
        Ok(engine) => engine,
        // An engine refuses options it cannot honour when it is built.
        Err(e @ Error::Unsupported { .. }) => {
            println!("  {backend} cannot do this: {e}");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if !engine.info().capabilities.has(capability) {
        println!("  {backend} lacks the `{capability}` capability: skipped");
        return Ok(None);
    }
    let module = engine.compile(wasm)?;
    Ok(Some((engine, module)))
}

/// Prints the outcome of a call and checks that it trapped with `expected`.
fn expect_trap(what: &str, result: wasmux::Result<Vec<Val>>, expected: TrapCode) -> BoxResult<()> {
    match result {
        Err(Error::Trap(trap)) if trap.code == expected => {
            println!("  {what}: trapped with TrapCode::{:?} ({trap})", trap.code);
            Ok(())
        }
        other => Err(format!("{what}: expected a {expected:?} trap, got {other:?}").into()),
    }
}

/// Fuel: about one unit per executed operator. Needs `Config::fuel` when the engine is built,
/// then `Limits::fuel` per instance.
fn fuel(backend: Backend, wasm: &[u8]) -> BoxResult<()> {
    println!("fuel:");
    let mut config = Config::default();
    config.fuel(true);
    let Some((engine, module)) = engine_with(backend, &config, Capability::Fuel, wasm)? else {
        return Ok(());
    };
    let mut env = HostEnv::new();
    env.limits_mut().fuel(100_000);
    let mut instance = engine.instantiate(&module, env)?;
    let counted = instance.call("count", &[Val::I32(1_000)])?;
    println!(
        "  count(1000) = {}, fuel left: {} of 100000",
        counted[0],
        instance.fuel().unwrap_or_default()
    );
    expect_trap(
        "count(1000000)",
        instance.call("count", &[Val::I32(1_000_000)]),
        TrapCode::OutOfFuel,
    )?;
    // Refill, and the same instance runs again.
    instance.set_fuel(100_000_000)?;
    let counted = instance.call("count", &[Val::I32(1_000_000)])?;
    println!("  after set_fuel(100000000): count(1000000) = {}", counted[0]);
    Ok(())
}

/// A deadline: each call may run this long, then it traps with `TrapCode::Interrupt`. Needs
/// `Config::interruptible`, which is off by default because it costs throughput.
fn deadline(backend: Backend, wasm: &[u8]) -> BoxResult<()> {
    println!("deadline:");
    let Some((engine, module)) =
        engine_with(backend, Config::default().interruptible(true), Capability::Deadline, wasm)?
    else {
        return Ok(());
    };
    let mut env = HostEnv::new();
    env.limits_mut().deadline(Duration::from_millis(100));
    let mut instance = engine.instantiate(&module, env)?;
    let start = Instant::now();
    let result = instance.call("spin", &[]);
    println!("  spin() stopped after {} ms", start.elapsed().as_millis());
    expect_trap("spin() with a 100 ms deadline", result, TrapCode::Interrupt)?;
    // The deadline is per call: the next call has its own 100 ms.
    println!("  quick() afterwards = {}", instance.call("quick", &[])?[0]);
    Ok(())
}

/// An interrupt: any thread holding the instance's `InterruptHandle` can stop its running call.
fn interrupt(backend: Backend, wasm: &[u8]) -> BoxResult<()> {
    println!("interrupt:");
    let Some((engine, module)) =
        engine_with(backend, Config::default().interruptible(true), Capability::Interrupt, wasm)?
    else {
        return Ok(());
    };
    let mut instance = engine.instantiate(&module, HostEnv::new())?;
    let handle = instance.interrupt_handle();
    let interrupter = {
        let handle = handle.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        })
    };
    let result = instance.call("spin", &[]);
    interrupter.join().map_err(|_| "the interrupting thread panicked")?;
    expect_trap("spin() interrupted from another thread", result, TrapCode::Interrupt)?;
    // The request stays in force until it is cleared: the next call stops at once.
    expect_trap("quick() before clear()", instance.call("quick", &[]), TrapCode::Interrupt)?;
    handle.clear();
    println!("  quick() after clear() = {}", instance.call("quick", &[])?[0]);
    Ok(())
}

/// A memory limit: growth past it fails (`memory.grow` returns -1), and a module whose initial
/// memory exceeds it is refused with `Error::ResourceLimit`.
fn memory_limit(backend: Backend, wasm: &[u8]) -> BoxResult<()> {
    println!("memory limit:");
    let Some((engine, module)) =
        engine_with(backend, &Config::default(), Capability::MemoryLimit, wasm)?
    else {
        return Ok(());
    };
    let mut limits = Limits::new();
    limits.max_memory_bytes(2 * PAGE);
    let mut env = HostEnv::new();
    env.limits(limits.clone());
    let mut instance = engine.instantiate(&module, env)?;
    println!(
        "  grow(1) = {} (the old size in pages: allowed)",
        instance.call("grow", &[Val::I32(1)])?[0]
    );
    let refused = instance.call("grow", &[Val::I32(1)])?;
    println!("  grow(1) = {} (refused: 3 pages would pass the 2-page limit)", refused[0]);
    if refused != [Val::I32(-1)] {
        return Err("growth past the limit was not refused".into());
    }

    let big = engine.compile(&wasmux::parse(b"(module (memory 4))")?)?;
    let mut env = HostEnv::new();
    env.limits(limits);
    match engine.instantiate(&big, env) {
        Err(e @ Error::ResourceLimit { .. }) => {
            println!("  instantiating a module with 4 pages: {e}");
            Ok(())
        }
        Err(e) => Err(e.into()),
        Ok(_) => Err("a module over the memory limit was instantiated".into()),
    }
}
