//! The compiled-module cache: hits and misses, keys, damaged and foreign entries, concurrent
//! threads and processes, eviction, stats and clearing.
//!
//! Most tests use a fake engine whose "artifact" is the module sealed in wasmux's envelope, so
//! that the cache's logic is tested on every build; `real_engines_*` repeat the essentials on
//! every compiled-in engine that can precompile.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use wasmux::backend::ArtifactStamp;
use wasmux::cache::{Cache, CacheEvent, CacheKey, CacheWarning, ModuleFile};
use wasmux::{
    ArtifactProblem, Capabilities, Capability, Config, DynEngine, Engine, EngineInfo, EngineKind,
    Error, ExportInfo, Exports, Extern, ExternType, FuncType, GlobalType, HostEnv, HostState,
    Imports, Instance, InterruptHandle, MemoryType, ModuleInfo, Result, TableType, Val,
};

// ---------------------------------------------------------------------------------------------
// A fake engine: compiles nothing, "precompiles" by sealing the module in the envelope.

#[derive(Clone, Debug)]
struct FakeEngine {
    info: EngineInfo,
    stamp: ArtifactStamp,
    precompiles: Arc<AtomicUsize>,
    compiles: Arc<AtomicUsize>,
    delay: Duration,
}

#[derive(Clone, Debug)]
struct FakeModule {
    wasm: Arc<Vec<u8>>,
    info: ModuleInfo,
}

impl FakeEngine {
    fn named(name: &'static str, version: &'static str) -> Self {
        let capabilities: Capabilities = [Capability::Precompile].into_iter().collect();
        FakeEngine {
            info: EngineInfo::new(name, version, EngineKind::Aot, Some("fake"), capabilities),
            stamp: ArtifactStamp {
                engine: name,
                engine_version: version.into(),
                compat_key: "fake".into(),
            },
            precompiles: Arc::default(),
            compiles: Arc::default(),
            delay: Duration::ZERO,
        }
    }

    fn new() -> Self {
        FakeEngine::named("fake", "1.0.0")
    }

    /// The same engine and version, built with other options: its artifacts are incompatible.
    fn built(compat: &str) -> Self {
        let mut engine = FakeEngine::new();
        engine.stamp.compat_key = compat.into();
        engine
    }

    fn slow(delay: Duration) -> Self {
        FakeEngine { delay, ..FakeEngine::new() }
    }

    fn interpreter() -> Self {
        let mut engine = FakeEngine::new();
        engine.info.kind = EngineKind::Interpreter;
        engine.info.capabilities = Capabilities::none();
        engine
    }

    fn precompiles(&self) -> usize {
        self.precompiles.load(Ordering::SeqCst)
    }
}

impl Engine for FakeEngine {
    type Module = FakeModule;
    type Instance = FakeInstance;

    fn new(_config: &Config) -> Result<Self> {
        Ok(FakeEngine::new())
    }

    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn validate(&self, _wasm: &[u8]) -> Result<()> {
        Ok(())
    }

    fn compile(&self, wasm: &[u8]) -> Result<FakeModule> {
        self.compiles.fetch_add(1, Ordering::SeqCst);
        Ok(FakeModule { wasm: Arc::new(wasm.to_vec()), info: ModuleInfo::default() })
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        if !self.info.capabilities.has(Capability::Precompile) {
            return Err(Error::unsupported(self.info.name, "precompile"));
        }
        self.precompiles.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        Ok(self.stamp.seal(wasm))
    }

    fn artifact_compat(&self) -> Option<&str> {
        Some(&self.stamp.compat_key)
    }

    unsafe fn load_precompiled(&self, artifact: &[u8]) -> Result<FakeModule> {
        let wasm = self.stamp.open(artifact)?;
        Ok(FakeModule { wasm: Arc::new(wasm.to_vec()), info: ModuleInfo::default() })
    }

    fn module_info<'m>(&self, module: &'m FakeModule) -> &'m ModuleInfo {
        &module.info
    }

    fn instantiate<T: std::any::Any + Send>(
        &self,
        _module: &FakeModule,
        _env: HostEnv<T>,
    ) -> Result<FakeInstance> {
        Err(Error::unsupported(self.info.name, "instances"))
    }

    fn store<T: std::any::Any + Send>(&self, _env: HostEnv<T>) -> Result<FakeInstance> {
        Err(Error::unsupported(self.info.name, "stores"))
    }

    fn instantiate_in(
        &self,
        store: &mut FakeInstance,
        _module: &FakeModule,
        _imports: &Imports,
    ) -> Result<Exports> {
        match *store {}
    }
}

