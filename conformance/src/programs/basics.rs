//! The smallest WASI commands: output, arguments, exit status.

use crate::program::{Ending, Guest, Program};

const HELLO: &str = include_str!("../../../examples/hello.wat");

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            args: &["a", "b", "c"],
            ending: Ending::Exit(3),
            stdout: b"Hello from WebAssembly!\n",
            ..Program::new("wasi_basics", "hello_exit_with_argc", Guest::Wat(HELLO))
        },
        Program {
            ending: Ending::Trap(wasmux_core::TrapCode::Unreachable),
            ..Program::new(
                "wasi_basics",
                "trap_in_start",
                Guest::Wat(
                    r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#,
                ),
            )
        },
    ]
}
