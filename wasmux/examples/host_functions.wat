;; The module of examples/host_functions.rs: a guest that calls back into its host.
(module
  ;; A fresh id from the host's counter.
  (import "host" "next_id" (func $next_id (result i32)))
  ;; Adds to a total the host keeps.
  (import "host" "add_to_total" (func $add_to_total (param i64)))
  ;; Prints `len` bytes of this module's memory at `ptr`: the host reads them itself.
  (import "host" "print" (func $print (param i32 i32)))
  ;; Traps (a host error) when its argument is negative.
  (import "host" "check" (func $check (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 0) "Hello from the guest, through host memory access!")

  ;; Prints the greeting, takes three ids, adds them to the total, returns the last id.
  (func (export "run") (result i32) (local $id i32)
    (call $print (i32.const 0) (i32.const 49))
    (local.set $id (call $next_id))
    (call $add_to_total (i64.extend_i32_u (local.get $id)))
    (local.set $id (call $next_id))
    (call $add_to_total (i64.extend_i32_u (local.get $id)))
    (local.set $id (call $next_id))
    (call $add_to_total (i64.extend_i32_u (local.get $id)))
    (local.get $id))

  ;; Asks the host to check `n`.
  (func (export "check") (param $n i32)
    (call $check (local.get $n))))
