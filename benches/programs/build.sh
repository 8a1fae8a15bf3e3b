#!/bin/sh
# Rebuilds the committed .wasm files of the whole-process benchmark (benches/whole-process)
# from the C sources next to them: WASI commands, run as `PROGRAM.wasm ROUNDS SIZE`. Needs
# Debian's
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
set -eu
cd "$(dirname "$0")"
for prog in sha256 lz77 nbody sort sieve fileio; do
    clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$prog.wasm" "$prog.c"
done
