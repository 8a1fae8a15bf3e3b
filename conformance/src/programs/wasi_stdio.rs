//! The C stdio program (`conformance/guests/stdio.c`, built with wasi-libc): how stdout is
//! buffered (by default, line-buffered, unbuffered, an 8-byte buffer, explicit flushes), how
//! that orders stdout against stderr, and how a C program ends: `exit`, `return` from `main`,
//! `_Exit`, `abort` and a failed `assert` (wasi-libc's `abort` is `__builtin_trap`: the guest
//! traps with `unreachable`, and pending output is lost).
//!
//! The `to_log` programs put stdout and stderr into one file, `log.txt` (descriptors 1 and 2
//! renumbered onto two appending descriptors of it), so the file shows the order in which the
//! bytes left the guest.

use crate::program::{Ending, Guest, Preopen, Program, Setup};
use wasmux_core::TrapCode;

const GROUP: &str = "wasi_stdio";

const STDIO: Guest = Guest::Wasm(include_bytes!("../../guests/stdio.wasm"));

const ROOT: &[Preopen] = &[Preopen { host: "root", guest: "/", read_only: false }];

fn run(name: &'static str, args: &'static [&'static str]) -> Program {
    Program {
        args,
        setup: &[Setup::Dir("root")],
        preopens: ROOT,
        ..Program::new(GROUP, name, STDIO)
    }
}

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            stdout: b"out 1\nout 3\nout 5, same line\nout 7, no newline",
            stderr: b"err 2\nerr 4\nerr 6\nerr 8\n",
            ..run("default", &["default"])
        },
        Program {
            // Not a terminal: wasi-libc (musl) writes the first line out, then buffers stdout fully
            // until exit; stderr is never buffered.
            files_after: &[(
                "root/log.txt",
                Some(b"out 1\nerr 2\nerr 4\nerr 6\nerr 8\nout 3\nout 5, same line\nout 7, no newline"),
            )],
            ..run("default_to_log", &["to-log", "default"])
        },
        Program {
            // Line-buffered: each line as it ends; the last, unfinished one at exit.
            files_after: &[(
                "root/log.txt",
                Some(b"out 1\nerr 2\nout 3\nerr 4\nout 5, same line\nerr 6\nerr 8\nout 7, no newline"),
            )],
            ..run("line_to_log", &["to-log", "line"])
        },
        Program {
            // Unbuffered: in program order.
            files_after: &[(
                "root/log.txt",
                Some(b"out 1\nerr 2\nout 3\nerr 4\nout 5, same line\nerr 6\nout 7, no newlineerr 8\n"),
            )],
            ..run("unbuffered_to_log", &["to-log", "unbuffered"])
        },
        Program {
            // Fully buffered in 8 bytes: a write that does not fit goes out with what is buffered
            // (one gathered fd_write), leaving its tail (here the newlines) behind.
            files_after: &[(
                "root/log.txt",
                Some(b"err 2\nout 1\nout 3err 4\n\nout 5, same lineerr 6\n\nout 7, no newlineerr 8\n"),
            )],
            ..run("full16_to_log", &["to-log", "full16"])
        },
        Program {
            // fflush puts stdout out before each stderr write.
            files_after: &[("root/log.txt", Some(b"out 1, err 2\nout 3\nerr 4\n"))],
            ..run("fflush_to_log", &["to-log", "fflush"])
        },
        // exit() and returning from main flush stdio; the status is the guest's.
        Program {
            ending: Ending::Exit(3),
            stdout: b"first line\npending, exit(3)",
            ..run("exit_3", &["exit", "3"])
        },
        Program {
            ending: Ending::Exit(4),
            stdout: b"first line\npending, return 4",
            ..run("return_4", &["return", "4"])
        },
        Program { stdout: b"first line\npending, return 0", ..run("return_0", &["return", "0"]) },
        // _Exit does not flush: only the first line (written at once, see above) is out.
        Program {
            ending: Ending::Exit(5),
            stdout: b"first line\n",
            stderr: b"stderr is not buffered\n",
            ..run("underscore_exit_5", &["_Exit", "5"])
        },
        Program {
            ending: Ending::Trap(TrapCode::Unreachable),
            stdout: b"first line\n",
            stderr: b"stderr is not buffered\n",
            ..run("abort_traps", &["abort"])
        },
        Program {
            ending: Ending::Trap(TrapCode::Unreachable),
            stdout: b"first line\n",
            stderr: b"Assertion failed: argc == 99 (stdio.c: main: 105)\n",
            ..run("failed_assert_traps", &["assert"])
        },
        Program {
            stdin: b"first line\nsecond, longer line\nno newline at the end",
            stdout: b"FIRST LINE\n\
                      SECOND, LONGER LINE\n\
                      NO NEWLINE AT THE END3 lines\n",
            ..run("stdin_lines", &["upper"])
        },
        Program {
            ending: Ending::Exit(2),
            stderr: b"stdio: unknown scenario juggle\n",
            ..run("unknown_scenario", &["juggle"])
        },
    ]
}
