;; The module of examples/wasi.rs: a WASI command that greets on stdout, then copies the file
;; data/input.txt from its first preopened directory (descriptor 3) to stdout.
;; Exit status: 0 when the file was copied, 1 if it could not be opened, 2 if reading failed.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0: an iovec {ptr, len}; 8: bytes read or written; 12: the opened descriptor;
  ;; 1024: the copy buffer (4 KiB).
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello from a WASI command! Here is data/input.txt:\n")
  (data (i32.const 128) "data/input.txt")
  (data (i32.const 160) "cannot open data/input.txt\n")
  (data (i32.const 192) "cannot read data/input.txt\n")

  ;; Writes `len` bytes at `ptr` to stdout (descriptor 1).
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "_start") (local $fd i32) (local $n i32)
    (call $print (i32.const 16) (i32.const 51))
    ;; path_open(dir 3, no symlink following, path, no create flags, rights: fd_read (bit 1),
    ;; no inherited rights, no fd flags, where to put the new descriptor): 0 on success.
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 128) (i32.const 14)
                         (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 12))
      (then
        (call $print (i32.const 160) (i32.const 27))
        (call $proc_exit (i32.const 1))))
    (local.set $fd (i32.load (i32.const 12)))
    ;; Read up to 4 KiB at a time and write what was read, until end of file (0 bytes).
    (loop $copy
      (i32.store (i32.const 0) (i32.const 1024))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))
        (then
          (call $print (i32.const 192) (i32.const 27))
          (call $proc_exit (i32.const 2))))
      (local.set $n (i32.load (i32.const 8)))
      (if (local.get $n)
        (then
          (call $print (i32.const 1024) (local.get $n))
          (br $copy))))
    (drop (call $fd_close (local.get $fd)))))
