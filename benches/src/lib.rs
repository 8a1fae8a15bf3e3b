//! Shared pieces of the wasmux benchmarks: the workloads (WebAssembly, their checked answers and
//! native builds), modules of growing size, and the engines' own APIs used as baselines.
//!
//! The benchmarks themselves are in `benches/engines.rs`; `cargo run --release --bin report`
//! turns their results into `BENCHMARKS.md`.

use std::sync::Arc;

use wasmux::{CompiledEngines, HostEnv, HostError, HostFunc};

pub mod paired;
pub mod raw;
pub mod raw_wasi;

/// `examples/hello.wat`: a WASI command that prints a line and exits with its argument count.
pub const HELLO_WAT: &str = include_str!("../../examples/hello.wat");
/// Fibonacci, an integer loop, sorting and matrix multiplication.
pub const COMPUTE_WAT: &str = include_str!("../wat/compute.wat");
/// Host-call round trips.
pub const HOST_WAT: &str = include_str!("../wat/host.wat");
/// WASI file I/O.
pub const WASI_IO_WAT: &str = include_str!("../wat/wasi_io.wat");
/// SHA-256 in C, built by `c/build.sh` for wasm32-wasi.
pub const SHA256_WASM: &[u8] = include_bytes!("../c/sha256.wasm");
/// LZ77 compression in C.
pub const LZ77_WASM: &[u8] = include_bytes!("../c/lz77.wasm");
/// The n-body simulation in C.
pub const NBODY_WASM: &[u8] = include_bytes!("../c/nbody.wasm");

/// The binary form of a text module.
pub fn wasm(text: &str) -> Vec<u8> {
    match wat::parse_str(text) {
        Ok(bytes) => bytes,
        Err(error) => panic!("benchmark module does not parse: {error}"),
    }
}

// The native builds of the benchmark programs in `c/` (compiled by build.rs): each `*_run`
// clamps its `int` to its buffers' size, works on static buffers of its own and returns a
// checksum. Those buffers make a call unsafe only if two threads run one program at once.
unsafe extern "C" {
    fn sha256_run(n: i32) -> i64;
    fn lz77_run(n: i32) -> i64;
    fn nbody_run(n: i32) -> i64;
}

/// A compute workload: an export `(i32) -> i64` of a module, the size it is run with, and a
/// native implementation giving the expected answer.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// The benchmark's name.
    pub name: &'static str,
    /// The export to call.
    pub export: &'static str,
    /// The argument: the problem size.
    pub arg: i32,
    /// What "native" means for this workload.
    pub native_kind: &'static str,
    /// The native implementation.
    pub native: fn(i32) -> i64,
    source: Source,
}

#[derive(Clone, Copy, Debug)]
enum Source {
    Text(&'static str),
    Binary(&'static [u8]),
}

impl Workload {
    /// The module's binary.
    pub fn module(&self) -> Vec<u8> {
        match self.source {
            Source::Text(text) => wasm(text),
            Source::Binary(bytes) => bytes.to_vec(),
        }
    }

    /// The expected result, computed natively.
    pub fn expected(&self) -> i64 {
        (self.native)(self.arg)
    }

    /// Panics unless `got` is the native answer: a benchmark must not measure a wrong program.
    pub fn check(&self, engine: &str, got: i64) {
        let want = self.expected();
        assert_eq!(
            got, want,
            "{engine} computed a wrong {}({}) = {got}, native says {want}",
            self.name, self.arg
        );
    }
}

/// Every compute workload.
pub fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "fib",
            export: "fib",
            arg: 27,
            native_kind: "Rust",
            native: native_fib,
            source: Source::Text(COMPUTE_WAT),
        },
        Workload {
            name: "int_loop",
            export: "loop",
            arg: 2_000_000,
            native_kind: "Rust",
            native: native_loop,
            source: Source::Text(COMPUTE_WAT),
        },
        Workload {
            name: "sort",
            export: "sort",
            arg: 50_000,
            native_kind: "Rust",
            native: native_sort,
            source: Source::Text(COMPUTE_WAT),
        },
        Workload {
            name: "matmul",
            export: "matmul",
            arg: 128,
            native_kind: "Rust",
            native: native_matmul,
            source: Source::Text(COMPUTE_WAT),
        },
        Workload {
            name: "sha256_c",
            export: "run",
            arg: 512 * 1024,
            native_kind: "C (cc -O2)",
            // SAFETY: any `n` is valid; benchmarks run the native programs on one thread.
            native: |n| unsafe { sha256_run(n) },
            source: Source::Binary(SHA256_WASM),
        },
        Workload {
            name: "lz77_c",
            export: "run",
            arg: 1024 * 1024,
            native_kind: "C (cc -O2)",
            // SAFETY: any `n` is valid; benchmarks run the native programs on one thread.
            native: |n| unsafe { lz77_run(n) },
            source: Source::Binary(LZ77_WASM),
        },
        Workload {
            name: "nbody_c",
            export: "run",
            arg: 50_000,
            native_kind: "C (cc -O2)",
            // SAFETY: any `n` is valid; benchmarks run the native programs on one thread.
            native: |n| unsafe { nbody_run(n) },
            source: Source::Binary(NBODY_WASM),
        },
    ]
}

