//! The shim under a real containerd: images imported with `ctr image import`, containers run
//! with `ctr run --runtime io.containerd.wasmux.v1`, on every engine, through runc for a
//! native entrypoint, with bad input, and nothing left behind.
//!
//! Needs root, overlayfs, and Debian's `containerd`, `runc` and `busybox-static`
//! (`scripts/install-test-deps` installs them). Where any is missing the test fails, saying
//! what is missing: it never passes without running.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::containerd::{Containerd, describe, shim_processes};
use support::image::{ImageSpec, write_archive};
use wasmux::cache::Cache;

const SHIM: &str = env!("CARGO_BIN_EXE_containerd-shim-wasmux-v1");
const RUNTIME: &str = "io.containerd.wasmux.v1";
/// Where containerd-shim puts every shim's socket, whichever containerd started it.
const SHIM_SOCKETS: &str = "/run/containerd/s";
/// Where `ctr` makes a task's FIFOs, whichever containerd it talks to.
const CTR_FIFOS: &str = "/run/containerd/fifo";
const BUSYBOX: &str = "/bin/busybox";

#[test]
fn containers_run_under_a_real_containerd() {
    check_machine();
    let sockets_before = entries(SHIM_SOCKETS);
    let fifos_before = entries(CTR_FIFOS);
    let cache_dir = tempfile::tempdir().expect("cache dir");
    let mut containerd =
        Containerd::start(Path::new(SHIM), &[("WASMUX_CACHE_DIR", cache_dir.path())]);
    let started = Instant::now();
    import_images(&containerd);

    the_image_decides_what_runs(&containerd);
    the_spec_gives_mounts_working_dir_read_only_root_and_memory_limit(&containerd);
    each_engine_runs_hello_and_the_cache_serves_the_second_start(&containerd, cache_dir.path());
    a_detached_endless_guest_is_killed(&containerd);
    a_trapping_guest_fails_its_container_alone(&containerd);
    a_pods_containers_share_a_shim_that_outlives_a_crashing_guest(&containerd);
    a_native_entrypoint_runs_under_runc(&containerd);
    bad_input_fails_clearly_and_the_next_container_runs(&containerd);

    nothing_is_left(&containerd, &sockets_before, &fifos_before);
    containerd.stop();
    assert_eq!(
        shim_processes(Path::new(SHIM)),
        Vec::<u32>::new(),
        "shim processes outlived containerd"
    );
    eprintln!("containerd scenarios took {:.1} s", started.elapsed().as_secs_f64());
}

/// Root, overlayfs and the programs: without them the test cannot run, and says why.
fn check_machine() {
    let mut missing = Vec::new();
    let euid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    if euid.ok() != Some(0) {
        missing.push("root (containerd and runc need it)".to_string());
    }
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if !filesystems.lines().any(|l| l.ends_with("\toverlay")) {
        missing.push("the overlay filesystem (containerd's snapshotter)".into());
    }
    for program in ["containerd", "ctr", "runc"] {
        if !on_path(program) {
            missing.push(format!("`{program}` on PATH"));
        }
    }
    if !Path::new(BUSYBOX).is_file() {
        missing.push(format!("{BUSYBOX} (Debian's busybox-static)"));
    }
    assert!(
        missing.is_empty(),
        "this machine cannot run the containerd test: missing {}; run scripts/install-test-deps as root",
        missing.join(", ")
    );
}

fn on_path(program: &str) -> bool {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .any(|dir| Path::new(dir).join(program).is_file())
}

