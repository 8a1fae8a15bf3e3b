//! [`Image`]: an image opened for running — its manifest and configuration, its root
//! filesystem unpacked, and the WASI command it describes.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use oci_spec::image::{Digest, ImageConfiguration, ImageManifest};
use tempfile::TempDir;
use wasmux::wasi::{PreopenDir, WasiConfig, WasiCtx, WasiEnvExt};
use wasmux::{Backend, Config, HostEnv, Limits};

use crate::error::{Error, Result};
use crate::extract;
use crate::layout::Layout;
use crate::registry::{self, RegistryOptions};
use crate::resolve::{self, LayerKind, Resolved};
use crate::source::{Selector, Source};
use crate::store::Store;

/// The search path for an entrypoint without a `/`, when the image sets no `PATH` (Docker's).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// When to fetch a registry image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Only when the store does not have the reference yet.
    #[default]
    Missing,
    /// Every time: look the reference up again (blobs already stored are not downloaded).
    Always,
    /// Never: use the store or fail.
    Never,
}

impl FromStr for PullPolicy {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        match text {
            "missing" => Ok(PullPolicy::Missing),
            "always" => Ok(PullPolicy::Always),
            "never" => Ok(PullPolicy::Never),
            other => Err(format!("`{other}` is not a pull policy (missing, always, never)")),
        }
    }
}

/// How [`Image::open`] finds and keeps images.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Where registry images are stored and root filesystems unpacked. Without a store, a
    /// local image is unpacked into a temporary directory that lives as long as the
    /// [`Image`], and registry images cannot be opened.
    pub store: Option<Store>,
    /// When to fetch registry images.
    pub pull: PullPolicy,
    /// How to reach registries.
    pub registry: RegistryOptions,
}

impl Default for OpenOptions {
    /// The store from [`Store::from_env`] (if any), pulling missing images anonymously.
    fn default() -> Self {
        OpenOptions {
            store: Store::from_env().ok(),
            pull: PullPolicy::Missing,
            registry: RegistryOptions::default(),
        }
    }
}

/// What to change when running an image, as `docker run` would.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Arguments that replace the image's `Cmd` (`None` keeps it).
    pub args: Option<Vec<String>>,
    /// Environment variables set after (and so over) the image's `Env`.
    pub env: Vec<(String, String)>,
    /// More host directories for the guest, after the root filesystem.
    pub dirs: Vec<PreopenDir>,
    /// Give the guest a writable copy of the root filesystem, unpacked into this directory
    /// (which must not exist or be empty). Without it, the root is read-only.
    pub writable_rootfs: Option<PathBuf>,
}

/// A WASI command ready to run: the module's bytes and the guest's configuration.
#[derive(Clone, Debug)]
pub struct Command {
    /// The WebAssembly module (binary, checked to be a core module).
    pub module: Vec<u8>,
    /// Arguments, environment and directories; stdio is left to the caller (none by default).
    pub wasi: WasiConfig,
}

impl Command {
    /// Compiles and runs the command on `backend`; returns the guest's exit status.
    ///
    /// # Errors
    /// [`Error::Wasm`] for anything the engine refuses (compile, link, trap, limit).
    pub fn run(&self, backend: Backend, config: &Config, limits: Limits) -> Result<i32> {
        let engine = wasmux::engine(backend, config)?;
        let module = engine.compile(&self.module)?;
        let mut env = HostEnv::new();
        env.limits(limits);
        env.wasi(WasiCtx::new(&self.wasi)?);
        let mut instance = engine.instantiate(&module, env)?;
        Ok(instance.run()?)
    }
}

/// An image opened for running: resolved to its WASI/Wasm manifest, every blob checked, the
/// root filesystem unpacked.
///
/// ```no_run
/// use wasmux_oci::{Image, OpenOptions, RunOptions, Source};
///
/// let image = Image::open(&Source::parse("hello-layout:v1")?, &OpenOptions::default())?;
/// let mut command = image.command(&RunOptions::default())?;
/// command.wasi.inherit_stdio();
/// let status = command.run(wasmux::default_backend()?, &wasmux::Config::default(), Default::default())?;
/// # Ok::<(), wasmux_oci::Error>(())
/// ```
#[derive(Debug)]
pub struct Image {
    name: String,
    resolved: Resolved,
    rootfs: PathBuf,
    wasm_layer: Option<usize>,
    /// Keeps an unpacked archive and a temporary root filesystem alive.
    _temp: Vec<TempDir>,
}

