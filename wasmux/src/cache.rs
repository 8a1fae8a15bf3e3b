//! A cache of compiled modules on disk: compile once, start fast everywhere.
//!
//! [`Cache::load_or_compile`] looks a module up by a [`CacheKey`] — the module's SHA-256, the
//! engine's name and exact version, the [`Config`] and the host's CPU — and loads the artifact
//! stored under it; if there is none, it precompiles the module, stores the artifact and loads
//! that. The second start of the same module skips compilation entirely.
//! [`Cache::load_or_compile_file`] does the same for a [`ModuleFile`], and a start of a file
//! unchanged since an earlier run skips reading and hashing it too.
//!
//! ```
//! # fn main() -> wasmux::Result<()> {
//! use wasmux::cache::Cache;
//!
//! # let Some(backend) = wasmux::engines().first().copied() else { return Ok(()) };
//! # let dir = std::env::temp_dir().join(format!("wasmux-cache-doctest-{}", std::process::id()));
//! let config = wasmux::Config::default();
//! let engine = wasmux::engine(backend, &config)?;
//! let cache = Cache::open(&dir, Cache::DEFAULT_MAX_BYTES); // or Cache::from_env()
//! let wasm = br#"(module (func (export "answer") (result i32) i32.const 42))"#;
//! let module = cache.load_or_compile(engine.as_ref(), &config, wasm)?; // compiles and stores
//! let module = cache.load_or_compile(engine.as_ref(), &config, wasm)?; // loads, if it can
//! let mut instance = engine.instantiate(&module, wasmux::HostEnv::new())?;
//! assert_eq!(instance.call("answer", &[])?, [wasmux::Val::I32(42)]);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//! - **Concurrency.** Any number of threads and processes may share a directory. An entry is
//!   written to a temporary file beside it and renamed into place, so a reader sees a whole
//!   entry or none; processes that compile the same module at once all succeed and leave one
//!   entry. No locks are taken, so a crashed process can never wedge the cache.
//! - **Faults.** Every entry is an artifact in wasmux's envelope
//!   ([`ArtifactStamp`](crate::backend::ArtifactStamp)): a truncated or bit-flipped entry, or one made by
//!   another engine, version or configuration, is refused by
//!   [`load_precompiled`](crate::Engine::load_precompiled) before any code is mapped. Such an entry is
//!   deleted and rebuilt, with a [`CacheWarning`] (logged with `tracing::warn!` and passed to
//!   the caller's event callback). Cache trouble never fails a load: an unreadable or
//!   unwritable cache only costs a compilation.
//! - **Bounded.** The entries total at most `max_bytes`; storing an entry evicts the least
//!   recently used ones (by file modification time, refreshed on use). An artifact larger than
//!   the limit is not stored.
//! - **Engines that cannot precompile** (wasmi) bypass the cache: they compile, store nothing
//!   and warn about nothing.
//!
//! An entry is exactly the artifact `precompile` made, so it is also a valid artifact for
//! [`crate::load`] and `wasmux run --allow-precompiled`.
//!
//! # Trust
//! Entries hold native code that runs unchecked. The envelope catches accidental damage, not
//! forgery: the cache directory must be writable only by its user. The cache creates its
//! directories private to the user (mode 0700 on Unix).

mod digests;
mod key;
mod module_file;
mod store;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use key::CacheKey;
pub use module_file::ModuleFile;

use crate::{Capability, Config, DynEngine, DynModule, Engine, EngineInfo, Error, Result};

/// The environment variable that moves the default cache directory.
pub const CACHE_DIR_ENV: &str = "WASMUX_CACHE_DIR";

/// A directory of compiled modules, bounded in size. Cheap to clone; holds no open files.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    /// `dir` plus the layout version: where entries and counters live.
    root: PathBuf,
    max_bytes: u64,
}

/// What the cache holds, as of a [`Cache::stats`] call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStats {
    /// The cache directory.
    pub dir: PathBuf,
    /// Stored modules.
    pub entries: u64,
    /// Their total size.
    pub bytes: u64,
    /// The size limit of this [`Cache`] handle.
    pub max_bytes: u64,
    /// Loads served from the cache since it was last cleared, by every process.
    pub hits: u64,
    /// Loads that had to compile since it was last cleared, by every process.
    pub misses: u64,
}

