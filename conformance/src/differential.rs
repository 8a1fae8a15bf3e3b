//! Differential runs: the same module on several engines, observations compared, the first
//! difference reported. Differences that the specification allows are listed once, in
//! [`EXPLAINED_DIFFERENCES`]; every other difference is a bug in an engine or a backend.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use wasmux_core::{DynEngine, DynModule, Error, HostEnv, Limits, Val};
use wasmux_wasi::{CaptureBuffer, WasiConfig, WasiCtx, WasiEnvExt};

/// A difference between engines that the specification allows, and how observations are
/// normalised so it does not count.
#[derive(Clone, Copy, Debug)]
pub struct ExplainedDifference {
    /// What differs.
    pub what: &'static str,
    /// Why it may.
    pub why: &'static str,
}

/// The one table of accepted differences between engines.
pub const EXPLAINED_DIFFERENCES: &[ExplainedDifference] = &[
    // Results are rendered with every NaN as `nan`, so only NaN-ness is compared.
    ExplainedDifference {
        what: "NaN bit patterns of float results",
        why: "the specification lets an operation producing a NaN return any arithmetic NaN; \
              spec-test patterns (nan:canonical, nan:arithmetic) still check each engine",
    },
    // Endings are compared as the trap code when both are stack exhaustion or both limits.
    ExplainedDifference {
        what: "how deep recursion goes before StackOverflow, and how much fuel an operator costs",
        why: "stack and fuel accounting are each engine's own; a guest that stays well within \
              limits behaves the same, and the trap code is the same when a limit is hit",
    },
];

/// What one run did on one engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// How it ended: exit status (0 for a returning call), or the trap code / error kind.
    pub ending: Result<i32, String>,
    /// The invoked function's results, rendered (NaNs as `nan`).
    pub results: Vec<String>,
    /// Its stdout.
    pub stdout: Vec<u8>,
    /// Its stderr.
    pub stderr: Vec<u8>,
    /// The directory trees afterwards: path → file contents, `<dir>`, or `-> target` for links.
    pub tree: BTreeMap<String, Vec<u8>>,
    /// A hash of the exported `memory` afterwards, if there is one.
    pub memory_hash: Option<u64>,
}

/// What to run: `_start`, or an export with arguments.
#[derive(Clone, Debug)]
pub enum Entry {
    /// The WASI command entry point.
    Command,
    /// An exported function.
    Invoke(String, Vec<Val>),
}

/// One run's setup: the WASI configuration (stdout and stderr are captured regardless), limits,
/// the entry point, and the directories whose contents are part of the observation.
#[derive(Clone, Debug)]
pub struct Run {
    /// WASI arguments, environment, preopens and stdin.
    pub wasi: WasiConfig,
    /// Limits of the instance.
    pub limits: Limits,
    /// What to call.
    pub entry: Entry,
    /// Directories snapshotted after the run.
    pub trees: Vec<PathBuf>,
}

/// Runs `module` on `engine` as `run` says and records what happened.
pub fn observe(
    engine: &dyn DynEngine,
    module: &DynModule,
    run: &Run,
) -> Result<Observation, String> {
    let (stdout, stderr) = (CaptureBuffer::new(), CaptureBuffer::new());
    let mut wasi = run.wasi.clone();
    wasi.stdout_buffer(stdout.clone()).stderr_buffer(stderr.clone());
    let mut env = HostEnv::new();
    env.limits(run.limits.clone());
    env.wasi(WasiCtx::new(&wasi).map_err(|e| e.to_string())?);
    let mut instance = engine.instantiate(module, env).map_err(|e| e.to_string())?;
    let (ending, results) = match &run.entry {
        Entry::Command => (instance.run().map_err(ending_of), Vec::new()),
        Entry::Invoke(name, args) => match instance.call(name, args) {
            Ok(values) => (Ok(0), values.iter().map(render).collect()),
            Err(error) => (Err(ending_of(error)), Vec::new()),
        },
    };
    let memory_hash = instance.memory("memory").ok().map(|bytes| memory_hash(bytes));
    let mut tree = BTreeMap::new();
    for (index, root) in run.trees.iter().enumerate() {
        let prefix = if run.trees.len() == 1 { String::new() } else { format!("{index}/") };
        snapshot(root, &prefix, &mut tree)?;
    }
    Ok(Observation {
        ending,
        results,
        stdout: stdout.take(),
        stderr: stderr.take(),
        tree,
        memory_hash,
    })
}

