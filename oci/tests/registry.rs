//! Against a real registry on loopback (Debian's `docker-registry`): pack, push, pull, run —
//! anonymous and with basic authentication; failures of the registry as one clear error.
//! These tests fail, never skip, when the registry binary is missing.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use wasmux_oci::testing::Registry;
use wasmux_oci::{
    Error, Image, OpenOptions, PullPolicy, RegistryOptions, RunOptions, Source, Store, pack,
    parse_reference, pull, push,
};

fn open(
    reference: &str,
    store: &Store,
    pull: PullPolicy,
    registry: RegistryOptions,
) -> wasmux_oci::Result<Image> {
    Image::open(
        &Source::parse(reference)?,
        &OpenOptions { store: Some(store.clone()), pull, registry },
    )
}

#[test]
fn pack_push_pull_run_round_trips_on_every_engine() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    let packed = pack(&guest(), &layout, &guest_options("v1")).unwrap();
    let reference = registry.reference("wasmux/guest:v1");
    let pushed = push(
        &Source::parse(&format!("{}:v1", layout.display())).unwrap(),
        &parse_reference(&reference).unwrap(),
        &RegistryOptions::default(),
    )
    .unwrap();
    assert_eq!(pushed, packed);

    let mut registry = registry;
    let store = Store::new(dir.path().join("store"));
    let image = open(&reference, &store, PullPolicy::Missing, RegistryOptions::default()).unwrap();
    assert_eq!(image.manifest_digest(), Some(&packed));
    let command = image.command(&RunOptions::default()).unwrap();
    for backend in engines() {
        assert_eq!(
            run(&command, backend),
            (0, expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], Some(GREETING), false)),
            "{backend}"
        );
    }

    // A second pull finds every blob stored.
    let again =
        pull(&parse_reference(&reference).unwrap(), &store, &RegistryOptions::default()).unwrap();
    assert_eq!((again.downloaded, again.cached), (0, 2));
    assert_eq!(again.digest, packed);

    // A store that lost a blob fetches it again.
    let layer = image.manifest().unwrap().layers()[0].digest().clone();
    let layer_path = store.layout_dir().join("blobs/sha256").join(layer.digest());
    std::fs::remove_file(&layer_path).unwrap();
    open(&reference, &store, PullPolicy::Missing, RegistryOptions::default()).unwrap();
    assert!(layer_path.is_file(), "the lost layer was pulled again");

    // With the registry gone, a stored image still runs; asking for a fresh pull fails clearly.
    registry.stop();
    let image = open(&reference, &store, PullPolicy::Missing, RegistryOptions::default()).unwrap();
    let (_, out) = run(&image.command(&RunOptions::default()).unwrap(), engines()[0]);
    assert!(out.starts_with("args:\n/bin/guest.wasm\n"), "{out}");
    let err = open(&reference, &store, PullPolicy::Always, RegistryOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
    let err = open(
        &registry.reference("wasmux/other:v1"),
        &store,
        PullPolicy::Never,
        RegistryOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("pulling is off"), "{err}");
}

#[test]
fn multi_platform_indexes_and_digests_pull_the_wasi_manifest() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    let wasm = pack(&guest(), &layout, &guest_options("v1")).unwrap();
    // Wrap it in an index next to a linux/amd64 manifest (with its own, empty, config).
    let index_path = layout.join("index.json");
    let top: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let mut wasm_entry = top["manifests"][0].clone();
    wasm_entry.as_object_mut().unwrap().remove("annotations");
    let linux_config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let linux_manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor(IMAGE_CONFIG, linux_config, &blob(&layout, linux_config)),
        "layers": [],
    }))
    .unwrap();
    let mut linux_entry = descriptor(
        "application/vnd.oci.image.manifest.v1+json",
        &linux_manifest,
        &blob(&layout, &linux_manifest),
    );
    linux_entry["platform"] = serde_json::json!({ "architecture": "amd64", "os": "linux" });
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [linux_entry, wasm_entry],
    }))
    .unwrap();
    let index_digest = blob(&layout, &index);
    let mut entry = descriptor("application/vnd.oci.image.index.v1+json", &index, &index_digest);
    entry["annotations"] = serde_json::json!({ "org.opencontainers.image.ref.name": "multi" });
    add_to_index(&layout, entry);

    let reference = registry.reference("wasmux/multi:latest");
    let source = Source::parse(&format!("{}:multi", layout.display())).unwrap();
    let pushed =
        push(&source, &parse_reference(&reference).unwrap(), &RegistryOptions::default()).unwrap();
    assert_eq!(pushed.to_string(), index_digest);

    let store = Store::new(dir.path().join("store"));
    let pulled =
        pull(&parse_reference(&reference).unwrap(), &store, &RegistryOptions::default()).unwrap();
    assert_eq!(pulled.digest, wasm, "the index resolves to the wasi/wasm manifest");
    let by_digest = registry.reference(&format!("wasmux/multi@{index_digest}"));
    let image = open(&by_digest, &store, PullPolicy::Missing, RegistryOptions::default()).unwrap();
    assert_eq!(image.manifest_digest(), Some(&wasm));
    let (_, out) = run(&image.command(&RunOptions::default()).unwrap(), engines()[0]);
    assert!(out.starts_with("args:\n/bin/guest.wasm\na\nb\n"), "{out}");
}

#[test]
fn basic_authentication_is_required_and_honoured() {
    let registry = Registry::start_with_auth("alice", "s3cret");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    pack(&guest(), &layout, &guest_options("v1")).unwrap();
    let source = Source::parse(&layout.to_string_lossy()).unwrap();
    let reference = parse_reference(&registry.reference("private/guest:v1")).unwrap();
    let with = |user: &str, password: &str| RegistryOptions {
        credentials: Some((user.into(), password.into())),
        ..RegistryOptions::default()
    };

    let err = push(&source, &reference, &RegistryOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains("401") && err.to_string().contains("needs credentials"),
        "{err}"
    );
    let err = push(&source, &reference, &with("alice", "wrong")).unwrap_err();
    assert!(err.to_string().contains("credentials were refused"), "{err}");
    push(&source, &reference, &with("alice", "s3cret")).unwrap();

    let store = Store::new(dir.path().join("store"));
    let err = pull(&reference, &store, &RegistryOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(
        store.lookup(&reference.whole()).unwrap().is_none(),
        "nothing stored for a refused pull"
    );
    let image =
        open(&reference.whole(), &store, PullPolicy::Missing, with("alice", "s3cret")).unwrap();
    let (_, out) = run(&image.command(&RunOptions::default()).unwrap(), engines()[0]);
    assert!(out.contains("hello from the image"), "{out}");
}

#[test]
fn registry_failures_are_one_line_errors() {
    let mut registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("store"));
    let missing = parse_reference(&registry.reference("nothing/here:v1")).unwrap();
    let err = pull(&missing, &store, &RegistryOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("not found (404)") && err.to_string().contains("nothing/here:v1"),
        "{err}"
    );
    assert!(store.lookup(&missing.whole()).unwrap().is_none());
    let tmp: Vec<_> =
        std::fs::read_dir(store.root().join("tmp")).map(|d| d.collect()).unwrap_or_default();
    assert!(tmp.is_empty(), "no partial download left: {tmp:?}");

    registry.stop();
    let err = pull(&missing, &store, &RegistryOptions::default()).unwrap_err();
    assert_eq!(err.to_string().lines().count(), 1);
    assert!(
        err.to_string().contains(registry.addr()) && err.to_string().contains("cannot connect"),
        "{err}"
    );
}
