//! The `wasmux` binary, driven as a user would, on every engine compiled in.

mod common;

use common::{assert_one_line_error, engines, stderr, stdout, temp_file, wasmux};

#[test]
fn hello_world_prints_and_exits_with_the_guest_status_on_every_engine() {
    let engines = engines();
    assert!(!engines.is_empty());
    for engine in engines {
        let output = wasmux(&["run", "--engine", &engine, "examples/hello.wat", "one", "--two"]);
        assert_eq!(stdout(&output), "Hello from WebAssembly!\n", "{engine}: {}", stderr(&output));
        assert_eq!(output.status.code(), Some(2), "{engine}: exit status is argc - 1");
    }
}

#[test]
fn invoke_parses_arguments_by_type_and_prints_results() {
    for engine in engines() {
        let output =
            wasmux(&["run", "--engine", &engine, "--invoke", "fib", "examples/fib.wat", "20"]);
        assert_eq!(stdout(&output), "6765\n", "{engine}: {}", stderr(&output));
        assert!(output.status.success());
    }
    let output = wasmux(&["run", "--invoke", "fib", "examples/fib.wat", "twenty"]);
    assert_one_line_error(&output, 2, "not a valid i32");
    let output = wasmux(&["run", "--invoke", "fib", "examples/fib.wat"]);
    assert_one_line_error(&output, 2, "takes 1 arguments, 0 given");
    let output = wasmux(&["run", "--invoke", "nope", "examples/fib.wat"]);
    assert_one_line_error(&output, 2, "nope");
}

#[test]
fn invoke_takes_and_prints_gc_references_where_the_engine_has_gc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = temp_file(
        &dir,
        "gc.wat",
        br#"(module
          (type $pair (struct (field i32) (field i32)))
          (func (export "i31") (param i32) (result (ref i31)) (ref.i31 (local.get 0)))
          (func (export "pair") (result (ref $pair)) (struct.new $pair (i32.const 1) (i32.const 2)))
          (func (export "is_null") (param anyref) (result i32) (ref.is_null (local.get 0)))
          (func (export "take") (param (ref i31)) (result i32) (i31.get_s (local.get 0))))"#,
    );
    for engine in engines() {
        let output = wasmux(&["run", "--engine", &engine, "--invoke", "i31", &module, "7"]);
        if engine != "wasmtime" {
            assert_one_line_error(&output, 69, "gc");
            continue;
        }
        assert_eq!(stdout(&output), "AnyRef(i31 7)\n", "{}", stderr(&output));
        let output = wasmux(&["run", "--invoke", "pair", &module]);
        assert!(stdout(&output).starts_with("AnyRef(Struct 0x"), "{}", stdout(&output));
        let output = wasmux(&["run", "--invoke", "is_null", &module, "null"]);
        assert_eq!(stdout(&output), "1\n", "{}", stderr(&output));
        let output = wasmux(&["run", "--invoke", "take", &module, "null"]);
        assert_one_line_error(&output, 2, "(param (ref i31))");
    }
}

#[test]
fn a_trap_exits_like_wasmtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = temp_file(&dir, "trap.wat", br#"(module (func (export "_start") unreachable))"#);
    for engine in engines() {
        let output = wasmux(&["run", "--engine", &engine, &module]);
        assert_one_line_error(&output, 134, "unreachable");
    }
}

#[test]
fn limits_from_the_command_line_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spin = temp_file(&dir, "spin.wat", br#"(module (func (export "_start") (loop br 0)))"#);
    let grow = temp_file(
        &dir,
        "grow.wat",
        br#"(module (memory 1) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
    );
    for engine in engines() {
        let output = wasmux(&["run", "--engine", &engine, "--fuel", "10000", &spin]);
        assert_one_line_error(&output, 134, "fuel");
        let output = wasmux(&["run", "--engine", &engine, "--timeout", "100ms", &spin]);
        assert_one_line_error(&output, 134, "deadline");
        let output = wasmux(&[
            "run",
            "--engine",
            &engine,
            "--max-memory",
            "128KiB",
            "--invoke",
            "grow",
            &grow,
            "2",
        ]);
        assert_eq!(stdout(&output), "-1\n", "{engine}: {}", stderr(&output));
        let output = wasmux(&[
            "run",
            "--engine",
            &engine,
            "--max-memory",
            "128KiB",
            "--invoke",
            "grow",
            &grow,
            "1",
        ]);
        assert_eq!(stdout(&output), "1\n", "{engine}: {}", stderr(&output));
    }
}

