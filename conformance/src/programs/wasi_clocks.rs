//! `clock_time_get` and `clock_res_get` on the deterministic clock: real time starts at
//! 1_700_000_000 s, monotonic time at 0, and each reading moves both on by 1 ms.

use super::wasi_kit::wat;
use crate::program::Program;

const GROUP: &str = "wasi_clocks";

const READINGS: &str = r#"
  (func $time (param $lp i32) (param $ll i32) (param $id i32) (param $precision i64) (local $e i32)
    (i64.store (i32.const 65536) (i64.const 0))
    (local.set $e (call $clock_time_get (local.get $id) (local.get $precision) (i32.const 65536)))
    (if (local.get $e)
      (then (call $errno (local.get $lp) (local.get $ll) (local.get $e)))
      (else (call $val (local.get $lp) (local.get $ll) (i64.load (i32.const 65536))))))
  (func $res (param $lp i32) (param $ll i32) (param $id i32) (local $e i32)
    (local.set $e (call $clock_res_get (local.get $id) (i32.const 65536)))
    (if (local.get $e)
      (then (call $errno (local.get $lp) (local.get $ll) (local.get $e)))
      (else (call $val (local.get $lp) (local.get $ll) (i64.load (i32.const 65536))))))
  (func $main
    (call $time (str "realtime") (i32.const 0) (i64.const 0))
    (call $time (str "realtime") (i32.const 0) (i64.const 0))
    (call $time (str "monotonic") (i32.const 1) (i64.const 0))
    (call $time (str "monotonic, any precision") (i32.const 1) (i64.const -1))
    (call $time (str "realtime") (i32.const 0) (i64.const 1000))
    ;; resolutions do not move the clocks
    (call $res (str "realtime resolution") (i32.const 0))
    (call $res (str "monotonic resolution") (i32.const 1))
    (call $time (str "monotonic") (i32.const 1) (i64.const 0))
    ;; CPU-time clocks are not offered; unknown clocks are invalid; failures do not move time
    (call $time (str "process cputime") (i32.const 2) (i64.const 0))
    (call $time (str "thread cputime") (i32.const 3) (i64.const 0))
    (call $time (str "clock 4") (i32.const 4) (i64.const 0))
    (call $time (str "clock -1") (i32.const -1) (i64.const 0))
    (call $res (str "process cputime resolution") (i32.const 2))
    (call $res (str "clock 99 resolution") (i32.const 99))
    (call $time (str "monotonic") (i32.const 1) (i64.const 0)))
"#;

/// `sched_yield` and `poll_oneoff` on a clock (sleeping) move virtual time as they should.
const SLEEP: &str = r#"
  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65536)))
    (i64.load (i32.const 65536)))
  (func $main (local $before i64)
    (call $errno (str "sched_yield") (call $sched_yield))
    (call $val (str "monotonic") (call $now))
    ;; sleep 2.5 s: one relative clock subscription at 65600, the event at 65700
    (i64.store (i32.const 65600) (i64.const 77))                 ;; userdata
    (i32.store8 (i32.const 65608) (i32.const 0))                 ;; clock
    (i32.store (i32.const 65616) (i32.const 1))                  ;; monotonic
    (i64.store (i32.const 65624) (i64.const 2500000000))         ;; timeout
    (i64.store (i32.const 65632) (i64.const 0))                  ;; precision
    (i32.store16 (i32.const 65640) (i32.const 0))                ;; relative
    (call $errno (str "sleep") (call $poll_oneoff (i32.const 65600) (i32.const 65700) (i32.const 1) (i32.const 65800)))
    (call $val (str "events") (i64.load32_u (i32.const 65800)))
    (call $val (str "userdata") (i64.load (i32.const 65700)))
    (call $val (str "monotonic") (call $now))
    (call $time_real))
  (func $time_real
    (drop (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 65536)))
    (call $val (str "realtime") (i64.load (i32.const 65536))))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            stdout: b"realtime: 1700000000000000000\n\
                      realtime: 1700000000001000000\n\
                      monotonic: 2000000\n\
                      monotonic, any precision: 3000000\n\
                      realtime: 1700000000004000000\n\
                      realtime resolution: 1000000\n\
                      monotonic resolution: 1000000\n\
                      monotonic: 5000000\n\
                      process cputime: EBADF (8)\n\
                      thread cputime: EBADF (8)\n\
                      clock 4: EINVAL (28)\n\
                      clock -1: EINVAL (28)\n\
                      process cputime resolution: EBADF (8)\n\
                      clock 99 resolution: EINVAL (28)\n\
                      monotonic: 6000000\n",
            ..Program::new(GROUP, "readings_step_by_one_ms", wat(READINGS))
        },
        Program {
            // Sleeping 2.5 s from 1 ms (the reading moved the clock) ends at 2.501 s; the
            // reading after it shows that, and moves the clock on again.
            stdout: b"sched_yield: ok\n\
                      monotonic: 0\n\
                      sleep: ok\n\
                      events: 1\n\
                      userdata: 77\n\
                      monotonic: 2501000000\n\
                      realtime: 1700000002502000000\n",
            ..Program::new(GROUP, "sleep_moves_virtual_time", wat(SLEEP))
        },
    ]
}
