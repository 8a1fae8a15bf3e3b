//! Pulling from and pushing to OCI registries with `oci-client`, blobs checked and stored by
//! digest.

use std::fs;
use std::net::IpAddr;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use oci_spec::image::{Descriptor, Digest, ImageIndex, ImageManifest, MediaType};

use crate::digest;
use crate::error::{Error, Result, one_line};
use crate::layout::{self, Layout};
use crate::resolve;
use crate::source::Source;
use crate::store::Store;

/// Manifest media types asked for when pulling.
const ACCEPT: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// How to reach registries.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    /// Registries (`HOST[:PORT]`) reached over plain HTTP. Loopback registries (`localhost`,
    /// `127.0.0.0/8`, `[::1]`) always are; every other one uses HTTPS unless listed here.
    pub insecure: Vec<String>,
    /// A user name and password for HTTP basic authentication (or a registry's token
    /// service); anonymous without.
    pub credentials: Option<(String, String)>,
    /// The time allowed to connect (default 30 s).
    pub connect_timeout: Option<Duration>,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("insecure", &self.insecure)
            .field("credentials", &self.credentials.as_ref().map(|(user, _)| (user, "<redacted>")))
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl RegistryOptions {
    fn auth(&self) -> RegistryAuth {
        match &self.credentials {
            Some((user, password)) => RegistryAuth::Basic(user.clone(), password.clone()),
            None => RegistryAuth::Anonymous,
        }
    }

    fn client(&self, reference: &Reference) -> Client {
        let registry = reference.resolve_registry().to_string();
        let mut plain: Vec<String> = self.insecure.clone();
        if is_loopback(&registry) {
            plain.push(registry);
        }
        Client::new(ClientConfig {
            protocol: ClientProtocol::HttpsExcept(plain),
            connect_timeout: Some(self.connect_timeout.unwrap_or(Duration::from_secs(30))),
            // Platforms are chosen here, from the raw index.
            platform_resolver: None,
            ..ClientConfig::default()
        })
    }
}

/// Whether `registry` (`HOST[:PORT]`) is on the loopback interface.
fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What [`pull`] did.
#[derive(Clone, Debug)]
pub struct Pulled {
    /// The reference, as stored (`HOST/REPO:TAG`).
    pub reference: String,
    /// The digest of the image manifest stored (for WASI/Wasm, when the reference names an
    /// index).
    pub digest: Digest,
    /// Blobs downloaded (manifests excluded).
    pub downloaded: usize,
    /// Blobs the store already had.
    pub cached: usize,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the network runtime", e))
}

/// Pulls `reference` into `store`: the manifest for WASI/Wasm (through an index if the
/// reference names one), its config and layers. Blobs the store has are not downloaded again;
/// every blob is checked against its digest and size before it is stored.
///
/// # Errors
/// [`Error::Registry`], [`Error::Unauthorized`], [`Error::NotFound`] for registry failures;
/// [`Error::NoWasmPlatform`], digest and media type errors for the content.
pub fn pull(reference: &Reference, store: &Store, options: &RegistryOptions) -> Result<Pulled> {
    runtime()?.block_on(pull_async(reference, store, options))
}

