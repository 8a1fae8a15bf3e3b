//! What a Wasm container's guest process runs, decided by the shim from the bundle's OCI
//! runtime spec and handed to the guest process as JSON.

use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};
use wasmux::Backend;

use crate::entrypoint::{self, Entrypoint};

/// The annotation that picks the engine: `wasmtime`, `wasmer` or `wasmi`.
pub const ENGINE_ANNOTATION: &str = "run.wasmux.engine";

/// Everything the guest process needs; no further look at the spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuestPlan {
    /// The container's root filesystem on the host, the guest's `/`.
    pub rootfs: PathBuf,
    /// The module, relative to `rootfs`.
    pub module: PathBuf,
    /// `process.args`, `argv[0]` as the spec gives it.
    pub argv: Vec<String>,
    /// `process.env`, split at the first `=`.
    pub env: Vec<(String, String)>,
    /// Directories given to the guest, the root filesystem first.
    pub preopens: Vec<Preopen>,
    /// The engine's name.
    pub engine: String,
    /// `linux.resources.memory.limit`, the guest's largest linear memory.
    pub max_memory_bytes: Option<u64>,
    /// containerd's stdio FIFOs (or files); `None` for none.
    pub stdio: Stdio,
    /// `process.user`, whom the guest runs as; `None` for root.
    pub user: Option<User>,
}

/// A user other than root to run the guest as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User ID.
    pub uid: u32,
    /// Group ID.
    pub gid: u32,
    /// Supplementary groups.
    pub additional_gids: Vec<u32>,
}

/// A host directory the guest sees at `guest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preopen {
    /// Where it is on the host.
    pub host: PathBuf,
    /// Where the guest sees it.
    pub guest: String,
    /// Whether the guest may only read it.
    pub read_only: bool,
}

/// The paths of the container's standard streams.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Stdio {
    /// Standard input.
    pub stdin: Option<PathBuf>,
    /// Standard output.
    pub stdout: Option<PathBuf>,
    /// Standard error.
    pub stderr: Option<PathBuf>,
}

/// The engine the spec's annotation asks for, else the preferred one compiled in.
pub fn engine(spec: &Spec) -> Result<Backend, String> {
    let requested = spec.annotations().as_ref().and_then(|a| a.get(ENGINE_ANNOTATION));
    let backend = match requested {
        Some(name) => {
            name.parse::<Backend>().map_err(|e| format!("annotation {ENGINE_ANNOTATION}: {e}"))?
        }
        None => wasmux::default_backend().map_err(|e| e.to_string())?,
    };
    if !wasmux::is_compiled_in(backend) {
        return Err(format!(
            "annotation {ENGINE_ANNOTATION}: engine `{backend}` is not compiled into this shim"
        ));
    }
    Ok(backend)
}

/// The program `process.args` names, found in `rootfs`.
pub fn entrypoint(spec: &Spec, rootfs: &Path) -> Result<Entrypoint, String> {
    let process = spec.process().as_ref().ok_or("the bundle's spec has no process to run")?;
    let program = process
        .args()
        .as_ref()
        .and_then(|args| args.first())
        .filter(|program| !program.is_empty())
        .ok_or("no entrypoint: the bundle's process.args is empty (the image sets no Entrypoint or Cmd)")?;
    let env = process.env().clone().unwrap_or_default();
    entrypoint::resolve(rootfs, program, &process.cwd().to_string_lossy(), &env)
}

impl GuestPlan {
    /// The plan for the module `entry` in `rootfs`, on the engine the spec asks for.
    pub fn new(
        spec: &Spec,
        rootfs: &Path,
        entry: &Entrypoint,
        stdio: Stdio,
    ) -> Result<Self, String> {
        let engine = engine(spec)?;
        let process = spec.process().as_ref().ok_or("the bundle's spec has no process to run")?;
        let argv = process.args().clone().unwrap_or_default();
        let env = (process.env().iter().flatten())
            .filter_map(|entry| entry.split_once('='))
            .filter(|(name, _)| !name.is_empty())
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let read_only_root = spec.root().as_ref().and_then(|r| r.readonly()).unwrap_or(false);
        let mut preopens = vec![Preopen {
            host: rootfs.to_path_buf(),
            guest: "/".into(),
            read_only: read_only_root,
        }];
        preopens.extend(bind_mounts(spec));
        // WASI has no working directory: guests built with wasi-libc resolve relative paths
        // against a `.` preopen, so a working directory other than `/` is also offered as `.`.
        let cwd = entrypoint::normalize(process.cwd());
        if !cwd.as_os_str().is_empty() {
            preopens.push(Preopen {
                host: inside(rootfs, &cwd)?,
                guest: ".".into(),
                read_only: read_only_root,
            });
        }
        let max_memory_bytes = (spec.linux().as_ref())
            .and_then(|l| l.resources().as_ref())
            .and_then(|r| r.memory().as_ref())
            .and_then(|m| m.limit())
            .and_then(|limit| u64::try_from(limit).ok())
            .filter(|limit| *limit > 0);
        let user = process.user();
        let additional_gids = user.additional_gids().clone().unwrap_or_default();
        let user = (user.uid() != 0 || user.gid() != 0 || !additional_gids.is_empty())
            .then(|| User { uid: user.uid(), gid: user.gid(), additional_gids });
        Ok(GuestPlan {
            rootfs: rootfs.to_path_buf(),
            module: entry.path.clone(),
            argv,
            env,
            preopens,
            engine: engine.name().to_string(),
            max_memory_bytes,
            stdio,
            user,
        })
    }
}

/// The spec's bind mounts of directories, as preopens at their destinations. Other mounts
/// (`/proc`, `/dev`, tmpfs, ...) mean nothing to a WASI guest, and WASI preopens only
/// directories, so bound files (such as Kubernetes' `/etc/hosts`) are left out.
fn bind_mounts(spec: &Spec) -> Vec<Preopen> {
    let mut preopens = Vec::new();
    for mount in spec.mounts().iter().flatten() {
        let options = mount.options().clone().unwrap_or_default();
        let is_bind = mount.typ().as_deref() == Some("bind")
            || options.iter().any(|o| o == "bind" || o == "rbind");
        let Some(source) = mount.source() else { continue };
        if !is_bind || !source.is_dir() {
            continue;
        }
        preopens.push(Preopen {
            host: source.clone(),
            guest: mount.destination().to_string_lossy().into_owned(),
            read_only: options.iter().any(|o| o == "ro"),
        });
    }
    preopens
}

/// The host path of `relative` inside `root`, refusing one that resolves outside it.
fn inside(root: &Path, relative: &Path) -> Result<PathBuf, String> {
    let shown = || format!("/{}", relative.display());
    let base =
        std::fs::canonicalize(root).map_err(|e| format!("cannot open {}: {e}", root.display()))?;
    let path = std::fs::canonicalize(root.join(relative))
        .map_err(|e| format!("working directory {}: {e}", shown()))?;
    if !path.starts_with(&base) || !path.is_dir() {
        return Err(format!(
            "working directory {} is not a directory inside the root filesystem",
            shown()
        ));
    }
    Ok(path)
}
