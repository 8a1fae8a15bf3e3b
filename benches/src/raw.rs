//! The engines' own APIs, used the way their documentation recommends (typed functions,
//! wasmtime's `InstancePre`), as the baseline wasmux is measured against.
//!
//! Each baseline offers the same host functions as [`crate::HostFuncs`]: `env.add` and
//! `env.touch`, the latter reaching guest memory through a handle kept in the store's data.

/// One engine's API, reduced to what the benchmarks do.
pub trait Raw {
    /// A compiled module.
    type Module: Clone;
    /// What instantiation starts from (wasmtime: an `InstancePre`; others: the module).
    type Pre;
    /// An instance with its store.
    type Instance;
    /// A typed `(i32) -> i64` export.
    type Func: Clone;
    /// The engine's name.
    const NAME: &'static str;
    /// Validates.
    fn validate(&self, wasm: &[u8]);
    /// Compiles.
    fn compile(&self, wasm: &[u8]) -> Self::Module;
    /// Compiles to an artifact, if the engine can.
    fn precompile(&self, wasm: &[u8]) -> Option<Vec<u8>>;
    /// Loads an artifact.
    fn load(&self, artifact: &[u8]) -> Self::Module;
    /// Links the host functions to the module once.
    fn pre(&self, module: &Self::Module) -> Self::Pre;
    /// A new instance in a new store.
    fn instantiate(&self, pre: &Self::Pre) -> Self::Instance;
    /// A new store with a one-page memory made by the host, and `module` instantiated in it
    /// with that memory as its import `env.memory`.
    fn instantiate_with_memory(&self, module: &Self::Module) -> Self::Instance;
    /// The export `name` as a typed function.
    fn func(&self, instance: &mut Self::Instance, name: &str) -> Self::Func;
    /// Calls it.
    fn call(&self, instance: &mut Self::Instance, func: &Self::Func, arg: i32) -> i64;
}

fn touch_cell(data: &mut [u8], ptr: i32) -> i32 {
    let at = ptr as usize;
    let cell = &mut data[at..at + 4];
    let value = i32::from_le_bytes([cell[0], cell[1], cell[2], cell[3]]).wrapping_add(1);
    cell.copy_from_slice(&value.to_le_bytes());
    value
}

/// wasmtime, on the very `wasmtime::Engine` the wasmux backend uses (same settings, same code).
pub struct RawWasmtime {
    engine: wasmtime::Engine,
    linker: wasmtime::Linker<Option<wasmtime::Memory>>,
}

impl std::fmt::Debug for RawWasmtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawWasmtime")
    }
}

impl RawWasmtime {
    /// The baseline on `engine`.
    pub fn new(engine: wasmtime::Engine) -> Self {
        let mut linker = wasmtime::Linker::new(&engine);
        linker.func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b)).expect("define add");
        linker
            .func_wrap(
                "env",
                "touch",
                |mut caller: wasmtime::Caller<'_, Option<wasmtime::Memory>>, ptr: i32| {
                    let memory = caller.data().expect("memory");
                    touch_cell(memory.data_mut(&mut caller), ptr)
                },
            )
            .expect("define touch");
        RawWasmtime { engine, linker }
    }
}

impl Raw for RawWasmtime {
    type Module = wasmtime::Module;
    type Pre = wasmtime::InstancePre<Option<wasmtime::Memory>>;
    type Instance = (wasmtime::Store<Option<wasmtime::Memory>>, wasmtime::Instance);
    type Func = wasmtime::TypedFunc<i32, i64>;
    const NAME: &'static str = "wasmtime";

