//! `wasmux oci pack|push`, `wasmux pull` and `wasmux run IMAGE`, driven as a user would, on
//! every engine compiled in; registry tests use a real registry on loopback and fail (never
//! skip) when it is not installed.

mod common;

use common::{assert_one_line_error, stderr, stdout};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use wasmux_oci::testing::{GUEST_WAT, Registry};

/// Exit status of a refused image (`exit::IMAGE`).
const IMAGE: i32 = 72;

/// A scratch directory with the guest, a greeting file and an image store of its own.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("guest.wat"), GUEST_WAT).expect("write guest");
        std::fs::write(dir.path().join("greeting.txt"), "hello from the image\n")
            .expect("write greeting");
        Scratch { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = common::wasmux_command();
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("WASMUX_OCI_DIR", self.dir.path().join("store"))
            .env_remove("WASMUX_REGISTRY_USERNAME")
            .env_remove("WASMUX_REGISTRY_PASSWORD")
            .stdin(Stdio::null());
        command
    }

    fn wasmux(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the wasmux binary runs")
    }

    /// Packs the guest as `img:TAG` (entrypoint /bin/guest.wasm, Cmd `a b`, GREETING=hi,
    /// /etc/greeting).
    fn pack(&self, tag: &str) {
        let output = self.wasmux(&[
            "oci",
            "pack",
            "guest.wat",
            "-o",
            "img",
            "--tag",
            tag,
            "--path",
            "/bin/guest.wasm",
            "--cmd",
            "a",
            "--cmd",
            "b",
            "--env",
            "GREETING=hi",
            "--add",
            "greeting.txt::/etc/greeting",
        ]);
        assert!(output.status.success(), "pack: {}", stderr(&output));
        assert!(stdout(&output).starts_with("sha256:"), "{}", stdout(&output));
    }
}

fn expected(args: &[&str], env: &[&str], write: &str) -> String {
    let mut out = String::from("args:\n");
    for line in args {
        out += line;
        out += "\n";
    }
    out += "env:\n";
    for line in env {
        out += line;
        out += "\n";
    }
    out + "greeting:\nhello from the image\nwrite:\n" + write + "\n"
}

fn engines(scratch: &Scratch) -> Vec<String> {
    let output = scratch.wasmux(&["engines", "--json"]);
    let infos: serde_json::Value = serde_json::from_slice(&output.stdout).expect("engines JSON");
    let names: Vec<String> = infos
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| i["name"].as_str().expect("a name").to_string())
        .collect();
    assert!(!names.is_empty());
    names
}

