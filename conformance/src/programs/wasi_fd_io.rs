//! `fd_read`, `fd_write`, `fd_close`, `fd_fdstat_get`, `fd_fdstat_set_flags`: stdio and files.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_fd_io";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

/// Gathered writes to stdout and stderr, and descriptors that cannot be written or read.
const STDIO: &str = r#"
  (func $main
    ;; three ciovecs at 65536: "Hello", "" and ", world\n"
    (i32.store (i32.const 65536) (addr "Hello"))
    (i32.store (i32.const 65540) (i32.const 5))
    (i32.store (i32.const 65544) (addr "unused"))
    (i32.store (i32.const 65548) (i32.const 0))
    (i32.store (i32.const 65552) (addr ", world\n"))
    (i32.store (i32.const 65556) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 3) (i32.const 65600)))
    (call $val (str "written") (i64.load32_u (i32.const 65600)))
    (call $errno (str "stderr") (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 3) (i32.const 65600)))
    (call $val (str "written") (i64.load32_u (i32.const 65600)))
    (call $errno (str "no iovecs") (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 0) (i32.const 65600)))
    (call $val (str "written") (i64.load32_u (i32.const 65600)))
    (call $errno (str "write stdin") (call $write (i32.const 0) (str "x")))
    (call $errno (str "read stdout") (call $read (i32.const 1) (i32.const 65536) (i32.const 4)))
    (call $errno (str "read stderr") (call $read (i32.const 2) (i32.const 65536) (i32.const 4)))
    (call $errno (str "write fd 9") (call $write (i32.const 9) (str "x")))
    (call $errno (str "write fd -1") (call $write (i32.const -1) (str "x")))
    ;; stdio as the guest sees it: type, flags, rights
    (call $fdstat (i32.const 0))
    (call $fdstat (i32.const 1))
    (call $fdstat (i32.const 2)))
  (func $fdstat (param $fd i32)
    (call $errno (str "fdstat") (call $fd_fdstat_get (local.get $fd) (i32.const 65700)))
    (call $val (str "  filetype") (i64.load8_u (i32.const 65700)))
    (call $val (str "  flags") (i64.load16_u (i32.const 65702)))
    (call $val (str "  base") (i64.load (i32.const 65708)))
    (call $val (str "  inheriting") (i64.load (i32.const 65716))))
"#;

/// Reads stdin to its end in chunks, scattering each read over two buffers.
const STDIN: &str = r#"
  (func $main (local $e i32) (local $n i32)
    (i32.store (i32.const 65536) (i32.const 65600))
    (i32.store (i32.const 65540) (i32.const 3))
    (i32.store (i32.const 65544) (i32.const 65700))
    (i32.store (i32.const 65548) (i32.const 4))
    (loop $more
      (local.set $e (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 2) (i32.const 65560)))
      (local.set $n (i32.load (i32.const 65560)))
      (call $errno (str "read") (local.get $e))
      (call $val (str "  bytes") (i64.extend_i32_u (local.get $n)))
      (call $print (str "  ["))
      (call $print (i32.const 65600) (select (local.get $n) (i32.const 3) (i32.lt_u (local.get $n) (i32.const 3))))
      (call $print (str "|"))
      (if (i32.gt_u (local.get $n) (i32.const 3))
        (then (call $print (i32.const 65700) (i32.sub (local.get $n) (i32.const 3)))))
      (call $print (str "]\n"))
      (br_if $more (local.get $n)))
    (call $errno (str "read after the end") (call $read (i32.const 0) (i32.const 65600) (i32.const 8)))
    (call $val (str "  bytes") (i64.extend_i32_u (global.get $n))))
"#;

