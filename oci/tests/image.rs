//! Images from layouts, archives and `docker save` tarballs: resolved, checked, unpacked and
//! run on every engine; bad and hostile input refused with one clear error.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use wasmux_oci::{
    Error, Image, LayerFormat, OpenOptions, PackOptions, PullPolicy, RunOptions, Source, Store,
    pack,
};

/// Options with a store of its own in `dir`.
fn options(dir: &Path) -> OpenOptions {
    OpenOptions {
        store: Some(Store::new(dir.join("store"))),
        pull: PullPolicy::Never,
        registry: Default::default(),
    }
}

fn open(text: &str, dir: &Path) -> wasmux_oci::Result<Image> {
    Image::open(&Source::parse(text)?, &options(dir))
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// What the store's unpacked root filesystems are (none must be left by a failure).
fn rootfs_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("store/rootfs"))
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn a_packed_image_runs_with_its_config_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    pack(&guest(), &dir.path().join("img"), &guest_options("v1")).unwrap();
    let image = open(&path(dir.path(), "img"), dir.path()).unwrap();
    assert_eq!(image.entrypoint(), ["/bin/guest.wasm"]);
    assert_eq!(image.cmd(), ["a", "b"]);

    let default = image.command(&RunOptions::default()).unwrap();
    let replaced = image
        .command(&RunOptions {
            args: Some(vec!["x".into()]),
            env: vec![("GREETING".into(), "hello".into()), ("EXTRA".into(), "1".into())],
            ..RunOptions::default()
        })
        .unwrap();
    for backend in engines() {
        assert_eq!(
            run(&default, backend),
            (0, expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], Some(GREETING), false)),
            "{backend}"
        );
        assert_eq!(
            run(&replaced, backend),
            (
                0,
                expected(
                    &["/bin/guest.wasm", "x"],
                    &["GREETING=hello", "EXTRA=1"],
                    Some(GREETING),
                    false
                )
            ),
            "{backend}: ARGS replace Cmd, --env overrides Env"
        );
    }
    // The shared root filesystem was not written to.
    assert!(!image.rootfs().join("out.txt").exists());
}

#[test]
fn a_writable_rootfs_is_a_private_copy() {
    let dir = tempfile::tempdir().unwrap();
    pack(&guest(), &dir.path().join("img"), &guest_options("v1")).unwrap();
    let image = open(&path(dir.path(), "img"), dir.path()).unwrap();
    for backend in engines() {
        let scratch = dir.path().join(format!("rw-{backend}"));
        let command = image
            .command(&RunOptions {
                writable_rootfs: Some(scratch.clone()),
                ..RunOptions::default()
            })
            .unwrap();
        let (status, out) = run(&command, backend);
        assert_eq!(status, 0);
        assert!(out.ends_with("write:\nok\n"), "{backend}: {out}");
        assert_eq!(std::fs::read_to_string(scratch.join("out.txt")).unwrap(), "written\n");
        assert_eq!(std::fs::read_to_string(scratch.join("etc/greeting")).unwrap(), GREETING);
        // Used: not again.
        let err = image
            .command(&RunOptions { writable_rootfs: Some(scratch), ..RunOptions::default() })
            .unwrap_err();
        assert!(err.to_string().contains("is not empty"), "{err}");
    }
    assert!(!image.rootfs().join("out.txt").exists());
}

#[test]
fn every_layer_format_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (tag, layer) in
        [("gz", LayerFormat::TarGzip), ("tar", LayerFormat::Tar), ("wasm", LayerFormat::Wasm)]
    {
        pack(&guest(), &dir.path().join("img"), &PackOptions { layer, ..guest_options(tag) })
            .unwrap();
        let image = open(&format!("{}:{tag}", path(dir.path(), "img")), dir.path()).unwrap();
        let command = image.command(&RunOptions::default()).unwrap();
        for backend in engines() {
            let (_, out) = run(&command, backend);
            assert_eq!(
                out,
                expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], Some(GREETING), false),
                "{tag} on {backend}"
            );
        }
    }
    // A zstd layer.
    let layer = tar(&[Entry::File("app.wasm", &guest()), Entry::File("etc/greeting", b"zstd!\n")]);
    let zstd =
        ruzstd::encoding::compress_to_vec(&layer[..], ruzstd::encoding::CompressionLevel::Fastest);
    write_image(
        &dir.path().join("zst"),
        &[(TAR_ZSTD, zstd)],
        (
            IMAGE_CONFIG,
            config(serde_json::json!({ "Entrypoint": ["/app.wasm"] }), &[sha256(&layer)]),
        ),
        "latest",
        true,
    );
    let command = open(&path(dir.path(), "zst"), dir.path())
        .unwrap()
        .command(&RunOptions::default())
        .unwrap();
    assert_eq!(
        run(&command, engines()[0]).1,
        expected(&["/app.wasm"], &[], Some("zstd!\n"), false)
    );
}

