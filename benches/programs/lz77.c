/* Compression: LZ77 round trip of SIZE bytes of generated text (at most 2 MiB), ROUNDS times. */
#define WASMUX_BENCH_COMMAND
#include "../c/lz77.c"

static long long workload(int size) { return lz77_run(size); }

#include "command.h"
