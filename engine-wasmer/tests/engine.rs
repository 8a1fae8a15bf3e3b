//! What the engine says it can do, checked against what it does: every proposal a compiler
//! claims runs, every other one is refused when the engine is built. Also the headless build.

mod common;

use wasmux_core::{Capability, Compiler, Engine, Error};
use wasmux_wasmer::WasmerEngine;

/// Every proposal the compiler claims runs, and every other is refused up front.
#[cfg(any(feature = "cranelift", feature = "singlepass", feature = "llvm"))]
fn check_claims(compiler: Compiler, name: &str, claimed: &[Capability]) {
    use wasmux_core::{Config, Features, HostEnv, Instance};
    let mut all = Config::new();
    all.compiler(compiler).features = Features::none();
    for cap in claimed {
        assert!(all.features.set(*cap, true), "{cap} is a proposal");
    }
    let engine = WasmerEngine::new(&all).expect("every claimed proposal at once");
    assert_eq!(engine.info().compiler, Some(name));
    for (cap, wat, expected) in wasmux_conformance::cases::PROPOSAL_MODULES {
        let has = claimed.contains(&cap);
        assert_eq!(engine.info().capabilities.has(cap), has, "{name}: {cap}");
        if has {
            let module =
                engine.compile(&common::wasm(wat)).unwrap_or_else(|e| panic!("{name} {cap}: {e}"));
            let mut instance = engine.instantiate(&module, HostEnv::new()).expect("instantiates");
            let results = instance.call("run", &[]).unwrap_or_else(|e| panic!("{name} {cap}: {e}"));
            assert_eq!(results, [wasmux_core::Val::I32(expected)], "{name}: {cap}");
        } else {
            let mut config = all.clone();
            assert!(config.features.set(cap, true), "{cap} is a proposal");
            match WasmerEngine::new(&config) {
                Err(Error::Unsupported { engine: "wasmer", feature }) => {
                    assert!(feature.contains(cap.as_str()), "{feature}");
                }
                other => panic!("{name}: {cap} must be refused, got {other:?}"),
            }
        }
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