/// The fake engine makes no instances: nothing here can be called.
#[derive(Debug)]
enum FakeInstance {}

impl Instance for FakeInstance {
    type Func = ();

    fn get_func(&mut self, _name: &str) -> Result<()> {
        match *self {}
    }
    fn exports(&self) -> &[ExportInfo] {
        match *self {}
    }
    fn func_type(&self, _func: &()) -> FuncType {
        match *self {}
    }
    fn get_export(&mut self, _name: &str) -> Result<Extern> {
        match *self {}
    }
    fn instance_exports(&mut self) -> Result<Exports> {
        match *self {}
    }
    fn extern_type(&mut self, _item: Extern) -> Result<ExternType> {
        match *self {}
    }
    fn extern_func(&mut self, _item: Extern) -> Result<()> {
        match *self {}
    }
    fn new_memory(&mut self, _ty: &MemoryType) -> Result<Extern> {
        match *self {}
    }
    fn new_table(&mut self, _ty: &TableType, _init: Val) -> Result<Extern> {
        match *self {}
    }
    fn new_global(&mut self, _ty: &GlobalType, _value: Val) -> Result<Extern> {
        match *self {}
    }
    fn memory_data(&mut self, _memory: Extern) -> Result<&mut [u8]> {
        match *self {}
    }
    fn memory_grow(&mut self, _memory: Extern, _pages: u64) -> Result<u64> {
        match *self {}
    }
    fn table_size(&mut self, _table: Extern) -> Result<u64> {
        match *self {}
    }
    fn table_get(&mut self, _table: Extern, _index: u64) -> Result<Val> {
        match *self {}
    }
    fn table_set(&mut self, _table: Extern, _index: u64, _value: Val) -> Result<()> {
        match *self {}
    }
    fn table_grow(&mut self, _table: Extern, _delta: u64, _init: Val) -> Result<u64> {
        match *self {}
    }
    fn global_get(&mut self, _global: Extern) -> Result<Val> {
        match *self {}
    }
    fn global_set(&mut self, _global: Extern, _value: Val) -> Result<()> {
        match *self {}
    }
    fn call_func(&mut self, _func: &(), _params: &[Val], _results: &mut [Val]) -> Result<()> {
        match *self {}
    }
    fn memory(&mut self, _name: &str) -> Result<&mut [u8]> {
        match *self {}
    }
    fn get_global(&mut self, _name: &str) -> Result<Val> {
        match *self {}
    }
    fn set_global(&mut self, _name: &str, _value: Val) -> Result<()> {
        match *self {}
    }
    fn interrupt_handle(&self) -> InterruptHandle {
        match *self {}
    }
    fn fuel(&mut self) -> Option<u64> {
        match *self {}
    }
    fn set_fuel(&mut self, _fuel: u64) -> Result<()> {
        match *self {}
    }
    fn host_state(&mut self) -> &mut HostState {
        match *self {}
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A "module": the wasm magic and version (so it passes as binary), then `body`.
fn module(body: &str) -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend_from_slice(body.as_bytes());
    wasm
}

/// What happened during one load, in order, as short words.
#[derive(Debug, Default)]
struct Log {
    events: Vec<String>,
    warnings: Vec<String>,
}

impl Log {
    fn record(&mut self) -> impl FnMut(&CacheEvent<'_>) + '_ {
        move |event| {
            let word = match event {
                CacheEvent::Hit { .. } => "hit",
                CacheEvent::Compiling => "compiling",
                CacheEvent::Compiled { .. } => "compiled",
                CacheEvent::Stored { .. } => "stored",
                CacheEvent::Evicted(_) => "evicted",
                CacheEvent::Warning(warning) => {
                    self.warnings.push(warning.to_string());
                    match warning {
                        CacheWarning::Discarded { .. } => "discarded",
                        CacheWarning::Unreadable { .. } => "unreadable",
                        CacheWarning::Unwritable { .. } => "unwritable",
                        _ => "warning",
                    }
                }
                _ => "other",
            };
            self.events.push(word.to_string());
        }
    }
}

/// Loads `wasm` through the cache (dynamic flavour), returning the module's bytes and the events.
fn load(cache: &Cache, engine: &FakeEngine, wasm: &[u8]) -> (Vec<u8>, Log) {
    let mut log = Log::default();
    let module = cache
        .load_or_compile_static_with(engine, &Config::default(), wasm, &mut log.record())
        .expect("load_or_compile");
    (module.wasm.to_vec(), log)
}

fn entry_path(cache: &Cache, engine: &FakeEngine, config: &Config, wasm: &[u8]) -> PathBuf {
    cache.entry_path(&engine.info, &CacheKey::new(engine.as_dyn(), config, wasm))
}

/// Every file under `dir`, relative, sorted; the counters and the tag left out.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let name =
                    path.strip_prefix(base).expect("under base").to_string_lossy().into_owned();
                if !matches!(name.as_str(), "v1/hits" | "v1/misses" | "CACHEDIR.TAG") {
                    out.push(name);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn set_age(path: &Path, age: Duration) {
    let file = std::fs::File::options().write(true).open(path).expect("open entry");
    file.set_modified(SystemTime::now() - age).expect("set mtime");
}

// ---------------------------------------------------------------------------------------------
// Tests with the fake engine.

#[test]
fn the_second_load_is_a_hit_and_compiles_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    let wasm = module("hello");

    let (first, log) = load(&cache, &engine, &wasm);
    assert_eq!(first, wasm);
    assert_eq!(log.events, ["compiling", "compiled", "stored"]);
    assert_eq!(engine.precompiles(), 1);

    let (second, log) = load(&cache, &engine, &wasm);
    assert_eq!(second, wasm);
    assert_eq!(log.events, ["hit"]);
    assert_eq!(engine.precompiles(), 1, "a hit compiles nothing");
    assert_eq!(engine.compiles.load(Ordering::SeqCst), 0);

    let path = entry_path(&cache, &engine, &Config::default(), &wasm);
    assert!(path.is_file(), "{}", path.display());
    assert!(path.starts_with(dir.path().join("v1").join("fake")));
    assert_eq!(files(dir.path()).len(), 1, "{:?}", files(dir.path()));
    assert!(dir.path().join("CACHEDIR.TAG").is_file());
    // An entry is a plain artifact: the engine loads it directly.
    let artifact = std::fs::read(&path).expect("entry");
    // SAFETY: made by this engine's precompile through the cache.
    let direct = unsafe { Engine::load_precompiled(&engine, &artifact) }.expect("direct load");
    assert_eq!(*direct.wasm, wasm);

    let stats = cache.stats().expect("stats");
    assert_eq!((stats.entries, stats.hits, stats.misses), (1, 1, 1));
    assert_eq!(stats.bytes, artifact.len() as u64);
    assert_eq!(stats.max_bytes, Cache::DEFAULT_MAX_BYTES);
    assert_eq!(stats.dir, dir.path());
}

#[test]
fn the_dynamic_flavour_shares_entries_with_the_static_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    let wasm = module("dyn");
    let dyn_engine = engine.as_dyn();
    let mut log = Log::default();
    let module = cache
        .load_or_compile_with(dyn_engine, &Config::default(), &wasm, &mut log.record())
        .expect("load");
    assert_eq!(module.engine(), "fake");
    assert_eq!(log.events, ["compiling", "compiled", "stored"]);
    let (_, log) = load(&cache, &engine, &wasm);
    assert_eq!(log.events, ["hit"]);
    cache.load_or_compile(dyn_engine, &Config::default(), &wasm).expect("hit");
    assert_eq!(engine.precompiles(), 1);
    assert_eq!(cache.stats().expect("stats").hits, 2);
}

/// Loads the module file at `path` through the cache, returning the events.
fn load_file(cache: &Cache, engine: &FakeEngine, file: &ModuleFile) -> Log {
    let mut log = Log::default();
    cache
        .load_or_compile_file_with(engine.as_dyn(), &Config::default(), file, &mut log.record())
        .expect("load_or_compile_file");
    log
}

/// The remembered digests: how the cache recognises a module file without reading it.
fn digests(dir: &Path) -> Vec<String> {
    files(dir).into_iter().filter(|f| f.starts_with("v1/digests/")).collect()
}

#[test]
fn a_fresh_module_file_is_hashed_on_every_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path().join("cache"), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    let path = dir.path().join("fresh.wasm");
    std::fs::write(&path, module("fresh")).expect("write");
    let open = || ModuleFile::open(&path).expect("open");
    assert_eq!(load_file(&cache, &engine, &open()).events, ["compiling", "compiled", "stored"]);
    assert_eq!(load_file(&cache, &engine, &open()).events, ["hit"]);
    // Written a moment ago: a write within the same timestamp tick would go unseen.
    assert_eq!(digests(cache.dir()), Vec::<String>::new());
    // The file and the bytes flavours share entries.
    assert_eq!(load(&cache, &engine, &module("fresh")).1.events, ["hit"]);
}

