//! Bad pointers: every buffer, string and result pointer that does not lie inside the guest's
//! memory (two pages: 131072 bytes) is `EFAULT` (21), checked before anything happens — no
//! output is written, no input consumed, no file made, no clock read.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_efault";

const POINTERS: &str = r#"
  (func $iovec (param $at i32) (param $p i32) (param $l i32)
    (i32.store (local.get $at) (local.get $p))
    (i32.store offset=4 (local.get $at) (local.get $l)))
  (func $main (local $fd i32)
    ;; fd_write: the iovec array, a buffer it names, the result
    (call $errno (str "fd_write, iovecs at the end") (call $fd_write (i32.const 1) (i32.const 131072) (i32.const 1) (i32.const 65520)))
    (call $errno (str "fd_write, iovecs across the end") (call $fd_write (i32.const 1) (i32.const 131068) (i32.const 1) (i32.const 65520)))
    (call $errno (str "fd_write, 2^29 iovecs") (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 536870912) (i32.const 65520)))
    (call $iovec (i32.const 65536) (addr "lost") (i32.const 4))
    (call $iovec (i32.const 65544) (i32.const 131070) (i32.const 4))
    (call $errno (str "fd_write, second buffer across the end") (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 2) (i32.const 65520)))
    (call $iovec (i32.const 65544) (i32.const -16) (i32.const 32))
    (call $errno (str "fd_write, buffer wrapping around") (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 2) (i32.const 65520)))
    (call $errno (str "fd_write, result at the end") (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 1) (i32.const 131070)))
    (call $iovec (i32.const 65536) (i32.const 131072) (i32.const 0))
    (call $errno (str "fd_write, empty buffer at the end") (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 1) (i32.const 65520)))
    ;; fd_read: nothing is consumed by a failed read
    (call $iovec (i32.const 65536) (i32.const 131070) (i32.const 8))
    (call $errno (str "fd_read, buffer across the end") (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 1) (i32.const 65520)))
    (call $iovec (i32.const 65536) (i32.const 65600) (i32.const 8))
    (call $errno (str "fd_read, result out") (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 1) (i32.const -1)))
    (call $print (str "stdin: "))
    (call $cat (i32.const 0))
    ;; arguments and environment
    (call $errno (str "args_sizes_get") (call $args_sizes_get (i32.const 131072) (i32.const 65520)))
    (call $errno (str "args_get, pointers") (call $args_get (i32.const 131068) (i32.const 65600)))
    (call $errno (str "args_get, strings") (call $args_get (i32.const 65600) (i32.const 131070)))
    (call $errno (str "environ_sizes_get") (call $environ_sizes_get (i32.const 65520) (i32.const -1)))
    (call $errno (str "environ_get, strings") (call $environ_get (i32.const 65600) (i32.const 131071)))
    ;; clocks: a failed reading does not move the clock
    (call $errno (str "clock_time_get") (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 131068)))
    (call $errno (str "clock_res_get") (call $clock_res_get (i32.const 0) (i32.const 131072)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65520)))
    (call $val (str "monotonic") (i64.load (i32.const 65520)))
    (call $errno (str "random_get") (call $random_get (i32.const 131000) (i32.const 100)))
    ;; descriptors
    (call $errno (str "fd_fdstat_get") (call $fd_fdstat_get (i32.const 1) (i32.const 131056)))
    (call $errno (str "fd_filestat_get") (call $fd_filestat_get (i32.const 3) (i32.const 131020)))
    (call $errno (str "fd_prestat_get") (call $fd_prestat_get (i32.const 3) (i32.const 131068)))
    (call $errno (str "fd_prestat_dir_name") (call $fd_prestat_dir_name (i32.const 3) (i32.const 131070) (i32.const 4)))
    (call $errno (str "fd_readdir, buffer") (call $fd_readdir (i32.const 3) (i32.const 131000) (i32.const 100) (i64.const 0) (i32.const 65520)))
    (call $errno (str "fd_readdir, result") (call $fd_readdir (i32.const 3) (i32.const 65600) (i32.const 100) (i64.const 0) (i32.const 131072)))
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $RW) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $errno (str "fd_seek, result") (call $fd_seek (local.get $fd) (i64.const 3) (i32.const 0) (i32.const 131066)))
    (call $errno (str "fd_tell, result") (call $fd_tell (local.get $fd) (i32.const 131072)))
    (drop (call $tell (local.get $fd)))
    (call $val (str "position") (global.get $pos))
    (call $iovec (i32.const 65536) (i32.const 131070) (i32.const 8))
    (call $errno (str "fd_pread, buffer") (call $fd_pread (local.get $fd) (i32.const 65536) (i32.const 1) (i64.const 0) (i32.const 65520)))
    (call $iovec (i32.const 65536) (addr "XX") (i32.const 2))
    (call $errno (str "fd_pwrite, result") (call $fd_pwrite (local.get $fd) (i32.const 65536) (i32.const 1) (i64.const 0) (i32.const 131070)))
    ;; paths
    (call $errno (str "path_open, path across the end") (call $path_open (i32.const 3) (i32.const 0) (i32.const 131070) (i32.const 5)
      (i32.const 1) (global.get $RW) (i64.const 0) (i32.const 0) (i32.const 65520)))
    (call $errno (str "path_open, path wrapping around") (call $path_open (i32.const 3) (i32.const 0) (i32.const -1) (i32.const 2)
      (i32.const 1) (global.get $RW) (i64.const 0) (i32.const 0) (i32.const 65520)))
    (call $errno (str "path_open, descriptor out") (call $path_open (i32.const 3) (i32.const 0) (str "created.txt")
      (i32.const 1) (global.get $RW) (i64.const 0) (i32.const 0) (i32.const 131070)))
    (call $errno (str "path_open, path not UTF-8") (call $path_open (i32.const 3) (i32.const 0) (str "bad\ff.txt")
      (i32.const 1) (global.get $RW) (i64.const 0) (i32.const 0) (i32.const 65520)))
    (call $errno (str "path_filestat_get, result") (call $path_filestat_get (i32.const 3) (i32.const 0) (str "f.txt") (i32.const 131040)))
    (call $errno (str "path_create_directory") (call $path_create_directory (i32.const 3) (i32.const 131068) (i32.const 8)))
    (call $errno (str "path_readlink, buffer") (call $path_readlink (i32.const 3) (str "ln") (i32.const 131070) (i32.const 16) (i32.const 65520)))
    (call $errno (str "path_readlink, result") (call $path_readlink (i32.const 3) (str "ln") (i32.const 65600) (i32.const 16) (i32.const 131072)))
    (call $errno (str "path_rename, new path") (call $path_rename (i32.const 3) (str "f.txt") (i32.const 3) (i32.const 131070) (i32.const 9)))
    (call $errno (str "path_link, old path") (call $path_link (i32.const 3) (i32.const 0) (i32.const 131071) (i32.const 5) (i32.const 3) (str "linked")))
    (call $errno (str "path_symlink, target") (call $path_symlink (i32.const 131071) (i32.const 5) (i32.const 3) (str "symlinked")))
    (call $errno (str "path_unlink_file") (call $path_unlink_file (i32.const 3) (i32.const -8) (i32.const 16)))
    ;; poll_oneoff: subscriptions, events, count
    (call $errno (str "poll_oneoff, subscriptions") (call $poll_oneoff (i32.const 131050) (i32.const 65600) (i32.const 1) (i32.const 65520)))
    (call $errno (str "poll_oneoff, events") (call $poll_oneoff (i32.const 65600) (i32.const 131060) (i32.const 1) (i32.const 65520)))
    (call $errno (str "poll_oneoff, count") (call $poll_oneoff (i32.const 65600) (i32.const 65800) (i32.const 1) (i32.const 131072))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        args: &["arg"],
        env: &[("NAME", "value")],
        stdin: b"intact\n",
        setup: &[Setup::File("box/f.txt", b"0123456789"), Setup::Symlink("box/ln", "f.txt")],
        preopens: &[Preopen { host: "box", guest: "/box", read_only: false }],
        stdout: b"fd_write, iovecs at the end: EFAULT (21)\n\
                  fd_write, iovecs across the end: EFAULT (21)\n\
                  fd_write, 2^29 iovecs: EFAULT (21)\n\
                  fd_write, second buffer across the end: EFAULT (21)\n\
                  fd_write, buffer wrapping around: EFAULT (21)\n\
                  fd_write, result at the end: EFAULT (21)\n\
                  fd_write, empty buffer at the end: ok\n\
                  fd_read, buffer across the end: EFAULT (21)\n\
                  fd_read, result out: EFAULT (21)\n\
                  stdin: intact\n\
                  args_sizes_get: EFAULT (21)\n\
                  args_get, pointers: EFAULT (21)\n\
                  args_get, strings: EFAULT (21)\n\
                  environ_sizes_get: EFAULT (21)\n\
                  environ_get, strings: EFAULT (21)\n\
                  clock_time_get: EFAULT (21)\n\
                  clock_res_get: EFAULT (21)\n\
                  monotonic: 0\n\
                  random_get: EFAULT (21)\n\
                  fd_fdstat_get: EFAULT (21)\n\
                  fd_filestat_get: EFAULT (21)\n\
                  fd_prestat_get: EFAULT (21)\n\
                  fd_prestat_dir_name: EFAULT (21)\n\
                  fd_readdir, buffer: EFAULT (21)\n\
                  fd_readdir, result: EFAULT (21)\n\
                  fd_seek, result: EFAULT (21)\n\
                  fd_tell, result: EFAULT (21)\n\
                  position: 0\n\
                  fd_pread, buffer: EFAULT (21)\n\
                  fd_pwrite, result: EFAULT (21)\n\
                  path_open, path across the end: EFAULT (21)\n\
                  path_open, path wrapping around: EFAULT (21)\n\
                  path_open, descriptor out: EFAULT (21)\n\
                  path_open, path not UTF-8: EILSEQ (25)\n\
                  path_filestat_get, result: EFAULT (21)\n\
                  path_create_directory: EFAULT (21)\n\
                  path_readlink, buffer: EFAULT (21)\n\
                  path_readlink, result: EFAULT (21)\n\
                  path_rename, new path: EFAULT (21)\n\
                  path_link, old path: EFAULT (21)\n\
                  path_symlink, target: EFAULT (21)\n\
                  path_unlink_file: EFAULT (21)\n\
                  poll_oneoff, subscriptions: EFAULT (21)\n\
                  poll_oneoff, events: EFAULT (21)\n\
                  poll_oneoff, count: EFAULT (21)\n",
        files_after: &[
            ("box/f.txt", Some(b"0123456789")),
            ("box/created.txt", None),
            ("box/linked", None),
            ("box/symlinked", None),
        ],
        ..Program::new(GROUP, "pointers_outside_memory", wat(POINTERS))
    }]
}
