//! `fd_readdir`: whole listings, paging through small buffers by cookie, resuming from any
//! cookie, and what is not a readable directory.
//!
//! The host file system decides the order of entries after `.` and `..`, so the guests print
//! names by their length (each entry's is distinct) and compare listings byte for byte.

use super::wasi_kit::wat_parts;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_readdir";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

/// `.`, `..` and four entries with names of lengths 3 to 6.
const TREE: &[Setup] = &[
    Setup::File("box/abc", b"x"),
    Setup::Dir("box/sub4"),
    Setup::Symlink("box/link5", "abc"),
    Setup::File("box/file_6", b"six"),
];

/// `$list (fd buflen cookie base)`: pages through a directory from `cookie` with a buffer of
/// `buflen` bytes at 65536, copying each whole dirent to `base` on; `$calls` counts the
/// calls, `$end` is where the copies end. Returns the errno, or -1 when no entry fits.
/// `$show (base names)` prints the cookies and, with `names`, each entry by name length.
const LISTING: &str = r#"
  (global $calls (mut i32) (i32.const 0))
  (global $end (mut i32) (i32.const 0))
  (func $list (param $fd i32) (param $buflen i32) (param $cookie i64) (param $base i32) (result i32)
    (local $e i32) (local $used i32) (local $p i32) (local $size i32)
    (global.set $calls (i32.const 0))
    (global.set $end (local.get $base))
    (loop $call
      (local.set $e (call $fd_readdir (local.get $fd) (i32.const 65536) (local.get $buflen) (local.get $cookie) (i32.const 69700)))
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (if (local.get $e) (then (return (local.get $e))))
      (local.set $used (i32.load (i32.const 69700)))
      (local.set $p (i32.const 0))
      (block $partial
        (loop $entry
          (br_if $partial (i32.gt_u (i32.add (local.get $p) (i32.const 24)) (local.get $used)))
          (local.set $size (i32.add (i32.const 24) (i32.load offset=65552 (local.get $p))))
          (br_if $partial (i32.gt_u (i32.add (local.get $p) (local.get $size)) (local.get $used)))
          (memory.copy (global.get $end) (i32.add (i32.const 65536) (local.get $p)) (local.get $size))
          (global.set $end (i32.add (global.get $end) (local.get $size)))
          (local.set $cookie (i64.load offset=65536 (local.get $p)))
          (local.set $p (i32.add (local.get $p) (local.get $size)))
          (br $entry)))
      ;; a buffer not filled up means the listing is over
      (if (i32.lt_u (local.get $used) (local.get $buflen)) (then (return (i32.const 0))))
      (if (i32.eqz (local.get $p)) (then (return (i32.const -1))))
      (br $call))
    (i32.const 0))

  (func $next (param $p i32) (result i32)
    (i32.add (local.get $p) (i32.add (i32.const 24) (i32.load offset=16 (local.get $p)))))

  (func $show (param $base i32) (param $names i32) (local $p i32) (local $len i32) (local $count i32)
    (call $val (str "  calls") (i64.extend_i32_u (global.get $calls)))
    (call $print (str "  cookies:"))
    (local.set $p (local.get $base))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $p) (global.get $end)))
        (call $sp)
        (call $u64 (i64.load (local.get $p)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $p (call $next (local.get $p)))
        (br $each)))
    (call $nl)
    (call $val (str "  entries") (i64.extend_i32_u (local.get $count)))
    (if (i32.eqz (local.get $names)) (then (return)))
    (call $print (str "  first two:"))
    (call $sp)
    (call $print (i32.add (local.get $base) (i32.const 24)) (i32.load offset=16 (local.get $base)))
    (local.set $p (call $next (local.get $base)))
    (call $sp)
    (call $print (i32.add (local.get $p) (i32.const 24)) (i32.load offset=16 (local.get $p)))
    (call $nl)
    (local.set $len (i32.const 1))
    (loop $lengths
      (local.set $p (local.get $base))
      (block $done
        (loop $each
          (br_if $done (i32.ge_u (local.get $p) (global.get $end)))
          (if (i32.eq (i32.load offset=16 (local.get $p)) (local.get $len))
            (then
              (call $print (str "  "))
              (call $print (i32.add (local.get $p) (i32.const 24)) (local.get $len))
              (call $print (str " type "))
              (call $num (i32.load8_u offset=20 (local.get $p)))
              (call $nl)))
          (local.set $p (call $next (local.get $p)))
          (br $each)))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (br_if $lengths (i32.le_u (local.get $len) (i32.const 16)))))

  ;; whether the len bytes at a and b are equal
  (func $equal (param $a i32) (param $b i32) (param $len i32) (result i32)
    (block $differ
      (loop $byte
        (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $byte)))
    (i32.const 0))
  (func $yes (param $lp i32) (param $ll i32) (param $yes i32)
    (call $print (local.get $lp) (local.get $ll))
    (if (local.get $yes) (then (call $print (str ": yes\n"))) (else (call $print (str ": no\n")))))