    fn validate(&self, wasm: &[u8]) {
        wasmtime::Module::validate(&self.engine, wasm).expect("valid");
    }
    fn compile(&self, wasm: &[u8]) -> Self::Module {
        wasmtime::Module::new(&self.engine, wasm).expect("compiles")
    }
    fn precompile(&self, wasm: &[u8]) -> Option<Vec<u8>> {
        Some(self.engine.precompile_module(wasm).expect("precompiles"))
    }
    fn load(&self, artifact: &[u8]) -> Self::Module {
        // SAFETY: the artifact comes from `precompile` on this engine.
        unsafe { wasmtime::Module::deserialize(&self.engine, artifact) }.expect("loads")
    }
    fn pre(&self, module: &Self::Module) -> Self::Pre {
        self.linker.instantiate_pre(module).expect("links")
    }
    fn instantiate(&self, pre: &Self::Pre) -> Self::Instance {
        let mut store = wasmtime::Store::new(&self.engine, None);
        let instance = pre.instantiate(&mut store).expect("instantiates");
        let memory = instance.get_memory(&mut store, "memory");
        *store.data_mut() = memory;
        (store, instance)
    }
    fn instantiate_with_memory(&self, module: &Self::Module) -> Self::Instance {
        let mut store = wasmtime::Store::new(&self.engine, None);
        let memory =
            wasmtime::Memory::new(&mut store, wasmtime::MemoryType::new(1, None)).expect("memory");
        let mut linker = wasmtime::Linker::new(&self.engine);
        linker.define(&store, "env", "memory", memory).expect("define memory");
        let instance = linker.instantiate(&mut store, module).expect("instantiates");
        (store, instance)
    }
    fn func(&self, (store, instance): &mut Self::Instance, name: &str) -> Self::Func {
        instance.get_typed_func(store, name).expect("export")
    }
    fn call(&self, (store, _): &mut Self::Instance, func: &Self::Func, arg: i32) -> i64 {
        func.call(store, arg).expect("call")
    }
}

/// wasmer with Cranelift; each artifact is loaded into a headless engine, as wasmux does.
pub struct RawWasmer {
    engine: wasmer::Engine,
}

impl std::fmt::Debug for RawWasmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawWasmer")
    }
}

impl Default for RawWasmer {
    fn default() -> Self {
        Self::new()
    }
}

impl RawWasmer {
    /// Cranelift at its default settings.
    pub fn new() -> Self {
        let engine: wasmer::Engine =
            wasmer::sys::EngineBuilder::new(wasmer::sys::Cranelift::new()).engine().into();
        RawWasmer { engine }
    }
}

/// Host state of the wasmer baseline: the instance's memory.
#[derive(Debug, Default)]
pub struct WasmerEnv {
    memory: Option<wasmer::Memory>,
}

fn wasmer_touch(mut env: wasmer::FunctionEnvMut<'_, WasmerEnv>, ptr: i32) -> i32 {
    let (data, store) = env.data_and_store_mut();
    let view = data.memory.as_ref().expect("memory").view(&store);
    let mut cell = [0u8; 4];
    view.read(ptr as u64, &mut cell).expect("in bounds");
    let value = i32::from_le_bytes(cell).wrapping_add(1);
    view.write(ptr as u64, &value.to_le_bytes()).expect("in bounds");
    value
}

impl Raw for RawWasmer {
    type Module = (wasmer::Module, wasmer::Engine);
    type Pre = Self::Module;
    type Instance = (wasmer::Store, wasmer::Instance);
    type Func = wasmer::TypedFunction<i32, i64>;
    const NAME: &'static str = "wasmer";

    fn validate(&self, wasm: &[u8]) {
        wasmer::Module::validate(&self.engine, wasm).expect("valid");
    }
    fn compile(&self, wasm: &[u8]) -> Self::Module {
        (wasmer::Module::new(&self.engine, wasm).expect("compiles"), self.engine.clone())
    }
    fn precompile(&self, wasm: &[u8]) -> Option<Vec<u8>> {
        let module = wasmer::Module::new(&self.engine, wasm).expect("compiles");
        Some(module.serialize().expect("serializes").to_vec())
    }
    fn load(&self, artifact: &[u8]) -> Self::Module {
        // A headless engine per artifact, as wasmux loads them: a wasmer engine keeps every
        // module's code until it is dropped.
        let headless = <wasmer::Engine as wasmer::sys::NativeEngineExt>::headless();
        // SAFETY: the artifact comes from `precompile` in this process.
        let module =
            unsafe { wasmer::Module::deserialize(&headless, artifact.to_vec()) }.expect("loads");
        (module, headless)
    }
    fn pre(&self, module: &Self::Module) -> Self::Pre {
        module.clone()
    }
    fn instantiate(&self, (module, engine): &Self::Pre) -> Self::Instance {
        let mut store = wasmer::Store::new(engine.clone());
        let env = wasmer::FunctionEnv::new(&mut store, WasmerEnv::default());
        let imports = wasmer::imports! {
            "env" => {
                "add" => wasmer::Function::new_typed(&mut store, |a: i32, b: i32| a.wrapping_add(b)),
                "touch" => wasmer::Function::new_typed_with_env(&mut store, &env, wasmer_touch),
            }
        };
        let instance = wasmer::Instance::new(&mut store, module, &imports).expect("instantiates");
        env.as_mut(&mut store).memory = instance.exports.get_memory("memory").ok().cloned();
        (store, instance)
    }
    fn instantiate_with_memory(&self, (module, engine): &Self::Module) -> Self::Instance {
        let mut store = wasmer::Store::new(engine.clone());
        let memory = wasmer::Memory::new(&mut store, wasmer::MemoryType::new(1, None, false))
            .expect("memory");
        let imports = wasmer::imports! { "env" => { "memory" => memory } };
        let instance = wasmer::Instance::new(&mut store, module, &imports).expect("instantiates");
        (store, instance)
    }
    fn func(&self, (store, instance): &mut Self::Instance, name: &str) -> Self::Func {
        instance.exports.get_typed_function(store, name).expect("export")
    }
    fn call(&self, (store, _): &mut Self::Instance, func: &Self::Func, arg: i32) -> i64 {
        func.call(store, arg).expect("call")
    }
}

