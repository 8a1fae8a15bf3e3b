//! Shared helpers: the guest, images built by hand (any layers, any config, hostile tars),
//! and running a command on every engine with its output captured.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use sha2::{Digest as _, Sha256};
use wasmux::wasi::CaptureBuffer;
use wasmux::{Backend, Config, Limits};
use wasmux_oci::{Command, PackOptions};

pub const GREETING: &str = "hello from the image\n";

/// The test guest (see `wasmux_oci::testing::GUEST_WAT`) as a binary module.
pub fn guest() -> Vec<u8> {
    wat::parse_str(wasmux_oci::testing::GUEST_WAT).unwrap()
}

/// What the guest prints for these arguments, environment, greeting and write outcome.
pub fn expected(args: &[&str], env: &[&str], greeting: Option<&str>, write_ok: bool) -> String {
    let mut out = String::from("args:\n");
    for a in args {
        out.push_str(a);
        out.push('\n');
    }
    out.push_str("env:\n");
    for e in env {
        out.push_str(e);
        out.push('\n');
    }
    out.push_str("greeting:\n");
    out.push_str(greeting.unwrap_or("none\n"));
    out.push_str("write:\n");
    out.push_str(if write_ok { "ok\n" } else { "denied\n" });
    out
}

/// Pack options for the guest: `Cmd` `a b`, `GREETING=hi`, `/etc/greeting`.
pub fn guest_options(tag: &str) -> PackOptions {
    PackOptions {
        tag: tag.into(),
        module_path: "/bin/guest.wasm".into(),
        cmd: vec!["a".into(), "b".into()],
        env: vec!["GREETING=hi".into()],
        files: vec![("/etc/greeting".into(), GREETING.as_bytes().to_vec())],
        ..PackOptions::default()
    }
}

/// Runs `command` on `backend`, capturing standard output.
pub fn run(command: &Command, backend: Backend) -> (i32, String) {
    let buffer = CaptureBuffer::new();
    let mut command = command.clone();
    command.wasi.stdout_buffer(buffer.clone());
    let status = command
        .run(backend, &Config::default(), Limits::default())
        .unwrap_or_else(|e| panic!("{backend}: {e}"));
    (status, buffer.to_string_lossy())
}

/// The engines to test on: all compiled in, at least one.
pub fn engines() -> Vec<Backend> {
    let engines = wasmux::engines();
    assert!(!engines.is_empty(), "build the tests with at least one engine feature");
    engines
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Writes `bytes` as a blob of the layout in `dir`; returns its digest.
pub fn blob(dir: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let path = dir.join("blobs/sha256").join(&digest[7..]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    digest
}

pub fn descriptor(media_type: &str, bytes: &[u8], digest: &str) -> serde_json::Value {
    serde_json::json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() })
}

/// An image config for wasi/wasm with `config` as its runtime section and these diff IDs.
pub fn config(run: serde_json::Value, diff_ids: &[String]) -> serde_json::Value {
    serde_json::json!({
        "architecture": "wasm",
        "os": "wasi",
        "config": run,
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    })
}

/// Writes an image with these layers (media type, bytes) and config (media type, JSON) into
/// the layout `dir`, listed in `index.json` under `tag` (with a wasi/wasm platform when
/// `platform`). Returns the manifest's digest.
pub fn write_image(
    dir: &Path,
    layers: &[(&str, Vec<u8>)],
    config: (&str, serde_json::Value),
    tag: &str,
    platform: bool,
) -> String {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let config_bytes = serde_json::to_vec(&config.1).unwrap();
    let config_digest = blob(dir, &config_bytes);
    let layer_descriptors: Vec<serde_json::Value> = layers
        .iter()
        .map(|(media_type, bytes)| descriptor(media_type, bytes, &blob(dir, bytes)))
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(config.0, &config_bytes, &config_digest),
        "layers": layer_descriptors,
    });
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = blob(dir, &manifest_bytes);
    let mut entry =
        descriptor("application/vnd.oci.image.manifest.v1+json", &manifest_bytes, &digest);
    entry["annotations"] = serde_json::json!({ "org.opencontainers.image.ref.name": tag });
    if platform {
        entry["platform"] = serde_json::json!({ "architecture": "wasm", "os": "wasi" });
    }
    add_to_index(dir, entry);
    digest
}

pub fn add_to_index(dir: &Path, entry: serde_json::Value) {
    let path = dir.join("index.json");
    let mut index: serde_json::Value = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({ "schemaVersion": 2, "manifests": [] }));
    index["manifests"].as_array_mut().unwrap().push(entry);
    std::fs::write(path, serde_json::to_vec(&index).unwrap()).unwrap();
}

/// One entry of a hand-made tar, hostile ones included: names and link targets are written
/// into the header as given, bypassing the checks of `tar::Builder`.
pub enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    CharDevice(&'a str),
    BlockDevice(&'a str),
    Fifo(&'a str),
}

pub fn tar(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let (name, kind, link, data): (&str, tar::EntryType, Option<&str>, &[u8]) = match entry {
            Entry::File(name, data) => (name, tar::EntryType::Regular, None, data),
            Entry::Dir(name) => (name, tar::EntryType::Directory, None, b""),
            Entry::Symlink(name, target) => (name, tar::EntryType::Symlink, Some(target), b""),
            Entry::HardLink(name, target) => (name, tar::EntryType::Link, Some(target), b""),
            Entry::CharDevice(name) => (name, tar::EntryType::Char, None, b""),
            Entry::BlockDevice(name) => (name, tar::EntryType::Block, None, b""),
            Entry::Fifo(name) => (name, tar::EntryType::Fifo, None, b""),
        };
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o755);
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A tar of the directory `dir` (an archive of a layout), entries relative to it.
pub fn tar_dir(dir: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap()
}

pub const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const TAR_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
