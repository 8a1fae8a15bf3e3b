//! `wasmux run`: run a WASI command or invoke an export.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use wasmux::wasi::{WasiConfig, WasiCtx};
use wasmux::{Config, DynInstance, Error, HostEnv, Limits, Result};

use crate::args::{self, DirSpec};
use crate::{exit, module};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Engine to run on: wasmtime, wasmer or wasmi (default: the artifact's engine, else the
    /// preferred one compiled in).
    #[arg(long)]
    engine: Option<String>,
    /// Call this export instead of `_start`; the arguments after the module are its parameters.
    #[arg(long, value_name = "FUNC")]
    invoke: Option<String>,
    /// Stop the guest after this much fuel (about one unit per instruction).
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Stop the guest after this much wall-clock time, e.g. `500ms`, `10s`.
    #[arg(long, value_name = "DURATION", value_parser = args::parse_duration)]
    timeout: Option<Duration>,
    /// Largest linear memory, e.g. `64MiB`.
    #[arg(long, value_name = "SIZE", value_parser = args::parse_size)]
    max_memory: Option<u64>,
    /// Give the guest a host directory, at GUEST (default: the same path). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = args::parse_dir)]
    dirs: Vec<DirSpec>,
    /// Set a guest environment variable; NAME alone passes the host's value. Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]", value_parser = args::parse_env)]
    envs: Vec<(String, String)>,
    /// The module (`.wasm`, `.wat` or an artifact of `wasmux compile`), then the guest's
    /// arguments. Everything after the module goes to the guest.
    #[arg(value_name = "MODULE [ARGS]...", trailing_var_arg = true, required = true)]
    module_and_args: Vec<OsString>,
}

pub fn run(args: RunArgs) -> Result<u8> {
    let (module_path, guest_args) = split_module_and_args(&args.module_and_args)?;
    let bytes = module::read(&module_path)?;
    let backend = module::choose_backend(args.engine.as_deref(), &bytes)?;
    let mut config = Config::default();
    config.fuel(args.fuel.is_some());
    let engine = module::engine(backend, &config)?;
    let compiled = module::load(engine.as_ref(), &bytes)?;

    let mut env = HostEnv::new();
    env.limits(limits(&args));
    let wasi_args = match &args.invoke {
        Some(_) => vec![program_name(&module_path)],
        None => std::iter::once(program_name(&module_path)).chain(guest_args.iter().cloned()).collect(),
    };
    env.wasi(WasiCtx::new(&wasi_config(&args, wasi_args))?);
    let mut instance = engine.instantiate(&compiled, env)?;
    match &args.invoke {
        Some(func) => invoke(instance.as_mut(), func, &guest_args),
        None => exit_status(instance.run()?),
    }
}

fn split_module_and_args(items: &[OsString]) -> Result<(PathBuf, Vec<String>)> {
    let (module, rest) =
        items.split_first().ok_or_else(|| Error::InvalidArgument("no module given".into()))?;
    let guest_args = rest
        .iter()
        .map(|arg| {
            arg.clone().into_string().map_err(|arg| {
                Error::InvalidArgument(format!("argument {arg:?} is not valid UTF-8"))
            })
        })
        .collect::<Result<_>>()?;
    Ok((PathBuf::from(module), guest_args))
}

fn program_name(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn limits(args: &RunArgs) -> Limits {
    Limits {
        max_memory_bytes: args.max_memory,
        fuel: args.fuel,
        deadline: args.timeout,
        ..Limits::default()
    }
}

fn wasi_config(args: &RunArgs, argv: Vec<String>) -> WasiConfig {
    let mut config = WasiConfig::new();
    config.args(argv).inherit_stdio();
    for (name, value) in &args.envs {
        config.env(name, value);
    }
    for dir in &args.dirs {
        config.preopen_dir(&dir.host, &dir.guest);
    }
    config
}

fn invoke(instance: &mut dyn DynInstance, func: &str, texts: &[String]) -> Result<u8> {
    let ty = instance.func_type(func)?;
    let params = args::parse_invoke_args(func, &ty, texts)?;
    for value in instance.call(func, &params)? {
        println!("{value}");
    }
    Ok(0)
}

/// The process exits with the guest's status, which WASI allows from 0 to 255.
fn exit_status(status: i32) -> Result<u8> {
    u8::try_from(status).or_else(|_| {
        eprintln!("wasmux: error: guest exit status {status} is outside 0..=255");
        Ok(exit::FAILURE)
    })
}
