//! The 46 `wasi_snapshot_preview1` functions as [`HostFunc`]s: decode the core-wasm
//! arguments, run the operation on the caller's [`WasiCtx`], return the errno.

use std::sync::OnceLock;

use super::errno::{Errno, WasiResult};
use super::memory::GuestMemory;
use super::types::Filestat;
use super::{WasiCtx, WasiStateExt};
use wasmux_core::{Caller, HostError, HostFunc};
use wasmux_core::{FuncType, Val, ValType};

/// The import module of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The decoded parameters of one call.
struct Args<'a>(&'a [Val]);

impl Args<'_> {
    /// An `i32` parameter as the `u32` (pointer, length, descriptor, flags) it encodes.
    fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Val::I32(v)) => *v as u32,
            _ => 0,
        }
    }

    /// An `i64` parameter as a `u64`.
    fn u64(&self, i: usize) -> u64 {
        match self.0.get(i) {
            Some(Val::I64(v)) => *v as u64,
            _ => 0,
        }
    }

    /// An `i64` parameter, signed.
    fn i64(&self, i: usize) -> i64 {
        self.u64(i) as i64
    }

    /// A 16-bit flags parameter: bits beyond 16 are `EINVAL`.
    fn u16(&self, i: usize) -> WasiResult<u16> {
        u16::try_from(self.u32(i)).map_err(|_| Errno::Inval)
    }

    /// An 8-bit enum parameter: values beyond 8 bits are `EINVAL`.
    fn u8(&self, i: usize) -> WasiResult<u8> {
        u8::try_from(self.u32(i)).map_err(|_| Errno::Inval)
    }

    /// A guest string given as pointer and length parameters.
    fn str<'m>(&self, mem: &'m GuestMemory<'_>, ptr: usize) -> WasiResult<&'m str> {
        mem.read_str(self.u32(ptr), self.u32(ptr + 1))
    }
}

type Body = fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args<'_>) -> WasiResult<()>;

fn signature(params: &str) -> Vec<ValType> {
    params.chars().map(|c| if c == 'L' { ValType::I64 } else { ValType::I32 }).collect()
}

fn no_ctx(name: &str) -> HostError {
    HostError::trap(format!(
        "`{MODULE}::{name}` was called by an instance that has no WASI context"
    ))
}

fn check_params(name: &str, expected: &[ValType], params: &[Val]) -> Result<(), HostError> {
    if params.len() == expected.len() && params.iter().zip(expected).all(|(v, t)| v.ty() == *t) {
        Ok(())
    } else {
        Err(HostError::trap(format!("`{MODULE}::{name}` was called with mismatched arguments")))
    }
}

/// A WASI function `name` with parameters `params` (`I` for i32, `L` for i64) returning an
/// errno. `memory`: whether it reads or writes guest memory (a caller without one traps).
fn wasi_func(name: &'static str, params: &'static str, memory: bool, body: Body) -> HostFunc {
    let types = signature(params);
    let ty = FuncType::new(types.iter().copied(), [ValType::I32]);
    HostFunc::new(MODULE, name, ty, move |caller: &mut Caller<'_>, params, results| {
        check_params(name, &types, params)?;
        let (bytes, state) = caller.split();
        let ctx = state.wasi().ok_or_else(|| no_ctx(name))?;
        let mut none: [u8; 0] = [];
        let bytes = match bytes {
            Some(bytes) => bytes,
            None if memory => {
                return Err(HostError::trap(format!(
                    "`{MODULE}::{name}` needs the caller to export its memory as `memory`"
                )));
            }
            None => &mut none[..],
        };
        let mut mem = GuestMemory::new(bytes);
        let errno = match body(ctx, &mut mem, &Args(params)) {
            Ok(()) => Errno::Success,
            Err(errno) => {
                tracing::trace!(target: "wasmux::wasi", function = name, %errno);
                errno
            }
        };
        if let Some(slot) = results.first_mut() {
            *slot = Val::I32(i32::from(errno.raw()));
        }
        Ok(())
    })
}

fn proc_exit() -> HostFunc {
    let ty = FuncType::new([ValType::I32], []);
    HostFunc::new(MODULE, "proc_exit", ty, |caller: &mut Caller<'_>, params, _results| {
        check_params("proc_exit", &[ValType::I32], params)?;
        if let Some(ctx) = caller.state().wasi() {
            ctx.flush_outputs();
        }
        let status = params.first().and_then(Val::i32).unwrap_or(0);
        Err(HostError::Exit(status))
    })
}

