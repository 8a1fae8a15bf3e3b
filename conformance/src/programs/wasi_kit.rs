//! The kit the WAT guests of the `wasi_*` groups are written with.
//!
//! A guest is the body of a module: it defines `$main` and may use everything below. [`wat`]
//! wraps it in a module that imports all 46 preview1 functions under their own names
//! (`$fd_write`, `$path_open`, ...), exports two pages of memory, defines the helpers and
//! calls `$main` from `_start`. A guest reports what happened on stdout, so that the
//! expectation is exact:
//!
//! - `(str "text")` stands for the two operands `(i32.const ADDR) (i32.const LEN)` of the text
//!   placed in memory (WAT string escapes allowed); `(addr "text")` for the address alone.
//! - `(call $errno (str "label") ERRNO)` prints `label: ok` for 0, else `label: ENAME (N)`.
//! - `$print (ptr len)`, `$eprint (ptr len)` (stderr), `$cstr (ptr)` (up to a NUL),
//!   `$u64 (i64)` and `$num (i32)` (unsigned decimal), `$hex (ptr len)`, `$nl`, `$sp`;
//!   `$val (label, i64)` prints `label: N`.
//! - Wrappers that keep their result in a global and return the errno:
//!   `$open (dir path len oflags rights fdflags)` (following symlinks, asking to inherit every
//!   right) and `$open_nofollow` set `$fd`; `$read`/`$write (fd ptr len)` and
//!   `$pread`/`$pwrite (fd ptr len offset)` set `$n`; `$seek (fd offset whence)` and
//!   `$tell (fd)` set `$pos`; `$stat (dir follow path len)` and `$fstat (fd)` fill a filestat
//!   at 256, which `$st_type`, `$st_nlink`, `$st_size`, `$st_ino`, `$st_atim`, `$st_mtim` read.
//! - `$cat (fd)` prints the rest of a file; `$slurp (dir path len)` prints `path: [contents]`,
//!   or the errno.
//! - Rights as `i64` globals: `$ALL`, `$READ` (read, seek, tell, filestat, poll), `$RW`
//!   (`$READ` and write), `$DIR` (what a directory descriptor may do), and single rights by
//!   their witx names (`$FD_WRITE`, `$PATH_OPEN`, ...).
//!
//! Memory: 0..1024 belongs to the helpers, the errno names sit at 1024, the texts of `str`
//! from 8192 on; 65536..131072 (the second page) is the guest's own scratch space, and a
//! pointer at 131072 or beyond is outside memory (`EFAULT`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use wasmux_core::Imports;

use crate::program::Guest;

/// The witx names of the errnos, by number.
const ERRNO_NAMES: [&str; 77] = [
    "ESUCCESS",
    "E2BIG",
    "EACCES",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "EAFNOSUPPORT",
    "EAGAIN",
    "EALREADY",
    "EBADF",
    "EBADMSG",
    "EBUSY",
    "ECANCELED",
    "ECHILD",
    "ECONNABORTED",
    "ECONNREFUSED",
    "ECONNRESET",
    "EDEADLK",
    "EDESTADDRREQ",
    "EDOM",
    "EDQUOT",
    "EEXIST",
    "EFAULT",
    "EFBIG",
    "EHOSTUNREACH",
    "EIDRM",
    "EILSEQ",
    "EINPROGRESS",
    "EINTR",
    "EINVAL",
    "EIO",
    "EISCONN",
    "EISDIR",
    "ELOOP",
    "EMFILE",
    "EMLINK",
    "EMSGSIZE",
    "EMULTIHOP",
    "ENAMETOOLONG",
    "ENETDOWN",
    "ENETRESET",
    "ENETUNREACH",
    "ENFILE",
    "ENOBUFS",
    "ENODEV",
    "ENOENT",
    "ENOEXEC",
    "ENOLCK",
    "ENOLINK",
    "ENOMEM",
    "ENOMSG",
    "ENOPROTOOPT",
    "ENOSPC",
    "ENOSYS",
    "ENOTCONN",
    "ENOTDIR",
    "ENOTEMPTY",
    "ENOTRECOVERABLE",
    "ENOTSOCK",
    "ENOTSUP",
    "ENOTTY",
    "ENXIO",
    "EOVERFLOW",
    "EOWNERDEAD",
    "EPERM",
    "EPIPE",
    "EPROTO",
    "EPROTONOSUPPORT",
    "EPROTOTYPE",
    "ERANGE",
    "EROFS",
    "ESPIPE",
    "ESRCH",
    "ESTALE",
    "ETIMEDOUT",
    "ETXTBSY",
    "EXDEV",
    "ENOTCAPABLE",
];