#[test]
fn a_wasm_artifact_without_image_config_runs_its_layer() {
    let dir = tempfile::tempdir().unwrap();
    let module = guest();
    for media_type in wasmux_oci::WASM_LAYER_TYPES {
        let layout = dir.path().join(media_type.replace(['/', '+', '.'], "_"));
        write_image(
            &layout,
            &[(media_type, module.clone())],
            (
                "application/vnd.wasm.config.v0+json",
                serde_json::json!({ "architecture": "wasm", "os": "wasip1" }),
            ),
            "v1",
            true,
        );
        let image = open(&layout.to_string_lossy(), dir.path()).unwrap();
        let command = image
            .command(&RunOptions { args: Some(vec!["x".into()]), ..RunOptions::default() })
            .unwrap();
        let (_, out) = run(&command, engines()[0]);
        assert_eq!(out, expected(&["module.wasm", "x"], &[], None, false), "{media_type}");
    }
}

#[test]
fn archives_and_docker_save_tarballs_run() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    pack(&guest(), &layout, &guest_options("v1")).unwrap();
    pack(&guest(), &layout, &PackOptions { cmd: vec!["second".into()], ..guest_options("v2") })
        .unwrap();
    let archive = dir.path().join("img.tar");
    std::fs::write(&archive, tar_dir(&layout)).unwrap();
    let gzipped = dir.path().join("img.tar.gz");
    std::fs::write(&gzipped, gzip(&tar_dir(&layout))).unwrap();

    // Two images: the plain path is ambiguous; a tag or a digest picks one.
    let err = open(&archive.to_string_lossy(), dir.path()).unwrap_err().to_string();
    assert!(err.contains("holds 2 images") && err.contains("v1") && err.contains("v2"), "{err}");
    for text in [
        format!("{}:v2", archive.display()),
        format!("{}:v2", gzipped.display()),
        format!("oci-archive:{}:v2", archive.display()),
        format!("{}:v2", layout.display()),
    ] {
        let command = open(&text, dir.path()).unwrap().command(&RunOptions::default()).unwrap();
        let (_, out) = run(&command, engines()[0]);
        assert!(out.starts_with("args:\n/bin/guest.wasm\nsecond\n"), "{text}: {out}");
    }
    let v1 = open(&format!("{}:v1", layout.display()), dir.path()).unwrap();
    let digest = v1.manifest_digest().unwrap().to_string();
    let by_digest = open(&format!("{}@{digest}", archive.display()), dir.path()).unwrap();
    assert_eq!(by_digest.cmd(), ["a", "b"]);
    let err = open(&format!("{}:v3", layout.display()), dir.path()).unwrap_err().to_string();
    assert!(err.contains("no image tagged `v3`") && err.contains("tags: "), "{err}");

    // A legacy `docker save` tarball: manifest.json, config named by its digest, layer.tar.
    let layer =
        tar(&[Entry::File("app/guest.wasm", &guest()), Entry::File("etc/greeting", b"docker\n")]);
    let config = serde_json::to_vec(&config(
        serde_json::json!({ "Entrypoint": ["guest.wasm"], "WorkingDir": "/app", "Env": ["MODE=docker"] }),
        &[sha256(&layer)],
    ))
    .unwrap();
    let config_name = format!("{}.json", &sha256(&config)[7..]);
    let manifest = serde_json::json!([
        { "Config": config_name, "RepoTags": ["guest:latest", "guest:docker"], "Layers": ["0123/layer.tar"] }
    ]);
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
        (config_name.as_str(), config),
        ("0123/layer.tar", layer),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, &bytes[..]).unwrap();
    }
    let docker = dir.path().join("docker.tar");
    std::fs::write(&docker, builder.into_inner().unwrap()).unwrap();
    for text in [docker.to_string_lossy().into_owned(), format!("{}:docker", docker.display())] {
        let image = open(&text, dir.path()).unwrap();
        let command = image.command(&RunOptions::default()).unwrap();
        // WorkingDir resolves the entrypoint and is offered as `.` too.
        assert_eq!(command.wasi.preopens.last().unwrap().guest, ".");
        let (_, out) = run(&command, engines()[0]);
        assert_eq!(
            out,
            expected(&["guest.wasm"], &["MODE=docker"], Some("docker\n"), false),
            "{text}"
        );
    }
}