/// Writes `NUL`-terminated `items` to `buf` and their addresses to the pointer array `ptrs`.
fn write_strings(
    mem: &mut GuestMemory<'_>,
    items: &[Vec<u8>],
    ptrs: u32,
    buf: u32,
) -> WasiResult<()> {
    let total: u64 = items.iter().map(|i| i.len() as u64).sum();
    mem.check(ptrs, items.len() as u64 * 4)?;
    mem.check(buf, total)?;
    let mut at = buf;
    for (i, item) in items.iter().enumerate() {
        mem.write_u32(ptrs + i as u32 * 4, at)?;
        mem.write(at, item)?;
        at += item.len() as u32;
    }
    Ok(())
}

/// Writes the count of `items` and their total size (NULs included).
fn write_sizes(
    mem: &mut GuestMemory<'_>,
    items: &[Vec<u8>],
    count: u32,
    size: u32,
) -> WasiResult<()> {
    let total: usize = items.iter().map(Vec::len).sum();
    let total = u32::try_from(total).map_err(|_| Errno::Overflow)?;
    let n = u32::try_from(items.len()).map_err(|_| Errno::Overflow)?;
    mem.check(count, 4)?;
    mem.check(size, 4)?;
    mem.write_u32(count, n)?;
    mem.write_u32(size, total)
}

impl WasiCtx {
    pub(crate) fn flush_outputs(&mut self) {
        for fd in [1, 2] {
            if let Ok(desc) = self.table.get_mut(fd)
                && let super::fd_table::Handle::Stdout(output) = &mut desc.handle
            {
                let _ = output.flush();
            }
        }
    }
}

/// The names of the preview1 functions, in the witx order.
pub const FUNCTION_NAMES: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// Every preview1 function, built once.
pub(crate) fn all() -> &'static [HostFunc] {
    static FUNCS: OnceLock<Vec<HostFunc>> = OnceLock::new();
    FUNCS.get_or_init(build)
}

