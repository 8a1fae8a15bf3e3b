//! Escapes: `..` beyond a preopen, absolute paths, symlinks and hard links leading outside,
//! renames out of a preopen, and writes into a read-only preopen. Each fails with its errno
//! (`EPERM` (63) for paths cap-std refuses to resolve, `ENOTCAPABLE` (76) for missing rights)
//! and the files outside are checked untouched afterwards.

use super::wasi_kit::wat_parts;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_escape";

/// Outside the preopens: `outside.txt` and `outdir/`. Inside `/box` (fd 3, read-write):
/// links that point out. `/ro` (fd 4) is read-only.
const TREE: &[Setup] = &[
    Setup::File("outside.txt", b"secret"),
    Setup::File("outdir/o.txt", b"o"),
    Setup::File("box/inside.txt", b"mine"),
    Setup::Dir("box/sub"),
    Setup::Symlink("box/up", "../outside.txt"),
    Setup::Symlink("box/abs", "/etc/passwd"),
    Setup::Symlink("box/uproot", ".."),
    Setup::Symlink("box/updir", "../outdir"),
    Setup::File("ro/keep.txt", b"keep"),
    Setup::Dir("ro/sub"),
];

const PREOPENS: &[Preopen] = &[
    Preopen { host: "box", guest: "/box", read_only: false },
    Preopen { host: "ro", guest: "/ro", read_only: true },
];

/// What must hold after every escape attempt.
const UNTOUCHED: &[(&str, Option<&[u8]>)] = &[
    ("outside.txt", Some(b"secret")),
    ("outdir/o.txt", Some(b"o")),
    ("ro/keep.txt", Some(b"keep")),
    ("planted", None),
    ("moved", None),
    ("newdir", None),
    ("outdir/new", None),
    ("outdir/new.txt", None),
];

const KIT: &str = r#"
  (func $try_open (param $dir i32) (param $p i32) (param $l i32) (param $oflags i32) (param $rights i64)
    (call $print (str "open "))
    (call $errno (local.get $p) (local.get $l)
      (call $open (local.get $dir) (local.get $p) (local.get $l) (local.get $oflags) (local.get $rights) (i32.const 0))))
"#;

const DOTDOT: &str = r#"
  (func $main (local $sub i32)
    (call $try_open (i32.const 3) (str "../outside.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "sub/../../outside.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "..") (i32.const 2) (global.get $DIR))
    (call $try_open (i32.const 3) (str "../box/inside.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "../ro/keep.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 4) (str "../box/inside.txt") (i32.const 0) (global.get $READ))
    (call $slurp (i32.const 3) (str "sub/../inside.txt"))
    ;; a subdirectory's descriptor is a sandbox of its own: `..` leaves it, even into the preopen
    (drop (call $open (i32.const 3) (str "sub") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (local.set $sub (global.get $fd))
    (call $print (str "from sub: "))
    (call $try_open (local.get $sub) (str "..") (i32.const 2) (global.get $DIR))
    (call $print (str "from sub: "))
    (call $try_open (local.get $sub) (str "../../outside.txt") (i32.const 0) (global.get $READ))
    (call $print (str "from sub: "))
    (call $slurp (local.get $sub) (str "../inside.txt"))
    ;; nothing is made, changed or removed outside
    (call $try_open (i32.const 3) (str "../planted") (i32.const 1) (global.get $RW))
    (call $try_open (i32.const 3) (str "../outside.txt") (i32.const 8) (global.get $RW))
    (call $errno (str "mkdir ../newdir") (call $path_create_directory (i32.const 3) (str "../newdir")))
    (call $errno (str "rmdir ../outdir") (call $path_remove_directory (i32.const 3) (str "../outdir")))
    (call $errno (str "unlink ../outside.txt") (call $path_unlink_file (i32.const 3) (str "../outside.txt")))
    (call $errno (str "stat ../outside.txt") (call $stat (i32.const 3) (i32.const 1) (str "../outside.txt")))
    (call $errno (str "set times of ../outside.txt") (call $path_filestat_set_times (i32.const 3) (i32.const 1) (str "../outside.txt")
      (i64.const 0) (i64.const 0) (i32.const 10)))
    (call $errno (str "symlink ../planted") (call $path_symlink (str "inside.txt") (i32.const 3) (str "../planted")))
    (call $errno (str "readlink ../box/up") (call $path_readlink (i32.const 3) (str "../box/up") (i32.const 65536) (i32.const 64) (i32.const 65520))))
"#;

const ABSOLUTE: &str = r#"
  (func $main
    (call $try_open (i32.const 3) (str "/outside.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "/box/inside.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "/") (i32.const 2) (global.get $DIR))
    (call $try_open (i32.const 3) (str "/etc/passwd") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "/planted") (i32.const 1) (global.get $RW))
    (call $errno (str "mkdir /newdir") (call $path_create_directory (i32.const 3) (str "/newdir")))
    (call $errno (str "stat /etc/passwd") (call $stat (i32.const 3) (i32.const 1) (str "/etc/passwd")))
    (call $errno (str "symlink to /etc/passwd") (call $path_symlink (str "/etc/passwd") (i32.const 3) (str "abs2")))
    (call $errno (str "link /outside.txt") (call $path_link (i32.const 3) (i32.const 0) (str "/outside.txt") (i32.const 3) (str "stolen")))
    (call $errno (str "rename inside.txt to /moved") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 3) (str "/moved")))
    (call $errno (str "unlink /box/inside.txt") (call $path_unlink_file (i32.const 3) (str "/box/inside.txt"))))