async fn pull_async(
    reference: &Reference,
    store: &Store,
    options: &RegistryOptions,
) -> Result<Pulled> {
    tracing::debug!(reference = %reference, "pulling");
    let client = options.client(reference);
    let auth = options.auth();
    let layout = store.layout()?;
    let fail = |e| registry_error(e, reference, options);
    client.store_auth_if_needed(reference.resolve_registry(), &auth).await;

    let (bytes, served) =
        client.pull_manifest_raw(reference, &auth, &ACCEPT).await.map_err(fail)?;
    let digest = digest::sha256(&bytes);
    if let Some(expected) = reference.digest() {
        digest::check_digest(&digest::parse(expected)?, digest.to_string(), "manifest")?;
    }
    if served != digest.as_ref() {
        return Err(Error::DigestMismatch {
            what: "manifest".into(),
            expected: served,
            actual: digest.to_string(),
        });
    }
    let media_type = media_type_of(&bytes, &reference.whole())?;
    let top = Descriptor::new(MediaType::from(media_type.as_str()), bytes.len() as u64, digest);
    layout::write_blob(layout.dir(), &bytes, top.media_type().clone())?;

    let manifest_descriptor = if media_type.contains("index")
        || media_type.contains("manifest.list")
    {
        let index: ImageIndex = layout::parse_json(&bytes, &format!("index of {reference}"))?;
        let mut candidates = Vec::new();
        let mut unknown = Vec::new();
        for entry in index.manifests() {
            if ACCEPT[1..].contains(&entry.media_type().as_ref()) {
                candidates.push(entry.clone());
            } else {
                unknown.push(entry.clone());
            }
        }
        let (chosen, _) = resolve::choose_platform(candidates, &unknown, &reference.whole())?;
        let child = reference.clone_with_digest(chosen.digest().to_string());
        let (bytes, _) = client.pull_manifest_raw(&child, &auth, &ACCEPT).await.map_err(fail)?;
        digest::verify_bytes(&bytes, &chosen, "manifest")?;
        layout::write_blob(layout.dir(), &bytes, chosen.media_type().clone())?;
        chosen
    } else {
        top
    };
    let manifest_bytes = layout.read_blob(&manifest_descriptor, "manifest")?;
    let manifest: ImageManifest =
        layout::parse_json(&manifest_bytes, &format!("manifest of {reference}"))?;

    let mut downloaded = 0;
    let mut cached = 0;
    for (i, blob) in std::iter::once(manifest.config()).chain(manifest.layers()).enumerate() {
        let what = if i == 0 { "config".to_string() } else { format!("layer {i}") };
        if layout.has_blob(blob) {
            cached += 1;
            continue;
        }
        let temp = tempfile::Builder::new()
            .prefix(".pull-")
            .tempfile_in(store.tmp_dir()?)
            .map_err(|e| Error::io("creating a download file", e))?;
        let file = tokio::fs::File::from_std(
            temp.reopen()
                .map_err(|e| Error::io(format!("writing {}", temp.path().display()), e))?,
        );
        client.pull_blob(reference, blob.digest().as_ref(), file).await.map_err(fail)?;
        let mut check = temp
            .reopen()
            .map_err(|e| Error::io(format!("reading {}", temp.path().display()), e))?;
        digest::verify_file(&mut check, blob, &what)?;
        let path = layout.blob_path(blob.digest());
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        temp.persist(&path)
            .map_err(|e| Error::io(format!("storing {}", path.display()), e.error))?;
        tracing::debug!(digest = %blob.digest(), size = blob.size(), "downloaded");
        downloaded += 1;
    }
    let stored = reference.whole();
    store.tag(manifest_descriptor.clone(), &stored)?;
    Ok(Pulled {
        reference: stored,
        digest: manifest_descriptor.digest().clone(),
        downloaded,
        cached,
    })
}

/// The `mediaType` a manifest or index declares, or what its shape says.
fn media_type_of(bytes: &[u8], what: &str) -> Result<String> {
    let value: serde_json::Value = layout::parse_json(bytes, &format!("manifest of {what}"))?;
    if let Some(media_type) = value.get("mediaType").and_then(|m| m.as_str()) {
        if !ACCEPT.contains(&media_type) {
            return Err(Error::MediaType {
                what: format!("the manifest of {what}"),
                media_type: media_type.into(),
            });
        }
        return Ok(media_type.to_string());
    }
    Ok(if value.get("manifests").is_some() { ACCEPT[0] } else { ACCEPT[1] }.to_string())
}

/// Pushes the image of a local layout or archive to `reference`: its blobs (those the
/// registry lacks), then its manifest — or an index, with every manifest it lists. Every blob
/// is checked before it is sent. Returns the digest of what `reference` now names.
///
/// # Errors
/// As [`pull`]; [`Error::MissingBlob`] when the layout lacks something the image needs.
pub fn push(source: &Source, reference: &Reference, options: &RegistryOptions) -> Result<Digest> {
    let (dir, selector, _temp) = match source {
        Source::Layout { path, selector } => (path.clone(), selector.clone(), None),
        Source::Archive { path, selector } => {
            let temp = tempfile::Builder::new()
                .prefix(".wasmux-push-")
                .tempdir()
                .map_err(|e| Error::io("creating a temporary directory", e))?;
            let root =
                cap_std::fs::Dir::open_ambient_dir(temp.path(), cap_std::ambient_authority())
                    .map_err(|e| Error::io(format!("opening {}", temp.path().display()), e))?;
            let mut file = fs::File::open(path)
                .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
            crate::extract::unpack_archive(&root, &mut file, &path.display().to_string())?;
            (temp.path().to_path_buf(), selector.clone(), Some(temp))
        }
        Source::Registry(other) => {
            return Err(Error::InvalidArgument(format!(
                "{other} is a registry reference; push takes an image layout or archive"
            )));
        }
    };
    let layout = Layout::open(&dir)?;
    let name = source.to_string();
    let index = layout.index()?;
    let top = resolve::select_top(&layout, &index, &selector, &name)?;
    let [top] = <[Descriptor; 1]>::try_from(top).map_err(|all| {
        let tags: Vec<&str> = all.iter().filter_map(layout::ref_name).collect();
        Error::Reference(format!(
            "{name} holds {} images ({}); pick one with :TAG",
            all.len(),
            tags.join(", ")
        ))
    })?;
    runtime()?.block_on(async {
        let client = options.client(reference);
        let auth = options.auth();
        let fail = |e| registry_error(e, reference, options);
        client.auth(reference, &auth, RegistryOperation::Push).await.map_err(fail)?;
        push_descriptor(&client, &layout, reference, &top, true, options).await?;
        Ok(top.digest().clone())
    })
}

