//! What the engine says it can do, checked against what it does: every proposal a compiler
//! claims runs, every other one is refused when the engine is built. Also the headless build.

mod common;

use wasmux_core::{Capability, Compiler, Engine, Error};
use wasmux_wasmer::WasmerEngine;

/// A module exercising each proposal, calling export `run`.
#[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
const PROPOSALS: &[(Capability, &str)] = &[
    (
        Capability::Simd,
        "(module (func (export \"run\") (result i32) (i32x4.extract_lane 0 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 1 1 1 1)))))",
    ),
    (
        Capability::RelaxedSimd,
        "(module (func (export \"run\") (result i32) (i8x16.extract_lane_u 0 (i8x16.relaxed_swizzle (v128.const i8x16 7 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))))",
    ),
    (
        Capability::MultiValue,
        "(module (func $two (result i32 i32) (i32.const 1) (i32.const 2)) (func (export \"run\") (result i32) (call $two) (block (param i32 i32) (result i32) (i32.add))))",
    ),
    (
        Capability::BulkMemory,
        "(module (memory 1) (func (export \"run\") (result i32) (memory.fill (i32.const 0) (i32.const 7) (i32.const 8)) (memory.copy (i32.const 100) (i32.const 0) (i32.const 8)) (i32.load8_u (i32.const 107))))",
    ),
    (
        Capability::ReferenceTypes,
        "(module (table $a 1 funcref) (table $b 1 externref) (func (export \"run\") (result i32) (ref.is_null (table.get $b (i32.const 0)))))",
    ),
    (
        Capability::TailCalls,
        "(module (func $f (result i32) (i32.const 3)) (func (export \"run\") (result i32) (return_call $f)))",
    ),
    (
        Capability::Exceptions,
        "(module (tag $e (param i32)) (func (export \"run\") (result i32) (block $h (result i32) (try_table (catch $e $h) (throw $e (i32.const 5))) (i32.const 0))))",
    ),
    (
        Capability::Threads,
        "(module (memory 1 1 shared) (func (export \"run\") (result i32) (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 2))) (i32.atomic.load (i32.const 0))))",
    ),
    (
        Capability::Memory64,
        "(module (memory i64 1) (func (export \"run\") (result i32) (i32.load (i64.const 0))))",
    ),
    (
        Capability::MultiMemory,
        "(module (memory $a 1) (memory $b 1) (func (export \"run\") (result i32) (i32.store $b (i32.const 0) (i32.const 4)) (i32.load $b (i32.const 0))))",
    ),
    (
        Capability::ExtendedConst,
        "(module (global $g i32 (i32.add (i32.const 2) (i32.const 3))) (func (export \"run\") (result i32) (global.get $g)))",
    ),
];

/// Every proposal the compiler claims runs, and every other is refused up front.
#[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
fn check_claims(compiler: Compiler, name: &str, claimed: &[Capability]) {
    use wasmux_core::{Config, Features, HostEnv, Instance};
    let mut all = Config { compiler, features: Features::none(), ..Config::default() };
    for cap in claimed {
        assert!(all.features.set(*cap, true), "{cap} is a proposal");
    }
    let engine = WasmerEngine::new(&all).expect("every claimed proposal at once");
    assert_eq!(engine.info().compiler, Some(name));
    for (cap, wat) in PROPOSALS {
        let has = claimed.contains(cap);
        assert_eq!(engine.info().capabilities.has(*cap), has, "{name}: {cap}");
        if has {
            let module =
                engine.compile(&common::wasm(wat)).unwrap_or_else(|e| panic!("{name} {cap}: {e}"));
            let mut instance = engine.instantiate(&module, HostEnv::new()).expect("instantiates");
            instance.call("run", &[]).unwrap_or_else(|e| panic!("{name} {cap}: {e}"));
        } else {
            let mut config = all.clone();
            assert!(config.features.set(*cap, true), "{cap} is a proposal");
            match WasmerEngine::new(&config) {
                Err(Error::Unsupported { engine: "wasmer", feature }) => {
                    assert!(feature.contains(cap.as_str()), "{feature}");
                }
                other => panic!("{name}: {cap} must be refused, got {other:?}"),
            }
        }
    }
    for cap in [Capability::Gc, Capability::FunctionReferences] {
        let mut config = all.clone();
        assert!(config.features.set(cap, true), "{cap} is a proposal");
        assert!(matches!(WasmerEngine::new(&config), Err(Error::Unsupported { .. })), "{cap}");
    }
}