#[cfg(unix)]
#[test]
fn a_settled_module_file_is_recognised_without_reading_it_and_any_write_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path().join("cache"), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    let path = dir.path().join("settled.wasm");
    std::fs::write(&path, module("first")).expect("write");
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime");
    // Older than the cache's settling time (2 s) for its digest to be remembered.
    std::thread::sleep(Duration::from_millis(2100));
    let open = || ModuleFile::open(&path).expect("open");
    assert_eq!(load_file(&cache, &engine, &open()).events, ["compiling", "compiled", "stored"]);
    assert_eq!(digests(cache.dir()).len(), 1, "{:?}", files(cache.dir()));

    // Emptied after being opened: the cache never reads it, the digest names the entry.
    let file = open();
    std::fs::write(&path, b"").expect("truncate");
    assert_eq!(load_file(&cache, &engine, &file).events, ["hit"]);

    // Same size, modification time set back: the change time still tells.
    std::fs::write(&path, module("other")).expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(modified))
        .expect("set mtime");
    assert_eq!(load_file(&cache, &engine, &open()).events, ["compiling", "compiled", "stored"]);
    assert_eq!(engine.precompiles(), 2);
    assert_eq!(load(&cache, &engine, &module("other")).1.events, ["hit"]);

    cache.clear().expect("clear");
    assert_eq!(digests(cache.dir()), Vec::<String>::new());
}

