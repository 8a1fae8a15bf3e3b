//! `wasmux run --engine all` on the project's own C programs (cli/tests/programs, rebuilt by
//! its build.sh): every engine must agree on programs that stat and seek files, print timings,
//! use random bytes, recurse deeply and write files; where engines do differ, the message says
//! where.

mod common;

use std::path::Path;
use std::process::Output;

use common::{engines, repo_root, stderr, stdout};

fn program(name: &str) -> String {
    repo_root().join("cli/tests/programs").join(name).to_string_lossy().into_owned()
}

fn wasmux(args: &[&str]) -> Output {
    common::wasmux_command().args(args).output().expect("the wasmux binary runs")
}

/// Runs `args` after `run --engine all` and expects every engine to agree and exit 0.
fn agreed(args: &[&str]) -> String {
    let output = wasmux(&[&["run", "--engine", "all"], args].concat());
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let agree = format!("wasmux: {} engines agree", engines().len());
    assert!(err.contains(&agree), "{err}");
    stdout(&output)
}

/// Runs `args` after `run --engine all` and returns the disagreement it reports.
fn disagreement(args: &[&str]) -> String {
    let output = wasmux(&[&["run", "--engine", "all"], args].concat());
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let line = err.lines().find(|l| l.starts_with("wasmux: error: engines disagree"));
    line.unwrap_or_else(|| panic!("no disagreement reported: {err}")).to_string()
}

/// A `.wat` file holding `text`, removed when dropped.
fn wat_file(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::with_suffix(".wat").expect("temp file");
    std::fs::write(file.path(), text).expect("write");
    file
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn stat_and_seek_see_the_same_files_and_metadata_on_every_engine() {
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("a.txt"), "hello\n").expect("write");
    std::fs::write(data.path().join("b.bin"), "xyz").expect("write");
    let dir = format!("{}::/data", data.path().display());
    for flag in ["--dir", "--read-only-dir"] {
        let out = agreed(&[flag, &dir, &program("stat_seek.wasm"), "/data/a.txt", "/data/b.bin"]);
        assert!(out.starts_with("/data/a.txt: dev 1 ino 1 size 6 "), "{flag}: {out}");
        assert!(out.contains("\nolleh\n/data/b.bin: dev 1 ino 2 size 3 "), "{flag}: {out}");
        assert!(out.ends_with("\nzyx\n"), "{flag}: {out}");
    }
    assert_eq!(listing(data.path()), ["a.txt", "b.bin"]);
}

#[test]
fn timings_come_from_virtual_clocks_and_repeat_exactly() {
    let first = agreed(&[&program("timings.wasm")]);
    // One clock step (1 µs) per reading; the 10 ms sleep passes in virtual time; the date is
    // the deterministic start, 2000-01-01.
    assert_eq!(first, "work took 0.000001000 s, sleep took 0.010001000 s\nnow: 946684800\n");
    assert_eq!(agreed(&[&program("timings.wasm")]), first);
}

#[test]
fn random_bytes_are_seeded_under_engine_all_and_differ_per_engine_without_it() {
    let first = agreed(&[&program("random_bytes.wasm")]);
    assert_eq!(first.trim_end().len(), 64, "{first}");
    assert_eq!(agreed(&[&program("random_bytes.wasm")]), first);
    let found = disagreement(&["--deterministic=false", &program("random_bytes.wasm")]);
    assert!(found.contains(": stdout differs at line 1: "), "{found}");
}

#[test]
fn recursion_within_wasmtimes_default_stack_completes_on_every_engine() {
    // 8 000 is about 24 000 calls deep, within wasmtime's 512 KiB (it stops near 9 000), far
    // past wasmi's former limit of 1 000 calls.
    let out = agreed(&[&program("deep_recursion.wasm"), "8000"]);
    assert_eq!(out, "ackermann(2, 8000) = 16003\n");
}

#[test]
fn a_trap_on_one_engine_is_reported_with_both_endings() {
    // Past wasmtime's stack but within wasmer's larger default one.
    let found = disagreement(&[&program("deep_recursion.wasm"), "12000"]);
    assert!(
        found.contains("exit status or trap differs: wasmtime gave trap: call stack exhausted"),
        "{found}"
    );
}

#[test]
fn written_files_agree_and_stay_in_each_engines_copy() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let dir = format!("{}::/out", out_dir.path().display());
    let out = agreed(&["--dir", &dir, &program("write_files.wasm"), "/out"]);
    assert!(out.contains("a.txt: absent\n"), "{out}");
    assert!(out.contains("sub/b.txt: ino 3 size 7 mtime 946684800.000000000\n"), "{out}");
    assert!(out.contains("d.txt: ino 5 size 7 mtime 946684800.000000000\n"), "{out}");
    assert!(listing(out_dir.path()).is_empty(), "the original directory is left alone");
}

#[test]
fn a_memory_difference_names_the_address_and_both_bytes() {
    let wat = wat_file(
        r#"(module
          (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start") (drop (call $random (i32.const 64) (i32.const 16)))))"#,
    );
    let module = wat.path().to_string_lossy().into_owned();
    agreed(&[&module]);
    let found = disagreement(&["--deterministic=false", &module]);
    assert!(found.contains("memory differs at address 0x4"), "{found}");
    assert!(found.contains(" gave 0x"), "{found}");
}

#[test]
fn a_file_difference_names_the_file() {
    // Writes 16 random bytes to /out/random.bin and clears them from memory, so only the file
    // can differ.
    let wat = wat_file(
        r#"(module
          (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "path_open"
            (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "random.bin")
          (data (i32.const 16) "\40\00\00\00\10\00\00\00")
          (func (export "_start")
            ;; creat|trunc, rights fd_write, the new fd stored at 40
            (if (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 10) (i32.const 9)
                  (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 40))
              (then unreachable))
            (drop (call $random (i32.const 64) (i32.const 16)))
            (if (call $write (i32.load (i32.const 40)) (i32.const 16) (i32.const 1) (i32.const 32))
              (then unreachable))
            (memory.fill (i32.const 64) (i32.const 0) (i32.const 16))))"#,
    );
    let module = wat.path().to_string_lossy().into_owned();
    let out_dir = tempfile::tempdir().expect("temp dir");
    let dir = format!("{}::/out", out_dir.path().display());
    agreed(&["--dir", &dir, &module]);
    let found = disagreement(&["--deterministic=false", "--dir", &dir, &module]);
    assert!(found.contains("a file differs at file \"random.bin\""), "{found}");
    assert!(listing(out_dir.path()).is_empty(), "the original directory is left alone");
}