#[test]
fn the_index_resolves_to_the_wasi_platform() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("multi");
    let wasm = pack(&guest(), &layout, &guest_options("only")).unwrap();
    // Replace the top-level entry by a nested index: linux/amd64 first, then wasi/wasm.
    let index_path = layout.join("index.json");
    let top: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let mut wasm_entry = top["manifests"][0].clone();
    wasm_entry.as_object_mut().unwrap().remove("annotations");
    let linux_manifest = b"{\"schemaVersion\":2}";
    let linux_entry = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": blob(&layout, linux_manifest), "size": linux_manifest.len(),
        "platform": { "architecture": "amd64", "os": "linux" },
    });
    let nested = |entries: Vec<serde_json::Value>| {
        let bytes = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries,
        }))
        .unwrap();
        let digest = blob(&layout, &bytes);
        let mut entry = descriptor("application/vnd.oci.image.index.v1+json", &bytes, &digest);
        entry["annotations"] = serde_json::json!({ "org.opencontainers.image.ref.name": "multi" });
        entry
    };
    let both = nested(vec![linux_entry.clone(), wasm_entry]);
    let linux_only = nested(vec![linux_entry]);
    std::fs::write(
        &index_path,
        serde_json::to_vec(&serde_json::json!({ "schemaVersion": 2, "manifests": [both] }))
            .unwrap(),
    )
    .unwrap();
    let image = open(&layout.to_string_lossy(), dir.path()).unwrap();
    assert_eq!(image.manifest_digest(), Some(&wasm));

    let mut linux_only = linux_only;
    linux_only["annotations"]["org.opencontainers.image.ref.name"] = "linux".into();
    add_to_index(&layout, linux_only);
    let err = open(&format!("{}:linux", layout.display()), dir.path()).unwrap_err();
    assert!(matches!(err, Error::NoWasmPlatform { .. }), "{err}");
    assert!(
        err.to_string().contains("no wasi/wasm platform")
            && err.to_string().contains("linux/amd64"),
        "{err}"
    );

    // A manifest whose config says linux is refused as well.
    let linux_config = serde_json::json!({ "architecture": "amd64", "os": "linux", "rootfs": { "type": "layers", "diff_ids": [] } });
    write_image(&dir.path().join("linux"), &[], (IMAGE_CONFIG, linux_config), "latest", false);
    let err = open(&path(dir.path(), "linux"), dir.path()).unwrap_err().to_string();
    assert!(err.contains("no wasi/wasm platform") && err.contains("linux/amd64"), "{err}");
}

