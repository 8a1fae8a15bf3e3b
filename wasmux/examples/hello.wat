;; The module of examples/hello.rs: two exported functions, no imports.
(module
  ;; add(a, b) = a + b
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  ;; hypot(x, y) = sqrt(x * x + y * y)
  (func (export "hypot") (param $x f64) (param $y f64) (result f64)
    (f64.sqrt (f64.add (f64.mul (local.get $x) (local.get $x))
                       (f64.mul (local.get $y) (local.get $y))))))
