//! OCI images: `wasmux pull`, `wasmux oci pack|push|pull|inspect`, and what `wasmux run` needs
//! to take an image where it takes a module.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use wasmux::{Error, Result};
use wasmux_oci::{
    Image, LayerFormat, OpenOptions, PackOptions, PullPolicy, RegistryOptions, Source, Store,
};

use crate::{args, exit};

/// How to reach a registry.
#[derive(Debug, Args)]
#[command(next_help_heading = "Registry options")]
pub struct RegistryArgs {
    /// Reach this registry (`HOST[:PORT]`) over plain HTTP. Loopback registries always are.
    /// Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    insecure: Vec<String>,
    /// Log in as this user (HTTP basic authentication); the password comes from
    /// `--password-stdin` or `WASMUX_REGISTRY_PASSWORD`. `WASMUX_REGISTRY_USERNAME` sets a
    /// default.
    #[arg(long, value_name = "USER")]
    username: Option<String>,
    /// Read the password from standard input (its first line).
    #[arg(long)]
    password_stdin: bool,
}

impl RegistryArgs {
    fn options(&self) -> Result<RegistryOptions> {
        let username = self.username.clone().or_else(|| env_var("WASMUX_REGISTRY_USERNAME"));
        let credentials = match username {
            None if self.password_stdin => {
                return Err(Error::InvalidArgument("--password-stdin needs --username".into()));
            }
            None => None,
            Some(user) => {
                let password = if self.password_stdin {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|e| Error::io("reading the password from standard input", e))?;
                    text.lines().next().unwrap_or_default().to_string()
                } else {
                    env_var("WASMUX_REGISTRY_PASSWORD").ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "no password for registry user `{user}`: use --password-stdin or set \
                             WASMUX_REGISTRY_PASSWORD"
                        ))
                    })?
                };
                Some((user, password))
            }
        };
        Ok(RegistryOptions { insecure: self.insecure.clone(), credentials, connect_timeout: None })
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Options of `wasmux run` that apply when it is given an image.
#[derive(Debug, Args)]
#[command(next_help_heading = "Image options (when running an OCI image)")]
pub struct ImageArgs {
    /// Give the guest a writable copy of the image's root filesystem, unpacked into DIR (new
    /// or empty). Without it the root is read-only.
    #[arg(long, value_name = "DIR")]
    writable_rootfs: Option<PathBuf>,
    /// When to fetch a registry image: missing (not in the store yet), always, never.
    #[arg(long, value_name = "POLICY", default_value = "missing")]
    pull: PullPolicy,
    #[command(flatten)]
    registry: RegistryArgs,
}

impl ImageArgs {
    /// The writable root filesystem asked for.
    pub fn writable_rootfs(&self) -> Option<&Path> {
        self.writable_rootfs.as_deref()
    }
}

/// `wasmux oci ...`
#[derive(Debug, Args)]
pub struct OciArgs {
    #[command(subcommand)]
    command: OciCommand,
}

#[derive(Debug, Subcommand)]
enum OciCommand {
    /// Write a module as an OCI image layout (one layer, platform wasi/wasm).
    Pack(PackArgs),
    /// Push an image layout or archive to a registry.
    Push(PushArgs),
    /// Fetch an image from a registry into the local store (as `wasmux pull`).
    Pull(PullArgs),
    /// Print what an image holds and how it runs, as JSON.
    Inspect(InspectArgs),
}

/// `wasmux oci pack`
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The module: `.wasm` or `.wat`.
    #[arg(value_name = "MODULE")]
    module: PathBuf,
    /// The image layout directory to write (new, empty, or a layout to add the image to).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The image's tag in the layout.
    #[arg(long, default_value = "latest")]
    tag: String,
    /// Where the module goes in the image (default: `/` and the module's file name, `.wasm`).
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    /// The entrypoint, one argument per use (default: the module's path).
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    entrypoint: Vec<String>,
    /// Default arguments (`Cmd`), one per use.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    cmd: Vec<String>,
    /// An environment variable of the image. Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]", value_parser = args::parse_env)]
    envs: Vec<(String, String)>,
    /// The working directory.
    #[arg(long, value_name = "DIR")]
    workdir: Option<String>,
    /// Add a host file to the image at PATH. Repeatable.
    #[arg(long = "add", value_name = "FILE::PATH")]
    add: Vec<String>,
    /// How the module is stored: tar+gzip (a tar layer), tar (uncompressed), wasm (the module
    /// is the layer, `application/wasm`).
    #[arg(long, value_name = "FORMAT", default_value = "tar+gzip")]
    layer: String,
}

/// `wasmux oci push`
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The image: a layout directory or archive, optionally `:TAG` or `@DIGEST`.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// Where to push it: `HOST[:PORT]/REPOSITORY[:TAG]`.
    #[arg(value_name = "REFERENCE")]
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `wasmux pull`
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The image: `HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]`.
    #[arg(value_name = "REFERENCE")]
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `wasmux oci inspect`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The image: a layout directory, an archive or a registry reference.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// When to fetch a registry image: missing, always, never.
    #[arg(long, value_name = "POLICY", default_value = "missing")]
    pull: PullPolicy,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// An image error ends the command: one line, and the status that says "the image".
