//! `path_link`, `path_symlink`, `path_readlink`, and following links (or not) when opening.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_links";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

const HARD: &str = r#"
  (func $main (local $ino i64)
    (call $errno (str "link f.txt hard") (call $path_link (i32.const 3) (i32.const 0) (str "f.txt") (i32.const 3) (str "hard")))
    (drop (call $stat (i32.const 3) (i32.const 0) (str "f.txt")))
    (local.set $ino (call $st_ino))
    (drop (call $stat (i32.const 3) (i32.const 0) (str "hard")))
    (call $val (str "  nlink") (call $st_nlink))
    (call $print (str "  same inode: "))
    (if (i64.eq (call $st_ino) (local.get $ino)) (then (call $print (str "yes\n"))) (else (call $print (str "no\n"))))
    ;; a write through one name shows through the other
    (drop (call $open (i32.const 3) (str "hard") (i32.const 0) (global.get $RW) (i32.const 0)))
    (drop (call $write (global.get $fd) (str "HARD")))
    (call $slurp (i32.const 3) (str "f.txt"))
    (call $errno (str "link onto an existing name") (call $path_link (i32.const 3) (i32.const 0) (str "f.txt") (i32.const 3) (str "hard")))
    (call $errno (str "link following symlinks") (call $path_link (i32.const 3) (i32.const 1) (str "f.txt") (i32.const 3) (str "other")))
    (call $errno (str "link a missing file") (call $path_link (i32.const 3) (i32.const 0) (str "missing") (i32.const 3) (str "other")))
    (call $errno (str "link a directory") (call $path_link (i32.const 3) (i32.const 0) (str "sub") (i32.const 3) (str "other")))
    (call $errno (str "link into a missing directory") (call $path_link (i32.const 3) (i32.const 0) (str "f.txt") (i32.const 3) (str "nodir/x")))
    (call $errno (str "link into sub") (call $path_link (i32.const 3) (i32.const 0) (str "f.txt") (i32.const 3) (str "sub/third")))
    (drop (call $stat (i32.const 3) (i32.const 0) (str "f.txt")))
    (call $val (str "  nlink") (call $st_nlink))
    (call $errno (str "unlink hard") (call $path_unlink_file (i32.const 3) (str "hard")))
    (drop (call $stat (i32.const 3) (i32.const 0) (str "f.txt")))
    (call $val (str "  nlink") (call $st_nlink)))
"#;