#[test]
fn bad_input_gets_one_clear_line_and_a_distinct_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = temp_file(&dir, "garbage.wasm", b"\0asm\x01\0\0\0\x01\xff\xff");
    let syntax = temp_file(&dir, "syntax.wat", b"(module\n  (func (export \"f\") i32.const))");
    let needs_import =
        temp_file(&dir, "import.wat", br#"(module (import "env" "log" (func (param i32))))"#);
    for engine in engines() {
        assert_one_line_error(
            &wasmux(&["run", "--engine", &engine, &garbage]),
            65,
            "invalid module",
        );
        assert_one_line_error(&wasmux(&["run", "--engine", &engine, &syntax]), 65, "line 2");
        assert_one_line_error(
            &wasmux(&["run", "--engine", &engine, &needs_import]),
            66,
            "env::log",
        );
    }
    assert_one_line_error(&wasmux(&["run", "does/not/exist.wasm"]), 74, "does/not/exist.wasm");
    assert_one_line_error(
        &wasmux(&["run", "--engine", "v8", "examples/fib.wat"]),
        2,
        "unknown engine",
    );
    let output = wasmux(&["run", "--max-memory", "12 parsecs", "examples/fib.wat"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = wasmux(&["run", "--env", "=value", "examples/hello.wat"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn inspect_prints_the_interface() {
    let output = wasmux(&["inspect", "examples/hello.wat"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "wasi_snapshot_preview1::fd_write: (func (param i32 i32 i32 i32) (result i32))"
        ),
        "{text}"
    );
    assert!(text.contains("_start: (func)"), "{text}");
    let output = wasmux(&["inspect", "--json", "examples/fib.wat"]);
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).expect("inspect JSON");
    assert_eq!(info["exports"][0]["name"], "fib");
}

#[test]
fn engines_lists_kind_version_and_capabilities() {
    let output = wasmux(&["engines"]);
    let text = stdout(&output);
    for engine in engines() {
        assert!(text.contains(&engine), "{text}");
    }
    assert!(text.contains("capabilities:"), "{text}");
}

#[test]
fn compile_writes_an_artifact_that_runs_without_naming_the_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    for engine in engines() {
        let artifact = dir.path().join(format!("fib.{engine}.cwasm"));
        let artifact = artifact.to_string_lossy();
        let output = wasmux(&["compile", "--engine", &engine, "examples/fib.wat", "-o", &artifact]);
        if engine == "wasmi" {
            assert_one_line_error(&output, 69, "precompile");
            continue;
        }
        assert!(output.status.success(), "{engine}: {}", stderr(&output));
        // Native code is loaded only when asked for, by `run` and by `inspect`.
        let output = wasmux(&["run", "--invoke", "fib", &artifact, "10"]);
        assert_one_line_error(&output, 2, "--allow-precompiled");
        assert_one_line_error(&wasmux(&["inspect", &artifact]), 2, "--allow-precompiled");
        let output = wasmux(&["inspect", "--allow-precompiled", &artifact]);
        assert!(
            stdout(&output).contains("fib: (func (param i32) (result i64))"),
            "{engine}: {}",
            stderr(&output)
        );
        let output = wasmux(&["run", "--allow-precompiled", "--invoke", "fib", &artifact, "10"]);
        assert_eq!(stdout(&output), "55\n", "{engine}: {}", stderr(&output));
        // `run --timeout` needs interruption; an artifact made for it says so when compiled.
        let stoppable = dir.path().join(format!("fib.{engine}.interruptible.cwasm"));
        let stoppable = stoppable.to_string_lossy();
        let args = ["compile", "--engine", &engine, "--interruptible", "examples/fib.wat", "-o"];
        let output = wasmux(&[&args[..], &[&*stoppable]].concat());
        assert!(output.status.success(), "{engine}: {}", stderr(&output));
        let args = ["run", "--allow-precompiled", "--timeout", "60s", "--invoke", "fib"];
        let output = wasmux(&[&args[..], &[&*stoppable, "10"]].concat());
        assert_eq!(stdout(&output), "55\n", "{engine}: {}", stderr(&output));
        let mut damaged = std::fs::read(&*artifact).expect("artifact");
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        let damaged = temp_file(&dir, "damaged.cwasm", &damaged);
        let output = wasmux(&["run", "--allow-precompiled", "--invoke", "fib", &damaged, "10"]);
        assert_one_line_error(&output, 71, "checksum");
    }
}

/// A WASI reactor: `_initialize` builds the greeting that the default export prints and that
/// `len` measures.
const REACTOR: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $len (mut i32) (i32.const 0))
  (func (export "_initialize")
    (i32.store8 (i32.const 100) (i32.const 104))
    (i32.store8 (i32.const 101) (i32.const 105))
    (i32.store8 (i32.const 102) (i32.const 10))
    (global.set $len (i32.const 3)))
  (func (export "")
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (global.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "len") (result i32) (global.get $len)))"#;

#[test]
fn reactors_run_initialize_then_the_default_export_or_the_invoked_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reactor = temp_file(&dir, "reactor.wat", REACTOR.as_bytes());
    for engine in engines() {
        let output = wasmux(&["run", "--engine", &engine, &reactor]);
        assert_eq!(stdout(&output), "hi\n", "{engine}: {}", stderr(&output));
        assert_eq!(output.status.code(), Some(0), "{engine}");
        let output = wasmux(&["run", "--engine", &engine, "--invoke", "len", &reactor]);
        assert_eq!(stdout(&output), "3\n", "{engine}: {}", stderr(&output));
    }
    let library = temp_file(&dir, "library.wat", br#"(module (func (export "f")))"#);
    let output = wasmux(&["run", &library]);
    assert_one_line_error(&output, 2, "neither `_start` nor a default export");
}

/// A benchmark in sightglass's shape: it imports `bench.start` and `bench.end` around its work.
const BENCHMARK: &str = r#"(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (func (export "_start") (call $start) (call $end) (call $end)))"#;

/// The `bench` stub, preloaded: a WASI reactor that prints what it is told.
const BENCH_STUB: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "start\nend\n")
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 1)))
  (func $say (param i32 i32)
    (if (i32.eqz (global.get $ready)) (then unreachable))
    (i32.store (i32.const 0) (local.get 0))
    (i32.store (i32.const 4) (local.get 1))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "start") (call $say (i32.const 100) (i32.const 6)))
  (func (export "end") (call $say (i32.const 106) (i32.const 4))))"#;

