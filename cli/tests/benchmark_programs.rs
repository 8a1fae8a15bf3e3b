//! The whole-process benchmark's C programs (benches/programs) give, under `wasmux run` on
//! every engine, the output the same C source gives built natively with `gcc -O2` (recorded
//! below), so the benchmark compares runs that compute the right thing.

mod common;

use common::{engines, repo_root, stderr, stdout};

/// Program, its arguments (rounds, size), and what the native build prints for them.
const PROGRAMS: [(&str, [&str; 2], &str); 6] = [
    ("sha256", ["2", "65536"], "2 rounds of 65536: 76ba8aae934cf1f4\n"),
    ("lz77", ["2", "65536"], "2 rounds of 65536: cd8696e69f152942\n"),
    ("nbody", ["2", "10000"], "2 rounds of 10000: 12fc79111451fde2\n"),
    ("sort", ["2", "10000"], "2 rounds of 10000: bc23470f2e907e7a\n"),
    ("sieve", ["2", "100000"], "2 rounds of 100000: 00257800003f8f90\n"),
    ("fileio", ["2", "64"], "2 rounds of 64: fe00000363640000\n"),
];

#[test]
fn benchmark_programs_print_what_their_native_build_prints_on_every_engine() {
    for engine in engines() {
        for (program, [rounds, size], expected) in PROGRAMS {
            // fileio writes and removes a file in the directory it is given.
            let dir = tempfile::tempdir().expect("tempdir");
            let module = repo_root().join(format!("benches/programs/{program}.wasm"));
            let output = common::wasmux_command()
                .args(["--no-cache", "run", "--engine", &engine, "--dir", "."])
                .arg(&module)
                .args([rounds, size])
                .current_dir(dir.path())
                .output()
                .expect("the wasmux binary runs");
            assert_eq!(stdout(&output), expected, "{program} on {engine}: {}", stderr(&output));
            assert!(output.status.success(), "{program} on {engine}: {}", stderr(&output));
            let left: Vec<_> = std::fs::read_dir(dir.path()).expect("read dir").collect();
            assert!(left.is_empty(), "{program} on {engine} left {left:?}");
        }
    }
}
