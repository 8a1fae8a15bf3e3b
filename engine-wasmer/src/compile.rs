//! Compiling with a wasmer compiler: building the compiler configuration, and the middlewares
//! wasmux adds to every module. Only in builds with a compiler.
//!
//! Each compilation runs on a fresh wasmer engine. wasmer keeps the machine code of every module
//! an engine compiled until the engine is dropped, and its `Metering` middleware serves one
//! module only (it panics on the second); a private engine per module fixes both: the module
//! owns its engine, and the code is freed with the last module and instance using it.

use std::sync::Arc;

use wasmer::sys::wasmparser::Operator;
use wasmer::sys::{
    CompilerConfig, EngineBuilder, FunctionMiddleware, MiddlewareError, ModuleMiddleware,
};
use wasmer::{ExportIndex, LocalFunctionIndex, ModuleInfo};
use wasmux_core::OptLevel;

use crate::module::START_EXPORT;
use crate::settings::{CompilerKind, Settings};

/// A new wasmer engine compiling with `kind` as `settings` say.
pub(crate) fn engine(settings: &Settings, kind: CompilerKind) -> wasmer::Engine {
    let mut config = compiler_config(settings, kind);
    config.push_middleware(Arc::new(HoistStart));
    if settings.fuel {
        // The initial budget is irrelevant: no guest code runs before wasmux sets the
        // instance's fuel (the start function is hoisted, see `HoistStart`).
        config.push_middleware(Arc::new(wasmer_middlewares::Metering::new(
            0,
            operator_cost,
        )));
    }
    EngineBuilder::new(config)
        .set_features(Some(settings.features.clone()))
        .set_target(Some(settings.target.clone()))
        .engine()
        .into()
}

/// A wasmer engine for validation only: same proposals, no middleware, never compiles.
pub(crate) fn validator(settings: &Settings, kind: CompilerKind) -> wasmer::Engine {
    EngineBuilder::new(compiler_config(settings, kind))
        .set_features(Some(settings.features.clone()))
        .set_target(Some(settings.target.clone()))
        .engine()
        .into()
}

/// Fuel costs one unit per operator.
fn operator_cost(_: &Operator<'_>) -> u64 {
    1
}

fn compiler_config(settings: &Settings, kind: CompilerKind) -> Box<dyn CompilerConfig> {
    match kind {
        #[cfg(feature = "cranelift")]
        CompilerKind::Cranelift => {
            use wasmer::sys::{Cranelift, CraneliftOptLevel};
            let mut cranelift = Cranelift::new();
            cranelift.opt_level(match settings.opt_level {
                OptLevel::None => CraneliftOptLevel::None,
                OptLevel::Speed => CraneliftOptLevel::Speed,
                OptLevel::SpeedAndSize => CraneliftOptLevel::SpeedAndSize,
            });
            Box::new(cranelift)
        }
        #[cfg(feature = "llvm")]
        CompilerKind::Llvm => {
            use wasmer::sys::{LLVM, LLVMOptLevel};
            let mut llvm = LLVM::new();
            llvm.opt_level(match settings.opt_level {
                OptLevel::None => LLVMOptLevel::None,
                OptLevel::Speed => LLVMOptLevel::Aggressive,
                OptLevel::SpeedAndSize => LLVMOptLevel::Default,
            });
            Box::new(llvm)
        }
        #[cfg(feature = "singlepass")]
        CompilerKind::Singlepass => {
            // Singlepass has no optimisation levels.
            let _: OptLevel = settings.opt_level;
            Box::new(wasmer::sys::Singlepass::new())
        }
        // `Settings` only picks compilers that are built.
        #[allow(unreachable_patterns)]
        other => unreachable_compiler(other),
    }
}

#[cold]
fn unreachable_compiler(kind: CompilerKind) -> ! {
    panic!("wasmux-wasmer: the {} compiler is not built", kind.name())
}

/// Moves the module's start function out of the way: wasmer would run it inside
/// `Instance::new`, before wasmux can give the instance its fuel, its memory handle for host
/// functions and its deadline. The start function becomes the export [`START_EXPORT`], which
/// wasmux calls right after instantiation and hides from the module's exports.
#[derive(Debug)]
struct HoistStart;

impl ModuleMiddleware for HoistStart {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(PassThrough)
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        if let Some(start) = info.start_function.take() {
            info.exports
                .insert(START_EXPORT.to_string(), ExportIndex::Function(start));
        }
        Ok(())
    }
}

/// Leaves function bodies as they are.
#[derive(Debug)]
struct PassThrough;

impl FunctionMiddleware<'_> for PassThrough {}