fn wasm(wat_file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(wat_file);
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import_images(containerd: &Containerd) {
    let probe = wasm("tests/guests/probe.wat");
    let hello = wasm("../examples/hello.wat");
    let endless = wasm("tests/guests/endless.wat");
    let trap = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#,
    )
    .expect("trap WAT");
    let busybox = std::fs::read(BUSYBOX).expect("read busybox");
    let greeting: &[u8] = b"hello from the rootfs\n";
    let broken: &[u8] = b"\0asm\x01\0\0\0\x01\xff\xff";
    let images = [
        ImageSpec {
            name: "docker.io/wasmux/probe:wasip1",
            os: "wasip1",
            architecture: "wasm",
            entrypoint: &["/bin/probe.wasm"],
            cmd: &["from-cmd"],
            env: &["PATH=/bin", "GREETING=from-image"],
            user: "",
            files: vec![("bin/probe.wasm", &probe[..], 0o755), ("etc/greeting", greeting, 0o644)],
        },
        // Docker's platform for Wasm, an entrypoint found on the image's PATH, and a user.
        ImageSpec {
            name: "docker.io/wasmux/probe:wasi",
            os: "wasi",
            architecture: "wasm",
            entrypoint: &["probe.wasm"],
            cmd: &[],
            env: &["PATH=/usr/bin:/bin"],
            user: "1000:1000",
            files: vec![("bin/probe.wasm", &probe[..], 0o755), ("etc/greeting", greeting, 0o644)],
        },
        wasm_image(
            "docker.io/wasmux/hello:latest",
            &["/hello.wasm"],
            vec![("hello.wasm", &hello[..], 0o755)],
        ),
        wasm_image(
            "docker.io/wasmux/endless:latest",
            &["/endless.wasm"],
            vec![("endless.wasm", &endless[..], 0o755)],
        ),
        wasm_image(
            "docker.io/wasmux/trap:latest",
            &["/trap.wasm"],
            vec![("trap.wasm", &trap[..], 0o755)],
        ),
        wasm_image(
            "docker.io/wasmux/no-entrypoint:latest",
            &[],
            vec![("hello.wasm", &hello[..], 0o755)],
        ),
        wasm_image(
            "docker.io/wasmux/missing:latest",
            &["/missing.wasm"],
            vec![("hello.wasm", &hello[..], 0o755)],
        ),
        wasm_image(
            "docker.io/wasmux/broken:latest",
            &["/broken.wasm"],
            vec![("broken.wasm", broken, 0o755)],
        ),
        ImageSpec {
            name: "docker.io/wasmux/busybox:latest",
            os: "linux",
            architecture: "amd64",
            entrypoint: &["/bin/busybox"],
            cmd: &["echo", "hello from runc"],
            env: &["PATH=/bin"],
            user: "",
            files: vec![("bin/busybox", &busybox[..], 0o755)],
        },
    ];
    let scratch = containerd.scratch();
    for (i, image) in images.iter().enumerate() {
        let archive = scratch.join(format!("image-{i}.tar"));
        write_archive(image, &archive);
        let archive = archive.to_str().expect("UTF-8 path");
        let platform = format!("{}/{}", image.os, image.architecture);
        containerd.ctr_ok(&["image", "import", "--platform", &platform, archive]);
    }
}

fn wasm_image<'a>(
    name: &'a str,
    entrypoint: &'a [&'a str],
    files: Vec<(&'a str, &'a [u8], u32)>,
) -> ImageSpec<'a> {
    ImageSpec {
        name,
        os: "wasip1",
        architecture: "wasm",
        entrypoint,
        cmd: &[],
        env: &[],
        user: "",
        files,
    }
}