/// The rights, by bit, with their witx names.
const RIGHTS: [&str; 30] = [
    "FD_DATASYNC",
    "FD_READ",
    "FD_SEEK",
    "FD_FDSTAT_SET_FLAGS",
    "FD_SYNC",
    "FD_TELL",
    "FD_WRITE",
    "FD_ADVISE",
    "FD_ALLOCATE",
    "PATH_CREATE_DIRECTORY",
    "PATH_CREATE_FILE",
    "PATH_LINK_SOURCE",
    "PATH_LINK_TARGET",
    "PATH_OPEN",
    "FD_READDIR",
    "PATH_READLINK",
    "PATH_RENAME_SOURCE",
    "PATH_RENAME_TARGET",
    "PATH_FILESTAT_GET",
    "PATH_FILESTAT_SET_SIZE",
    "PATH_FILESTAT_SET_TIMES",
    "FD_FILESTAT_GET",
    "FD_FILESTAT_SET_SIZE",
    "FD_FILESTAT_SET_TIMES",
    "PATH_SYMLINK",
    "PATH_REMOVE_DIRECTORY",
    "PATH_UNLINK_FILE",
    "POLL_FD_READWRITE",
    "SOCK_SHUTDOWN",
    "SOCK_ACCEPT",
];

fn right(name: &str) -> u64 {
    let bit = RIGHTS.iter().position(|r| *r == name).expect("a witx right");
    1 << bit
}

fn rights(names: &[&str]) -> u64 {
    names.iter().map(|n| right(n)).fold(0, |a, b| a | b)
}

