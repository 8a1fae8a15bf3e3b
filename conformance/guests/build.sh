#!/bin/sh
# Rebuilds the C guests of the conformance suite: each NAME.c beside this script becomes
# NAME.wasm, a WASI preview1 command. The .wasm files are committed; the suite only reads them,
# so neither CI nor a contributor who does not touch the C sources needs this toolchain.
#
# Needs Debian's (or Ubuntu's) clang with wasi-libc:
#   apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32
#
# Usage: conformance/guests/build.sh        (from anywhere; CC=... to pick another clang)
set -eu
cd "$(dirname "$0")"
CC="${CC:-clang}"
for source in *.c; do
    name="${source%.c}"
    # Compiled from this directory with a relative source name, so that the bytes (e.g. the
    # file name an assert() message quotes) do not depend on where the checkout lives.
    "$CC" --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all -o "$name.wasm" "$source"
    echo "built $name.wasm ($(wc -c < "$name.wasm") bytes)"
done