/// `ctr run --rm` of `image` as container `id` on the shim, with `extra` options: its output.
fn run(
    containerd: &Containerd,
    platform: &str,
    extra: &[&str],
    image: &str,
    id: &str,
) -> std::process::Output {
    let mut args = vec!["run", "--rm", "--runtime", RUNTIME, "--platform", platform];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[image, id]);
    containerd.ctr(&args)
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Entrypoint, Cmd, Env and User from the image, argv[0] as the image names it, the root
/// filesystem as `/`, stdout, stderr and the exit status through containerd.
fn the_image_decides_what_runs(containerd: &Containerd) {
    let output = run(
        containerd,
        "wasip1/wasm",
        &["--env", "EXTRA=from-ctr"],
        "docker.io/wasmux/probe:wasip1",
        "probe-wasip1",
    );
    assert_eq!(output.status.code(), Some(7), "{}", describe(&output));
    let out = stdout(&output);
    assert!(out.starts_with("arg: /bin/probe.wasm\narg: from-cmd\nenv: "), "{out}");
    for line in
        ["env: GREETING=from-image\n", "env: EXTRA=from-ctr\n", "file: hello from the rootfs\n"]
    {
        assert!(out.contains(line), "no {line:?} in stdout:\n{out}");
    }
    assert_eq!(stderr(&output), "probe stderr\n");

    let output = run(containerd, "wasi/wasm", &[], "docker.io/wasmux/probe:wasi", "probe-wasi");
    assert_eq!(output.status.code(), Some(7), "{}", describe(&output));
    let out = stdout(&output);
    assert!(out.starts_with("arg: probe.wasm\nenv: "), "{out}");
    // User 1000 may read the root filesystem, not create files in root's `/`.
    assert!(out.contains("file: hello from the rootfs\npreopen: / read-only\n"), "{out}");
}

/// `--mount` (a bind mount) becomes a preopen at its destination, `--cwd` a `.` preopen,
/// `--read-only` a read-only root, `--memory-limit` the guest's memory limit.
fn the_spec_gives_mounts_working_dir_read_only_root_and_memory_limit(containerd: &Containerd) {
    let data = containerd.scratch().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::write(data.join("greeting"), "from the bind mount\n").expect("greeting");
    let mount = format!("type=bind,src={},dst=/data,options=rbind:ro", data.display());
    let options = ["--read-only", "--mount", &mount, "--cwd", "/etc", "--memory-limit", "2097152"];
    let output =
        run(containerd, "wasip1/wasm", &options, "docker.io/wasmux/probe:wasip1", "probe-spec");
    assert_eq!(output.status.code(), Some(7), "{}", describe(&output));
    let out = stdout(&output);
    let expected = "preopen: / read-only\n\
                    preopen: /data read-only greeting: from the bind mount\n\
                    preopen: . read-only greeting: hello from the rootfs\n\
                    grow: refused\n";
    assert!(out.ends_with(expected), "stdout does not end with\n{expected}:\n{out}");
}

fn each_engine_runs_hello_and_the_cache_serves_the_second_start(
    containerd: &Containerd,
    cache_dir: &Path,
) {
    let cache = Cache::open(cache_dir, Cache::DEFAULT_MAX_BYTES);
    let counts = || {
        let stats = cache.stats().expect("cache stats");
        (stats.entries, stats.hits, stats.misses)
    };
    let (entries, hits, misses) = counts();
    for engine in ["wasmtime", "wasmer", "wasmi"] {
        let id = format!("hello-{engine}");
        let annotation = format!("run.wasmux.engine={engine}");
        let output = run(
            containerd,
            "wasip1/wasm",
            &["--annotation", &annotation],
            "docker.io/wasmux/hello:latest",
            &id,
        );
        assert!(output.status.success(), "{engine}: {}", describe(&output));
        assert_eq!(stdout(&output), "Hello from WebAssembly!\n", "{engine}");
        let logged = format!("container {id}: /hello.wasm on {engine}");
        assert!(
            containerd.log().contains(&logged),
            "containerd's log has no {logged:?}:\n{}",
            containerd.log()
        );
    }
    // wasmtime and wasmer each compiled hello once; wasmi interprets and bypasses the cache.
    assert_eq!(counts(), (entries + 2, hits, misses + 2), "the cache after hello on each engine");
    let output =
        run(containerd, "wasip1/wasm", &[], "docker.io/wasmux/hello:latest", "hello-again");
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(stdout(&output), "Hello from WebAssembly!\n");
    assert_eq!(counts(), (entries + 2, hits + 1, misses + 2), "the second start compiled again");
}

