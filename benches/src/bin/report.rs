//! Turns criterion's results (`target/criterion/**/new/estimates.json`) into `BENCHMARKS.md`
//! at the repository root, with SVG charts in `docs/bench/`.
//!
//! Run after `cargo bench -p wasmux-benches`:
//! `cargo run -p wasmux-benches --release --bin report`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Column order: native first, then each engine through wasmux, its raw API, interruptible.
const COLUMNS: [&str; 10] = [
    "native",
    "wasmtime",
    "wasmtime-raw",
    "wasmtime-interruptible",
    "wasmer",
    "wasmer-raw",
    "wasmer-interruptible",
    "wasmi",
    "wasmi-raw",
    "wasmi-interruptible",
];
const ENGINES: [&str; 3] = ["wasmtime", "wasmer", "wasmi"];
/// The rows of the `cache_run` group (benches/cache.rs).
const CACHE_FIRST: &str = "first run (compile, store)";
const CACHE_SECOND: &str = "second run (cached)";
const CACHE_RAW: &str = "engine API, artifact file";
const COLORS: [&str; 10] = [
    "#444444", "#1f77b4", "#6baed6", "#08306b", "#d62728", "#fc9272", "#67000d", "#2ca02c",
    "#a1d99b", "#00441b",
];

/// The groups of overhead measured in pairs (`benches/src/paired.rs`), whose values are
/// ratios, not times: calls into the guest, calls of host functions, and an instantiation.
const OVERHEAD_GROUPS: [(&str, &str); 4] = [
    ("overhead_id", "7"),
    ("overhead_host_nomem", "10000"),
    ("overhead_host_mem", "10000"),
    ("overhead_instantiate_importing_memory", "memory"),
];

/// One measurement: group, function (engine), parameter → median in nanoseconds (a ratio in
/// the overhead groups), and the median's 95 % confidence interval.
#[derive(Default)]
struct Results {
    medians: ByCase<f64>,
    intervals: ByCase<(f64, f64)>,
}

/// group → (function, parameter) → value.
type ByCase<T> = BTreeMap<String, BTreeMap<(String, String), T>>;

fn at<T: Copy>(values: &ByCase<T>, group: &str, function: &str, param: &str) -> Option<T> {
    values.get(group)?.get(&(function.to_string(), param.to_string())).copied()
}

impl Results {
    fn get(&self, group: &str, function: &str, param: &str) -> Option<f64> {
        at(&self.medians, group, function, param)
    }

    fn interval(&self, group: &str, function: &str, param: &str) -> Option<(f64, f64)> {
        at(&self.intervals, group, function, param)
    }

    fn params(&self, group: &str) -> Vec<String> {
        let mut seen = Vec::new();
        if let Some(g) = self.medians.get(group) {
            for (_, p) in g.keys() {
                if !seen.contains(p) {
                    seen.push(p.clone());
                }
            }
        }
        seen.sort_by_key(|p| param_order(p));
        seen
    }

    fn functions(&self, group: &str) -> Vec<&'static str> {
        let present: BTreeSet<&str> = self
            .medians
            .get(group)
            .map(|g| g.keys().map(|(f, _)| f.as_str()).collect())
            .unwrap_or_default();
        COLUMNS.iter().copied().filter(|c| present.contains(c)).collect()
    }
}

fn param_order(p: &str) -> (u64, String) {
    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
    match p {
        "hello" | "host" => (0, p.to_string()),
        _ => (digits.parse().unwrap_or(u64::MAX), p.to_string()),
    }
}

fn collect(dir: &Path, results: &mut Results) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                read_one(&path, results);
            } else {
                collect(&path, results);
            }
        }
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn read_one(dir: &Path, results: &mut Results) {
    let (Some(bench), Some(estimates)) =
        (read_json(&dir.join("benchmark.json")), read_json(&dir.join("estimates.json")))
    else {
        return;
    };
    let group = bench["group_id"].as_str().unwrap_or_default().to_string();
    let function = bench["function_id"].as_str().unwrap_or_default().to_string();
    let param = bench["value_str"].as_str().unwrap_or_default().to_string();
    let median = &estimates["median"];
    if let (Some(lower), Some(upper)) = (
        median["confidence_interval"]["lower_bound"].as_f64(),
        median["confidence_interval"]["upper_bound"].as_f64(),
    ) {
        results
            .intervals
            .entry(group.clone())
            .or_default()
            .insert((function.clone(), param.clone()), (lower, upper));
    }
    if let Some(point) = median["point_estimate"].as_f64() {
        results.medians.entry(group).or_default().insert((function, param), point);
    }
}

