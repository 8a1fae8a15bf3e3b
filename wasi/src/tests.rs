//! The preview1 functions driven through `HostFunc::call`, as an engine would call them, with a
//! plain byte vector as linear memory. No engine needed.

use std::path::Path;

use super::types::{Rights, eventtype, fdflags, filetype, fstflags, lookupflags, oflags};
use super::*;
use wasmux_core::{Caller, HostError, HostState};
use wasmux_core::{Val, ValType};

const MEM_SIZE: usize = 256 * 1024;
/// Scratch for results.
const OUT: u32 = 0;
/// Iovec arrays.
const IOV: u32 = 256;
/// First and second path strings.
const STR1: u32 = 1024;
const STR2: u32 = 2048;
/// Data buffers.
const BUF: u32 = 4096;

const ALL: u64 = u64::MAX;
/// Every right but writing, which a directory refuses.
const DIR_RIGHTS: u64 = ALL & !Rights::FD_WRITE.0;
const READ_ONLY: u64 = Rights::FD_READ.0
    | Rights::FD_SEEK.0
    | Rights::FD_TELL.0
    | Rights::FD_FILESTAT_GET.0
    | Rights::FD_READDIR.0
    | Rights::PATH_OPEN.0
    | Rights::PATH_FILESTAT_GET.0;

fn i(v: u32) -> Val {
    Val::I32(v as i32)
}

fn l(v: u64) -> Val {
    Val::I64(v as i64)
}

struct Harness {
    state: HostState,
    mem: Vec<u8>,
    imports: Imports,
}

impl Harness {
    fn new(config: &WasiConfig) -> Harness {
        let mut state = HostState::default();
        state.set_wasi(WasiCtx::new(config).expect("valid WASI config"));
        let mut imports = Imports::new();
        add_to_imports(&mut imports);
        Harness { state, mem: vec![0; MEM_SIZE], imports }
    }

    /// A harness with `dir` preopened as `/sandbox` (descriptor 3).
    fn with_dir(dir: &Path, access: DirAccess) -> Harness {
        let mut config = WasiConfig::new();
        config.preopen(dir, "/sandbox", access);
        Harness::new(&config)
    }

    fn ctx(&mut self) -> &mut WasiCtx {
        self.state.wasi().expect("context installed")
    }

    fn raw_call(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>, HostError> {
        let func = self.imports.get(MODULE, name).expect("function registered").clone();
        let mut results: Vec<Val> =
            func.ty().results().iter().map(|t| Val::default_for(*t)).collect();
        let mut caller = Caller::new(Some(&mut self.mem), &mut self.state);
        func.call(&mut caller, args, &mut results)?;
        Ok(results)
    }

    fn call(&mut self, name: &str, args: &[Val]) -> Errno {
        let results = self.raw_call(name, args).expect("no trap");
        let raw = results[0].i32().expect("errno is an i32");
        Errno::from_raw(raw as u16).expect("a known errno")
    }

    fn ok(&mut self, name: &str, args: &[Val]) {
        assert_eq!(self.call(name, args), Errno::Success, "{name}");
    }

    fn result(&mut self, name: &str, args: &[Val]) -> Result<(), Errno> {
        match self.call(name, args) {
            Errno::Success => Ok(()),
            errno => Err(errno),
        }
    }

    fn put(&mut self, at: u32, bytes: &[u8]) {
        self.mem[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
    }

    fn get(&self, at: u32, len: usize) -> Vec<u8> {
        self.mem[at as usize..at as usize + len].to_vec()
    }

    fn u16_at(&self, at: u32) -> u16 {
        u16::from_le_bytes(self.get(at, 2).try_into().expect("2 bytes"))
    }

    fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.get(at, 4).try_into().expect("4 bytes"))
    }

    fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.get(at, 8).try_into().expect("8 bytes"))
    }

    fn put_u32(&mut self, at: u32, v: u32) {
        self.put(at, &v.to_le_bytes());
    }

    fn put_u64(&mut self, at: u32, v: u64) {
        self.put(at, &v.to_le_bytes());
    }

    /// Puts `s` at `at`; returns its pointer and length as arguments.
    fn string(&mut self, at: u32, s: &str) -> [Val; 2] {
        self.put(at, s.as_bytes());
        [i(at), i(s.len() as u32)]
    }

    fn open(
        &mut self,
        dirfd: u32,
        path: &str,
        oflags: u16,
        base: u64,
        fdflags: u16,
    ) -> Result<u32, Errno> {
        let [p, n] = self.string(STR1, path);
        let args = [i(dirfd), i(lookupflags::SYMLINK_FOLLOW), p, n, i(u32::from(oflags))];
        let mut args = args.to_vec();
        args.extend([l(base), l(ALL), i(u32::from(fdflags)), i(OUT)]);
        self.result("path_open", &args).map(|()| self.u32_at(OUT))
    }

    fn open_nofollow(&mut self, dirfd: u32, path: &str, oflags: u16) -> Result<u32, Errno> {
        let [p, n] = self.string(STR1, path);
        let args = [i(dirfd), i(0), p, n, i(u32::from(oflags)), l(ALL), l(ALL), i(0), i(OUT)];
        self.result("path_open", &args).map(|()| self.u32_at(OUT))
    }

    fn write(&mut self, fd: u32, data: &[u8]) -> Result<u32, Errno> {
        self.put(BUF, data);
        self.put_u32(IOV, BUF);
        self.put_u32(IOV + 4, data.len() as u32);
        self.result("fd_write", &[i(fd), i(IOV), i(1), i(OUT)]).map(|()| self.u32_at(OUT))
    }

    fn read(&mut self, fd: u32, max: u32) -> Result<Vec<u8>, Errno> {
        self.put_u32(IOV, BUF);
        self.put_u32(IOV + 4, max);
        self.result("fd_read", &[i(fd), i(IOV), i(1), i(OUT)])?;
        let n = self.u32_at(OUT);
        Ok(self.get(BUF, n as usize))
    }

    fn seek(&mut self, fd: u32, offset: i64, whence: u32) -> Result<u64, Errno> {
        self.result("fd_seek", &[i(fd), Val::I64(offset), i(whence), i(OUT)])
            .map(|()| self.u64_at(OUT))
    }

    /// A path function taking `(fd, path)`.
    fn path(&mut self, name: &str, fd: u32, path: &str) -> Result<(), Errno> {
        let [p, n] = self.string(STR1, path);
        self.result(name, &[i(fd), p, n])
    }

    fn rename(&mut self, fd: u32, old: &str, new_fd: u32, new: &str) -> Result<(), Errno> {
        let [op, on] = self.string(STR1, old);
        let [np, nn] = self.string(STR2, new);
        self.result("path_rename", &[i(fd), op, on, i(new_fd), np, nn])
    }

    fn link(&mut self, fd: u32, old: &str, new_fd: u32, new: &str) -> Result<(), Errno> {
        let [op, on] = self.string(STR1, old);
        let [np, nn] = self.string(STR2, new);
        self.result("path_link", &[i(fd), i(0), op, on, i(new_fd), np, nn])
    }

    fn symlink(&mut self, target: &str, fd: u32, link: &str) -> Result<(), Errno> {
        let [op, on] = self.string(STR1, target);
        let [np, nn] = self.string(STR2, link);
        self.result("path_symlink", &[op, on, i(fd), np, nn])
    }

    fn filestat(&mut self, fd: u32, path: &str, follow: bool) -> Result<Vec<u8>, Errno> {
        let [p, n] = self.string(STR1, path);
        let flags = if follow { lookupflags::SYMLINK_FOLLOW } else { 0 };
        self.result("path_filestat_get", &[i(fd), i(flags), p, n, i(OUT)])?;
        Ok(self.get(OUT, 64))
    }

    fn fdstat(&mut self, fd: u32) -> Result<(u8, u16, u64, u64), Errno> {
        self.result("fd_fdstat_get", &[i(fd), i(OUT)])?;
        Ok((self.get(OUT, 1)[0], self.u16_at(OUT + 2), self.u64_at(OUT + 8), self.u64_at(OUT + 16)))
    }

    /// All names of a directory listing, paging with a buffer of `buf_len` bytes.
    fn list(&mut self, fd: u32, buf_len: u32) -> Result<Vec<String>, Errno> {
        let mut names = Vec::new();
        let mut cookie = 0u64;
        loop {
            self.result("fd_readdir", &[i(fd), i(BUF), i(buf_len), l(cookie), i(OUT)])?;
            let used = self.u32_at(OUT);
            let mut at = 0u32;
            let mut progressed = false;
            while at + 24 <= used {
                let next = self.u64_at(BUF + at);
                let namlen = self.u32_at(BUF + at + 16);
                if at + 24 + namlen > used {
                    break;
                }
                let name = self.get(BUF + at + 24, namlen as usize);
                names.push(String::from_utf8(name).expect("utf-8 name"));
                cookie = next;
                at += 24 + namlen;
                progressed = true;
            }
            if used < buf_len {
                return Ok(names);
            }
            assert!(progressed, "buffer of {buf_len} bytes too small for one entry");
        }
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// A sandbox directory `root/sandbox` with a secret file beside it, outside.
fn sandbox() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempdir();
    let inside = root.path().join("sandbox");
    std::fs::create_dir(&inside).expect("mkdir sandbox");
    std::fs::write(root.path().join("secret"), b"outside").expect("write secret");
    (root, inside)
}

// ---------------------------------------------------------------------------------------------
// Registration and calling conventions

