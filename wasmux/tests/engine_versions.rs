//! Each backend reports the version of the engine crate it is built on: its hand-written
//! `ENGINE_VERSION` must match what `Cargo.lock` resolved, or artifacts and cache keys would
//! name the wrong engine build.

use std::path::Path;

use wasmux::Config;

/// The version `Cargo.lock` gives the package `name` (exactly one may be locked).
fn locked_version(name: &str) -> String {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let text = std::fs::read_to_string(&lock).expect("read Cargo.lock");
    let versions: Vec<&str> = text
        .split("[[package]]")
        .filter(|entry| entry.lines().any(|l| l.trim() == format!("name = \"{name}\"")))
        .filter_map(|entry| {
            entry.lines().find_map(|l| l.trim().strip_prefix("version = \"")?.strip_suffix('"'))
        })
        .collect();
    assert_eq!(versions.len(), 1, "{name} in Cargo.lock: {versions:?}");
    versions[0].to_string()
}

#[test]
fn every_engine_reports_its_locked_version() {
    let engines = wasmux::engines();
    assert!(!engines.is_empty(), "the workspace build has engines");
    for backend in engines {
        let engine = wasmux::engine(backend, &Config::default()).expect("engine");
        // Each backend is named after its engine's crate.
        assert_eq!(engine.info().version, locked_version(backend.name()), "{backend}");
        assert_eq!(engine.info().name, backend.name());
    }
}
