//! Helpers shared by the test files (each includes this module).
#![allow(dead_code)]

use wasmux_core::{Config, Engine, HostEnv, Result};
use wasmux_wasmer::{WasmerEngine, WasmerInstance, WasmerModule};

/// The default configuration: every proposal the default compiler implements.
pub fn config() -> Config {
    Config::default()
}

/// The default configuration on Singlepass.
pub fn singlepass_config() -> Config {
    let mut config = config();
    config.compiler = wasmux_core::Compiler::Singlepass;
    config
}

pub fn engine() -> WasmerEngine {
    WasmerEngine::new(&config()).expect("default engine")
}

pub fn engine_with(edit: impl FnOnce(&mut Config)) -> WasmerEngine {
    let mut config = config();
    edit(&mut config);
    WasmerEngine::new(&config).expect("engine")
}

pub fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).expect("valid WAT")
}

pub fn compile(engine: &WasmerEngine, wat: &str) -> WasmerModule {
    engine.compile(&wasm(wat)).expect("compiles")
}

pub fn instantiate(engine: &WasmerEngine, wat: &str, env: HostEnv) -> Result<WasmerInstance> {
    engine.instantiate(&compile(engine, wat), env)
}
