//! A fixed range of seeds in the test suite: every engine must agree on every module.

const SEEDS: std::ops::Range<u64> = 0..300;

/// Runs on an 8 MiB thread, the size of a process's main thread: the JITs run guests on the
/// calling thread's stack and let them recurse through `DEFAULT_MAX_WASM_STACK` (512 KiB)
/// before trapping, so a smaller test thread (256 KiB aborts) would overflow first.
#[test]
fn engines_agree_on_generated_modules() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(check_seeds)
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

fn check_seeds() {
    let engines = wasmux_fuzz::engines().expect("engines");
    let mut run = 0;
    let mut disagreements = Vec::new();
    for seed in SEEDS {
        match wasmux_fuzz::check_seed(&engines, seed) {
            Ok(true) => run += 1,
            Ok(false) => {}
            Err(what) => disagreements.push(what),
        }
    }
    println!("{run} modules run on {} engines", engines.len());
    assert!(run > SEEDS.end as usize / 2, "only {run} seeds produced modules");
    assert!(disagreements.is_empty(), "engines disagree:\n{}", disagreements.join("\n"));
}

#[test]
fn a_seed_always_names_the_same_module() {
    assert_eq!(wasmux_fuzz::module_from_seed(42), wasmux_fuzz::module_from_seed(42));
    assert_ne!(wasmux_fuzz::module_from_seed(42), wasmux_fuzz::module_from_seed(43));
}

/// Seeds on which wasmi 2.0.0's translator panics ("a register operand already exists on the
/// stack"). The backend must contain the panic: an `Error::Engine` from the call, an unusable
/// instance, and the process goes on. The other engines agree with each other.
#[test]
fn a_panic_inside_wasmi_is_contained() {
    let engines = wasmux_fuzz::engines().expect("engines");
    for seed in [1_005_785, 1_023_869] {
        let wasm = wasmux_fuzz::module_from_seed(seed).expect("module");
        let traces: Vec<(&str, wasmux_fuzz::Trace)> = engines
            .iter()
            .map(|e| (e.info().name, wasmux_fuzz::trace(e.as_ref(), &wasm)))
            .collect();
        for (name, trace) in &traces {
            assert!(
                trace.steps.iter().all(|step| !step.starts_with("panic")),
                "{name} panicked on seed {seed}"
            );
            if *name == "wasmi" {
                assert!(
                    trace.steps.iter().any(|step| step.contains("internal engine failure")),
                    "seed {seed}: {trace:?}"
                );
            }
        }
        let others: Vec<&wasmux_fuzz::Trace> =
            traces.iter().filter(|(n, _)| *n != "wasmi").map(|(_, t)| t).collect();
        assert!(others.windows(2).all(|w| w[0] == w[1]), "seed {seed}: {others:?}");
    }
}