fn time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn command(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A table: one row per parameter, one column per function; median and ratio to the fastest.
fn table(out: &mut String, results: &Results, group: &str, param_label: &str) {
    let functions = results.functions(group);
    let _ = writeln!(out, "| {param_label} | {} |", functions.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(functions.len()));
    for p in results.params(group) {
        let values: Vec<Option<f64>> =
            functions.iter().map(|f| results.get(group, f, &p)).collect();
        let best = values.iter().flatten().copied().fold(f64::INFINITY, f64::min);
        let cells: Vec<String> = values
            .iter()
            .map(|v| match v {
                Some(v) if (*v - best).abs() < f64::EPSILON => format!("**{}** (1.00×)", time(*v)),
                Some(v) => format!("{} ({:.2}×)", time(*v), v / best),
                None => "—".into(),
            })
            .collect();
        let _ = writeln!(out, "| {p} | {} |", cells.join(" | "));
    }
    out.push('\n');
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.3}")).unwrap_or_else(|| "—".into())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

struct Series {
    name: String,
    color: &'static str,
    points: Vec<Option<f64>>,
}

/// A line chart with a logarithmic y axis over categorical x values.
fn line_chart(title: &str, y_label: &str, x: &[String], series: &[Series]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 420.0, 80.0, 170.0, 40.0, 60.0);
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().flatten().copied())
        .filter(|v| *v > 0.0)
        .collect();
    let (lo, hi) =
        values.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (lo, hi) = if values.is_empty() {
        (1.0, 10.0)
    } else {
        (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0))
    };
    let px = |i: usize| {
        left + (w - left - right) * if x.len() > 1 { i as f64 / (x.len() - 1) as f64 } else { 0.5 }
    };
    let py = |v: f64| top + (h - top - bottom) * (1.0 - (v.log10() - lo) / (hi - lo));
    let mut s = svg_head(w, h, title);
    for d in (lo as i32)..=(hi as i32) {
        let y = py(10f64.powi(d));
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            w - right,
            left - 6.0,
            y + 4.0,
            time(10f64.powi(d))
        );
    }
    for (i, label) in x.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            px(i),
            h - bottom + 18.0,
            esc(label)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">{}</text>"#,
        h / 2.0,
        h / 2.0,
        esc(y_label)
    );
    for (k, ser) in series.iter().enumerate() {
        let pts: Vec<String> = ser
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", px(i), py(v))))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            ser.color,
            pts.join(" ")
        );
        for p in &pts {
            let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(s, r#"<circle cx="{cx}" cy="{cy}" r="3" fill="{}"/>"#, ser.color);
        }
        legend(&mut s, w - right + 12.0, top + 18.0 * k as f64, ser.color, &ser.name);
    }
    s.push_str("</svg>\n");
    s
}

