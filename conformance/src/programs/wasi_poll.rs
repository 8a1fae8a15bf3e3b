//! `poll_oneoff` with clock subscriptions (relative, absolute, on either clock: virtual time
//! jumps to the earliest deadline) and descriptor subscriptions (ready at once, with the bytes
//! available), and the errors that fail the whole call.

use super::wasi_kit::wat_parts;
use crate::program::{Preopen, Program, Setup};

const GROUP: &str = "wasi_poll";

/// Subscriptions are built at 65600 (48 bytes each), events land at 66400 (32 bytes each).
const POLL: &str = r#"
  (func $sub (param $i i32) (result i32) (i32.add (i32.const 65600) (i32.mul (local.get $i) (i32.const 48))))
  (func $clock_sub (param $i i32) (param $userdata i64) (param $id i32) (param $timeout i64) (param $flags i32) (local $p i32)
    (local.set $p (call $sub (local.get $i)))
    (i64.store (local.get $p) (local.get $userdata))
    (i32.store8 offset=8 (local.get $p) (i32.const 0))
    (i32.store offset=16 (local.get $p) (local.get $id))
    (i64.store offset=24 (local.get $p) (local.get $timeout))
    (i64.store offset=32 (local.get $p) (i64.const 0))
    (i32.store16 offset=40 (local.get $p) (local.get $flags)))
  (func $fd_sub (param $i i32) (param $userdata i64) (param $tag i32) (param $fd i32) (local $p i32)
    (local.set $p (call $sub (local.get $i)))
    (i64.store (local.get $p) (local.get $userdata))
    (i32.store8 offset=8 (local.get $p) (local.get $tag))
    (i32.store offset=16 (local.get $p) (local.get $fd)))
  (func $poll (param $lp i32) (param $ll i32) (param $n i32) (local $e i32) (local $i i32) (local $p i32)
    (i32.store (i32.const 65590) (i32.const 999))
    (local.set $e (call $poll_oneoff (i32.const 65600) (i32.const 66400) (local.get $n) (i32.const 65590)))
    (call $errno (local.get $lp) (local.get $ll) (local.get $e))
    (if (local.get $e) (then (return)))
    (call $val (str "  events") (i64.load32_u (i32.const 65590)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 65590))))
        (local.set $p (i32.add (i32.const 66400) (i32.mul (local.get $i) (i32.const 32))))
        (call $print (str "  userdata "))
        (call $u64 (i64.load (local.get $p)))
        (call $print (str " error "))
        (call $num (i32.load16_u offset=8 (local.get $p)))
        (call $print (str " type "))
        (call $num (i32.load8_u offset=10 (local.get $p)))
        (call $print (str " nbytes "))
        (call $u64 (i64.load offset=16 (local.get $p)))
        (call $print (str " flags "))
        (call $num (i32.load16_u offset=24 (local.get $p)))
        (call $nl)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
  (func $now (param $id i32)
    (drop (call $clock_time_get (local.get $id) (i64.const 0) (i32.const 65580)))
    (if (local.get $id)
      (then (call $val (str "monotonic") (i64.load (i32.const 65580))))
      (else (call $val (str "realtime") (i64.load (i32.const 65580))))))
"#;

const CLOCKS: &str = r#"
  (func $main
    (call $now (i32.const 1))
    (call $clock_sub (i32.const 0) (i64.const 1) (i32.const 1) (i64.const 1000000000) (i32.const 0))
    (call $poll (str "monotonic, 1 s") (i32.const 1))
    (call $now (i32.const 1))
    ;; the earliest of two fires, alone
    (call $clock_sub (i32.const 0) (i64.const 2) (i32.const 1) (i64.const 5000000000) (i32.const 0))
    (call $clock_sub (i32.const 1) (i64.const 3) (i32.const 1) (i64.const 2000000000) (i32.const 0))
    (call $poll (str "monotonic, 5 s and 2 s") (i32.const 2))
    (call $now (i32.const 1))
    ;; absolute: a deadline passed fires at once, and time does not move
    (call $clock_sub (i32.const 0) (i64.const 4) (i32.const 1) (i64.const 1000000000) (i32.const 1))
    (call $poll (str "monotonic, at 1 s") (i32.const 1))
    (call $now (i32.const 1))
    (call $now (i32.const 0))
    ;; absolute real time: 10 s after the start
    (call $clock_sub (i32.const 0) (i64.const 5) (i32.const 0) (i64.const 1700000010000000000) (i32.const 1))
    (call $poll (str "realtime, at start + 10 s") (i32.const 1))
    (call $now (i32.const 0))
    (call $clock_sub (i32.const 0) (i64.const 6) (i32.const 0) (i64.const 1000000000) (i32.const 0))
    (call $clock_sub (i32.const 1) (i64.const 7) (i32.const 1) (i64.const 0) (i32.const 0))
    (call $poll (str "realtime 1 s, monotonic 0 s") (i32.const 2))
    (call $now (i32.const 1))
    ;; errors fail the whole call
    (call $poll (str "no subscriptions") (i32.const 0))
    (call $clock_sub (i32.const 0) (i64.const 8) (i32.const 1) (i64.const 1000) (i32.const 0))
    (call $clock_sub (i32.const 1) (i64.const 9) (i32.const 2) (i64.const 1000) (i32.const 0))
    (call $poll (str "process cputime clock") (i32.const 2))
    (call $clock_sub (i32.const 1) (i64.const 9) (i32.const 7) (i64.const 1000) (i32.const 0))
    (call $poll (str "clock 7") (i32.const 2))
    (call $clock_sub (i32.const 1) (i64.const 9) (i32.const 1) (i64.const 1000) (i32.const 2))
    (call $poll (str "clock flag 2") (i32.const 2))
    (call $fd_sub (i32.const 1) (i64.const 9) (i32.const 3) (i32.const 1))
    (call $poll (str "subscription type 3") (i32.const 2))
    (call $now (i32.const 1)))
