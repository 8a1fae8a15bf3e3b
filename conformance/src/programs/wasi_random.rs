//! `random_get` from the seeded stream (seed 7): the same bytes on every engine and run.

use super::wasi_kit::wat;
use crate::program::Program;

const GROUP: &str = "wasi_random";

const BYTES: &str = r#"
  (func $random (param $len i32) (local $e i32)
    (local.set $e (call $random_get (i32.const 65536) (local.get $len)))
    (call $errno (str "random_get") (local.get $e))
    (call $hex (i32.const 65536) (local.get $len))
    (call $nl))
  (func $main
    (call $random (i32.const 32))
    (call $random (i32.const 16))
    (call $random (i32.const 0))
    (call $random (i32.const 8))
    ;; a buffer running past the end of memory: nothing is written
    (call $errno (str "past the end") (call $random_get (i32.const 131070) (i32.const 4)))
    (call $errno (str "wrapping") (call $random_get (i32.const -4) (i32.const 8)))
    (call $errno (str "empty at the end") (call $random_get (i32.const 131072) (i32.const 0))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![Program {
        // ChaCha20 seeded from 7 (`rand_chacha::ChaCha20Rng::seed_from_u64(7)`): the stream
        // goes on across calls, an empty request takes nothing, a bad buffer fails whole.
        stdout: b"random_get: ok\n\
                  19454a27b752f905909507d6160ddc888e2df8b773098ef3f7bcd321a7caa748\n\
                  random_get: ok\n\
                  3a9afa8c98415d2fde7ae061aed1ef68\n\
                  random_get: ok\n\
                  \n\
                  random_get: ok\n\
                  21fb9ab3e89e9c7d\n\
                  past the end: EFAULT (21)\n\
                  wrapping: EFAULT (21)\n\
                  empty at the end: ok\n",
        ..Program::new(GROUP, "seeded_stream", wat(BYTES))
    }]
}
