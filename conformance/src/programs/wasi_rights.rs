//! Rights: what preopens and opened descriptors hold (`fd_fdstat_get`), dropping them
//! (`fd_fdstat_set_rights`, never adding), inheriting them through `path_open`, and every
//! operation refused with `ENOTCAPABLE` for want of one.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_rights";

const RIGHTS: &str = r#"
  (func $fdstat (param $lp i32) (param $ll i32) (param $fd i32)
    (call $errno (local.get $lp) (local.get $ll) (call $fd_fdstat_get (local.get $fd) (i32.const 65536)))
    (call $val (str "  base") (i64.load (i32.const 65544)))
    (call $val (str "  inheriting") (i64.load (i32.const 65552))))
  (func $main (local $fd i32)
    (call $fdstat (str "read-write preopen") (i32.const 3))
    (call $fdstat (str "read-only preopen") (i32.const 4))
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $ALL) (i32.const 0)))
    (call $fdstat (str "file asking for all") (global.get $fd))
    (drop (call $open (i32.const 4) (str "r.txt") (i32.const 0) (i64.or (global.get $READ) (global.get $FD_ALLOCATE)) (i32.const 0)))
    (call $fdstat (str "read-only file asking to allocate") (global.get $fd))
    (call $errno (str "read-only file asking to write") (call $open (i32.const 4) (str "r.txt") (i32.const 0) (global.get $RW) (i32.const 0)))
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $fdstat (str "file asking for READ") (global.get $fd))
    (call $errno (str "  filestat") (call $fstat (global.get $fd)))
    (call $errno (str "  allocate") (call $fd_allocate (global.get $fd) (i64.const 0) (i64.const 1)))
    (call $errno (str "  advise") (call $fd_advise (global.get $fd) (i64.const 0) (i64.const 1) (i32.const 0)))
    (call $errno (str "  sync") (call $fd_sync (global.get $fd)))
    (call $errno (str "  datasync") (call $fd_datasync (global.get $fd)))

    ;; dropping rights, then trying to take them back
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $ALL) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $errno (str "drop all but FD_READ") (call $fd_fdstat_set_rights (local.get $fd) (global.get $FD_READ) (i64.const 0)))
    (call $fdstat (str "  now") (local.get $fd))
    (call $errno (str "  read") (call $read (local.get $fd) (i32.const 65600) (i32.const 2)))
    (call $errno (str "  write") (call $write (local.get $fd) (str "x")))
    (call $errno (str "  tell") (call $tell (local.get $fd)))
    (call $errno (str "  set size") (call $fd_filestat_set_size (local.get $fd) (i64.const 0)))
    (call $errno (str "  take FD_WRITE back") (call $fd_fdstat_set_rights (local.get $fd) (i64.or (global.get $FD_READ) (global.get $FD_WRITE)) (i64.const 0)))
    (call $errno (str "  take inheriting rights") (call $fd_fdstat_set_rights (local.get $fd) (global.get $FD_READ) (i64.const 1)))
    (call $errno (str "  keep what it has") (call $fd_fdstat_set_rights (local.get $fd) (global.get $FD_READ) (i64.const 0)))
    (call $errno (str "  drop everything") (call $fd_fdstat_set_rights (local.get $fd) (i64.const 0) (i64.const 0)))
    (call $errno (str "  read") (call $read (local.get $fd) (i32.const 65600) (i32.const 2)))
    (call $fdstat (str "  fdstat needs no right") (local.get $fd))

    ;; a subdirectory opened with few rights passes on only what it may
    (call $errno (str "open sub with PATH_OPEN, FD_READDIR; inheriting READ")
      (call $path_open (i32.const 3) (i32.const 1) (str "sub") (i32.const 2)
        (i64.or (global.get $PATH_OPEN) (global.get $FD_READDIR)) (global.get $READ) (i32.const 0) (i32.const 65600)))
    (local.set $fd (i32.load (i32.const 65600)))
    (call $fdstat (str "  sub") (local.get $fd))
    (call $errno (str "  create sub/new") (call $open (local.get $fd) (str "new") (i32.const 1) (global.get $READ) (i32.const 0)))
    (call $errno (str "  open sub/s.txt to write") (call $open (local.get $fd) (str "s.txt") (i32.const 0) (global.get $RW) (i32.const 0)))
    (call $errno (str "  open sub/s.txt asking for all") (call $open (local.get $fd) (str "s.txt") (i32.const 0) (global.get $ALL) (i32.const 0)))
    (call $errno (str "  open sub/s.txt to read") (call $open (local.get $fd) (str "s.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $fdstat (str "  sub/s.txt") (global.get $fd))
    (call $errno (str "  mkdir sub/d") (call $path_create_directory (local.get $fd) (str "d")))
    (call $errno (str "  stat sub/s.txt") (call $stat (local.get $fd) (i32.const 0) (str "s.txt")))
    (call $errno (str "  readlink sub/s.txt") (call $path_readlink (local.get $fd) (str "s.txt") (i32.const 65600) (i32.const 8) (i32.const 65700)))

    ;; the preopen itself, dropping rights
    (call $errno (str "drop PATH_CREATE_DIRECTORY, inherit READ")
      (call $fd_fdstat_set_rights (i32.const 3) (i64.and (global.get $DIR) (i64.xor (global.get $PATH_CREATE_DIRECTORY) (i64.const -1))) (global.get $READ)))
    (call $errno (str "  mkdir") (call $path_create_directory (i32.const 3) (str "d")))
    (call $errno (str "  open f.txt to write") (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $RW) (i32.const 0)))
    (call $errno (str "  open f.txt to read") (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    ;; PATH_CREATE_FILE is kept: a file may still be created, for reading
    (call $errno (str "  create") (call $open (i32.const 3) (str "new.txt") (i32.const 1) (global.get $READ) (i32.const 0)))
    (call $errno (str "drop PATH_OPEN") (call $fd_fdstat_set_rights (i32.const 3) (global.get $FD_READDIR) (i64.const 0)))
    (call $errno (str "  open f.txt to read") (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "  unlink") (call $path_unlink_file (i32.const 3) (str "f.txt")))

    ;; stdout without FD_WRITE
    (call $errno (str "stdout drops FD_WRITE") (call $fd_fdstat_set_rights (i32.const 1) (global.get $FD_FILESTAT_GET) (i64.const 0)))
    (call $print (str "lost\n"))
    (call $eprint (str "stdout can no longer be written\n")))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[
            Setup::File("box/f.txt", b"0123"),
            Setup::File("box/sub/s.txt", b"s"),
            Setup::File("ro/r.txt", b"r"),
        ],
        preopens: &[
            Preopen { host: "box", guest: "/box", read_only: false },
            Preopen { host: "ro", guest: "/ro", read_only: true },
        ],
        // DIR = 130022929, DIR|FILE = 268435455 (every right up to POLL_FD_READWRITE),
        // DIR_READ_ONLY = 2416640, with FILE_READ_ONLY 136634542; FILE = 148898303,
        // READ = 136314918, PATH_OPEN|FD_READDIR = 24576.
        stdout: b"read-write preopen: ok\n\
                  \x20 base: 130022929\n\
                  \x20 inheriting: 268435455\n\
                  read-only preopen: ok\n\
                  \x20 base: 2416640\n\
                  \x20 inheriting: 136634542\n\
                  file asking for all: ok\n\
                  \x20 base: 148898303\n\
                  \x20 inheriting: 0\n\
                  read-only file asking to allocate: ok\n\
                  \x20 base: 136314918\n\
                  \x20 inheriting: 0\n\
                  read-only file asking to write: ENOTCAPABLE (76)\n\
                  file asking for READ: ok\n\
                  \x20 base: 136314918\n\
                  \x20 inheriting: 0\n\
                  \x20 filestat: ok\n\
                  \x20 allocate: ENOTCAPABLE (76)\n\
                  \x20 advise: ENOTCAPABLE (76)\n\
                  \x20 sync: ENOTCAPABLE (76)\n\
                  \x20 datasync: ENOTCAPABLE (76)\n\
                  drop all but FD_READ: ok\n\
                  \x20 now: ok\n\
                  \x20 base: 2\n\
                  \x20 inheriting: 0\n\
                  \x20 read: ok\n\
                  \x20 write: ENOTCAPABLE (76)\n\
                  \x20 tell: ENOTCAPABLE (76)\n\
                  \x20 set size: ENOTCAPABLE (76)\n\
                  \x20 take FD_WRITE back: ENOTCAPABLE (76)\n\
                  \x20 take inheriting rights: ENOTCAPABLE (76)\n\
                  \x20 keep what it has: ok\n\
                  \x20 drop everything: ok\n\
                  \x20 read: ENOTCAPABLE (76)\n\
                  \x20 fdstat needs no right: ok\n\
                  \x20 base: 0\n\
                  \x20 inheriting: 0\n\
                  open sub with PATH_OPEN, FD_READDIR; inheriting READ: ok\n\
                  \x20 sub: ok\n\
                  \x20 base: 24576\n\
                  \x20 inheriting: 136314918\n\
                  \x20 create sub/new: ENOTCAPABLE (76)\n\
                  \x20 open sub/s.txt to write: ENOTCAPABLE (76)\n\
                  \x20 open sub/s.txt asking for all: ENOTCAPABLE (76)\n\
                  \x20 open sub/s.txt to read: ok\n\
                  \x20 sub/s.txt: ok\n\
                  \x20 base: 136314918\n\
                  \x20 inheriting: 0\n\
                  \x20 mkdir sub/d: ENOTCAPABLE (76)\n\
                  \x20 stat sub/s.txt: ENOTCAPABLE (76)\n\
                  \x20 readlink sub/s.txt: ENOTCAPABLE (76)\n\
                  drop PATH_CREATE_DIRECTORY, inherit READ: ok\n\
                  \x20 mkdir: ENOTCAPABLE (76)\n\
                  \x20 open f.txt to write: ENOTCAPABLE (76)\n\
                  \x20 open f.txt to read: ok\n\
                  \x20 create: ok\n\
                  drop PATH_OPEN: ok\n\
                  \x20 open f.txt to read: ENOTCAPABLE (76)\n\
                  \x20 unlink: ENOTCAPABLE (76)\n",
        stderr: b"stdout can no longer be written\n",
        files_after: &[
            ("box/f.txt", Some(b"0123")),
            ("box/new.txt", Some(b"")),
            ("box/sub/new", None),
            ("box/d", None),
        ],
        ..Program::new(GROUP, "held_dropped_inherited", wat(RIGHTS))
    }]
}
