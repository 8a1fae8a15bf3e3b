;; Host-call round trips: the guest calls the host n times, with and without the host touching
;; guest memory; `id` is an empty export for host -> guest call overhead.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "touch" (func $touch (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "id") (param $x i32) (result i64) (i64.extend_i32_u (local.get $x)))
  ;; sum of add(i, 1) for i in 0..n
  (func (export "host_nomem") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i64.add (local.get $acc)
        (i64.extend_i32_u (call $add (local.get $i) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  ;; the host reads the i32 at 16, stores it plus one and returns it, n times; returns the last
  (func (export "host_mem") (param $n i32) (result i64)
    (local $i i32) (local $last i32)
    (i32.store (i32.const 16) (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $last (call $touch (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.extend_i32_u (local.get $last))))