/// A grouped bar chart with a logarithmic y axis: one group per category.
fn bar_chart(title: &str, y_label: &str, categories: &[String], series: &[Series]) -> String {
    let (w, h, left, right, top, bottom) = (820.0, 420.0, 70.0, 170.0, 40.0, 60.0);
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().flatten().copied())
        .filter(|v| *v > 0.0)
        .collect();
    let hi = values.iter().fold(1.0f64, |m, v| m.max(*v)).log10().ceil().max(1.0);
    let lo = values.iter().fold(1.0f64, |m, v| m.min(*v)).log10().floor().min(0.0);
    let py = |v: f64| top + (h - top - bottom) * (1.0 - (v.log10() - lo) / (hi - lo));
    let mut s = svg_head(w, h, title);
    for d in (lo as i32)..=(hi as i32) {
        let y = py(10f64.powi(d));
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}×</text>"##,
            w - right,
            left - 6.0,
            y + 4.0,
            10f64.powi(d)
        );
    }
    let slot = (w - left - right) / categories.len().max(1) as f64;
    let bar = slot * 0.8 / series.len().max(1) as f64;
    for (i, cat) in categories.iter().enumerate() {
        let x0 = left + slot * i as f64 + slot * 0.1;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x0 + slot * 0.4,
            h - bottom + 18.0,
            esc(cat)
        );
        for (k, ser) in series.iter().enumerate() {
            if let Some(v) = ser.points[i] {
                let y = py(v.max(10f64.powf(lo)));
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {v:.2}×</title></rect>"#,
                    x0 + bar * k as f64,
                    bar.max(1.0) - 1.0,
                    py(10f64.powf(lo)) - y,
                    ser.color,
                    esc(&ser.name)
                );
            }
        }
    }
    let _ = writeln!(
        s,
        r#"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">{}</text>"#,
        h / 2.0,
        h / 2.0,
        esc(y_label)
    );
    for (k, ser) in series.iter().enumerate() {
        legend(&mut s, w - right + 12.0, top + 18.0 * k as f64, ser.color, &ser.name);
    }
    s.push_str("</svg>\n");
    s
}

fn svg_head(w: f64, h: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
        w / 2.0,
        esc(title)
    )
}

