//! The guest process: the shim re-executes itself with [`SUBCOMMAND`] for each Wasm container,
//! so that a signal from `ctr task kill` ends the guest alone and a guest that crashes never
//! takes the shim down.
//!
//! Its protocol with the shim, on its own stdin and stdout (the container's streams are
//! opened from the plan): the shim writes the [`GuestPlan`] as one line of JSON (not an
//! argument, which any user could read in `/proc`: the environment may hold secrets); the
//! guest process compiles the module (through the compiled-module cache), instantiates it and
//! writes one line, `ready` or `error: MESSAGE`; at task start the shim writes one byte, and
//! it swaps in the container's streams and runs the guest, exiting with its status. End of
//! input instead of the byte means the task was deleted before it started: it exits without
//! running anything.

use std::fs::File;
use std::io::{BufRead, Read, Write};

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use wasmux::cache::Cache;
use wasmux::wasi::{WasiConfig, WasiCtx, WasiEnvExt};
use wasmux::{Backend, Config, DynInstance, Error, HostEnv, Limits};

use crate::plan::GuestPlan;
use crate::stdio::{open_input, open_output};

/// The hidden first argument that makes the binary a guest process.
pub const SUBCOMMAND: &str = "wasmux-guest";
/// The line that tells the shim the guest is ready to start.
pub const READY: &str = "ready";
/// The prefix of the line that tells the shim why the guest cannot run.
pub const ERROR_PREFIX: &str = "error: ";

/// Exit status of a guest trap: 128 + SIGABRT, as `wasmux run` and wasmtime's CLI use.
const TRAP_STATUS: i32 = 134;
/// Exit status of any other failure of a started guest.
const FAILURE_STATUS: i32 = 1;

/// Runs the guest process; never returns.
pub fn main() -> ! {
    let mut plan = String::new();
    let prepared = std::io::stdin()
        .lock()
        .read_line(&mut plan)
        .map_err(|e| format!("cannot read the guest plan: {e}"))
        .and_then(|_| {
            serde_json::from_str::<GuestPlan>(&plan)
                .map_err(|e| format!("unreadable guest plan: {e}"))
        })
        .and_then(|plan| Prepared::new(&plan));
    let mut report = std::io::stdout();
    let mut prepared = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            let line = message.replace('\n', " ");
            let _ = writeln!(report, "{ERROR_PREFIX}{line}");
            std::process::exit(FAILURE_STATUS);
        }
    };
    if writeln!(report, "{READY}").and_then(|()| report.flush()).is_err() {
        std::process::exit(FAILURE_STATUS);
    }
    let mut start = [0u8; 1];
    if !matches!(std::io::stdin().read(&mut start), Ok(1)) {
        std::process::exit(0);
    }
    if let Err(message) = prepared.take_container_stdio() {
        eprintln!("wasmux: {message}");
        std::process::exit(FAILURE_STATUS);
    }
    let status = match prepared.instance.run() {
        Ok(status) => status,
        Err(Error::Exit(status)) => status,
        Err(error @ Error::Trap(_)) => {
            eprintln!("wasmux: guest trapped: {error}");
            TRAP_STATUS
        }
        Err(error) => {
            eprintln!("wasmux: {error}");
            FAILURE_STATUS
        }
    };
    std::process::exit(status);
}

/// A guest compiled and instantiated, waiting for its start, with the container's streams
/// open.
struct Prepared {
    instance: Box<dyn DynInstance>,
    stdin: File,
    stdout: File,
    stderr: File,
}

impl Prepared {
    fn new(plan: &GuestPlan) -> Result<Self, String> {
        let backend: Backend = plan.engine.parse().map_err(|e: Error| e.to_string())?;
        let config = Config::default();
        let engine = wasmux::engine(backend, &config).map_err(|e| e.to_string())?;
        let root = Dir::open_ambient_dir(&plan.rootfs, ambient_authority())
            .map_err(|e| format!("cannot open the root filesystem: {e}"))?;
        let module_name = format!("/{}", plan.module.display());
        let bytes =
            root.read(&plan.module).map_err(|e| format!("cannot read {module_name}: {e}"))?;
        let cache_failed = |e: Error| format!("{module_name} cannot run on {backend}: {e}");
        let module = match Cache::from_env() {
            Some(cache) => {
                cache.load_or_compile(engine.as_ref(), &config, &bytes).map_err(cache_failed)?
            }
            None => engine
                .compile(&wasmux::parse(&bytes).map_err(cache_failed)?)
                .map_err(cache_failed)?,
        };
        let mut wasi = WasiConfig::new();
        wasi.args(plan.argv.iter().cloned()).inherit_stdio();
        for (name, value) in &plan.env {
            wasi.env(name, value);
        }
        for preopen in &plan.preopens {
            if preopen.read_only {
                wasi.preopen_dir_read_only(&preopen.host, &preopen.guest);
            } else {
                wasi.preopen_dir(&preopen.host, &preopen.guest);
            }
        }
        let mut env = HostEnv::new();
        env.limits(Limits { max_memory_bytes: plan.max_memory_bytes, ..Limits::default() });
        env.wasi(WasiCtx::new(&wasi).map_err(|e| e.to_string())?);
        let instance = engine.instantiate(&module, env).map_err(cache_failed)?;
        Ok(Prepared {
            instance,
            stdin: open_input(plan.stdio.stdin.as_deref())?,
            stdout: open_output(plan.stdio.stdout.as_deref())?,
            stderr: open_output(plan.stdio.stderr.as_deref())?,
        })
    }

    /// Makes the container's streams this process's standard streams, which the guest inherits.
    fn take_container_stdio(&mut self) -> Result<(), String> {
        let failed = |e: nix::Error| format!("cannot attach the container's standard streams: {e}");
        nix::unistd::dup2_stdin(&self.stdin).map_err(failed)?;
        nix::unistd::dup2_stdout(&self.stdout).map_err(failed)?;
        nix::unistd::dup2_stderr(&self.stderr).map_err(failed)
    }
}