#[test]
fn text_and_binary_forms_of_a_module_share_an_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    let text = br#"(module (func (export "f")))"#;
    let binary = wasmux::parse(text).expect("parse").into_owned();
    let (from_text, _) = load(&cache, &engine, text);
    assert_eq!(from_text, binary, "the key and the artifact are of the binary");
    let (_, log) = load(&cache, &engine, &binary);
    assert_eq!(log.events, ["hit"]);
    let error = cache
        .load_or_compile_static(&engine, &Config::default(), b"(module (func")
        .expect_err("bad text");
    assert!(matches!(error, Error::Parse { .. }), "{error}");
}

#[test]
fn the_key_separates_modules_engines_versions_and_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let wasm = module("m");
    let mut fuel = Config::default();
    fuel.fuel(true);
    let mut no_opt = Config::default();
    no_opt.opt_level(wasmux::OptLevel::None);

    let v1 = FakeEngine::new();
    let v2 = FakeEngine::named("fake", "1.0.1");
    let other = FakeEngine::named("other", "1.0.0");
    let mut paths = Vec::new();
    for (engine, config, wasm) in [
        (&v1, &Config::default(), wasm.clone()),
        (&v1, &Config::default(), module("n")),
        (&v1, &fuel, wasm.clone()),
        (&v1, &no_opt, wasm.clone()),
        (&v2, &Config::default(), wasm.clone()),
        (&other, &Config::default(), wasm.clone()),
    ] {
        let module = cache.load_or_compile_static(engine, config, &wasm).expect("load");
        assert_eq!(*module.wasm, wasm);
        paths.push(entry_path(&cache, engine, config, &wasm));
    }
    assert_eq!(
        v1.precompiles() + v2.precompiles() + other.precompiles(),
        6,
        "every variant compiled"
    );
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 6);
    assert_eq!(cache.stats().expect("stats").entries, 6);
}

/// A way to damage an entry, and the problem the envelope should name.
type Damage = (&'static str, Box<dyn Fn(Vec<u8>) -> Vec<u8>>, ArtifactProblem);

/// Each way an entry can go bad: it is refused, deleted, rebuilt, warned about — never loaded.
/// Two programs whose engines were built with different options (say, wasmtime with and
/// without its component model) share a cache: each keeps its own entry instead of discarding
/// the other's on every start.
#[test]
fn engines_built_differently_keep_separate_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let (one, other) = (FakeEngine::built("one"), FakeEngine::built("other"));
    let wasm = module("shared");
    assert_eq!(load(&cache, &one, &wasm).1.events, ["compiling", "compiled", "stored"]);
    assert_eq!(load(&cache, &other, &wasm).1.events, ["compiling", "compiled", "stored"]);
    for _ in 0..2 {
        assert_eq!(load(&cache, &one, &wasm).1.events, ["hit"]);
        assert_eq!(load(&cache, &other, &wasm).1.events, ["hit"]);
    }
    assert_eq!(cache.stats().expect("stats").entries, 2);
}

