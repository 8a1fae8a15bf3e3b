//! Programs: a module run as a WASI command in a fresh directory tree, with what it must print,
//! return and leave behind. Each program is checked on every engine against its expectation,
//! and run on all engines side by side by the differential runner.

use std::path::Path;

use wasmux_core::{Capability, DynEngine, Limits, TrapCode};
use wasmux_wasi::{DirAccess, WasiConfig};

use crate::differential::{self, Entry, Observation, Run};

/// A guest module.
#[derive(Clone, Copy, Debug)]
pub enum Guest {
    /// WebAssembly text.
    Wat(&'static str),
    /// A binary module (e.g. C built with wasi-libc, committed beside its source).
    Wasm(&'static [u8]),
}

/// Something created in the program's directory tree before it runs, relative to the tree's
/// root. Preopens are subdirectories, so files beside them are outside the guest's reach.
#[derive(Clone, Copy, Debug)]
pub enum Setup {
    /// A file with these contents.
    File(&'static str, &'static [u8]),
    /// A directory.
    Dir(&'static str),
    /// A symbolic link to the target (not resolved).
    Symlink(&'static str, &'static str),
}

/// A directory of the tree given to the guest.
#[derive(Clone, Copy, Debug)]
pub struct Preopen {
    /// The directory, relative to the tree's root (`.` for the root itself).
    pub host: &'static str,
    /// The path the guest sees it at.
    pub guest: &'static str,
    /// Whether the guest may only read it.
    pub read_only: bool,
}

/// How the program must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exits (or returns from `_start`, status 0) with this status.
    Exit(i32),
    /// It traps with this code.
    Trap(TrapCode),
}

/// A WASI command and what it must do.
#[derive(Clone, Copy, Debug)]
pub struct Program {
    /// The group, e.g. `wasi_fs`.
    pub group: &'static str,
    /// The name within the group.
    pub name: &'static str,
    /// Capabilities the program needs.
    pub requires: &'static [Capability],
    /// The module.
    pub guest: Guest,
    /// Arguments after the program name (which is `name`).
    pub args: &'static [&'static str],
    /// Environment variables.
    pub env: &'static [(&'static str, &'static str)],
    /// Bytes on stdin.
    pub stdin: &'static [u8],
    /// The tree before the run.
    pub setup: &'static [Setup],
    /// Directories given to the guest.
    pub preopens: &'static [Preopen],
    /// How it must end.
    pub ending: Ending,
    /// Exactly what it must write to stdout.
    pub stdout: &'static [u8],
    /// Exactly what it must write to stderr.
    pub stderr: &'static [u8],
    /// Files that must hold these contents after the run (`None`: must not exist).
    pub files_after: &'static [(&'static str, Option<&'static [u8]>)],
}

impl Program {
    /// A program with no arguments, input, files or output that exits with 0.
    pub const fn new(group: &'static str, name: &'static str, guest: Guest) -> Self {
        Program {
            group,
            name,
            requires: &[],
            guest,
            args: &[],
            env: &[],
            stdin: b"",
            setup: &[],
            preopens: &[],
            ending: Ending::Exit(0),
            stdout: b"",
            stderr: b"",
            files_after: &[],
        }
    }
}

/// Runs `program` on `engine` in a fresh tree and records what it did.
pub fn observe(engine: &dyn DynEngine, program: &Program) -> Result<Observation, String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    for item in program.setup {
        make(root.path(), item)?;
    }
    let wasm = match program.guest {
        Guest::Wat(text) => wasmux::parse(text.as_bytes()).map_err(|e| e.to_string())?.into_owned(),
        Guest::Wasm(bytes) => bytes.to_vec(),
    };
    let module = engine.compile(&wasm).map_err(|e| e.to_string())?;
    let mut wasi = WasiConfig::new();
    wasi.arg(program.name)
        .args(program.args.iter().copied())
        .stdin_bytes(program.stdin)
        .deterministic_clock(1_700_000_000_000_000_000, 1_000_000)
        .random_seed(7);
    for (name, value) in program.env {
        wasi.env(*name, *value);
    }
    for preopen in program.preopens {
        let access = if preopen.read_only { DirAccess::ReadOnly } else { DirAccess::ReadWrite };
        wasi.preopen(root.path().join(preopen.host), preopen.guest, access);
    }
    let run = Run {
        wasi,
        limits: Limits::default(),
        entry: Entry::Command,
        trees: vec![root.path().to_path_buf()],
    };
    differential::observe(engine, &module, &run)
}

/// Checks an observation against the program's expectation.
pub fn check(program: &Program, observed: &Observation) -> Result<(), String> {
    let expected_ending = match program.ending {
        Ending::Exit(status) => Ok(status),
        Ending::Trap(code) => Err(format!("trap: {code}")),
    };
    if observed.ending != expected_ending {
        return Err(format!(
            "ending: expected {expected_ending:?}, got {:?}\nstdout: {}\nstderr: {}",
            observed.ending,
            String::from_utf8_lossy(&observed.stdout),
            String::from_utf8_lossy(&observed.stderr)
        ));
    }
    compare_bytes("stdout", program.stdout, &observed.stdout)?;
    compare_bytes("stderr", program.stderr, &observed.stderr)?;
    for (path, expected) in program.files_after {
        let actual = observed.tree.get(*path).map(Vec::as_slice);
        if actual != *expected {
            return Err(format!(
                "file {path}: expected {:?}, got {:?}",
                expected.map(String::from_utf8_lossy),
                actual.map(String::from_utf8_lossy)
            ));
        }
    }
    Ok(())
}

fn compare_bytes(what: &str, expected: &[u8], actual: &[u8]) -> Result<(), String> {
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{what}: expected\n{}\ngot\n{}",
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual)
    ))
}

fn make(root: &Path, item: &Setup) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("setting up {item:?}: {e}");
    match item {
        Setup::File(path, contents) => {
            let path = root.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(fail)?;
            }
            std::fs::write(path, contents).map_err(fail)
        }
        Setup::Dir(path) => std::fs::create_dir_all(root.join(path)).map_err(fail),
        Setup::Symlink(path, target) => symlink(target, &root.join(path)).map_err(fail),
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &str, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "symlinks in setups need Unix"))
}
