;; WASI file I/O: writes `chunks` chunks of 64 KiB to `bench.dat` in the first preopened
;; directory (fd 3) with fd_write, and reads the file back with fd_read in 64 KiB chunks.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 2)
  ;; 0: iovec {ptr, len}; 8: nwritten/nread; 12: opened fd; 32: path; 65536: 64 KiB buffer
  (data (i32.const 32) "bench.dat")
  (func $open (param $oflags i32) (result i32)
    (local $err i32)
    (local.set $err (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 9)
      (local.get $oflags) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 12)))
    (if (local.get $err) (then unreachable))
    (i32.load (i32.const 12)))
  ;; returns the number of bytes written
  (func (export "write_file") (param $chunks i32) (result i64)
    (local $fd i32) (local $i i32) (local $total i64)
    (loop $fill
      (i32.store8 (i32.add (i32.const 65536) (local.get $i)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536))))
    (local.set $fd (call $open (i32.const 9))) ;; O_CREAT | O_TRUNC
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $chunks)))
      (i32.store (i32.const 0) (i32.const 65536))
      (i32.store (i32.const 4) (i32.const 65536))
      (if (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable))
      (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (i32.load (i32.const 8)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (drop (call $fd_close (local.get $fd)))
    (local.get $total))
  ;; returns the number of bytes read plus the sum of the first byte of each chunk
  (func (export "read_file") (result i64)
    (local $fd i32) (local $n i32) (local $total i64)
    (local.set $fd (call $open (i32.const 0)))
    (block $done (loop $next
      (i32.store (i32.const 0) (i32.const 65536))
      (i32.store (i32.const 4) (i32.const 65536))
      (if (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable))
      (local.set $n (i32.load (i32.const 8)))
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $total (i64.add (local.get $total)
        (i64.extend_i32_u (i32.add (local.get $n) (i32.load8_u offset=65537 (i32.const 0))))))
      (br $next)))
    (drop (call $fd_close (local.get $fd)))
    (local.get $total)))
