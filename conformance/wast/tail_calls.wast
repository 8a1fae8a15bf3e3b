;; Tail calls: recursion deeper than any engine's call stack completes, directly and indirectly.
;; requires: tail-calls
(module
  (type $step (func (param i64 i64) (result i64)))
  (table funcref (elem $count_indirect))
  (func $count (export "count") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1))))))
  (func $count_indirect (export "count_indirect") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_indirect (type $step)
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2)) (i32.const 0))))))

(assert_return (invoke "count" (i64.const 1000000) (i64.const 0)) (i64.const 1000000))
(assert_return (invoke "count_indirect" (i64.const 1000000) (i64.const 0)) (i64.const 2000000))
