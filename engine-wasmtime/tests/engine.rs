//! Building engines from configurations; compiling and validating modules.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engine, engine_with, wasm};
use wasmux_core::{
    Capability, Compiler, Config, Engine, Error, ExternType, Features, OptLevel, PoolingConfig,
    Val, ValType,
};
use wasmux_wasmtime::WasmtimeEngine;

#[test]
fn configurations_build() {
    for opt in [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize] {
        engine_with(Config::default().opt_level(opt));
    }
    engine_with(Config::default().compiler(Compiler::Cranelift));
    let mut all = Config::default();
    all.features = Features::all();
    let engine = engine_with(&all);
    for cap in Features::PROPOSALS {
        assert!(engine.info().capabilities.has(cap), "{cap}");
    }
}

#[test]
fn other_compilers_are_unsupported() {
    for compiler in [Compiler::Singlepass, Compiler::Llvm] {
        let error = WasmtimeEngine::new(Config::default().compiler(compiler)).unwrap_err();
        assert!(matches!(error, Error::Unsupported { engine: "wasmtime", .. }), "{error}");
    }
}

#[test]
fn a_zero_stack_is_a_config_error() {
    assert!(matches!(
        WasmtimeEngine::new(Config::default().max_wasm_stack(Some(0))),
        Err(Error::Config(_))
    ));
}

#[test]
fn disabled_proposals_are_refused() {
    // The whole WebAssembly 3.0 set is on by default; a module using a proposal switched off
    // is refused as needing it, not as invalid.
    for (cap, wat) in [
        (Capability::Simd, r#"(module (func (param v128)))"#),
        (Capability::Memory64, r#"(module (memory i64 1))"#),
    ] {
        let module = wasm(wat);
        assert!(engine().validate(&module).is_ok(), "{cap}");
        let mut config = Config::default();
        config.features_mut().set(cap, false);
        match engine_with(&config).compile(&module) {
            Err(Error::Unsupported { engine: "wasmtime", feature }) => {
                assert!(feature.starts_with(&format!("{cap} (switched off")), "{feature}");
            }
            other => panic!("{cap}: expected Unsupported, got {other:?}"),
        }
    }
}

#[test]
fn invalid_modules_are_compile_errors() {
    let engine = engine();
    for bytes in [&b""[..], b"\0asm", b"(module)", b"\0asm\x01\0\0\0\x05\x01"] {
        assert!(matches!(engine.compile(bytes), Err(Error::Compile { engine: "wasmtime", .. })));
        assert!(matches!(engine.validate(bytes), Err(Error::Compile { .. })));
    }
}

#[test]
fn module_info_lists_imports_and_exports() {
    let engine = engine();
    let module = engine
        .compile(&wasm(
            r#"(module (import "env" "f" (func (param i32) (result i64)))
                (import "env" "m" (memory 1 2))
                (table (export "t") 3 10 externref)
                (global (export "g") (mut f64) (f64.const 0))
                (func (export "h") (param v128 funcref)))"#,
        ))
        .unwrap();
    let info = engine.module_info(&module);
    assert_eq!(info.imports.len(), 2);
    assert!(
        matches!(&info.imports[0].ty, ExternType::Func(f) if f.params() == [ValType::I32] && f.results() == [ValType::I64])
    );
    assert!(matches!(&info.imports[1].ty, ExternType::Memory(m) if m.min == 1 && m.max == Some(2)));
    let names: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["t", "g", "h"]);
    assert!(
        matches!(&info.exports[0].ty, ExternType::Table(t) if t.element == ValType::ExternRef && t.max == Some(10))
    );
    assert!(
        matches!(&info.exports[1].ty, ExternType::Global(g) if g.mutable && g.content == ValType::F64)
    );
}

#[test]
fn modules_of_another_engine_are_refused() {
    let a = engine();
    let b = engine();
    let module = a.compile(&wasm("(module)")).unwrap();
    assert!(matches!(
        b.instantiate(&module, wasmux_core::HostEnv::new()),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn pooling_allocator_instantiates_many_instances() {
    let pooling = PoolingConfig::new()
        .total_instances(20)
        .max_memory_bytes(1 << 20)
        .max_table_elements(100)
        .clone();
    let engine = engine_with(Config::default().pooling(Some(pooling)));
    let module = engine
        .compile(&wasm(
            r#"(module (memory (export "memory") 1) (table 1 funcref)
                (func (export "grow") (result i32) (memory.grow (i32.const 100))))"#,
        ))
        .unwrap();
    for _ in 0..5 {
        let instances: Vec<_> = (0..20)
            .map(|_| engine.instantiate(&module, wasmux_core::HostEnv::new()).unwrap())
            .collect();
        assert!(matches!(
            engine.instantiate(&module, wasmux_core::HostEnv::new()),
            Err(Error::ResourceLimit { resource: wasmux_core::Resource::Instances, limit: 20, .. })
        ));
        drop(instances);
    }
    // The pool caps memory at 1 MiB: growing by 100 pages (6.4 MiB) fails.
    let mut instance = engine.instantiate(&module, wasmux_core::HostEnv::new()).unwrap();
    assert_eq!(
        wasmux_core::Instance::call(&mut instance, "grow", &[]).unwrap(),
        vec![Val::I32(-1)]
    );
}