fn legend(s: &mut String, x: f64, y: f64, color: &str, name: &str) {
    let _ = writeln!(
        s,
        r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{color}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
        y - 10.0,
        x + 18.0,
        y,
        esc(name)
    );
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn color(function: &str) -> &'static str {
    COLUMNS.iter().position(|c| *c == function).map(|i| COLORS[i]).unwrap_or("#999999")
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let criterion = target.join("criterion");
    let mut results = Results::default();
    collect(&criterion, &mut results);
    if results.medians.is_empty() {
        eprintln!(
            "no criterion results under {}: run `cargo bench -p wasmux-benches` first",
            criterion.display()
        );
        std::process::exit(1);
    }
    let meta = read_json(&criterion.join("wasmux-meta.json")).unwrap_or(Value::Null);
    let host_calls = meta["host_calls_per_iter"].as_f64().unwrap_or(10_000.0);
    let sizes: Vec<(String, u64)> = meta["module_sizes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["name"].as_str().unwrap_or_default().to_string(),
                        s["bytes"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let size_of = |name: &str| {
        sizes.iter().find(|(n, _)| n == name).map(|(_, b)| human(*b)).unwrap_or_default()
    };

    let mut out = String::new();
    let _ = writeln!(out, "# wasmux benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by `cargo run -p wasmux-benches --release --bin report` from the criterion results of `cargo bench -p wasmux-benches`. Do not edit by hand; the analysis section comes from `benches/ANALYSIS.md`.\n"
    );
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(
        out,
        "- CPU: {} ({} logical CPUs, `nproc`)",
        cpu_model(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let _ = writeln!(out, "- Kernel: {}", command("uname", &["-sr"]));
    let _ = writeln!(out, "- Rust: {}", command("rustc", &["--version"]));
    let _ =
        writeln!(out, "- Report generated: {}", command("date", &["-u", "+%Y-%m-%d %H:%M UTC"]));
    let _ = writeln!(
        out,
        "- **The machine is a shared 2-core VM**: repeated runs of identical code differ by up to ±20 % here. Criterion ran with 10 samples, 0.5 s warm-up and 1.5 s measurement per benchmark (flat sampling for the slow groups); the `calls_*` groups with 30 samples of 3 s, each engine's wasmux and raw cases back to back. Quotients of medians measured one after the other, within ±10 %, are not significant; the `overhead_*` groups measure call overhead in pairs, which cancels the drift (see below).\n"
    );
    let _ = writeln!(
        out,
        "Columns: `wasmtime`, `wasmer`, `wasmi` are wasmux (typed path, `instance.typed`) on each engine with `Config::default()`, which like the raw engines' defaults is not interruptible; `<engine>-raw` is the engine's own API (typed functions; wasmtime `Linker::instantiate_pre` + `InstancePre::instantiate`, on the very `wasmtime::Engine` wasmux built; wasmer Cranelift and a headless engine for artifacts; wasmi defaults); `<engine>-interruptible` is wasmux with `Config::interruptible(true)`, what deadlines and interrupt handles cost (wasmtime: epoch checks compiled in; wasmi: fuel metering and resumable calls in slices; wasmer: nothing compiled in). `native` is the same program compiled natively. Each cell: median, and the ratio to the fastest in its row.\n"
    );

    // Targets.
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | engine | measured | verdict |\n|---|---|---|---|");
    for e in ENGINES {
        let raw = format!("{e}-raw");
        let [(export_group, export_param), host_groups @ .., (memory_group, memory_param)] =
            OVERHEAD_GROUPS;
        if let Some(r) = results.get(export_group, e, export_param) {
            let _ = writeln!(
                out,
                "| calling an export (host→guest) costs ≤ 5 % more, measured in pairs | {e} | {r:.3}× raw | {} |",
                verdict(r <= 1.05)
            );
        }
        let mut worst: Option<(f64, String)> = None;
        for (group, param) in host_groups {
            if let Some(r) = results.get(group, e, param)
                && worst.as_ref().is_none_or(|(w, _)| r > *w)
            {
                worst = Some((r, group.to_string()));
            }
        }
        if let Some((r, g)) = worst {
            let _ = writeln!(
                out,
                "| calling a host function (guest→host) made by `HostFunc::wrap_for` costs ≤ 15 % more than the engine's own typed host function (stretch: 5 %), measured in pairs (worst of without and with memory) | {e} | {r:.3}× raw (worst: `{g}`) | {} |",
                if r <= 1.05 { "met, stretch too" } else { verdict(r <= 1.15) }
            );
        }
        if let Some(r) = results.get(memory_group, e, memory_param) {
            let _ = writeln!(
                out,
                "| instantiating a module that imports a memory (made on the host) costs ≤ 10 % more, measured in pairs | {e} | {r:.3}× raw | {} |",
                verdict(r <= 1.10)
            );
        }
        let mut worst: Option<(f64, String)> = None;
        for p in results.params("startup_instantiate") {
            if let Some(r) = ratio(
                results.get("startup_instantiate", e, &p),
                results.get("startup_instantiate", &raw, &p),
            ) && worst.as_ref().is_none_or(|(w, _)| r > *w)
            {
                worst = Some((r, p));
            }
        }
        if let Some((r, p)) = worst {
            let _ = writeln!(
                out,
                "| wasmux overhead on instantiation ≤ 5 % (worst module size) | {e} | {r:.3}× raw (worst: `{p}`) | {} |",
                verdict(r <= 1.05)
            );
        }
    }
    for e in ["wasmtime", "wasmer"] {
        let mut worst: Option<(f64, String)> = None;
        for p in results.params("startup_load") {
            if let Some(r) =
                ratio(results.get("startup_compile", e, &p), results.get("startup_load", e, &p))
                && worst.as_ref().is_none_or(|(w, _)| r < *w)
            {
                worst = Some((r, p));
            }
        }
        if let Some((r, p)) = worst {
            let _ = writeln!(
                out,
                "| precompiled load ≥ 10× faster than compiling (smallest ratio over sizes) | {e} | {r:.1}× (at `{p}`) | {} |",
                verdict(r >= 10.0)
            );
        }
    }
    for e in ["wasmtime", "wasmer"] {
        let g = "cache_run";
        let second = results.get(g, e, CACHE_SECOND);
        if let Some(r) = ratio(results.get(g, e, CACHE_FIRST), second) {
            let _ = writeln!(
                out,
                "| several-MiB module: second `wasmux run` (cached) ≥ 20× faster than the first | {e} | {r:.1}× ({} vs {}) | {} |",
                second.map(time).unwrap_or_default(),
                results.get(g, e, CACHE_FIRST).map(time).unwrap_or_default(),
                verdict(r >= 20.0)
            );
        }
        if let Some(r) = ratio(second, results.get(g, e, CACHE_RAW)) {
            let _ = writeln!(
                out,
                "| several-MiB module: second run ≤ 1.1× loading the artifact through the engine's API | {e} | {r:.2}× | {} |",
                verdict(r <= 1.1)
            );
        }
    }
    let g = "startup_bytes_to_first_call";
    let p = "compute.wat";
    if let Some(i) = results.get(g, "wasmi", p) {
        let jits: Vec<(&str, Option<f64>)> = vec![
            ("wasmtime", results.get(g, "wasmtime", p)),
            ("wasmer", results.get(g, "wasmer", p)),
        ];
        let faster = jits.iter().all(|(_, t)| t.is_some_and(|t| i < t));
        let detail: Vec<String> =
            jits.iter().map(|(n, t)| format!("{n} {}", t.map(time).unwrap_or_default())).collect();
        let _ = writeln!(
            out,
            "| interpreter start-up (bytes → first call) faster than both JITs | wasmi | {} vs {} | {} |",
            time(i),
            detail.join(", "),
            verdict(faster)
        );
    }
    out.push('\n');

    if let Ok(analysis) = std::fs::read_to_string(root.join("benches/ANALYSIS.md")) {
        out.push_str(analysis.trim());
        out.push_str("\n\n");
    }

    // The whole-process tables come from benches/whole-process.py, which rewrites what is
    // between the markers without needing criterion's results.
    let whole_process = std::fs::read_to_string(root.join("benches/WHOLE_PROCESS.md"))
        .unwrap_or_else(|_| {
            "## Whole process\n\nNot measured yet: run `benches/whole-process.py`.\n".into()
        });
    let _ = writeln!(
        out,
        "<!-- whole-process: begin -->\n{}<!-- whole-process: end -->\n",
        whole_process
    );

    // Overhead vs raw.
    let _ = writeln!(out, "## wasmux overhead over the raw engine API\n");
    let _ = writeln!(
        out,
        "### Calls and an instantiation, measured in pairs\n\nEach sample alternates chunks of an operation through wasmux and the same operation through the engine's own API, and records the quotient of their times (`benches/src/paired.rs`), so the machine's drift cancels out. Median of the samples (30 for calls, 100 for the instantiation), with its 95 % confidence interval. `-interruptible` is wasmux with `Config::interruptible(true)` against the same raw call.\n"
    );
    let paired_columns: Vec<String> =
        ENGINES.iter().flat_map(|e| [e.to_string(), format!("{e}-interruptible")]).collect();
    let _ = writeln!(
        out,
        "| group | {} |\n|---|{}",
        paired_columns.join(" | "),
        "---:|".repeat(paired_columns.len())
    );
    for (group, param) in OVERHEAD_GROUPS {
        let cells: Vec<String> = paired_columns
            .iter()
            .map(|f| match results.get(group, f, param) {
                Some(r) => format!(
                    "{r:.3}× {}",
                    results
                        .interval(group, f, param)
                        .map(|(lo, hi)| format!("[{lo:.3}, {hi:.3}]"))
                        .unwrap_or_default()
                ),
                None => "—".into(),
            })
            .collect();
        let _ = writeln!(out, "| `{group}` | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\n### Every benchmark, as quotients of medians measured one after the other\n"
    );
    let _ = writeln!(
        out,
        "Ratio of wasmux's median to the raw API's median for the same engine (1.000 = no overhead; above 1 = wasmux slower). Host-call groups make {host_calls} calls per iteration.\n"
    );
    let _ = writeln!(
        out,
        "| benchmark | parameter | wasmtime | wasmer | wasmi |\n|---|---|---:|---:|---:|"
    );
    for (group, _) in results.medians.iter() {
        for p in results.params(group) {
            let cells: Vec<Option<f64>> = ENGINES
                .iter()
                .map(|e| {
                    ratio(results.get(group, e, &p), results.get(group, &format!("{e}-raw"), &p))
                })
                .collect();
            if cells.iter().any(Option::is_some) {
                let _ = writeln!(
                    out,
                    "| `{group}` | {p} | {} |",
                    cells.iter().map(|c| fmt_ratio(*c)).collect::<Vec<_>>().join(" | ")
                );
            }
        }
    }
    out.push('\n');

    // Wasm vs native.
    let _ = writeln!(out, "## WebAssembly against native\n");
    let _ = writeln!(
        out,
        "Slowdown of each engine (through wasmux) relative to the same program compiled natively (C: the system `cc -O2` via `build.rs`; WAT workloads: the equivalent Rust).\n"
    );
    let _ = writeln!(
        out,
        "| workload | native | wasmtime | wasmer | wasmi |\n|---|---:|---:|---:|---:|"
    );
    let mut categories = Vec::new();
    let mut per_engine: Vec<Vec<Option<f64>>> = vec![Vec::new(); 3];
    let workloads: Vec<(String, String)> = meta["workloads"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|w| {
                    (
                        w["name"].as_str().unwrap_or_default().to_string(),
                        w["native"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, kind) in &workloads {
        let group = format!("compute_{name}");
        let Some(p) = results.params(&group).into_iter().next() else {
            continue;
        };
        let native = results.get(&group, "native", &p);
        let cells: Vec<Option<f64>> =
            ENGINES.iter().map(|e| ratio(results.get(&group, e, &p), native)).collect();
        let _ = writeln!(
            out,
            "| {name}({p}) | {} ({kind}) | {} |",
            native.map(time).unwrap_or_default(),
            cells
                .iter()
                .map(|c| c.map(|c| format!("{c:.2}×")).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" | ")
        );
        categories.push(name.clone());
        for (k, c) in cells.into_iter().enumerate() {
            per_engine[k].push(c);
        }
    }
    out.push('\n');

    // Charts.
    let docs = root.join("docs/bench");
    let _ = std::fs::create_dir_all(&docs);
    let mut charts = Vec::new();
    let series: Vec<Series> = ENGINES
        .iter()
        .zip(per_engine)
        .map(|(e, points)| Series { name: e.to_string(), color: color(e), points })
        .collect();
    charts.push((
        "throughput.svg",
        bar_chart(
            "Compute workloads: time relative to native (lower is better)",
            "× native",
            &categories,
            &series,
        ),
    ));
    for (group, title) in [
        ("startup_compile", "Compile time vs module size"),
        ("startup_load", "Loading a precompiled artifact vs module size"),
        ("startup_instantiate", "Instantiation vs module size"),
        ("startup_validate", "Validation vs module size"),
    ] {
        let params = results.params(group);
        let labels: Vec<String> = params
            .iter()
            .map(|p| match size_of(p) {
                s if s.is_empty() => p.clone(),
                s => format!("{p} ({s})"),
            })
            .collect();
        let series: Vec<Series> = results
            .functions(group)
            .into_iter()
            .filter(|f| !f.ends_with("-interruptible"))
            .map(|f| Series {
                name: f.to_string(),
                color: color(f),
                points: params.iter().map(|p| results.get(group, f, p)).collect(),
            })
            .collect();
        charts.push((
            Box::leak(format!("{group}.svg").into_boxed_str()),
            line_chart(title, "median time (log scale)", &labels, &series),
        ));
    }
    for (file, svg) in &charts {
        let _ = std::fs::write(docs.join(file), svg);
    }
    let _ = writeln!(out, "## Charts\n");
    for (file, _) in &charts {
        let _ = writeln!(out, "![{file}](docs/bench/{file})\n");
    }

    // Every group.
    let _ = writeln!(out, "## All results\n");
    if !sizes.is_empty() {
        let _ = writeln!(
            out,
            "Module sizes: {}. The generated modules (`<n>fn`) have n functions of about 800 bytes of code each, all in a table, and a data segment; `host` is `wat/host.wat` (two host imports).\n",
            sizes
                .iter()
                .map(|(n, b)| format!("`{n}` = {}", human(*b)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let is_ratio = |group: &str| OVERHEAD_GROUPS.iter().any(|(g, _)| *g == group);
    for group in results.medians.keys().filter(|g| !is_ratio(g)) {
        let _ = writeln!(out, "### `{group}`\n");
        let label = if group.starts_with("startup") {
            "module"
        } else if group.starts_with("compute") {
            "size argument"
        } else {
            "parameter"
        };
        table(&mut out, &results, group, label);
    }
    let path = root.join("BENCHMARKS.md");
    match std::fs::write(&path, out) {
        Ok(()) => {
            println!("wrote {} and {} charts in {}", path.display(), charts.len(), docs.display())
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}

fn human(n: u64) -> String {
    wasmux_benches::human_bytes(n as usize)
}