#[test]
fn preloaded_modules_provide_their_functions_on_every_engine() {
    let dir = tempfile::tempdir().expect("temp dir");
    let benchmark = temp_file(&dir, "benchmark.wat", BENCHMARK.as_bytes());
    let stub = temp_file(&dir, "stub.wat", BENCH_STUB.as_bytes());
    let preload = format!("bench={stub}");
    for engine in engines() {
        let output = wasmux(&["run", "--engine", &engine, "--preload", &preload, &benchmark]);
        assert_eq!(stdout(&output), "start\nend\nend\n", "{engine}: {}", stderr(&output));
        assert_eq!(output.status.code(), Some(0), "{engine}");
    }
    let output = wasmux(&["run", &benchmark]);
    assert_one_line_error(&output, 66, "bench::start");
    let half = temp_file(&dir, "half.wat", br#"(module (func (export "start")))"#);
    let output = wasmux(&["run", "--preload", &format!("bench={half}"), &benchmark]);
    assert_one_line_error(&output, 66, "bench::end");
    let output = wasmux(&["run", "--preload", "bench", &benchmark]);
    assert_one_line_error(&output, 2, "expected NAME=MODULE");
}

/// A main module sharing the `bench` stub's memory: it rewrites what the stub prints, and exits
/// with what the stub last stored.
const MEMORY_USER: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "bench" "memory" (memory 1))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (func (export "_start")
    (call $start)
    (i32.store8 (i32.const 106) (i32.const 69))
    (call $end)
    (call $exit (i32.load (i32.const 0)))))"#;

#[test]
fn preloaded_modules_share_their_memory_on_every_engine() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stub = temp_file(&dir, "stub.wat", BENCH_STUB.as_bytes());
    let memory_user = temp_file(&dir, "memory_user.wat", MEMORY_USER.as_bytes());
    for engine in engines() {
        let preload = format!("bench={stub}");
        let output = wasmux(&["run", "--engine", &engine, "--preload", &preload, &memory_user]);
        assert_eq!(stdout(&output), "start\nEnd\n", "{engine}: {}", stderr(&output));
        assert_eq!(output.status.code(), Some(106), "{engine}");
    }
}