#[test]
fn all_46_functions_are_registered_with_preview1_signatures() {
    let mut imports = Imports::new();
    add_to_imports(&mut imports);
    assert_eq!(imports.iter().count(), 46);
    let sig = |name: &str| {
        let f = imports.get(MODULE, name).expect(name);
        let p: String =
            f.ty().params().iter().map(|t| if *t == ValType::I64 { 'L' } else { 'I' }).collect();
        (p, f.ty().results().to_vec())
    };
    let expected = [
        ("args_get", "II"),
        ("args_sizes_get", "II"),
        ("environ_get", "II"),
        ("environ_sizes_get", "II"),
        ("clock_res_get", "II"),
        ("clock_time_get", "ILI"),
        ("fd_advise", "ILLI"),
        ("fd_allocate", "ILL"),
        ("fd_close", "I"),
        ("fd_datasync", "I"),
        ("fd_fdstat_get", "II"),
        ("fd_fdstat_set_flags", "II"),
        ("fd_fdstat_set_rights", "ILL"),
        ("fd_filestat_get", "II"),
        ("fd_filestat_set_size", "IL"),
        ("fd_filestat_set_times", "ILLI"),
        ("fd_pread", "IIILI"),
        ("fd_prestat_get", "II"),
        ("fd_prestat_dir_name", "III"),
        ("fd_pwrite", "IIILI"),
        ("fd_read", "IIII"),
        ("fd_readdir", "IIILI"),
        ("fd_renumber", "II"),
        ("fd_seek", "ILII"),
        ("fd_sync", "I"),
        ("fd_tell", "II"),
        ("fd_write", "IIII"),
        ("path_create_directory", "III"),
        ("path_filestat_get", "IIIII"),
        ("path_filestat_set_times", "IIIILLI"),
        ("path_link", "IIIIIII"),
        ("path_open", "IIIIILLII"),
        ("path_readlink", "IIIIII"),
        ("path_remove_directory", "III"),
        ("path_rename", "IIIIII"),
        ("path_symlink", "IIIII"),
        ("path_unlink_file", "III"),
        ("poll_oneoff", "IIII"),
        ("proc_raise", "I"),
        ("sched_yield", ""),
        ("random_get", "II"),
        ("sock_accept", "III"),
        ("sock_recv", "IIIIII"),
        ("sock_send", "IIIII"),
        ("sock_shutdown", "II"),
    ];
    for (name, params) in expected {
        assert_eq!(sig(name), (params.to_owned(), vec![ValType::I32]), "{name}");
    }
    assert_eq!(sig("proc_exit"), ("I".to_owned(), vec![]));
    for name in FUNCTION_NAMES {
        assert!(imports.get(MODULE, name).is_some(), "{name}");
    }
}

#[test]
fn the_context_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<WasiCtx>();
    send::<HostState>();
    send::<CaptureBuffer>();
    fn sync<T: Sync>() {}
    sync::<CaptureBuffer>();
    sync::<WasiConfig>();
}

#[test]
fn proc_exit_ends_the_guest_with_its_status() {
    let mut config = WasiConfig::new();
    config.capture_stdout();
    let mut h = Harness::new(&config);
    h.write(1, b"bye").expect("write");
    assert_eq!(h.raw_call("proc_exit", &[i(3)]), Err(HostError::Exit(3)));
    assert_eq!(h.raw_call("proc_exit", &[i(0)]), Err(HostError::Exit(0)));
    assert_eq!(h.ctx().stdout_captured(), b"bye");
}

#[test]
fn calls_without_a_context_or_memory_trap_where_needed() {
    let mut imports = Imports::new();
    add_to_imports(&mut imports);
    let fd_close = imports.get(MODULE, "fd_close").expect("fd_close").clone();
    let fd_write = imports.get(MODULE, "fd_write").expect("fd_write").clone();
    let mut results = [Val::I32(-1)];

    let mut no_wasi = HostState::default();
    let mut caller = Caller::new(None, &mut no_wasi);
    assert!(matches!(fd_close.call(&mut caller, &[i(1)], &mut results), Err(HostError::Trap(_))));

    let mut state = HostState::default();
    state.set_wasi(WasiCtx::default());
    let mut caller = Caller::new(None, &mut state);
    // No memory: a function that needs none still works...
    fd_close.call(&mut caller, &[i(2)], &mut results).expect("fd_close without memory");
    assert_eq!(results[0], Val::I32(0));
    // ...one that does traps instead of guessing.
    let err = fd_write.call(&mut caller, &[i(1), i(0), i(0), i(0)], &mut results);
    assert!(matches!(err, Err(HostError::Trap(_))));
    // Wrongly typed arguments trap too.
    let mut caller = Caller::new(None, &mut state);
    assert!(matches!(fd_close.call(&mut caller, &[l(1)], &mut results), Err(HostError::Trap(_))));
}

// ---------------------------------------------------------------------------------------------
// Arguments and environment

#[test]
fn args_and_environment_reach_the_guest() {
    let mut config = WasiConfig::new();
    config.args(["prog", "héllo"]).env("A", "1").env("B", "x=y").env("A", "2");
    let mut h = Harness::new(&config);

    h.ok("args_sizes_get", &[i(OUT), i(OUT + 4)]);
    assert_eq!((h.u32_at(OUT), h.u32_at(OUT + 4)), (2, 5 + 7));
    h.ok("args_get", &[i(IOV), i(BUF)]);
    assert_eq!(h.u32_at(IOV), BUF);
    assert_eq!(h.u32_at(IOV + 4), BUF + 5);
    assert_eq!(h.get(BUF, 12), "prog\0héllo\0".as_bytes());

    h.ok("environ_sizes_get", &[i(OUT), i(OUT + 4)]);
    assert_eq!((h.u32_at(OUT), h.u32_at(OUT + 4)), (2, 4 + 6));
    h.ok("environ_get", &[i(IOV), i(BUF)]);
    assert_eq!(h.get(BUF, 10), b"A=2\0B=x=y\0");
    assert_eq!(h.ctx().env().collect::<Vec<_>>(), ["A=2", "B=x=y"]);
    assert_eq!(h.ctx().args().collect::<Vec<_>>(), ["prog", "héllo"]);

    // Bad pointers are EFAULT, never a panic.
    assert_eq!(h.call("args_get", &[i(MEM_SIZE as u32 - 4), i(BUF)]), Errno::Fault);
    assert_eq!(h.call("args_get", &[i(IOV), i(MEM_SIZE as u32 - 3)]), Errno::Fault);
    assert_eq!(h.call("environ_sizes_get", &[i(u32::MAX), i(OUT)]), Errno::Fault);
}

#[test]
fn nothing_of_the_host_environment_is_inherited_unless_asked() {
    let mut h = Harness::new(&WasiConfig::new());
    h.ok("environ_sizes_get", &[i(OUT), i(OUT + 4)]);
    assert_eq!((h.u32_at(OUT), h.u32_at(OUT + 4)), (0, 0));
    h.ok("args_sizes_get", &[i(OUT), i(OUT + 4)]);
    assert_eq!(h.u32_at(OUT), 0);

    let mut config = WasiConfig::new();
    config.inherit_env(true).env("WASMUX_TEST_OVERRIDE", "mine");
    let ctx = WasiCtx::new(&config).expect("host environment is UTF-8 here");
    assert_eq!(ctx.env().filter(|e| e.starts_with("WASMUX_TEST_OVERRIDE=")).count(), 1);
    assert!(ctx.env().count() > 1 || std::env::vars_os().next().is_none());
}