/// wasmi at its default settings (no fuel, lazy compilation).
pub struct RawWasmi {
    engine: wasmi::Engine,
    linker: wasmi::Linker<Option<wasmi::Memory>>,
}

impl std::fmt::Debug for RawWasmi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawWasmi")
    }
}

impl Default for RawWasmi {
    fn default() -> Self {
        Self::new()
    }
}

impl RawWasmi {
    /// The default engine.
    pub fn new() -> Self {
        let engine = wasmi::Engine::default();
        let mut linker = wasmi::Linker::new(&engine);
        linker.func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b)).expect("define add");
        linker
            .func_wrap(
                "env",
                "touch",
                |mut caller: wasmi::Caller<'_, Option<wasmi::Memory>>, ptr: i32| {
                    let memory = caller.data().expect("memory");
                    touch_cell(memory.data_mut(&mut caller), ptr)
                },
            )
            .expect("define touch");
        RawWasmi { engine, linker }
    }
}

impl Raw for RawWasmi {
    type Module = wasmi::Module;
    type Pre = wasmi::Module;
    type Instance = (wasmi::Store<Option<wasmi::Memory>>, wasmi::Instance);
    type Func = wasmi::TypedFunc<i32, i64>;
    const NAME: &'static str = "wasmi";

    fn validate(&self, wasm: &[u8]) {
        wasmi::Module::validate(&self.engine, wasm).expect("valid");
    }
    fn compile(&self, wasm: &[u8]) -> Self::Module {
        wasmi::Module::new(&self.engine, wasm).expect("compiles")
    }
    fn precompile(&self, _: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn load(&self, _: &[u8]) -> Self::Module {
        unreachable!("wasmi has no artifacts")
    }
    fn pre(&self, module: &Self::Module) -> Self::Pre {
        module.clone()
    }
    fn instantiate(&self, module: &Self::Pre) -> Self::Instance {
        let mut store = wasmi::Store::new(&self.engine, None);
        let instance = self.linker.instantiate_and_start(&mut store, module).expect("instantiates");
        let memory = instance.get_memory(&store, "memory");
        *store.data_mut() = memory;
        (store, instance)
    }
    fn instantiate_with_memory(&self, module: &Self::Module) -> Self::Instance {
        let mut store = wasmi::Store::new(&self.engine, None);
        let memory =
            wasmi::Memory::new(&mut store, wasmi::MemoryType::new(1, None)).expect("memory");
        let mut linker = wasmi::Linker::new(&self.engine);
        linker.define("env", "memory", memory).expect("define memory");
        let instance = linker.instantiate_and_start(&mut store, module).expect("instantiates");
        (store, instance)
    }
    fn func(&self, (store, instance): &mut Self::Instance, name: &str) -> Self::Func {
        instance.get_typed_func(&*store, name).expect("export")
    }
    fn call(&self, (store, _): &mut Self::Instance, func: &Self::Func, arg: i32) -> i64 {
        func.call(store, arg).expect("call")
    }
}