/// What [`Cache::clear`] or [`Cache::trim`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Entries deleted.
    pub entries: u64,
    /// Bytes freed.
    pub bytes: u64,
}

/// What happened during a [`Cache::load_or_compile_with`], for progress display and logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum CacheEvent<'a> {
    /// The module was loaded from this entry; nothing was compiled.
    Hit {
        /// The entry.
        path: &'a Path,
    },
    /// Compilation starts: the cache had no usable entry, or the engine cannot precompile.
    Compiling,
    /// Compilation finished successfully.
    Compiled {
        /// How long it took.
        elapsed: Duration,
    },
    /// The compiled module was stored.
    Stored {
        /// The new entry.
        path: &'a Path,
        /// Its size.
        bytes: u64,
    },
    /// Least recently used entries were evicted to keep within the size limit.
    Evicted(Removed),
    /// Something went wrong that the cache recovered from; worth telling the user.
    Warning(&'a CacheWarning),
}

/// A problem the cache recovered from. Its `Display` is one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum CacheWarning {
    /// An entry was refused — damaged, or made by another engine, version or configuration — and
    /// deleted; the module is compiled again.
    Discarded {
        /// The entry.
        path: PathBuf,
        /// Why it was refused (usually [`Error::Artifact`]).
        error: Error,
    },
    /// An entry could not be read; the module is compiled again.
    Unreadable {
        /// The entry.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// The compiled module could not be stored; it is used all the same.
    Unwritable {
        /// The entry that was to be written.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// Evicting old entries failed; the cache may stay over its size limit.
    Untrimmed {
        /// The cache directory.
        dir: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
}

impl fmt::Display for CacheWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheWarning::Discarded { path, error } => {
                write!(f, "discarded cache entry {}: {error}; recompiling", path.display())
            }
            CacheWarning::Unreadable { path, error } => {
                write!(f, "cannot read cache entry {}: {error}; recompiling", path.display())
            }
            CacheWarning::Unwritable { path, error } => {
                write!(f, "cannot write cache entry {}: {error}", path.display())
            }
            CacheWarning::Untrimmed { dir, error } => {
                write!(f, "cannot evict old entries from cache {}: {error}", dir.display())
            }
        }
    }
}

impl Cache {
    /// The default size limit: 1 GiB.
    pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