#[test]
fn invalid_configurations_are_refused_before_the_guest_starts() {
    let config_err = |config: &WasiConfig| match WasiCtx::new(config) {
        Err(Error::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    };
    let mut c = WasiConfig::new();
    c.env("A=B", "1");
    assert!(config_err(&c).contains("A=B"));
    let mut c = WasiConfig::new();
    c.env("", "1");
    config_err(&c);
    let mut c = WasiConfig::new();
    c.arg("a\0b");
    assert!(config_err(&c).contains("NUL"));
    let mut c = WasiConfig::new();
    c.env("A", "x\0");
    config_err(&c);

    let dir = tempdir();
    let mut c = WasiConfig::new();
    c.preopen_dir(dir.path(), "");
    assert!(config_err(&c).contains("guest path"));

    let missing = dir.path().join("missing");
    let mut c = WasiConfig::new();
    c.preopen_dir(&missing, "/data");
    match WasiCtx::new(&c) {
        Err(Error::Io { context, source }) => {
            assert!(context.contains("missing"), "{context}");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    let mut c = WasiConfig::new();
    c.stdin(StdinConfig::File(missing));
    assert!(matches!(WasiCtx::new(&c), Err(Error::Io { .. })));
}

#[test]
fn config_round_trips_through_serde() {
    let mut config = WasiConfig::new();
    config
        .args(["a", "b"])
        .env("K", "V")
        .preopen_dir_read_only("/tmp", "/t")
        .stdin_bytes(b"in".to_vec())
        .capture_stdout()
        .stderr(OutputConfig::File("/tmp/err".into()))
        .deterministic_clock(5, 7)
        .random_seed(9);
    let json = serde_json::to_string(&config).expect("serializes");
    let back: WasiConfig = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, config);
    let partial: WasiConfig =
        serde_json::from_str(r#"{"args":["x"],"preopens":[{"host":"/h","guest":"/g"}]}"#)
            .expect("defaults fill the rest");
    assert_eq!(partial.preopens[0].access, DirAccess::ReadWrite);
    assert_eq!(partial.stdout, OutputConfig::Null);
}

// ---------------------------------------------------------------------------------------------
// Clocks, randomness, scheduling

#[test]
fn deterministic_clocks_advance_by_their_step() {
    let mut config = WasiConfig::new();
    config.deterministic_clock(1_700_000_000_000_000_000, 1_000);
    let mut h = Harness::new(&config);
    h.ok("clock_time_get", &[i(0), l(0), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 1_700_000_000_000_000_000);
    h.ok("clock_time_get", &[i(1), l(0), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 1_000);
    h.ok("clock_time_get", &[i(0), l(0), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 1_700_000_000_000_002_000);
    h.ok("clock_res_get", &[i(1), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 1_000);
    assert_eq!(h.call("clock_time_get", &[i(2), l(0), i(OUT)]), Errno::Badf);
    assert_eq!(h.call("clock_res_get", &[i(3), i(OUT)]), Errno::Badf);
    assert_eq!(h.call("clock_time_get", &[i(4), l(0), i(OUT)]), Errno::Inval);
    assert_eq!(h.call("clock_time_get", &[i(0), l(0), i(MEM_SIZE as u32 - 4)]), Errno::Fault);
    // A failed call does not move virtual time.
    h.ok("clock_time_get", &[i(1), l(0), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 3_000);
}

#[test]
fn host_clocks_tell_the_time() {
    let mut h = Harness::new(&WasiConfig::new());
    h.ok("clock_time_get", &[i(0), l(1), i(OUT)]);
    let now = h.u64_at(OUT);
    let host = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_nanos() as u64;
    assert!(host.abs_diff(now) < 5_000_000_000);
    h.ok("clock_time_get", &[i(1), l(1), i(OUT)]);
    let a = h.u64_at(OUT);
    h.ok("clock_time_get", &[i(1), l(1), i(OUT)]);
    assert!(h.u64_at(OUT) >= a);
    h.ok("clock_res_get", &[i(0), i(OUT)]);
    assert!(h.u64_at(OUT) >= 1);
}

#[test]
fn seeded_random_is_reproducible() {
    let mut config = WasiConfig::new();
    config.random_seed(42);
    let mut a = Harness::new(&config);
    let mut b = Harness::new(&config);
    a.ok("random_get", &[i(BUF), i(64)]);
    b.ok("random_get", &[i(BUF), i(64)]);
    assert_eq!(a.get(BUF, 64), b.get(BUF, 64));
    assert_ne!(a.get(BUF, 64), vec![0; 64]);
    a.ok("random_get", &[i(BUF), i(64)]);
    assert_ne!(a.get(BUF, 64), b.get(BUF, 64), "the stream moves on");

    let mut os = Harness::new(&WasiConfig::new());
    os.ok("random_get", &[i(BUF), i(64)]);
    assert_ne!(os.get(BUF, 64), b.get(BUF, 64));
    assert_eq!(os.call("random_get", &[i(MEM_SIZE as u32 - 8), i(9)]), Errno::Fault);
    os.ok("random_get", &[i(MEM_SIZE as u32), i(0)]);
}

#[test]
fn sched_yield_and_proc_raise() {
    let mut h = Harness::new(&WasiConfig::new());
    h.ok("sched_yield", &[]);
    assert_eq!(h.call("proc_raise", &[i(15)]), Errno::Notsup);
    assert_eq!(h.call("proc_raise", &[i(31)]), Errno::Inval);
}

// ---------------------------------------------------------------------------------------------
// Standard I/O

#[test]
fn stdout_and_stderr_are_captured() {
    let err = CaptureBuffer::new();
    let mut config = WasiConfig::new();
    config
        .capture_stdout()
        .stderr_buffer(err.clone())
        .stdin_bytes(b"line one\nline two\n".to_vec());
    let mut h = Harness::new(&config);
    let out = h.ctx().stdout_buffer().expect("stdout captured");

    // Two iovecs in one call.
    h.put(BUF, b"hello, ");
    h.put(BUF + 100, b"world\n");
    h.put_u32(IOV, BUF);
    h.put_u32(IOV + 4, 7);
    h.put_u32(IOV + 8, BUF + 100);
    h.put_u32(IOV + 12, 6);
    h.ok("fd_write", &[i(1), i(IOV), i(2), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 13);
    assert_eq!(h.write(2, b"oops"), Ok(4));

    assert_eq!(out.contents(), b"hello, world\n");
    assert_eq!(h.ctx().stdout_captured(), b"hello, world\n");
    assert_eq!(err.to_string_lossy(), "oops");
    assert_eq!(h.ctx().stderr_captured(), b"oops");

    assert_eq!(h.read(0, 9), Ok(b"line one\n".to_vec()));
    assert_eq!(h.read(0, 100), Ok(b"line two\n".to_vec()));
    assert_eq!(h.read(0, 100), Ok(Vec::new()));
    // Wrong directions.
    assert_eq!(h.read(1, 4), Err(Errno::Badf));
    assert_eq!(h.write(0, b"x"), Err(Errno::Badf));
    // Streams do not seek.
    assert_eq!(h.seek(1, 0, 1), Err(Errno::Spipe));
    assert_eq!(h.result("fd_tell", &[i(0), i(OUT)]), Err(Errno::Spipe));
    let (ft, flags, base, _) = h.fdstat(1).expect("fdstat of stdout");
    assert_eq!(ft, filetype::UNKNOWN);
    assert_eq!(flags, 0);
    assert!(Rights(base).contains(Rights::FD_WRITE));
    assert!(!Rights(base).intersects(Rights::FD_SEEK | Rights::FD_TELL), "isatty needs this");

    // Output survives closing the descriptor.
    h.ok("fd_close", &[i(1)]);
    assert_eq!(h.write(1, b"more"), Err(Errno::Badf));
    assert_eq!(out.contents(), b"hello, world\n");
}

#[test]
fn stdio_to_null_and_files() {
    let dir = tempdir();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    std::fs::write(&input, b"from a file").expect("write input");
    let mut config = WasiConfig::new();
    config.stdin(StdinConfig::File(input)).stdout(OutputConfig::File(output.clone()));
    let mut h = Harness::new(&config);
    assert_eq!(h.read(0, 100), Ok(b"from a file".to_vec()));
    assert_eq!(h.write(1, b"to a file"), Ok(9));
    assert_eq!(h.write(2, b"to nowhere"), Ok(10));
    assert_eq!(std::fs::read(&output).expect("read output"), b"to a file");
    assert!(h.ctx().stdout_buffer().is_none());
    assert!(h.ctx().stdout_captured().is_empty());
    let mut null = Harness::new(&WasiConfig::new());
    assert_eq!(null.read(0, 10), Ok(Vec::new()));
}

// ---------------------------------------------------------------------------------------------
// Files

#[test]
fn files_are_written_read_and_seeked() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "data.txt", oflags::CREAT, ALL, 0).expect("create");
    assert_eq!(h.write(fd, b"hello world"), Ok(11));
    assert_eq!(std::fs::read(dir.path().join("data.txt")).expect("on disk"), b"hello world");

    assert_eq!(h.seek(fd, 0, 1), Ok(11));
    assert_eq!(h.seek(fd, 6, 0), Ok(6));
    assert_eq!(h.read(fd, 100), Ok(b"world".to_vec()));
    h.ok("fd_tell", &[i(fd), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 11);
    assert_eq!(h.seek(fd, -5, 2), Ok(6));
    assert_eq!(h.seek(fd, -1, 0), Err(Errno::Inval));
    assert_eq!(h.seek(fd, -100, 1), Err(Errno::Inval));
    assert_eq!(h.seek(fd, 0, 3), Err(Errno::Inval));
    assert_eq!(h.seek(fd, 0, 0), Ok(0));

    // Several iovecs, filled in order; a short read stops at the end of the file.
    h.put_u32(IOV, BUF);
    h.put_u32(IOV + 4, 4);
    h.put_u32(IOV + 8, BUF + 100);
    h.put_u32(IOV + 12, 100);
    h.ok("fd_read", &[i(fd), i(IOV), i(2), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 11);
    assert_eq!(h.get(BUF, 4), b"hell");
    assert_eq!(h.get(BUF + 100, 7), b"o world");

    // A directory is not read like a file.
    assert_eq!(h.read(3, 10), Err(Errno::Badf));
    h.ok("fd_close", &[i(fd)]);
    assert_eq!(h.call("fd_close", &[i(fd)]), Errno::Badf);
    assert_eq!(h.read(fd, 1), Err(Errno::Badf));
}

#[test]
fn large_chunks_are_read_and_written_whole() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "big", oflags::CREAT | oflags::TRUNC, ALL, 0).expect("create");
    let chunk: Vec<u8> = (0..65536u32).map(|n| (n % 251) as u8).collect();
    for _ in 0..3 {
        assert_eq!(h.write(fd, &chunk), Ok(65536));
    }
    assert_eq!(h.seek(fd, 0, 0), Ok(0));
    for _ in 0..3 {
        assert_eq!(h.read(fd, 65536).expect("read"), chunk);
    }
    assert_eq!(h.read(fd, 65536), Ok(Vec::new()));
    assert_eq!(std::fs::metadata(dir.path().join("big")).expect("meta").len(), 3 * 65536);
}

#[test]
fn pread_and_pwrite_leave_the_position_alone() {
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), b"0123456789").expect("write");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "f", 0, ALL, 0).expect("open");
    assert_eq!(h.seek(fd, 2, 0), Ok(2));

    h.put_u32(IOV, BUF);
    h.put_u32(IOV + 4, 3);
    h.ok("fd_pread", &[i(fd), i(IOV), i(1), l(5), i(OUT)]);
    assert_eq!((h.u32_at(OUT), h.get(BUF, 3)), (3, b"567".to_vec()));
    h.ok("fd_pread", &[i(fd), i(IOV), i(1), l(100), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 0);

    h.put(BUF, b"ab");
    h.put_u32(IOV + 4, 2);
    h.ok("fd_pwrite", &[i(fd), i(IOV), i(1), l(8), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 2);
    h.ok("fd_tell", &[i(fd), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 2);
    assert_eq!(std::fs::read(dir.path().join("f")).expect("read"), b"01234567ab");
    assert_eq!(h.call("fd_pread", &[i(1), i(IOV), i(1), l(0), i(OUT)]), Errno::Spipe);
    assert_eq!(h.call("fd_pwrite", &[i(3), i(IOV), i(1), l(0), i(OUT)]), Errno::Badf);
}

#[test]
fn append_flag_appends() {
    let dir = tempdir();
    std::fs::write(dir.path().join("log"), b"one\n").expect("write");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "log", 0, ALL, fdflags::APPEND).expect("open append");
    assert_eq!(h.write(fd, b"two\n"), Ok(4));
    assert_eq!(h.fdstat(fd).expect("fdstat").1, fdflags::APPEND);

    let plain = h.open(3, "log", 0, ALL, 0).expect("open");
    h.ok("fd_fdstat_set_flags", &[i(plain), i(u32::from(fdflags::APPEND))]);
    assert_eq!(h.write(plain, b"three\n"), Ok(6));
    assert_eq!(std::fs::read(dir.path().join("log")).expect("read"), b"one\ntwo\nthree\n");
    assert_eq!(
        h.call("fd_fdstat_set_flags", &[i(plain), i(u32::from(fdflags::SYNC))]),
        Errno::Inval
    );
    assert_eq!(h.call("fd_fdstat_set_flags", &[i(plain), i(0x100)]), Errno::Inval);
    h.ok("fd_fdstat_set_flags", &[i(plain), i(0)]);
    assert_eq!(h.fdstat(plain).expect("fdstat").1, 0);
}

#[test]
fn filestat_size_and_times() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "f", oflags::CREAT, ALL, 0).expect("create");
    h.write(fd, b"12345").expect("write");

    h.ok("fd_filestat_get", &[i(fd), i(OUT)]);
    assert_eq!(h.get(OUT + 16, 1)[0], filetype::REGULAR_FILE);
    assert_eq!(h.u64_at(OUT + 24), 1, "nlink");
    assert_eq!(h.u64_at(OUT + 32), 5, "size");
    assert!(h.u64_at(OUT + 8) != 0, "inode");

    h.ok("fd_filestat_set_size", &[i(fd), l(2)]);
    assert_eq!(std::fs::read(dir.path().join("f")).expect("read"), b"12");

    let (atim, mtim) = (1_000_000_000_123_456_789u64, 1_100_000_000_000_000_000u64);
    h.ok(
        "fd_filestat_set_times",
        &[i(fd), l(atim), l(mtim), i(u32::from(fstflags::ATIM | fstflags::MTIM))],
    );
    h.ok("fd_filestat_get", &[i(fd), i(OUT)]);
    assert_eq!(h.u64_at(OUT + 48), mtim);
    assert_eq!(h.u64_at(OUT + 40), atim);
    let modified =
        std::fs::metadata(dir.path().join("f")).expect("meta").modified().expect("mtime");
    assert_eq!(
        modified.duration_since(std::time::UNIX_EPOCH).expect("after epoch").as_nanos() as u64,
        mtim
    );
    // Only mtime, set to now.
    h.ok("fd_filestat_set_times", &[i(fd), l(0), l(0), i(u32::from(fstflags::MTIM_NOW))]);
    h.ok("fd_filestat_get", &[i(fd), i(OUT)]);
    assert!(h.u64_at(OUT + 48) > mtim);
    assert_eq!(h.u64_at(OUT + 40), atim, "atime untouched");
    let both = u32::from(fstflags::ATIM | fstflags::ATIM_NOW);
    assert_eq!(h.call("fd_filestat_set_times", &[i(fd), l(0), l(0), i(both)]), Errno::Inval);
    assert_eq!(h.call("fd_filestat_set_times", &[i(fd), l(0), l(0), i(0x10)]), Errno::Inval);

    // By path, without following a symlink.
    h.symlink("f", 3, "link").expect("symlink");
    let [p, n] = h.string(STR1, "link");
    h.ok(
        "path_filestat_set_times",
        &[i(3), i(0), p, n, l(atim), l(mtim), i(u32::from(fstflags::MTIM))],
    );
    let link_stat = h.filestat(3, "link", false).expect("stat link");
    assert_eq!(link_stat[16], filetype::SYMBOLIC_LINK);
    assert_eq!(u64::from_le_bytes(link_stat[48..56].try_into().expect("8")), mtim);
    let file_stat = h.filestat(3, "link", true).expect("stat through link");
    assert_eq!(file_stat[16], filetype::REGULAR_FILE);
    assert_eq!(u64::from_le_bytes(file_stat[32..40].try_into().expect("8")), 2);
    assert_eq!(h.filestat(3, "nope", true), Err(Errno::Noent));
    let [p, n] = h.string(STR1, "f");
    assert_eq!(h.call("path_filestat_get", &[i(3), i(2), p, n, i(OUT)]), Errno::Inval);

    // Directories have filestats too.
    h.ok("fd_filestat_get", &[i(3), i(OUT)]);
    assert_eq!(h.get(OUT + 16, 1)[0], filetype::DIRECTORY);
    assert_eq!(h.call("fd_filestat_get", &[i(fd), i(MEM_SIZE as u32 - 63)]), Errno::Fault);
}

#[test]
fn advise_allocate_and_sync() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "f", oflags::CREAT, ALL, 0).expect("create");
    h.ok("fd_advise", &[i(fd), l(0), l(100), i(1)]);
    assert_eq!(h.call("fd_advise", &[i(fd), l(0), l(100), i(6)]), Errno::Inval);
    assert_eq!(h.call("fd_advise", &[i(0), l(0), l(0), i(0)]), Errno::Spipe);
    h.ok("fd_allocate", &[i(fd), l(0), l(4096)]);
    assert!(std::fs::metadata(dir.path().join("f")).expect("meta").len() >= 4096);
    h.ok("fd_sync", &[i(fd)]);
    h.ok("fd_datasync", &[i(fd)]);
    h.ok("fd_sync", &[i(3)]);
    assert_eq!(h.call("fd_sync", &[i(1)]), Errno::Inval);
    assert_eq!(h.call("fd_allocate", &[i(3), l(0), l(1)]), Errno::Badf);
    assert_eq!(h.call("fd_sync", &[i(99)]), Errno::Badf);
}

#[test]
fn fdstat_reports_types_flags_and_rights() {
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), b"x").expect("write");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let (ft, _, base, inheriting) = h.fdstat(3).expect("preopen");
    assert_eq!(ft, filetype::DIRECTORY);
    assert!(Rights(base).contains(Rights::PATH_OPEN | Rights::FD_READDIR));
    assert!(Rights(inheriting).contains(Rights::FD_READ | Rights::FD_WRITE));
    let fd = h.open(3, "f", 0, READ_ONLY, 0).expect("open");
    let (ft, _, base, inheriting) = h.fdstat(fd).expect("file");
    assert_eq!(ft, filetype::REGULAR_FILE);
    assert_eq!(Rights(base), Rights(READ_ONLY) & Rights::FILE, "granted what was asked");
    assert_eq!(inheriting, 0);
    assert_eq!(h.fdstat(42), Err(Errno::Badf));
    assert_eq!(h.call("fd_fdstat_get", &[i(3), i(MEM_SIZE as u32)]), Errno::Fault);
}

