//! `wasmux wast`: a line per script with passed, failed and unsupported directives, and an exit
//! status that tells them apart: 0 all passed, 69 only unsupported ones besides, 1 a failure.

mod common;

use std::process::Output;

use common::{repo_root, stderr, stdout, temp_file};

fn wast(args: &[&str]) -> Output {
    common::wasmux_command()
        .arg("wast")
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the wasmux binary runs")
}

const PASSING: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_trap (module (func $f unreachable) (start $f)) "unreachable")"#;

/// A name with a right-to-left override, as the spec's `names.wast` has: the wast format allows
/// any name, though the text parser refuses such characters by default.
const UNICODE_NAMES: &str = "(module (func (export \"\u{202e}abc\") (result i32) (i32.const 7)))
(assert_return (invoke \"\u{202e}abc\") (i32.const 7))";

/// Imports a memory from a registered instance and writes to it; the exporter reads the write.
const SHARED_MEMORY: &str = r#"(module $m (memory (export "mem") 1)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "m" $m)
(module (memory (import "m" "mem") 1)
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
(invoke "store" (i32.const 8) (i32.const 77))
(assert_return (invoke $m "load" (i32.const 8)) (i32.const 77))"#;

const WRONG: &str = r#"(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 2))"#;

#[test]
fn all_passed_exits_0_and_unicode_names_parse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let passing = temp_file(&dir, "passing.wast", PASSING.as_bytes());
    let names = temp_file(&dir, "names.wast", UNICODE_NAMES.as_bytes());
    let output = wast(&["--engine", "all", &passing, &names]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(out.contains("passing.wast: 3 passed, 0 failed, 0 unsupported"), "{out}");
    assert!(out.contains("names.wast: 2 passed, 0 failed, 0 unsupported"), "{out}");
}

#[test]
fn registered_instances_share_their_memory_on_every_engine() {
    let dir = tempfile::tempdir().expect("temp dir");
    let linking = temp_file(&dir, "linking.wast", SHARED_MEMORY.as_bytes());
    let output = wast(&["--engine", "all", &linking]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert_eq!(out.matches("linking.wast: 5 passed, 0 failed, 0 unsupported").count(), 3, "{out}");
}

#[test]
fn a_failure_exits_1_and_a_script_that_does_not_parse_stops_no_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = temp_file(&dir, "broken.wast", b"(module (func (i32.const)");
    let wrong = temp_file(&dir, "wrong.wast", WRONG.as_bytes());
    let passing = temp_file(&dir, "passing.wast", PASSING.as_bytes());
    let output = wast(&["--engine", "wasmtime", &broken, &wrong, &passing]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    assert!(out.contains("broken.wast: does not parse: 1:25: expected a i32"), "{out}");
    assert!(out.contains("wrong.wast: 1 passed, 1 failed, 0 unsupported"), "{out}");
    assert!(out.contains("passing.wast: 3 passed, 0 failed, 0 unsupported"), "{out}");
}

/// A script using a proposal: it passes where the engine has it, and is unsupported, never
/// failed, where it does not.
#[test]
fn a_proposal_an_engine_lacks_is_unsupported_not_failed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let throws = temp_file(
        &dir,
        "throw.wast",
        br#"(module (tag $e (param i32))
  (func (export "catch") (result i32)
    (block $h (result i32) (try_table (catch $e $h) (throw $e (i32.const 9))) (i32.const 0))))
(assert_return (invoke "catch") (i32.const 9))"#,
    );
    let output = wast(&["--engine", "wasmtime", &throws]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = wast(&["--engine", "wasmtime", "-W", "exceptions=n", &throws]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(69), "{out}");
    assert!(out.contains("throw.wast: 0 passed, 0 failed, 2 unsupported"), "{out}");
    assert!(out.contains("exceptions (switched off in its configuration)"), "{out}");
}
