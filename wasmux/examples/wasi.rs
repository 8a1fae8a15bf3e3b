//! WASI: run a WASI command with its stdout captured in memory and a host directory (made by
//! this example in a temporary directory) preopened for it, then print its exit status and
//! what it wrote. A second run, through `wasmux::run_command`, gives the guest no directory:
//! it cannot reach the file and exits with status 1.
//!
//! ```sh
//! cargo run -p wasmux --example wasi -- wasmi   # or wasmtime, wasmer
//! ```

#[cfg(not(feature = "wasi"))]
fn main() {
    println!("this example needs wasmux's `wasi` feature (on by default)");
}

#[cfg(feature = "wasi")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use wasmux::wasi::{WasiConfig, WasiCtx, WasiEnvExt};
    use wasmux::{Backend, Config, HostEnv, Limits};

    let backend = match std::env::args().nth(1) {
        Some(name) => name.parse::<Backend>()?,
        None => wasmux::default_backend()?,
    };
    let engine = wasmux::engine(backend, &Config::default())?;
    println!("engine: {} {}", engine.info().name, engine.info().version);
    let wasm = wasmux::parse(include_bytes!("wasi.wat"))?;
    let module = engine.compile(&wasm)?;

    // The host directory the guest will see: <tmp>/data/input.txt. Deleted on drop.
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("data"))?;
    std::fs::write(dir.path().join("data/input.txt"), "line one\nline two\n")?;

    // What the guest gets: its arguments, the directory as its first preopen (descriptor 3,
    // read-only, named "." inside the guest) and a stdout captured in memory. Nothing else.
    let mut config = WasiConfig::new();
    config.arg("copy").preopen_dir_read_only(dir.path(), ".").capture_stdout();
    let ctx = WasiCtx::new(&config)?;
    // A handle on the captured stdout, still readable once the context moves into the instance.
    let stdout = ctx.stdout_buffer().ok_or("stdout is not captured")?;
    let mut env = HostEnv::new();
    env.wasi(ctx);
    let mut instance = engine.instantiate(&module, env)?;
    // `run` calls `_start`: 0 when it returns, n when the guest calls `proc_exit(n)`.
    let status = instance.run()?;
    println!("exit status: {status}");
    println!("captured stdout ({} bytes):", stdout.len());
    print!("{}", indent(&stdout.to_string_lossy()));
    if status != 0 {
        return Err(format!("the command failed with status {status}").into());
    }

    // The same in one call, without the directory: the guest sees no descriptor 3.
    let mut sandboxed = WasiConfig::new();
    sandboxed.arg("copy");
    let output = wasmux::run_command(engine.as_ref(), &wasm, &sandboxed, &Limits::new())?;
    let status = output.status?;
    println!("without a preopened directory: exit status {status}, stdout:");
    print!("{}", indent(&String::from_utf8_lossy(&output.stdout)));
    if status != 1 {
        return Err(format!("expected exit status 1 without the directory, got {status}").into());
    }
    Ok(())
}

/// `text` with each line indented, for telling the guest's output apart.
#[cfg(feature = "wasi")]
fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  | {line}\n")).collect()
}
