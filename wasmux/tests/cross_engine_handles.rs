//! Stores of different engines in one process: a handle, a module or a store of one engine is
//! refused by another with `InvalidArgument`, never taken for one of its own items.
#![cfg(all(feature = "wasmtime", feature = "wasmer", feature = "wasmi"))]

use wasmux::{Config, DynEngine, Error, HostEnv, Imports, MemoryType};

fn invalid<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) {
    assert!(matches!(result, Err(Error::InvalidArgument(_))), "{what}: {result:?}");
}

#[test]
fn another_engines_handles_modules_and_stores_are_refused() {
    let engines: Vec<Box<dyn DynEngine>> = wasmux::engines()
        .into_iter()
        .map(|backend| wasmux::engine(backend, &Config::default()).expect("engine"))
        .collect();
    assert_eq!(engines.len(), 3, "all three engines are built in");
    let memory_type = MemoryType { min: 1, max: None, memory64: false, shared: false };
    let importer = wasmux::parse(br#"(module (import "m" "memory" (memory 1)))"#).expect("parse");
    // One fresh store per engine, made in turn: a per-engine store counter would give each the
    // same id, and the same first handle.
    let mut stores: Vec<_> =
        engines.iter().map(|engine| engine.store(HostEnv::new()).expect("store")).collect();
    let memories: Vec<_> =
        stores.iter_mut().map(|store| store.new_memory(&memory_type).expect("memory")).collect();
    for (i, engine) in engines.iter().enumerate() {
        let module = engine.compile(&importer).expect("compile");
        for (j, memory) in memories.iter().enumerate().filter(|(j, _)| *j != i) {
            let name = engine.info().name;
            invalid(
                &format!("{name} reading a memory of store {j}"),
                stores[i].memory_data(*memory),
            );
            invalid(&format!("{name} growing it"), stores[i].memory_grow(*memory, 1));
            let mut imports = Imports::new();
            imports.define("m", "memory", *memory);
            invalid(
                &format!("{name} linking it"),
                engine.instantiate_in(stores[i].as_mut(), &module, &imports),
            );
            let (left, right) = stores.split_at_mut(i.max(j));
            let other = if j < i { &mut left[j] } else { &mut right[0] };
            invalid(&format!("{name} instantiating into another engine's store"), {
                engine.instantiate_in(other.as_mut(), &module, &imports)
            });
        }
        stores[i].memory_data(memories[i]).expect("its own memory")[0] = 1;
        assert_eq!(stores[i].memory_data(memories[i]).expect("its own memory")[0], 1);
    }
}