fn run_ok(scratch: &Scratch, args: &[&str]) -> String {
    let output = scratch.wasmux(args);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn packed_images_run_from_layouts_and_archives_on_every_engine() {
    let scratch = Scratch::new();
    scratch.pack("v1");
    let default = expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], "denied");
    for engine in engines(&scratch) {
        assert_eq!(run_ok(&scratch, &["run", "--engine", &engine, "img:v1"]), default, "{engine}");
        assert_eq!(
            run_ok(
                &scratch,
                &["run", "--engine", &engine, "--env", "EXTRA=1", "img", "x", "--flag"]
            ),
            expected(&["/bin/guest.wasm", "x", "--flag"], &["GREETING=hi", "EXTRA=1"], "denied"),
            "{engine}: ARGS replace Cmd, --env adds to Env"
        );
        let rw = scratch.path(&format!("rw-{engine}"));
        assert_eq!(
            run_ok(&scratch, &["run", "--engine", &engine, "--writable-rootfs", &rw, "img"]),
            expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], "ok")
        );
        assert_eq!(
            std::fs::read_to_string(Path::new(&rw).join("out.txt")).expect("written"),
            "written\n"
        );
    }

    // An OCI archive: a tar of the layout.
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", scratch.dir.path().join("img")).expect("tar the layout");
    std::fs::write(scratch.dir.path().join("img.tar"), builder.into_inner().expect("tar"))
        .expect("write archive");
    assert_eq!(run_ok(&scratch, &["run", "img.tar:v1"]), default);
    assert_eq!(run_ok(&scratch, &["run", "oci-archive:img.tar"]), default);

    let inspect = scratch.wasmux(&["oci", "inspect", "img:v1"]);
    let json: serde_json::Value = serde_json::from_slice(&inspect.stdout).expect("inspect JSON");
    assert_eq!(json["argv"], serde_json::json!(["/bin/guest.wasm", "a", "b"]));
    assert_eq!(json["layers"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_images_end_with_one_line_and_the_image_status() {
    let scratch = Scratch::new();
    scratch.pack("v1");
    assert_one_line_error(&scratch.wasmux(&["run", "img:v2"]), IMAGE, "no image tagged `v2`");

    let output = scratch.wasmux(&[
        "oci",
        "pack",
        "guest.wat",
        "-o",
        "img",
        "--tag",
        "text",
        "--entrypoint",
        "/etc/greeting",
        "--add",
        "greeting.txt::/etc/greeting",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_one_line_error(
        &scratch.wasmux(&["run", "img:text"]),
        IMAGE,
        "is not a WebAssembly module",
    );

    // A corrupt blob: every blob is checked before use.
    let blobs = scratch.dir.path().join("img/blobs/sha256");
    for entry in std::fs::read_dir(&blobs).expect("blobs") {
        let path = entry.expect("entry").path();
        let mut bytes = std::fs::read(&path).expect("blob");
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let last = bytes.len() - 1;
            bytes[last] ^= 0xff;
            std::fs::write(&path, bytes).expect("corrupt");
        }
    }
    assert_one_line_error(&scratch.wasmux(&["run", "img:v1"]), IMAGE, "digest mismatch");

    // A hostile archive.
    let mut header = tar::Header::new_ustar();
    header.as_old_mut().name[..12].copy_from_slice(b"../../escape");
    header.set_size(1);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &b"x"[..]).expect("append");
    std::fs::write(scratch.dir.path().join("evil.tar"), builder.into_inner().expect("tar"))
        .expect("write");
    assert_one_line_error(&scratch.wasmux(&["run", "evil.tar"]), IMAGE, "refusing");
    for place in ["escape", "store/escape", "store/tmp/escape"] {
        assert!(!scratch.dir.path().join(place).exists(), "{place} was written");
    }

    // Packing an artifact or garbage is refused before anything is written.
    std::fs::write(scratch.dir.path().join("bad.wat"), "(module").expect("write");
    let output = scratch.wasmux(&["oci", "pack", "bad.wat", "-o", "never"]);
    assert_eq!(output.status.code(), Some(65), "{}", stderr(&output));
    assert!(!scratch.dir.path().join("never").exists());
}

#[test]
fn push_pull_run_through_a_registry_on_every_engine() {
    let mut registry = Registry::start();
    let scratch = Scratch::new();
    scratch.pack("v1");
    let reference = registry.reference("cli/guest:v1");
    let pushed = scratch.wasmux(&["oci", "push", "img:v1", &reference]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    assert!(stdout(&pushed).starts_with(&format!("{reference}@sha256:")), "{}", stdout(&pushed));

    let first = run_ok(&scratch, &["pull", &reference]);
    assert!(first.contains("2 blobs downloaded"), "{first}");
    let second = run_ok(&scratch, &["pull", &reference]);
    assert!(second.contains("0 blobs downloaded, 2 already stored"), "{second}");
    let default = expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], "denied");
    for engine in engines(&scratch) {
        assert_eq!(
            run_ok(&scratch, &["run", "--engine", &engine, &reference]),
            default,
            "{engine}"
        );
    }

    // Run pulls what is missing.
    let other = Scratch::new();
    assert_eq!(
        run_ok(&other, &["run", &reference, "fresh"]),
        expected(&["/bin/guest.wasm", "fresh"], &["GREETING=hi"], "denied")
    );

    registry.stop();
    assert_eq!(
        run_ok(&scratch, &["run", &reference]),
        default,
        "a stored image runs without its registry"
    );
    assert_one_line_error(
        &scratch.wasmux(&["run", "--pull", "always", &reference]),
        IMAGE,
        "cannot connect",
    );
    assert_one_line_error(&scratch.wasmux(&["pull", &reference]), IMAGE, registry.addr());
}

#[test]
fn registries_with_basic_authentication() {
    let registry = Registry::start_with_auth("alice", "s3cret");
    let scratch = Scratch::new();
    scratch.pack("v1");
    let reference = registry.reference("private/guest:v1");
    assert_one_line_error(&scratch.wasmux(&["oci", "push", "img", &reference]), IMAGE, "401");

    let mut push = scratch.command(&[
        "oci",
        "push",
        "--username",
        "alice",
        "--password-stdin",
        "img",
        &reference,
    ]);
    let mut child = push
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"s3cret\n").expect("password");
    let output = child.wait_with_output().expect("push");
    assert!(output.status.success(), "{}", stderr(&output));

    assert_one_line_error(&scratch.wasmux(&["run", &reference]), IMAGE, "needs credentials");
    let output = scratch
        .command(&["run", &reference])
        .env("WASMUX_REGISTRY_USERNAME", "alice")
        .env("WASMUX_REGISTRY_PASSWORD", "s3cret")
        .output()
        .expect("run");
    assert_eq!(
        stdout(&output),
        expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], "denied"),
        "{}",
        stderr(&output)
    );
}

/// Standard OCI tooling (skopeo) copies what `oci pack` writes, and wasmux runs what it copies.
#[test]
fn skopeo_copies_packed_images_both_ways() {
    let skopeo = ["/usr/bin/skopeo", "/usr/local/bin/skopeo"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .unwrap_or_else(|| {
            panic!("skopeo is needed to check interoperability: apt-get install -y skopeo")
        });
    let registry = Registry::start();
    let scratch = Scratch::new();
    scratch.pack("v1");
    let reference = registry.reference("skopeo/guest:v1");
    let copy = |from: &str, to: &str| {
        let output = Command::new(skopeo)
            .args([
                "--insecure-policy",
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                from,
                to,
            ])
            .current_dir(scratch.dir.path())
            .output()
            .expect("skopeo runs");
        assert!(output.status.success(), "skopeo copy {from} {to}: {}", stderr(&output));
    };
    copy("oci:img:v1", &format!("docker://{reference}"));
    let default = expected(&["/bin/guest.wasm", "a", "b"], &["GREETING=hi"], "denied");
    assert_eq!(run_ok(&scratch, &["run", &reference]), default);
    copy(&format!("docker://{reference}"), "oci:copied:v2");
    assert_eq!(run_ok(&scratch, &["run", "copied:v2"]), default);
}
