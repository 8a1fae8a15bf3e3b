//! The compiled-module cache as the `wasmux` binary uses it: a second run loads what the first
//! compiled; damaged entries are rebuilt with a one-line warning; many processes at once share
//! one entry; `--no-cache`, `--cache-dir`, `WASMUX_CACHE_DIR`, `--cache-max-size` and
//! `wasmux cache stats|clear|dir` behave.

mod common;

use common::{repo_root, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `wasmux ARGS` with the cache in `cache` (none of the user's cache settings leak in).
fn command(cache: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmux"));
    command
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .current_dir(repo_root())
        .env_remove("WASMUX_CACHE_DIR")
        .env_remove("WASMUX_CACHE_MAX_SIZE")
        .env_remove("WASMUX_LOG");
    command
}

fn wasmux(cache: &Path, args: &[&str]) -> Output {
    command(cache, args).output().expect("the wasmux binary runs")
}

/// The engines compiled in that can precompile: those `wasmux compile` works with.
fn precompiling_engines() -> Vec<&'static str> {
    let dir = tempfile::tempdir().expect("tempdir");
    let engines: Vec<&'static str> = ["wasmtime", "wasmer"]
        .into_iter()
        .filter(|engine| {
            let artifact = dir.path().join(format!("{engine}.cwasm"));
            let artifact = artifact.to_string_lossy();
            wasmux(
                dir.path(),
                &["compile", "--engine", engine, "examples/fib.wat", "-o", &artifact],
            )
            .status
            .success()
        })
        .collect();
    eprintln!("engines that precompile in this build: {engines:?}");
    engines
}

/// The cache's entries: `v1/ENGINE/KEY.cwasm`.
/// The cache's entries (and temporary files), without its remembered module digests.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for engine in std::fs::read_dir(cache.join("v1")).into_iter().flatten().flatten() {
        if engine.file_name() == "digests" {
            continue;
        }
        for file in std::fs::read_dir(engine.path()).into_iter().flatten().flatten() {
            found.push(file.path());
        }
    }
    found.sort();
    found
}

