//! The compiled-module cache on the command line: the global `--no-cache`, `--cache-dir` and
//! `--cache-max-size` options, `wasmux cache stats|clear|dir`, and the spinner shown while a
//! slow compilation runs.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use wasmux::cache::Cache;
use wasmux::{Error, Result};

use crate::args;

/// The environment variable that sets the cache's size limit.
const MAX_SIZE_ENV: &str = "WASMUX_CACHE_MAX_SIZE";

/// Options of the cache, accepted before or after any subcommand.
#[derive(Clone, Debug, Default, Args)]
pub struct CacheOptions {
    /// Compile modules every time: neither read nor write the compiled-module cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Directory of the compiled-module cache [default: $WASMUX_CACHE_DIR, else the platform's
    /// cache directory, e.g. ~/.cache/wasmux].
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Size limit of the cache, beyond which the least recently used modules are evicted
    /// [default: $WASMUX_CACHE_MAX_SIZE, else 1GiB].
    #[arg(long, global = true, value_name = "SIZE", value_parser = args::parse_size)]
    pub cache_max_size: Option<u64>,
}

static OPTIONS: OnceLock<CacheOptions> = OnceLock::new();

/// Records the command line's cache options for [`for_loading`].
pub fn configure(options: CacheOptions) {
    let _ = OPTIONS.set(options);
}

fn options() -> &'static CacheOptions {
    OPTIONS.get_or_init(CacheOptions::default)
}

/// The cache that loading a module goes through, unless `--no-cache`. A cache that cannot be
/// set up is reported as a warning and the module is compiled: the cache never stops a run.
pub fn for_loading() -> Option<Cache> {
    if options().no_cache {
        return None;
    }
    match open() {
        Ok(cache) => Some(cache),
        Err(error) => {
            warning(&format!("{error}; compiling without the cache"));
            None
        }
    }
}

fn open() -> Result<Cache> {
    let dir = options().cache_dir.clone().or_else(Cache::default_dir).ok_or_else(|| {
        Error::Config(format!(
            "no cache directory: this platform has none; set {} or pass --cache-dir",
            wasmux::cache::CACHE_DIR_ENV
        ))
    })?;
    let max_bytes = match options().cache_max_size {
        Some(bytes) => bytes,
        None => match std::env::var(MAX_SIZE_ENV) {
            Ok(text) if !text.trim().is_empty() => args::parse_size(&text)
                .map_err(|e| Error::Config(format!("{MAX_SIZE_ENV}: {e}")))?,
            _ => Cache::DEFAULT_MAX_BYTES,
        },
    };
    Ok(Cache::open(dir, max_bytes))
}

/// Prints a warning as one line on stderr.
pub fn warning(message: &str) {
    let message: String =
        message.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    eprintln!("wasmux: warning: {message}");
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Print the number of cached modules, their size, the limit, hits and misses.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete every cached module (and nothing else in the directory).
    Clear,
    /// Print the cache directory.
    Dir,
}

/// `wasmux cache ...`.
pub fn cache(args: CacheArgs) -> Result<u8> {
    let cache = open()?;
    match args.command {
        CacheCommand::Dir => println!("{}", cache.dir().display()),
        CacheCommand::Stats { json } => {
            let stats = cache.stats()?;
            if json {
                let value = serde_json::json!({
                    "dir": stats.dir,
                    "entries": stats.entries,
                    "bytes": stats.bytes,
                    "max_bytes": stats.max_bytes,
                    "hits": stats.hits,
                    "misses": stats.misses,
                    "enabled": !options().no_cache,
                });
                println!("{value:#}");
            } else {
                println!("directory: {}", stats.dir.display());
                println!("entries:   {}", stats.entries);
                println!(
                    "size:      {} of {} allowed",
                    human_size(stats.bytes),
                    human_size(stats.max_bytes)
                );
                println!("hits:      {}", stats.hits);
                println!("misses:    {}", stats.misses);
            }
        }
        CacheCommand::Clear => {
            let removed = cache.clear()?;
            println!(
                "removed {} cached module{} ({}) from {}",
                removed.entries,
                if removed.entries == 1 { "" } else { "s" },
                human_size(removed.bytes),
                cache.dir().display()
            );
        }
    }
    Ok(0)
}

/// `1536` → `1.5 KiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A compilation in progress. If it is still running after a moment and stderr is a terminal, a
/// spinner with what is compiled and the time elapsed shows on stderr until it is dropped.
#[derive(Debug)]
pub struct Spinner {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// How long a compilation runs before the spinner shows.
    const DELAY: Duration = Duration::from_millis(300);

    /// Starts timing the compilation of `what`.
    pub fn start(what: String) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { done: None, thread: None };
        }
        let started = Instant::now();
        let (done, wait) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Finished (the sender dropped) before the delay: say nothing.
            if wait.recv_timeout(Self::DELAY) != Err(RecvTimeoutError::Timeout) {
                return;
            }
            let style =
                indicatif::ProgressStyle::with_template("{spinner} compiling {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
            let bar = indicatif::ProgressBar::new_spinner()
                .with_style(style)
                .with_message(what)
                .with_elapsed(started.elapsed());
            bar.enable_steady_tick(Duration::from_millis(100));
            let _ = wait.recv();
            bar.finish_and_clear();
        });
        Spinner { done: Some(done), thread: Some(thread) }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(1 << 30), "1.0 GiB");
    }
}
