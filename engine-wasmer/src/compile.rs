//! Compiling with a wasmer compiler: building the compiler configuration, and the middlewares
//! wasmux adds to every module. Only in builds with a compiler.
//!
//! Each compilation runs on a fresh wasmer engine. wasmer keeps the machine code of every module
//! an engine compiled until the engine is dropped, and its `Metering` middleware serves one
//! module only (it panics on the second); a private engine per module fixes both: the module
//! owns its engine, and the code is freed with the last module and instance using it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use wasmer::sys::wasmparser::Operator;
use wasmer::sys::{
    CompilerConfig, EngineBuilder, FunctionMiddleware, MiddlewareError, ModuleMiddleware,
};
use wasmer::{ExportIndex, LocalFunctionIndex, ModuleInfo};
use wasmux_core::backend::panic_message;
use wasmux_core::{Error, OptLevel, Result};

use crate::module::START_EXPORT;
use crate::settings::{CompilerKind, Settings};
use crate::{ENGINE, ENGINE_VERSION};

/// A new wasmer engine compiling with `kind` as `settings` say.
pub(crate) fn engine(settings: &Settings, kind: CompilerKind) -> wasmer::Engine {
    let mut config = compiler_config(settings, kind);
    config.push_middleware(Arc::new(HoistStart));
    if settings.fuel {
        // The initial budget is irrelevant: no guest code runs before wasmux sets the
        // instance's fuel (the start function is hoisted, see `HoistStart`).
        config.push_middleware(Arc::new(wasmer_middlewares::Metering::new(0, operator_cost)));
    }
    EngineBuilder::new(config)
        .set_features(Some(settings.features.clone()))
        .set_target(Some(settings.target.clone()))
        .engine()
        .into()
}

/// Compiles `wasm` with `engine`, a [`engine`] for `kind`. A compiler that panics (wasmer
/// 7.4.2's Singlepass asserts on some inputs) yields an error instead of unwinding into the
/// embedder.
pub(crate) fn compile(
    engine: &wasmer::Engine,
    kind: CompilerKind,
    wasm: &[u8],
) -> Result<wasmer::Module> {
    if kind == CompilerKind::Singlepass {
        refuse_multi_result_imports(wasm)?;
    }
    match catch_unwind(AssertUnwindSafe(|| wasmer::Module::new(engine, wasm))) {
        Ok(compiled) => compiled.map_err(crate::traps::from_compile_error),
        Err(panic) => Err(Error::Compile {
            engine: ENGINE,
            message: format!("the {} compiler failed: {}", kind.name(), panic_message(&*panic)),
        }),
    }
}

/// Singlepass builds the trampoline into a host function for one result at most (it asserts
/// so), and every wasmux host function is a dynamic wasmer function: a module importing a
/// function of several results cannot be compiled by it.
fn refuse_multi_result_imports(wasm: &[u8]) -> Result<()> {
    use wasmer::sys::wasmparser::{Parser, Payload, TypeRef};
    let mut result_counts = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(Payload::TypeSection(types)) => {
                for ty in types.into_iter_err_on_gc_types() {
                    result_counts.push(ty.map_or(0, |ty| ty.results().len()));
                }
            }
            Ok(Payload::ImportSection(imports)) => {
                for import in imports.into_imports().flatten() {
                    let TypeRef::Func(index) = import.ty else { continue };
                    if result_counts.get(index as usize).is_some_and(|n| *n > 1) {
                        return Err(Error::unsupported(
                            ENGINE,
                            format!(
                                "importing `{}::{}`, a function of several results, with the \
                                 singlepass compiler of wasmer {ENGINE_VERSION}",
                                import.module, import.name
                            ),
                        ));
                    }
                }
            }
            // Imports precede code; a malformed module is left to the compiler to report.
            Ok(Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(())
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
            info.exports.insert(START_EXPORT.to_string(), ExportIndex::Function(start));
        }
        Ok(())
    }
}

/// Leaves function bodies as they are.
#[derive(Debug)]
struct PassThrough;

impl FunctionMiddleware<'_> for PassThrough {}
