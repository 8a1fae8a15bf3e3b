//! `wasmux run --engine all`: the same run on every engine compiled in, compared.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use wasmux::wasi::{DirAccess, PreopenDir, WasiConfig};
use wasmux::{Config, Error, Result};
use wasmux_conformance::differential::{
    Entry, Observation, Run, compare_module, copy_tree, observe,
};

use crate::module;

/// What a differential run needs from the command line.
pub struct AllEngines<'a> {
    pub bytes: &'a [u8],
    pub config: &'a Config,
    /// WASI settings without preopens: each engine gets `dirs` (writable ones copied).
    pub wasi: WasiConfig,
    pub dirs: &'a [PreopenDir],
    pub limits: wasmux::Limits,
    pub entry: Entry,
}

/// Runs on every engine and fails with the first difference; when all agree, prints what they
/// printed. Read-only directories are shared; each engine gets its own copy of every writable
/// one (the originals are left alone), all copied before any engine runs and with their times,
/// so that every engine finds the same files.
pub fn run(all: AllEngines<'_>) -> Result<u8> {
    if wasmux::artifact_engine(all.bytes).is_some() {
        return Err(Error::InvalidArgument(
            "an artifact runs only on the engine that made it; pass the module".into(),
        ));
    }
    let wasm = wasmux::parse(all.bytes)?;
    let mut stdin = Vec::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin().read_to_end(&mut stdin).map_err(|e| Error::io("cannot read stdin", e))?;
    }
    let scratch =
        tempfile::tempdir().map_err(|e| Error::io("cannot create a scratch directory", e))?;
    let backends = wasmux::engines();
    let mut preopens: Vec<Vec<PreopenDir>> = Vec::new();
    for backend in &backends {
        let mut dirs = Vec::new();
        for (index, dir) in all.dirs.iter().enumerate() {
            let host = match dir.access {
                DirAccess::ReadOnly => dir.host.clone(),
                DirAccess::ReadWrite => {
                    let copy = scratch.path().join(backend.name()).join(index.to_string());
                    copy_tree(&dir.host, &copy)
                        .map_err(|e| Error::io(format!("cannot copy {}", dir.host.display()), e))?;
                    copy
                }
            };
            dirs.push(PreopenDir { host, ..dir.clone() });
        }
        preopens.push(dirs);
    }
    let mut observations: Vec<(String, Observation)> = Vec::new();
    for (backend, dirs) in backends.iter().zip(preopens) {
        let engine = module::engine(*backend, all.config)?;
        let compiled = engine.compile(&wasm)?;
        let mut wasi = all.wasi.clone();
        wasi.stdin_bytes(stdin.clone());
        let trees: Vec<PathBuf> = dirs
            .iter()
            .filter(|dir| dir.access == DirAccess::ReadWrite)
            .map(|dir| dir.host.clone())
            .collect();
        wasi.preopens.extend(dirs);
        let run = Run { wasi, limits: all.limits.clone(), entry: all.entry.clone(), trees };
        let observation =
            observe(engine.as_ref(), &compiled, &run).map_err(Error::InvalidArgument)?;
        observations.push((backend.name().to_string(), observation));
    }
    let Some((_, first)) = observations.first() else {
        return Err(Error::Config("no engine is compiled into this build".into()));
    };
    let _ = std::io::stdout().write_all(&first.stdout);
    let _ = std::io::stderr().write_all(&first.stderr);
    for result in &first.results {
        println!("{result}");
    }
    if let Some(difference) = compare_module(&wasm, &observations) {
        match difference.allowed {
            Some(_) => eprintln!(
                "wasmux: error: engines disagree where the specification lets them: {difference}"
            ),
            None => eprintln!("wasmux: error: engines disagree: {difference}"),
        }
        return Ok(crate::exit::FAILURE);
    }
    let names: Vec<&str> = observations.iter().map(|(name, _)| name.as_str()).collect();
    eprintln!("wasmux: {} engines agree ({})", names.len(), names.join(", "));
    match &first.ending {
        Ok(status) => Ok(u8::try_from(*status).unwrap_or(crate::exit::FAILURE)),
        Err(ending) if ending.starts_with("trap") => {
            eprintln!("wasmux: error: {ending}");
            Ok(crate::exit::TRAP)
        }
        Err(ending) => Err(Error::InvalidArgument(ending.clone())),
    }
}
