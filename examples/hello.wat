;; A WASI command: prints a greeting and its arguments, exits with the argument count.
;; Run: wasmux run examples/hello.wat some args
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello from WebAssembly!\n")
  (func $print (param $ptr i32) (param $len i32)
    ;; one iovec at address 0: {ptr, len}; bytes written go to address 8
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $print (i32.const 16) (i32.const 24))
    ;; argc lands at address 64; argv[0] is the program, so exit with argc - 1
    (drop (call $args_sizes_get (i32.const 64) (i32.const 68)))
    (call $proc_exit (i32.sub (i32.load (i32.const 64)) (i32.const 1)))))
