//! `path_filestat_get`, `fd_filestat_get`, `fd_filestat_set_size`, `fd_filestat_set_times`,
//! `path_filestat_set_times`. Times set explicitly read back exactly (whole seconds, so any
//! host file system keeps them); "now" is the host's time, checked only to be recent.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_filestat";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

const STAT: &str = r#"
  (func $show (param $e i32)
    (if (local.get $e) (then (return)))
    (call $print (str "  type "))
    (call $num (call $st_type))
    (call $print (str " size "))
    (call $u64 (call $st_size))
    (call $print (str " nlink "))
    (call $u64 (call $st_nlink))
    (call $nl))
  (func $type (param $e i32)
    (if (local.get $e) (then (return)))
    (call $val (str "  type") (i64.extend_i32_u (call $st_type))))
  (func $times
    (call $val (str "  atim") (call $st_atim))
    (call $val (str "  mtim") (call $st_mtim)))
  (func $main (local $fd i32) (local $e i32) (local $ino i64)
    (local.set $e (call $stat (i32.const 3) (i32.const 1) (str "f.txt")))
    (call $errno (str "stat f.txt") (local.get $e))
    (call $show (local.get $e))
    (local.set $ino (call $st_ino))
    (local.set $e (call $stat (i32.const 3) (i32.const 1) (str "sub")))
    (call $errno (str "stat sub") (local.get $e))
    (call $type (local.get $e))
    (local.set $e (call $stat (i32.const 3) (i32.const 1) (str "ln")))
    (call $errno (str "stat ln, following") (local.get $e))
    (call $show (local.get $e))
    (local.set $e (call $stat (i32.const 3) (i32.const 0) (str "ln")))
    (call $errno (str "stat ln, not following") (local.get $e))
    (call $show (local.get $e))
    (call $errno (str "stat missing") (call $stat (i32.const 3) (i32.const 1) (str "missing")))
    (call $errno (str "stat f.txt/x") (call $stat (i32.const 3) (i32.const 1) (str "f.txt/x")))
    (call $errno (str "lookup flag 2") (call $stat (i32.const 3) (i32.const 2) (str "f.txt")))
    (call $errno (str "stat via stdout") (call $stat (i32.const 1) (i32.const 1) (str "f.txt")))

    (call $errno (str "open f.txt") (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $ALL) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (local.set $e (call $fstat (local.get $fd)))
    (call $errno (str "fstat") (local.get $e))
    (call $show (local.get $e))
    (call $print (str "  same inode as the path: "))
    (if (i64.eq (call $st_ino) (local.get $ino)) (then (call $print (str "yes\n"))) (else (call $print (str "no\n"))))
    (local.set $e (call $fstat (i32.const 1)))
    (call $errno (str "fstat stdout") (local.get $e))
    (call $show (local.get $e))
    (local.set $e (call $fstat (i32.const 3)))
    (call $errno (str "fstat preopen") (local.get $e))
    (call $type (local.get $e))
    (call $errno (str "fstat fd 20") (call $fstat (i32.const 20)))

    ;; sizes: shrink, then grow with zeros
    (call $errno (str "set size 5") (call $fd_filestat_set_size (local.get $fd) (i64.const 5)))
    (drop (call $fstat (local.get $fd)))
    (call $show (i32.const 0))
    (call $errno (str "set size 8") (call $fd_filestat_set_size (local.get $fd) (i64.const 8)))
    (drop (call $fstat (local.get $fd)))
    (call $show (i32.const 0))
    (call $errno (str "set size of a directory") (call $fd_filestat_set_size (i32.const 3) (i64.const 0)))
    (call $errno (str "set size of stdout") (call $fd_filestat_set_size (i32.const 1) (i64.const 0)))
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "set size read-only") (call $fd_filestat_set_size (global.get $fd) (i64.const 0)))
    (call $errno (str "set times read-only") (call $fd_filestat_set_times (global.get $fd) (i64.const 0) (i64.const 0) (i32.const 8)))

    ;; times: both (ATIM|MTIM), then mtim alone by path
    (call $errno (str "set atim and mtim") (call $fd_filestat_set_times (local.get $fd)
      (i64.const 1000000000000000000) (i64.const 1200000000000000000) (i32.const 5)))
    (drop (call $fstat (local.get $fd)))
    (call $times)
    (call $errno (str "set mtim by path") (call $path_filestat_set_times (i32.const 3) (i32.const 1) (str "f.txt")
      (i64.const 0) (i64.const 1300000000000000000) (i32.const 4)))
    (drop (call $stat (i32.const 3) (i32.const 1) (str "f.txt")))
    (call $times)
    ;; not following the link sets the link's own times
    (call $errno (str "set mtim of ln itself") (call $path_filestat_set_times (i32.const 3) (i32.const 0) (str "ln")
      (i64.const 0) (i64.const 1100000000000000000) (i32.const 4)))
    (drop (call $stat (i32.const 3) (i32.const 0) (str "ln")))
    (call $val (str "  ln mtim") (call $st_mtim))
    (drop (call $stat (i32.const 3) (i32.const 1) (str "ln")))
    (call $val (str "  f.txt mtim") (call $st_mtim))
    ;; "now" is the host's clock
    (call $errno (str "set mtim to now") (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 8)))
    (drop (call $fstat (local.get $fd)))
    (call $print (str "  mtim after 2020: "))
    (if (i64.gt_u (call $st_mtim) (i64.const 1577836800000000000)) (then (call $print (str "yes\n"))) (else (call $print (str "no\n"))))
    (call $val (str "  atim") (call $st_atim))
    ;; a time and "now" for the same field, unknown flags
    (call $errno (str "atim and atim now") (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 3)))
    (call $errno (str "mtim and mtim now") (call $path_filestat_set_times (i32.const 3) (i32.const 1) (str "f.txt")
      (i64.const 0) (i64.const 0) (i32.const 12)))
    (call $errno (str "flag 16") (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 16)))
    (call $errno (str "set times of stdout") (call $fd_filestat_set_times (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 8)))
    (call $errno (str "set times of missing") (call $path_filestat_set_times (i32.const 3) (i32.const 1) (str "missing")
      (i64.const 0) (i64.const 0) (i32.const 8)))
    ;; a directory's times, through its descriptor
    (call $errno (str "set mtim of the preopen") (call $fd_filestat_set_times (i32.const 3) (i64.const 0) (i64.const 1250000000000000000) (i32.const 4)))
    (drop (call $stat (i32.const 3) (i32.const 1) (str ".")))
    (call $val (str "  mtim of .") (call $st_mtim)))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[
            Setup::File("box/f.txt", b"hello world"),
            Setup::Dir("box/sub"),
            Setup::Symlink("box/ln", "f.txt"),
        ],
        preopens: BOX,
        stdout: b"stat f.txt: ok\n\
                  \x20 type 4 size 11 nlink 1\n\
                  stat sub: ok\n\
                  \x20 type: 3\n\
                  stat ln, following: ok\n\
                  \x20 type 4 size 11 nlink 1\n\
                  stat ln, not following: ok\n\
                  \x20 type 7 size 5 nlink 1\n\
                  stat missing: ENOENT (44)\n\
                  stat f.txt/x: ENOTDIR (54)\n\
                  lookup flag 2: EINVAL (28)\n\
                  stat via stdout: ENOTDIR (54)\n\
                  open f.txt: ok\n\
                  fstat: ok\n\
                  \x20 type 4 size 11 nlink 1\n\
                  \x20 same inode as the path: yes\n\
                  fstat stdout: ok\n\
                  \x20 type 0 size 0 nlink 0\n\
                  fstat preopen: ok\n\
                  \x20 type: 3\n\
                  fstat fd 20: EBADF (8)\n\
                  set size 5: ok\n\
                  \x20 type 4 size 5 nlink 1\n\
                  set size 8: ok\n\
                  \x20 type 4 size 8 nlink 1\n\
                  set size of a directory: EBADF (8)\n\
                  set size of stdout: EBADF (8)\n\
                  set size read-only: ENOTCAPABLE (76)\n\
                  set times read-only: ENOTCAPABLE (76)\n\
                  set atim and mtim: ok\n\
                  \x20 atim: 1000000000000000000\n\
                  \x20 mtim: 1200000000000000000\n\
                  set mtim by path: ok\n\
                  \x20 atim: 1000000000000000000\n\
                  \x20 mtim: 1300000000000000000\n\
                  set mtim of ln itself: ok\n\
                  \x20 ln mtim: 1100000000000000000\n\
                  \x20 f.txt mtim: 1300000000000000000\n\
                  set mtim to now: ok\n\
                  \x20 mtim after 2020: yes\n\
                  \x20 atim: 1000000000000000000\n\
                  atim and atim now: EINVAL (28)\n\
                  mtim and mtim now: EINVAL (28)\n\
                  flag 16: EINVAL (28)\n\
                  set times of stdout: EBADF (8)\n\
                  set times of missing: ENOENT (44)\n\
                  set mtim of the preopen: ok\n\
                  \x20 mtim of .: 1250000000000000000\n",
        files_after: &[("box/f.txt", Some(b"hello\0\0\0")), ("box/ln", Some(b"-> f.txt"))],
        ..Program::new(GROUP, "stat_size_and_times", wat(STAT))
    }]
}