/// Creates, writes, reopens and reads files; `EXCL`, `TRUNC`, `APPEND` and descriptor reuse.
const FILES: &str = r#"
  (func $main (local $fd i32)
    (call $errno (str "create") (call $open (i32.const 3) (str "new.txt") (i32.const 1) (global.get $RW) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $val (str "fd") (i64.extend_i32_u (local.get $fd)))
    ;; gathered: "abc" and "def\n"
    (i32.store (i32.const 65536) (addr "abc"))
    (i32.store (i32.const 65540) (i32.const 3))
    (i32.store (i32.const 65544) (addr "def\n"))
    (i32.store (i32.const 65548) (i32.const 4))
    (call $errno (str "write") (call $fd_write (local.get $fd) (i32.const 65536) (i32.const 2) (i32.const 65560)))
    (call $val (str "written") (i64.load32_u (i32.const 65560)))
    (call $errno (str "close") (call $fd_close (local.get $fd)))
    (call $errno (str "close again") (call $fd_close (local.get $fd)))
    (call $errno (str "write closed") (call $write (local.get $fd) (str "x")))
    (call $slurp (i32.const 3) (str "new.txt"))
    ;; EXCL refuses an existing file; without it CREAT opens it
    (call $errno (str "create excl") (call $open (i32.const 3) (str "new.txt") (i32.const 5) (global.get $RW) (i32.const 0)))
    (call $errno (str "create again") (call $open (i32.const 3) (str "new.txt") (i32.const 1) (global.get $RW) (i32.const 0)))
    (call $val (str "fd reused") (i64.extend_i32_u (global.get $fd)))
    (drop (call $fd_close (global.get $fd)))
    ;; APPEND: writes go to the end whatever the position
    (call $errno (str "open append") (call $open (i32.const 3) (str "new.txt") (i32.const 0) (global.get $RW) (i32.const 1)))
    (local.set $fd (global.get $fd))
    (call $errno (str "write") (call $write (local.get $fd) (str "ghi\n")))
    (drop (call $seek (local.get $fd) (i64.const 0) (i32.const 0)))
    (call $errno (str "write") (call $write (local.get $fd) (str "jkl\n")))
    (call $errno (str "fdstat") (call $fd_fdstat_get (local.get $fd) (i32.const 65600)))
    (call $val (str "  filetype") (i64.load8_u (i32.const 65600)))
    (call $val (str "  flags") (i64.load16_u (i32.const 65602)))
    (drop (call $fd_close (local.get $fd)))
    (call $slurp (i32.const 3) (str "new.txt"))
    ;; TRUNC empties it
    (call $errno (str "truncate") (call $open (i32.const 3) (str "old.txt") (i32.const 8) (global.get $RW) (i32.const 0)))
    (call $errno (str "write") (call $write (global.get $fd) (str "short\n")))
    (drop (call $fd_close (global.get $fd)))
    (call $slurp (i32.const 3) (str "old.txt"))
    ;; a file opened for reading cannot be written, nor a directory read or written
    (call $errno (str "open read-only") (call $open (i32.const 3) (str "old.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "write read-only") (call $write (global.get $fd) (str "x")))
    (call $errno (str "read dir") (call $read (i32.const 3) (i32.const 65600) (i32.const 4)))
    (call $errno (str "write dir") (call $write (i32.const 3) (str "x")))
    (call $errno (str "open missing") (call $open (i32.const 3) (str "missing.txt") (i32.const 0) (global.get $READ) (i32.const 0))))
"#;

/// `fd_fdstat_set_flags`: APPEND can be switched on and off; sync flags and unknown bits
/// cannot be set.
const FLAGS: &str = r#"
  (func $main (local $fd i32)
    (drop (call $open (i32.const 3) (str "log.txt") (i32.const 0) (global.get $ALL) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $errno (str "append on") (call $fd_fdstat_set_flags (local.get $fd) (i32.const 1)))
    (drop (call $write (local.get $fd) (str "+end")))
    (call $errno (str "append off") (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0)))
    (drop (call $seek (local.get $fd) (i64.const 0) (i32.const 0)))
    (drop (call $write (local.get $fd) (str "START")))
    (call $errno (str "dsync") (call $fd_fdstat_set_flags (local.get $fd) (i32.const 2)))
    (call $errno (str "unknown bit") (call $fd_fdstat_set_flags (local.get $fd) (i32.const 32)))
    (call $errno (str "beyond 16 bits") (call $fd_fdstat_set_flags (local.get $fd) (i32.const 65537)))
    (call $errno (str "nonblock on stdout") (call $fd_fdstat_set_flags (i32.const 1) (i32.const 4)))
    (drop (call $fd_fdstat_get (i32.const 1) (i32.const 65600)))
    (call $val (str "stdout flags") (i64.load16_u (i32.const 65602)))
    (call $errno (str "on a directory") (call $fd_fdstat_set_flags (i32.const 3) (i32.const 1)))
    (call $errno (str "on fd 42") (call $fd_fdstat_set_flags (i32.const 42) (i32.const 0))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            stdout: b"Hello, world\n\
                      written: 13\n\
                      stderr: ok\n\
                      written: 13\n\
                      no iovecs: ok\n\
                      written: 0\n\
                      write stdin: EBADF (8)\n\
                      read stdout: EBADF (8)\n\
                      read stderr: EBADF (8)\n\
                      write fd 9: EBADF (8)\n\
                      write fd -1: EBADF (8)\n\
                      fdstat: ok\n  filetype: 0\n  flags: 0\n  base: 136314890\n  inheriting: 0\n\
                      fdstat: ok\n  filetype: 0\n  flags: 0\n  base: 136314952\n  inheriting: 0\n\
                      fdstat: ok\n  filetype: 0\n  flags: 0\n  base: 136314952\n  inheriting: 0\n",
            // Rights: stdin may read, stdout and stderr write; all may set flags, get their
            // filestat and be polled. Captured streams are of unknown type.
            stderr: b"Hello, world\n",
            ..Program::new(GROUP, "stdio_gathered_writes", wat(STDIO))
        },
        Program {
            stdin: b"Hello, stdin!\n",
            // A stream fills only the first buffer of a read (it might block on the next, as
            // wasmtime's preview1 does too), then reports the end as 0 bytes, again and again.
            stdout: b"read: ok\n  bytes: 3\n  [Hel|]\n\
                      read: ok\n  bytes: 3\n  [lo,|]\n\
                      read: ok\n  bytes: 3\n  [ st|]\n\
                      read: ok\n  bytes: 3\n  [din|]\n\
                      read: ok\n  bytes: 2\n  [!\n|]\n\
                      read: ok\n  bytes: 0\n  [|]\n\
                      read after the end: ok\n  bytes: 0\n",
            ..Program::new(GROUP, "stdin_to_the_end", wat(STDIN))
        },
        Program {
            setup: &[Setup::File("box/old.txt", b"a longer old text\n")],
            preopens: BOX,
            stdout: b"create: ok\n\
                      fd: 4\n\
                      write: ok\n\
                      written: 7\n\
                      close: ok\n\
                      close again: EBADF (8)\n\
                      write closed: EBADF (8)\n\
                      new.txt: [abcdef\n]\n\
                      create excl: EEXIST (20)\n\
                      create again: ok\n\
                      fd reused: 4\n\
                      open append: ok\n\
                      write: ok\n\
                      write: ok\n\
                      fdstat: ok\n  filetype: 4\n  flags: 1\n\
                      new.txt: [abcdef\nghi\njkl\n]\n\
                      truncate: ok\n\
                      write: ok\n\
                      old.txt: [short\n]\n\
                      open read-only: ok\n\
                      write read-only: ENOTCAPABLE (76)\n\
                      read dir: EBADF (8)\n\
                      write dir: EBADF (8)\n\
                      open missing: ENOENT (44)\n",
            files_after: &[
                ("box/new.txt", Some(b"abcdef\nghi\njkl\n")),
                ("box/old.txt", Some(b"short\n")),
                ("box/missing.txt", None),
            ],
            ..Program::new(GROUP, "files_written_and_read", wat(FILES))
        },
        Program {
            setup: &[Setup::File("box/log.txt", b"0123456789")],
            preopens: BOX,
            // The sync flags were not asked for at open, so they cannot be set now; stdout
            // records NONBLOCK (it never blocks anyway).
            stdout: b"append on: ok\n\
                      append off: ok\n\
                      dsync: EINVAL (28)\n\
                      unknown bit: EINVAL (28)\n\
                      beyond 16 bits: EINVAL (28)\n\
                      nonblock on stdout: ok\n\
                      stdout flags: 4\n\
                      on a directory: EBADF (8)\n\
                      on fd 42: EBADF (8)\n",
            files_after: &[("box/log.txt", Some(b"START56789+end"))],
            ..Program::new(GROUP, "fdstat_set_flags", wat(FLAGS))
        },
    ]
}
