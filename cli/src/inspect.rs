//! `wasmux inspect`: a module's imports and exports.

use std::path::PathBuf;

use clap::Args;
use wasmux::{Error, Result};

use crate::module;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Engine that compiles the module (default: the preferred one compiled in).
    #[arg(long)]
    engine: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Inspect a precompiled artifact: loading it maps its native code, so pass this only for
    /// artifacts you trust.
    #[arg(long)]
    allow_precompiled: bool,
    #[command(flatten)]
    engine_options: crate::engine_options::EngineOptions,
    /// The module: `.wasm`, `.wat` or a precompiled artifact.
    module: PathBuf,
}

pub fn inspect(args: InspectArgs) -> Result<u8> {
    let bytes = module::read(&args.module)?;
    let backend = module::choose_backend(args.engine.as_deref(), &bytes)?;
    let engine = module::engine(backend, &args.engine_options.config())?;
    let compiled = module::load(engine.as_ref(), &bytes, &args.module, args.allow_precompiled)?;
    let info = engine.module_info(&compiled)?;
    if args.json {
        let json = serde_json::to_string_pretty(&info)
            .map_err(|e| Error::InvalidArgument(format!("cannot encode JSON: {e}")))?;
        println!("{json}");
        return Ok(0);
    }
    println!("imports:");
    for import in &info.imports {
        println!("  {}::{}: {}", import.module, import.name, import.ty);
    }
    println!("exports:");
    for export in &info.exports {
        println!("  {}: {}", export.name, export.ty);
    }
    Ok(0)
}
