//! `wasmux`: run, inspect and precompile WebAssembly on any engine compiled in.

mod args;
mod compile;
mod engines;
mod exit;
mod inspect;
mod module;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run WebAssembly on wasmtime, wasmer or wasmi through one interface.
#[derive(Debug, Parser)]
#[command(name = "wasmux", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
}

fn main() -> ExitCode {
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Compile(args) => compile::compile(args),
        Command::Engines(args) => engines::list(args),
    };
    match outcome {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprintln!("wasmux: error: {error}");
            ExitCode::from(exit::status(&error))
        }
    }
}

/// Logs go to stderr when `WASMUX_LOG` asks for them (e.g. `WASMUX_LOG=debug`).
fn init_tracing() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("WASMUX_LOG") {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
}
