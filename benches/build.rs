//! Builds the C workloads natively (the `.wasm` builds of the same sources are committed; see
//! `c/build.sh`), so the benchmarks compare every engine with native code.

fn main() {
    let sources = ["c/sha256.c", "c/lz77.c", "c/nbody.c"];
    for source in sources.iter().chain(&["c/common.h"]) {
        println!("cargo:rerun-if-changed={source}");
    }
    cc::Build::new().files(sources).opt_level(2).warnings(false).compile("wasmux_bench_c");
    println!("cargo:rustc-link-lib=m");
}
