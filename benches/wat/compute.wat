;; Compute workloads for the benchmarks; each export takes a size and returns a checksum.
(module
  (memory (export "memory") 64) ;; 4 MiB

  ;; Recursive Fibonacci.
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "fib") (param $n i32) (result i64)
    (i64.extend_i32_u (call $fib (local.get $n))))

  ;; A tight integer loop: n steps of a 64-bit LCG, xor-folded.
  (func (export "loop") (param $n i32) (result i64)
    (local $x i64) (local $acc i64)
    (local.set $x (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
                               (i64.const 1442695040888963407)))
        (local.set $acc (i64.xor (local.get $acc) (i64.shr_u (local.get $x) (i64.const 33))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; Fills n i32s (n <= 1M) with an LCG, shell-sorts them, returns sum(a[i] * (i+1)), or -1
  ;; if the result is not sorted.
  (func (export "sort") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $gap i32) (local $x i32) (local $v i32) (local $sum i64)
    (local.set $x (i32.const 12345))
    (block $filled (loop $fill
      (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $x) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $gap (i32.shr_u (local.get $n) (i32.const 1)))
    (block $sorted (loop $gaps
      (br_if $sorted (i32.eqz (local.get $gap)))
      (local.set $i (local.get $gap))
      (block $pass_done (loop $pass
        (br_if $pass_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i32.load (i32.shl (local.get $i) (i32.const 2))))
        (local.set $j (local.get $i))
        (block $placed (loop $shift
          (br_if $placed (i32.lt_u (local.get $j) (local.get $gap)))
          (br_if $placed (i32.le_s
            (i32.load (i32.shl (i32.sub (local.get $j) (local.get $gap)) (i32.const 2)))
            (local.get $v)))
          (i32.store (i32.shl (local.get $j) (i32.const 2))
            (i32.load (i32.shl (i32.sub (local.get $j) (local.get $gap)) (i32.const 2))))
          (local.set $j (i32.sub (local.get $j) (local.get $gap)))
          (br $shift)))
        (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $pass)))
      ;; gap = gap * 5 / 11 rounded, ending in 1 (a fast, simple sequence)
      (if (i32.eq (local.get $gap) (i32.const 1))
        (then (local.set $gap (i32.const 0)))
        (else
          (local.set $gap (i32.div_u (i32.mul (local.get $gap) (i32.const 5)) (i32.const 11)))
          (if (i32.eqz (local.get $gap)) (then (local.set $gap (i32.const 1))))))
      (br $gaps)))
    (local.set $i (i32.const 0))
    (block $summed (loop $sum_loop
      (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (i32.load (i32.shl (local.get $i) (i32.const 2))))
      (if (i32.gt_u (local.get $i) (i32.const 0))
        (then (if (i32.gt_s (i32.load (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))
                            (local.get $v))
          (then (return (i64.const -1))))))
      (local.set $sum (i64.add (local.get $sum)
        (i64.mul (i64.extend_i32_u (local.get $v)) (i64.extend_i32_u (i32.add (local.get $i) (i32.const 1))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sum_loop)))
    (local.get $sum))

  ;; n x n i32 matrix multiply (n <= 256): A[i][j] = (i*3 + j) & 255, B[i][j] = (i + j*7) & 255,
  ;; C = A B at offsets 0, n*n*4, 2*n*n*4; returns the sum of C.
  (func (export "matmul") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $k i32) (local $a i32) (local $b i32) (local $c i32)
    (local $acc i32) (local $sum i64)
    (local.set $b (i32.mul (i32.mul (local.get $n) (local.get $n)) (i32.const 4)))
    (local.set $c (i32.mul (local.get $b) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
        (i32.store (local.get $a)
          (i32.and (i32.add (i32.mul (local.get $i) (i32.const 3)) (local.get $j)) (i32.const 255)))
        (i32.store (i32.add (local.get $b) (local.get $a))
          (i32.and (i32.add (local.get $i) (i32.mul (local.get $j) (i32.const 7))) (i32.const 255)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1)))
    (local.set $i (i32.const 0))
    (block $e1 (loop $m1
      (br_if $e1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $e2 (loop $m2
        (br_if $e2 (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $acc (i32.const 0))
        (local.set $k (i32.const 0))
        (block $e3 (loop $m3
          (br_if $e3 (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $acc (i32.add (local.get $acc)
            (i32.mul
              (i32.load (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 2)))
              (i32.load (i32.add (local.get $b)
                (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 2)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $m3)))
        (i32.store (i32.add (local.get $c)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
          (local.get $acc))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $acc))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $m2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $m1)))
    (local.get $sum)))
