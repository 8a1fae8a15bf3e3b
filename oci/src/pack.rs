//! Packing a module into an OCI image layout: one layer, platform `wasi/wasm`, entrypoint set.

use std::fs;
use std::path::Path;

use oci_spec::image::{
    Arch, ConfigBuilder, Descriptor, Digest, ImageConfigurationBuilder, ImageManifestBuilder,
    MediaType, Os, PlatformBuilder, RootFsBuilder,
};

use crate::digest::{Hasher, HashingWriter};
use crate::error::{Error, Result};
use crate::layout::{self, Layout};

/// How the module goes into the image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LayerFormat {
    /// A gzip-compressed tar holding the module at [`PackOptions::module_path`] (what
    /// `docker build` makes).
    #[default]
    TarGzip,
    /// An uncompressed tar.
    Tar,
    /// The module as the layer itself (`application/wasm`), as Wasm OCI artifacts do; extra
    /// files go into a tar layer before it.
    Wasm,
}

/// What [`pack`] puts into the image besides the module.
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// The tag (`org.opencontainers.image.ref.name`) in the layout's index.
    pub tag: String,
    /// Where the module is in the image's root filesystem (absolute).
    pub module_path: String,
    /// The entrypoint (default: the module's path).
    pub entrypoint: Option<Vec<String>>,
    /// Default arguments (`Cmd`).
    pub cmd: Vec<String>,
    /// Environment, as `NAME=VALUE`.
    pub env: Vec<String>,
    /// The working directory.
    pub working_dir: Option<String>,
    /// How the module is stored.
    pub layer: LayerFormat,
    /// More files for the root filesystem: the path in the image, then the contents.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            tag: "latest".into(),
            module_path: "/module.wasm".into(),
            entrypoint: None,
            cmd: Vec::new(),
            env: Vec::new(),
            working_dir: None,
            layer: LayerFormat::default(),
            files: Vec::new(),
        }
    }
}

/// Writes an OCI image layout to `dir` holding `module` (a WebAssembly binary) as a WASI
/// command: one layer, a config with the entrypoint, and an index entry for platform
/// `wasi/wasm` tagged [`PackOptions::tag`]. A missing or empty `dir` gets a new layout,
/// written aside and renamed into place; an existing layout gets the image added (an image
/// of the same tag is replaced). The result is deterministic: the same input makes the same
/// digests. Returns the manifest's digest.
///
/// # Errors
/// [`Error::InvalidArgument`] for a module that is not a WebAssembly binary, a bad path or
/// tag, or a `dir` that holds something other than a layout; I/O errors.
pub fn pack(module: &[u8], dir: &Path, options: &PackOptions) -> Result<Digest> {
    if !module.starts_with(b"\0asm") {
        return Err(Error::InvalidArgument(
            "the module to pack is not a WebAssembly binary".into(),
        ));
    }
    if options.tag.is_empty()
        || options.tag.len() > 128
        || !options.tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(Error::InvalidArgument(format!(
            "`{}` is not a valid tag (letters, digits, `_`, `.`, `-`; at most 128)",
            options.tag
        )));
    }
    let existing =
        dir.exists() && fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true);
    if existing {
        Layout::open(dir).map_err(|_| {
            Error::InvalidArgument(format!(
                "{} exists and is not an OCI image layout",
                dir.display()
            ))
        })?;
        return write_image(module, dir, options);
    }
    crate::whole_dir::create_whole(dir, ".wasmux-pack-", |temp| write_image(module, temp, options))
}

