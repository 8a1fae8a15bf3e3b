//! A conformance case and the context it runs in.

use std::any::Any;
use std::fmt::Debug;

use wasmux_core::{Capability, Config, Engine, Error, HostEnv, TrapCode};

/// What a case returns: `Err` explains the failure.
pub type Outcome = Result<(), String>;

/// One engine-independent check.
pub struct Case<E: Engine> {
    /// The group, e.g. `traps`.
    pub group: &'static str,
    /// The case's name within its group.
    pub name: &'static str,
    /// Capabilities the case needs; the engine is configured to provide them if it can.
    pub requires: &'static [Capability],
    /// Further configuration the case needs.
    pub configure: fn(&mut Config),
    /// The check itself.
    pub run: fn(&Ctx<'_, E>) -> Outcome,
}

impl<E: Engine> Debug for Case<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Case({}/{})", self.group, self.name)
    }
}

impl<E: Engine> Case<E> {
    /// A case needing nothing special.
    pub fn new(group: &'static str, name: &'static str, run: fn(&Ctx<'_, E>) -> Outcome) -> Self {
        Case { group, name, requires: &[], configure: |_| {}, run }
    }

    /// Declares the capabilities the case needs.
    pub fn requires(mut self, caps: &'static [Capability]) -> Self {
        self.requires = caps;
        self
    }

    /// Adds configuration.
    pub fn configure(mut self, configure: fn(&mut Config)) -> Self {
        self.configure = configure;
        self
    }

    /// The configuration the case runs with: the engine's base configuration, every required
    /// capability turned on, then the case's own settings.
    pub fn config(&self, base: &Config) -> Config {
        let mut config = base.clone();
        for cap in self.requires {
            enable(&mut config, *cap);
        }
        (self.configure)(&mut config);
        config
    }
}

/// Turns on what `cap` needs in a configuration.
pub(crate) fn enable(config: &mut Config, cap: Capability) {
    match cap {
        Capability::Fuel => config.fuel = true,
        Capability::Deadline | Capability::Interrupt => config.interruptible = true,
        _ => {
            config.features.set(cap, true);
        }
    }
}

/// What a running case has: its engine, configured as the case asked.
#[derive(Debug)]
pub struct Ctx<'a, E: Engine> {
    /// The engine.
    pub engine: &'a E,
    /// The configuration it was built with.
    pub config: &'a Config,
}

impl<E: Engine> Ctx<'_, E> {
    /// Compiles a module written in WebAssembly text.
    pub fn compile(&self, wat: &str) -> Result<E::Module, String> {
        let wasm = wasmux::parse(wat.as_bytes()).map_err(|e| e.to_string())?;
        self.engine.compile(&wasm).map_err(|e| format!("compile failed: {e}"))
    }

    /// Compiles and instantiates a module written in text.
    pub fn instantiate<T: Any + Send>(
        &self,
        wat: &str,
        env: HostEnv<T>,
    ) -> Result<E::Instance, String> {
        let module = self.compile(wat)?;
        self.engine.instantiate(&module, env).map_err(|e| format!("instantiate failed: {e}"))
    }

    /// A new engine of the same configuration, for cases that must not share one.
    pub fn fresh_engine(&self) -> Result<E, String> {
        E::new(self.config).map_err(|e| e.to_string())
    }
}

/// Fails unless `actual == expected`.
pub fn ensure_eq<T: PartialEq + Debug>(actual: T, expected: T, what: &str) -> Outcome {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {actual:?}"))
    }
}

/// Fails unless `result` is a trap with `code`.
pub fn ensure_trap<T: Debug>(result: Result<T, Error>, code: TrapCode) -> Outcome {
    match result {
        Err(Error::Trap(trap)) if trap.code == code => Ok(()),
        other => Err(format!("expected a `{code}` trap, got {other:?}")),
    }
}

/// Fails unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

/// Converts an unexpected wasmux error into a failure.
pub fn ok<T>(result: Result<T, Error>, what: &str) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {e}"))
}
