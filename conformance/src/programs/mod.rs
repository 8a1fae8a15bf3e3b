//! The suite's programs: WASI commands with exact expected output, exit status and files.

mod basics;

use crate::program::Program;

/// Every program of the suite.
pub fn all() -> Vec<Program> {
    [basics::programs()].into_iter().flatten().collect()
}