#[test]
fn layers_flatten_in_order_with_whiteouts() {
    let dir = tempfile::tempdir().unwrap();
    let lower = tar(&[
        Entry::File("app.wasm", &guest()),
        Entry::File("etc/greeting", b"lower\n"),
        Entry::File("data/keep", b"1"),
        Entry::File("data/drop", b"2"),
        Entry::File("opaque/old", b"3"),
        Entry::File("bin/tool", b"4"),
        Entry::Symlink("bin/link", "/bin/tool"),
        Entry::HardLink("bin/hard", "bin/tool"),
    ]);
    let upper = tar(&[
        Entry::File("etc/greeting", b"upper\n"),
        Entry::File("data/.wh.drop", b""),
        Entry::File("opaque/new", b"5"),
        Entry::File("opaque/.wh..wh..opq", b""),
        Entry::File(".wh.missing", b""),
    ]);
    let layout = dir.path().join("layers");
    write_image(
        &layout,
        &[(TAR_GZIP, gzip(&lower)), (TAR, upper.clone())],
        (
            IMAGE_CONFIG,
            config(
                serde_json::json!({ "Entrypoint": ["/app.wasm"] }),
                &[sha256(&lower), sha256(&upper)],
            ),
        ),
        "latest",
        true,
    );
    let image = open(&layout.to_string_lossy(), dir.path()).unwrap();
    let root = image.rootfs();
    assert_eq!(std::fs::read_to_string(root.join("etc/greeting")).unwrap(), "upper\n");
    assert!(root.join("data/keep").exists());
    assert!(!root.join("data/drop").exists(), "a whiteout deletes from the layer below");
    assert!(!root.join("opaque/old").exists(), "an opaque whiteout empties the directory below");
    assert!(root.join("opaque/new").exists(), "but keeps what its own layer adds");
    assert!(!root.join("data/.wh.drop").exists() && !root.join("opaque/.wh..wh..opq").exists());
    // An absolute symlink target is made relative to the image root.
    assert_eq!(std::fs::read_link(root.join("bin/link")).unwrap(), PathBuf::from("../bin/tool"));
    assert_eq!(std::fs::read(root.join("bin/hard")).unwrap(), b"4");
    let command = image.command(&RunOptions::default()).unwrap();
    assert_eq!(
        run(&command, engines()[0]).1,
        expected(&["/app.wasm"], &[], Some("upper\n"), false)
    );
}

#[test]
fn entrypoints_resolve_like_a_container_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    // A bare name is looked up on the image's PATH.
    pack(
        &guest(),
        &layout,
        &PackOptions {
            module_path: "/opt/tools/guest.wasm".into(),
            entrypoint: Some(vec!["guest.wasm".into()]),
            env: vec!["PATH=/usr/bin:/opt/tools".into()],
            working_dir: Some("/work/dir".into()),
            ..guest_options("path")
        },
    )
    .unwrap();
    let image = open(&format!("{}:path", layout.display()), dir.path()).unwrap();
    assert!(image.rootfs().join("work/dir").is_dir(), "the working directory is created");
    let command = image.command(&RunOptions::default()).unwrap();
    assert_eq!(
        run(&command, engines()[0]).1,
        expected(&["guest.wasm", "a", "b"], &["PATH=/usr/bin:/opt/tools"], Some(GREETING), false)
    );

    // Without an entrypoint, ARGS name the program (relative to WorkingDir).
    pack(
        &guest(),
        &layout,
        &PackOptions {
            module_path: "/srv/guest.wasm".into(),
            entrypoint: Some(Vec::new()),
            cmd: Vec::new(),
            working_dir: Some("/srv".into()),
            ..guest_options("noentry")
        },
    )
    .unwrap();
    let image = open(&format!("{}:noentry", layout.display()), dir.path()).unwrap();
    assert!(matches!(image.command(&RunOptions::default()), Err(Error::NoEntrypoint(_))));
    let err = image.command(&RunOptions::default()).unwrap_err().to_string();
    assert!(err.contains("has no entrypoint"), "{err}");
    let command = image
        .command(&RunOptions {
            args: Some(vec!["./guest.wasm".into(), "z".into()]),
            ..RunOptions::default()
        })
        .unwrap();
    assert!(run(&command, engines()[0]).1.starts_with("args:\n./guest.wasm\nz\n"));
}

