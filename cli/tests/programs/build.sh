#!/bin/sh
# Rebuilds the committed .wasm files of the differential tests (cli/tests/differential.rs) from
# the C sources next to them: WASI commands, each run with `wasmux run --engine all`. Needs
# Debian's
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
set -eu
cd "$(dirname "$0")"
for prog in stat_seek timings random_bytes deep_recursion write_files; do
    clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$prog.wasm" "$prog.c"
done
