//! From a layout (or a `docker save` tarball) and a selector to one image: the manifest for
//! WASI/Wasm, its configuration and its layers, each blob checked before it is used.

use std::fs::{self, File};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use oci_spec::image::{
    Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, Platform,
};
use serde::Deserialize;

use crate::digest;
use crate::error::{Error, Result};
use crate::extract::{self, Compression};
use crate::layout::{self, Layout};
use crate::source::Selector;

/// Media types of image indexes.
const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// Media types of image manifests.
const MANIFEST_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Config media types parsed as an image configuration.
const IMAGE_CONFIG_TYPES: [&str; 2] =
    ["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"];
/// Config media types that carry nothing this crate uses (Wasm artifacts, the empty
/// descriptor): the image runs with defaults.
const OTHER_CONFIG_TYPES: [&str; 3] = [
    "application/vnd.wasm.config.v0+json",
    "application/vnd.oci.empty.v1+json",
    "application/vnd.unknown.config.v1+json",
];
/// Layer media types whose blob is a WebAssembly binary itself.
pub const WASM_LAYER_TYPES: [&str; 3] = [
    "application/wasm",
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
    "application/vnd.wasm.content.layer.v1+wasm",
];
const TITLE: &str = "org.opencontainers.image.title";

/// What a layer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LayerKind {
    /// A tar of files, compressed or not.
    Tar(Compression),
    /// A WebAssembly binary.
    Wasm,
}

impl LayerKind {
    fn from_media_type(media_type: &str) -> Option<LayerKind> {
        if WASM_LAYER_TYPES.contains(&media_type) {
            return Some(LayerKind::Wasm);
        }
        let tar = |c| Some(LayerKind::Tar(c));
        match media_type {
            "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.docker.image.rootfs.diff.tar" => tar(Compression::None),
            "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => tar(Compression::Gzip),
            "application/vnd.oci.image.layer.v1.tar+zstd"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
            | "application/vnd.docker.image.rootfs.diff.tar.zstd" => tar(Compression::Zstd),
            _ => None,
        }
    }
}

/// One layer: where its blob is and how to check it.
#[derive(Clone, Debug)]
pub(crate) struct Layer {
    pub(crate) path: PathBuf,
    /// The descriptor from the manifest; `None` for a legacy `docker save` layer, which is
    /// checked against its diff ID instead.
    pub(crate) descriptor: Option<Descriptor>,
    pub(crate) kind: LayerKind,
    /// The digest of the uncompressed content, from the configuration.
    pub(crate) diff_id: Option<Digest>,
    /// A name for messages: `layer 2 (sha256:…)`.
    pub(crate) name: String,
    /// The `org.opencontainers.image.title` annotation (a Wasm layer's file name).
    pub(crate) title: Option<String>,
}

impl Layer {
    /// The blob, opened and checked (size and digest), positioned at its start.
    pub(crate) fn open(&self) -> Result<File> {
        let mut file = File::open(&self.path).map_err(|e| match &self.descriptor {
            Some(d) if e.kind() == std::io::ErrorKind::NotFound => Error::MissingBlob {
                digest: d.digest().to_string(),
                what: self.name.clone(),
                location: self.path.parent().map(|p| p.display().to_string()).unwrap_or_default(),
            },
            _ => Error::io(format!("reading {} ({})", self.name, self.path.display()), e),
        })?;
        match (&self.descriptor, &self.diff_id) {
            (Some(descriptor), _) => digest::verify_file(&mut file, descriptor, &self.name)?,
            (None, Some(diff_id)) => {
                digest::verify_reader(&mut file, diff_id, &self.name)?;
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| Error::io(format!("reading {}", self.name), e))?;
            }
            (None, None) => {
                return Err(Error::invalid(&self.name, "no digest to check it against"));
            }
        }
        Ok(file)
    }

    /// The uncompressed digest to check while unpacking, when it was not checked on open.
    pub(crate) fn unchecked_diff_id(&self) -> Option<&Digest> {
        match (&self.descriptor, self.kind) {
            (Some(_), LayerKind::Tar(_)) => self.diff_id.as_ref(),
            _ => None,
        }
    }
}

/// One image, resolved.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) manifest_digest: Option<Digest>,
    pub(crate) manifest: Option<ImageManifest>,
    pub(crate) config: Option<ImageConfiguration>,
    pub(crate) layers: Vec<Layer>,
    /// A file name that identifies the image's content, for caching its root filesystem.
    pub(crate) key: String,
}