"#;

const SYMLINKS: &str = r#"
  (func $main
    (call $try_open (i32.const 3) (str "up") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "abs") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "uproot/outside.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "uproot") (i32.const 2) (global.get $DIR))
    (call $try_open (i32.const 3) (str "updir/o.txt") (i32.const 0) (global.get $READ))
    (call $try_open (i32.const 3) (str "up") (i32.const 8) (global.get $RW))
    (call $try_open (i32.const 3) (str "updir/new.txt") (i32.const 1) (global.get $RW))
    (call $errno (str "stat up, following") (call $stat (i32.const 3) (i32.const 1) (str "up")))
    (call $errno (str "stat up, not following") (call $stat (i32.const 3) (i32.const 0) (str "up")))
    (call $val (str "  type") (i64.extend_i32_u (call $st_type)))
    ;; a relative target is the link's own contents; an absolute one is not disclosed
    (call $errno (str "readlink up") (call $path_readlink (i32.const 3) (str "up") (i32.const 65536) (i32.const 64) (i32.const 65520)))
    (call $print (str "  ["))
    (call $print (i32.const 65536) (i32.load (i32.const 65520)))
    (call $print (str "]\n"))
    (call $errno (str "readlink abs") (call $path_readlink (i32.const 3) (str "abs") (i32.const 65536) (i32.const 64) (i32.const 65520)))
    (call $errno (str "set times through up") (call $path_filestat_set_times (i32.const 3) (i32.const 1) (str "up")
      (i64.const 0) (i64.const 0) (i32.const 10)))
    (call $errno (str "mkdir updir/new") (call $path_create_directory (i32.const 3) (str "updir/new")))
    (call $errno (str "link updir/o.txt") (call $path_link (i32.const 3) (i32.const 0) (str "updir/o.txt") (i32.const 3) (str "stolen")))
    (call $errno (str "rename updir/o.txt") (call $path_rename (i32.const 3) (str "updir/o.txt") (i32.const 3) (str "stolen")))
    (call $errno (str "rename inside.txt to updir/moved") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 3) (str "updir/moved")))
    (call $errno (str "unlink updir/o.txt") (call $path_unlink_file (i32.const 3) (str "updir/o.txt")))
    ;; a link that climbs out may be made, but leads nowhere
    (call $errno (str "symlink climb -> ../outside.txt") (call $path_symlink (str "../outside.txt") (i32.const 3) (str "climb")))
    (call $try_open (i32.const 3) (str "climb") (i32.const 0) (global.get $READ))
    ;; removing a link removes the link alone
    (call $errno (str "unlink up") (call $path_unlink_file (i32.const 3) (str "up"))))
"#;