#[test]
fn bad_images_fail_with_one_line_that_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let layout = dir.path().join(name);
        let digest = pack(&guest(), &layout, &guest_options("v1")).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(layout.join("blobs/sha256").join(digest.digest())).unwrap(),
        )
        .unwrap();
        let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_string();
        (layout.clone(), layout.join("blobs/sha256").join(&layer[7..]), layer)
    };
    let check = |text: &str, needles: &[&str]| {
        let err = open(text, dir.path()).map(|_| ()).unwrap_err().to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        for needle in needles {
            assert!(err.contains(needle), "`{needle}` not in: {err}");
        }
    };

    let (layout, blob_path, layer) = fresh("missing");
    std::fs::remove_file(&blob_path).unwrap();
    check(&layout.to_string_lossy(), &["missing blob", &layer]);

    let (layout, blob_path, layer) = fresh("corrupt");
    let mut bytes = std::fs::read(&blob_path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob_path, &bytes).unwrap();
    check(&layout.to_string_lossy(), &["digest mismatch", &layer]);

    let (layout, blob_path, layer) = fresh("truncated");
    let bytes = std::fs::read(&blob_path).unwrap();
    std::fs::write(&blob_path, &bytes[..bytes.len() - 1]).unwrap();
    check(&layout.to_string_lossy(), &["size mismatch", &layer]);

    let empty = config(serde_json::json!({ "Entrypoint": ["/x.wasm"] }), &[]);
    write_image(
        &dir.path().join("mediatype"),
        &[("application/x-strange", b"?".to_vec())],
        (IMAGE_CONFIG, empty.clone()),
        "latest",
        true,
    );
    check(
        &path(dir.path(), "mediatype"),
        &["unsupported media type `application/x-strange`", "layer 1"],
    );
    write_image(
        &dir.path().join("configtype"),
        &[],
        ("application/x-config", empty),
        "latest",
        true,
    );
    check(
        &path(dir.path(), "configtype"),
        &["unsupported media type `application/x-config`", "config"],
    );

    check(&path(dir.path(), "nowhere"), &["nowhere"]);
    std::fs::create_dir_all(dir.path().join("emptyindex")).unwrap();
    std::fs::write(
        dir.path().join("emptyindex/index.json"),
        r#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    check(&path(dir.path(), "emptyindex"), &["holds no image"]);
    std::fs::write(dir.path().join("emptyindex/index.json"), "{ not json").unwrap();
    check(&path(dir.path(), "emptyindex"), &["invalid", "index.json"]);

    // The entrypoint must be a WebAssembly core module.
    let layout = dir.path().join("notwasm");
    let text_options =
        PackOptions { entrypoint: Some(vec!["/etc/greeting".into()]), ..guest_options("text") };
    pack(&guest(), &layout, &text_options).unwrap();
    let missing =
        PackOptions { entrypoint: Some(vec!["/nope.wasm".into()]), ..guest_options("missing") };
    pack(&guest(), &layout, &missing).unwrap();
    let mut component = b"\0asm\x0d\x00\x01\x00".to_vec();
    component.extend_from_slice(&[0; 8]);
    let comp = PackOptions {
        entrypoint: Some(vec!["/c.wasm".into()]),
        files: vec![("/c.wasm".into(), component)],
        ..guest_options("component")
    };
    pack(&guest(), &layout, &comp).unwrap();
    for (tag, needle) in [
        ("text", "does not start with the WebAssembly magic"),
        ("missing", "no such file in the image"),
        ("component", "is a WebAssembly component"),
    ] {
        let image = open(&format!("{}:{tag}", layout.display()), dir.path()).unwrap();
        let err = image.command(&RunOptions::default()).unwrap_err();
        assert!(matches!(err, Error::NotWasm { .. }), "{tag}: {err}");
        assert!(err.to_string().contains(needle), "{tag}: {err}");
    }

    // Nothing half-unpacked is left behind by the failures above: only the complete root
    // filesystems of the images that opened.
    for entry in rootfs_entries(dir.path()) {
        assert!(!entry.starts_with(".tmp"), "leftover {entry}");
    }
}

