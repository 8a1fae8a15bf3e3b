//! The embedding API as `use wasmux::*` brings it in: the static traits (`Engine`,
//! `Instance`) and the dynamic ones (`DynEngine`, `DynInstance`) are in scope together, and a
//! concrete engine or instance still has exactly one method of each name (this file would not
//! compile with an ambiguous call, E0034), while a boxed one has the dynamic methods.

use wasmux::*;

const ADD: &[u8] = br#"(module (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add))"#;

/// Compiles, instantiates and calls through the static API, then through the dynamic one made
/// from the same engine and instance.
fn both_ways<E: Engine>(engine: E) -> Result<()> {
    let wasm = parse(ADD)?;
    let module = engine.compile(&wasm)?;
    assert_eq!(engine.module_info(&module).exports.len(), 1);
    let mut instance = engine.instantiate(&module, HostEnv::new())?;
    let add = instance.get_func("add")?;
    assert_eq!(instance.func_type(&add), FuncType::new([ValType::I32; 2], [ValType::I32]));
    assert_eq!(instance.call("add", &[Val::I32(2), Val::I32(40)])?, [Val::I32(42)]);

    let mut boxed = instance.into_dyn();
    assert_eq!(boxed.export_func_type("add")?, FuncType::new([ValType::I32; 2], [ValType::I32]));
    assert_eq!(boxed.call("add", &[Val::I32(1), Val::I32(1)])?, [Val::I32(2)]);

    let borrowed = engine.as_dyn().compile(&wasm)?;
    assert_eq!(borrowed.engine(), engine.info().name);
    let dynamic = engine.into_dyn();
    let mut instance = dynamic.instantiate(&dynamic.compile(&wasm)?, HostEnv::new())?;
    assert_eq!(instance.call("add", &[Val::I32(-1), Val::I32(1)])?, [Val::I32(0)]);
    Ok(())
}

/// A test that calls the engine type's methods on the concrete type, where an ambiguity would
/// show (inside `both_ways`, bounded by `Engine`, it would not), then runs `both_ways`.
macro_rules! concrete_engine_test {
    ($(#[$cfg:meta])* $test:ident, $engine:ty) => {
        $(#[$cfg])*
        #[test]
        fn $test() -> Result<()> {
            let engine = <$engine>::new(&Config::default())?;
            let module = engine.compile(&parse(ADD)?)?;
            let mut instance = engine.instantiate(&module, HostEnv::new())?;
            assert_eq!(instance.call("add", &[Val::I32(3), Val::I32(4)])?, [Val::I32(7)]);
            both_ways(engine)
        }
    };
}

concrete_engine_test!(
    #[cfg(feature = "wasmtime")]
    wasmtime_engine_and_instance_have_one_method_of_each_name,
    backends::WasmtimeEngine
);
concrete_engine_test!(
    #[cfg(any(feature = "wasmer", feature = "wasmer-singlepass", feature = "wasmer-llvm"))]
    wasmer_engine_and_instance_have_one_method_of_each_name,
    backends::WasmerEngine
);
concrete_engine_test!(
    #[cfg(feature = "wasmi")]
    wasmi_engine_and_instance_have_one_method_of_each_name,
    backends::WasmiEngine
);

#[test]
fn configuration_is_built_with_setters() {
    let mut config = Config::new();
    config.fuel(true).interruptible(true).pooling(Some(PoolingConfig::new()));
    assert!(config.fuel && config.interruptible);
    let mut env = HostEnv::new();
    env.limits_mut().fuel(10).max_memory_bytes(1 << 16);
    let mut limits = Limits::new();
    limits.fuel(10).max_memory_bytes(1 << 16);
    assert_eq!(env.limits, limits);
}