fn stats(cache: &Path) -> serde_json::Value {
    let output = wasmux(cache, &["cache", "stats", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("stats JSON")
}

/// A module that exports `fib` and has `extra` more functions, to make compiling take a while.
fn fib_module(dir: &Path, name: &str, extra: usize) -> String {
    let mut wat = String::from(
        r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_s
    if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end)
"#,
    );
    for i in 0..extra {
        wat.push_str(&format!(
            "  (func (export \"f{i}\") (param i64) (result i64) local.get 0 i64.const {i} i64.mul i64.const 7 i64.rem_u local.get 0 i64.add)\n"
        ));
    }
    wat.push(')');
    let path = dir.join(name);
    std::fs::write(&path, wat).expect("write module");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_second_run_loads_the_compiled_module_from_the_cache() {
    for engine in precompiling_engines() {
        let cache = tempfile::tempdir().expect("tempdir");
        let cache = cache.path();
        for run in 1..=2 {
            let output = wasmux(
                cache,
                &["run", "--engine", engine, "--invoke", "fib", "examples/fib.wat", "20"],
            );
            assert_eq!(stdout(&output), "6765\n", "{engine} run {run}: {}", stderr(&output));
            assert!(output.status.success());
            // Not a terminal: no spinner, no chatter.
            assert_eq!(stderr(&output), "", "{engine} run {run}");
        }
        let found = entries(cache);
        assert_eq!(found.len(), 1, "{engine}: {found:?}");
        assert!(found[0].starts_with(cache.join("v1").join(engine)), "{found:?}");
        // The module file is long unchanged: its digest is remembered, and the next run of it
        // reads neither the file nor its hash.
        let digests = std::fs::read_dir(cache.join("v1").join("digests")).expect("digests").count();
        assert_eq!(digests, 1, "{engine}");
        let counted = stats(cache);
        assert_eq!(
            (counted["entries"].as_u64(), counted["hits"].as_u64(), counted["misses"].as_u64()),
            (Some(1), Some(1), Some(1)),
            "{engine}: {counted}"
        );
        // The same module under other settings is another entry.
        let output = wasmux(
            cache,
            &[
                "run",
                "--engine",
                engine,
                "--fuel",
                "1000000",
                "--invoke",
                "fib",
                "examples/fib.wat",
                "10",
            ],
        );
        assert_eq!(stdout(&output), "55\n", "{engine}: {}", stderr(&output));
        assert_eq!(entries(cache).len(), 2, "{engine}: fuel is part of the key");
        // An entry is an artifact: it runs by itself, when native code is allowed.
        let entry = found[0].to_string_lossy().into_owned();
        let output =
            wasmux(cache, &["run", "--allow-precompiled", "--invoke", "fib", &entry, "10"]);
        assert_eq!(stdout(&output), "55\n", "{engine}: {}", stderr(&output));
    }
}

#[test]
fn damaged_entries_are_rebuilt_with_a_one_line_warning() {
    for engine in precompiling_engines() {
        let cache = tempfile::tempdir().expect("tempdir");
        let cache = cache.path();
        let run = || {
            wasmux(cache, &["run", "--engine", engine, "--invoke", "fib", "examples/fib.wat", "15"])
        };
        assert!(run().status.success());
        let [entry] = entries(cache).try_into().expect("one entry");
        let good = std::fs::read(&entry).expect("entry");
        let mut flipped = good.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        let truncated = good[..good.len() / 3].to_vec();
        let mut foreign = good.clone();
        // The engine name in the envelope's header ("wasmtime"/"wasmer" → "xasmtime"/"xasmer").
        let name_at = foreign
            .windows(engine.len())
            .position(|w| w == engine.as_bytes())
            .expect("name in header");
        foreign[name_at] = b'x';
        for (what, damaged, needle) in [
            ("bit flip", flipped, "checksum"),
            ("truncation", truncated, "corrupt"),
            ("other engine", foreign, "another engine"),
        ] {
            std::fs::write(&entry, damaged).expect("damage the entry");
            let output = run();
            assert_eq!(stdout(&output), "610\n", "{engine}, {what}: {}", stderr(&output));
            assert!(output.status.success(), "{engine}, {what}");
            let err = stderr(&output);
            assert_eq!(err.lines().count(), 1, "{engine}, {what}: one line: {err}");
            assert!(
                err.starts_with("wasmux: warning: discarded cache entry"),
                "{engine}, {what}: {err}"
            );
            assert!(err.contains(needle), "{engine}, {what}: `{needle}` missing: {err}");
            assert_eq!(std::fs::read(&entry).expect("rebuilt"), good, "{engine}, {what}: rebuilt");
            let output = run();
            assert_eq!(stderr(&output), "", "{engine}, {what}: the rebuilt entry is used quietly");
        }
    }
}

#[test]
fn processes_compiling_the_same_module_at_once_all_succeed_and_leave_one_entry() {
    let modules = tempfile::tempdir().expect("tempdir");
    let module = fib_module(modules.path(), "wide.wat", 2000);
    for engine in precompiling_engines() {
        let cache = tempfile::tempdir().expect("tempdir");
        let cache = cache.path();
        let processes = 8;
        let children: Vec<_> = (0..processes)
            .map(|_| {
                command(cache, &["run", "--engine", engine, "--invoke", "fib", &module, "12"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn wasmux")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("wasmux");
            assert_eq!(stdout(&output), "144\n", "{engine}: {}", stderr(&output));
            assert_eq!(stderr(&output), "", "{engine}");
        }
        let found = entries(cache);
        assert_eq!(found.len(), 1, "{engine}: one entry and no temporary files: {found:?}");
        let counted = stats(cache);
        assert_eq!(
            counted["hits"].as_u64().zip(counted["misses"].as_u64()).map(|(h, m)| h + m),
            Some(processes),
            "{counted}"
        );
        let output = wasmux(cache, &["run", "--engine", engine, "--invoke", "fib", &module, "12"]);
        assert_eq!(stdout(&output), "144\n");
        assert_eq!(
            stats(cache)["hits"].as_u64(),
            counted["hits"].as_u64().map(|h| h + 1),
            "{engine}: the entry is valid"
        );
    }
}

#[test]
fn no_cache_and_interpreters_write_nothing_and_say_nothing() {
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().join("cache");
    let mut engines = precompiling_engines();
    let wasmi = wasmux(
        &cache_dir,
        &["run", "--engine", "wasmi", "--invoke", "fib", "examples/fib.wat", "10"],
    );
    if wasmi.status.success() {
        assert_eq!(stdout(&wasmi), "55\n");
        assert_eq!(stderr(&wasmi), "", "wasmi says nothing about the cache");
        assert!(!cache_dir.exists(), "wasmi stores nothing");
        engines.push("wasmi");
    }
    for engine in engines {
        for args in [
            vec![
                "--no-cache",
                "run",
                "--engine",
                engine,
                "--invoke",
                "fib",
                "examples/fib.wat",
                "10",
            ],
            vec![
                "run",
                "--no-cache",
                "--engine",
                engine,
                "--invoke",
                "fib",
                "examples/fib.wat",
                "10",
            ],
        ] {
            let output = wasmux(&cache_dir, &args);
            assert_eq!(stdout(&output), "55\n", "{engine}: {}", stderr(&output));
            assert_eq!(stderr(&output), "", "{engine}");
        }
    }
    assert!(!cache_dir.exists(), "--no-cache stores nothing");
}

#[test]
fn the_cache_directory_follows_the_flag_then_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flag = dir.path().join("from-flag");
    let env = dir.path().join("from-env");
    let output = wasmux(&flag, &["cache", "dir"]);
    assert_eq!(stdout(&output).trim_end(), flag.to_string_lossy(), "{}", stderr(&output));
    let output = Command::new(env!("CARGO_BIN_EXE_wasmux"))
        .args(["cache", "dir"])
        .env("WASMUX_CACHE_DIR", &env)
        .output()
        .expect("wasmux");
    assert_eq!(stdout(&output).trim_end(), env.to_string_lossy(), "{}", stderr(&output));
    let output = Command::new(env!("CARGO_BIN_EXE_wasmux"))
        .args(["cache", "dir", "--cache-dir"])
        .arg(&flag)
        .env("WASMUX_CACHE_DIR", &env)
        .output()
        .expect("wasmux");
    assert_eq!(stdout(&output).trim_end(), flag.to_string_lossy(), "the flag wins");
    let output = Command::new(env!("CARGO_BIN_EXE_wasmux"))
        .args(["cache", "dir"])
        .env_remove("WASMUX_CACHE_DIR")
        .env("XDG_CACHE_HOME", dir.path().join("xdg"))
        .output()
        .expect("wasmux");
    if cfg!(target_os = "linux") {
        assert_eq!(
            stdout(&output).trim_end(),
            dir.path().join("xdg").join("wasmux").to_string_lossy()
        );
    }
    // Asking about or clearing a cache that was never written is fine and creates nothing.
    assert!(wasmux(&flag, &["cache", "stats"]).status.success());
    assert!(wasmux(&flag, &["cache", "clear"]).status.success());
    assert!(!flag.exists());
}

#[test]
fn stats_and_clear_report_and_empty_the_cache() {
    let Some(engine) = precompiling_engines().first().copied() else { return };
    let cache = tempfile::tempdir().expect("tempdir");
    let cache = cache.path();
    for _ in 0..3 {
        assert!(
            wasmux(cache, &["run", "--engine", engine, "examples/hello.wat"]).status.code()
                == Some(0)
        );
    }
    let output = wasmux(cache, &["cache", "stats"]);
    let text = stdout(&output);
    assert!(text.contains("entries:   1"), "{text}");
    assert!(text.contains("hits:      2"), "{text}");
    assert!(text.contains("misses:    1"), "{text}");
    assert!(text.contains("of 1.0 GiB allowed"), "{text}");
    let json = stats(cache);
    assert_eq!(json["max_bytes"].as_u64(), Some(1 << 30));
    assert!(json["bytes"].as_u64().is_some_and(|b| b > 0), "{json}");
    std::fs::write(cache.join("notes.txt"), "mine").expect("write");

    let output = wasmux(cache, &["cache", "clear"]);
    assert!(stdout(&output).starts_with("removed 1 cached module ("), "{}", stdout(&output));
    let json = stats(cache);
    assert_eq!(
        (json["entries"].as_u64(), json["hits"].as_u64(), json["misses"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert!(cache.join("notes.txt").is_file(), "clear deletes only the cache's own files");
}

#[test]
fn the_size_limit_evicts_least_recently_used_modules() {
    let Some(engine) = precompiling_engines().first().copied() else { return };
    let cache = tempfile::tempdir().expect("tempdir");
    let cache = cache.path();
    let modules = tempfile::tempdir().expect("tempdir");
    let first = fib_module(modules.path(), "m0.wat", 0);
    assert!(
        wasmux(cache, &["run", "--engine", engine, "--invoke", "fib", &first, "5"])
            .status
            .success()
    );
    let entry_size = stats(cache)["bytes"].as_u64().expect("bytes");
    // Room for about two entries of this size.
    let limit = (entry_size * 5 / 2).to_string();
    for i in 1..=4 {
        let module = fib_module(modules.path(), &format!("m{i}.wat"), i);
        let output = wasmux(
            cache,
            &[
                "--cache-max-size",
                &limit,
                "run",
                "--engine",
                engine,
                "--invoke",
                "fib",
                &module,
                "5",
            ],
        );
        assert_eq!(stdout(&output), "5\n", "{}", stderr(&output));
    }
    let json = stats(cache);
    assert!(json["entries"].as_u64().is_some_and(|n| (1..=2).contains(&n)), "{json}");
    assert!(json["bytes"].as_u64().is_some_and(|b| b <= entry_size * 5 / 2 + 1024), "{json}");
    let names: Vec<String> = entries(cache).iter().map(|p| p.display().to_string()).collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
    // The limit can come from the environment too; a bad one is a clear error.
    let output = command(cache, &["cache", "stats", "--json"])
        .env("WASMUX_CACHE_MAX_SIZE", "2MiB")
        .output()
        .expect("wasmux");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["max_bytes"].as_u64(), Some(2 << 20));
    let output = command(cache, &["cache", "stats"])
        .env("WASMUX_CACHE_MAX_SIZE", "lots")
        .output()
        .expect("wasmux");
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
    // …and does not stop a run: it runs without the cache, saying so once.
    let output = command(cache, &["run", "--engine", engine, "--invoke", "fib", &first, "5"])
        .env("WASMUX_CACHE_MAX_SIZE", "lots")
        .output()
        .expect("wasmux");
    assert_eq!(stdout(&output), "5\n");
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    assert!(stderr(&output).starts_with("wasmux: warning: "), "{}", stderr(&output));
}
