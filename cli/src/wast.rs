//! `wasmux wast`: run WebAssembly spec-test scripts on one engine or all of them.

use std::path::PathBuf;

use clap::Args;
use wasmux::{Backend, Error, Result};
use wasmux_conformance::wast::{config_for, run_wast};

use crate::module;

#[derive(Debug, Args)]
pub struct WastArgs {
    /// Engine to run on, or `all` for every engine compiled in (default: the preferred one).
    #[arg(long)]
    engine: Option<String>,
    #[command(flatten)]
    engine_options: crate::engine_options::EngineOptions,
    /// The scripts.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn wast(args: WastArgs) -> Result<u8> {
    let backends: Vec<Backend> = match args.engine.as_deref() {
        Some("all") => wasmux::engines(),
        Some(name) => vec![name.parse()?],
        None => vec![wasmux::default_backend()?],
    };
    let (mut passed, mut failed, mut unsupported) = (0, 0, 0);
    for backend in backends {
        for file in &args.files {
            let source = std::fs::read_to_string(file)
                .map_err(|e| Error::io(format!("cannot read {}", file.display()), e))?;
            let config = config_for(&args.engine_options.config(), &source)
                .map_err(Error::InvalidArgument)?;
            let engine = module::engine(backend, &config)?;
            let name = format!("{backend}: {}", file.display());
            match run_wast(engine.as_ref(), &name, &source) {
                Ok(report) => {
                    print!("{report}");
                    passed += report.passed();
                    failed += report.failed();
                    unsupported += report.unsupported();
                }
                // A script that does not parse fails on its own; the others still run.
                Err(message) => {
                    let at = message.strip_prefix(&format!("{name}:")).unwrap_or(&message);
                    println!("{name}: does not parse: {at}");
                    failed += 1;
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed, {unsupported} unsupported");
    Ok(match (failed, unsupported) {
        (0, 0) => 0,
        (0, _) => crate::exit::UNSUPPORTED,
        _ => crate::exit::FAILURE,
    })
}
