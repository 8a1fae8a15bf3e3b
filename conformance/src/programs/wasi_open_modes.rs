//! `path_open` as C's `open()` uses it: `O_CREAT | O_TRUNC | O_WRONLY | O_APPEND` (truncate,
//! then every write appends, whatever `fd_seek` says, and `fd_pwrite` leaves the position
//! alone), and directories, which open for reading and never with write rights.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_open_modes";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

const MODES: &str = r#"
  (func $where (param $fd i32)
    (drop (call $tell (local.get $fd)))
    (call $val (str "  position") (global.get $pos)))
  (func $main (local $fd i32)
    ;; oflags CREAT | TRUNC on an existing file, fdflags APPEND
    (call $errno (str "create, truncate, append") (call $open (i32.const 3) (str "log.txt") (i32.const 9) (global.get $RW) (i32.const 1)))
    (local.set $fd (global.get $fd))
    (call $errno (str "write") (call $write (local.get $fd) (str "abc")))
    (call $errno (str "seek to 0") (call $seek (local.get $fd) (i64.const 0) (i32.const 0)))
    (call $errno (str "write") (call $write (local.get $fd) (str "def")))
    (call $where (local.get $fd))
    (call $errno (str "pwrite at 0") (call $pwrite (local.get $fd) (str "XY") (i64.const 0)))
    (call $where (local.get $fd))
    (call $errno (str "fdstat") (call $fd_fdstat_get (local.get $fd) (i32.const 65600)))
    (call $val (str "  flags") (i64.load16_u (i32.const 65602)))
    (drop (call $fd_close (local.get $fd)))
    (call $slurp (i32.const 3) (str "log.txt"))
    ;; the same on a file that does not exist yet
    (call $errno (str "create new, truncate, append") (call $open (i32.const 3) (str "new.txt") (i32.const 9) (global.get $RW) (i32.const 1)))
    (call $errno (str "write") (call $write (global.get $fd) (str "one")))
    (drop (call $fd_close (global.get $fd)))
    (call $slurp (i32.const 3) (str "new.txt"))
    ;; O_DIRECTORY: reading rights open a directory, writing rights do not
    (call $errno (str "directory with read rights") (call $open (i32.const 3) (str "sub") (i32.const 2) (global.get $READ) (i32.const 0)))
    (call $errno (str "directory with write rights") (call $open (i32.const 3) (str "sub") (i32.const 2) (global.get $RW) (i32.const 0)))
    (call $errno (str "file as a directory with write rights") (call $open (i32.const 3) (str "new.txt") (i32.const 2) (global.get $RW) (i32.const 0)))
    (call $errno (str "missing directory with write rights") (call $open (i32.const 3) (str "none") (i32.const 2) (global.get $RW) (i32.const 0))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[Setup::File("box/log.txt", b"an old log\n"), Setup::Dir("box/sub")],
        preopens: BOX,
        stdout: b"create, truncate, append: ok\n\
                  write: ok\n\
                  seek to 0: ok\n\
                  write: ok\n\
                  \x20 position: 6\n\
                  pwrite at 0: ok\n\
                  \x20 position: 6\n\
                  fdstat: ok\n\
                  \x20 flags: 1\n\
                  log.txt: [abcdefXY]\n\
                  create new, truncate, append: ok\n\
                  write: ok\n\
                  new.txt: [one]\n\
                  directory with read rights: ok\n\
                  directory with write rights: EISDIR (31)\n\
                  file as a directory with write rights: ENOTDIR (54)\n\
                  missing directory with write rights: ENOENT (44)\n",
        files_after: &[("box/log.txt", Some(b"abcdefXY")), ("box/new.txt", Some(b"one"))],
        ..Program::new(GROUP, "c_open_modes", wat(MODES))
    }]
}