#[test]
fn damaged_and_foreign_entries_are_discarded_and_rebuilt() {
    let wasm = module("precious");
    let foreign_engine = FakeEngine::named("other", "1.0.0").stamp.seal(&wasm);
    let other_version = FakeEngine::named("fake", "0.9.0").stamp.seal(&wasm);
    let other_settings =
        ArtifactStamp { compat_key: "fuel".into(), ..FakeEngine::new().stamp }.seal(&wasm);
    let damages: Vec<Damage> = vec![
        ("empty", Box::new(|_| Vec::new()), ArtifactProblem::Corrupt),
        ("truncated header", Box::new(|a: Vec<u8>| a[..10].to_vec()), ArtifactProblem::Corrupt),
        (
            "truncated payload",
            Box::new(|a: Vec<u8>| a[..a.len() - 1].to_vec()),
            ArtifactProblem::Corrupt,
        ),
        (
            "bit flip in the payload",
            Box::new(|mut a: Vec<u8>| {
                let last = a.len() - 1;
                a[last] ^= 0x04;
                a
            }),
            ArtifactProblem::Corrupt,
        ),
        (
            "bit flip in the engine name",
            Box::new(|mut a: Vec<u8>| {
                a[16] ^= 0x01;
                a
            }),
            ArtifactProblem::OtherEngine,
        ),
        ("garbage", Box::new(|a: Vec<u8>| vec![0x5a; a.len()]), ArtifactProblem::Corrupt),
        ("a wasm module", Box::new(|_| module("precious")), ArtifactProblem::Corrupt),
        (
            "another engine's",
            Box::new(move |_| foreign_engine.clone()),
            ArtifactProblem::OtherEngine,
        ),
        (
            "another version's",
            Box::new(move |_| other_version.clone()),
            ArtifactProblem::OtherVersion,
        ),
        (
            "other settings'",
            Box::new(move |_| other_settings.clone()),
            ArtifactProblem::Incompatible,
        ),
    ];
    for (what, damage, problem) in damages {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
        let engine = FakeEngine::new();
        load(&cache, &engine, &wasm);
        let path = entry_path(&cache, &engine, &Config::default(), &wasm);
        let good = std::fs::read(&path).expect("entry");
        std::fs::write(&path, damage(good.clone())).expect("damage");

        let mut log = Log::default();
        let mut seen = None;
        let module = cache
            .load_or_compile_static_with(&engine, &Config::default(), &wasm, &mut |event| {
                if let CacheEvent::Warning(CacheWarning::Discarded {
                    error: Error::Artifact { problem, .. },
                    ..
                }) = event
                {
                    seen = Some(*problem);
                }
                log.record()(event);
            })
            .expect("load");
        assert_eq!(*module.wasm, wasm, "{what}: the rebuilt module is the right one");
        assert_eq!(log.events, ["discarded", "compiling", "compiled", "stored"], "{what}");
        assert_eq!(seen, Some(problem), "{what}");
        assert_eq!(log.warnings.len(), 1, "{what}");
        assert!(
            log.warnings[0].starts_with("discarded cache entry"),
            "{what}: {}",
            log.warnings[0]
        );
        assert!(!log.warnings[0].contains('\n'), "one line: {}", log.warnings[0]);
        assert_eq!(engine.precompiles(), 2, "{what}: rebuilt");
        assert_eq!(
            std::fs::read(&path).expect("rebuilt entry"),
            good,
            "{what}: a valid entry again"
        );
        let (_, log) = load(&cache, &engine, &wasm);
        assert_eq!(log.events, ["hit"], "{what}");
    }
}

#[test]
fn an_unreadable_or_unwritable_cache_still_loads_and_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The cache "directory" is a file: nothing can be stored under it.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").expect("write");
    let cache = Cache::open(&blocker, Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    let wasm = module("w");
    let (loaded, log) = load(&cache, &engine, &wasm);
    assert_eq!(loaded, wasm);
    assert_eq!(log.events, ["compiling", "compiled", "unwritable"]);
    assert!(log.warnings[0].starts_with("cannot write cache entry"), "{}", log.warnings[0]);

    // An entry that is a directory cannot be read, nor replaced.
    let cache = Cache::open(dir.path().join("cache"), Cache::DEFAULT_MAX_BYTES);
    std::fs::create_dir_all(entry_path(&cache, &engine, &Config::default(), &wasm)).expect("mkdir");
    let (loaded, log) = load(&cache, &engine, &wasm);
    assert_eq!(loaded, wasm);
    assert_eq!(log.events, ["unreadable", "compiling", "compiled", "unwritable"]);
}