fn build() -> Vec<HostFunc> {
    vec![
        wasi_func("args_get", "II", true, |ctx, mem, a| {
            write_strings(mem, &ctx.args, a.u32(0), a.u32(1))
        }),
        wasi_func("args_sizes_get", "II", true, |ctx, mem, a| {
            write_sizes(mem, &ctx.args, a.u32(0), a.u32(1))
        }),
        wasi_func("environ_get", "II", true, |ctx, mem, a| {
            write_strings(mem, &ctx.env, a.u32(0), a.u32(1))
        }),
        wasi_func("environ_sizes_get", "II", true, |ctx, mem, a| {
            write_sizes(mem, &ctx.env, a.u32(0), a.u32(1))
        }),
        wasi_func("clock_res_get", "II", true, |ctx, mem, a| {
            let out = a.u32(1);
            mem.check(out, 8)?;
            let res = ctx.clocks.resolution(a.u32(0))?;
            mem.write_u64(out, res)
        }),
        wasi_func("clock_time_get", "ILI", true, |ctx, mem, a| {
            let out = a.u32(2);
            mem.check(out, 8)?;
            let now = ctx.clocks.time(a.u32(0))?;
            mem.write_u64(out, now)
        }),
        wasi_func("fd_advise", "ILLI", false, |ctx, _, a| {
            ctx.fd_advise(a.u32(0), a.u64(1), a.u64(2), u32::from(a.u8(3)?))
        }),
        wasi_func("fd_allocate", "ILL", false, |ctx, _, a| {
            ctx.fd_allocate(a.u32(0), a.u64(1), a.u64(2))
        }),
        wasi_func("fd_close", "I", false, |ctx, _, a| ctx.fd_close(a.u32(0))),
        wasi_func("fd_datasync", "I", false, |ctx, _, a| ctx.fd_sync(a.u32(0), true)),
        wasi_func("fd_fdstat_get", "II", true, |ctx, mem, a| {
            let out = a.u32(1);
            mem.check(out, 24)?;
            let stat = ctx.fd_fdstat_get(a.u32(0))?;
            mem.write(out, &stat.encode())
        }),
        wasi_func("fd_fdstat_set_flags", "II", false, |ctx, _, a| {
            ctx.fd_fdstat_set_flags(a.u32(0), a.u16(1)?)
        }),
        wasi_func("fd_fdstat_set_rights", "ILL", false, |ctx, _, a| {
            ctx.fd_fdstat_set_rights(a.u32(0), a.u64(1), a.u64(2))
        }),
        wasi_func("fd_filestat_get", "II", true, |ctx, mem, a| {
            let out = a.u32(1);
            mem.check(out, Filestat::SIZE)?;
            let stat = ctx.fd_filestat_get(a.u32(0))?;
            stat.write(mem, out)
        }),
        wasi_func("fd_filestat_set_size", "IL", false, |ctx, _, a| {
            ctx.fd_filestat_set_size(a.u32(0), a.u64(1))
        }),
        wasi_func("fd_filestat_set_times", "ILLI", false, |ctx, _, a| {
            ctx.fd_filestat_set_times(a.u32(0), a.u64(1), a.u64(2), a.u16(3)?)
        }),
        wasi_func("fd_pread", "IIILI", true, |ctx, mem, a| {
            let out = a.u32(4);
            mem.check(out, 4)?;
            let n = ctx.fd_pread(mem, a.u32(0), a.u32(1), a.u32(2), a.u64(3))?;
            mem.write_u32(out, n)
        }),
        wasi_func("fd_prestat_get", "II", true, |ctx, mem, a| {
            let out = a.u32(1);
            mem.check(out, 8)?;
            let len = ctx.fd_prestat_get(a.u32(0))?;
            // prestat: tag 0 (`dir`), then `pr_name_len` at offset 4.
            mem.write(out, &[0; 4])?;
            mem.write_u32(out + 4, len)
        }),
        wasi_func("fd_prestat_dir_name", "III", true, |ctx, mem, a| {
            ctx.fd_prestat_dir_name(mem, a.u32(0), a.u32(1), a.u32(2))
        }),
        wasi_func("fd_pwrite", "IIILI", true, |ctx, mem, a| {
            let out = a.u32(4);
            mem.check(out, 4)?;
            let n = ctx.fd_pwrite(mem, a.u32(0), a.u32(1), a.u32(2), a.u64(3))?;
            mem.write_u32(out, n)
        }),
        wasi_func("fd_read", "IIII", true, |ctx, mem, a| {
            let out = a.u32(3);
            mem.check(out, 4)?;
            let n = ctx.fd_read(mem, a.u32(0), a.u32(1), a.u32(2))?;
            mem.write_u32(out, n)
        }),
        wasi_func("fd_readdir", "IIILI", true, |ctx, mem, a| {
            let out = a.u32(4);
            mem.check(out, 4)?;
            let n = ctx.fd_readdir(mem, a.u32(0), a.u32(1), a.u32(2), a.u64(3))?;
            mem.write_u32(out, n)
        }),
        wasi_func("fd_renumber", "II", false, |ctx, _, a| ctx.fd_renumber(a.u32(0), a.u32(1))),
        wasi_func("fd_seek", "ILII", true, |ctx, mem, a| {
            let out = a.u32(3);
            mem.check(out, 8)?;
            let pos = ctx.fd_seek(a.u32(0), a.i64(1), u32::from(a.u8(2)?))?;
            mem.write_u64(out, pos)
        }),
        wasi_func("fd_sync", "I", false, |ctx, _, a| ctx.fd_sync(a.u32(0), false)),
        wasi_func("fd_tell", "II", true, |ctx, mem, a| {
            let out = a.u32(1);
            mem.check(out, 8)?;
            let pos = ctx.fd_tell(a.u32(0))?;
            mem.write_u64(out, pos)
        }),
        wasi_func("fd_write", "IIII", true, |ctx, mem, a| {
            let out = a.u32(3);
            mem.check(out, 4)?;
            let n = ctx.fd_write(mem, a.u32(0), a.u32(1), a.u32(2))?;
            mem.write_u32(out, n)
        }),
        wasi_func("path_create_directory", "III", true, |ctx, mem, a| {
            ctx.path_create_directory(a.u32(0), a.str(mem, 1)?)
        }),
        wasi_func("path_filestat_get", "IIIII", true, |ctx, mem, a| {
            let out = a.u32(4);
            mem.check(out, Filestat::SIZE)?;
            let stat = ctx.path_filestat_get(a.u32(0), a.u32(1), a.str(mem, 2)?)?;
            stat.write(mem, out)
        }),
        wasi_func("path_filestat_set_times", "IIIILLI", true, |ctx, mem, a| {
            let path = a.str(mem, 2)?;
            ctx.path_filestat_set_times(a.u32(0), a.u32(1), path, a.u64(4), a.u64(5), a.u16(6)?)
        }),
        wasi_func("path_link", "IIIIIII", true, |ctx, mem, a| {
            let (old, new) = (a.str(mem, 2)?, a.str(mem, 5)?);
            ctx.path_link(a.u32(0), a.u32(1), old, a.u32(4), new)
        }),
        wasi_func("path_open", "IIIIILLII", true, |ctx, mem, a| {
            let out = a.u32(8);
            mem.check(out, 4)?;
            let path = a.str(mem, 2)?;
            let fd =
                ctx.path_open(a.u32(0), a.u32(1), path, a.u16(4)?, a.u64(5), a.u64(6), a.u16(7)?)?;
            mem.write_u32(out, fd)
        }),
        wasi_func("path_readlink", "IIIIII", true, |ctx, mem, a| {
            let out = a.u32(5);
            mem.check(out, 4)?;
            let path = a.str(mem, 1)?.to_owned();
            let n = ctx.path_readlink(mem, a.u32(0), &path, a.u32(3), a.u32(4))?;
            mem.write_u32(out, n)
        }),
        wasi_func("path_remove_directory", "III", true, |ctx, mem, a| {
            ctx.path_remove_directory(a.u32(0), a.str(mem, 1)?)
        }),
        wasi_func("path_rename", "IIIIII", true, |ctx, mem, a| {
            let (old, new) = (a.str(mem, 1)?, a.str(mem, 4)?);
            ctx.path_rename(a.u32(0), old, a.u32(3), new)
        }),
        wasi_func("path_symlink", "IIIII", true, |ctx, mem, a| {
            let (old, new) = (a.str(mem, 0)?, a.str(mem, 3)?);
            ctx.path_symlink(old, a.u32(2), new)
        }),
        wasi_func("path_unlink_file", "III", true, |ctx, mem, a| {
            ctx.path_unlink_file(a.u32(0), a.str(mem, 1)?)
        }),
        wasi_func("poll_oneoff", "IIII", true, |ctx, mem, a| {
            let out = a.u32(3);
            mem.check(out, 4)?;
            let n = ctx.poll_oneoff(mem, a.u32(0), a.u32(1), a.u32(2))?;
            mem.write_u32(out, n)
        }),
        proc_exit(),
        wasi_func("proc_raise", "I", false, |_, _, a| {
            // Signals 0..=30 exist in witx; none can be raised in a sandbox.
            if a.u8(0)? > 30 { Err(Errno::Inval) } else { Err(Errno::Notsup) }
        }),
        wasi_func("sched_yield", "", false, |_, _, _| {
            std::thread::yield_now();
            Ok(())
        }),
        wasi_func("random_get", "II", true, |ctx, mem, a| {
            ctx.random.fill(mem.slice_mut(a.u32(0), a.u32(1))?);
            Ok(())
        }),
        wasi_func("sock_accept", "III", true, |ctx, mem, a| {
            let out = a.u32(2);
            mem.check(out, 4)?;
            let fd = ctx.sock_accept(a.u32(0), a.u16(1)?)?;
            mem.write_u32(out, fd)
        }),
        wasi_func("sock_recv", "IIIIII", true, |ctx, mem, a| {
            let (len_out, flags_out) = (a.u32(4), a.u32(5));
            mem.check(len_out, 4)?;
            mem.check(flags_out, 2)?;
            let n = ctx.sock_recv(mem, a.u32(0), a.u32(1), a.u32(2), a.u16(3)?)?;
            mem.write_u32(len_out, n)?;
            mem.write_u16(flags_out, 0)
        }),
        wasi_func("sock_send", "IIIII", true, |ctx, mem, a| {
            let out = a.u32(4);
            mem.check(out, 4)?;
            let n = ctx.sock_send(mem, a.u32(0), a.u32(1), a.u32(2), a.u16(3)?)?;
            mem.write_u32(out, n)
        }),
        wasi_func("sock_shutdown", "II", false, |ctx, _, a| ctx.sock_shutdown(a.u32(0), a.u8(1)?)),
    ]
}