// ---------------------------------------------------------------------------------------------
// Directories

#[test]
fn preopens_are_described() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    h.ok("fd_prestat_get", &[i(3), i(OUT)]);
    assert_eq!(h.get(OUT, 1)[0], 0, "tag: dir");
    assert_eq!(h.u32_at(OUT + 4), 8);
    h.ok("fd_prestat_dir_name", &[i(3), i(BUF), i(8)]);
    assert_eq!(h.get(BUF, 8), b"/sandbox");
    assert_eq!(h.call("fd_prestat_dir_name", &[i(3), i(BUF), i(7)]), Errno::Nametoolong);
    assert_eq!(h.call("fd_prestat_get", &[i(4), i(OUT)]), Errno::Badf);
    assert_eq!(h.call("fd_prestat_get", &[i(1), i(OUT)]), Errno::Badf);
    let sub = {
        std::fs::create_dir(dir.path().join("d")).expect("mkdir");
        h.open(3, "d", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("open dir")
    };
    assert_eq!(h.call("fd_prestat_get", &[i(sub), i(OUT)]), Errno::Badf);
    assert_eq!(h.call("fd_prestat_dir_name", &[i(3), i(MEM_SIZE as u32 - 2), i(8)]), Errno::Fault);
}

#[test]
fn directories_are_created_opened_and_removed() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    h.path("path_create_directory", 3, "a").expect("mkdir a");
    h.path("path_create_directory", 3, "a/b").expect("mkdir a/b");
    assert!(dir.path().join("a/b").is_dir());
    assert_eq!(h.path("path_create_directory", 3, "a"), Err(Errno::Exist));
    assert_eq!(h.path("path_create_directory", 3, "x/y"), Err(Errno::Noent));

    assert_eq!(h.open(3, "a", oflags::DIRECTORY, ALL, 0), Err(Errno::Isdir), "write rights");
    let a = h.open(3, "a", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("open a");
    assert_eq!(h.fdstat(a).expect("fdstat").0, filetype::DIRECTORY);
    let f = h.open(a, "b/file", oflags::CREAT, ALL, 0).expect("create in a/b");
    h.write(f, b"deep").expect("write");
    assert_eq!(std::fs::read(dir.path().join("a/b/file")).expect("read"), b"deep");
    // A directory opened without O_DIRECTORY is still a directory descriptor.
    let b = h.open(a, "b", 0, READ_ONLY, 0).expect("open a/b plainly");
    assert_eq!(h.fdstat(b).expect("fdstat").0, filetype::DIRECTORY);
    assert_eq!(h.list(b, 4096), Ok(vec![".".into(), "..".into(), "file".into()]));

    assert_eq!(h.open(3, "a/b/file", oflags::DIRECTORY, ALL, 0), Err(Errno::Notdir));
    assert_eq!(h.open(3, "a", oflags::DIRECTORY | oflags::CREAT, ALL, 0), Err(Errno::Inval));
    assert_eq!(h.open(3, "a", 0, ALL, 0), Err(Errno::Isdir), "a directory is not written");
    assert_eq!(h.open(f, "x", 0, ALL, 0), Err(Errno::Notdir), "path_open on a file");
    assert_eq!(h.open(3, "a/b/file", oflags::CREAT | oflags::EXCL, ALL, 0), Err(Errno::Exist));
    assert_eq!(h.open(3, "missing", 0, ALL, 0), Err(Errno::Noent));

    assert_eq!(h.path("path_remove_directory", 3, "a/b"), Err(Errno::Notempty));
    assert_eq!(h.path("path_remove_directory", 3, "a/b/file"), Err(Errno::Notdir));
    h.path("path_unlink_file", 3, "a/b/file").expect("unlink");
    h.path("path_remove_directory", 3, "a/b").expect("rmdir");
    assert!(!dir.path().join("a/b").exists());
    assert_eq!(h.path("path_create_directory", 1, "x"), Err(Errno::Notdir));
    assert_eq!(h.path("path_create_directory", 77, "x"), Err(Errno::Badf));
}

