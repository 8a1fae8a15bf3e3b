//! Preopens (`fd_prestat_get`, `fd_prestat_dir_name`), `path_create_directory`,
//! `path_remove_directory`, and opening directories with `path_open`.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_dirs";

const PREOPENS: &str = r#"
  (func $main (local $fd i32) (local $e i32)
    (local.set $fd (i32.const 0))
    (block $done
      (loop $each
        (local.set $e (call $fd_prestat_get (local.get $fd) (i32.const 65536)))
        (call $print (str "fd "))
        (call $num (local.get $fd))
        (if (local.get $e)
          (then (call $errno (str "") (local.get $e)))
          (else
            (call $print (str ": tag "))
            (call $num (i32.load8_u (i32.const 65536)))
            (call $print (str ", name length "))
            (call $num (i32.load (i32.const 65540)))
            (call $errno (str ", name") (call $fd_prestat_dir_name (local.get $fd) (i32.const 65600) (i32.load (i32.const 65540))))
            (call $print (str "  ["))
            (call $print (i32.const 65600) (i32.load (i32.const 65540)))
            (call $print (str "]\n"))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br_if $each (i32.lt_u (local.get $fd) (i32.const 7)))))
    (call $errno (str "name into a short buffer") (call $fd_prestat_dir_name (i32.const 3) (i32.const 65600) (i32.const 3)))
    (call $errno (str "open /data/sub") (call $open (i32.const 4) (str "sub") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (call $errno (str "prestat of an opened directory") (call $fd_prestat_get (global.get $fd) (i32.const 65536)))
    (call $errno (str "close /data") (call $fd_close (i32.const 4)))
    (call $errno (str "prestat of a closed preopen") (call $fd_prestat_get (i32.const 4) (i32.const 65536))))
"#;

const MKDIR_RMDIR: &str = r#"
  (func $main (local $new i32)
    (call $errno (str "mkdir new") (call $path_create_directory (i32.const 3) (str "new")))
    (call $errno (str "mkdir new again") (call $path_create_directory (i32.const 3) (str "new")))
    (call $errno (str "mkdir a/b") (call $path_create_directory (i32.const 3) (str "a/b")))
    (call $errno (str "mkdir f.txt") (call $path_create_directory (i32.const 3) (str "f.txt")))
    (call $errno (str "mkdir f.txt/x") (call $path_create_directory (i32.const 3) (str "f.txt/x")))
    (call $errno (str "mkdir new/inner") (call $path_create_directory (i32.const 3) (str "new/inner")))
    (call $errno (str "mkdir made/") (call $path_create_directory (i32.const 3) (str "made/")))
    (call $errno (str "mkdir empty name") (call $path_create_directory (i32.const 3) (str "")))
    (call $errno (str "mkdir on a file descriptor") (call $path_create_directory (i32.const 1) (str "x")))
    ;; through a descriptor of the new directory
    (call $errno (str "open new") (call $open (i32.const 3) (str "new") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (local.set $new (global.get $fd))
    (call $errno (str "  fdstat") (call $fd_fdstat_get (local.get $new) (i32.const 65536)))
    (call $val (str "  filetype") (i64.load8_u (i32.const 65536)))
    (call $errno (str "create new/file") (call $open (local.get $new) (str "file") (i32.const 1) (global.get $RW) (i32.const 0)))
    (drop (call $write (global.get $fd) (str "in new")))
    (call $errno (str "mkdir new/deeper") (call $path_create_directory (local.get $new) (str "deeper")))
    ;; what cannot be removed
    (call $errno (str "rmdir new") (call $path_remove_directory (i32.const 3) (str "new")))
    (call $errno (str "rmdir new/file") (call $path_remove_directory (i32.const 3) (str "new/file")))
    (call $errno (str "rmdir missing") (call $path_remove_directory (i32.const 3) (str "missing")))
    (call $errno (str "rmdir .") (call $path_remove_directory (i32.const 3) (str ".")))
    ;; empty it, then remove it while its descriptor is open
    (call $errno (str "unlink new/file") (call $path_unlink_file (local.get $new) (str "file")))
    (call $errno (str "rmdir new/inner") (call $path_remove_directory (i32.const 3) (str "new/inner")))
    (call $errno (str "rmdir deeper") (call $path_remove_directory (local.get $new) (str "deeper")))
    (call $errno (str "rmdir new") (call $path_remove_directory (i32.const 3) (str "new")))
    (call $errno (str "create in the removed directory") (call $open (local.get $new) (str "late") (i32.const 1) (global.get $RW) (i32.const 0)))
    ;; opening directories: O_DIRECTORY, or for reading alone
    (call $errno (str "open f.txt as a directory") (call $open (i32.const 3) (str "f.txt") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (call $errno (str "directory and create") (call $open (i32.const 3) (str "made") (i32.const 3) (global.get $DIR) (i32.const 0)))
    (call $errno (str "directory and truncate") (call $open (i32.const 3) (str "made") (i32.const 10) (global.get $DIR) (i32.const 0)))
    (call $errno (str "open made for reading") (call $open (i32.const 3) (str "made") (i32.const 0) (global.get $READ) (i32.const 0)))
    (drop (call $fd_fdstat_get (global.get $fd) (i32.const 65536)))
    (call $val (str "  filetype") (i64.load8_u (i32.const 65536)))
    (call $errno (str "open made for writing") (call $open (i32.const 3) (str "made") (i32.const 0) (global.get $RW) (i32.const 0)))
    (call $errno (str "open .") (call $open (i32.const 3) (str ".") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (call $errno (str "create made/x through it") (call $open (global.get $fd) (str "made/x") (i32.const 1) (global.get $RW) (i32.const 0)))
    (call $errno (str "unknown oflags") (call $open (i32.const 3) (str "made") (i32.const 16) (global.get $DIR) (i32.const 0))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            setup: &[Setup::Dir("box"), Setup::Dir("data/sub")],
            preopens: &[
                Preopen { host: "box", guest: "/box", read_only: false },
                Preopen { host: "data", guest: "/data", read_only: true },
                Preopen { host: ".", guest: ".", read_only: true },
            ],
            stdout: b"fd 0: EBADF (8)\n\
                      fd 1: EBADF (8)\n\
                      fd 2: EBADF (8)\n\
                      fd 3: tag 0, name length 4, name: ok\n\
                      \x20 [/box]\n\
                      fd 4: tag 0, name length 5, name: ok\n\
                      \x20 [/data]\n\
                      fd 5: tag 0, name length 1, name: ok\n\
                      \x20 [.]\n\
                      fd 6: EBADF (8)\n\
                      name into a short buffer: ENAMETOOLONG (37)\n\
                      open /data/sub: ok\n\
                      prestat of an opened directory: EBADF (8)\n\
                      close /data: ok\n\
                      prestat of a closed preopen: EBADF (8)\n",
            ..Program::new(GROUP, "preopens_described", wat(PREOPENS))
        },
        Program {
            setup: &[Setup::File("box/f.txt", b"x")],
            preopens: &[Preopen { host: "box", guest: "/box", read_only: false }],
            stdout: b"mkdir new: ok\n\
                      mkdir new again: EEXIST (20)\n\
                      mkdir a/b: ENOENT (44)\n\
                      mkdir f.txt: EEXIST (20)\n\
                      mkdir f.txt/x: ENOTDIR (54)\n\
                      mkdir new/inner: ok\n\
                      mkdir made/: ok\n\
                      mkdir empty name: ENOENT (44)\n\
                      mkdir on a file descriptor: ENOTDIR (54)\n\
                      open new: ok\n\
                      \x20 fdstat: ok\n\
                      \x20 filetype: 3\n\
                      create new/file: ok\n\
                      mkdir new/deeper: ok\n\
                      rmdir new: ENOTEMPTY (55)\n\
                      rmdir new/file: ENOTDIR (54)\n\
                      rmdir missing: ENOENT (44)\n\
                      rmdir .: EINVAL (28)\n\
                      unlink new/file: ok\n\
                      rmdir new/inner: ok\n\
                      rmdir deeper: ok\n\
                      rmdir new: ok\n\
                      create in the removed directory: ENOENT (44)\n\
                      open f.txt as a directory: ENOTDIR (54)\n\
                      directory and create: EINVAL (28)\n\
                      directory and truncate: EINVAL (28)\n\
                      open made for reading: ok\n\
                      \x20 filetype: 3\n\
                      open made for writing: EISDIR (31)\n\
                      open .: ok\n\
                      create made/x through it: ok\n\
                      unknown oflags: EINVAL (28)\n",
            files_after: &[
                ("box/new", None),
                ("box/made", Some(b"<dir>")),
                ("box/made/x", Some(b"")),
                ("box/f.txt", Some(b"x")),
                ("box/a", None),
            ],
            ..Program::new(GROUP, "create_and_remove", wat(MKDIR_RMDIR))
        },
    ]
}