/// Resolves `selector` in the layout: finds the entry, descends through indexes to the
/// WASI/Wasm manifest, reads and checks manifest and config.
pub(crate) fn resolve_layout(layout: &Layout, selector: &Selector, name: &str) -> Result<Resolved> {
    let (descriptor, from_index_platform) = select_manifest(layout, selector, name)?;
    let bytes = layout.read_blob(&descriptor, "manifest")?;
    let manifest: ImageManifest =
        layout::parse_json(&bytes, &format!("manifest {}", descriptor.digest()))?;
    if let Some(media_type) = manifest.media_type() {
        let media_type = media_type.to_string();
        if INDEX_TYPES.contains(&media_type.as_str())
            || !MANIFEST_TYPES.contains(&media_type.as_str())
        {
            return Err(Error::MediaType {
                what: format!("manifest {}", descriptor.digest()),
                media_type,
            });
        }
    }
    let config_descriptor = manifest.config();
    let config_type = config_descriptor.media_type().to_string();
    let config = if IMAGE_CONFIG_TYPES.contains(&config_type.as_str()) {
        let bytes = layout.read_blob(config_descriptor, "config")?;
        Some(layout::parse_json::<ImageConfiguration>(
            &bytes,
            &format!("config {}", config_descriptor.digest()),
        )?)
    } else if OTHER_CONFIG_TYPES.contains(&config_type.as_str()) {
        None
    } else {
        return Err(Error::MediaType {
            what: format!("the config of {name}"),
            media_type: config_type,
        });
    };
    if !from_index_platform && let Some(config) = &config {
        check_platform(config, name)?;
    }
    let diff_ids: Vec<Option<Digest>> = match &config {
        Some(config) if config.rootfs().diff_ids().len() == manifest.layers().len() => config
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| digest::parse(d).map(Some))
            .collect::<Result<_>>()?,
        _ => vec![None; manifest.layers().len()],
    };
    let mut layers = Vec::new();
    for (i, (descriptor, diff_id)) in manifest.layers().iter().zip(diff_ids).enumerate() {
        let media_type = descriptor.media_type().to_string();
        let name = format!("layer {} ({})", i + 1, descriptor.digest());
        let kind = LayerKind::from_media_type(&media_type)
            .ok_or_else(|| Error::MediaType { what: name.clone(), media_type })?;
        layers.push(Layer {
            path: layout.blob_path(descriptor.digest()),
            descriptor: Some(descriptor.clone()),
            kind,
            diff_id,
            name,
            title: descriptor.annotations().as_ref().and_then(|a| a.get(TITLE)).cloned(),
        });
    }
    let key = format!("{}-{}", descriptor.digest().algorithm(), descriptor.digest().digest());
    Ok(Resolved {
        manifest_digest: Some(descriptor.digest().clone()),
        manifest: Some(manifest),
        config,
        layers,
        key,
    })
}

/// The manifest descriptor `selector` picks, and whether an index said it is for WASI/Wasm.
pub(crate) fn select_manifest(
    layout: &Layout,
    selector: &Selector,
    name: &str,
) -> Result<(Descriptor, bool)> {
    let index = layout.index()?;
    let top = select_top(layout, &index, selector, name)?;
    let mut candidates = Vec::new();
    let mut unknown = Vec::new();
    expand(layout, top, &mut candidates, &mut unknown, 0)?;
    choose_platform(candidates, &unknown, name)
}

/// The entries of the top-level index that `selector` names (searching nested indexes for a
/// digest).
pub(crate) fn select_top(
    layout: &Layout,
    index: &ImageIndex,
    selector: &Selector,
    name: &str,
) -> Result<Vec<Descriptor>> {
    match selector {
        Selector::Default => {
            if index.manifests().is_empty() {
                return Err(Error::Reference(format!(
                    "{name} holds no image (its index.json is empty)"
                )));
            }
            Ok(index.manifests().clone())
        }
        Selector::Tag(tag) => {
            let found: Vec<Descriptor> =
                index.manifests().iter().filter(|d| layout::matches_tag(d, tag)).cloned().collect();
            if found.is_empty() {
                return Err(Error::Reference(format!(
                    "no image tagged `{tag}` in {name} (tags: {})",
                    tags(index)
                )));
            }
            Ok(found)
        }
        Selector::Digest(digest) => {
            let mut queue: Vec<Descriptor> = index.manifests().clone();
            let mut depth = 0;
            while !queue.is_empty() && depth < 4 {
                if let Some(found) = queue.iter().find(|d| d.digest() == digest) {
                    return Ok(vec![found.clone()]);
                }
                let mut next = Vec::new();
                for d in queue.iter().filter(|d| is_index(d)) {
                    if layout.has_blob(d) {
                        let bytes = layout.read_blob(d, "index")?;
                        let nested: ImageIndex =
                            layout::parse_json(&bytes, &format!("index {}", d.digest()))?;
                        next.extend(nested.manifests().iter().cloned());
                    }
                }
                queue = next;
                depth += 1;
            }
            Err(Error::Reference(format!("no manifest {digest} in {name}")))
        }
    }
}