fn ending_of(error: Error) -> String {
    match error {
        Error::Exit(status) => format!("exit {status}"),
        Error::Trap(trap) => format!("trap: {}", trap.code),
        Error::ResourceLimit { resource, .. } => format!("resource limit: {resource}"),
        other => format!("error: {other}"),
    }
}

/// A value as the differential runner compares and prints it: exact (floats print their
/// shortest round-tripping form), but every NaN alike and references only as null or not.
pub fn render(value: &Val) -> String {
    match value {
        Val::F32(bits) if f32::from_bits(*bits).is_nan() => "nan".into(),
        Val::F64(bits) if f64::from_bits(*bits).is_nan() => "nan".into(),
        Val::FuncRef(Some(_)) | Val::ExternRef(Some(_)) => "ref".into(),
        other => other.to_string(),
    }
}

/// Where two engines disagreed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What differed: `ending`, `results`, `stdout`, `stderr`, `files` or `memory`.
    pub field: &'static str,
    /// One engine and what it did.
    pub left: (String, String),
    /// The other engine and what it did.
    pub right: (String, String),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} differs: {} gave {}, {} gave {}",
            self.field, self.left.0, self.left.1, self.right.0, self.right.1
        )
    }
}

/// The first difference between what two engines did, if any.
pub fn first_difference(a: (&str, &Observation), b: (&str, &Observation)) -> Option<Difference> {
    let (left, right) = (a.1, b.1);
    let lossy = |bytes: &[u8]| format!("{:?}", String::from_utf8_lossy(bytes));
    let field = if left.ending != right.ending {
        Some(("ending", format!("{:?}", left.ending), format!("{:?}", right.ending)))
    } else if left.results != right.results {
        Some(("results", format!("{:?}", left.results), format!("{:?}", right.results)))
    } else if left.stdout != right.stdout {
        Some(("stdout", lossy(&left.stdout), lossy(&right.stdout)))
    } else if left.stderr != right.stderr {
        Some(("stderr", lossy(&left.stderr), lossy(&right.stderr)))
    } else if left.tree != right.tree {
        let path = left
            .tree
            .keys()
            .chain(right.tree.keys())
            .find(|p| left.tree.get(*p) != right.tree.get(*p));
        let show = |tree: &BTreeMap<String, Vec<u8>>| {
            path.and_then(|p| tree.get(p)).map_or("absent".into(), |c| lossy(c))
        };
        Some(("files", format!("{path:?}: {}", show(&left.tree)), show(&right.tree)))
    } else if left.memory_hash != right.memory_hash {
        Some(("memory", format!("{:?}", left.memory_hash), format!("{:?}", right.memory_hash)))
    } else {
        None
    };
    field.map(|(field, l, r)| Difference {
        field,
        left: (a.0.to_string(), l),
        right: (b.0.to_string(), r),
    })
}

/// Compares every engine's observation with the first one's; the first difference found.
pub fn compare(observations: &[(String, Observation)]) -> Option<Difference> {
    let (first, rest) = observations.split_first()?;
    rest.iter().find_map(|other| first_difference((&first.0, &first.1), (&other.0, &other.1)))
}

/// Adds every entry below `root` to `tree`, keyed by `prefix` + its path relative to `root`.
pub fn snapshot(
    root: &Path,
    prefix: &str,
    tree: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), String> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            let relative =
                path.strip_prefix(root).map_err(|e| e.to_string())?.to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| e.to_string())?;
            let contents = if meta.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| e.to_string())?;
                format!("-> {}", target.display()).into_bytes()
            } else if meta.is_dir() {
                pending.push(path.clone());
                b"<dir>".to_vec()
            } else {
                std::fs::read(&path).map_err(|e| e.to_string())?
            };
            tree.insert(format!("{prefix}{relative}"), contents);
        }
    }
    Ok(())
}

/// Copies the tree at `from` into `to` (which must not exist), links as links.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let meta = std::fs::symlink_metadata(&source)?;
        if meta.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
        } else if meta.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

/// A small stable hash of a memory (FNV-1a), enough to tell two memories apart.
pub fn memory_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