"#;

const PAGING: &str = r#"
  (func $main (local $whole i32) (local $whole_end i32) (local $tail i32)
    (call $print (str "whole, 4096-byte buffer\n"))
    (call $errno (str "  list") (call $list (i32.const 3) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (call $show (i32.const 73728) (i32.const 1))
    (local.set $whole_end (global.get $end))

    (call $print (str "paged, 40-byte buffer\n"))
    (call $errno (str "  list") (call $list (i32.const 3) (i32.const 40) (i64.const 0) (i32.const 90112)))
    (call $show (i32.const 90112) (i32.const 0))
    (call $yes (str "  same as whole")
      (i32.and
        (i32.eq (i32.sub (global.get $end) (i32.const 90112)) (i32.sub (local.get $whole_end) (i32.const 73728)))
        (call $equal (i32.const 73728) (i32.const 90112) (i32.sub (local.get $whole_end) (i32.const 73728)))))

    ;; the whole listing from its fifth entry on
    (local.set $tail (call $next (call $next (call $next (call $next (i32.const 73728))))))
    (call $print (str "from cookie 4, 64-byte buffer\n"))
    (call $errno (str "  list") (call $list (i32.const 3) (i32.const 64) (i64.const 4) (i32.const 106496)))
    (call $show (i32.const 106496) (i32.const 0))
    (call $yes (str "  same as the whole's tail")
      (i32.and
        (i32.eq (i32.sub (global.get $end) (i32.const 106496)) (i32.sub (local.get $whole_end) (local.get $tail)))
        (call $equal (local.get $tail) (i32.const 106496) (i32.sub (local.get $whole_end) (local.get $tail)))))

    (call $print (str "from cookie 6, the end\n"))
    (call $errno (str "  list") (call $list (i32.const 3) (i32.const 4096) (i64.const 6) (i32.const 106496)))
    (call $show (i32.const 106496) (i32.const 0))
    (call $print (str "from cookie 1000\n"))
    (call $errno (str "  list") (call $list (i32.const 3) (i32.const 4096) (i64.const 1000) (i32.const 106496)))
    (call $show (i32.const 106496) (i32.const 0))

    ;; a buffer smaller than one dirent is filled, and the guest cannot make progress
    (call $print (str "10-byte buffer\n"))
    (call $errno (str "  readdir") (call $fd_readdir (i32.const 3) (i32.const 65536) (i32.const 10) (i64.const 0) (i32.const 69700)))
    (call $val (str "  used") (i64.load32_u (i32.const 69700)))
    (call $val (str "  cookie of .") (i64.load (i32.const 65536)))
    (call $print (str "0-byte buffer\n"))
    (call $errno (str "  readdir") (call $fd_readdir (i32.const 3) (i32.const 65536) (i32.const 0) (i64.const 0) (i32.const 69700)))
    (call $val (str "  used") (i64.load32_u (i32.const 69700))))
"#;

/// A listing is read from a snapshot taken at cookie 0: entries made while paging through
/// it show up in the next listing. And what cannot be listed.
const SNAPSHOT: &str = r#"
  (func $main
    ;; one call with room for `.` alone
    (call $errno (str "first page") (call $fd_readdir (i32.const 3) (i32.const 65536) (i32.const 30) (i64.const 0) (i32.const 69700)))
    (call $val (str "  used") (i64.load32_u (i32.const 69700)))
    (call $val (str "  next cookie") (i64.load (i32.const 65536)))
    (call $errno (str "create new_file") (call $open (i32.const 3) (str "new_file") (i32.const 1) (global.get $RW) (i32.const 0)))
    (call $errno (str "rest of the listing") (call $list (i32.const 3) (i32.const 4096) (i64.const 1) (i32.const 73728)))
    (call $show (i32.const 73728) (i32.const 0))
    (call $errno (str "new listing") (call $list (i32.const 3) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (call $show (i32.const 73728) (i32.const 0))
    (call $errno (str "a file") (call $list (global.get $fd) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (call $errno (str "stdout") (call $list (i32.const 1) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (call $errno (str "fd 12") (call $list (i32.const 12) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (drop (call $open (i32.const 3) (str "sub4") (i32.const 2) (global.get $PATH_OPEN) (i32.const 0)))
    (call $errno (str "without FD_READDIR") (call $list (global.get $fd) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (drop (call $open (i32.const 3) (str "sub4") (i32.const 2) (global.get $FD_READDIR) (i32.const 0)))
    (call $errno (str "empty subdirectory") (call $list (global.get $fd) (i32.const 4096) (i64.const 0) (i32.const 73728)))
    (call $show (i32.const 73728) (i32.const 1)))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            setup: TREE,
            preopens: BOX,
            stdout: b"whole, 4096-byte buffer\n\
                      \x20 list: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies: 1 2 3 4 5 6\n\
                      \x20 entries: 6\n\
                      \x20 first two: . ..\n\
                      \x20 . type 3\n\
                      \x20 .. type 3\n\
                      \x20 abc type 4\n\
                      \x20 sub4 type 3\n\
                      \x20 link5 type 7\n\
                      \x20 file_6 type 4\n\
                      paged, 40-byte buffer\n\
                      \x20 list: ok\n\
                      \x20 calls: 6\n\
                      \x20 cookies: 1 2 3 4 5 6\n\
                      \x20 entries: 6\n\
                      \x20 same as whole: yes\n\
                      from cookie 4, 64-byte buffer\n\
                      \x20 list: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies: 5 6\n\
                      \x20 entries: 2\n\
                      \x20 same as the whole's tail: yes\n\
                      from cookie 6, the end\n\
                      \x20 list: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies:\n\
                      \x20 entries: 0\n\
                      from cookie 1000\n\
                      \x20 list: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies:\n\
                      \x20 entries: 0\n\
                      10-byte buffer\n\
                      \x20 readdir: ok\n\
                      \x20 used: 10\n\
                      \x20 cookie of .: 1\n\
                      0-byte buffer\n\
                      \x20 readdir: ok\n\
                      \x20 used: 0\n",
            ..Program::new(GROUP, "paging_with_cookies", wat_parts(&[LISTING, PAGING]))
        },
        Program {
            setup: TREE,
            preopens: BOX,
            stdout: b"first page: ok\n\
                      \x20 used: 30\n\
                      \x20 next cookie: 1\n\
                      create new_file: ok\n\
                      rest of the listing: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies: 2 3 4 5 6\n\
                      \x20 entries: 5\n\
                      new listing: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies: 1 2 3 4 5 6 7\n\
                      \x20 entries: 7\n\
                      a file: ENOTDIR (54)\n\
                      stdout: ENOTDIR (54)\n\
                      fd 12: EBADF (8)\n\
                      without FD_READDIR: ENOTCAPABLE (76)\n\
                      empty subdirectory: ok\n\
                      \x20 calls: 1\n\
                      \x20 cookies: 1 2\n\
                      \x20 entries: 2\n\
                      \x20 first two: . ..\n\
                      \x20 . type 3\n\
                      \x20 .. type 3\n",
            ..Program::new(GROUP, "snapshot_and_errors", wat_parts(&[LISTING, SNAPSHOT]))
        },
    ]
}