async fn push_descriptor(
    client: &Client,
    layout: &Layout,
    reference: &Reference,
    descriptor: &Descriptor,
    top: bool,
    options: &RegistryOptions,
) -> Result<()> {
    let fail = |e| registry_error(e, reference, options);
    let bytes = layout.read_blob(descriptor, "manifest")?;
    let media_type = media_type_of(&bytes, descriptor.digest().as_ref())?;
    if media_type.contains("index") || media_type.contains("manifest.list") {
        let index: ImageIndex =
            layout::parse_json(&bytes, &format!("index {}", descriptor.digest()))?;
        for child in index.manifests() {
            Box::pin(push_descriptor(client, layout, reference, child, false, options)).await?;
        }
    } else {
        let manifest: ImageManifest =
            layout::parse_json(&bytes, &format!("manifest {}", descriptor.digest()))?;
        for (i, blob) in std::iter::once(manifest.config()).chain(manifest.layers()).enumerate() {
            let what = if i == 0 { "config".to_string() } else { format!("layer {i}") };
            let data = layout.read_blob(blob, &what)?;
            if client.blob_exists(reference, blob.digest().as_ref()).await.map_err(fail)? {
                continue;
            }
            client.push_blob(reference, data, blob.digest().as_ref()).await.map_err(fail)?;
        }
    }
    let target = if top {
        reference.clone()
    } else {
        reference.clone_with_digest(descriptor.digest().to_string())
    };
    let content_type = http::HeaderValue::from_str(&media_type)
        .map_err(|e| Error::invalid(format!("media type {media_type}"), e))?;
    client.push_manifest_raw(&target, bytes, content_type).await.map_err(fail)?;
    Ok(())
}

/// One line that says what the registry did, for each failure `oci-client` reports.
fn registry_error(
    error: OciDistributionError,
    reference: &Reference,
    options: &RegistryOptions,
) -> Error {
    let registry = reference.resolve_registry().to_string();
    let unauthorized = || Error::Unauthorized {
        registry: registry.clone(),
        repository: reference.repository().to_string(),
        hint: if options.credentials.is_some() {
            ": the credentials were refused".into()
        } else {
            ": it needs credentials".into()
        },
    };
    let not_found = || Error::NotFound { registry: registry.clone(), reference: reference.whole() };
    let message = match error {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => {
            return unauthorized();
        }
        OciDistributionError::ImageManifestNotFoundError(_) => return not_found(),
        OciDistributionError::ServerError { code: 401, .. } => return unauthorized(),
        OciDistributionError::ServerError { code: 404, .. } => return not_found(),
        OciDistributionError::RegistryError { envelope, .. } => {
            use oci_client::errors::OciErrorCode as Code;
            if envelope.errors.iter().any(|e| matches!(e.code, Code::Unauthorized | Code::Denied)) {
                return unauthorized();
            }
            if envelope.errors.iter().any(|e| {
                matches!(
                    e.code,
                    Code::ManifestUnknown | Code::NameUnknown | Code::NotFound | Code::BlobUnknown
                )
            }) {
                return not_found();
            }
            envelope
                .errors
                .iter()
                .map(|e| format!("{:?}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        }
        OciDistributionError::RequestError(e)
            if e.status().is_some_and(|s| s.as_u16() == 401 || s.as_u16() == 403) =>
        {
            return unauthorized();
        }
        OciDistributionError::RequestError(e) if e.status().is_some_and(|s| s.as_u16() == 404) => {
            return not_found();
        }
        OciDistributionError::RequestError(e) => {
            let root = root_cause(&e);
            if e.is_connect() || e.is_timeout() {
                let scheme = if options.insecure.contains(&registry) || is_loopback(&registry) {
                    "http"
                } else {
                    "https"
                };
                format!("cannot connect over {scheme}: {root}")
            } else {
                root
            }
        }
        OciDistributionError::DigestError(e) => format!("digest check failed: {e}"),
        other => other.to_string(),
    };
    Error::Registry { registry, message: one_line(&message) }
}

/// The innermost message of an error chain.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries() {
        for registry in ["localhost:5000", "127.0.0.1:5000", "127.3.2.1", "[::1]:5000", "LOCALHOST"]
        {
            assert!(is_loopback(registry), "{registry}");
        }
        for registry in ["ghcr.io", "10.0.0.1:5000", "localhost.example:5000", "[2001:db8::1]:443"]
        {
            assert!(!is_loopback(registry), "{registry}");
        }
    }
}