"#;

const FDS: &str = r#"
  (func $main (local $fd i32)
    (call $fd_sub (i32.const 0) (i64.const 10) (i32.const 1) (i32.const 0))
    (call $clock_sub (i32.const 1) (i64.const 11) (i32.const 1) (i64.const 1000000000) (i32.const 0))
    (call $poll (str "stdin, or 1 s") (i32.const 2))
    (call $now (i32.const 1))
    (drop (call $read (i32.const 0) (i32.const 65536) (i32.const 2)))
    (call $poll (str "stdin after 2 bytes") (i32.const 1))
    (drop (call $read (i32.const 0) (i32.const 65536) (i32.const 20)))
    (call $poll (str "stdin at its end") (i32.const 1))
    ;; a file: the bytes left after the position
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $ALL) (i32.const 0)))
    (local.set $fd (global.get $fd))
    (call $fd_sub (i32.const 0) (i64.const 12) (i32.const 1) (local.get $fd))
    (call $poll (str "file") (i32.const 1))
    (drop (call $seek (local.get $fd) (i64.const 4) (i32.const 0)))
    (call $poll (str "file after seeking to 4") (i32.const 1))
    ;; writes are ready at once
    (call $fd_sub (i32.const 0) (i64.const 13) (i32.const 2) (i32.const 1))
    (call $fd_sub (i32.const 1) (i64.const 14) (i32.const 2) (local.get $fd))
    (call $fd_sub (i32.const 2) (i64.const 15) (i32.const 1) (local.get $fd))
    (call $clock_sub (i32.const 3) (i64.const 16) (i32.const 1) (i64.const 0) (i32.const 0))
    (call $poll (str "stdout, the file both ways, a clock due now") (i32.const 4))
    (call $now (i32.const 1))
    ;; errors fail the whole call
    (call $fd_sub (i32.const 0) (i64.const 17) (i32.const 1) (i32.const 42))
    (call $poll (str "fd 42") (i32.const 2))
    (call $fd_sub (i32.const 0) (i64.const 17) (i32.const 1) (i32.const 3))
    (call $poll (str "a directory") (i32.const 2))
    (drop (call $open (i32.const 3) (str "f.txt") (i32.const 0) (global.get $FD_READ) (i32.const 0)))
    (call $fd_sub (i32.const 0) (i64.const 17) (i32.const 1) (global.get $fd))
    (call $poll (str "without POLL_FD_READWRITE") (i32.const 2)))
"#;

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            stdout: b"monotonic: 0\n\
                      monotonic, 1 s: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 1 error 0 type 0 nbytes 0 flags 0\n\
                      monotonic: 1001000000\n\
                      monotonic, 5 s and 2 s: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 3 error 0 type 0 nbytes 0 flags 0\n\
                      monotonic: 3002000000\n\
                      monotonic, at 1 s: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 4 error 0 type 0 nbytes 0 flags 0\n\
                      monotonic: 3003000000\n\
                      realtime: 1700000003004000000\n\
                      realtime, at start + 10 s: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 5 error 0 type 0 nbytes 0 flags 0\n\
                      realtime: 1700000010000000000\n\
                      realtime 1 s, monotonic 0 s: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 7 error 0 type 0 nbytes 0 flags 0\n\
                      monotonic: 10001000000\n\
                      no subscriptions: EINVAL (28)\n\
                      process cputime clock: EBADF (8)\n\
                      clock 7: EINVAL (28)\n\
                      clock flag 2: EINVAL (28)\n\
                      subscription type 3: EINVAL (28)\n\
                      monotonic: 10002000000\n",
            ..Program::new(GROUP, "clocks", wat_parts(&[POLL, CLOCKS]))
        },
        Program {
            stdin: b"ping\n",
            setup: &[Setup::File("box/f.txt", b"0123456789")],
            preopens: &[Preopen { host: "box", guest: "/box", read_only: false }],
            stdout: b"stdin, or 1 s: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 10 error 0 type 1 nbytes 5 flags 0\n\
                      monotonic: 0\n\
                      stdin after 2 bytes: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 10 error 0 type 1 nbytes 3 flags 0\n\
                      stdin at its end: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 10 error 0 type 1 nbytes 0 flags 1\n\
                      file: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 12 error 0 type 1 nbytes 10 flags 0\n\
                      file after seeking to 4: ok\n\
                      \x20 events: 1\n\
                      \x20 userdata 12 error 0 type 1 nbytes 6 flags 0\n\
                      stdout, the file both ways, a clock due now: ok\n\
                      \x20 events: 4\n\
                      \x20 userdata 13 error 0 type 2 nbytes 0 flags 0\n\
                      \x20 userdata 14 error 0 type 2 nbytes 0 flags 0\n\
                      \x20 userdata 15 error 0 type 1 nbytes 6 flags 0\n\
                      \x20 userdata 16 error 0 type 0 nbytes 0 flags 0\n\
                      monotonic: 1000000\n\
                      fd 42: EBADF (8)\n\
                      a directory: EBADF (8)\n\
                      without POLL_FD_READWRITE: ENOTCAPABLE (76)\n",
            ..Program::new(GROUP, "descriptors", wat_parts(&[POLL, FDS]))
        },
    ]
}
