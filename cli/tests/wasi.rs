//! `wasmux run` with WASI, as a user runs it: the C guests of the conformance suite
//! (`conformance/guests/`, built with wasi-libc) given host directories (`--dir`), variables
//! (`--env`) and arguments, on every engine compiled in; and the mistakes a user makes, each
//! refused with one clear line before the guest starts.

mod common;

use common::{engines, repo_root, stderr, stdout};

use std::path::Path;
use std::process::{Output, Stdio};

fn guest(name: &str) -> String {
    let path = repo_root().join("conformance/guests").join(format!("{name}.wasm"));
    path.to_string_lossy().into_owned()
}

fn wasmux_in(dir: &Path, args: &[&str]) -> Output {
    common::wasmux_command()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the wasmux binary runs")
}

/// Runs `check` for every engine, each to its end, and fails naming the engines that failed
/// (their messages are printed as they fail), so that one engine's bug hides no other's.
fn for_each_engine(check: impl Fn(&str)) {
    let failed: Vec<String> = engines()
        .into_iter()
        .filter(|engine| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(engine))).is_err()
        })
        .collect();
    assert!(failed.is_empty(), "failed on {failed:?}");
}

/// A fresh tree: `data/` (given to the guest) with a few files, and `outside.txt` beside it.
fn tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    std::fs::create_dir_all(data.join("docs/sub")).expect("mkdir");
    std::fs::write(data.join("hello.txt"), "Hello, file!\n").expect("write");
    std::fs::write(data.join("docs/a.md"), "# A\n").expect("write");
    std::fs::write(data.join("docs/sub/deep.txt"), "deep\n").expect("write");
    std::fs::write(root.path().join("outside.txt"), "secret\n").expect("write");
    root
}

/// The guest's own failure: its status, its message, nothing from wasmux.
fn assert_guest_failed(output: &Output, status: i32, message: &str, context: &str) {
    assert_eq!(output.status.code(), Some(status), "{context}: {}", stderr(output));
    assert_eq!(stderr(output), message, "{context}");
}

/// A refusal by wasmux: one line naming the problem, a non-zero status, and no guest output.
fn assert_refused(output: &Output, needle: &str, context: &str) {
    let err = stderr(output);
    assert!(!output.status.success(), "{context}: accepted; stderr: {err}");
    assert_eq!(output.status.code().map(|c| c == 0), Some(false), "{context}");
    assert!(output.stdout.is_empty(), "{context}: the guest ran: {}", stdout(output));
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{context}: one line expected, got: {err}");
    assert!(lines[0].contains(needle), "{context}: `{needle}` missing from: {err}");
    assert!(!err.contains("panicked"), "{context}: {err}");
}

#[test]
fn a_directory_preopened_as_root_is_the_guests_file_system() {
    let filetool = guest("filetool");
    for_each_engine(|engine| {
        let root = tree();
        let dir = |args: &[&str]| {
            let mut all = vec!["run", "--engine", engine, "--dir", "data::/", &filetool];
            all.extend_from_slice(args);
            wasmux_in(root.path(), &all)
        };
        let output = dir(&["find", "/"]);
        assert_eq!(
            stdout(&output),
            "/\n/docs/\n/docs/a.md\n/docs/sub/\n/docs/sub/deep.txt\n/hello.txt\n",
            "{engine}: {}",
            stderr(&output)
        );
        assert_eq!(output.status.code(), Some(0), "{engine}");

        let output = dir(&["cat", "/hello.txt", "docs/a.md"]);
        assert_eq!(stdout(&output), "Hello, file!\n# A\n", "{engine}: {}", stderr(&output));

        let output = dir(&["cp", "hello.txt", "/docs/sub/copy.txt"]);
        assert_eq!(output.status.code(), Some(0), "{engine}: {}", stderr(&output));
        let copied = std::fs::read_to_string(root.path().join("data/docs/sub/copy.txt"));
        assert_eq!(copied.ok().as_deref(), Some("Hello, file!\n"), "{engine}: cp reached the host");

        // Out of reach: `..` past the preopen, and the host's own absolute paths.
        let output = dir(&["cat", "/../outside.txt", "/etc/hostname"]);
        assert_guest_failed(
            &output,
            1,
            "filetool: cat: /../outside.txt: Operation not permitted\n\
             filetool: cat: /etc/hostname: No such file or directory\n",
            engine,
        );
        let output = dir(&["mv", "hello.txt", "../moved.txt"]);
        assert_guest_failed(
            &output,
            1,
            "filetool: mv: hello.txt: Operation not permitted\n",
            engine,
        );
        assert!(!root.path().join("moved.txt").exists(), "{engine}: a rename left the preopen");
        assert_eq!(
            std::fs::read_to_string(root.path().join("outside.txt")).ok().as_deref(),
            Some("secret\n")
        );
    });
}