const LINKS_AND_RENAMES: &str = r#"
  (func $main
    (call $errno (str "link ../outside.txt stolen") (call $path_link (i32.const 3) (i32.const 0) (str "../outside.txt") (i32.const 3) (str "stolen")))
    (call $errno (str "link inside.txt ../planted") (call $path_link (i32.const 3) (i32.const 0) (str "inside.txt") (i32.const 3) (str "../planted")))
    (call $errno (str "link inside.txt into /ro") (call $path_link (i32.const 3) (i32.const 0) (str "inside.txt") (i32.const 4) (str "x")))
    (call $errno (str "link /ro/keep.txt into /box") (call $path_link (i32.const 4) (i32.const 0) (str "keep.txt") (i32.const 3) (str "keep.txt")))
    (call $errno (str "rename inside.txt ../moved") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 3) (str "../moved")))
    (call $errno (str "rename inside.txt sub/../../moved") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 3) (str "sub/../../moved")))
    (call $errno (str "rename ../outside.txt stolen") (call $path_rename (i32.const 3) (str "../outside.txt") (i32.const 3) (str "stolen")))
    (call $errno (str "rename inside.txt /tmp/moved") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 3) (str "/tmp/moved")))
    (call $errno (str "rename sub ../moved") (call $path_rename (i32.const 3) (str "sub") (i32.const 3) (str "../moved")))
    (call $errno (str "rename inside.txt into /ro") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 4) (str "x")))
    (call $errno (str "rename /ro/keep.txt into /box") (call $path_rename (i32.const 4) (str "keep.txt") (i32.const 3) (str "keep.txt")))
    ;; inside, all of it works
    (call $errno (str "rename inside.txt sub/inside.txt") (call $path_rename (i32.const 3) (str "inside.txt") (i32.const 3) (str "sub/inside.txt")))
    (call $errno (str "link sub/inside.txt hard") (call $path_link (i32.const 3) (i32.const 0) (str "sub/inside.txt") (i32.const 3) (str "hard"))))
"#;

