//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use wasmux_core::{Config, Engine, HostEnv};
use wasmux_wasmtime::{WasmtimeEngine, WasmtimeInstance, WasmtimeModule};

/// Binary wasm from text.
pub fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

/// An engine with the default configuration.
pub fn engine() -> WasmtimeEngine {
    WasmtimeEngine::new(&Config::default()).unwrap()
}

/// An engine with `config`.
pub fn engine_with(config: &Config) -> WasmtimeEngine {
    WasmtimeEngine::new(config).unwrap()
}

/// Compiles `text`.
pub fn module(engine: &WasmtimeEngine, text: &str) -> WasmtimeModule {
    engine.compile(&wasm(text)).unwrap()
}

/// Compiles and instantiates `text` with no imports or limits.
pub fn instance(engine: &WasmtimeEngine, text: &str) -> WasmtimeInstance {
    engine.instantiate(&module(engine, text), HostEnv::new()).unwrap()
}