fn fib(n: u32) -> u32 {
    if n < 2 { n } else { fib(n - 1).wrapping_add(fib(n - 2)) }
}

/// Recursive Fibonacci, as in `compute.wat`.
pub fn native_fib(n: i32) -> i64 {
    i64::from(fib(std::hint::black_box(n) as u32))
}

/// The integer loop of `compute.wat`.
pub fn native_loop(n: i32) -> i64 {
    let (mut x, mut acc) = (1u64, 0u64);
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        acc ^= x >> 33;
    }
    acc as i64
}

/// The sort of `compute.wat` (the same data, sorted by the standard library).
pub fn native_sort(n: i32) -> i64 {
    let mut x: i32 = 12345;
    let mut v: Vec<i32> = (0..n)
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            ((x as u32) >> 1) as i32
        })
        .collect();
    v.sort_unstable();
    v.iter().enumerate().fold(0u64, |s, (i, &e)| s.wrapping_add(e as u64 * (i as u64 + 1))) as i64
}

/// The matrix product of `compute.wat`.
pub fn native_matmul(n: i32) -> i64 {
    let n = n as usize;
    let a: Vec<i32> = (0..n * n).map(|p| ((p / n * 3 + p % n) & 255) as i32).collect();
    let b: Vec<i32> = (0..n * n).map(|p| ((p / n + p % n * 7) & 255) as i32).collect();
    let mut sum = 0u64;
    for i in 0..n {
        for j in 0..n {
            let mut acc = 0i32;
            for k in 0..n {
                acc = acc.wrapping_add(a[i * n + k].wrapping_mul(b[k * n + j]));
            }
            sum = sum.wrapping_add(u64::from(acc as u32));
        }
    }
    sum as i64
}

/// Host functions `env.add` (no memory access) and `env.touch` (reads and writes guest memory),
/// made once and offered to every wasmux instance.
#[derive(Clone, Debug)]
pub struct HostFuncs {
    add: HostFunc,
    touch: HostFunc,
}

impl Default for HostFuncs {
    fn default() -> Self {
        Self::new()
    }
}

impl HostFuncs {
    /// The two host functions.
    pub fn new() -> Self {
        let add =
            HostFunc::wrap_for::<CompiledEngines, _, _>("env", "add", |_, (a, b): (i32, i32)| {
                Ok::<_, HostError>(a.wrapping_add(b))
            });
        let touch =
            HostFunc::wrap_for::<CompiledEngines, _, _>("env", "touch", |caller, ptr: i32| {
                let memory = caller.memory().ok_or_else(|| HostError::trap("no memory"))?;
                let at = ptr as usize;
                let cell =
                    memory.get_mut(at..at + 4).ok_or_else(|| HostError::trap("out of bounds"))?;
                let value =
                    i32::from_le_bytes([cell[0], cell[1], cell[2], cell[3]]).wrapping_add(1);
                cell.copy_from_slice(&value.to_le_bytes());
                Ok::<_, HostError>(value)
            });
        HostFuncs { add, touch }
    }

    /// A host environment offering both functions.
    pub fn env(&self) -> HostEnv {
        let mut env = HostEnv::new();
        env.func(self.add.clone()).func(self.touch.clone());
        env
    }
}

/// A module of `funcs` functions, each about 800 bytes of code, all in a table (so
/// instantiation initialises `funcs` elements) plus a data segment of 64 bytes per function.
/// Exports `run: (i32) -> i64`, calling the first function.
pub fn sized_module(funcs: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut text = String::from("(module\n (memory (export \"memory\") 1 64)\n");
    let _ = writeln!(text, " (table {funcs} funcref)");
    for f in 0..funcs {
        let _ = write!(
            text,
            " (func $f{f} (param $x i32) (result i32) (local $y i32)\n  (local.set $y (i32.const {f}))\n"
        );
        for k in 0..48 {
            let _ = write!(
                text,
                "  (local.set $y (i32.add (i32.xor (local.get $y) (local.get $x)) (i32.const {})))\n  (local.set $x (i32.rotl (i32.mul (local.get $x) (i32.const {})) (local.get $y)))\n",
                f * 48 + k,
                2 * k + 1
            );
        }
        let _ = writeln!(text, "  (i32.add (local.get $x) (local.get $y)))");
    }
    let _ = writeln!(
        text,
        " (elem (i32.const 0) func {})",
        (0..funcs).map(|f| format!("$f{f}")).collect::<Vec<_>>().join(" ")
    );
    let _ = writeln!(text, " (data (i32.const 0) \"{}\")", "\\2a".repeat((funcs * 64).min(60_000)));
    let _ = writeln!(
        text,
        " (func (export \"run\") (param i32) (result i64) (i64.extend_i32_u (call $f0 (local.get 0)))))"
    );
    wasm(&text)
}

/// The module sizes measured: `(name, binary)`, smallest first.
pub fn module_sizes() -> Vec<(String, Arc<Vec<u8>>)> {
    let mut sizes = vec![("hello".to_string(), Arc::new(wasm(HELLO_WAT)))];
    for funcs in [64, 512, 4096] {
        let bytes = sized_module(funcs);
        sizes.push((format!("{funcs}fn"), Arc::new(bytes)));
    }
    sizes
}

/// A module size as words: `1.2 KiB`, `3.4 MiB`.
pub fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}
