//! Differential runs: the same module on several engines, observations compared, the first
//! difference reported. Differences that the specification allows are listed once, in
//! [`EXPLAINED_DIFFERENCES`]; every other difference is a bug in an engine or a backend.

mod locate;
mod relaxed;
mod trees;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use locate::{first_line_difference, memory_difference};
pub use relaxed::relaxed_simd_instructions;
pub use trees::{copy_tree, snapshot};

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
    // A difference in a run of a module using relaxed SIMD is reported as allowed, naming the
    // instructions (`compare_module`).
    ExplainedDifference {
        what: "results of relaxed-SIMD instructions",
        why: "the specification lets each engine pick among a few results for them, to match \
              the host CPU",
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
    /// The exported `memory` afterwards, if there is one.
    pub memory: Option<Vec<u8>>,
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
    let memory = instance.memory("memory").ok().map(|bytes| bytes.to_vec());
    let mut tree = BTreeMap::new();
    for (index, root) in run.trees.iter().enumerate() {
        let prefix = if run.trees.len() == 1 { String::new() } else { format!("{index}/") };
        snapshot(root, &prefix, &mut tree)?;
    }
    Ok(Observation { ending, results, stdout: stdout.take(), stderr: stderr.take(), tree, memory })
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
    /// Where in it: a line, a file, an address; empty when the whole field is the answer.
    pub place: String,
    /// One engine and what it had there.
    pub left: (String, String),
    /// The other engine and what it had there.
    pub right: (String, String),
    /// Why the difference is one the specification allows, when it is (NaN bit patterns,
    /// relaxed SIMD).
    pub allowed: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = match self.field {
            "ending" => "exit status or trap",
            other => other,
        };
        write!(f, "{field} differs")?;
        if !self.place.is_empty() {
            write!(f, " at {}", self.place)?;
        }
        write!(
            f,
            ": {} gave {}, {} gave {}",
            self.left.0, self.left.1, self.right.0, self.right.1
        )?;
        if let Some(why) = &self.allowed {
            write!(f, " ({why})")?;
        }
        Ok(())
    }
}

/// The first difference between what two engines did, if any.
pub fn first_difference(a: (&str, &Observation), b: (&str, &Observation)) -> Option<Difference> {
    let (left, right) = (a.1, b.1);
    let difference = |field, place: String, l: String, r: String| Difference {
        field,
        place,
        left: (a.0.to_string(), l),
        right: (b.0.to_string(), r),
        allowed: None,
    };
    let ending = |ending: &Result<i32, String>| match ending {
        Ok(status) => format!("exit {status}"),
        Err(other) => other.clone(),
    };
    if left.ending != right.ending {
        return Some(difference(
            "ending",
            String::new(),
            ending(&left.ending),
            ending(&right.ending),
        ));
    }
    if left.results != right.results {
        let (l, r) = (format!("{:?}", left.results), format!("{:?}", right.results));
        return Some(difference("results", String::new(), l, r));
    }
    for (field, l, r) in
        [("stdout", &left.stdout, &right.stdout), ("stderr", &left.stderr, &right.stderr)]
    {
        if let Some((line, l, r)) = first_line_difference(l, r) {
            return Some(difference(field, format!("line {line}"), l, r));
        }
    }
    let path =
        left.tree.keys().chain(right.tree.keys()).find(|p| left.tree.get(*p) != right.tree.get(*p));
    if let Some(path) = path {
        let (l, r) = (left.tree.get(path), right.tree.get(path));
        let (place, l, r) = match (l, r) {
            (Some(l), Some(r)) if is_binary(l) || is_binary(r) => {
                let at = l.iter().zip(r.iter()).position(|(a, b)| a != b);
                let at = at.unwrap_or(l.len().min(r.len()));
                let byte = |c: &[u8]| c.get(at).map_or("the end".into(), |b| format!("0x{b:02x}"));
                (format!("file {path:?}, byte {at}"), byte(l), byte(r))
            }
            (Some(l), Some(r)) => match first_line_difference(l, r) {
                Some((line, l, r)) => (format!("file {path:?}, line {line}"), l, r),
                None => (
                    format!("file {path:?}"),
                    format!("{} bytes", l.len()),
                    format!("{} bytes", r.len()),
                ),
            },
            (l, r) => {
                let state =
                    |c: Option<&Vec<u8>>| if c.is_some() { "the file" } else { "no such file" };
                (format!("file {path:?}"), state(l).into(), state(r).into())
            }
        };
        return Some(difference("a file", place, l, r));
    }
    match (&left.memory, &right.memory) {
        (Some(l), Some(r)) => memory_difference(l, r).map(|found| Difference {
            allowed: found.allowed.map(str::to_string),
            ..difference("memory", found.place, found.left, found.right)
        }),
        (l, r) if l.is_some() != r.is_some() => {
            let state = |m: &Option<Vec<u8>>| if m.is_some() { "a memory" } else { "none" };
            Some(difference("memory", String::new(), state(l).into(), state(r).into()))
        }
        _ => None,
    }
}

/// Whether a file's contents are not text, so a difference is shown as bytes, not lines.
fn is_binary(contents: &[u8]) -> bool {
    std::str::from_utf8(contents).is_err()
}

/// Compares every engine's observation with the first one's; the first difference found.
pub fn compare(observations: &[(String, Observation)]) -> Option<Difference> {
    let (first, rest) = observations.split_first()?;
    rest.iter().find_map(|other| first_difference((&first.0, &first.1), (&other.0, &other.1)))
}

/// [`compare`] for runs of the module `wasm`: when it uses relaxed-SIMD instructions, whose
/// results the specification lets engines choose, a difference is reported as allowed, naming
/// them.
pub fn compare_module(wasm: &[u8], observations: &[(String, Observation)]) -> Option<Difference> {
    let mut difference = compare(observations)?;
    let relaxed = relaxed_simd_instructions(wasm);
    if difference.allowed.is_none() && !relaxed.is_empty() {
        difference.allowed = Some(format!(
            "the module uses relaxed SIMD ({}), whose results the specification lets each \
             engine choose",
            relaxed.join(", ")
        ));
    }
    Some(difference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printing(stdout: &[u8]) -> Observation {
        Observation {
            ending: Ok(0),
            results: Vec::new(),
            stdout: stdout.to_vec(),
            stderr: Vec::new(),
            tree: BTreeMap::new(),
            memory: None,
        }
    }

    /// The same difference is a bug for an ordinary module and allowed, naming the
    /// instructions, for one using relaxed SIMD.
    #[test]
    fn a_difference_under_relaxed_simd_is_allowed_naming_the_instructions() {
        let runs = [("a".to_string(), printing(b"1\n")), ("b".to_string(), printing(b"0\n"))];
        let plain = wat::parse_str("(module (func))").expect("text");
        let found = compare_module(&plain, &runs).expect("a difference");
        assert_eq!(found.allowed, None);
        let relaxed = wat::parse_str(
            "(module (func (param v128 v128) (result v128)
               (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))",
        )
        .expect("text");
        let found = compare_module(&relaxed, &runs).expect("a difference");
        let why = found.allowed.clone().expect("allowed");
        assert!(why.contains("relaxed SIMD (i8x16.relaxed_swizzle)"), "{why}");
        assert!(found.to_string().starts_with("stdout differs at line 1"), "{found}");
    }
}