fn tags(index: &ImageIndex) -> String {
    let tags: Vec<&str> = index.manifests().iter().filter_map(layout::ref_name).collect();
    if tags.is_empty() { "none".into() } else { tags.join(", ") }
}

fn is_index(descriptor: &Descriptor) -> bool {
    INDEX_TYPES.contains(&descriptor.media_type().as_ref())
}

fn is_manifest(descriptor: &Descriptor) -> bool {
    MANIFEST_TYPES.contains(&descriptor.media_type().as_ref())
}

/// Replaces indexes by their entries, recursively.
fn expand(
    layout: &Layout,
    descriptors: Vec<Descriptor>,
    out: &mut Vec<Descriptor>,
    unknown: &mut Vec<Descriptor>,
    depth: usize,
) -> Result<()> {
    for descriptor in descriptors {
        if is_index(&descriptor) {
            if depth >= 4 {
                return Err(Error::invalid("image index", "indexes nested more than 4 deep"));
            }
            let bytes = layout.read_blob(&descriptor, "index")?;
            let index: ImageIndex =
                layout::parse_json(&bytes, &format!("index {}", descriptor.digest()))?;
            expand(layout, index.manifests().clone(), out, unknown, depth + 1)?;
        } else if is_manifest(&descriptor) {
            out.push(descriptor);
        } else {
            unknown.push(descriptor);
        }
    }
    Ok(())
}

/// Whether `os`/`arch` name WASI preview 1 on Wasm.
pub(crate) fn is_wasm_platform(os: &str, arch: &str) -> bool {
    matches!(os, "wasi" | "wasip1") && matches!(arch, "wasm" | "wasm32")
}

fn platform_name(platform: &Platform) -> String {
    format!("{}/{}", platform.os(), platform.architecture())
}

/// Picks the WASI/Wasm manifest: one whose platform says so, else the only one without a
/// platform (its config is checked later).
pub(crate) fn choose_platform(
    candidates: Vec<Descriptor>,
    unknown: &[Descriptor],
    name: &str,
) -> Result<(Descriptor, bool)> {
    let mut wasm: Vec<Descriptor> = Vec::new();
    let mut unplatformed: Vec<Descriptor> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for descriptor in candidates {
        match descriptor.platform() {
            Some(p) if is_wasm_platform(&p.os().to_string(), &p.architecture().to_string()) => {
                wasm.push(descriptor);
            }
            Some(p) => others.push(platform_name(p)),
            None => unplatformed.push(descriptor),
        }
    }
    let dedup = |mut list: Vec<Descriptor>| {
        list.dedup_by(|a, b| a.digest() == b.digest());
        list
    };
    let (list, from_platform) =
        if wasm.is_empty() { (dedup(unplatformed), false) } else { (dedup(wasm), true) };
    match list.len() {
        1 => Ok((list.into_iter().next().unwrap_or_else(|| unreachable!()), from_platform)),
        0 if others.is_empty() => match unknown.first() {
            Some(d) => Err(Error::MediaType {
                what: format!("the image in {name}"),
                media_type: d.media_type().to_string(),
            }),
            None => Err(Error::Reference(format!("{name} holds no image manifest"))),
        },
        0 => Err(Error::NoWasmPlatform { place: name.to_string(), found: others.join(", ") }),
        n => {
            let names: Vec<String> = list
                .iter()
                .map(|d| layout::ref_name(d).map_or_else(|| d.digest().to_string(), str::to_string))
                .collect();
            Err(Error::Reference(format!(
                "{name} holds {n} images ({}); pick one with :TAG or @DIGEST",
                names.join(", ")
            )))
        }
    }
}

fn check_platform(config: &ImageConfiguration, name: &str) -> Result<()> {
    let (os, arch) = (config.os().to_string(), config.architecture().to_string());
    if is_wasm_platform(&os, &arch) {
        Ok(())
    } else {
        Err(Error::NoWasmPlatform { place: name.to_string(), found: format!("{os}/{arch}") })
    }
}

