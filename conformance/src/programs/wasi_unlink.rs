//! `path_unlink_file`: files, links (not their targets), open files, and what is not a file.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_unlink";

const UNLINK: &str = r#"
  (func $main (local $fd i32)
    (call $errno (str "unlink f.txt") (call $path_unlink_file (i32.const 3) (str "f.txt")))
    (call $errno (str "unlink f.txt again") (call $path_unlink_file (i32.const 3) (str "f.txt")))
    (call $errno (str "unlink dir") (call $path_unlink_file (i32.const 3) (str "dir")))
    (call $errno (str "unlink dir/") (call $path_unlink_file (i32.const 3) (str "dir/")))
    (call $errno (str "unlink .") (call $path_unlink_file (i32.const 3) (str ".")))
    (call $errno (str "unlink keep.txt/") (call $path_unlink_file (i32.const 3) (str "keep.txt/")))
    (call $errno (str "unlink ln") (call $path_unlink_file (i32.const 3) (str "ln")))
    (call $slurp (i32.const 3) (str "keep.txt"))
    (call $errno (str "unlink dangling") (call $path_unlink_file (i32.const 3) (str "dangling")))
    (call $errno (str "unlink through stdout") (call $path_unlink_file (i32.const 1) (str "keep.txt")))
    ;; an open file outlives its name
    (drop (call $open (i32.const 3) (str "keep.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $errno (str "unlink keep.txt while open") (call $path_unlink_file (i32.const 3) (str "keep.txt")))
    (drop (call $fstat (local.get $fd)))
    (call $val (str "  nlink") (call $st_nlink))
    (call $print (str "  still reads: "))
    (call $cat (local.get $fd))
    (call $nl)
    (call $errno (str "open keep.txt") (call $open (i32.const 3) (str "keep.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "rmdir dir") (call $path_remove_directory (i32.const 3) (str "dir"))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[
            Setup::File("box/f.txt", b"bye"),
            Setup::File("box/keep.txt", b"keep"),
            Setup::Symlink("box/ln", "keep.txt"),
            Setup::Symlink("box/dangling", "nothing"),
            Setup::Dir("box/dir"),
        ],
        preopens: &[Preopen { host: "box", guest: "/box", read_only: false }],
        stdout: b"unlink f.txt: ok\n\
                  unlink f.txt again: ENOENT (44)\n\
                  unlink dir: EISDIR (31)\n\
                  unlink dir/: EISDIR (31)\n\
                  unlink .: EISDIR (31)\n\
                  unlink keep.txt/: ENOTDIR (54)\n\
                  unlink ln: ok\n\
                  keep.txt: [keep]\n\
                  unlink dangling: ok\n\
                  unlink through stdout: ENOTDIR (54)\n\
                  unlink keep.txt while open: ok\n\
                  \x20 nlink: 0\n\
                  \x20 still reads: keep\n\
                  open keep.txt: ENOENT (44)\n\
                  rmdir dir: ok\n",
        files_after: &[
            ("box/f.txt", None),
            ("box/keep.txt", None),
            ("box/ln", None),
            ("box/dangling", None),
            ("box/dir", None),
        ],
        ..Program::new(GROUP, "files_links_and_open_files", wat(UNLINK))
    }]
}
