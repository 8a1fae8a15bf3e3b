//! The suite's programs: WASI commands with exact expected output, exit status and files.

mod basics;
mod wasi_args_env;
mod wasi_clocks;
mod wasi_dirs;
mod wasi_efault;
mod wasi_escape;
mod wasi_fd_io;
mod wasi_filestat;
mod wasi_filetool;
mod wasi_kit;
mod wasi_links;
mod wasi_open_modes;
mod wasi_poll;
mod wasi_pread_pwrite;
mod wasi_proc;
mod wasi_random;
mod wasi_readdir;
mod wasi_rename;
mod wasi_renumber;
mod wasi_rights;
mod wasi_seek;
mod wasi_stdio;
mod wasi_sys;
mod wasi_unlink;

use crate::program::Program;

/// Every program of the suite.
pub fn all() -> Vec<Program> {
    [
        basics::programs(),
        wasi_args_env::programs(),
        wasi_clocks::programs(),
        wasi_random::programs(),
        wasi_fd_io::programs(),
        wasi_seek::programs(),
        wasi_pread_pwrite::programs(),
        wasi_open_modes::programs(),
        wasi_readdir::programs(),
        wasi_filestat::programs(),
        wasi_dirs::programs(),
        wasi_links::programs(),
        wasi_rename::programs(),
        wasi_unlink::programs(),
        wasi_poll::programs(),
        wasi_renumber::programs(),
        wasi_rights::programs(),
        wasi_escape::programs(),
        wasi_efault::programs(),
        wasi_proc::programs(),
        wasi_filetool::programs(),
        wasi_stdio::programs(),
        wasi_sys::programs(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
