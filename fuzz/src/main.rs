//! Long-running differential fuzzing: `cargo run -p wasmux-fuzz --release -- --seconds 600`.
//! Each disagreeing module is saved as `fuzz/failures/seed-N.wasm` to reproduce.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;

/// Runs seeds until the time is up and reports every disagreement between engines.
#[derive(Debug, Parser)]
struct Args {
    /// How long to run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1_000_000)]
    start: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let engines = match wasmux_fuzz::engines() {
        Ok(engines) => engines,
        Err(error) => {
            eprintln!("wasmux-fuzz: {error}");
            return ExitCode::FAILURE;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let (mut run, mut disagreements) = (0u64, 0u64);
    let mut seed = args.start;
    while Instant::now() < deadline {
        match wasmux_fuzz::check_seed(&engines, seed) {
            Ok(true) => run += 1,
            Ok(false) => {}
            Err(what) => {
                run += 1;
                disagreements += 1;
                eprintln!("{what}");
                if let Ok(wasm) = wasmux_fuzz::module_from_seed(seed) {
                    let _ = std::fs::create_dir_all("fuzz/failures");
                    let _ = std::fs::write(format!("fuzz/failures/seed-{seed}.wasm"), wasm);
                }
            }
        }
        seed += 1;
    }
    println!("{run} modules run on {} engines, {disagreements} disagreements", engines.len());
    if disagreements == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
