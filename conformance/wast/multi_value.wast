;; Multiple results and block parameters.
;; requires: multi-value
(module
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
  (func (export "block_params") (param i32) (result i32)
    (local.get 0) (i32.const 3)
    (block (param i32 i32) (result i32) (i32.mul)))
  (func (export "loop_params") (result i32) (local $i i32)
    (i32.const 1)
    (loop $l (param i32) (result i32)
      (i32.shl (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))))

(assert_return (invoke "divmod" (i32.const 17) (i32.const 5)) (i32.const 3) (i32.const 2))
(assert_return (invoke "swap" (i64.const -1) (f64.const 0.5)) (f64.const 0.5) (i64.const -1))
(assert_return (invoke "block_params" (i32.const 14)) (i32.const 42))
(assert_return (invoke "loop_params") (i32.const 32))
