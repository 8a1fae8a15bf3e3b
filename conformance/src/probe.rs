//! For each capability an engine lacks, a check that asking for it is refused with
//! `Error::Unsupported` rather than silently ignored.

use wasmux_core::{
    Capability, Config, Engine, Error, Features, HostEnv, HostError, HostFunc, Limits,
};

use crate::case::{Outcome, enable};
use crate::cases::PROPOSAL_MODULES;
use crate::harness::EngineCache;

/// Whether the engine, configured as `base` plus what `cap` needs, says it has `cap`.
pub(crate) fn supports<E: Engine>(cache: &EngineCache<E>, base: &Config, cap: Capability) -> bool {
    cache.get(&config_for(base, cap)).is_ok_and(|engine| engine.info().capabilities.has(cap))
}

/// `base` (the suite's configuration for the engine, without the proposals it refuses) plus
/// what `cap` needs: so a refusal is about `cap`, not about a proposal the engine lacks.
fn config_for(base: &Config, cap: Capability) -> Config {
    let mut config = base.clone();
    enable(&mut config, cap);
    config
}

fn ensure_unsupported<T>(result: Result<T, Error>, what: &str) -> Outcome {
    match result {
        Err(Error::Unsupported { .. }) => Ok(()),
        Err(other) => Err(format!("{what}: expected Error::Unsupported, got: {other}")),
        Ok(_) => Err(format!("{what}: succeeded although the capability is not advertised")),
    }
}

const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// An engine built with `base`, which lacks the proposal `cap`, refuses a module using it as
/// unsupported, naming it, rather than as invalid.
fn check_module_refused<E: Engine>(base: &Config, cap: Capability) -> Outcome {
    let engine = E::new(base).map_err(|e| e.to_string())?;
    let (_, wat, _) = PROPOSAL_MODULES
        .into_iter()
        .find(|(proposal, _, _)| *proposal == cap)
        .ok_or_else(|| format!("no module uses {cap}"))?;
    let wasm = wasmux::parse(wat.as_bytes()).map_err(|e| e.to_string())?;
    match engine.compile(&wasm) {
        Err(Error::Unsupported { feature, .. }) if feature.contains(cap.as_str()) => Ok(()),
        Err(other) => {
            Err(format!("a module using {cap}: expected Unsupported naming it, got: {other}"))
        }
        Ok(_) => Err(format!("a module using {cap} compiled although {cap} is not advertised")),
    }
}

/// Checks that the engine refuses `cap` with `Error::Unsupported`: when built with it turned on,
/// or when it is used. A proposal is also refused when a module uses it, naming the proposal.
pub(crate) fn check_refused<E: Engine>(base: &Config, cap: Capability) -> Outcome {
    if Features::is_proposal(cap) {
        check_module_refused::<E>(base, cap)?;
    }
    let engine = match E::new(&config_for(base, cap)) {
        Err(Error::Unsupported { .. }) => return Ok(()),
        Err(other) => return Err(format!("configuring {cap}: expected Unsupported, got: {other}")),
        Ok(engine) => engine,
    };
    let module = engine.compile(EMPTY_MODULE).map_err(|e| e.to_string())?;
    let instantiate_with = |limits: &mut Limits| {
        let mut env = HostEnv::new();
        env.limits(limits.clone());
        engine.instantiate(&module, env)
    };
    match cap {
        Capability::Precompile => {
            ensure_unsupported(engine.precompile(EMPTY_MODULE), "precompile")?;
            // SAFETY: an engine without precompilation must refuse before reading the bytes.
            ensure_unsupported(unsafe { engine.load_precompiled(EMPTY_MODULE) }, "load_precompiled")
        }
        Capability::Fuel => {
            ensure_unsupported(instantiate_with(Limits::new().fuel(1000)), "fuel limit")
        }
        Capability::Deadline | Capability::Interrupt => ensure_unsupported(
            instantiate_with(Limits::new().deadline(std::time::Duration::from_secs(1))),
            "deadline",
        ),
        Capability::MemoryLimit => ensure_unsupported(
            instantiate_with(Limits::new().max_memory_bytes(1 << 16)),
            "memory limit",
        ),
        Capability::TableLimit => ensure_unsupported(
            instantiate_with(Limits::new().max_table_elements(10)),
            "table limit",
        ),
        Capability::MultiResultHostFunctions => {
            let wasm = wasmux::parse(br#"(module (import "host" "pair" (func (result i32 i32))))"#)
                .map_err(|e| e.to_string())?;
            let mut env = HostEnv::new();
            env.func(HostFunc::wrap("host", "pair", |_caller, (): ()| {
                Ok::<_, HostError>((1i32, 2i32))
            }));
            ensure_unsupported(
                engine.compile(&wasm).and_then(|module| engine.instantiate(&module, env)),
                "a host function of two results",
            )
        }
        Capability::StackOverflowTrap => Err(
            "the engine cannot turn unbounded recursion into a trap: running such a guest would \
             crash the process, so this engine must not be offered for untrusted code"
                .into(),
        ),
        proposal => Err(format!(
            "the engine accepted a configuration enabling {proposal} but does not advertise it"
        )),
    }
}