fn a_detached_endless_guest_is_killed(containerd: &Containerd) {
    let id = "endless";
    run_detached(containerd, &[], "docker.io/wasmux/endless:latest", id);
    wait_for_status(containerd, id, "RUNNING");
    let processes = containerd.ctr_ok(&["task", "ps", id]);
    assert_eq!(processes.lines().count(), 2, "one process expected:\n{processes}");
    containerd.ctr_ok(&["task", "kill", id]);
    wait_for_status(containerd, id, "STOPPED");
    // `ctr task delete` reports the task's status: 128 + SIGTERM.
    let output = containerd.ctr(&["task", "delete", id]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(stderr(&output).contains("exit code 143"), "{}", describe(&output));
    containerd.ctr_ok(&["container", "delete", id]);
}

fn a_trapping_guest_fails_its_container_alone(containerd: &Containerd) {
    let output = run(containerd, "wasip1/wasm", &[], "docker.io/wasmux/trap:latest", "trap");
    // 128 + SIGABRT, as `wasmux run` and wasmtime's CLI report a trap.
    assert_eq!(output.status.code(), Some(134), "{}", describe(&output));
    assert!(stderr(&output).starts_with("wasmux: guest trapped: "), "{}", describe(&output));
}

/// Containers of one pod (the CRI's sandbox annotation) are served by one shim process: a
/// guest that traps there ends its own container, not the shim or its neighbour.
fn a_pods_containers_share_a_shim_that_outlives_a_crashing_guest(containerd: &Containerd) {
    let pod = ["--annotation", "io.kubernetes.cri.sandbox-id=pod-1"];
    run_detached(containerd, &pod, "docker.io/wasmux/endless:latest", "pod-endless");
    wait_for_status(containerd, "pod-endless", "RUNNING");
    // The shim and the endless guest's process.
    let processes = shim_processes(Path::new(SHIM));
    assert_eq!(processes.len(), 2, "{processes:?}");

    let output = run(containerd, "wasip1/wasm", &pod, "docker.io/wasmux/trap:latest", "pod-trap");
    assert_eq!(output.status.code(), Some(134), "{}", describe(&output));
    assert_eq!(shim_processes(Path::new(SHIM)), processes, "the pod's shim changed");
    let shim_of = |id: &str| {
        let log = containerd.log();
        let line = format!("created container {id} (pid ");
        let at = log.find(&line).unwrap_or_else(|| panic!("no {line:?} in containerd's log"));
        let rest = &log[at..];
        let shim = rest.split(" in shim ").nth(1).and_then(|r| r.split(['"', '\n']).next());
        shim.map(str::to_string).unwrap_or_default()
    };
    assert_eq!(shim_of("pod-trap"), shim_of("pod-endless"), "the pod's containers had two shims");
    wait_for_status(containerd, "pod-endless", "RUNNING");

    containerd.ctr_ok(&["task", "kill", "--signal", "SIGKILL", "pod-endless"]);
    wait_for_status(containerd, "pod-endless", "STOPPED");
    let output = containerd.ctr(&["task", "delete", "pod-endless"]);
    assert!(stderr(&output).contains("exit code 137"), "{}", describe(&output));
    containerd.ctr_ok(&["container", "delete", "pod-endless"]);
}

/// `ctr run -d` of `image` as container `id` on the shim, with `extra` options. Its FIFOs go
/// in the test's directory: `ctr` never removes those of a detached task.
fn run_detached(containerd: &Containerd, extra: &[&str], image: &str, id: &str) {
    let fifo_dir = containerd.scratch().join("fifo");
    let fifo_dir = fifo_dir.to_str().expect("UTF-8 path");
    let mut args = vec!["run", "-d", "--runtime", RUNTIME, "--platform", "wasip1/wasm"];
    args.extend_from_slice(&["--fifo-dir", fifo_dir]);
    args.extend_from_slice(extra);
    args.extend_from_slice(&[image, id]);
    containerd.ctr_ok(&args);
}

fn wait_for_status(containerd: &Containerd, id: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let tasks = containerd.ctr_ok(&["task", "ls"]);
        if tasks.lines().any(|l| {
            l.split_whitespace().next() == Some(id) && l.split_whitespace().last() == Some(status)
        }) {
            return;
        }
        assert!(Instant::now() < deadline, "task {id} did not become {status}:\n{tasks}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn a_native_entrypoint_runs_under_runc(containerd: &Containerd) {
    let output =
        run(containerd, "linux/amd64", &[], "docker.io/wasmux/busybox:latest", "busybox-echo");
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(stdout(&output), "hello from runc\n");
    let output = containerd.ctr(&[
        "run",
        "--rm",
        "--runtime",
        RUNTIME,
        "docker.io/wasmux/busybox:latest",
        "busybox-exit",
        "/bin/busybox",
        "sh",
        "-c",
        "echo to stderr >&2; exit 5",
    ]);
    assert_eq!(output.status.code(), Some(5), "{}", describe(&output));
    assert_eq!(stderr(&output), "to stderr\n");
}

fn bad_input_fails_clearly_and_the_next_container_runs(containerd: &Containerd) {
    let cases: [(&str, &[&str], &str); 4] = [
        ("docker.io/wasmux/no-entrypoint:latest", &[], "no entrypoint"),
        (
            "docker.io/wasmux/missing:latest",
            &[],
            "\"/missing.wasm\" is not a file in the container's root filesystem",
        ),
        (
            "docker.io/wasmux/hello:latest",
            &["--annotation", "run.wasmux.engine=nosuch"],
            "unknown engine `nosuch`",
        ),
        ("docker.io/wasmux/broken:latest", &[], "/broken.wasm cannot run on"),
    ];
    for (i, (image, extra, message)) in cases.into_iter().enumerate() {
        let id = format!("bad-{i}");
        let output = run(containerd, "wasip1/wasm", extra, image, &id);
        assert!(!output.status.success(), "{image} ran: {}", describe(&output));
        assert!(
            stderr(&output).contains(message),
            "{image}: ctr's error lacks {message:?}: {}",
            describe(&output)
        );
        assert!(containerd.log().contains(message), "{image}: containerd's log lacks {message:?}");
        // `ctr run --rm` leaves the container behind when its task cannot be created.
        let _ = containerd.ctr(&["container", "delete", &id]);
    }
    let output = run(
        containerd,
        "wasip1/wasm",
        &[],
        "docker.io/wasmux/hello:latest",
        "hello-after-bad-input",
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(stdout(&output), "Hello from WebAssembly!\n");
}

/// No task, container, mount, shim process, shim socket or FIFO is left.
fn nothing_is_left(
    containerd: &Containerd,
    sockets_before: &BTreeSet<PathBuf>,
    fifos_before: &BTreeSet<PathBuf>,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !shim_processes(Path::new(SHIM)).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(shim_processes(Path::new(SHIM)), Vec::<u32>::new(), "shim processes are left");
    assert_eq!(containerd.ctr_ok(&["task", "ls", "-q"]), "", "tasks are left");
    assert_eq!(containerd.ctr_ok(&["container", "ls", "-q"]), "", "containers are left");
    let dir = containerd.dir().to_string_lossy().into_owned();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let left: Vec<&str> = mounts.lines().filter(|l| l.contains(&dir)).collect();
    assert!(left.is_empty(), "mounts are left:\n{}", left.join("\n"));
    let new_sockets: Vec<PathBuf> =
        entries(SHIM_SOCKETS).difference(sockets_before).cloned().collect();
    assert!(new_sockets.is_empty(), "shim sockets are left: {new_sockets:?}");
    let new_fifos: Vec<PathBuf> = entries(CTR_FIFOS).difference(fifos_before).cloned().collect();
    assert!(new_fifos.is_empty(), "FIFO directories are left: {new_fifos:?}");
}

/// The paths in `dir`; none if it does not exist.
fn entries(dir: &str) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}
