//! Host functions with state: the embedder keeps its own data, typed, in the instance's host
//! state (`HostEnv<Counters>`); closures offered with `env.wrap_for::<CompiledEngines, _, _>`
//! (each engine's own typed host function, whichever engine runs them) read and change it
//! through `caller.data_mut()`, one reads guest memory through the `Caller`, one fails with the
//! embedder's own error (through `?`), which the embedder gets back from the call; afterwards
//! it reads its data back from the instance.
//!
//! ```sh
//! cargo run -p wasmux --example host_functions -- wasmtime   # or wasmer, wasmi
//! ```

use wasmux::{Backend, CompiledEngines, Config, Error, HostEnv, HostError};

/// The embedder's data, shared by the host functions of one instance.
#[derive(Debug, Default)]
struct Counters {
    next_id: i32,
    total: i64,
    printed: Vec<String>,
}

/// The embedder's own error type, raised by a host function.
#[derive(Debug)]
struct Negative(i32);

impl std::fmt::Display for Negative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is negative", self.0)
    }
}

impl std::error::Error for Negative {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = match std::env::args().nth(1) {
        Some(name) => name.parse::<Backend>()?,
        None => wasmux::default_backend()?,
    };
    let engine = wasmux::engine(backend, &Config::default())?;
    println!("engine: {} {}", engine.info().name, engine.info().version);
    let module = engine.compile(&wasmux::parse(include_bytes!("host_functions.wat"))?)?;

    // The state starts here, typed; host functions reach it through their `Caller<'_, Counters>`.
    let mut env = HostEnv::with_data(Counters { next_id: 100, ..Counters::default() });
    // No parameters, one result: the closure takes `()` and returns an `i32`.
    env.wrap_for::<CompiledEngines, _, _>("host", "next_id", |caller, ()| {
        let counters = caller.data_mut();
        counters.next_id += 1;
        Ok(counters.next_id)
    });
    env.wrap_for::<CompiledEngines, _, _>("host", "add_to_total", |caller, amount: i64| {
        caller.data_mut().total += amount;
        Ok(())
    });
    // Two parameters arrive as a tuple; memory and data are borrowed together.
    env.wrap_for::<CompiledEngines, _, _>("host", "print", |caller, (ptr, len): (i32, i32)| {
        let (memory, counters) = caller.memory_and_data();
        let memory = memory.ok_or_else(|| HostError::trap("the guest exports no memory"))?;
        let bytes = memory
            .get(ptr as u32 as usize..)
            .and_then(|tail| tail.get(..len as u32 as usize))
            .ok_or_else(|| HostError::trap("print: text outside guest memory"))?;
        let text = String::from_utf8_lossy(bytes).into_owned();
        println!("  guest says: {text}");
        counters.printed.push(text);
        Ok(())
    });
    // `?` works on any error inside a host function; the embedder gets it back from the call.
    env.wrap_for::<CompiledEngines, _, _>("host", "check", |_caller, n: i32| {
        if n < 0 {
            Err(Negative(n))?;
        }
        Ok(())
    });

    // An engine chosen at run time takes the environment with its data type erased; linking
    // still checks that every function above was made for a `Counters`.
    let mut instance = engine.instantiate(&module, env.erase())?;
    let last_id = instance.call("run", &[])?;
    println!("run() returned the last id: {}", last_id[0]);

    // The state lives in the instance; read it back after the calls.
    let counters =
        instance.host_state().data::<Counters>().ok_or("the instance lost its Counters")?;
    println!(
        "host state after run: next_id = {}, total = {}, printed {} message(s)",
        counters.next_id,
        counters.total,
        counters.printed.len()
    );
    if counters.total != 101 + 102 + 103 {
        return Err(format!("expected a total of 306, got {}", counters.total).into());
    }

    instance.call("check", &[wasmux::Val::I32(7)])?;
    println!("check(7) passed");
    // A host function's error stops the guest with a trap of code `HostError`.
    match instance.call("check", &[wasmux::Val::I32(-1)]) {
        Err(error @ Error::Trap(_)) => {
            println!("check(-1) trapped: {error}");
            let Some(Negative(n)) = error.host_error::<Negative>() else {
                return Err(format!("the host's own error was lost: {error:?}").into());
            };
            println!("the embedder's error came back: Negative({n})");
        }
        other => return Err(format!("check(-1) should trap, got {other:?}").into()),
    }
    Ok(())
}