#[test]
fn readdir_pages_with_cookies() {
    let dir = tempdir();
    let mut expected: Vec<String> = (0..40).map(|n| format!("file-{n:02}")).collect();
    for name in &expected {
        std::fs::write(dir.path().join(name), name).expect("write");
    }
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    expected.push("sub".into());
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);

    let mut whole = h.list(3, 8192).expect("list");
    assert_eq!(&whole[..2], [".", ".."]);
    whole.sort();
    let mut paged = h.list(3, 40).expect("list in small pages");
    paged.sort();
    assert_eq!(whole, paged);
    let mut names: Vec<String> = whole.into_iter().filter(|n| n != "." && n != "..").collect();
    names.sort();
    expected.sort();
    assert_eq!(names, expected);

    // A buffer too small for one dirent is filled entirely, telling libc to grow it.
    h.ok("fd_readdir", &[i(3), i(BUF), i(10), l(0), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 10);
    // Types and cookies of the first entry.
    h.ok("fd_readdir", &[i(3), i(BUF), i(4096), l(0), i(OUT)]);
    assert_eq!(h.u64_at(BUF), 1, "d_next");
    assert_eq!(h.u32_at(BUF + 16), 1, "d_namlen");
    assert_eq!(h.get(BUF + 20, 1)[0], filetype::DIRECTORY);
    assert_eq!(h.get(BUF + 24, 1), b".");
    // Past the end: nothing.
    h.ok("fd_readdir", &[i(3), i(BUF), i(4096), l(1000), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 0);

    let f = h.open(3, "file-00", 0, ALL, 0).expect("open");
    assert_eq!(h.call("fd_readdir", &[i(f), i(BUF), i(100), l(0), i(OUT)]), Errno::Notdir);
    assert_eq!(
        h.call("fd_readdir", &[i(3), i(MEM_SIZE as u32 - 10), i(100), l(0), i(OUT)]),
        Errno::Fault
    );
}

// ---------------------------------------------------------------------------------------------
// Links, renames, unlinks

#[test]
fn hard_links_and_symlinks() {
    let dir = tempdir();
    std::fs::write(dir.path().join("target"), b"data").expect("write");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);

    h.link(3, "target", 3, "hard").expect("link");
    assert_eq!(std::fs::read(dir.path().join("hard")).expect("read"), b"data");
    let stat = h.filestat(3, "target", false).expect("stat");
    assert_eq!(u64::from_le_bytes(stat[24..32].try_into().expect("8")), 2, "nlink");
    assert_eq!(h.link(3, "target", 3, "hard"), Err(Errno::Exist));
    let [op, on] = h.string(STR1, "target");
    let [np, nn] = h.string(STR2, "hard2");
    assert_eq!(h.call("path_link", &[i(3), i(1), op, on, i(3), np, nn]), Errno::Inval);

    h.symlink("target", 3, "soft").expect("symlink");
    let [p, n] = h.string(STR1, "soft");
    h.ok("path_readlink", &[i(3), p.clone(), n.clone(), i(BUF), i(64), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 6);
    assert_eq!(h.get(BUF, 6), b"target");
    // Truncated to the buffer, like POSIX readlink.
    h.ok("path_readlink", &[i(3), p.clone(), n.clone(), i(BUF + 100), i(3), i(OUT)]);
    assert_eq!((h.u32_at(OUT), h.get(BUF + 100, 3)), (3, b"tar".to_vec()));
    let fd = h.open(3, "soft", 0, ALL, 0).expect("follow symlink");
    assert_eq!(h.read(fd, 10), Ok(b"data".to_vec()));
    assert_eq!(h.open_nofollow(3, "soft", 0), Err(Errno::Loop));
    let [tp, tn] = h.string(STR1, "target");
    assert_eq!(h.call("path_readlink", &[i(3), tp, tn, i(BUF), i(64), i(OUT)]), Errno::Inval);

    // Dangling symlinks are allowed; they just do not resolve.
    h.symlink("nowhere", 3, "dangling").expect("dangling symlink");
    assert_eq!(h.open(3, "dangling", 0, ALL, 0), Err(Errno::Noent));
    assert_eq!(h.symlink("x", 3, "soft"), Err(Errno::Exist));
    h.path("path_unlink_file", 3, "dangling").expect("unlink a symlink");
    assert!(std::fs::symlink_metadata(dir.path().join("dangling")).is_err());
}

#[test]
fn renames_and_unlinks() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("d")).expect("mkdir");
    std::fs::write(dir.path().join("a"), b"A").expect("write");
    std::fs::write(dir.path().join("b"), b"B").expect("write");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let d = h.open(3, "d", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("open d");

    h.rename(3, "a", d, "moved").expect("rename into d");
    assert_eq!(std::fs::read(dir.path().join("d/moved")).expect("read"), b"A");
    assert!(!dir.path().join("a").exists());
    h.rename(3, "b", 3, "d/moved").expect("rename over");
    assert_eq!(std::fs::read(dir.path().join("d/moved")).expect("read"), b"B");
    assert_eq!(h.rename(3, "missing", 3, "x"), Err(Errno::Noent));
    assert_eq!(h.rename(3, "d", 3, "d/moved"), Err(Errno::Inval), "into itself");
    h.path("path_create_directory", 3, "e").expect("mkdir e");
    assert_eq!(h.rename(3, "e", 3, "d/moved"), Err(Errno::Notdir));

    assert_eq!(h.path("path_unlink_file", 3, "d"), Err(Errno::Isdir));
    assert_eq!(h.path("path_unlink_file", 3, "missing"), Err(Errno::Noent));
    h.path("path_unlink_file", d, "moved").expect("unlink");
    assert!(!dir.path().join("d/moved").exists());
}

// ---------------------------------------------------------------------------------------------
// Descriptors: renumber, rights

#[test]
fn renumber_moves_a_descriptor() {
    let dir = tempdir();
    std::fs::write(dir.path().join("one"), b"1").expect("write");
    std::fs::write(dir.path().join("two"), b"2").expect("write");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let one = h.open(3, "one", 0, ALL, 0).expect("open");
    let two = h.open(3, "two", 0, ALL, 0).expect("open");
    h.ok("fd_renumber", &[i(one), i(two)]);
    assert_eq!(h.read(two, 10), Ok(b"1".to_vec()));
    assert_eq!(h.read(one, 10), Err(Errno::Badf));
    assert_eq!(h.call("fd_renumber", &[i(one), i(two)]), Errno::Badf);
    assert_eq!(h.call("fd_renumber", &[i(two), i(50)]), Errno::Badf);
    h.ok("fd_renumber", &[i(two), i(two)]);
    // Onto stdout: the guest's writes to 1 now go to the file.
    h.ok("fd_renumber", &[i(two), i(1)]);
    assert_eq!(h.seek(1, 0, 2), Ok(1));
    assert_eq!(h.write(1, b"+"), Ok(1));
    assert_eq!(std::fs::read(dir.path().join("one")).expect("read"), b"1+");
    // A freed number is reused.
    assert_eq!(h.open(3, "two", 0, ALL, 0), Ok(one));
}

#[test]
fn rights_can_only_be_dropped() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "f", oflags::CREAT, ALL, 0).expect("create");
    let (_, _, base, _) = h.fdstat(fd).expect("fdstat");
    let without_write = base & !Rights::FD_WRITE.0;
    h.ok("fd_fdstat_set_rights", &[i(fd), l(without_write), l(0)]);
    assert_eq!(h.write(fd, b"x"), Err(Errno::Notcapable));
    assert_eq!(h.fdstat(fd).expect("fdstat").2, without_write);
    assert_eq!(h.call("fd_fdstat_set_rights", &[i(fd), l(base), l(0)]), Errno::Notcapable);
    assert_eq!(h.read(fd, 1), Ok(Vec::new()), "reading still allowed");
    h.ok("fd_fdstat_set_rights", &[i(fd), l(Rights::FD_READ.0), l(0)]);
    assert_eq!(h.seek(fd, 0, 0), Err(Errno::Notcapable));
    assert_eq!(h.result("fd_tell", &[i(fd), i(OUT)]), Err(Errno::Notcapable));
    assert_eq!(h.call("fd_filestat_get", &[i(fd), i(OUT)]), Errno::Notcapable);
    assert_eq!(h.call("fd_filestat_set_size", &[i(fd), l(0)]), Errno::Notcapable);
    assert_eq!(h.call("fd_sync", &[i(fd)]), Errno::Notcapable);

    // A directory that lost PATH_CREATE_FILE cannot create, and hands on only its inheriting
    // rights.
    let (_, _, dir_base, dir_inh) = h.fdstat(3).expect("fdstat");
    let inh = dir_inh & !Rights::FD_SEEK.0;
    h.ok("fd_fdstat_set_rights", &[i(3), l(dir_base & !Rights::PATH_CREATE_FILE.0), l(inh)]);
    assert_eq!(h.open(3, "new", oflags::CREAT, ALL, 0), Err(Errno::Notcapable));
    let g = h.open(3, "f", 0, ALL, 0).expect("open existing");
    let (_, _, g_base, _) = h.fdstat(g).expect("fdstat");
    assert!(!Rights(g_base).contains(Rights::FD_SEEK));
    assert_eq!(h.seek(g, 1, 0), Err(Errno::Notcapable));
    h.ok("fd_fdstat_set_rights", &[i(3), l(0), l(0)]);
    assert_eq!(h.path("path_create_directory", 3, "x"), Err(Errno::Notcapable));
    assert_eq!(h.open(3, "f", 0, ALL, 0), Err(Errno::Notcapable));
    assert_eq!(h.call("fd_readdir", &[i(3), i(BUF), i(100), l(0), i(OUT)]), Errno::Notcapable);
    assert_eq!(h.call("fd_fdstat_set_rights", &[i(3), l(1), l(0)]), Errno::Notcapable);
}

