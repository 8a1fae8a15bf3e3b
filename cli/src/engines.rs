//! `wasmux engines`: what this build can run on.

use clap::Args;
use wasmux::{Config, EngineInfo, Error, Result};

#[derive(Debug, Args)]
pub struct EnginesArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn list(args: EnginesArgs) -> Result<u8> {
    let infos: Vec<EngineInfo> = wasmux::engines()
        .into_iter()
        .map(|backend| wasmux::engine(backend, &Config::default()).map(|e| e.info().clone()))
        .collect::<Result<_>>()?;
    if args.json {
        let json = serde_json::to_string_pretty(&infos)
            .map_err(|e| Error::InvalidArgument(format!("cannot encode JSON: {e}")))?;
        println!("{json}");
        return Ok(0);
    }
    if infos.is_empty() {
        println!("no engine is compiled into this build");
    }
    for info in infos {
        let compiler = info.compiler.map(|c| format!(", {c}")).unwrap_or_default();
        println!("{} {} ({}{compiler})", info.name, info.version, info.kind);
        println!("  capabilities: {}", info.capabilities);
    }
    Ok(0)
}