impl Image {
    /// Opens the image `source` names: pulls it if it is a registry image the store does not
    /// have (per [`OpenOptions::pull`]), picks the WASI/Wasm manifest, checks every blob it
    /// uses and unpacks the root filesystem (once per image when there is a store).
    ///
    /// # Errors
    /// Missing blobs, digest or size mismatches, unknown media types, no WASI/Wasm platform,
    /// unsafe layer entries, registry failures — each as one [`Error`] naming the culprit.
    pub fn open(source: &Source, options: &OpenOptions) -> Result<Image> {
        let name = source.to_string();
        let _span = tracing::debug_span!("image.open", image = %name).entered();
        let mut temps = Vec::new();
        let resolved = match source {
            Source::Layout { path, selector } => {
                resolve_dir(path, selector, &path.display().to_string())?
            }
            Source::Archive { path, selector } => {
                let temp = temp_dir(options.store.as_ref(), ".archive-")?;
                let root = open_dir(temp.path())?;
                let mut file = File::open(path)
                    .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
                extract::unpack_archive(&root, &mut file, &path.display().to_string())?;
                let resolved = resolve_dir(temp.path(), selector, &path.display().to_string())?;
                temps.push(temp);
                resolved
            }
            Source::Registry(reference) => {
                let store = options.store.as_ref().ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "{name}: registry images need a store (set {})",
                        crate::STORE_ENV
                    ))
                })?;
                let stored = reference.whole();
                let present = store.lookup(&stored)?.is_some();
                let mut pulled = false;
                match (options.pull, present) {
                    (PullPolicy::Always, _) | (PullPolicy::Missing, false) => {
                        registry::pull(reference, store, &options.registry)?;
                        pulled = true;
                    }
                    (PullPolicy::Never, false) => {
                        return Err(Error::Reference(format!(
                            "{stored} is not in the image store {} and pulling is off",
                            store.root().display()
                        )));
                    }
                    _ => {}
                }
                let layout = store.layout()?;
                let selector = Selector::Tag(stored);
                match resolve::resolve_layout(&layout, &selector, &name) {
                    // The store lost blobs of an image it names: fetch them again.
                    Ok(r) if !pulled && options.pull != PullPolicy::Never && !complete(&r) => {
                        registry::pull(reference, store, &options.registry)?;
                        resolve::resolve_layout(&layout, &selector, &name)?
                    }
                    Err(Error::MissingBlob { .. })
                        if !pulled && options.pull != PullPolicy::Never =>
                    {
                        registry::pull(reference, store, &options.registry)?;
                        resolve::resolve_layout(&layout, &selector, &name)?
                    }
                    other => other?,
                }
            }
        };
        let wasm_layers: Vec<usize> = resolved
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == LayerKind::Wasm)
            .map(|(i, _)| i)
            .collect();
        let wasm_layer = match wasm_layers.as_slice() {
            [] => None,
            [one] => Some(*one),
            _ => {
                return Err(Error::invalid(
                    format!("image {name}"),
                    format!(
                        "it has {} Wasm layers; wasmux runs images with one",
                        wasm_layers.len()
                    ),
                ));
            }
        };
        let rootfs = match &options.store {
            Some(store) => cached_rootfs(store, &resolved)?,
            None => {
                let temp = temp_dir(None, ".rootfs-")?;
                build_rootfs(&resolved, temp.path())?;
                let path = temp.path().to_path_buf();
                temps.push(temp);
                path
            }
        };
        tracing::debug!(rootfs = %rootfs.display(), layers = resolved.layers.len(), "image opened");
        Ok(Image { name, resolved, rootfs, wasm_layer, _temp: temps })
    }

    /// What the image was opened from, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The digest of the image manifest (`None` for a legacy `docker save` image).
    pub fn manifest_digest(&self) -> Option<&Digest> {
        self.resolved.manifest_digest.as_ref()
    }

    /// The image manifest (`None` for a legacy `docker save` image).
    pub fn manifest(&self) -> Option<&ImageManifest> {
        self.resolved.manifest.as_ref()
    }

    /// The image configuration (`None` for a Wasm artifact without one).
    pub fn config(&self) -> Option<&ImageConfiguration> {
        self.resolved.config.as_ref()
    }

    /// The unpacked root filesystem (shared by runs: do not write to it).
    pub fn rootfs(&self) -> &Path {
        &self.rootfs
    }

    /// The configured `Entrypoint`.
    pub fn entrypoint(&self) -> Vec<String> {
        self.run_config().and_then(|c| c.entrypoint().clone()).unwrap_or_default()
    }

    /// The configured `Cmd`.
    pub fn cmd(&self) -> Vec<String> {
        self.run_config().and_then(|c| c.cmd().clone()).unwrap_or_default()
    }

    /// The configured `Env`, as `NAME=VALUE` strings.
    pub fn env(&self) -> Vec<String> {
        self.run_config().and_then(|c| c.env().clone()).unwrap_or_default()
    }

    /// The configured `WorkingDir` (`/` when unset).
    pub fn working_dir(&self) -> String {
        self.run_config()
            .and_then(|c| c.working_dir().clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/".to_string())
    }

    fn run_config(&self) -> Option<&oci_spec::image::Config> {
        self.config()?.config().as_ref()
    }

    /// The guest's `argv`, as a container runtime builds it: `Entrypoint`, then `args` (or
    /// `Cmd` when `args` is `None`). An image whose module is a Wasm layer and that has no
    /// entrypoint gets the layer's title (or `module.wasm`) as program name.
    ///
    /// # Errors
    /// [`Error::NoEntrypoint`] when the result would be empty.
    pub fn argv(&self, args: Option<&[String]>) -> Result<Vec<String>> {
        let entrypoint = self.entrypoint();
        let rest = args.map_or_else(|| self.cmd(), <[String]>::to_vec);
        if entrypoint.is_empty()
            && let Some(i) = self.wasm_layer
        {
            let title =
                self.resolved.layers[i].title.clone().unwrap_or_else(|| "module.wasm".into());
            return Ok(std::iter::once(title).chain(rest).collect());
        }
        let argv: Vec<String> = entrypoint.into_iter().chain(rest).collect();
        if argv.is_empty() {
            return Err(Error::NoEntrypoint(self.name.clone()));
        }
        Ok(argv)
    }

    /// The module to run for `program` (`argv[0]`): the Wasm layer if the image has one, else
    /// the file `program` names in the root filesystem (absolute, relative to `WorkingDir`,
    /// or found on the image's `PATH`). Checked to be a WebAssembly core module.
    ///
    /// # Errors
    /// [`Error::NotWasm`] when the file is missing or not a module.
    pub fn module(&self, program: &str) -> Result<Vec<u8>> {
        let bytes = match self.wasm_layer {
            Some(i) => {
                let layer = &self.resolved.layers[i];
                let mut bytes = Vec::new();
                layer
                    .open()?
                    .read_to_end(&mut bytes)
                    .map_err(|e| Error::io(format!("reading {}", layer.name), e))?;
                bytes
            }
            None => self.read_program(program)?,
        };
        check_module(&bytes, program)?;
        Ok(bytes)
    }

    /// The WASI command this image runs, with `options` applied.
    ///
    /// The root filesystem is the guest's `/` (descriptor 3), read-only unless
    /// [`RunOptions::writable_rootfs`] asks for a copy; [`RunOptions::dirs`] follow; a
    /// `WorkingDir` other than `/` is also offered as `.` (for guests that resolve relative
    /// paths against a `.` preopen). The environment is the image's `Env`, then
    /// [`RunOptions::env`].
    ///
    /// # Errors
    /// As [`Image::argv`] and [`Image::module`]; for a writable root, when the directory is
    /// not empty or cannot be written.
    pub fn command(&self, options: &RunOptions) -> Result<Command> {
        let argv = self.argv(options.args.as_deref())?;
        let module = self.module(&argv[0])?;
        let mut wasi = WasiConfig::new();
        wasi.args(argv);
        for entry in self.env() {
            match entry.split_once('=') {
                Some((name, value)) if !name.is_empty() => {
                    wasi.env(name, value);
                }
                _ => {}
            }
        }
        for (name, value) in &options.env {
            wasi.env(name, value);
        }
        let (root, writable) = match &options.writable_rootfs {
            Some(dir) => {
                self.unpack_rootfs(dir)?;
                (dir.clone(), true)
            }
            None => (self.rootfs.clone(), false),
        };
        if writable {
            wasi.preopen_dir(&root, "/");
        } else {
            wasi.preopen_dir_read_only(&root, "/");
        }
        wasi.preopens.extend(options.dirs.iter().cloned());
        let workdir = normalize(Path::new(&self.working_dir()));
        if !workdir.as_os_str().is_empty() {
            let host = inside(&root, &workdir)?;
            if writable {
                wasi.preopen_dir(host, ".");
            } else {
                wasi.preopen_dir_read_only(host, ".");
            }
        }
        Ok(Command { module, wasi })
    }

    /// Unpacks a fresh copy of the root filesystem into `dir`, which must not exist or be
    /// empty. The copy appears whole or not at all.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dir` holds something; unpacking errors as for
    /// [`Image::open`].
    pub fn unpack_rootfs(&self, dir: &Path) -> Result<()> {
        if dir.exists() {
            let mut entries = fs::read_dir(dir)
                .map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
            if entries.next().is_some() {
                return Err(Error::InvalidArgument(format!(
                    "{} exists and is not empty: a writable root filesystem needs an empty or new directory",
                    dir.display()
                )));
            }
        }
        crate::whole_dir::create_whole(dir, ".wasmux-rootfs-", |temp| {
            build_rootfs(&self.resolved, temp)
        })
    }

    fn read_program(&self, program: &str) -> Result<Vec<u8>> {
        let root = open_dir(&self.rootfs)?;
        let not_wasm = |reason: String| Error::NotWasm { path: program.to_string(), reason };
        let path = self.program_path(&root, program).ok_or_else(|| {
            not_wasm(if program.contains('/') {
                "no such file in the image".into()
            } else {
                "not found in the image's PATH or working directory".into()
            })
        })?;
        match root.read(&path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(not_wasm("no such file in the image".into()))
            }
            Err(e) if extract::is_escape(&e) => {
                Err(not_wasm("it leads outside the image root".into()))
            }
            Err(e) => Err(not_wasm(format!("cannot read it: {e}"))),
        }
    }

    /// Where `program` is, relative to the root.
    fn program_path(&self, root: &Dir, program: &str) -> Option<PathBuf> {
        let workdir = Path::new("/").join(self.working_dir());
        if program.contains('/') {
            return Some(normalize(&workdir.join(program)));
        }
        let env = self.env();
        let path = env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or(DEFAULT_PATH);
        path.split(':')
            .filter(|d| !d.is_empty())
            .map(|d| normalize(&workdir.join(d).join(program)))
            .chain([normalize(&workdir.join(program))])
            .find(|p| root.metadata(p).is_ok_and(|m| m.is_file()))
    }
}