#[test]
fn read_only_preopens_grant_no_writes() {
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), b"keep").expect("write");
    std::fs::create_dir(dir.path().join("d")).expect("mkdir");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadOnly);

    let fd = h.open(3, "f", 0, READ_ONLY, 0).expect("open for reading");
    assert_eq!(h.read(fd, 10), Ok(b"keep".to_vec()));
    assert_eq!(h.write(fd, b"x"), Err(Errno::Notcapable));
    assert_eq!(h.call("fd_fdstat_set_rights", &[i(fd), l(ALL), l(0)]), Errno::Notcapable);
    assert_eq!(h.open(3, "f", 0, ALL, 0), Err(Errno::Notcapable), "asking to write");
    assert_eq!(h.open(3, "f", oflags::TRUNC, READ_ONLY, 0), Err(Errno::Notcapable));
    assert_eq!(h.open(3, "new", oflags::CREAT, READ_ONLY, 0), Err(Errno::Notcapable));
    assert_eq!(h.path("path_create_directory", 3, "x"), Err(Errno::Notcapable));
    assert_eq!(h.path("path_unlink_file", 3, "f"), Err(Errno::Notcapable));
    assert_eq!(h.path("path_remove_directory", 3, "d"), Err(Errno::Notcapable));
    assert_eq!(h.rename(3, "f", 3, "g"), Err(Errno::Notcapable));
    assert_eq!(h.link(3, "f", 3, "g"), Err(Errno::Notcapable));
    assert_eq!(h.symlink("f", 3, "g"), Err(Errno::Notcapable));
    let [p, n] = h.string(STR1, "f");
    let set_times = [i(3), i(0), p, n, l(0), l(0), i(u32::from(fstflags::MTIM_NOW))];
    assert_eq!(h.call("path_filestat_set_times", &set_times), Errno::Notcapable);
    assert_eq!(h.call("fd_filestat_set_size", &[i(fd), l(0)]), Errno::Notcapable);
    let mtim_now = i(u32::from(fstflags::MTIM_NOW));
    assert_eq!(h.call("fd_filestat_set_times", &[i(fd), l(0), l(0), mtim_now]), Errno::Notcapable);
    // Subdirectories inherit the restriction.
    let d = h.open(3, "d", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("open subdirectory");
    assert_eq!(h.open(d, "new", oflags::CREAT, READ_ONLY, 0), Err(Errno::Notcapable));
    assert_eq!(h.path("path_create_directory", d, "x"), Err(Errno::Notcapable));
    // Reading and listing still work.
    assert!(h.list(3, 4096).expect("list").contains(&"f".to_owned()));
    h.filestat(3, "f", true).expect("stat");

    assert_eq!(std::fs::read(dir.path().join("f")).expect("read"), b"keep");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    assert_eq!(names, ["d", "f"]);
    assert!(std::fs::read_dir(dir.path().join("d")).expect("read_dir").next().is_none());
}

#[test]
fn preopens_and_stdio_may_be_closed() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    h.ok("fd_close", &[i(3)]);
    assert_eq!(h.call("fd_prestat_get", &[i(3), i(OUT)]), Errno::Badf);
    assert_eq!(h.open(3, "x", oflags::CREAT, ALL, 0), Err(Errno::Badf));
    h.ok("fd_close", &[i(0)]);
    assert_eq!(h.read(0, 1), Err(Errno::Badf));
}

// ---------------------------------------------------------------------------------------------
// EFAULT

#[test]
fn bad_pointers_are_efault() {
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "f", oflags::CREAT, ALL, 0).expect("create");
    let end = MEM_SIZE as u32;

    // An iovec whose buffer runs off the end: nothing is written.
    h.put_u32(IOV, end - 2);
    h.put_u32(IOV + 4, 8);
    assert_eq!(h.call("fd_write", &[i(fd), i(IOV), i(1), i(OUT)]), Errno::Fault);
    // An iovec array off the end, or wrapping around.
    assert_eq!(h.call("fd_write", &[i(fd), i(end - 4), i(1), i(OUT)]), Errno::Fault);
    assert_eq!(h.call("fd_write", &[i(fd), i(IOV), i(u32::MAX), i(OUT)]), Errno::Fault);
    // A good buffer but a bad result pointer: the write does not happen.
    h.put(BUF, b"data");
    h.put_u32(IOV, BUF);
    h.put_u32(IOV + 4, 4);
    assert_eq!(h.call("fd_write", &[i(fd), i(IOV), i(1), i(end - 1)]), Errno::Fault);
    assert_eq!(std::fs::read(dir.path().join("f")).expect("read"), b"");
    assert_eq!(h.call("fd_read", &[i(fd), i(IOV), i(1), i(u32::MAX)]), Errno::Fault);
    assert_eq!(h.call("fd_read", &[i(fd), i(end), i(1), i(OUT)]), Errno::Fault);
    // Paths.
    assert_eq!(
        h.call("path_open", &[i(3), i(0), i(end - 1), i(2), i(0), l(ALL), l(ALL), i(0), i(OUT)]),
        Errno::Fault
    );
    assert_eq!(h.call("path_create_directory", &[i(3), i(u32::MAX), i(u32::MAX)]), Errno::Fault);
    h.put(BUF, &[0xff, 0xfe]);
    assert_eq!(h.call("path_create_directory", &[i(3), i(BUF), i(2)]), Errno::Ilseq);
    // A result pointer checked before the file is created.
    let [p, n] = h.string(STR1, "never");
    assert_eq!(
        h.call("path_open", &[i(3), i(0), p, n, i(1), l(ALL), l(ALL), i(0), i(end)]),
        Errno::Fault
    );
    assert!(!dir.path().join("never").exists());
    // Everything else that writes results.
    assert_eq!(h.call("fd_seek", &[i(fd), l(0), i(0), i(end - 7)]), Errno::Fault);
    assert_eq!(h.call("fd_tell", &[i(fd), i(end)]), Errno::Fault);
    assert_eq!(h.call("fd_prestat_get", &[i(3), i(end - 4)]), Errno::Fault);
    assert_eq!(h.call("poll_oneoff", &[i(end - 8), i(BUF), i(1), i(OUT)]), Errno::Fault);
    assert_eq!(h.call("poll_oneoff", &[i(BUF), i(end - 8), i(1), i(OUT)]), Errno::Fault);
    assert_eq!(h.call("clock_res_get", &[i(0), i(end - 1)]), Errno::Fault);
    assert_eq!(h.call("fd_pread", &[i(fd), i(IOV), i(1), l(0), i(end)]), Errno::Fault);
    let [p, n] = h.string(STR1, "f");
    assert_eq!(h.call("path_readlink", &[i(3), p, n, i(end - 1), i(10), i(OUT)]), Errno::Fault);
    assert_eq!(h.call("sock_recv", &[i(fd), i(IOV), i(1), i(0), i(end), i(OUT)]), Errno::Fault);
}

// ---------------------------------------------------------------------------------------------
// The sandbox