#[test]
fn engines_that_cannot_precompile_bypass_the_cache_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache_dir = dir.path().join("cache");
    let cache = Cache::open(&cache_dir, Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::interpreter();
    let wasm = module("interpreted");
    for _ in 0..2 {
        let (loaded, log) = load(&cache, &engine, &wasm);
        assert_eq!(loaded, wasm);
        assert_eq!(log.events, ["compiling", "compiled"]);
        assert!(log.warnings.is_empty());
    }
    assert_eq!(engine.compiles.load(Ordering::SeqCst), 2);
    assert!(!cache_dir.exists(), "nothing is written for an interpreter");
}

#[test]
fn threads_compiling_the_same_module_at_once_all_succeed_and_leave_one_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::slow(Duration::from_millis(50));
    let wasm = module(&"big module ".repeat(10_000));
    let threads = 8;
    let barrier = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let module = cache
                        .load_or_compile_static(&engine, &Config::default(), &wasm)
                        .expect("load");
                    assert_eq!(*module.wasm, wasm);
                })
            })
            .collect();
        for handle in handles {
            handle.join().expect("thread");
        }
    });
    assert!(engine.precompiles() >= 1);
    let entries = files(dir.path());
    assert_eq!(entries.len(), 1, "one entry, no temporary files: {entries:?}");
    let stats = cache.stats().expect("stats");
    assert_eq!(stats.hits + stats.misses, threads as u64, "every load counted once");
    let (_, log) = load(&cache, &engine, &wasm);
    assert_eq!(log.events, ["hit"], "the entry left is valid");
}

const CHILD_ENV: &str = "WASMUX_CACHE_TEST_CHILD_DIR";

/// Run by [`processes_compiling_the_same_module_at_once_all_succeed_and_leave_one_entry`] in
/// child processes; does nothing when run as a test on its own.
#[test]
fn child_process_loads_through_the_cache() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let cache = Cache::open(PathBuf::from(dir), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::slow(Duration::from_millis(100));
    let wasm = module(&"shared module ".repeat(50_000));
    let mut log = Log::default();
    let module = cache
        .load_or_compile_static_with(&engine, &Config::default(), &wasm, &mut log.record())
        .expect("load in child");
    assert_eq!(*module.wasm, wasm);
    assert!(log.warnings.is_empty(), "{:?}", log.warnings);
    println!("child loaded: {}", log.events.join(","));
}

#[test]
fn processes_compiling_the_same_module_at_once_all_succeed_and_leave_one_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "child_process_loads_through_the_cache",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let mut compiled = 0;
    for child in children {
        let output = child.wait_with_output().expect("child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("child loaded: "), "the child ran: {stdout}");
        compiled += usize::from(stdout.contains("child loaded: compiling"));
    }
    assert!(compiled >= 1);
    let entries = files(dir.path());
    assert_eq!(entries.len(), 1, "one entry, no temporary files: {entries:?}");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let stats = cache.stats().expect("stats");
    assert_eq!(stats.hits + stats.misses, 6, "{stats:?}");
    let engine = FakeEngine::new();
    let (_, log) = load(&cache, &engine, &module(&"shared module ".repeat(50_000)));
    assert_eq!(log.events, ["hit"], "the entry left is valid");
}

#[test]
fn the_least_recently_used_entries_are_evicted_beyond_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = FakeEngine::new();
    let [a, b, c] = ["a", "b", "c"].map(|name| module(&name.repeat(1000)));
    let entry_size = engine.stamp.seal(&a).len() as u64;
    // Room for two entries, not three.
    let cache = Cache::open(dir.path(), entry_size * 2 + entry_size / 2);
    load(&cache, &engine, &a);
    load(&cache, &engine, &b);
    let path = |wasm: &[u8]| entry_path(&cache, &engine, &Config::default(), wasm);
    set_age(&path(&a), Duration::from_secs(7200));
    set_age(&path(&b), Duration::from_secs(3600));
    // Using `a` makes it the most recently used: `b` is now the oldest.
    let (_, log) = load(&cache, &engine, &a);
    assert_eq!(log.events, ["hit"]);
    let (_, log) = load(&cache, &engine, &c);
    assert_eq!(log.events, ["compiling", "compiled", "stored", "evicted"]);
    assert!(path(&a).is_file(), "recently used: kept");
    assert!(!path(&b).exists(), "least recently used: evicted");
    assert!(path(&c).is_file(), "just stored: kept");
    let stats = cache.stats().expect("stats");
    assert_eq!((stats.entries, stats.bytes), (2, entry_size * 2));

    // Lowering the limit and trimming keeps the newest.
    set_age(&path(&a), Duration::from_secs(60 * 60 * 24));
    let smaller = Cache::open(dir.path(), entry_size);
    let removed = smaller.trim().expect("trim");
    assert_eq!((removed.entries, removed.bytes), (1, entry_size));
    assert!(!path(&a).exists() && path(&c).is_file());
}

