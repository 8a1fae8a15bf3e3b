//! WebAssembly proposals and compilers on the command line: `-W` in wasmtime's spelling,
//! `--compiler`, and a module needing what an engine lacks refused as unsupported (exit 69),
//! never as invalid.

mod common;

use std::process::Output;

use common::{assert_one_line_error, stderr, stdout, temp_file, wasmux};

/// The engines compiled in, each with the capabilities `wasmux engines --json` lists.
fn engines_with_capabilities() -> Vec<(String, Vec<String>)> {
    let output = wasmux(&["engines", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let infos: serde_json::Value = serde_json::from_slice(&output.stdout).expect("engines JSON");
    let list = infos.as_array().expect("a list");
    list.iter()
        .map(|info| {
            let caps = info["capabilities"].as_array().expect("capabilities are a list of names");
            let caps = caps.iter().map(|c| c.as_str().expect("a name").to_string()).collect();
            (info["name"].as_str().expect("a name").to_string(), caps)
        })
        .collect()
}

/// [`assert_one_line_error`] for every one of `needles`.
fn assert_error_names(output: &Output, status: i32, needles: &[&str]) {
    for needle in needles {
        assert_one_line_error(output, status, needle);
    }
}

/// Throws and catches an exception, then prints "caught 7".
const EXCEPTIONS: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "caught 7\n")
  (tag $e (param i32))
  (func (export "_start")
    (block $handler (result i32)
      (try_table (catch $e $handler) (throw $e (i32.const 7)))
      (unreachable))
    (drop)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 9))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// Each engine runs a module using exceptions exactly when it lists the capability, and
/// otherwise refuses it as unsupported, naming the proposal.
#[test]
fn a_module_needing_a_proposal_runs_where_advertised_and_is_refused_elsewhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = temp_file(&dir, "exceptions.wat", EXCEPTIONS.as_bytes());
    let engines = engines_with_capabilities();
    assert!(engines.iter().any(|(_, caps)| caps.iter().any(|c| c == "exceptions")));
    for (engine, caps) in engines {
        let output = wasmux(&["--no-cache", "run", "--engine", &engine, &module]);
        if caps.iter().any(|c| c == "exceptions") {
            assert_eq!(stdout(&output), "caught 7\n", "{engine}: {}", stderr(&output));
            assert_eq!(output.status.code(), Some(0), "{engine}");
        } else {
            let does_not_support = format!("{engine} does not support exceptions");
            assert_error_names(&output, 69, &[&does_not_support, "this module uses"]);
        }
    }
}

#[test]
fn a_proposal_switched_off_is_named_as_such_in_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = temp_file(&dir, "exceptions.wat", EXCEPTIONS.as_bytes());
    let artifact = dir.path().join("exceptions.cwasm").to_string_lossy().into_owned();
    let needles = ["exceptions (switched off in its configuration)", "this module uses"];
    for args in [
        vec!["run", "--engine", "wasmtime", "-W", "exceptions=n", &module],
        vec!["inspect", "--engine", "wasmtime", "-W", "gc=y,exceptions=n", &module],
        vec!["compile", "--engine", "wasmtime", "-W", "exceptions=n", "-o", &artifact, &module],
    ] {
        assert_error_names(&wasmux(&args), 69, &needles);
    }
    let output =
        wasmux(&["--no-cache", "run", "--engine", "wasmtime", "-W", "all-proposals=y", &module]);
    assert_eq!(stdout(&output), "caught 7\n", "{}", stderr(&output));
}

#[test]
fn a_malformed_module_stays_invalid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("truncated.wasm");
    std::fs::write(&path, b"\0asm\x01\0\0\0\x01").expect("write module");
    let path = path.to_string_lossy().into_owned();
    for (engine, _) in engines_with_capabilities() {
        let output = wasmux(&["run", "--engine", &engine, &path]);
        assert_one_line_error(&output, 65, "invalid module");
    }
}

#[test]
fn bad_proposal_flags_are_one_line_listing_the_valid_names() {
    let output = wasmux(&["run", "-W", "exceptionz=y", "examples/hello.wat"]);
    assert_error_names(
        &output,
        2,
        &["unknown proposal `exceptionz`", "all-proposals", "tail-call"],
    );
    let output = wasmux(&["run", "-W", "gc=maybe", "examples/hello.wat"]);
    assert_error_names(&output, 2, &["the value must be y or n"]);
    let output = wasmux(&["run", "--compiler", "winch", "examples/hello.wat"]);
    assert_error_names(&output, 2, &["unknown compiler `winch`", "singlepass"]);
}

/// wasmer compiles with the compiler asked for; a module needing what that compiler lacks
/// (Singlepass has no SIMD) is unsupported; engines with no such choice refuse the flag.
#[test]
fn the_compiler_flag_picks_wasmers_code_generator() {
    let engines: Vec<String> = engines_with_capabilities().into_iter().map(|(e, _)| e).collect();
    if !engines.iter().any(|e| e == "wasmer") {
        return;
    }
    let output = wasmux(&[
        "--no-cache",
        "run",
        "--engine",
        "wasmer",
        "--compiler",
        "singlepass",
        "examples/hello.wat",
    ]);
    assert_eq!(stdout(&output), "Hello from WebAssembly!\n", "{}", stderr(&output));
    let dir = tempfile::tempdir().expect("temp dir");
    let simd = temp_file(
        &dir,
        "simd.wat",
        br#"(module (func (export "_start") (drop (i32x4.splat (i32.const 1)))))"#,
    );
    let output =
        wasmux(&["--no-cache", "run", "--engine", "wasmer", "--compiler", "singlepass", &simd]);
    assert_error_names(&output, 69, &["wasmer does not support simd", "this module uses"]);
    let output =
        wasmux(&["--no-cache", "run", "--engine", "wasmer", "--compiler", "cranelift", &simd]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for engine in engines.iter().filter(|e| *e != "wasmer") {
        let output =
            wasmux(&["run", "--engine", engine, "--compiler", "singlepass", "examples/hello.wat"]);
        assert_error_names(&output, 69, &["singlepass"]);
    }
}
