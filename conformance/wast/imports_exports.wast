;; Imports and exports across modules: the spectest host module and registered instances.
(module $lib
  (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "fail") unreachable))
(register "lib" $lib)

(module $app
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "lib" "double" (func $double (param i32) (result i32)))
  (import "lib" "fail" (func $fail))
  (func (export "quadruple") (param i32) (result i32)
    (call $print (local.get 0))
    (call $double (call $double (local.get 0))))
  (func (export "fail_through") (call $fail)))

(assert_return (invoke $app "quadruple" (i32.const 5)) (i32.const 20))
(assert_return (invoke $lib "double" (i32.const -4)) (i32.const -8))
(assert_trap (invoke $app "fail_through") "unreachable")
(assert_unlinkable (module (import "lib" "missing" (func))) "unknown import")
(assert_unlinkable (module (import "lib" "double" (func (param i64)))) "incompatible import type")
(assert_unlinkable (module (import "nowhere" "f" (func))) "unknown import")
(assert_invalid (module (func) (export "f" (func 0)) (export "f" (func 0))) "duplicate export name")