/// Whether every layer blob of the image is present (their contents are checked on use).
fn complete(resolved: &Resolved) -> bool {
    resolved.layers.iter().all(|l| l.path.is_file())
}

/// Checks that `bytes` are a WebAssembly core module (binary).
fn check_module(bytes: &[u8], program: &str) -> Result<()> {
    let not_wasm = |reason: &str| {
        Err(Error::NotWasm { path: program.to_string(), reason: reason.to_string() })
    };
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return not_wasm("it does not start with the WebAssembly magic number");
    }
    match &bytes[4..8] {
        [1, 0, 0, 0] => Ok(()),
        [_, _, 1, 0] => {
            not_wasm("it is a WebAssembly component; wasmux runs core modules (WASI preview 1)")
        }
        _ => not_wasm("it has an unknown WebAssembly version"),
    }
}

/// `path` made relative to the root, with `.` and `..` resolved (`..` stops at the root, as
/// in a container).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// The host path of `relative` inside `root`, refusing one that resolves outside it.
fn inside(root: &Path, relative: &Path) -> Result<PathBuf> {
    let base =
        fs::canonicalize(root).map_err(|e| Error::io(format!("opening {}", root.display()), e))?;
    let path = fs::canonicalize(root.join(relative))
        .map_err(|e| Error::io(format!("opening working directory /{}", relative.display()), e))?;
    if !path.starts_with(&base) || !path.is_dir() {
        return Err(Error::invalid(
            "image config",
            format!("WorkingDir /{} is not a directory inside the image", relative.display()),
        ));
    }
    Ok(path)
}

