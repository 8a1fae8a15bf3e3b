//! `wasmux run`: run a WASI command or invoke an export.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use wasmux::wasi::{DirAccess, PreopenDir, WasiConfig, WasiCtx, WasiEnvExt};
use wasmux::{
    Config, DynEngine, DynInstance, DynModule, Error, ExternType, HostEnv, Limits, Result,
};
use wasmux_conformance::differential::Entry;

use crate::args::{self, DirSpec};
use crate::{differential, exit, module};

#[path = "oci_run.rs"]
mod oci_run;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Engine to run on: wasmtime, wasmer or wasmi (default: the artifact's engine, else the
    /// preferred one compiled in); `all` runs on every engine compiled in, each on its own copy
    /// of every `--dir` (times kept; `--read-only-dir`s are shared), deterministically unless
    /// `--deterministic=false`, and fails on the first difference between them.
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
    /// Give the guest a host directory to read but not change. Repeatable.
    #[arg(long = "read-only-dir", value_name = "HOST[::GUEST]", value_parser = args::parse_dir)]
    read_only_dirs: Vec<DirSpec>,
    /// Same program, same inputs, same bytes: virtual clocks from 2000-01-01 advancing 1 µs per
    /// reading (sleeps take no time), `random_get` seeded, and stable file metadata (inode
    /// numbers in order of first sight, access and change times as modification times, the
    /// guest's changes stamped with its clock). On by default with `--engine all`.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    deterministic: Option<bool>,
    /// Set a guest environment variable; NAME alone passes the host's value. Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]", value_parser = args::parse_env)]
    envs: Vec<(String, String)>,
    /// Run a precompiled artifact (from `wasmux compile`): it is native code, loaded as it is,
    /// so pass this only for artifacts you trust.
    #[arg(long)]
    allow_precompiled: bool,
    /// Instantiate MODULE with WASI first and link its exported functions as the imports of
    /// module NAME (as `wasmtime run --preload`). Repeatable.
    #[arg(long = "preload", value_name = "NAME=MODULE", value_parser = crate::preload::parse_preload)]
    preloads: Vec<crate::preload::Preload>,
    #[command(flatten)]
    engine_options: crate::engine_options::EngineOptions,
    #[command(flatten)]
    image: crate::oci::ImageArgs,
    /// The module (`.wasm`, `.wat` or an artifact of `wasmux compile`) or an OCI image (layout
    /// directory, archive, `docker save` tarball, `PATH:TAG`, registry reference), then the
    /// guest's arguments (for an image, they replace its `Cmd`). Everything after the module
    /// goes to the guest.
    #[arg(value_name = "MODULE|IMAGE [ARGS]...", trailing_var_arg = true, required = true)]
    module_and_args: Vec<OsString>,
}

pub fn run(args: RunArgs) -> Result<u8> {
    let (module_path, guest_args) = split_module_and_args(&args.module_and_args)?;
    if let Some(source) = crate::oci::detect(&module_path)? {
        return oci_run::run(&args, &source, &guest_args);
    }
    let file = module::open(&module_path)?;
    let config = engine_config(&args);
    let wasi_args = match &args.invoke {
        Some(_) => vec![program_name(&module_path)],
        None => {
            std::iter::once(program_name(&module_path)).chain(guest_args.iter().cloned()).collect()
        }
    };
    if args.engine.as_deref() == Some("all") {
        if !args.preloads.is_empty() {
            return Err(Error::unsupported("wasmux", "--preload with --engine all"));
        }
        return run_on_all_engines(&args, module::bytes(&file)?, &config, wasi_args, &guest_args);
    }
    let backend = module::choose_backend(args.engine.as_deref(), module::head(&file)?)?;
    let engine = module::engine(backend, &config)?;
    let compiled =
        module::load_cached_file(engine.as_ref(), &config, &file, args.allow_precompiled)?;

    let mut wasi = wasi_config(&args, wasi_args, args.deterministic.unwrap_or(false));
    for dir in &args.dirs {
        wasi.preopen_dir(&dir.host, &dir.guest);
    }
    for dir in &args.read_only_dirs {
        wasi.preopen_dir_read_only(&dir.host, &dir.guest);
    }
    instantiate_and_run(&args, engine.as_ref(), &config, &compiled, &wasi, &guest_args)
}

