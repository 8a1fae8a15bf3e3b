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
use nix::unistd::{Gid, Uid, setgid, setgroups, setuid};
use wasmux::cache::Cache;
use wasmux::wasi::{WasiConfig, WasiCtx, WasiEnvExt};
use wasmux::{Backend, Config, DynInstance, Error, HostEnv};

use crate::plan::{GuestPlan, User};
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
    /// Opens the container's streams, compiles the module (the cache belongs to the shim's
    /// user) and opens the guest's directories as root, then becomes the spec's user: every
    /// file the guest opens is then opened with that user's permissions. The directories are
    /// opened first because their host paths (in containerd's state directory) need not be
    /// reachable by that user, just as runc's `pivot_root` hides them from its containers.
    fn new(plan: &GuestPlan) -> Result<Self, String> {
        let stdin = open_input(plan.stdio.stdin.as_deref())?;
        let stdout = open_output(plan.stdio.stdout.as_deref())?;
        let stderr = open_output(plan.stdio.stderr.as_deref())?;
        let backend: Backend = plan.engine.parse().map_err(|e: Error| e.to_string())?;
        let config = Config::default();
        let engine = wasmux::engine(backend, &config).map_err(|e| e.to_string())?;
        let root = Dir::open_ambient_dir(&plan.rootfs, ambient_authority())
            .map_err(|e| format!("cannot open the root filesystem: {e}"))?;
        let module_name = format!("/{}", plan.module.display());
        let bytes =
            root.read(&plan.module).map_err(|e| format!("cannot read {module_name}: {e}"))?;
        let cannot_run = |e: Error| format!("{module_name} cannot run on {backend}: {e}");
        let module = match Cache::from_env() {
            Some(cache) => {
                cache.load_or_compile(engine.as_ref(), &config, &bytes).map_err(cannot_run)?
            }
            None => {
                engine.compile(&wasmux::parse(&bytes).map_err(cannot_run)?).map_err(cannot_run)?
            }
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
        env.limits_mut().max_memory_bytes = plan.max_memory_bytes;
        env.wasi(WasiCtx::new(&wasi).map_err(|e| e.to_string())?);
        let instance = engine.instantiate(&module, env).map_err(cannot_run)?;
        if let Some(user) = &plan.user {
            become_user(user)?;
        }
        Ok(Prepared { instance, stdin, stdout, stderr })
    }

    /// Makes the container's streams this process's standard streams, which the guest inherits.
    fn take_container_stdio(&mut self) -> Result<(), String> {
        let failed = |e: nix::Error| format!("cannot attach the container's standard streams: {e}");
        nix::unistd::dup2_stdin(&self.stdin).map_err(failed)?;
        nix::unistd::dup2_stdout(&self.stdout).map_err(failed)?;
        nix::unistd::dup2_stderr(&self.stderr).map_err(failed)
    }
}

/// Drops root for `user`: supplementary groups, group, then user (after which the others
/// could no longer be changed).
fn become_user(user: &User) -> Result<(), String> {
    let failed = |e: nix::Error| format!("cannot run as user {}:{}: {e}", user.uid, user.gid);
    let groups: Vec<Gid> = user.additional_gids.iter().map(|gid| Gid::from_raw(*gid)).collect();
    setgroups(&groups).map_err(failed)?;
    setgid(Gid::from_raw(user.gid)).map_err(failed)?;
    setuid(Uid::from_raw(user.uid)).map_err(failed)
}
