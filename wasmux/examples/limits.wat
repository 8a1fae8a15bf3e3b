;; The module of examples/limits.rs: work to meter, a loop that never ends, and memory to grow.
(module
  (memory (export "memory") 1)

  ;; Counts from 0 to n: about six operators per step, so its fuel cost grows with n.
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))

  ;; Never returns: only fuel, a deadline or an interrupt stops it.
  (func (export "spin")
    (loop $forever (br $forever)))

  ;; Returns at once.
  (func (export "quick") (result i32)
    (i32.const 42))

  ;; memory.grow: the old size in pages, or -1 if the growth was refused.
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages))))
