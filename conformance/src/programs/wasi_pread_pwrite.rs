//! `fd_pread` and `fd_pwrite`: at an offset, scattered and gathered, leaving the position
//! alone.

use super::wasi_kit::wat;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_pread_pwrite";

const BOX: &[Preopen] = &[Preopen { host: "box", guest: "/box", read_only: false }];

const AT_OFFSETS: &str = r#"
  (func $pr (param $fd i32) (param $len i32) (param $at i64)
    (call $errno (str "pread") (call $pread (local.get $fd) (i32.const 65536) (local.get $len) (local.get $at)))
    (call $print (str "  ["))
    (call $print (i32.const 65536) (global.get $n))
    (call $print (str "]\n")))
  (func $where (param $fd i32)
    (drop (call $tell (local.get $fd)))
    (call $val (str "  position") (global.get $pos)))
  (func $main (local $fd i32)
    (drop (call $open (i32.const 3) (str "data.txt") (i32.const 0) (global.get $RW) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $pr (local.get $fd) (i32.const 4) (i64.const 3))
    (call $where (local.get $fd))
    ;; scattered over two buffers: 2 bytes, then 3
    (i32.store (i32.const 65600) (i32.const 65700))
    (i32.store (i32.const 65604) (i32.const 2))
    (i32.store (i32.const 65608) (i32.const 65710))
    (i32.store (i32.const 65612) (i32.const 3))
    (call $errno (str "pread scattered") (call $fd_pread (local.get $fd) (i32.const 65600) (i32.const 2) (i64.const 5) (i32.const 65620)))
    (call $val (str "  bytes") (i64.load32_u (i32.const 65620)))
    (call $print (str "  ["))
    (call $print (i32.const 65700) (i32.const 2))
    (call $print (str "|"))
    (call $print (i32.const 65710) (i32.const 3))
    (call $print (str "]\n"))
    ;; short at the end, nothing beyond it
    (call $pr (local.get $fd) (i32.const 5) (i64.const 8))
    (call $pr (local.get $fd) (i32.const 5) (i64.const 100))
    ;; writes at offsets; the position stays at 0, so a read starts at the front
    (call $errno (str "pwrite") (call $pwrite (local.get $fd) (str "AB") (i64.const 2)))
    (call $val (str "  bytes") (i64.extend_i32_u (global.get $n)))
    (call $where (local.get $fd))
    (drop (call $read (local.get $fd) (i32.const 65536) (i32.const 3)))
    (call $print (str "read ["))
    (call $print (i32.const 65536) (global.get $n))
    (call $print (str "]\n"))
    ;; gathered past the end
    (i32.store (i32.const 65600) (addr "Y"))
    (i32.store (i32.const 65604) (i32.const 1))
    (i32.store (i32.const 65608) (addr "Z\n"))
    (i32.store (i32.const 65612) (i32.const 2))
    (call $errno (str "pwrite gathered") (call $fd_pwrite (local.get $fd) (i32.const 65600) (i32.const 2) (i64.const 12) (i32.const 65620)))
    (call $val (str "  bytes") (i64.load32_u (i32.const 65620)))
    (call $where (local.get $fd))
    ;; streams cannot, directories are not files
    (call $errno (str "pread stdin") (call $pread (i32.const 0) (i32.const 65536) (i32.const 1) (i64.const 0)))
    (call $errno (str "pwrite stdout") (call $pwrite (i32.const 1) (str "x") (i64.const 0)))
    (call $errno (str "pread dir") (call $pread (i32.const 3) (i32.const 65536) (i32.const 1) (i64.const 0)))
    (call $errno (str "pwrite fd 30") (call $pwrite (i32.const 30) (str "x") (i64.const 0)))
    ;; rights: pread needs FD_READ and FD_SEEK, pwrite FD_WRITE and FD_SEEK
    (drop (call $open (i32.const 3) (str "data.txt") (i32.const 0) (global.get $READ) (i32.const 0)))
    (call $errno (str "pwrite read-only") (call $pwrite (global.get $fd) (str "x") (i64.const 0)))
    (drop (call $open (i32.const 3) (str "data.txt") (i32.const 0)
      (i64.or (global.get $FD_READ) (global.get $FD_WRITE)) (i32.const 0)))
    (call $errno (str "pread without FD_SEEK") (call $pread (global.get $fd) (i32.const 65536) (i32.const 1) (i64.const 0)))
    (call $errno (str "pwrite without FD_SEEK") (call $pwrite (global.get $fd) (str "x") (i64.const 0))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        setup: &[Setup::File("box/data.txt", b"0123456789")],
        preopens: BOX,
        stdout: b"pread: ok\n\
                  \x20 [3456]\n\
                  \x20 position: 0\n\
                  pread scattered: ok\n\
                  \x20 bytes: 5\n\
                  \x20 [56|789]\n\
                  pread: ok\n\
                  \x20 [89]\n\
                  pread: ok\n\
                  \x20 []\n\
                  pwrite: ok\n\
                  \x20 bytes: 2\n\
                  \x20 position: 0\n\
                  read [01A]\n\
                  pwrite gathered: ok\n\
                  \x20 bytes: 3\n\
                  \x20 position: 3\n\
                  pread stdin: ESPIPE (70)\n\
                  pwrite stdout: ESPIPE (70)\n\
                  pread dir: EBADF (8)\n\
                  pwrite fd 30: EBADF (8)\n\
                  pwrite read-only: ENOTCAPABLE (76)\n\
                  pread without FD_SEEK: ENOTCAPABLE (76)\n\
                  pwrite without FD_SEEK: ENOTCAPABLE (76)\n",
        files_after: &[("box/data.txt", Some(b"01AB456789\0\0YZ\n"))],
        ..Program::new(GROUP, "at_offsets", wat(AT_OFFSETS))
    }]
}