pub fn fail(error: wasmux_oci::Error) -> Result<u8> {
    match error {
        wasmux_oci::Error::Wasm(inner) => Err(inner),
        wasmux_oci::Error::Io { context, source } => Err(Error::Io { context, source }),
        other => {
            eprintln!("wasmux: error: {other}");
            Ok(exit::IMAGE)
        }
    }
}

/// The image `path` names, if it names one rather than a module.
pub fn detect(path: &Path) -> Result<Option<Source>> {
    let Some(text) = path.to_str() else { return Ok(None) };
    Source::detect(text).map_err(Error::from)
}

/// Opens an image for `wasmux run`.
pub fn open(source: &Source, args: &ImageArgs) -> std::result::Result<Image, wasmux_oci::Error> {
    let registry =
        args.registry.options().map_err(|e| wasmux_oci::Error::InvalidArgument(e.to_string()))?;
    Image::open(source, &OpenOptions { store: store()?, pull: args.pull, registry })
}

fn store() -> std::result::Result<Option<Store>, wasmux_oci::Error> {
    Store::from_env().map(Some)
}

/// `wasmux pull`
pub fn pull(args: PullArgs) -> Result<u8> {
    let reference = match wasmux_oci::parse_reference(&args.reference) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let options = args.registry.options()?;
    let outcome = store().and_then(|store| {
        let store =
            store.ok_or_else(|| wasmux_oci::Error::InvalidArgument("no image store".into()))?;
        wasmux_oci::pull(&reference, &store, &options)
    });
    match outcome {
        Ok(pulled) => {
            println!(
                "{}@{} ({} blobs downloaded, {} already stored)",
                pulled.reference, pulled.digest, pulled.downloaded, pulled.cached
            );
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

/// `wasmux oci ...`
pub fn oci(args: OciArgs) -> Result<u8> {
    match args.command {
        OciCommand::Pack(args) => pack(args),
        OciCommand::Push(args) => push(args),
        OciCommand::Pull(args) => pull(args),
        OciCommand::Inspect(args) => inspect(args),
    }
}

fn pack(args: PackArgs) -> Result<u8> {
    let bytes = crate::module::read(&args.module)?;
    if wasmux::artifact_engine(&bytes).is_some() {
        return Err(Error::InvalidArgument(format!(
            "{} is a precompiled artifact; images hold portable WebAssembly (.wasm or .wat)",
            args.module.display()
        )));
    }
    let module = wasmux::parse(&bytes)?;
    let layer = match args.layer.as_str() {
        "tar+gzip" | "tar.gz" | "gzip" => LayerFormat::TarGzip,
        "tar" => LayerFormat::Tar,
        "wasm" => LayerFormat::Wasm,
        other => {
            return Err(Error::InvalidArgument(format!(
                "`{other}` is not a layer format (tar+gzip, tar, wasm)"
            )));
        }
    };
    let module_path = args.path.clone().unwrap_or_else(|| {
        let stem = args
            .module
            .file_stem()
            .map_or_else(|| "module".into(), |s| s.to_string_lossy().into_owned());
        format!("/{stem}.wasm")
    });
    let mut files = Vec::new();
    for spec in &args.add {
        let (host, guest) = spec
            .split_once("::")
            .ok_or_else(|| Error::InvalidArgument(format!("--add `{spec}` is not FILE::PATH")))?;
        files.push((guest.to_string(), crate::module::read(Path::new(host))?));
    }
    let options = PackOptions {
        tag: args.tag,
        module_path,
        entrypoint: (!args.entrypoint.is_empty()).then_some(args.entrypoint),
        cmd: args.cmd,
        env: args.envs.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        working_dir: args.workdir,
        layer,
        files,
    };
    match wasmux_oci::pack(&module, &args.output, &options) {
        Ok(digest) => {
            println!("{digest}");
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

fn push(args: PushArgs) -> Result<u8> {
    let outcome = (|| {
        let source = Source::parse(&args.image)?;
        let reference = wasmux_oci::parse_reference(&args.reference)?;
        let options = args
            .registry
            .options()
            .map_err(|e| wasmux_oci::Error::InvalidArgument(e.to_string()))?;
        let digest = wasmux_oci::push(&source, &reference, &options)?;
        Ok::<_, wasmux_oci::Error>(format!("{}@{digest}", reference.whole()))
    })();
    match outcome {
        Ok(line) => {
            println!("{line}");
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

fn inspect(args: InspectArgs) -> Result<u8> {
    let outcome = (|| {
        let source = Source::parse(&args.image)?;
        let registry = args
            .registry
            .options()
            .map_err(|e| wasmux_oci::Error::InvalidArgument(e.to_string()))?;
        let image =
            Image::open(&source, &OpenOptions { store: store()?, pull: args.pull, registry })?;
        let layers: Vec<serde_json::Value> = image
            .manifest()
            .map(|m| {
                m.layers()
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "media_type": l.media_type().to_string(),
                            "digest": l.digest().to_string(),
                            "size": l.size(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok::<_, wasmux_oci::Error>(serde_json::json!({
            "image": image.name(),
            "manifest_digest": image.manifest_digest().map(ToString::to_string),
            "entrypoint": image.entrypoint(),
            "cmd": image.cmd(),
            "env": image.env(),
            "working_dir": image.working_dir(),
            "argv": image.argv(None).ok(),
            "layers": layers,
            "rootfs": image.rootfs(),
        }))
    })();
    match outcome {
        Ok(json) => {
            println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
            Ok(0)
        }
        Err(e) => fail(e),
    }
}
