//! OCI image archives for `ctr image import`, built from files in memory: one uncompressed
//! tar layer, a config with `Entrypoint`, `Cmd`, `Env` and `User`, and the platform given.

use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

/// An image to build.
#[derive(Debug)]
pub struct ImageSpec<'a> {
    /// Its full name, as `ctr` refers to it.
    pub name: &'a str,
    /// Its platform's operating system (`wasip1`, `wasi`, `linux`).
    pub os: &'a str,
    /// Its platform's architecture (`wasm`, `amd64`).
    pub architecture: &'a str,
    /// The config's `Entrypoint`.
    pub entrypoint: &'a [&'a str],
    /// The config's `Cmd`.
    pub cmd: &'a [&'a str],
    /// The config's `Env`.
    pub env: &'a [&'a str],
    /// The config's `User` (empty: root).
    pub user: &'a str,
    /// The layer's files: path, contents, mode.
    pub files: Vec<(&'a str, &'a [u8], u32)>,
}

/// Writes `spec` as an OCI image layout in a tar archive at `out`.
pub fn write_archive(spec: &ImageSpec<'_>, out: &Path) {
    let layer = layer_tar(&spec.files);
    let layer_digest = digest(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": spec.architecture,
        "os": spec.os,
        "config": { "Entrypoint": spec.entrypoint, "Cmd": spec.cmd, "Env": spec.env, "User": spec.user },
        "rootfs": { "type": "layers", "diff_ids": [layer_digest] },
    }))
    .expect("config JSON");
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest(&config),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest,
            "size": layer.len(),
        }],
    }))
    .expect("manifest JSON");
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(&manifest),
            "size": manifest.len(),
            "platform": { "architecture": spec.architecture, "os": spec.os },
            "annotations": { "io.containerd.image.name": spec.name },
        }],
    }))
    .expect("index JSON");
    let mut archive = tar::Builder::new(std::fs::File::create(out).expect("create archive"));
    let mut add = |path: String, bytes: &[u8]| append(&mut archive, &path, bytes, 0o644);
    add("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#);
    add("index.json".into(), &index);
    for blob in [&layer, &config, &manifest] {
        add(format!("blobs/sha256/{}", &digest(blob)["sha256:".len()..]), blob);
    }
    archive.finish().expect("finish archive");
}

fn layer_tar(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut layer = tar::Builder::new(Vec::new());
    for (path, bytes, mode) in files {
        append(&mut layer, path, bytes, *mode);
    }
    layer.into_inner().expect("layer tar")
}

fn append<W: std::io::Write>(archive: &mut tar::Builder<W>, path: &str, bytes: &[u8], mode: u32) {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_cksum();
    archive.append_data(&mut header, path, bytes).expect("append to tar");
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}
