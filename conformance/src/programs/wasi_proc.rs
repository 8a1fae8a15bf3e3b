//! `proc_exit`, `proc_raise`, `sched_yield`: how a command ends.

use super::wasi_kit::wat;
use crate::program::{Ending, Program};

const GROUP: &str = "wasi_proc";

/// Exits with the status given as its first argument, from inside nested calls; nothing
/// after `proc_exit` runs.
const EXIT: &str = r#"
  (func $status (result i32) (local $p i32) (local $n i32)
    (drop (call $args_sizes_get (i32.const 65536) (i32.const 65540)))
    (drop (call $args_get (i32.const 65600) (i32.const 66000)))
    (local.set $p (i32.load (i32.const 65604)))
    (block $done
      (loop $digit
        (br_if $done (i32.eqz (i32.load8_u (local.get $p))))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (i32.load8_u (local.get $p)) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $n))
  (func $deep (param $depth i32)
    (if (local.get $depth)
      (then (call $deep (i32.sub (local.get $depth) (i32.const 1))))
      (else
        (call $print (str "exiting\n"))
        (call $exit (call $status))
        (call $print (str "after proc_exit\n"))
        unreachable)))
  (func $main
    (call $errno (str "proc_raise 15") (call $proc_raise (i32.const 15)))
    (call $errno (str "proc_raise 300") (call $proc_raise (i32.const 300)))
    (call $errno (str "sched_yield") (call $sched_yield))
    (call $eprint (str "to stderr\n"))
    (call $deep (i32.const 50))
    (call $print (str "after the call\n")))
"#;

pub(super) fn programs() -> Vec<Program> {
    let exit = |name, arg: &'static [&'static str], status| Program {
        args: arg,
        ending: Ending::Exit(status),
        stdout:
            b"proc_raise 15: ENOTSUP (58)\nproc_raise 300: EINVAL (28)\nsched_yield: ok\nexiting\n",
        stderr: b"to stderr\n",
        ..Program::new(GROUP, name, wat(EXIT))
    };
    vec![
        exit("exit_0", &["0"], 0),
        exit("exit_1", &["1"], 1),
        exit("exit_42", &["42"], 42),
        exit("exit_255", &["255"], 255),
    ]
}