#[test]
fn dotdot_and_absolute_paths_cannot_leave_a_preopen() {
    let (root, inside) = sandbox();
    std::fs::create_dir(inside.join("sub")).expect("mkdir");
    let mut h = Harness::with_dir(&inside, DirAccess::ReadWrite);
    let outside = root.path().to_str().expect("utf-8 path").to_owned();

    assert_eq!(h.open(3, "../secret", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "sub/../../secret", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "..", oflags::DIRECTORY, ALL, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, &format!("{outside}/secret"), 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "/etc/passwd", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "../escaped", oflags::CREAT, ALL, 0), Err(Errno::Perm));
    assert_eq!(h.filestat(3, "../secret", true), Err(Errno::Perm));
    assert_eq!(h.path("path_create_directory", 3, "../newdir"), Err(Errno::Perm));
    assert_eq!(h.path("path_unlink_file", 3, "../secret"), Err(Errno::Perm));
    assert_eq!(h.path("path_remove_directory", 3, "../sandbox"), Err(Errno::Perm));
    // From a subdirectory, `..` reaches the preopen but no further.
    let sub = h.open(3, "sub", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("open sub");
    assert_eq!(h.open(sub, "..", oflags::DIRECTORY, ALL, 0), Err(Errno::Perm));
    assert_eq!(h.open(sub, "../../secret", 0, READ_ONLY, 0), Err(Errno::Perm));

    assert_eq!(std::fs::read(root.path().join("secret")).expect("read"), b"outside");
    assert!(!root.path().join("escaped").exists());
    assert!(!root.path().join("newdir").exists());
    // Inside is fine, `..` included.
    h.open(3, "sub/../sub", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("inside");
}

#[test]
fn symlinks_cannot_lead_out_of_a_preopen() {
    let (root, inside) = sandbox();
    let secret = root.path().join("secret");
    std::os::unix::fs::symlink(&secret, inside.join("abs")).expect("host symlink");
    std::os::unix::fs::symlink("../secret", inside.join("rel")).expect("host symlink");
    std::os::unix::fs::symlink(root.path(), inside.join("dirlink")).expect("host symlink");
    let mut h = Harness::with_dir(&inside, DirAccess::ReadWrite);

    assert_eq!(h.open(3, "abs", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "rel", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "dirlink/secret", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "dirlink", oflags::DIRECTORY, ALL, 0), Err(Errno::Perm));
    assert_eq!(h.open(3, "rel", oflags::TRUNC, ALL, 0), Err(Errno::Perm));
    assert_eq!(h.filestat(3, "rel", true), Err(Errno::Perm));
    assert_eq!(h.filestat(3, "rel", false).map(|s| s[16]), Ok(filetype::SYMBOLIC_LINK));
    let [p, n] = h.string(STR1, "abs");
    assert_eq!(
        h.call("path_readlink", &[i(3), p, n, i(BUF), i(100), i(OUT)]),
        Errno::Perm,
        "absolute contents are not disclosed"
    );

    // The guest cannot make such links either: absolute targets are refused; relative ones
    // that climb out are created but never resolve.
    assert_eq!(h.symlink(secret.to_str().expect("utf-8"), 3, "mine"), Err(Errno::Perm));
    assert_eq!(h.symlink("/etc", 3, "etc"), Err(Errno::Perm));
    h.symlink("../secret", 3, "climb").expect("a relative symlink may be created");
    assert_eq!(h.open(3, "climb", 0, READ_ONLY, 0), Err(Errno::Perm));
    assert_eq!(h.path("path_create_directory", 3, "dirlink/new"), Err(Errno::Perm));
    let [p, n] = h.string(STR1, "climb");
    let mtim = i(u32::from(fstflags::MTIM_NOW));
    let follow = i(lookupflags::SYMLINK_FOLLOW);
    assert_eq!(
        h.call("path_filestat_set_times", &[i(3), follow, p, n, l(0), l(0), mtim]),
        Errno::Perm
    );

    assert_eq!(std::fs::read(&secret).expect("read"), b"outside");
    assert!(!root.path().join("new").exists());
}

#[test]
fn links_and_renames_cannot_leave_a_preopen() {
    let (root, inside) = sandbox();
    std::fs::write(inside.join("mine"), b"inside").expect("write");
    let mut h = Harness::with_dir(&inside, DirAccess::ReadWrite);

    assert_eq!(h.link(3, "../secret", 3, "stolen"), Err(Errno::Perm));
    assert_eq!(h.link(3, "mine", 3, "../planted"), Err(Errno::Perm));
    assert_eq!(h.rename(3, "mine", 3, "../moved"), Err(Errno::Perm));
    assert_eq!(h.rename(3, "../secret", 3, "stolen"), Err(Errno::Perm));
    assert_eq!(h.rename(3, "mine", 3, "/tmp/moved"), Err(Errno::Perm));

    assert!(inside.join("mine").exists());
    assert!(!inside.join("stolen").exists());
    assert!(!root.path().join("moved").exists());
    assert!(!root.path().join("planted").exists());
    assert_eq!(std::fs::read(root.path().join("secret")).expect("read"), b"outside");
}

#[test]
fn two_preopens_link_and_rename_between_each_other() {
    let a = tempdir();
    let b = tempdir();
    std::fs::write(a.path().join("f"), b"x").expect("write");
    let mut config = WasiConfig::new();
    config.preopen_dir(a.path(), "/a").preopen_dir_read_only(b.path(), "/b");
    let mut h = Harness::new(&config);
    // Into a read-only preopen: refused by rights.
    assert_eq!(h.rename(3, "f", 4, "f"), Err(Errno::Notcapable));
    assert_eq!(h.link(3, "f", 4, "f"), Err(Errno::Notcapable));
    assert!(!b.path().join("f").exists());
    // Between two writable ones: allowed.
    let c = tempdir();
    let mut config = WasiConfig::new();
    config.preopen_dir(a.path(), "/a").preopen_dir(c.path(), "/c");
    let mut h = Harness::new(&config);
    h.link(3, "f", 4, "linked").expect("link across preopens");
    h.rename(3, "f", 4, "moved").expect("rename across preopens");
    assert_eq!(std::fs::read(c.path().join("moved")).expect("read"), b"x");
}

// ---------------------------------------------------------------------------------------------
// poll_oneoff

fn put_clock_sub(h: &mut Harness, at: u32, userdata: u64, clock: u32, timeout: u64, flags: u16) {
    h.put(at, &[0; 48]);
    h.put_u64(at, userdata);
    h.put(at + 8, &[eventtype::CLOCK]);
    h.put_u32(at + 16, clock);
    h.put_u64(at + 24, timeout);
    h.put(at + 40, &flags.to_le_bytes());
}

fn put_fd_sub(h: &mut Harness, at: u32, userdata: u64, kind: u8, fd: u32) {
    h.put(at, &[0; 48]);
    h.put_u64(at, userdata);
    h.put(at + 8, &[kind]);
    h.put_u32(at + 16, fd);
}

/// The events of the last poll: (userdata, errno, type, nbytes, flags).
fn events(h: &Harness, out: u32) -> Vec<(u64, u16, u8, u64, u16)> {
    (0..h.u32_at(OUT))
        .map(|n| {
            let at = out + n * 32;
            (
                h.u64_at(at),
                h.u16_at(at + 8),
                h.get(at + 10, 1)[0],
                h.u64_at(at + 16),
                h.u16_at(at + 24),
            )
        })
        .collect()
}

const SUBS: u32 = 8192;
const EVENTS: u32 = 16384;

#[test]
fn poll_sleeps_on_clocks() {
    let mut h = Harness::new(&WasiConfig::new());
    put_clock_sub(&mut h, SUBS, 7, 1, 20_000_000, 0);
    let start = std::time::Instant::now();
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]);
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    assert_eq!(events(&h, EVENTS), [(7, 0, eventtype::CLOCK, 0, 0)]);

    // Two clocks: the earlier fires alone.
    put_clock_sub(&mut h, SUBS, 1, 1, 5_000_000_000, 0);
    put_clock_sub(&mut h, SUBS + 48, 2, 0, 1_000_000, 0);
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(2), i(OUT)]);
    assert_eq!(events(&h, EVENTS), [(2, 0, eventtype::CLOCK, 0, 0)]);

    // An absolute deadline in the past fires at once.
    put_clock_sub(&mut h, SUBS, 3, 0, 1, 1);
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]);
    assert_eq!(events(&h, EVENTS).len(), 1);

    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(0), i(OUT)]), Errno::Inval);
    put_clock_sub(&mut h, SUBS, 3, 2, 1, 0);
    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]), Errno::Badf);
    put_clock_sub(&mut h, SUBS, 3, 1, 1, 4);
    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]), Errno::Inval);
    h.put(SUBS + 8, &[9]);
    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]), Errno::Inval);
}

#[test]
fn poll_with_virtual_clocks_does_not_wait() {
    let mut config = WasiConfig::new();
    config.deterministic_clock(0, 1);
    let mut h = Harness::new(&config);
    put_clock_sub(&mut h, SUBS, 1, 1, 3_600_000_000_000, 0);
    let start = std::time::Instant::now();
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(events(&h, EVENTS), [(1, 0, eventtype::CLOCK, 0, 0)]);
    h.ok("clock_time_get", &[i(1), l(0), i(OUT)]);
    assert_eq!(h.u64_at(OUT), 3_600_000_000_000);
}

