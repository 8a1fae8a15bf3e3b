/* Floating point: the n-body simulation, SIZE steps, ROUNDS times. */
#define WASMUX_BENCH_COMMAND
#include "../c/nbody.c"

/* The system's energy is negative; the driver takes negative results for failures. */
static long long workload(int size) { return -nbody_run(size); }

#include "command.h"
