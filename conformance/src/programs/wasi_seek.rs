//! `fd_seek` and `fd_tell`: every `whence`, holes past the end, and what cannot seek.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_seek";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

const SEEKS: &str = r#"
  (func $at (param $lp i32) (param $ll i32) (param $e i32)
    (if (local.get $e)
      (then (call $errno (local.get $lp) (local.get $ll) (local.get $e)))
      (else (call $val (local.get $lp) (local.get $ll) (global.get $pos)))))
  (func $take (param $fd i32) (param $len i32)
    (drop (call $read (local.get $fd) (i32.const 65536) (local.get $len)))
    (call $print (str "read ["))
    (call $print (i32.const 65536) (global.get $n))
    (call $print (str "]\n")))
  (func $main (local $fd i32)
    (drop (call $open (i32.const 3) (str "digits.txt") (i32.const 0) (global.get $RW) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $at (str "tell") (call $tell (local.get $fd)))
    (call $take (local.get $fd) (i32.const 3))
    (call $at (str "tell") (call $tell (local.get $fd)))
    (call $at (str "cur +2") (call $seek (local.get $fd) (i64.const 2) (i32.const 1)))
    (call $take (local.get $fd) (i32.const 2))
    (call $at (str "end -3") (call $seek (local.get $fd) (i64.const -3) (i32.const 2)))
    (call $take (local.get $fd) (i32.const 10))
    (call $take (local.get $fd) (i32.const 10))
    (call $at (str "cur 0") (call $seek (local.get $fd) (i64.const 0) (i32.const 1)))
    (call $at (str "set 4") (call $seek (local.get $fd) (i64.const 4) (i32.const 0)))
    (call $at (str "cur -4") (call $seek (local.get $fd) (i64.const -4) (i32.const 1)))
    ;; refused, and the position stays where it was
    (call $at (str "set -1") (call $seek (local.get $fd) (i64.const -1) (i32.const 0)))
    (call $at (str "cur -100") (call $seek (local.get $fd) (i64.const -100) (i32.const 1)))
    (call $at (str "end -11") (call $seek (local.get $fd) (i64.const -11) (i32.const 2)))
    (call $at (str "whence 3") (call $seek (local.get $fd) (i64.const 0) (i32.const 3)))
    (call $at (str "whence 256") (call $seek (local.get $fd) (i64.const 0) (i32.const 256)))
    (call $at (str "tell") (call $tell (local.get $fd)))
    ;; past the end: reading finds nothing, writing leaves a hole of zeros
    (call $at (str "end +5") (call $seek (local.get $fd) (i64.const 5) (i32.const 2)))
    (call $take (local.get $fd) (i32.const 10))
    (call $errno (str "write") (call $write (local.get $fd) (str "X")))
    (call $at (str "tell") (call $tell (local.get $fd)))
    (call $at (str "end 0") (call $seek (local.get $fd) (i64.const 0) (i32.const 2)))
    ;; streams and directories do not seek
    (call $at (str "seek stdin") (call $seek (i32.const 0) (i64.const 0) (i32.const 0)))
    (call $at (str "seek stdout") (call $seek (i32.const 1) (i64.const 0) (i32.const 1)))
    (call $at (str "tell stderr") (call $tell (i32.const 2)))
    (call $at (str "seek dir") (call $seek (i32.const 3) (i64.const 0) (i32.const 0)))
    (call $at (str "tell dir") (call $tell (i32.const 3)))
    (call $at (str "seek fd 8") (call $seek (i32.const 8) (i64.const 0) (i32.const 0))))
"#;

/// A descriptor with `FD_TELL` but not `FD_SEEK` may ask where it is (`fd_tell`, or `fd_seek`
/// by 0 from the current position) but not move; without `FD_TELL` it may do neither.
const RIGHTS: &str = r#"
  (func $main (local $fd i32)
    (drop (call $open (i32.const 3) (str "digits.txt") (i32.const 0)
      (i64.or (global.get $FD_READ) (global.get $FD_TELL)) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (drop (call $read (local.get $fd) (i32.const 65536) (i32.const 4)))
    (call $errno (str "tell") (call $tell (local.get $fd)))
    (call $val (str "  at") (global.get $pos))
    (call $errno (str "cur 0") (call $seek (local.get $fd) (i64.const 0) (i32.const 1)))
    (call $val (str "  at") (global.get $pos))
    (call $errno (str "cur +1") (call $seek (local.get $fd) (i64.const 1) (i32.const 1)))
    (call $errno (str "set 0") (call $seek (local.get $fd) (i64.const 0) (i32.const 0)))
    (call $errno (str "end 0") (call $seek (local.get $fd) (i64.const 0) (i32.const 2)))
    (drop (call $open (i32.const 3) (str "digits.txt") (i32.const 0) (global.get $FD_READ) (i32.const 0)))
    (call $errno (str "tell without FD_TELL") (call $tell (global.get $fd)))
    (call $errno (str "cur 0 without FD_TELL") (call $seek (global.get $fd) (i64.const 0) (i32.const 1))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            setup: &[Setup::File("box/digits.txt", b"0123456789")],
            preopens: BOX,
            stdout: b"tell: 0\n\
                      read [012]\n\
                      tell: 3\n\
                      cur +2: 5\n\
                      read [56]\n\
                      end -3: 7\n\
                      read [789]\n\
                      read []\n\
                      cur 0: 10\n\
                      set 4: 4\n\
                      cur -4: 0\n\
                      set -1: EINVAL (28)\n\
                      cur -100: EINVAL (28)\n\
                      end -11: EINVAL (28)\n\
                      whence 3: EINVAL (28)\n\
                      whence 256: EINVAL (28)\n\
                      tell: 0\n\
                      end +5: 15\n\
                      read []\n\
                      write: ok\n\
                      tell: 16\n\
                      end 0: 16\n\
                      seek stdin: ESPIPE (70)\n\
                      seek stdout: ESPIPE (70)\n\
                      tell stderr: ESPIPE (70)\n\
                      seek dir: EBADF (8)\n\
                      tell dir: EBADF (8)\n\
                      seek fd 8: EBADF (8)\n",
            files_after: &[("box/digits.txt", Some(b"0123456789\0\0\0\0\0X"))],
            ..Program::new(GROUP, "whence_and_holes", wat(SEEKS))
        },
        Program {
            setup: &[Setup::File("box/digits.txt", b"0123456789")],
            preopens: BOX,
            stdout: b"tell: ok\n\
                      \x20 at: 4\n\
                      cur 0: ok\n\
                      \x20 at: 4\n\
                      cur +1: ENOTCAPABLE (76)\n\
                      set 0: ENOTCAPABLE (76)\n\
                      end 0: ENOTCAPABLE (76)\n\
                      tell without FD_TELL: ENOTCAPABLE (76)\n\
                      cur 0 without FD_TELL: ENOTCAPABLE (76)\n",
            ..Program::new(GROUP, "tell_without_seek", wat(RIGHTS))
        },
    ]
}