#[test]
fn a_directory_can_be_given_at_a_path_of_its_own() {
    let filetool = guest("filetool");
    for_each_engine(|engine| {
        let root = tree();
        let output = wasmux_in(
            root.path(),
            &[
                "run",
                "--engine",
                engine,
                "--dir",
                "data/docs::/notes",
                &filetool,
                "ls",
                "/notes",
                "/notes/sub",
            ],
        );
        assert_eq!(
            stdout(&output),
            "/notes:\na.md\nsub\n/notes/sub:\ndeep.txt\n",
            "{engine}: {}",
            stderr(&output)
        );
        assert_eq!(output.status.code(), Some(0), "{engine}");
    });
}

#[test]
fn the_process_exits_with_the_guests_status() {
    let (filetool, stdio) = (guest("filetool"), guest("stdio"));
    for_each_engine(|engine| {
        let root = tree();
        let output = wasmux_in(
            root.path(),
            &["run", "--engine", engine, "--dir", "data::/", &filetool, "cat", "missing"],
        );
        assert_guest_failed(
            &output,
            1,
            "filetool: cat: missing: No such file or directory\n",
            engine,
        );
        let output = wasmux_in(root.path(), &["run", "--engine", engine, &filetool]);
        assert_eq!(output.status.code(), Some(2), "{engine}: usage error; {}", stderr(&output));
        for (args, status, out) in [
            (["exit", "3"], 3, "first line\npending, exit(3)"),
            (["return", "42"], 42, "first line\npending, return 42"),
            (["return", "0"], 0, "first line\npending, return 0"),
            (["_Exit", "5"], 5, "first line\n"),
        ] {
            let mut all = vec!["run", "--engine", engine, &stdio];
            all.extend_from_slice(&args);
            let output = wasmux_in(root.path(), &all);
            assert_eq!(
                output.status.code(),
                Some(status),
                "{engine} {args:?}: {}",
                stderr(&output)
            );
            assert_eq!(stdout(&output), out, "{engine} {args:?}");
        }
        // abort() traps (`unreachable`): the exit status of a crashed guest, and wasmux says so.
        let output = wasmux_in(root.path(), &["run", "--engine", engine, &stdio, "abort"]);
        assert_eq!(output.status.code(), Some(134), "{engine}: {}", stderr(&output));
        assert_eq!(stdout(&output), "first line\n", "{engine}");
        let err = stderr(&output);
        assert!(err.starts_with("stderr is not buffered\nwasmux: error: "), "{engine}: {err}");
        assert!(err.contains("unreachable"), "{engine}: {err}");
    });
}