#[test]
fn poll_reports_ready_descriptors() {
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), b"0123456789").expect("write");
    let mut config = WasiConfig::new();
    config.preopen_dir(dir.path(), "/").stdin_bytes(b"abc".to_vec()).capture_stdout();
    let mut h = Harness::new(&config);
    let fd = h.open(3, "f", 0, ALL, 0).expect("open");
    assert_eq!(h.seek(fd, 4, 0), Ok(4));

    put_fd_sub(&mut h, SUBS, 10, eventtype::FD_READ, fd);
    put_fd_sub(&mut h, SUBS + 48, 11, eventtype::FD_WRITE, 1);
    put_fd_sub(&mut h, SUBS + 96, 12, eventtype::FD_READ, 0);
    put_clock_sub(&mut h, SUBS + 144, 13, 1, 10_000_000_000, 0);
    let start = std::time::Instant::now();
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(4), i(OUT)]);
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "ready descriptors do not wait");
    assert_eq!(
        events(&h, EVENTS),
        [
            (10, 0, eventtype::FD_READ, 6, 0),
            (11, 0, eventtype::FD_WRITE, 0, 0),
            (12, 0, eventtype::FD_READ, 3, 0),
        ]
    );

    put_fd_sub(&mut h, SUBS, 1, eventtype::FD_READ, 99);
    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]), Errno::Badf);
    put_fd_sub(&mut h, SUBS, 1, eventtype::FD_READ, 3);
    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]), Errno::Badf);
    h.ok("fd_fdstat_set_rights", &[i(fd), l(Rights::FD_READ.0), l(0)]);
    put_fd_sub(&mut h, SUBS, 1, eventtype::FD_READ, fd);
    assert_eq!(h.call("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]), Errno::Notcapable);
}

// ---------------------------------------------------------------------------------------------
// Sockets

#[test]
fn sockets_handed_in_by_the_embedder() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let mut h = Harness::new(&WasiConfig::new());
    assert_eq!(h.call("sock_accept", &[i(3), i(0), i(OUT)]), Errno::Badf, "none by default");
    let lfd = h.ctx().push_socket(listener).expect("push listener");
    assert_eq!(lfd, 3);
    assert_eq!(h.fdstat(lfd).expect("fdstat").0, filetype::SOCKET_STREAM);

    // Nothing pending: a non-blocking accept says so.
    h.ok("fd_fdstat_set_flags", &[i(lfd), i(u32::from(fdflags::NONBLOCK))]);
    assert_eq!(h.call("sock_accept", &[i(lfd), i(0), i(OUT)]), Errno::Again);
    h.ok("fd_fdstat_set_flags", &[i(lfd), i(0)]);

    let client = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.write_all(b"ping").expect("send ping");
        let mut reply = [0u8; 4];
        stream.read_exact(&mut reply).expect("read pong");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).expect("read to end");
        (reply, rest)
    });

    // Poll the listener for a connection, then accept it.
    put_fd_sub(&mut h, SUBS, 5, eventtype::FD_READ, lfd);
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]);
    assert_eq!(events(&h, EVENTS)[0].0, 5);
    h.ok("sock_accept", &[i(lfd), i(0), i(OUT)]);
    let conn = h.u32_at(OUT);
    assert_eq!(h.call("sock_accept", &[i(lfd), i(2), i(OUT)]), Errno::Inval);

    // Wait for the data, peek at it, then receive it.
    put_fd_sub(&mut h, SUBS, 6, eventtype::FD_READ, conn);
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]);
    h.put_u32(IOV, BUF);
    h.put_u32(IOV + 4, 4);
    h.ok("sock_recv", &[i(conn), i(IOV), i(1), i(1 | 2), i(OUT), i(OUT + 4)]);
    assert_eq!((h.u32_at(OUT), h.get(BUF, 4)), (4, b"ping".to_vec()));
    assert_eq!(h.read(conn, 4), Ok(b"ping".to_vec()));
    assert_eq!(
        h.call("sock_recv", &[i(conn), i(IOV), i(1), i(4), i(OUT), i(OUT + 4)]),
        Errno::Inval
    );

    h.put(BUF, b"pong");
    h.put_u32(IOV + 4, 4);
    h.ok("sock_send", &[i(conn), i(IOV), i(1), i(0), i(OUT)]);
    assert_eq!(h.u32_at(OUT), 4);
    assert_eq!(h.call("sock_send", &[i(conn), i(IOV), i(1), i(1), i(OUT)]), Errno::Inval);
    assert_eq!(h.write(conn, b"tail"), Ok(4));
    assert_eq!(h.call("sock_shutdown", &[i(conn), i(4)]), Errno::Inval);
    h.ok("sock_shutdown", &[i(conn), i(2)]);
    let (reply, rest) = client.join().expect("client thread");
    assert_eq!(&reply, b"pong");
    assert_eq!(rest, b"tail");

    // Sockets are not files; files are not sockets.
    assert_eq!(h.seek(conn, 0, 0), Err(Errno::Spipe));
    assert_eq!(h.call("sock_shutdown", &[i(1), i(3)]), Errno::Notsock);
    assert_eq!(
        h.call("sock_recv", &[i(0), i(IOV), i(1), i(0), i(OUT), i(OUT + 4)]),
        Errno::Notsock
    );
    assert_eq!(h.call("sock_accept", &[i(conn), i(0), i(OUT)]), Errno::Notcapable);
    assert_eq!(h.call("sock_send", &[i(lfd), i(IOV), i(1), i(0), i(OUT)]), Errno::Notcapable);
    h.ok("fd_close", &[i(conn)]);
}

#[test]
fn unix_stream_sockets() {
    let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let mut h = Harness::new(&WasiConfig::new());
    let fd = h.ctx().push_socket(ours).expect("push");
    use std::io::{Read, Write};
    theirs.write_all(b"hi").expect("write");
    assert_eq!(h.read(fd, 10), Ok(b"hi".to_vec()));
    assert_eq!(h.write(fd, b"yo"), Ok(2));
    let mut buf = [0u8; 2];
    theirs.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"yo");
    drop(theirs);
    // The peer hung up: writing is EPIPE, and no SIGPIPE kills the host.
    let mut last = Ok(0);
    for _ in 0..4 {
        last = h.write(fd, b"more");
    }
    assert_eq!(last, Err(Errno::Pipe));
    put_fd_sub(&mut h, SUBS, 1, eventtype::FD_READ, fd);
    h.ok("poll_oneoff", &[i(SUBS), i(EVENTS), i(1), i(OUT)]);
    let ev = events(&h, EVENTS);
    assert_eq!(ev.len(), 1);
}

#[test]
fn directories_take_times_and_odd_paths_fail_cleanly() {
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), b"x").expect("write");
    std::fs::create_dir(dir.path().join("d")).expect("mkdir");
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let d = h.open(3, "d", oflags::DIRECTORY, DIR_RIGHTS, 0).expect("open d");
    let mtim = 1_234_567_890_000_000_000u64;
    h.ok("fd_filestat_set_times", &[i(d), l(0), l(mtim), i(u32::from(fstflags::MTIM))]);
    let modified =
        std::fs::metadata(dir.path().join("d")).expect("meta").modified().expect("mtime");
    assert_eq!(
        modified.duration_since(std::time::UNIX_EPOCH).expect("after epoch").as_nanos() as u64,
        mtim
    );
    h.ok("fd_datasync", &[i(d)]);
    assert_eq!(h.call("fd_fdstat_set_flags", &[i(d), i(0)]), Errno::Badf);
    assert_eq!(h.open(3, "f/", 0, READ_ONLY, 0), Err(Errno::Notdir));
    assert_eq!(h.filestat(3, "", true), Err(Errno::Noent));
    assert_eq!(h.open(3, "d/../f", 0, READ_ONLY, 0).map(|_| ()), Ok(()));
    assert_eq!(
        h.call("path_open", &[i(3), i(2), i(STR1), i(1), i(0), l(ALL), l(ALL), i(0), i(OUT)]),
        Errno::Inval
    );
    assert_eq!(h.open(3, "f", 0x10, ALL, 0), Err(Errno::Inval));
    assert_eq!(h.open(3, "f", 0, ALL, 0x20), Err(Errno::Inval));
}

#[test]
fn creating_through_an_escaping_symlink_creates_nothing_outside() {
    let (root, inside) = sandbox();
    std::os::unix::fs::symlink("../created", inside.join("out")).expect("host symlink");
    let mut h = Harness::with_dir(&inside, DirAccess::ReadWrite);
    assert_eq!(h.open(3, "out", oflags::CREAT, ALL, 0), Err(Errno::Perm));
    assert_eq!(h.open_nofollow(3, "out", oflags::CREAT), Err(Errno::Loop));
    assert!(!root.path().join("created").exists());
    // Replacing the link itself is fine: it lives inside.
    h.path("path_unlink_file", 3, "out").expect("unlink the symlink");
    assert!(root.path().join("secret").exists());
}

/// Throughput of 64 KiB `fd_write`/`fd_read` calls through `HostFunc::call`, against the same
/// I/O done directly on a `std::fs::File` (into the same guest-memory bytes).
/// `cargo test -p wasmux-core --release --lib -- --ignored --nocapture throughput`
#[test]
#[ignore = "a measurement, not a check"]
fn throughput_of_64k_chunks() {
    use std::io::{Read, Seek, Write};
    use std::time::{Duration, Instant};
    const CHUNK: usize = 65536;
    const ROUNDS: usize = 4096; // 256 MiB
    let dir = tempdir();
    let mut h = Harness::with_dir(dir.path(), DirAccess::ReadWrite);
    let fd = h.open(3, "wasi", oflags::CREAT | oflags::TRUNC, ALL, 0).expect("create");
    h.put(BUF, &[7u8; CHUNK]);
    h.put_u32(IOV, BUF);
    h.put_u32(IOV + 4, CHUNK as u32);
    let fd_write = h.imports.get(MODULE, "fd_write").expect("fd_write").clone();
    let fd_read = h.imports.get(MODULE, "fd_read").expect("fd_read").clone();
    let fd_seek = h.imports.get(MODULE, "fd_seek").expect("fd_seek").clone();
    let args = [i(fd), i(IOV), i(1), i(OUT)];
    let mut results = [Val::I32(0)];
    let mut file = File::options()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.path().join("direct"))
        .expect("create");
    let chunk = vec![7u8; CHUNK];

    let mut best = [Duration::MAX; 4];
    for _ in 0..3 {
        let mut caller = Caller::new(Some(&mut h.mem), &mut h.state);
        let seek = [i(fd), l(0), i(0), i(OUT)];
        fd_seek.call(&mut caller, &seek, &mut results).expect("seek");
        let t = Instant::now();
        for _ in 0..ROUNDS {
            fd_write.call(&mut caller, &args, &mut results).expect("fd_write");
        }
        best[0] = best[0].min(t.elapsed());
        fd_seek.call(&mut caller, &seek, &mut results).expect("seek");
        let t = Instant::now();
        for _ in 0..ROUNDS {
            fd_read.call(&mut caller, &args, &mut results).expect("fd_read");
        }
        best[1] = best[1].min(t.elapsed());
        assert_eq!(results[0], Val::I32(0));

        file.rewind().expect("rewind");
        let t = Instant::now();
        for _ in 0..ROUNDS {
            assert_eq!(file.write(&chunk).expect("write"), CHUNK);
        }
        best[2] = best[2].min(t.elapsed());
        file.rewind().expect("rewind");
        let t = Instant::now();
        // Into the same bytes of guest memory, for a fair comparison.
        let target = &mut h.mem[BUF as usize..BUF as usize + CHUNK];
        for _ in 0..ROUNDS {
            assert_eq!(file.read(target).expect("read"), CHUNK);
        }
        best[3] = best[3].min(t.elapsed());
    }
    let per_call = |d: Duration| d / ROUNDS as u32;
    println!(
        "64 KiB per call, best of 3: fd_write {:?} (direct {:?}), fd_read {:?} (direct {:?})",
        per_call(best[0]),
        per_call(best[2]),
        per_call(best[1]),
        per_call(best[3]),
    );
}
