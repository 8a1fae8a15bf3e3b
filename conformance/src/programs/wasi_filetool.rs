//! The C file tool (`conformance/guests/filetool.c`, built with wasi-libc): cat, cp, ls, find,
//! stat, mkdir, rm, mv, ln, write, append and touch, as a realistic program uses WASI, with the
//! guest's root directory preopened as `/`.

use crate::program::{Ending, Guest, Preopen, Program, Setup};

const GROUP: &str = "wasi_filetool";

const FILETOOL: Guest = Guest::Wasm(include_bytes!("../../guests/filetool.wasm"));

/// The guest's `/` is `root/`; `outside.txt` lies beside it, out of reach.
const TREE: &[Setup] = &[
    Setup::File("outside.txt", b"secret\n"),
    Setup::File("root/hello.txt", b"Hello, file!\n"),
    Setup::File("root/docs/b.md", b"# B\n"),
    Setup::File("root/docs/a.md", b"# A\n"),
    Setup::File("root/docs/sub/deep.txt", b"deep\n"),
    Setup::Dir("root/empty"),
    Setup::Symlink("root/link", "hello.txt"),
];

const ROOT: &[Preopen] = &[Preopen { host: "root", guest: "/", read_only: false }];

fn run(name: &'static str, args: &'static [&'static str]) -> Program {
    Program { args, setup: TREE, preopens: ROOT, ..Program::new(GROUP, name, FILETOOL) }
}

pub(super) fn programs() -> Vec<Program> {
    vec![
        Program {
            stdin: b"from stdin\n",
            ending: Ending::Exit(1),
            stdout: b"Hello, file!\n\
                      # A\n\
                      from stdin\n\
                      Hello, file!\n",
            stderr: b"filetool: cat: missing.txt: No such file or directory\n",
            ..run("cat", &["cat", "hello.txt", "/docs/a.md", "-", "missing.txt", "link"])
        },
        Program {
            stdout: b"",
            files_after: &[
                ("root/docs/copy.txt", Some(b"Hello, file!\n")),
                ("root/hello.txt", Some(b"Hello, file!\n")),
            ],
            ..run("cp", &["cp", "hello.txt", "/docs/copy.txt"])
        },
        Program {
            stdout: b"d docs/\n\
                      d empty/\n\
                      -     13 hello.txt\n\
                      l      9 link -> hello.txt\n",
            ..run("ls_long", &["ls", "-l", "/"])
        },
        Program {
            stdout: b"docs:\n\
                      a.md\n\
                      b.md\n\
                      sub\n\
                      /empty:\n",
            ..run("ls_two_dirs", &["ls", "docs", "/empty"])
        },
        Program {
            stdout: b"/\n\
                      /docs/\n\
                      /docs/a.md\n\
                      /docs/b.md\n\
                      /docs/sub/\n\
                      /docs/sub/deep.txt\n\
                      /empty/\n\
                      /hello.txt\n\
                      /link\n",
            ..run("find", &["find", "/"])
        },
        Program {
            ending: Ending::Exit(1),
            stdout: b"hello.txt: type - size 13 links 1\n\
                      link: type l size 9 links 1\n\
                      /docs: type d size 0 links 0\n",
            stderr: b"filetool: stat: missing: No such file or directory\n",
            ..run("stat", &["stat", "hello.txt", "link", "/docs", "missing"])
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: mkdir: docs: File exists\n\
                      filetool: mkdir: x/y: No such file or directory\n",
            files_after: &[
                ("root/new", Some(b"<dir>")),
                ("root/docs/a.md", Some(b"# A\n")),
                ("root/x", None),
            ],
            ..run("mkdir", &["mkdir", "new", "docs", "x/y"])
        },
        Program {
            files_after: &[("root/a/b/c", Some(b"<dir>")), ("root/docs/a.md", Some(b"# A\n"))],
            ..run("mkdir_parents", &["mkdir", "-p", "a/b/c", "docs", "/empty"])
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: rm: docs: Is a directory\n\
                      filetool: rm: missing: No such file or directory\n",
            files_after: &[
                ("root/hello.txt", None),
                ("root/link", None),
                ("root/docs", Some(b"<dir>")),
                ("root/docs/a.md", Some(b"# A\n")),
            ],
            ..run("rm", &["rm", "hello.txt", "link", "docs", "missing"])
        },
        Program {
            files_after: &[
                ("root/docs", None),
                ("root/docs/sub/deep.txt", None),
                ("root/hello.txt", Some(b"Hello, file!\n")),
            ],
            ..run("rm_recursive", &["rm", "-r", "/docs"])
        },
        Program {
            files_after: &[
                ("root/hello.txt", None),
                ("root/docs/sub/moved.txt", Some(b"Hello, file!\n")),
            ],
            ..run("mv", &["mv", "hello.txt", "docs/sub/moved.txt"])
        },
        Program {
            files_after: &[("root/docs/sub/up", Some(b"-> ../../hello.txt"))],
            ..run("ln_symbolic", &["ln", "-s", "../../hello.txt", "docs/sub/up"])
        },
        Program {
            files_after: &[("root/hard", Some(b"Hello, file!\n"))],
            ..run("ln_hard", &["ln", "hello.txt", "hard"])
        },
        Program {
            stdin: b"written from stdin\n",
            files_after: &[
                ("root/hello.txt", Some(b"written from stdin\n")),
                ("root/link", Some(b"-> hello.txt")),
            ],
            ..run("write_through_a_symlink", &["write", "link"])
        },
        Program {
            files_after: &[("root/hello.txt", Some(b"Hello, file!\nappended\n"))],
            ..run("append", &["append", "hello.txt", "appended"])
        },
        Program {
            stdout: b"hello.txt: mtime 1234567890\n",
            ..run("touch", &["touch", "1234567890", "hello.txt"])
        },
        // Escapes, as a C program meets them: paths resolve inside the preopen, so `/etc`
        // is the guest's own (missing) `/etc`, and `..` past `/` is refused.
        Program {
            ending: Ending::Exit(1),
            stdout: b"",
            stderr: b"filetool: cat: /../outside.txt: Operation not permitted\n\
                      filetool: cat: ../outside.txt: Operation not permitted\n\
                      filetool: cat: docs/../../outside.txt: Operation not permitted\n\
                      filetool: cat: /etc/passwd: No such file or directory\n",
            ..run(
                "cat_outside",
                &[
                    "cat",
                    "/../outside.txt",
                    "../outside.txt",
                    "docs/../../outside.txt",
                    "/etc/passwd",
                ],
            )
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: mv: hello.txt: Operation not permitted\n",
            files_after: &[
                ("outside.txt", Some(b"secret\n")),
                ("moved", None),
                ("stolen", None),
                ("root/stolen", None),
            ],
            ..run("mv_outside", &["mv", "hello.txt", "../moved"])
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: ln: escape: Operation not permitted\n",
            files_after: &[("root/escape", None)],
            ..run("symlink_to_an_absolute_path", &["ln", "-s", "/etc/passwd", "escape"])
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: write: new.txt: Capabilities insufficient\n",
            preopens: &[Preopen { host: "root", guest: "/", read_only: true }],
            files_after: &[("root/new.txt", None)],
            ..run("write_read_only", &["write", "new.txt"])
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: rm: hello.txt: Capabilities insufficient\n",
            preopens: &[Preopen { host: "root", guest: "/", read_only: true }],
            files_after: &[("root/hello.txt", Some(b"Hello, file!\n"))],
            ..run("rm_read_only", &["rm", "hello.txt"])
        },
        Program {
            ending: Ending::Exit(1),
            stderr: b"filetool: cat: hello.txt: Capabilities insufficient\n\
                      filetool: cat: /hello.txt: Capabilities insufficient\n",
            preopens: &[],
            ..run("no_preopens", &["cat", "hello.txt", "/hello.txt"])
        },
        Program {
            ending: Ending::Exit(2),
            stderr:
                b"usage: filetool cat|cp|ls|find|stat|mkdir|rm|mv|ln|write|append|touch ARGS...\n",
            ..run("usage", &[])
        },
    ]
}