#[test]
fn stdout_and_stderr_reach_the_host_in_the_order_the_guest_flushed_them() {
    let stdio = guest("stdio");
    for_each_engine(|engine| {
        let root = tempfile::tempdir().expect("tempdir");
        let log = std::fs::File::create(root.path().join("both.txt")).expect("create");
        let status = common::wasmux_command()
            .args(["run", "--engine", engine, &stdio, "default"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone"))
            .stderr(log)
            .status()
            .expect("the wasmux binary runs");
        assert_eq!(status.code(), Some(0), "{engine}");
        // A pipe or file is not a terminal: wasi-libc writes the first line, then buffers
        // stdout until exit, while stderr goes out at once (as in the suite's `to_log` runs).
        let both = std::fs::read_to_string(root.path().join("both.txt")).expect("read");
        assert_eq!(
            both, "out 1\nerr 2\nerr 4\nerr 6\nerr 8\nout 3\nout 5, same line\nout 7, no newline",
            "{engine}"
        );
    });
}

#[test]
fn environment_and_arguments_reach_the_guest() {
    let sys = guest("sys");
    for_each_engine(|engine| {
        let root = tempfile::tempdir().expect("tempdir");
        let output = wasmux_in(
            root.path(),
            &[
                "run",
                "--engine",
                engine,
                "--env",
                "HOME=/home/guest",
                "--env",
                "EQUALS=a=b",
                "--env",
                "EMPTY=",
                &sys,
                "env",
                "two words",
                "",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{engine}: {}", stderr(&output));
        let text = stdout(&output);
        let expected_args = format!(
            "argc: 4\nargv[0]: [{sys}]\nargv[1]: [env]\nargv[2]: [two words]\nargv[3]: []\n"
        );
        assert!(text.starts_with(&expected_args), "{engine}: {text}");
        assert!(text.contains("HOME: /home/guest\nMISSING: (unset)\n"), "{engine}: {text}");
        // Only what was given (and what the guest set itself): nothing of the host leaks in.
        assert!(
            text.ends_with("environ[0]: HOME=/home/guest\nenviron[1]: EQUALS=a=b\nenviron[2]: EMPTY=\nenviron[3]: ADDED=yes\n"),
            "{engine}: {text}"
        );
    });
}

#[test]
fn without_dir_the_guest_sees_no_files() {
    let filetool = guest("filetool");
    for_each_engine(|engine| {
        let root = tree();
        let output = wasmux_in(
            root.path(),
            &["run", "--engine", engine, &filetool, "cat", "data/hello.txt", "/etc/passwd"],
        );
        // wasi-libc finds no preopened directory for either path: ENOTCAPABLE.
        assert_guest_failed(
            &output,
            1,
            "filetool: cat: data/hello.txt: Capabilities insufficient\n\
             filetool: cat: /etc/passwd: Capabilities insufficient\n",
            engine,
        );
        assert!(output.stdout.is_empty(), "{engine}");
        let output = wasmux_in(root.path(), &["run", "--engine", engine, &filetool, "ls", "/"]);
        assert_guest_failed(&output, 1, "filetool: ls: /: Capabilities insufficient\n", engine);
    });
}

#[test]
fn bad_wasi_input_is_refused_before_the_guest_starts() {
    let filetool = guest("filetool");
    let root = tree();
    for_each_engine(|engine| {
        let output = wasmux_in(
            root.path(),
            &["run", "--engine", engine, "--dir", "no/such/dir::/", &filetool, "ls", "/"],
        );
        assert_refused(&output, "no/such/dir", &format!("{engine}: missing --dir"));
        let output = wasmux_in(
            root.path(),
            &["run", "--engine", engine, "--dir", "data/hello.txt::/", &filetool, "ls", "/"],
        );
        assert_refused(&output, "data/hello.txt", &format!("{engine}: --dir of a file"));
        // NAME alone passes the host's value on.
        let output = common::wasmux_command()
            .args(["run", "--engine", engine, "--env", "WASMUX_TEST_SET", &guest("sys"), "env"])
            .env("WASMUX_TEST_SET", "from the host")
            .current_dir(root.path())
            .output()
            .expect("the wasmux binary runs");
        let text = stdout(&output);
        assert!(
            text.contains("environ[0]: WASMUX_TEST_SET=from the host\n"),
            "{engine}: {text}{}",
            stderr(&output)
        );
    });
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let output = common::wasmux_command()
            .args([
                OsStr::new("run"),
                OsStr::new(&filetool),
                OsStr::new("cat"),
                OsStr::from_bytes(b"caf\xe9.txt"),
            ])
            .current_dir(root.path())
            .output()
            .expect("the wasmux binary runs");
        assert_refused(&output, "not valid UTF-8", "a non-UTF-8 argument");
    }
    let output = common::wasmux_command()
        .args(["run", "--env", "WASMUX_TEST_SURELY_UNSET", &filetool, "ls", "/"])
        .env_remove("WASMUX_TEST_SURELY_UNSET")
        .current_dir(root.path())
        .output()
        .expect("the wasmux binary runs");
    assert_refused(&output, "WASMUX_TEST_SURELY_UNSET", "--env of an unset variable");
    assert_eq!(output.status.code(), Some(2), "a usage error");
}