fn write_image(module: &[u8], dir: &Path, options: &PackOptions) -> Result<Digest> {
    layout::init(dir)?;
    let module_path = image_path(&options.module_path)?;
    let mut files: Vec<(String, &[u8], u32)> = Vec::new();
    for (path, contents) in &options.files {
        files.push((image_path(path)?, contents, 0o644));
    }
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    match options.layer {
        LayerFormat::Wasm => {
            if !files.is_empty() {
                let (descriptor, diff_id) = tar_layer(dir, &files, true)?;
                layers.push(descriptor);
                diff_ids.push(diff_id);
            }
            let mut descriptor =
                layout::write_blob(dir, module, MediaType::Other("application/wasm".into()))?;
            let title =
                Path::new(&module_path).file_name().map(|n| n.to_string_lossy().into_owned());
            if let Some(title) = title {
                descriptor.set_annotations(Some(
                    [("org.opencontainers.image.title".to_string(), title)].into(),
                ));
            }
            diff_ids.push(descriptor.digest().to_string());
            layers.push(descriptor);
        }
        format => {
            files.insert(0, (module_path.clone(), module, 0o755));
            let (descriptor, diff_id) = tar_layer(dir, &files, format == LayerFormat::TarGzip)?;
            layers.push(descriptor);
            diff_ids.push(diff_id);
        }
    }

    let mut run = ConfigBuilder::default()
        .entrypoint(options.entrypoint.clone().unwrap_or_else(|| vec![format!("/{module_path}")]));
    if !options.cmd.is_empty() {
        run = run.cmd(options.cmd.clone());
    }
    if !options.env.is_empty() {
        run = run.env(options.env.clone());
    }
    if let Some(dir) = &options.working_dir {
        run = run.working_dir(dir.clone());
    }
    let invalid = |e: oci_spec::OciSpecError| Error::invalid("image", e);
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Wasm)
        .os(Os::Other("wasi".into()))
        .config(run.build().map_err(invalid)?)
        .rootfs(RootFsBuilder::default().typ("layers").diff_ids(diff_ids).build().map_err(invalid)?)
        .build()
        .map_err(invalid)?;
    let config = layout::write_blob(dir, &layout::to_json(&config)?, MediaType::ImageConfig)?;
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config)
        .layers(layers)
        .build()
        .map_err(invalid)?;
    let mut descriptor =
        layout::write_blob(dir, &layout::to_json(&manifest)?, MediaType::ImageManifest)?;
    descriptor.set_platform(Some(
        PlatformBuilder::default()
            .architecture(Arch::Wasm)
            .os(Os::Other("wasi".into()))
            .build()
            .map_err(invalid)?,
    ));
    let digest = descriptor.digest().clone();
    layout::tag(dir, descriptor, &options.tag)?;
    Ok(digest)
}

/// A path in the image: absolute, without `..`; returned relative (as tar entries are).
fn image_path(path: &str) -> Result<String> {
    let relative = path.strip_prefix('/').ok_or_else(|| {
        Error::InvalidArgument(format!("`{path}`: paths in the image must be absolute"))
    })?;
    match crate::extract::entry_path(relative.as_bytes()) {
        Ok(Some(clean)) => Ok(clean.to_string_lossy().into_owned()),
        Ok(None) => {
            Err(Error::InvalidArgument(format!("`{path}` names the image root, not a file")))
        }
        Err(reason) => Err(Error::InvalidArgument(format!("`{path}` {reason}"))),
    }
}

/// Writes a tar layer of `files` (deterministic: no times, owner root) as a blob; returns
/// its descriptor and its diff ID.
fn tar_layer(
    dir: &Path,
    files: &[(String, &[u8], u32)],
    gzip: bool,
) -> Result<(Descriptor, String)> {
    let tar_error = |e| Error::io("building the layer", e);
    let mut tar = tar::Builder::new(HashingWriter::new(Vec::new(), Hasher::sha256()));
    for (path, contents, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, *contents).map_err(tar_error)?;
    }
    let (diff_id, _, uncompressed) = tar.into_inner().map_err(tar_error)?.finish();
    let (bytes, media_type) = if gzip {
        use std::io::Write;
        let mut encoder =
            flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
        encoder.write_all(&uncompressed).map_err(tar_error)?;
        (encoder.finish().map_err(tar_error)?, MediaType::ImageLayerGzip)
    } else {
        (uncompressed, MediaType::ImageLayer)
    };
    let descriptor = layout::write_blob(dir, &bytes, media_type)?;
    Ok((descriptor, diff_id))
}