#[test]
fn hostile_layers_are_refused_and_write_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), "untouched").unwrap();
    let outside_abs = outside.to_string_lossy().into_owned();
    let victim_abs = format!("{outside_abs}/victim");
    let module = guest();
    let cases: Vec<(&str, Vec<Entry<'_>>, &str)> = vec![
        ("dotdot", vec![Entry::File("../../../outside/pwned", b"x")], "`..`"),
        ("nested-dotdot", vec![Entry::File("a/../../outside/pwned", b"x")], "`..`"),
        ("absolute", vec![Entry::File(&victim_abs, b"x")], "absolute path"),
        (
            "symlink-escape",
            vec![Entry::Symlink("link", "../../../../../.."), Entry::File("link/pwned", b"x")],
            "points outside",
        ),
        ("symlink-up", vec![Entry::Symlink("up", "..")], "points outside"),
        (
            "symlink-chain",
            vec![
                Entry::Symlink("a", "."),
                Entry::Symlink("b", "a/.."),
                Entry::File("b/outside/pwned", b"x"),
            ],
            "outside the image root",
        ),
        (
            "symlink-chain-dangling",
            vec![Entry::Symlink("a", "."), Entry::Symlink("b", "a/..")],
            "outside the image root",
        ),
        ("hardlink-escape", vec![Entry::HardLink("h", "../../outside/victim")], "hard link"),
        ("hardlink-absolute", vec![Entry::HardLink("h", &victim_abs)], "hard link"),
        (
            "hardlink-dir",
            vec![Entry::Dir("d"), Entry::HardLink("h", "d")],
            "hard link to a directory",
        ),
        ("char-device", vec![Entry::CharDevice("dev/null")], "device file"),
        ("block-device", vec![Entry::BlockDevice("dev/sda")], "device file"),
        ("fifo", vec![Entry::Fifo("pipe")], "FIFO"),
        ("whiteout-dotdot", vec![Entry::File("../.wh.victim", b"")], "`..`"),
    ];
    for (name, mut entries, needle) in cases {
        entries.insert(0, Entry::File("app.wasm", &module));
        let layer = tar(&entries);
        let layout = dir.path().join(name);
        write_image(
            &layout,
            &[(TAR, layer.clone())],
            (
                IMAGE_CONFIG,
                config(serde_json::json!({ "Entrypoint": ["/app.wasm"] }), &[sha256(&layer)]),
            ),
            "latest",
            true,
        );
        let err = open(&layout.to_string_lossy(), dir.path()).map(|_| ()).unwrap_err();
        assert!(matches!(err, Error::UnsafeEntry { .. }), "{name}: {err}");
        let text = err.to_string();
        assert!(text.starts_with("refusing layer 1") && text.contains(needle), "{name}: {text}");
        assert_eq!(text.lines().count(), 1);
    }
    // An archive whose own entries escape is refused the same way.
    let archive = dir.path().join("hostile.tar");
    std::fs::write(
        &archive,
        tar(&[Entry::File("index.json", b"{}"), Entry::File("../../outside/pwned", b"x")]),
    )
    .unwrap();
    let err = open(&archive.to_string_lossy(), dir.path()).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("refusing") && err.contains("`..`"), "{err}");

    let mut left: Vec<String> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["victim"], "nothing was written outside");
    assert_eq!(std::fs::read_to_string(outside.join("victim")).unwrap(), "untouched");
    assert!(
        rootfs_entries(dir.path()).is_empty(),
        "no root filesystem was kept: {:?}",
        rootfs_entries(dir.path())
    );
    let tmp = dir.path().join("store/tmp");
    let leftovers: Vec<_> = std::fs::read_dir(&tmp).map(|d| d.collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn without_a_store_images_unpack_into_a_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    pack(&guest(), &dir.path().join("img"), &guest_options("v1")).unwrap();
    let options =
        OpenOptions { store: None, pull: PullPolicy::Never, registry: Default::default() };
    let image = Image::open(&Source::parse(&path(dir.path(), "img")).unwrap(), &options).unwrap();
    let rootfs = image.rootfs().to_path_buf();
    assert!(rootfs.join("etc/greeting").exists());
    drop(image);
    assert!(!rootfs.exists(), "the temporary root filesystem goes with the image");
}

#[test]
fn packing_is_deterministic_and_checks_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = pack(&guest(), &dir.path().join("a"), &guest_options("v1")).unwrap();
    let b = pack(&guest(), &dir.path().join("b"), &guest_options("v1")).unwrap();
    assert_eq!(a, b);
    let err = pack(b"(module)", &dir.path().join("c"), &PackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not a WebAssembly binary"), "{err}");
    let err = pack(
        &guest(),
        &dir.path().join("c"),
        &PackOptions { tag: "bad tag".into(), ..PackOptions::default() },
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a valid tag"), "{err}");
    let err = pack(
        &guest(),
        &dir.path().join("c"),
        &PackOptions { module_path: "rel.wasm".into(), ..PackOptions::default() },
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be absolute"), "{err}");
    assert!(!dir.path().join("c").exists(), "nothing written for refused input");
    std::fs::create_dir(dir.path().join("busy")).unwrap();
    std::fs::write(dir.path().join("busy/file"), "x").unwrap();
    let err = pack(&guest(), &dir.path().join("busy"), &PackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not an OCI image layout"), "{err}");
}
