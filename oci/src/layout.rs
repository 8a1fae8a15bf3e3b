//! OCI image layouts on disk: `oci-layout`, `index.json` and content-addressed `blobs/`.
//! Reading checks every blob's size and digest; writing goes through a temporary file and a
//! rename, so a reader never sees half a blob or half an index.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use oci_spec::image::{
    Descriptor, Digest, ImageIndex, ImageIndexBuilder, MediaType, OciLayoutBuilder,
};

use crate::digest;
use crate::error::{Error, Result};

/// The annotation that names an image in a layout's index (its tag).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's (and `docker save`'s) annotation with the full image name.
pub(crate) const CONTAINERD_NAME: &str = "io.containerd.image.name";

pub(crate) const INDEX_JSON: &str = "index.json";
pub(crate) const OCI_LAYOUT: &str = "oci-layout";

/// An OCI image layout directory, read.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// Opens the layout in `dir`: it must have an `index.json` and, if it has an `oci-layout`
    /// file, a version this reader knows.
    pub(crate) fn open(dir: &Path) -> Result<Layout> {
        let index = dir.join(INDEX_JSON);
        if !index.is_file() {
            return Err(Error::invalid(
                "image layout",
                format!("{} has no index.json", dir.display()),
            ));
        }
        let marker = dir.join(OCI_LAYOUT);
        if marker.is_file() {
            let text = fs::read(&marker)
                .map_err(|e| Error::io(format!("reading {}", marker.display()), e))?;
            let layout: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|e| Error::invalid(marker.display().to_string(), e))?;
            match layout.get("imageLayoutVersion").and_then(|v| v.as_str()) {
                Some(v) if v.starts_with("1.") => {}
                other => {
                    return Err(Error::invalid(
                        marker.display().to_string(),
                        format!("unsupported imageLayoutVersion {other:?} (1.x is supported)"),
                    ));
                }
            }
        }
        Ok(Layout { dir: dir.to_path_buf() })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob `digest` lives.
    pub(crate) fn blob_path(&self, digest: &Digest) -> PathBuf {
        blob_path(&self.dir, digest)
    }

    /// The parsed `index.json`.
    pub(crate) fn index(&self) -> Result<ImageIndex> {
        let path = self.dir.join(INDEX_JSON);
        let bytes =
            fs::read(&path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        parse_json(&bytes, &path.display().to_string())
    }

    /// The bytes of a (small) blob, checked against `descriptor`.
    pub(crate) fn read_blob(&self, descriptor: &Descriptor, what: &str) -> Result<Vec<u8>> {
        let mut file = self.open_blob(descriptor, what)?;
        let mut bytes = Vec::with_capacity(usize::try_from(descriptor.size()).unwrap_or(0));
        file.read_to_end(&mut bytes).map_err(|e| Error::io(format!("reading {what}"), e))?;
        Ok(bytes)
    }

    /// The blob, opened and checked against `descriptor`.
    pub(crate) fn open_blob(&self, descriptor: &Descriptor, what: &str) -> Result<File> {
        let path = self.blob_path(descriptor.digest());
        let mut file = File::open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::MissingBlob {
                    digest: descriptor.digest().to_string(),
                    what: what.to_string(),
                    location: self.dir.display().to_string(),
                }
            } else {
                Error::io(format!("reading {}", path.display()), e)
            }
        })?;
        digest::verify_file(&mut file, descriptor, what)?;
        Ok(file)
    }

    /// Whether the layout has the blob `digest` (by name; contents are checked on use).
    pub(crate) fn has_blob(&self, descriptor: &Descriptor) -> bool {
        fs::metadata(self.blob_path(descriptor.digest()))
            .is_ok_and(|m| m.len() == descriptor.size())
    }
}

/// `dir/blobs/ALGORITHM/ENCODED`. The digest's parts are validated by `oci-spec` (no `/` or
/// `..` can appear).
pub(crate) fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join(digest.algorithm().as_ref()).join(digest.digest())
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::invalid(what.to_string(), e))
}

/// The tag of an index entry: its `org.opencontainers.image.ref.name` annotation.
pub(crate) fn ref_name(descriptor: &Descriptor) -> Option<&str> {
    descriptor.annotations().as_ref()?.get(REF_NAME).map(String::as_str)
}

/// Whether the index entry is named `tag`: by `org.opencontainers.image.ref.name`, or by
/// containerd's full name (`NAME:TAG` or the full name itself).
pub(crate) fn matches_tag(descriptor: &Descriptor, tag: &str) -> bool {
    let Some(annotations) = descriptor.annotations() else { return false };
    annotations.get(REF_NAME).is_some_and(|name| name == tag)
        || annotations.get(CONTAINERD_NAME).is_some_and(|name| {
            name == tag || name.rsplit_once(':').is_some_and(|(_, t)| t == tag && !t.contains('/'))
        })
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(parent)
        .map_err(|e| Error::io(format!("creating a file in {}", parent.display()), e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    temp.persist(path).map_err(|e| Error::io(format!("writing {}", path.display()), e.error))?;
    Ok(())
}

/// Stores `bytes` as a blob of the layout in `dir` (if not there already) and describes it.
pub(crate) fn write_blob(dir: &Path, bytes: &[u8], media_type: MediaType) -> Result<Descriptor> {
    let digest = digest::sha256(bytes);
    let path = blob_path(dir, &digest);
    if !fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
        write_atomic(&path, bytes)?;
    }
    Ok(Descriptor::new(media_type, bytes.len() as u64, digest))
}

/// Makes `dir` a layout if it is not one: `oci-layout` and an empty `index.json`.
pub(crate) fn init(dir: &Path) -> Result<()> {
    let marker = dir.join(OCI_LAYOUT);
    if !marker.exists() {
        let layout = OciLayoutBuilder::default()
            .image_layout_version("1.0.0")
            .build()
            .map_err(|e| Error::invalid("oci-layout", e))?;
        write_atomic(&marker, &to_json(&layout)?)?;
    }
    let index = dir.join(INDEX_JSON);
    if !index.exists() {
        write_index(dir, &empty_index()?)?;
    }
    Ok(())
}

pub(crate) fn empty_index() -> Result<ImageIndex> {
    ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(Vec::new())
        .build()
        .map_err(|e| Error::invalid("index.json", e))
}

pub(crate) fn write_index(dir: &Path, index: &ImageIndex) -> Result<()> {
    write_atomic(&dir.join(INDEX_JSON), &to_json(index)?)
}

/// Adds `descriptor` to the index of the layout in `dir` under `name` (its
/// `org.opencontainers.image.ref.name`), replacing an entry of the same name.
pub(crate) fn tag(dir: &Path, mut descriptor: Descriptor, name: &str) -> Result<()> {
    let layout = Layout::open(dir)?;
    let mut index = layout.index()?;
    let mut annotations = descriptor.annotations().clone().unwrap_or_default();
    annotations.insert(REF_NAME.to_string(), name.to_string());
    descriptor.set_annotations(Some(annotations));
    let mut manifests: Vec<Descriptor> =
        index.manifests().iter().filter(|d| ref_name(d) != Some(name)).cloned().collect();
    manifests.push(descriptor);
    index.set_manifests(manifests);
    write_index(dir, &index)
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::invalid("JSON", e))
}