#[cfg(feature = "cranelift")]
#[test]
fn cranelift_claims_exactly_what_it_runs() {
    use Capability::*;
    check_claims(
        Compiler::Cranelift,
        "cranelift",
        &[
            Simd,
            RelaxedSimd,
            MultiValue,
            BulkMemory,
            ReferenceTypes,
            Exceptions,
            Threads,
            MultiMemory,
            ExtendedConst,
        ],
    );
}

#[cfg(feature = "llvm")]
#[test]
fn llvm_claims_exactly_what_it_runs() {
    use Capability::*;
    check_claims(
        Compiler::Llvm,
        "llvm",
        &[
            Simd,
            RelaxedSimd,
            MultiValue,
            BulkMemory,
            ReferenceTypes,
            TailCalls,
            Exceptions,
            Threads,
            MultiMemory,
            ExtendedConst,
        ],
    );
}

#[cfg(feature = "singlepass")]
#[test]
fn singlepass_claims_exactly_what_it_runs() {
    use Capability::*;
    check_claims(
        Compiler::Singlepass,
        "singlepass",
        &[MultiValue, BulkMemory, ReferenceTypes, Threads, MultiMemory, ExtendedConst],
    );
}

#[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
#[test]
fn info_of_a_compiling_engine() {
    use wasmux_core::EngineKind;
    use wasmux_wasmer::ENGINE_VERSION;
    let engine = common::engine();
    let info = engine.info();
    assert_eq!((info.name, info.version, info.kind), ("wasmer", ENGINE_VERSION, EngineKind::Aot));
    let expected = if cfg!(feature = "cranelift") {
        "cranelift"
    } else if cfg!(feature = "singlepass") {
        "singlepass"
    } else {
        "llvm"
    };
    assert_eq!(info.compiler, Some(expected));
    for cap in [
        Capability::Precompile,
        Capability::MemoryLimit,
        Capability::TableLimit,
        Capability::StackOverflowTrap,
    ] {
        assert!(info.capabilities.has(cap), "{cap}");
    }
    // Interruption is opt-in: its watchdog handshake costs every call.
    assert!(!info.capabilities.has(Capability::Deadline));
    assert!(!info.capabilities.has(Capability::Fuel));
    let stoppable = common::engine_with(|c| c.interruptible = true);
    assert!(stoppable.info().capabilities.has(Capability::Deadline));
    assert!(stoppable.info().capabilities.has(Capability::Interrupt));
    engine.validate(&common::wasm("(module)")).expect("valid");
    let err = engine.validate(b"\0asm\x01\0\0\0\x01").expect_err("invalid");
    assert!(matches!(err, Error::Compile { engine: "wasmer", .. }), "{err:?}");
    assert!(matches!(engine.compile(b"nonsense"), Err(Error::Compile { .. })));
}

#[test]
fn what_is_not_built_is_refused() {
    #[cfg(all(any(feature = "cranelift", feature = "singlepass"), not(feature = "llvm")))]
    {
        let mut config = common::config();
        config.compiler = Compiler::Llvm;
        assert!(matches!(WasmerEngine::new(&config), Err(Error::Unsupported { .. })));
    }
    let mut config = common::config();
    config.pooling = Some(Default::default());
    assert!(matches!(WasmerEngine::new(&config), Err(Error::Unsupported { .. })));
    #[cfg(all(feature = "cranelift", not(feature = "singlepass")))]
    {
        let config = common::singlepass_config();
        assert!(matches!(WasmerEngine::new(&config), Err(Error::Unsupported { .. })));
    }
}

#[cfg(not(any(feature = "cranelift", feature = "singlepass", feature = "llvm")))]
#[test]
fn a_headless_build_loads_but_does_not_compile() {
    let engine = WasmerEngine::new(&common::config()).expect("headless engine");
    let info = engine.info();
    assert_eq!(info.compiler, None);
    assert!(!info.capabilities.has(Capability::Precompile));
    assert!(info.capabilities.has(Capability::MemoryLimit));
    let wasm = b"\0asm\x01\0\0\0";
    assert!(matches!(engine.compile(wasm), Err(Error::Unsupported { .. })));
    assert!(matches!(engine.validate(wasm), Err(Error::Unsupported { .. })));
    assert!(matches!(engine.precompile(wasm), Err(Error::Unsupported { .. })));
    // SAFETY: refused before any native code is looked at.
    let refused = unsafe { engine.load_precompiled(wasm) };
    assert!(matches!(refused, Err(Error::Artifact { .. })));
    // Naming the compiler that made the artifacts is allowed without it being built.
    let mut config = common::singlepass_config();
    config.compiler = Compiler::Singlepass;
    WasmerEngine::new(&config).expect("accepts singlepass artifacts");
}