/// What a module file and an image have in common once compiled: the preloads instantiated in
/// its store and linked, WASI and the limits given, then the entry point run, or `--invoke`'s export after `_initialize`.
fn instantiate_and_run(
    args: &RunArgs,
    engine: &dyn DynEngine,
    config: &Config,
    compiled: &DynModule,
    wasi: &WasiConfig,
    guest_args: &[String],
) -> Result<u8> {
    let mut env = HostEnv::new();
    env.limits(limits(args)).wasi(WasiCtx::new(wasi)?);
    let mut instance = if args.preloads.is_empty() {
        engine.instantiate(compiled, env)?
    } else {
        let mut store = engine.store(env)?;
        let imports = crate::preload::link(engine, config, &args.preloads, store.as_mut())?;
        engine.instantiate_in(store.as_mut(), compiled, &imports)?;
        store
    };
    match &args.invoke {
        Some(func) => match instance.initialize()? {
            Some(status) => exit_status(status),
            None => invoke(instance.as_mut(), func, guest_args),
        },
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

/// The engine configuration a run asks for: its proposals and compiler, fuel with `--fuel`,
/// and interruption (with its cost in throughput) only with `--timeout`.
pub(crate) fn engine_config(args: &RunArgs) -> Config {
    let mut config = args.engine_options.config();
    config.fuel(args.fuel.is_some()).interruptible(args.timeout.is_some());
    config
}

fn limits(args: &RunArgs) -> Limits {
    let mut limits = Limits::new();
    limits.max_memory_bytes = args.max_memory;
    limits.fuel = args.fuel;
    limits.deadline = args.timeout;
    limits
}

fn wasi_config(args: &RunArgs, argv: Vec<String>, deterministic: bool) -> WasiConfig {
    let mut config = WasiConfig::new();
    config.args(argv).inherit_stdio();
    if deterministic {
        config.deterministic();
    }
    for (name, value) in &args.envs {
        config.env(name, value);
    }
    config
}

fn run_on_all_engines(
    args: &RunArgs,
    bytes: &[u8],
    config: &Config,
    argv: Vec<String>,
    guest_args: &[String],
) -> Result<u8> {
    let entry = match &args.invoke {
        Some(func) => {
            let engine = module::engine(wasmux::default_backend()?, config)?;
            let info = engine.module_info(&engine.compile(&wasmux::parse(bytes)?)?)?;
            let ty = match info.export(func).map(|e| &e.ty) {
                Some(ExternType::Func(ty)) => ty.clone(),
                _ => {
                    return Err(Error::Export {
                        name: func.clone(),
                        message: "no exported function of that name".into(),
                    });
                }
            };
            Entry::Invoke(func.clone(), args::parse_invoke_args(func, &ty, guest_args)?)
        }
        None => Entry::Command,
    };
    let writable = args.dirs.iter().map(|d| (d, DirAccess::ReadWrite));
    let read_only = args.read_only_dirs.iter().map(|d| (d, DirAccess::ReadOnly));
    let dirs: Vec<PreopenDir> = writable
        .chain(read_only)
        .map(|(d, access)| PreopenDir { host: d.host.clone(), guest: d.guest.clone(), access })
        .collect();
    differential::run(differential::AllEngines {
        bytes,
        config,
        wasi: wasi_config(args, argv, args.deterministic.unwrap_or(true)),
        dirs: &dirs,
        limits: limits(args),
        entry,
    })
}

fn invoke(instance: &mut dyn DynInstance, func: &str, texts: &[String]) -> Result<u8> {
    let ty = instance.export_func_type(func)?;
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