#[test]
fn an_artifact_larger_than_the_whole_cache_is_not_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), 100);
    let engine = FakeEngine::new();
    let wasm = module(&"x".repeat(1000));
    let (loaded, log) = load(&cache, &engine, &wasm);
    assert_eq!(loaded, wasm);
    assert_eq!(log.events, ["compiling", "compiled"]);
    assert!(files(dir.path()).is_empty());
}

#[test]
fn clear_deletes_entries_and_counters_but_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    for name in ["one", "two", "three"] {
        load(&cache, &engine, &module(name));
    }
    load(&cache, &engine, &module("one"));
    // Someone's files in the directory they chose, some looking a lot like ours.
    std::fs::write(dir.path().join("notes.txt"), b"mine").expect("write");
    std::fs::write(dir.path().join("v1").join("fake").join("keep.cwasm"), b"mine").expect("write");
    let stats = cache.stats().expect("stats");
    assert_eq!((stats.entries, stats.hits, stats.misses), (3, 1, 3));

    let removed = cache.clear().expect("clear");
    assert_eq!(removed.entries, 3);
    assert_eq!(removed.bytes, stats.bytes);
    let stats = cache.stats().expect("stats");
    assert_eq!((stats.entries, stats.bytes, stats.hits, stats.misses), (0, 0, 0, 0));
    assert_eq!(files(dir.path()), ["notes.txt", "v1/fake/keep.cwasm"]);
    // Clearing or asking about a cache that was never written is fine.
    let empty = Cache::open(dir.path().join("never"), 1);
    assert_eq!(empty.clear().expect("clear").entries, 0);
    assert_eq!(empty.stats().expect("stats").entries, 0);
}

#[test]
fn the_default_directory_follows_the_environment() {
    // Only reads the environment: setting it would race other tests' threads.
    match std::env::var_os(wasmux::cache::CACHE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => assert_eq!(Cache::default_dir(), Some(PathBuf::from(dir))),
        _ => {
            if let Some(platform) = dirs_like_cache_dir() {
                assert_eq!(Cache::default_dir(), Some(platform.join("wasmux")));
            }
        }
    }
    if let Some(cache) = Cache::from_env() {
        assert_eq!(cache.max_bytes(), Cache::DEFAULT_MAX_BYTES);
    }
}

/// `~/.cache` on Linux unless `XDG_CACHE_HOME` moves it (what the `dirs` crate does).
fn dirs_like_cache_dir() -> Option<PathBuf> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if Path::new(&dir).is_absolute() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")),
    }
}

// ---------------------------------------------------------------------------------------------
// The same on the real engines compiled in.

const FIB: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_s
    if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end))"#;

fn call_fib(engine: &dyn DynEngine, module: &wasmux::DynModule) -> Vec<Val> {
    let mut instance = engine.instantiate(module, HostEnv::new()).expect("instantiate");
    instance.call("fib", &[Val::I32(10)]).expect("call")
}

