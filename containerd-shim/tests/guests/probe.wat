;; A WASI command that shows what the container gave it: each argument as `arg: ...`, each
;; environment variable as `env: ...`, the root filesystem's /etc/greeting as `file: ...`, each
;; preopened directory as `preopen: NAME read-only|writable` (whether it may create a file
;; there) and what its file `greeting` holds, whether its memory may grow by 4 MiB as
;; `grow: ok|refused`, then a line on stderr, and exit status 7.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0..16: an iovec, the count written, the count read; 16..300: strings; 300: a prestat;
  ;; 320..1000: a preopen's name; 1024: argv pointers; 2048: environ pointers; 4096: argument bytes; 16384: environment bytes; 120000: file bytes.
  (memory (export "memory") 2)
  (data (i32.const 16) "arg: ")
  (data (i32.const 24) "env: ")
  (data (i32.const 32) "\n")
  (data (i32.const 40) "probe stderr\n")
  (data (i32.const 64) "etc/greeting")
  (data (i32.const 80) "file: ")
  (data (i32.const 128) "preopen: ")
  (data (i32.const 144) " read-only")
  (data (i32.const 160) " writable")
  (data (i32.const 176) " greeting: ")
  (data (i32.const 192) "greeting")
  (data (i32.const 208) "probe-write")
  (data (i32.const 224) "grow: ok\n")
  (data (i32.const 240) "grow: refused\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  ;; Prints the `count` NUL-terminated strings whose pointers are at `ptrs`, one a line, each
  ;; after the 5-byte `prefix`.
  (func $print_list (param $ptrs i32) (param $count i32) (param $prefix i32) (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load (i32.add (local.get $ptrs) (i32.mul (local.get $i) (i32.const 4)))))
        (call $write (i32.const 1) (local.get $prefix) (i32.const 5))
        (call $write (i32.const 1) (local.get $s) (call $strlen (local.get $s)))
        (call $write (i32.const 1) (i32.const 32) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  ;; Prints the preopen `fd`'s line; false if `fd` is no preopen.
  (func $print_preopen (param $fd i32) (result i32) (local $len i32) (local $file i32)
    (if (call $fd_prestat_get (local.get $fd) (i32.const 300)) (then (return (i32.const 0))))
    (local.set $len (i32.load (i32.const 304)))
    (if (i32.gt_u (local.get $len) (i32.const 600)) (then (return (i32.const 0))))
    (drop (call $fd_prestat_dir_name (local.get $fd) (i32.const 320) (local.get $len)))
    (call $write (i32.const 1) (i32.const 128) (i32.const 9))
    (call $write (i32.const 1) (i32.const 320) (local.get $len))
    ;; O_CREAT, rights fd_write
    (if (call $path_open (local.get $fd) (i32.const 0) (i32.const 208) (i32.const 11) (i32.const 1)
          (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 1008))
      (then (call $write (i32.const 1) (i32.const 144) (i32.const 10)))
      (else
        (drop (call $fd_close (i32.load (i32.const 1008))))
        (call $write (i32.const 1) (i32.const 160) (i32.const 9))))
    (if (call $path_open (local.get $fd) (i32.const 0) (i32.const 192) (i32.const 8) (i32.const 0)
          (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 1008))
      (then (call $write (i32.const 1) (i32.const 32) (i32.const 1)))
      (else
        (local.set $file (i32.load (i32.const 1008)))
        (i32.store (i32.const 0) (i32.const 120000))
        (i32.store (i32.const 4) (i32.const 1000))
        (drop (call $fd_read (local.get $file) (i32.const 0) (i32.const 1) (i32.const 12)))
        (drop (call $fd_close (local.get $file)))
        (call $write (i32.const 1) (i32.const 176) (i32.const 11))
        (call $write (i32.const 1) (i32.const 120000) (i32.load (i32.const 12)))))
    (i32.const 1))
  (func (export "_start") (local $fd i32)
    (drop (call $args_sizes_get (i32.const 1000) (i32.const 1004)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $print_list (i32.const 1024) (i32.load (i32.const 1000)) (i32.const 16))
    (drop (call $environ_sizes_get (i32.const 1000) (i32.const 1004)))
    (drop (call $environ_get (i32.const 2048) (i32.const 16384)))
    (call $print_list (i32.const 2048) (i32.load (i32.const 1000)) (i32.const 24))
    ;; /etc/greeting through the first preopen (fd 3), the root filesystem; exit 99 if absent.
    (if (call $path_open (i32.const 3) (i32.const 1) (i32.const 64) (i32.const 12) (i32.const 0)
          (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 1008))
      (then (call $proc_exit (i32.const 99))))
    (i32.store (i32.const 0) (i32.const 120000))
    (i32.store (i32.const 4) (i32.const 1000))
    (drop (call $fd_read (i32.load (i32.const 1008)) (i32.const 0) (i32.const 1) (i32.const 12)))
    (call $write (i32.const 1) (i32.const 80) (i32.const 6))
    (call $write (i32.const 1) (i32.const 120000) (i32.load (i32.const 12)))
    (local.set $fd (i32.const 3))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (call $print_preopen (local.get $fd))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next)))
    (if (i32.eq (memory.grow (i32.const 64)) (i32.const -1))
      (then (call $write (i32.const 1) (i32.const 240) (i32.const 14)))
      (else (call $write (i32.const 1) (i32.const 224) (i32.const 9))))
    (call $write (i32.const 2) (i32.const 40) (i32.const 13))
    (call $proc_exit (i32.const 7))))