const SYMBOLIC: &str = r#"
  (func $readlink (param $p i32) (param $l i32) (param $room i32) (local $e i32)
    (local.set $e (call $path_readlink (i32.const 3) (local.get $p) (local.get $l) (i32.const 65536) (local.get $room) (i32.const 65520)))
    (call $print (str "readlink "))
    (call $errno (local.get $p) (local.get $l) (local.get $e))
    (if (local.get $e) (then (return)))
    (call $val (str "  bytes") (i64.load32_u (i32.const 65520)))
    (call $print (str "  ["))
    (call $print (i32.const 65536) (i32.load (i32.const 65520)))
    (call $print (str "]\n")))
  (func $main (local $e i32)
    (call $errno (str "symlink soft -> f.txt") (call $path_symlink (str "f.txt") (i32.const 3) (str "soft")))
    (call $readlink (str "soft") (i32.const 64))
    (call $readlink (str "soft") (i32.const 3))
    (call $readlink (str "f.txt") (i32.const 64))
    (call $readlink (str "missing") (i32.const 64))
    (call $readlink (str "dangle") (i32.const 64))
    (call $slurp (i32.const 3) (str "soft"))
    (call $errno (str "open soft, not following") (call $open_nofollow (i32.const 3) (str "soft") (i32.const 0) (global.get $READ) (i32.const 0)))
    (local.set $e (call $stat (i32.const 3) (i32.const 0) (str "soft")))
    (call $val (str "  type, not following") (i64.extend_i32_u (call $st_type)))
    (call $val (str "  size, not following") (call $st_size))
    ;; a link to a directory leads into it, unless not followed
    (call $errno (str "symlink dirlink -> sub") (call $path_symlink (str "sub") (i32.const 3) (str "dirlink")))
    (call $slurp (i32.const 3) (str "dirlink/inner.txt"))
    (call $errno (str "open dirlink") (call $open (i32.const 3) (str "dirlink") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (call $errno (str "open dirlink, not following") (call $open_nofollow (i32.const 3) (str "dirlink") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (call $errno (str "create through dirlink") (call $open (i32.const 3) (str "dirlink/made.txt") (i32.const 1) (global.get $RW) (i32.const 0)))
    ;; links made inside a subdirectory resolve from there
    (call $errno (str "symlink sub/up -> ../f.txt") (call $path_symlink (str "../f.txt") (i32.const 3) (str "sub/up")))
    (call $slurp (i32.const 3) (str "sub/up"))
    ;; what cannot be made or followed
    (call $errno (str "symlink onto an existing name") (call $path_symlink (str "x") (i32.const 3) (str "f.txt")))
    (call $errno (str "symlink into a missing directory") (call $path_symlink (str "x") (i32.const 3) (str "nodir/x")))
    (call $errno (str "open loop1") (call $open (i32.const 3) (str "loop1") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "open dangle") (call $open (i32.const 3) (str "dangle") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "stat dangle, not following") (call $stat (i32.const 3) (i32.const 0) (str "dangle")))
    (call $val (str "  type") (i64.extend_i32_u (call $st_type)))
    ;; removing the link leaves the target
    (call $errno (str "unlink soft") (call $path_unlink_file (i32.const 3) (str "soft")))
    (call $slurp (i32.const 3) (str "f.txt")))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            setup: &[Setup::File("box/f.txt", b"target text"), Setup::Dir("box/sub")],
            preopens: BOX,
            stdout: b"link f.txt hard: ok\n\
                      \x20 nlink: 2\n\
                      \x20 same inode: yes\n\
                      f.txt: [HARDet text]\n\
                      link onto an existing name: EEXIST (20)\n\
                      link following symlinks: EINVAL (28)\n\
                      link a missing file: ENOENT (44)\n\
                      link a directory: EPERM (63)\n\
                      link into a missing directory: ENOENT (44)\n\
                      link into sub: ok\n\
                      \x20 nlink: 3\n\
                      unlink hard: ok\n\
                      \x20 nlink: 2\n",
            files_after: &[
                ("box/f.txt", Some(b"HARDet text")),
                ("box/hard", None),
                ("box/sub/third", Some(b"HARDet text")),
                ("box/other", None),
            ],
            ..Program::new(GROUP, "hard_links", wat(HARD))
        },
        Program {
            setup: &[
                Setup::File("box/f.txt", b"target text"),
                Setup::File("box/sub/inner.txt", b"inner"),
                Setup::Symlink("box/loop1", "loop2"),
                Setup::Symlink("box/loop2", "loop1"),
                Setup::Symlink("box/dangle", "nothing"),
            ],
            preopens: BOX,
            stdout: b"symlink soft -> f.txt: ok\n\
                      readlink soft: ok\n\
                      \x20 bytes: 5\n\
                      \x20 [f.txt]\n\
                      readlink soft: ok\n\
                      \x20 bytes: 3\n\
                      \x20 [f.t]\n\
                      readlink f.txt: EINVAL (28)\n\
                      readlink missing: ENOENT (44)\n\
                      readlink dangle: ok\n\
                      \x20 bytes: 7\n\
                      \x20 [nothing]\n\
                      soft: [target text]\n\
                      open soft, not following: ELOOP (32)\n\
                      \x20 type, not following: 7\n\
                      \x20 size, not following: 5\n\
                      symlink dirlink -> sub: ok\n\
                      dirlink/inner.txt: [inner]\n\
                      open dirlink: ok\n\
                      open dirlink, not following: ENOTDIR (54)\n\
                      create through dirlink: ok\n\
                      symlink sub/up -> ../f.txt: ok\n\
                      sub/up: [target text]\n\
                      symlink onto an existing name: EEXIST (20)\n\
                      symlink into a missing directory: ENOENT (44)\n\
                      open loop1: ELOOP (32)\n\
                      open dangle: ENOENT (44)\n\
                      stat dangle, not following: ok\n\
                      \x20 type: 7\n\
                      unlink soft: ok\n\
                      f.txt: [target text]\n",
            files_after: &[
                ("box/soft", None),
                ("box/dirlink", Some(b"-> sub")),
                ("box/sub/up", Some(b"-> ../f.txt")),
                ("box/sub/made.txt", Some(b"")),
                ("box/f.txt", Some(b"target text")),
            ],
            ..Program::new(GROUP, "symbolic_links", wat(SYMBOLIC))
        },
    ]
}