/// The helpers, in WAT (before `str` expansion).
const HELPERS: &str = r#"
  (memory (export "memory") 2)
  (global $fd (mut i32) (i32.const -1))
  (global $n (mut i32) (i32.const 0))
  (global $pos (mut i64) (i64.const 0))

  (func (export "_start") (call $main))

  (func $exit (param $status i32) (call $proc_exit (local.get $status)))

  ;; one ciovec at 0, the count written at 8
  (func $write_to (param $fd i32) (param $p i32) (param $l i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $l))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $print (param $p i32) (param $l i32) (call $write_to (i32.const 1) (local.get $p) (local.get $l)))
  (func $eprint (param $p i32) (param $l i32) (call $write_to (i32.const 2) (local.get $p) (local.get $l)))
  (func $nl (call $print (str "\n")))
  (func $sp (call $print (str " ")))

  ;; unsigned decimal, digits built backwards in 32..64
  (func $u64 (param $v i64) (local $p i32)
    (local.set $p (i32.const 64))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i64.store8 (local.get $p) (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (call $print (local.get $p) (i32.sub (i32.const 64) (local.get $p))))
  (func $num (param $v i32) (call $u64 (i64.extend_i32_u (local.get $v))))

  ;; lower-case hex of len bytes at p
  (func $hex (param $p i32) (param $l i32) (local $b i32)
    (block $done
      (loop $byte
        (br_if $done (i32.eqz (local.get $l)))
        (local.set $b (i32.load8_u (local.get $p)))
        (call $print (i32.add (addr "0123456789abcdef") (i32.shr_u (local.get $b) (i32.const 4))) (i32.const 1))
        (call $print (i32.add (addr "0123456789abcdef") (i32.and (local.get $b) (i32.const 15))) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $l (i32.sub (local.get $l) (i32.const 1)))
        (br $byte))))

  ;; "label: ok" or "label: ENAME (N)"; the names are 16-byte entries (length, text) at 1024
  (func $errno (param $lp i32) (param $ll i32) (param $e i32) (local $entry i32)
    (call $print (local.get $lp) (local.get $ll))
    (if (i32.eqz (local.get $e)) (then (call $print (str ": ok\n")) (return)))
    (call $print (str ": "))
    (if (i32.lt_u (local.get $e) (i32.const 77))
      (then
        (local.set $entry (i32.add (i32.const 1024) (i32.shl (local.get $e) (i32.const 4))))
        (call $print (i32.add (local.get $entry) (i32.const 1)) (i32.load8_u (local.get $entry)))
        (call $print (str " ("))
        (call $num (local.get $e))
        (call $print (str ")\n")))
      (else
        (call $print (str "errno "))
        (call $num (local.get $e))
        (call $nl))))

  ;; a NUL-terminated string
  (func $cstr (param $p i32) (local $end i32)
    (local.set $end (local.get $p))
    (block $found (loop $scan
      (br_if $found (i32.eqz (i32.load8_u (local.get $end))))
      (local.set $end (i32.add (local.get $end) (i32.const 1)))
      (br $scan)))
    (call $print (local.get $p) (i32.sub (local.get $end) (local.get $p))))

  (func $val (param $lp i32) (param $ll i32) (param $v i64)
    (call $print (local.get $lp) (local.get $ll))
    (call $print (str ": "))
    (call $u64 (local.get $v))
    (call $nl))

  (func $open (param $dir i32) (param $p i32) (param $l i32) (param $oflags i32) (param $rights i64) (param $fdflags i32) (result i32)
    (local $e i32)
    (local.set $e (call $path_open (local.get $dir) (i32.const 1) (local.get $p) (local.get $l)
      (local.get $oflags) (local.get $rights) (i64.const -1) (local.get $fdflags) (i32.const 16)))
    (if (i32.eqz (local.get $e)) (then (global.set $fd (i32.load (i32.const 16)))))
    (local.get $e))
  (func $open_nofollow (param $dir i32) (param $p i32) (param $l i32) (param $oflags i32) (param $rights i64) (param $fdflags i32) (result i32)
    (local $e i32)
    (local.set $e (call $path_open (local.get $dir) (i32.const 0) (local.get $p) (local.get $l)
      (local.get $oflags) (local.get $rights) (i64.const -1) (local.get $fdflags) (i32.const 16)))
    (if (i32.eqz (local.get $e)) (then (global.set $fd (i32.load (i32.const 16)))))
    (local.get $e))

  ;; one iovec at 128, the count at 136
  (func $read (param $fd i32) (param $p i32) (param $l i32) (result i32) (local $e i32)
    (i32.store (i32.const 128) (local.get $p))
    (i32.store (i32.const 132) (local.get $l))
    (local.set $e (call $fd_read (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 136)))
    (global.set $n (i32.load (i32.const 136)))
    (local.get $e))
  (func $write (param $fd i32) (param $p i32) (param $l i32) (result i32) (local $e i32)
    (i32.store (i32.const 128) (local.get $p))
    (i32.store (i32.const 132) (local.get $l))
    (local.set $e (call $fd_write (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 136)))
    (global.set $n (i32.load (i32.const 136)))
    (local.get $e))
  (func $pread (param $fd i32) (param $p i32) (param $l i32) (param $at i64) (result i32) (local $e i32)
    (i32.store (i32.const 128) (local.get $p))
    (i32.store (i32.const 132) (local.get $l))
    (local.set $e (call $fd_pread (local.get $fd) (i32.const 128) (i32.const 1) (local.get $at) (i32.const 136)))
    (global.set $n (i32.load (i32.const 136)))
    (local.get $e))
  (func $pwrite (param $fd i32) (param $p i32) (param $l i32) (param $at i64) (result i32) (local $e i32)
    (i32.store (i32.const 128) (local.get $p))
    (i32.store (i32.const 132) (local.get $l))
    (local.set $e (call $fd_pwrite (local.get $fd) (i32.const 128) (i32.const 1) (local.get $at) (i32.const 136)))
    (global.set $n (i32.load (i32.const 136)))
    (local.get $e))
  (func $seek (param $fd i32) (param $off i64) (param $whence i32) (result i32) (local $e i32)
    (local.set $e (call $fd_seek (local.get $fd) (local.get $off) (local.get $whence) (i32.const 144)))
    (if (i32.eqz (local.get $e)) (then (global.set $pos (i64.load (i32.const 144)))))
    (local.get $e))
  (func $tell (param $fd i32) (result i32) (local $e i32)
    (local.set $e (call $fd_tell (local.get $fd) (i32.const 144)))
    (if (i32.eqz (local.get $e)) (then (global.set $pos (i64.load (i32.const 144)))))
    (local.get $e))

  ;; filestat at 256: dev 0, ino 8, filetype 16, nlink 24, size 32, atim 40, mtim 48, ctim 56
  (func $stat (param $dir i32) (param $follow i32) (param $p i32) (param $l i32) (result i32)
    (call $path_filestat_get (local.get $dir) (local.get $follow) (local.get $p) (local.get $l) (i32.const 256)))
  (func $fstat (param $fd i32) (result i32)
    (call $fd_filestat_get (local.get $fd) (i32.const 256)))
  (func $st_ino (result i64) (i64.load (i32.const 264)))
  (func $st_type (result i32) (i32.load8_u (i32.const 272)))
  (func $st_nlink (result i64) (i64.load (i32.const 280)))
  (func $st_size (result i64) (i64.load (i32.const 288)))
  (func $st_atim (result i64) (i64.load (i32.const 296)))
  (func $st_mtim (result i64) (i64.load (i32.const 304)))

  ;; prints the rest of fd through a 256-byte buffer at 512
  (func $cat (param $fd i32) (local $e i32)
    (loop $more
      (local.set $e (call $read (local.get $fd) (i32.const 512) (i32.const 256)))
      (if (local.get $e) (then (call $errno (str "read") (local.get $e)) (return)))
      (if (global.get $n)
        (then
          (call $print (i32.const 512) (global.get $n))
          (br $more)))))

  ;; prints "path: [contents]", or the errno
  (func $slurp (param $dir i32) (param $p i32) (param $l i32) (local $e i32)
    (local.set $e (call $open (local.get $dir) (local.get $p) (local.get $l) (i32.const 0) (global.get $READ) (i32.const 0)))
    (if (local.get $e) (then (call $errno (local.get $p) (local.get $l) (local.get $e)) (return)))
    (call $print (local.get $p) (local.get $l))
    (call $print (str ": ["))
    (call $cat (global.get $fd))
    (drop (call $fd_close (global.get $fd)))
    (call $print (str "]\n")))
"#;

/// `guest` (a module body defining `$main`) as a complete module.
///
/// The text is built once per guest and kept for the life of the process (`Guest::Wat` holds
/// a `&'static str`).
pub(super) fn wat(guest: &'static str) -> Guest {
    wat_parts(&[guest])
}

/// A guest made of several bodies, e.g. shared functions and a `$main`.
pub(super) fn wat_parts(parts: &[&'static str]) -> Guest {
    static BUILT: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let guest = parts.concat();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let text =
        *built.entry(guest).or_insert_with_key(|guest| Box::leak(module(guest).into_boxed_str()));
    Guest::Wat(text)
}

fn module(guest: &str) -> String {
    let mut out = String::from("(module\n");
    // Every preview1 function, declared with the signature the implementation offers; the
    // signatures themselves are checked against the specification in engine-core's tests.
    let mut imports = Imports::new();
    wasmux_wasi::add_to_imports(&mut imports);
    for func in imports.iter() {
        let ty = func.ty().to_string();
        let signature =
            ty.strip_prefix("(func").and_then(|t| t.strip_suffix(')')).unwrap_or_default();
        let (module, name) = (func.module(), func.name());
        let _ = writeln!(out, "  (import \"{module}\" \"{name}\" (func ${name}{signature}))");
    }
    for (bit, name) in RIGHTS.iter().enumerate() {
        let _ = writeln!(out, "  (global ${name} i64 (i64.const {}))", 1u64 << bit);
    }
    let read = rights(&["FD_READ", "FD_SEEK", "FD_TELL", "FD_FILESTAT_GET", "POLL_FD_READWRITE"]);
    let rw = read | right("FD_WRITE");
    let dir = rights(&[
        "FD_DATASYNC",
        "FD_SYNC",
        "PATH_CREATE_DIRECTORY",
        "PATH_CREATE_FILE",
        "PATH_LINK_SOURCE",
        "PATH_LINK_TARGET",
        "PATH_OPEN",
        "FD_READDIR",
        "PATH_READLINK",
        "PATH_RENAME_SOURCE",
        "PATH_RENAME_TARGET",
        "PATH_FILESTAT_GET",
        "PATH_FILESTAT_SET_SIZE",
        "PATH_FILESTAT_SET_TIMES",
        "FD_FILESTAT_GET",
        "FD_FILESTAT_SET_TIMES",
        "PATH_SYMLINK",
        "PATH_REMOVE_DIRECTORY",
        "PATH_UNLINK_FILE",
    ]);
    let _ = writeln!(out, "  (global $ALL i64 (i64.const -1))");
    let _ = writeln!(out, "  (global $READ i64 (i64.const {read}))");
    let _ = writeln!(out, "  (global $RW i64 (i64.const {rw}))");
    let _ = writeln!(out, "  (global $DIR i64 (i64.const {dir}))");
    let mut names = String::new();
    for name in ERRNO_NAMES {
        let _ = write!(names, "\\{:02x}{name}{}", name.len(), "\\00".repeat(15 - name.len()));
    }
    let _ = writeln!(out, "  (data (i32.const 1024) \"{names}\")");

    let mut texts = Texts { next: 8192, data: String::new() };
    out.push_str(&texts.expand(HELPERS));
    out.push_str(&texts.expand(guest));
    out.push_str(&texts.data);
    out.push_str(")\n");
    out
}

/// The texts of `(str ...)` and `(addr ...)`, placed one after another.
struct Texts {
    next: u32,
    data: String,
}

impl Texts {
    fn expand(&mut self, source: &str) -> String {
        let mut out = String::with_capacity(source.len());
        let mut rest = source;
        loop {
            let at = [rest.find("(str \""), rest.find("(addr \"")].into_iter().flatten().min();
            let Some(at) = at else {
                out.push_str(rest);
                return out;
            };
            out.push_str(&rest[..at]);
            let with_len = rest[at..].starts_with("(str ");
            let open = at + rest[at..].find('"').expect("a quote");
            let (literal, len) = literal(&rest[open + 1..]);
            let close = open + 1 + literal.len() + 1;
            assert!(
                rest[close..].starts_with(')'),
                "`(str \"...\")` takes one string: {}",
                &rest[at..]
            );
            let addr = self.next;
            self.next += len.max(1);
            assert!(self.next <= 65_536, "the texts of a guest outgrew their space");
            let _ = writeln!(self.data, "  (data (i32.const {addr}) \"{literal}\")");
            if with_len {
                let _ = write!(out, "(i32.const {addr}) (i32.const {len})");
            } else {
                let _ = write!(out, "(i32.const {addr})");
            }
            rest = &rest[close + 1..];
        }
    }
}

/// The WAT string literal at the start of `text` (after its opening quote): its source text
/// and the number of bytes it stands for.
fn literal(text: &str) -> (&str, u32) {
    let bytes = text.as_bytes();
    let (mut i, mut len) = (0, 0u32);
    while bytes[i] != b'"' {
        if bytes[i] == b'\\' {
            i += if bytes[i + 1].is_ascii_hexdigit() { 3 } else { 2 };
        } else {
            i += 1;
        }
        len += 1;
    }
    (&text[..i], len)
}