const READ_ONLY: &str = r#"
  (func $main (local $fd i32)
    (call $try_open (i32.const 4) (str "keep.txt") (i32.const 0) (global.get $RW))
    (call $try_open (i32.const 4) (str "keep.txt") (i32.const 0) (i64.or (global.get $FD_READ) (global.get $FD_ALLOCATE)))
    (call $try_open (i32.const 4) (str "new.txt") (i32.const 1) (global.get $READ))
    (call $try_open (i32.const 4) (str "keep.txt") (i32.const 8) (global.get $READ))
    (call $errno (str "mkdir d") (call $path_create_directory (i32.const 4) (str "d")))
    (call $errno (str "rmdir sub") (call $path_remove_directory (i32.const 4) (str "sub")))
    (call $errno (str "unlink keep.txt") (call $path_unlink_file (i32.const 4) (str "keep.txt")))
    (call $errno (str "symlink k2") (call $path_symlink (str "keep.txt") (i32.const 4) (str "k2")))
    (call $errno (str "link keep.txt k2") (call $path_link (i32.const 4) (i32.const 0) (str "keep.txt") (i32.const 4) (str "k2")))
    (call $errno (str "rename keep.txt k2") (call $path_rename (i32.const 4) (str "keep.txt") (i32.const 4) (str "k2")))
    (call $errno (str "set times of keep.txt") (call $path_filestat_set_times (i32.const 4) (i32.const 1) (str "keep.txt")
      (i64.const 0) (i64.const 0) (i32.const 10)))
    (call $errno (str "set times of the preopen") (call $fd_filestat_set_times (i32.const 4) (i64.const 0) (i64.const 0) (i32.const 10)))
    (call $errno (str "sync the preopen") (call $fd_sync (i32.const 4)))
    ;; reading is fine
    (call $slurp (i32.const 4) (str "keep.txt"))
    (call $errno (str "stat keep.txt") (call $stat (i32.const 4) (i32.const 1) (str "keep.txt")))
    (call $errno (str "readdir") (call $fd_readdir (i32.const 4) (i32.const 65536) (i32.const 256) (i64.const 0) (i32.const 65520)))
    ;; a file opened for reading stays read-only
    (drop (call $open (i32.const 4) (str "keep.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $errno (str "write") (call $write (local.get $fd) (str "x")))
    (call $errno (str "pwrite") (call $pwrite (local.get $fd) (str "x") (i64.const 0)))
    (call $errno (str "set size") (call $fd_filestat_set_size (local.get $fd) (i64.const 0)))
    (call $errno (str "set times") (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 10)))
    (call $errno (str "allocate") (call $fd_allocate (local.get $fd) (i64.const 0) (i64.const 10)))
    (call $errno (str "sync") (call $fd_sync (local.get $fd)))
    (call $errno (str "append flag") (call $fd_fdstat_set_flags (local.get $fd) (i32.const 1)))
    (call $errno (str "write after append flag") (call $write (local.get $fd) (str "x")))
    (call $errno (str "take FD_WRITE") (call $fd_fdstat_set_rights (local.get $fd) (global.get $RW) (i64.const 0)))
    ;; nor does a subdirectory opened from it gain anything
    (call $errno (str "open sub asking for every directory right") (call $open (i32.const 4) (str "sub") (i32.const 2) (global.get $DIR) (i32.const 0)))
    (call $errno (str "create in sub") (call $open (global.get $fd) (str "new.txt") (i32.const 1) (global.get $READ) (i32.const 0)))
    (call $errno (str "mkdir in sub") (call $path_create_directory (global.get $fd) (str "d"))))
"#;

pub(super) fn programs() -> Vec<Program> {
    let attempt = |name, main| Program {
        setup: TREE,
        preopens: PREOPENS,
        stdout: b"",
        files_after: UNTOUCHED,
        ..Program::new(GROUP, name, wat_parts(&[KIT, main]))
    };
    vec![
        Program {
            stdout: b"open ../outside.txt: EPERM (63)\n\
                      open sub/../../outside.txt: EPERM (63)\n\
                      open ..: EPERM (63)\n\
                      open ../box/inside.txt: EPERM (63)\n\
                      open ../ro/keep.txt: EPERM (63)\n\
                      open ../box/inside.txt: EPERM (63)\n\
                      sub/../inside.txt: [mine]\n\
                      from sub: open ..: EPERM (63)\n\
                      from sub: open ../../outside.txt: EPERM (63)\n\
                      from sub: ../inside.txt: EPERM (63)\n\
                      open ../planted: EPERM (63)\n\
                      open ../outside.txt: EPERM (63)\n\
                      mkdir ../newdir: EPERM (63)\n\
                      rmdir ../outdir: EPERM (63)\n\
                      unlink ../outside.txt: EPERM (63)\n\
                      stat ../outside.txt: EPERM (63)\n\
                      set times of ../outside.txt: EPERM (63)\n\
                      symlink ../planted: EPERM (63)\n\
                      readlink ../box/up: EPERM (63)\n",
            ..attempt("dotdot_beyond_the_preopen", DOTDOT)
        },
        Program {
            stdout: b"open /outside.txt: EPERM (63)\n\
                      open /box/inside.txt: EPERM (63)\n\
                      open /: EPERM (63)\n\
                      open /etc/passwd: EPERM (63)\n\
                      open /planted: EPERM (63)\n\
                      mkdir /newdir: EPERM (63)\n\
                      stat /etc/passwd: EPERM (63)\n\
                      symlink to /etc/passwd: EPERM (63)\n\
                      link /outside.txt: EPERM (63)\n\
                      rename inside.txt to /moved: EPERM (63)\n\
                      unlink /box/inside.txt: EPERM (63)\n",
            files_after: &[
                ("outside.txt", Some(b"secret")),
                ("planted", None),
                ("moved", None),
                ("newdir", None),
                ("box/abs2", None),
                ("box/stolen", None),
                ("box/inside.txt", Some(b"mine")),
            ],
            ..attempt("absolute_paths", ABSOLUTE)
        },
        Program {
            stdout: b"open up: EPERM (63)\n\
                      open abs: EPERM (63)\n\
                      open uproot/outside.txt: EPERM (63)\n\
                      open uproot: EPERM (63)\n\
                      open updir/o.txt: EPERM (63)\n\
                      open up: EPERM (63)\n\
                      open updir/new.txt: EPERM (63)\n\
                      stat up, following: EPERM (63)\n\
                      stat up, not following: ok\n\
                      \x20 type: 7\n\
                      readlink up: ok\n\
                      \x20 [../outside.txt]\n\
                      readlink abs: EPERM (63)\n\
                      set times through up: EPERM (63)\n\
                      mkdir updir/new: EPERM (63)\n\
                      link updir/o.txt: EPERM (63)\n\
                      rename updir/o.txt: EPERM (63)\n\
                      rename inside.txt to updir/moved: EPERM (63)\n\
                      unlink updir/o.txt: EPERM (63)\n\
                      symlink climb -> ../outside.txt: ok\n\
                      open climb: EPERM (63)\n\
                      unlink up: ok\n",
            files_after: &[
                ("outside.txt", Some(b"secret")),
                ("outdir/o.txt", Some(b"o")),
                ("outdir/new.txt", None),
                ("outdir/new", None),
                ("outdir/moved", None),
                ("box/inside.txt", Some(b"mine")),
                ("box/stolen", None),
                ("box/up", None),
                ("box/climb", Some(b"-> ../outside.txt")),
            ],
            ..attempt("symlinks_leading_out", SYMLINKS)
        },
        Program {
            stdout: b"link ../outside.txt stolen: EPERM (63)\n\
                      link inside.txt ../planted: EPERM (63)\n\
                      link inside.txt into /ro: ENOTCAPABLE (76)\n\
                      link /ro/keep.txt into /box: ENOTCAPABLE (76)\n\
                      rename inside.txt ../moved: EPERM (63)\n\
                      rename inside.txt sub/../../moved: EPERM (63)\n\
                      rename ../outside.txt stolen: EPERM (63)\n\
                      rename inside.txt /tmp/moved: EPERM (63)\n\
                      rename sub ../moved: EPERM (63)\n\
                      rename inside.txt into /ro: ENOTCAPABLE (76)\n\
                      rename /ro/keep.txt into /box: ENOTCAPABLE (76)\n\
                      rename inside.txt sub/inside.txt: ok\n\
                      link sub/inside.txt hard: ok\n",
            files_after: &[
                ("outside.txt", Some(b"secret")),
                ("moved", None),
                ("planted", None),
                ("tmp", None),
                ("box/stolen", None),
                ("box/keep.txt", None),
                ("box/sub/inside.txt", Some(b"mine")),
                ("box/hard", Some(b"mine")),
                ("ro/x", None),
                ("ro/keep.txt", Some(b"keep")),
            ],
            ..attempt("links_and_renames_out", LINKS_AND_RENAMES)
        },
        Program {
            stdout: b"open keep.txt: ENOTCAPABLE (76)\n\
                      open keep.txt: ok\n\
                      open new.txt: ENOTCAPABLE (76)\n\
                      open keep.txt: ENOTCAPABLE (76)\n\
                      mkdir d: ENOTCAPABLE (76)\n\
                      rmdir sub: ENOTCAPABLE (76)\n\
                      unlink keep.txt: ENOTCAPABLE (76)\n\
                      symlink k2: ENOTCAPABLE (76)\n\
                      link keep.txt k2: ENOTCAPABLE (76)\n\
                      rename keep.txt k2: ENOTCAPABLE (76)\n\
                      set times of keep.txt: ENOTCAPABLE (76)\n\
                      set times of the preopen: ENOTCAPABLE (76)\n\
                      sync the preopen: ENOTCAPABLE (76)\n\
                      keep.txt: [keep]\n\
                      stat keep.txt: ok\n\
                      readdir: ok\n\
                      write: ENOTCAPABLE (76)\n\
                      pwrite: ENOTCAPABLE (76)\n\
                      set size: ENOTCAPABLE (76)\n\
                      set times: ENOTCAPABLE (76)\n\
                      allocate: ENOTCAPABLE (76)\n\
                      sync: ENOTCAPABLE (76)\n\
                      append flag: ENOTCAPABLE (76)\n\
                      write after append flag: ENOTCAPABLE (76)\n\
                      take FD_WRITE: ENOTCAPABLE (76)\n\
                      open sub asking for every directory right: ok\n\
                      create in sub: ENOTCAPABLE (76)\n\
                      mkdir in sub: ENOTCAPABLE (76)\n",
            files_after: &[
                ("ro/keep.txt", Some(b"keep")),
                ("ro/new.txt", None),
                ("ro/d", None),
                ("ro/k2", None),
                ("ro/sub", Some(b"<dir>")),
                ("ro/sub/new.txt", None),
                ("ro/sub/d", None),
            ],
            ..attempt("read_only_preopen", READ_ONLY)
        },
    ]
}
