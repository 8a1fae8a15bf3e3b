//! `fd_renumber`: moving a descriptor onto another (closing it), preopens and stdout included.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_renumber";

const RENUMBER: &str = r#"
  (func $main
    (drop (call $open (i32.const 3) (str "a.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $val (str "a.txt is fd") (i64.extend_i32_u (global.get $fd)))
    (drop (call $open (i32.const 3) (str "b.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $val (str "b.txt is fd") (i64.extend_i32_u (global.get $fd)))
    (call $errno (str "renumber 4 -> 5") (call $fd_renumber (i32.const 4) (i32.const 5)))
    (call $print (str "fd 5 reads: "))
    (call $cat (i32.const 5))
    (call $nl)
    (call $errno (str "read fd 4") (call $read (i32.const 4) (i32.const 65536) (i32.const 1)))
    (call $errno (str "renumber 5 -> 5") (call $fd_renumber (i32.const 5) (i32.const 5)))
    (call $errno (str "renumber 5 -> 9, not open") (call $fd_renumber (i32.const 5) (i32.const 9)))
    (call $errno (str "renumber 9 -> 5, not open") (call $fd_renumber (i32.const 9) (i32.const 5)))
    (call $errno (str "renumber 4 -> 4, not open") (call $fd_renumber (i32.const 4) (i32.const 4)))
    (drop (call $open (i32.const 3) (str "b.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $val (str "b.txt again is fd") (i64.extend_i32_u (global.get $fd)))
    ;; a preopen moves with its name
    (call $errno (str "renumber 3 -> 4") (call $fd_renumber (i32.const 3) (i32.const 4)))
    (call $errno (str "prestat 3") (call $fd_prestat_get (i32.const 3) (i32.const 65536)))
    (call $errno (str "prestat 4") (call $fd_prestat_get (i32.const 4) (i32.const 65536)))
    (call $val (str "  name length") (i64.load32_u (i32.const 65540)))
    (call $slurp (i32.const 4) (str "a.txt"))
    ;; stdout onto a file (it gets the lowest free number, 3): what follows goes there
    (drop (call $open (i32.const 4) (str "out.txt") (i32.const 1) (global.get $RW) (i32.const 0)))
    (call $val (str "out.txt is fd") (i64.extend_i32_u (global.get $fd)))
    (call $errno (str "renumber 3 -> 1") (call $fd_renumber (i32.const 3) (i32.const 1)))
    (call $print (str "this line goes to out.txt\n"))
    (call $errno (str "renumber 2 -> 3, not open") (call $fd_renumber (i32.const 2) (i32.const 3)))
    (call $eprint (str "stderr is still stderr\n")))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[Setup::File("box/a.txt", b"A"), Setup::File("box/b.txt", b"B")],
        preopens: &[Preopen { host: "box", guest: "/box", read_only: false }],
        stdout: b"a.txt is fd: 4\n\
                  b.txt is fd: 5\n\
                  renumber 4 -> 5: ok\n\
                  fd 5 reads: A\n\
                  read fd 4: EBADF (8)\n\
                  renumber 5 -> 5: ok\n\
                  renumber 5 -> 9, not open: EBADF (8)\n\
                  renumber 9 -> 5, not open: EBADF (8)\n\
                  renumber 4 -> 4, not open: EBADF (8)\n\
                  b.txt again is fd: 4\n\
                  renumber 3 -> 4: ok\n\
                  prestat 3: EBADF (8)\n\
                  prestat 4: ok\n\
                  \x20 name length: 4\n\
                  a.txt: [A]\n\
                  out.txt is fd: 3\n",
        stderr: b"stderr is still stderr\n",
        files_after: &[(
            "box/out.txt",
            Some(b"renumber 3 -> 1: ok\nthis line goes to out.txt\nrenumber 2 -> 3, not open: EBADF (8)\n"),
        )],
        ..Program::new(GROUP, "descriptors_move", wat(RENUMBER))
    }]
}
