//! `args_sizes_get`, `args_get`, `environ_sizes_get`, `environ_get`.

use super::wasi_kit::wat;
use crate::program::Program;

/// Prints the sizes, then each argument and variable on a line of its own, in brackets.
const LIST: &str = r#"
  (func $list (param $sizes i32) (param $count i32) (local $i i32) (local $e i32)
    ;; counts at 65536, sizes at 65540, pointers from 65600, strings from 70000
    (local.set $e (call_indirect (type $pair) (i32.const 65536) (i32.const 65540) (local.get $sizes)))
    (call $errno (str "sizes") (local.get $e))
    (call $val (str "count") (i64.load32_u (i32.const 65536)))
    (call $val (str "bytes") (i64.load32_u (i32.const 65540)))
    ;; the strings end exactly where the sizes said
    (i32.store8 (i32.add (i32.const 70000) (i32.load (i32.const 65540))) (i32.const 35))
    (local.set $e (call_indirect (type $pair) (i32.const 65600) (i32.const 70000) (local.get $count)))
    (call $errno (str "get") (local.get $e))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 65536))))
      (call $print (str "["))
      (call $cstr (i32.load (i32.add (i32.const 65600) (i32.shl (local.get $i) (i32.const 2)))))
      (call $print (str "]\n"))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each)))
    (call $print (str "after: "))
    (call $print (i32.add (i32.const 70000) (i32.load (i32.const 65540))) (i32.const 1))
    (call $nl))
  (type $pair (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $args_sizes_get $args_get $environ_sizes_get $environ_get)
  (func $main
    (call $print (str "args\n"))
    (call $list (i32.const 0) (i32.const 1))
    (call $print (str "env\n"))
    (call $list (i32.const 2) (i32.const 3)))
"#;

pub(super) fn programs() -> Vec<Program> {
    const GROUP: &str = "wasi_args_env";
    vec![
        Program {
            args: &["one", "two words", "", "ünïcödé", "--flag=x"],
            env: &[("HOME", "/home/guest"), ("EMPTY", ""), ("EQUALS", "a=b=c"), ("UNICODE", "é")],
            stdout: "args\nsizes: ok\ncount: 6\nbytes: 49\nget: ok\n[args_and_env]\n[one]\n[two words]\n[]\n\
                     [ünïcödé]\n[--flag=x]\nafter: #\n\
                     env\nsizes: ok\ncount: 4\nbytes: 48\nget: ok\n[HOME=/home/guest]\n[EMPTY=]\n[EQUALS=a=b=c]\n\
                     [UNICODE=é]\nafter: #\n"
                .as_bytes(),
            ..Program::new(GROUP, "args_and_env", wat(LIST))
        },
        Program {
            stdout: b"args\nsizes: ok\ncount: 1\nbytes: 8\nget: ok\n[nothing]\nafter: #\n\
                      env\nsizes: ok\ncount: 0\nbytes: 0\nget: ok\nafter: #\n",
            ..Program::new(GROUP, "nothing", wat(LIST))
        },
    ]
}
