//! `wasmux compile`: precompile a module to an artifact.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use wasmux::{Capability, Error, Result};

use crate::module;

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Engine to compile for (default: the preferred one that can precompile).
    #[arg(long)]
    engine: Option<String>,
    /// Compile with fuel metering, for running with `--fuel`.
    #[arg(long)]
    fuel: bool,
    /// Compile with deadline and interrupt checks, for running with `--timeout`.
    #[arg(long)]
    interruptible: bool,
    #[command(flatten)]
    engine_options: crate::engine_options::EngineOptions,
    /// Where to write the artifact.
    #[arg(short, long)]
    output: PathBuf,
    /// The module: `.wasm` or `.wat`.
    module: PathBuf,
}

pub fn compile(args: CompileArgs) -> Result<u8> {
    let bytes = module::read(&args.module)?;
    let backend = match args.engine.as_deref() {
        Some(name) => name.parse()?,
        None => wasmux::engines()
            .into_iter()
            .find(|b| {
                wasmux::engine(*b, &args.engine_options.config())
                    .is_ok_and(|e| e.info().capabilities.has(Capability::Precompile))
            })
            .ok_or_else(|| Error::unsupported("this build", "precompilation on any engine"))?,
    };
    let mut config = args.engine_options.config();
    config.fuel(args.fuel).interruptible(args.interruptible);
    let engine = module::engine(backend, &config)?;
    let artifact = engine.precompile(&wasmux::parse(&bytes)?)?;
    write_atomically(&args.output, &artifact)?;
    Ok(0)
}

/// Writes through a temporary file in the same directory and renames it into place, so a
/// failed or interrupted compile never leaves a half-written artifact.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let context = || format!("cannot write {}", path.display());
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(context(), e))?;
    file.write_all(bytes).map_err(|e| Error::io(context(), e))?;
    file.persist(path).map_err(|e| Error::io(context(), e.error))?;
    Ok(())
}
