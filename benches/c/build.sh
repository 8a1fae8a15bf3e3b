#!/bin/sh
# Rebuilds the committed .wasm files from the C sources next to them. Needs Debian's
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
# The native builds of the same sources come from benches/build.rs (the `cc` crate).
set -eu
cd "$(dirname "$0")"
for prog in sha256 lz77 nbody; do
    clang --target=wasm32-wasi -O2 -mexec-model=reactor -o "$prog.wasm" "$prog.c"
done
