//! A fixed range of seeds in the test suite: every engine must agree on every module.

const SEEDS: std::ops::Range<u64> = 0..300;

#[test]
fn engines_agree_on_generated_modules() {
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
