//! What the CLI tests share. Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `wasmux` binary, with its compiled-module cache under the build's temporary directory
/// so that tests never read or write the user's cache.
pub fn wasmux_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmux"));
    command.env("WASMUX_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/wasmux-cache"));
    command
}

/// The repository's root, where `examples/` is.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ has a parent").to_path_buf()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The engines compiled into the binary, as `wasmux engines --json` lists them.
pub fn engines() -> Vec<String> {
    let output = wasmux_command()
        .args(["engines", "--json"])
        .current_dir(repo_root())
        .output()
        .expect("the wasmux binary runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let infos: serde_json::Value = serde_json::from_slice(&output.stdout).expect("engines JSON");
    infos
        .as_array()
        .expect("a list")
        .iter()
        .map(|info| info["name"].as_str().expect("a name").to_string())
        .collect()
}

/// Runs the `wasmux` binary with `args` in the repository's root.
pub fn wasmux(args: &[&str]) -> Output {
    wasmux_command().args(args).current_dir(repo_root()).output().expect("the wasmux binary runs")
}

/// An error is one line starting `wasmux: error:`, with no panic or backtrace.
pub fn assert_one_line_error(output: &Output, status: i32, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(status), "status; stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.starts_with("wasmux: error: "), "{err}");
    assert!(err.contains(needle), "`{needle}` missing from: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

/// Writes `contents` to `name` in `dir`; its path.
pub fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path.to_string_lossy().into_owned()
}
