//! `path_rename`: files and directories, replacing, between preopens, and what POSIX refuses.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_rename";

const RENAMES: &str = r#"
  (func $mv (param $from_p i32) (param $from_l i32) (param $to_p i32) (param $to_l i32)
    (call $print (str "rename "))
    (call $print (local.get $from_p) (local.get $from_l))
    (call $print (str " -> "))
    (call $errno (local.get $to_p) (local.get $to_l)
      (call $path_rename (i32.const 3) (local.get $from_p) (local.get $from_l) (i32.const 3) (local.get $to_p) (local.get $to_l))))
  (func $main
    (call $mv (str "a.txt") (str "b.txt"))
    (call $errno (str "stat a.txt") (call $stat (i32.const 3) (i32.const 0) (str "a.txt")))
    (call $mv (str "b.txt") (str "c.txt"))
    (call $slurp (i32.const 3) (str "c.txt"))
    (call $mv (str "d1") (str "d2"))
    (call $slurp (i32.const 3) (str "d2/inner.txt"))
    (call $mv (str "c.txt") (str "d2/moved.txt"))
    (call $mv (str "d2") (str "full"))
    (call $mv (str "d2") (str "empty"))
    (call $mv (str "empty/moved.txt") (str "e2"))
    (call $mv (str "e2") (str "full/x"))
    (call $mv (str "missing") (str "anything"))
    (call $mv (str "e2") (str "e2/inside"))
    (call $mv (str "full/x") (str "full/x"))
    (call $mv (str "full/x") (str "nodir/x"))
    (call $mv (str "full/x") (str "full/x/y"))
    ;; an open file keeps its contents under its new name
    (drop (call $open (i32.const 3) (str "full/x") (i32.const 0) (global.get $RW) (i32.const 0)))
    (call $mv (str "full/x") (str "renamed_while_open"))
    (drop (call $write (global.get $fd) (str "X")))
    ;; to another preopen
    (call $errno (str "rename to /other") (call $path_rename (i32.const 3) (str "renamed_while_open") (i32.const 4) (str "arrived")))
    (call $errno (str "rename from /other") (call $path_rename (i32.const 4) (str "o.txt") (i32.const 3) (str "from_other.txt")))
    (call $errno (str "rename onto stdout") (call $path_rename (i32.const 3) (str "e2") (i32.const 1) (str "x"))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[
            Setup::File("box/a.txt", b"A"),
            Setup::File("box/c.txt", b"C"),
            Setup::File("box/d1/inner.txt", b"in"),
            Setup::File("box/full/x", b"x"),
            Setup::Dir("box/empty"),
            Setup::Dir("box/e2"),
            Setup::File("other/o.txt", b"O"),
        ],
        preopens: &[
            Preopen { host: "box", guest: "/box", read_only: false },
            Preopen { host: "other", guest: "/other", read_only: false },
        ],
        stdout: b"rename a.txt -> b.txt: ok\n\
                  stat a.txt: ENOENT (44)\n\
                  rename b.txt -> c.txt: ok\n\
                  c.txt: [A]\n\
                  rename d1 -> d2: ok\n\
                  d2/inner.txt: [in]\n\
                  rename c.txt -> d2/moved.txt: ok\n\
                  rename d2 -> full: ENOTEMPTY (55)\n\
                  rename d2 -> empty: ok\n\
                  rename empty/moved.txt -> e2: EISDIR (31)\n\
                  rename e2 -> full/x: ENOTDIR (54)\n\
                  rename missing -> anything: ENOENT (44)\n\
                  rename e2 -> e2/inside: EINVAL (28)\n\
                  rename full/x -> full/x: ok\n\
                  rename full/x -> nodir/x: ENOENT (44)\n\
                  rename full/x -> full/x/y: ENOTDIR (54)\n\
                  rename full/x -> renamed_while_open: ok\n\
                  rename to /other: ok\n\
                  rename from /other: ok\n\
                  rename onto stdout: ENOTDIR (54)\n",
        files_after: &[
            ("box/a.txt", None),
            ("box/b.txt", None),
            ("box/c.txt", None),
            ("box/d1", None),
            ("box/d2", None),
            ("box/empty/inner.txt", Some(b"in")),
            ("box/empty/moved.txt", Some(b"A")),
            ("box/e2", Some(b"<dir>")),
            ("box/full/x", None),
            ("box/renamed_while_open", None),
            ("other/arrived", Some(b"X")),
            ("other/o.txt", None),
            ("box/from_other.txt", Some(b"O")),
        ],
        ..Program::new(GROUP, "files_and_directories", wat(RENAMES))
    }]
}