fn open_dir(path: &Path) -> Result<Dir> {
    Dir::open_ambient_dir(path, ambient_authority())
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))
}

fn temp_dir(store: Option<&Store>, prefix: &str) -> Result<TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    match store {
        Some(store) => builder.tempdir_in(store.tmp_dir()?),
        None => builder.tempdir(),
    }
    .map_err(|e| Error::io("creating a temporary directory", e))
}

fn resolve_dir(dir: &Path, selector: &Selector, name: &str) -> Result<Resolved> {
    if dir.join(crate::layout::INDEX_JSON).is_file() {
        resolve::resolve_layout(&Layout::open(dir)?, selector, name)
    } else if dir.join("manifest.json").is_file() {
        resolve::resolve_docker(dir, selector, name)
    } else if dir.is_dir() {
        Err(Error::invalid(
            name.to_string(),
            "neither an OCI image layout (no index.json) nor a docker save image (no manifest.json)",
        ))
    } else {
        Err(Error::io(
            format!("cannot open image {name}"),
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        ))
    }
}

/// The store's unpacked root filesystem of the image, unpacked now if it is not there.
fn cached_rootfs(store: &Store, resolved: &Resolved) -> Result<PathBuf> {
    let target = store.rootfs_dir(&resolved.key);
    if target.is_dir() {
        return Ok(target);
    }
    let parent = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(format!("creating a directory in {}", parent.display()), e))?;
    build_rootfs(resolved, temp.path())?;
    match fs::rename(temp.path(), &target) {
        Ok(()) => {
            let _ = temp.keep();
            Ok(target)
        }
        // Another process unpacked the same image first.
        Err(_) if target.is_dir() => Ok(target),
        Err(e) => Err(Error::io(format!("creating {}", target.display()), e)),
    }
}

/// Applies the image's tar layers in order into the empty directory `dir`, then creates the
/// working directory.
fn build_rootfs(resolved: &Resolved, dir: &Path) -> Result<()> {
    let root = open_dir(dir)?;
    for layer in &resolved.layers {
        let LayerKind::Tar(compression) = layer.kind else { continue };
        let mut file = layer.open()?;
        extract::apply_layer(
            &root,
            &mut file,
            compression,
            &layer.name,
            layer.unchecked_diff_id(),
        )?;
        // A later layer could complete a chain that leaves the root: check after each.
        extract::check_symlinks(&root, &layer.name)?;
    }
    let workdir = resolved
        .config
        .as_ref()
        .and_then(|c| c.config().as_ref())
        .and_then(|c| c.working_dir().clone())
        .map(|w| normalize(Path::new(&w)))
        .filter(|w| !w.as_os_str().is_empty());
    if let Some(workdir) = workdir {
        root.create_dir_all(&workdir).map_err(|e| {
            if extract::is_escape(&e) {
                Error::invalid(
                    "image config",
                    format!("WorkingDir /{} leads outside the image", workdir.display()),
                )
            } else {
                Error::io(format!("creating working directory /{}", workdir.display()), e)
            }
        })?;
    }
    Ok(())
}
