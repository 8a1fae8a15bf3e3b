//! `wasmux`: run, inspect and precompile WebAssembly on any engine compiled in.

mod args;
mod cache;
mod compile;
mod differential;
mod engine_options;
mod engines;
mod exit;
mod inspect;
mod module;
mod oci;
mod preload;
mod run;
mod wast;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run WebAssembly on wasmtime, wasmer or wasmi through one interface.
#[derive(Debug, Parser)]
#[command(name = "wasmux", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    cache: cache::CacheOptions,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a WASI command (`_start`) or invoke an export.
    Run(run::RunArgs),
    /// Print a module's imports and exports with their types.
    Inspect(inspect::InspectArgs),
    /// Precompile a module to an artifact that `run` loads without compiling.
    Compile(compile::CompileArgs),
    /// List the engines compiled in, with kind, version and capabilities.
    Engines(engines::EnginesArgs),
    /// Fetch an OCI image from a registry into the local store.
    Pull(oci::PullArgs),
    /// OCI images: pack a module as an image, push, pull, inspect.
    Oci(oci::OciArgs),
    /// Run WebAssembly spec-test scripts (`.wast`).
    Wast(wast::WastArgs),
    /// Show, locate or empty the cache of compiled modules.
    Cache(cache::CacheArgs),
}

fn main() -> ExitCode {
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            // One line, like every other error: clap's first line without its own prefix.
            let rendered = error.render().to_string();
            let line = rendered.lines().next().unwrap_or_default();
            eprintln!("wasmux: error: {}", line.strip_prefix("error: ").unwrap_or(line));
            return ExitCode::from(exit::USAGE);
        }
    };
    cache::configure(cli.cache);
    // Panics inside an engine are contained by its backend and reported as errors, so the
    // default hook's message would be noise; a panic that escapes is reported below, on one line.
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(|| dispatch(cli.command));
    match outcome {
        Ok(Ok(status)) => ExitCode::from(status),
        Ok(Err(error)) => {
            eprintln!("wasmux: error: {error}");
            ExitCode::from(exit::status(&error))
        }
        Err(payload) => {
            let message = wasmux::backend::panic_message(payload.as_ref());
            eprintln!("wasmux: internal error (a bug in wasmux, please report it): {message}");
            ExitCode::from(exit::INTERNAL)
        }
    }
}

fn dispatch(command: Command) -> wasmux::Result<u8> {
    match command {
        Command::Run(args) => run::run(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Compile(args) => compile::compile(args),
        Command::Engines(args) => engines::list(args),
        Command::Pull(args) => oci::pull(args),
        Command::Oci(args) => oci::oci(args),
        Command::Wast(args) => wast::wast(args),
        Command::Cache(args) => cache::cache(args),
    }
}

/// Logs go to stderr when `WASMUX_LOG` asks for them (e.g. `WASMUX_LOG=debug`).
fn init_tracing() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("WASMUX_LOG") {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
}