#[test]
fn real_engines_hit_refuse_damage_and_rebuild() {
    let mut tested = Vec::new();
    for backend in wasmux::engines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
        let config = Config::default();
        let engine = wasmux::engine(backend, &config).expect("engine");
        let precompiles = engine.info().capabilities.has(Capability::Precompile);
        let mut log = Log::default();
        let module = cache
            .load_or_compile_with(engine.as_ref(), &config, FIB.as_bytes(), &mut log.record())
            .expect("first load");
        assert_eq!(call_fib(engine.as_ref(), &module), [Val::I32(55)], "{backend}");
        if !precompiles {
            assert_eq!(log.events, ["compiling", "compiled"], "{backend}");
            assert!(files(dir.path()).is_empty(), "{backend}: nothing stored");
            continue;
        }
        tested.push(backend);
        assert_eq!(log.events, ["compiling", "compiled", "stored"], "{backend}");

        let mut log = Log::default();
        let module = cache
            .load_or_compile_with(engine.as_ref(), &config, FIB.as_bytes(), &mut log.record())
            .expect("second load");
        assert_eq!(log.events, ["hit"], "{backend}");
        assert_eq!(call_fib(engine.as_ref(), &module), [Val::I32(55)], "{backend}");

        // Another configuration is another entry, and runs as configured.
        let mut fuel = Config::default();
        fuel.fuel(true);
        let fuel_engine = wasmux::engine(backend, &fuel).expect("engine with fuel");
        let mut log = Log::default();
        cache
            .load_or_compile_with(fuel_engine.as_ref(), &fuel, FIB.as_bytes(), &mut log.record())
            .expect("fuel");
        assert_eq!(
            log.events,
            ["compiling", "compiled", "stored"],
            "{backend}: fuel is another key"
        );
        assert_eq!(cache.stats().expect("stats").entries, 2, "{backend}");

        // Damage every entry: each is refused by the engine, deleted and rebuilt.
        let binary = wasmux::parse(FIB.as_bytes()).expect("parse");
        let path =
            cache.entry_path(engine.info(), &CacheKey::new(engine.as_ref(), &config, &binary));
        let mut bytes = std::fs::read(&path).expect("entry");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x20;
        std::fs::write(&path, &bytes).expect("damage");
        let mut log = Log::default();
        let module = cache
            .load_or_compile_with(engine.as_ref(), &config, FIB.as_bytes(), &mut log.record())
            .expect("load after damage");
        assert_eq!(
            log.events,
            ["discarded", "compiling", "compiled", "stored"],
            "{backend}: {:?}",
            log.warnings
        );
        assert!(log.warnings[0].contains("checksum"), "{backend}: {}", log.warnings[0]);
        assert_eq!(call_fib(engine.as_ref(), &module), [Val::I32(55)], "{backend}");

        // An entry of another engine's at this path is refused too.
        if let Some(other) = wasmux::engines().into_iter().find(|b| *b != backend) {
            let other = wasmux::engine(other, &config).expect("other engine");
            if let Ok(artifact) = other.precompile(&binary) {
                std::fs::write(&path, artifact).expect("swap");
                let mut log = Log::default();
                cache
                    .load_or_compile_with(
                        engine.as_ref(),
                        &config,
                        FIB.as_bytes(),
                        &mut log.record(),
                    )
                    .expect("load after swap");
                assert_eq!(log.events[0], "discarded", "{backend}");
                assert!(
                    log.warnings[0].contains("another engine"),
                    "{backend}: {}",
                    log.warnings[0]
                );
            }
        }

        // Invalid modules fail as compiling would, and store nothing.
        let before = cache.stats().expect("stats").entries;
        let error = cache
            .load_or_compile(engine.as_ref(), &config, b"\0asm\x01\0\0\0\x01\xff\xff")
            .expect_err("invalid module");
        assert!(matches!(error, Error::Compile { .. }), "{backend}: {error}");
        assert_eq!(cache.stats().expect("stats").entries, before);
    }
    eprintln!("real engines tested with the cache: {tested:?}");
}

#[test]
fn real_engines_share_entries_across_threads() {
    for backend in wasmux::engines() {
        let config = Config::default();
        let engine = wasmux::engine(backend, &config).expect("engine");
        if !engine.info().capabilities.has(Capability::Precompile) {
            continue;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
        let barrier = Barrier::new(4);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    barrier.wait();
                    let module = cache
                        .load_or_compile(engine.as_ref(), &config, FIB.as_bytes())
                        .expect("load");
                    assert_eq!(call_fib(engine.as_ref(), &module), [Val::I32(55)], "{backend}");
                });
            }
        });
        assert_eq!(files(dir.path()).len(), 1, "{backend}: {:?}", files(dir.path()));
    }
}

#[test]
fn temporary_files_of_crashed_writers_are_cleaned_up_in_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::open(dir.path(), Cache::DEFAULT_MAX_BYTES);
    let engine = FakeEngine::new();
    load(&cache, &engine, &module("first"));
    let engine_dir = dir.path().join("v1").join("fake");
    let stale = engine_dir.join(".tmp-crashed.partial");
    let fresh = engine_dir.join(".tmp-writing.partial");
    std::fs::write(&stale, b"half an artifact").expect("write");
    std::fs::write(&fresh, b"being written").expect("write");
    set_age(&stale, Duration::from_secs(2 * 3600));
    // Temporary files are not entries.
    let stats = cache.stats().expect("stats");
    assert_eq!(stats.entries, 1);
    // Storing the next entry sweeps what a crash left, not what another process is writing.
    load(&cache, &engine, &module("second"));
    assert!(!stale.exists(), "stale temporary file removed");
    assert!(fresh.exists(), "a temporary file in progress is left alone");
    cache.clear().expect("clear");
    assert!(!fresh.exists(), "clear removes every temporary file");
}