    /// A cache in `dir` whose entries total at most `max_bytes`. Touches nothing on disk:
    /// directories are created when the first entry is stored.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Cache {
        let dir = dir.into();
        let root = dir.join(key::LAYOUT);
        Cache { dir, root, max_bytes }
    }

    /// The cache in [`Cache::default_dir`] with [`Cache::DEFAULT_MAX_BYTES`]; `None` if the
    /// platform has no cache directory and `WASMUX_CACHE_DIR` is not set.
    pub fn from_env() -> Option<Cache> {
        Cache::default_dir().map(|dir| Cache::open(dir, Cache::DEFAULT_MAX_BYTES))
    }

    /// `$WASMUX_CACHE_DIR` if set and not empty; else `wasmux` in the platform's cache directory
    /// (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
    /// `%LOCALAPPDATA%` on Windows).
    pub fn default_dir() -> Option<PathBuf> {
        match std::env::var_os(CACHE_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
            _ => dirs::cache_dir().map(|dir| dir.join("wasmux")),
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The size limit.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Where the entry for `key` on `engine` is stored (whether or not it exists).
    pub fn entry_path(&self, engine: &EngineInfo, key: &CacheKey) -> PathBuf {
        let engine_dir: String = engine
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        self.root.join(engine_dir).join(format!("{key}.{}", store::ENTRY_EXTENSION))
    }

    /// The module `wasm` (binary or text) compiled by `engine`, which was built with `config`:
    /// loaded from the cache if it is there, else compiled and stored.
    ///
    /// Fails only as compiling would: with [`Error::Parse`] or [`Error::Compile`] for an
    /// invalid module. Cache trouble is logged and recovered from.
    pub fn load_or_compile(
        &self,
        engine: &dyn DynEngine,
        config: &Config,
        wasm: &[u8],
    ) -> Result<DynModule> {
        self.load_or_compile_with(engine, config, wasm, &mut |_| {})
    }

    /// As [`load_or_compile`](Self::load_or_compile), telling `on_event` what happens: to show
    /// progress while compiling, or to pass [`CacheWarning`]s on to the user.
    pub fn load_or_compile_with(
        &self,
        engine: &dyn DynEngine,
        config: &Config,
        wasm: &[u8],
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Result<DynModule> {
        self.get(engine, config, wasm, on_event)
    }

    /// As [`load_or_compile`](Self::load_or_compile), for an engine type known statically.
    pub fn load_or_compile_static<E: Engine>(
        &self,
        engine: &E,
        config: &Config,
        wasm: &[u8],
    ) -> Result<E::Module> {
        self.get(&Static(engine), config, wasm, &mut |_| {})
    }

    /// As [`load_or_compile_with`](Self::load_or_compile_with), for an engine type known
    /// statically.
    pub fn load_or_compile_static_with<E: Engine>(
        &self,
        engine: &E,
        config: &Config,
        wasm: &[u8],
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Result<E::Module> {
        self.get(&Static(engine), config, wasm, on_event)
    }

    /// As [`load_or_compile_with`](Self::load_or_compile_with), for a module file: a cached
    /// start of a file unchanged since an earlier run neither reads nor hashes it.
    ///
    /// The module's SHA-256 is remembered by the file's identity: device, inode, size, and
    /// modification and change times to the nanosecond (on Unix; elsewhere the file is always
    /// hashed). Any write to the file changes its change time, so the module is hashed again.
    pub fn load_or_compile_file_with(
        &self,
        engine: &dyn DynEngine,
        config: &Config,
        file: &ModuleFile,
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Result<DynModule> {
        self.get_file(engine, config, file, on_event)
    }

    /// As [`load_or_compile_file_with`](Self::load_or_compile_file_with), without events.
    pub fn load_or_compile_file(
        &self,
        engine: &dyn DynEngine,
        config: &Config,
        file: &ModuleFile,
    ) -> Result<DynModule> {
        self.get_file(engine, config, file, &mut |_| {})
    }

    /// Counts the entries and their size, and the hits and misses since the last clear.
    pub fn stats(&self) -> Result<CacheStats> {
        let scan = store::scan(&self.root).map_err(|e| self.io_error("cannot read", e))?;
        Ok(CacheStats {
            dir: self.dir.clone(),
            entries: scan.entries.len() as u64,
            bytes: scan.entries.iter().map(|e| e.bytes).sum(),
            max_bytes: self.max_bytes,
            hits: store::Counter::Hits.read(&self.root),
            misses: store::Counter::Misses.read(&self.root),
        })
    }

    /// Deletes every entry and resets the counters. Deletes only files the cache made, never
    /// anything else in the directory.
    pub fn clear(&self) -> Result<Removed> {
        let removed = store::clear(&self.root).map_err(|e| self.io_error("cannot clear", e))?;
        digests::clear(&self.root);
        Ok(Removed { entries: removed.entries, bytes: removed.bytes })
    }

    /// Evicts least recently used entries until the cache is within its size limit (storing
    /// an entry does this by itself; this is for a limit that was lowered).
    pub fn trim(&self) -> Result<Removed> {
        let removed = store::trim(&self.root, self.max_bytes, None)
            .map_err(|e| self.io_error("cannot trim", e))?;
        Ok(Removed { entries: removed.entries, bytes: removed.bytes })
    }

    fn io_error(&self, what: &str, error: io::Error) -> Error {
        Error::io(format!("{what} cache {}", self.dir.display()), error)
    }

    fn get<T: Target + ?Sized>(
        &self,
        target: &T,
        config: &Config,
        wasm: &[u8],
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Result<T::Module> {
        let wasm = crate::parse(wasm)?;
        let info = target.info();
        if !info.capabilities.has(Capability::Precompile) {
            return compile(target, &wasm, on_event);
        }
        let key = target.key(config, &key::module_digest(&wasm));
        if let Some(module) = self.lookup(target, &key, on_event) {
            return Ok(module);
        }
        self.compile_and_store(target, &key, &wasm, on_event)
    }

    fn get_file<T: Target + ?Sized>(
        &self,
        target: &T,
        config: &Config,
        file: &ModuleFile,
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Result<T::Module> {
        let read = || {
            file.bytes().map_err(|e| Error::io(format!("cannot read {}", file.path().display()), e))
        };
        let info = target.info();
        if !info.capabilities.has(Capability::Precompile) {
            return compile(target, &crate::parse(read()?)?, on_event);
        }
        let remembered = file.stamp().and_then(|stamp| digests::recall(&self.root, stamp));
        if let Some(digest) = &remembered {
            let key = target.key(config, digest);
            if let Some(module) = self.lookup(target, &key, on_event) {
                return Ok(module);
            }
        }
        let wasm = crate::parse(read()?)?;
        let digest = key::module_digest(&wasm);
        if let Some(stamp) = file.stamp().filter(|_| file.unchanged()) {
            digests::remember(&self.dir, &self.root, stamp, &digest, std::time::SystemTime::now());
        }
        let key = target.key(config, &digest);
        // Not looked up yet (no digest remembered, or a stale one): another process or an
        // earlier run of this content under another path may have stored it.
        if remembered != Some(digest)
            && let Some(module) = self.lookup(target, &key, on_event)
        {
            return Ok(module);
        }
        self.compile_and_store(target, &key, &wasm, on_event)
    }

    /// The module stored under `key`, if there is a usable entry; a damaged one is deleted.
    fn lookup<T: Target + ?Sized>(
        &self,
        target: &T,
        key: &CacheKey,
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Option<T::Module> {
        let path = self.entry_path(target.info(), key);
        let _span = tracing::debug_span!("cache", engine = target.info().name, %key).entered();
        match store::read_entry(&path) {
            Ok(Some(artifact)) => {
                // SAFETY: entries are written only by `store` below, from this engine's
                // `precompile`, in a directory private to the user (see the module's "Trust").
                // Damage and entries of other engines, versions or settings are refused by
                // the envelope's header and checksum before anything is mapped.
                match unsafe { target.load(&artifact) } {
                    Ok(module) => {
                        store::Counter::Hits.bump(&self.root);
                        tracing::debug!(path = %path.display(), "cache hit");
                        on_event(&CacheEvent::Hit { path: &path });
                        return Some(module);
                    }
                    Err(error) => {
                        // Another process may have just replaced it with a good entry: then
                        // that one is rebuilt too, which costs time, not correctness.
                        let _ = std::fs::remove_file(&path);
                        warn(&CacheWarning::Discarded { path: path.clone(), error }, on_event);
                    }
                }
            }
            Ok(None) => {}
            Err(error) => warn(&CacheWarning::Unreadable { path: path.clone(), error }, on_event),
        }
        None
    }

    /// Compiles the binary module `wasm`, stores its artifact under `key` and loads it.
    fn compile_and_store<T: Target + ?Sized>(
        &self,
        target: &T,
        key: &CacheKey,
        wasm: &[u8],
        on_event: &mut dyn FnMut(&CacheEvent<'_>),
    ) -> Result<T::Module> {
        let path = self.entry_path(target.info(), key);
        let _span = tracing::debug_span!("cache", engine = target.info().name, %key).entered();
        store::Counter::Misses.bump(&self.root);
        tracing::debug!(path = %path.display(), "cache miss");
        on_event(&CacheEvent::Compiling);
        let start = Instant::now();
        let artifact = match target.precompile(wasm) {
            Ok(artifact) => artifact,
            // This configuration cannot be precompiled after all: run uncached.
            Err(Error::Unsupported { .. }) => {
                let module = target.compile(wasm)?;
                on_event(&CacheEvent::Compiled { elapsed: start.elapsed() });
                return Ok(module);
            }
            Err(error) => return Err(error),
        };
        on_event(&CacheEvent::Compiled { elapsed: start.elapsed() });
        self.store(&path, &artifact, on_event);
        // SAFETY: this engine made the artifact a moment ago.
        match unsafe { target.load(&artifact) } {
            Ok(module) => Ok(module),
            Err(error) => {
                // An engine that cannot load its own artifact: keep it out of the cache.
                tracing::warn!(%error, "cannot load a freshly compiled artifact; compiling directly");
                let _ = std::fs::remove_file(&path);
                target.compile(wasm)
            }
        }
    }

    fn store(&self, path: &Path, artifact: &[u8], on_event: &mut dyn FnMut(&CacheEvent<'_>)) {
        let bytes = artifact.len() as u64;
        if bytes > self.max_bytes {
            tracing::debug!(
                bytes,
                max_bytes = self.max_bytes,
                "artifact larger than the cache: not stored"
            );
            return;
        }
        if let Err(error) = store::write_entry(&self.dir, path, artifact) {
            warn(&CacheWarning::Unwritable { path: path.to_path_buf(), error }, on_event);
            return;
        }
        on_event(&CacheEvent::Stored { path, bytes });
        match store::trim(&self.root, self.max_bytes, Some(path)) {
            Ok(removed) if removed.entries > 0 => {
                tracing::debug!(entries = removed.entries, bytes = removed.bytes, "evicted");
                on_event(&CacheEvent::Evicted(Removed {
                    entries: removed.entries,
                    bytes: removed.bytes,
                }));
            }
            Ok(_) => {}
            Err(error) => warn(&CacheWarning::Untrimmed { dir: self.dir.clone(), error }, on_event),
        }
    }
}

fn compile<T: Target + ?Sized>(
    target: &T,
    wasm: &[u8],
    on_event: &mut dyn FnMut(&CacheEvent<'_>),
) -> Result<T::Module> {
    on_event(&CacheEvent::Compiling);
    let start = Instant::now();
    let module = target.compile(wasm)?;
    on_event(&CacheEvent::Compiled { elapsed: start.elapsed() });
    Ok(module)
}

fn warn(warning: &CacheWarning, on_event: &mut dyn FnMut(&CacheEvent<'_>)) {
    tracing::warn!("{warning}");
    on_event(&CacheEvent::Warning(warning));
}

/// What the cache needs of an engine, for both dispatch flavours.
trait Target {
    type Module;
    fn info(&self) -> &EngineInfo;
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module>;
    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>>;
    fn artifact_compat(&self) -> Option<&str>;
    /// The cache key of the module with SHA-256 `digest`, on this engine built with `config`.
    fn key(&self, config: &Config, digest: &[u8; 32]) -> CacheKey {
        CacheKey::for_digest(self.info(), self.artifact_compat(), config, digest)
    }
    /// # Safety
    /// As for [`Engine::load_precompiled`].
    unsafe fn load(&self, artifact: &[u8]) -> Result<Self::Module>;
}

impl Target for dyn DynEngine + '_ {
    type Module = DynModule;

    fn info(&self) -> &EngineInfo {
        DynEngine::info(self)
    }

    fn compile(&self, wasm: &[u8]) -> Result<DynModule> {
        DynEngine::compile(self, wasm)
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        DynEngine::precompile(self, wasm)
    }

    fn artifact_compat(&self) -> Option<&str> {
        DynEngine::artifact_compat(self)
    }

    unsafe fn load(&self, artifact: &[u8]) -> Result<DynModule> {
        // SAFETY: forwarded from this function's contract.
        unsafe { DynEngine::load_precompiled(self, artifact) }
    }
}

struct Static<'a, E>(&'a E);

impl<E: Engine> Target for Static<'_, E> {
    type Module = E::Module;

    fn info(&self) -> &EngineInfo {
        Engine::info(self.0)
    }

    fn compile(&self, wasm: &[u8]) -> Result<E::Module> {
        Engine::compile(self.0, wasm)
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        Engine::precompile(self.0, wasm)
    }

    fn artifact_compat(&self) -> Option<&str> {
        Engine::artifact_compat(self.0)
    }

    unsafe fn load(&self, artifact: &[u8]) -> Result<E::Module> {
        // SAFETY: forwarded from this function's contract.
        unsafe { Engine::load_precompiled(self.0, artifact) }
    }
}
