//! The C program `conformance/guests/sys.c` (wasi-libc): time, sleeping, randomness,
//! arguments and environment as libc offers them, on the deterministic clock (start
//! 1_700_000_000 s, 1 ms per reading) and the random stream seeded with 7.

use crate::program::{Guest, Program};

const GROUP: &str = "wasi_sys";

const SYS: Guest = Guest::Wasm(include_bytes!("../../guests/sys.wasm"));

fn run(name: &'static str, args: &'static [&'static str]) -> Program {
    Program { args, ..Program::new(GROUP, name, SYS) }
}

pub(super) fn programs() -> Vec<Program> {
    vec![
        // time() is the first reading; gmtime is wasi-libc's (UTC). CPU-time clocks are not
        // offered: EBADF, as perror tells it.
        Program {
            stdout: b"time: 1700000000\n\
                      realtime: 1700000000.001000000\n\
                      monotonic: 0.002000000\n\
                      monotonic resolution: 1000000 ns\n\
                      gettimeofday: 1700000000.003000\n\
                      gmtime: 2023-11-14 22:13:20 UTC, a Tuesday\n",
            stderr: b"process cputime: Bad file descriptor\n",
            ..run("time", &["time"])
        },
        Program {
            stdout: b"monotonic: 0.000000000\n\
                      nanosleep: 0\n\
                      monotonic: 1.501000000\n\
                      sleep: 0\n\
                      monotonic: 3.502000000\n\
                      usleep: 0\n\
                      monotonic: 3.753000000\n\
                      realtime: 1700000003.754000000\n",
            ..run("sleep", &["sleep"])
        },
        // getentropy reads random_get (the same first bytes as `wasi_random`); arc4random is
        // wasi-libc's ChaCha, seeded from it.
        Program {
            stdout: b"getentropy: 19454a27b752f905909507d6160ddc88\n\
                      arc4random_buf: 253d274d422291f29b6597a096abec4c\n\
                      arc4random_uniform(1000): 61\n",
            ..run("random", &["random"])
        },
        Program {
            env: &[("HOME", "/home/guest"), ("DROPPED", "x"), ("LANG", "C.UTF-8")],
            stdout: "argc: 5\n\
                     argv[0]: [env]\n\
                     argv[1]: [env]\n\
                     argv[2]: [two words]\n\
                     argv[3]: []\n\
                     argv[4]: [ünï]\n\
                     HOME: /home/guest\n\
                     MISSING: (unset)\n\
                     environ[0]: HOME=/home/guest\n\
                     environ[1]: LANG=C.UTF-8\n\
                     environ[2]: ADDED=yes\n"
                .as_bytes(),
            ..run("env", &["env", "two words", "", "ünï"])
        },
    ]
}