/// One entry of a legacy `docker save` `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Resolves an image of a legacy `docker save` tarball (unpacked in `dir`): `manifest.json`,
/// a config named by its digest, and uncompressed layers checked against the config's diff IDs.
pub(crate) fn resolve_docker(dir: &Path, selector: &Selector, name: &str) -> Result<Resolved> {
    let path = dir.join("manifest.json");
    let bytes = fs::read(&path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let entries: Vec<DockerManifest> =
        layout::parse_json(&bytes, &format!("manifest.json of {name}"))?;
    let config_digest = |entry: &DockerManifest| -> Result<Digest> {
        let file = Path::new(&entry.config);
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let algorithm = match file.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()) {
            Some(alg) if file.extension().is_none() => alg,
            _ => "sha256",
        };
        digest::parse(&format!("{algorithm}:{stem}")).map_err(|_| {
            Error::invalid(
                format!("manifest.json of {name}"),
                format!("config `{}` is not named by its digest", entry.config),
            )
        })
    };
    let mut chosen: Vec<&DockerManifest> = match selector {
        Selector::Default => entries.iter().collect(),
        Selector::Tag(tag) => entries
            .iter()
            .filter(|e| {
                e.repo_tags.iter().flatten().any(|t| {
                    t == tag
                        || t.rsplit_once(':').is_some_and(|(_, t)| t == tag && !t.contains('/'))
                })
            })
            .collect(),
        Selector::Digest(digest) => {
            entries.iter().filter(|e| config_digest(e).is_ok_and(|d| &d == digest)).collect()
        }
    };
    let entry = match chosen.len() {
        1 => chosen.remove(0),
        0 => return Err(Error::Reference(format!("no such image in {name}"))),
        n => {
            let tags: Vec<&str> = chosen
                .iter()
                .flat_map(|e| e.repo_tags.iter().flatten())
                .map(String::as_str)
                .collect();
            return Err(Error::Reference(format!(
                "{name} holds {n} images ({}); pick one with :TAG",
                tags.join(", ")
            )));
        }
    };
    let safe = |p: &str| -> Result<PathBuf> {
        match extract::entry_path(p.as_bytes()) {
            Ok(Some(rel)) => Ok(dir.join(rel)),
            Ok(None) => Err(Error::unsafe_entry("manifest.json", p, "names the archive root")),
            Err(reason) => Err(Error::unsafe_entry("manifest.json", p, reason)),
        }
    };
    let config_digest = config_digest(entry)?;
    let config_path = safe(&entry.config)?;
    let config_bytes = fs::read(&config_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::MissingBlob {
                digest: config_digest.to_string(),
                what: "config".into(),
                location: name.to_string(),
            }
        } else {
            Error::io(format!("reading {}", config_path.display()), e)
        }
    })?;
    digest::verify_reader(&config_bytes[..], &config_digest, "config")?;
    let config: ImageConfiguration =
        layout::parse_json(&config_bytes, &format!("config {config_digest}"))?;
    check_platform(&config, name)?;
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != entry.layers.len() {
        return Err(Error::invalid(
            format!("config {config_digest}"),
            format!("{} diff IDs for {} layers", diff_ids.len(), entry.layers.len()),
        ));
    }
    let mut layers = Vec::new();
    for (i, (layer, diff_id)) in entry.layers.iter().zip(diff_ids).enumerate() {
        let diff_id = digest::parse(diff_id)?;
        let path = safe(layer)?;
        let mut file = File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::MissingBlob {
                    digest: diff_id.to_string(),
                    what: format!("layer {}", i + 1),
                    location: name.to_string(),
                }
            } else {
                Error::io(format!("reading {}", path.display()), e)
            }
        })?;
        let compression = Compression::sniff(&mut file)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if compression != Compression::None {
            return Err(Error::invalid(
                format!("layer {} of {name}", i + 1),
                "a docker save layer must be an uncompressed tar (its digest is the diff ID)",
            ));
        }
        layers.push(Layer {
            path,
            descriptor: None,
            kind: LayerKind::Tar(Compression::None),
            name: format!("layer {} ({diff_id})", i + 1),
            diff_id: Some(diff_id),
            title: None,
        });
    }
    Ok(Resolved {
        manifest_digest: None,
        manifest: None,
        key: format!("docker-{}-{}", config_digest.algorithm(), config_digest.digest()),
        config: Some(config),
        layers,
    })
}
