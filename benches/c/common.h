/* Shared by the benchmark C programs: built for wasm32-wasi (build.sh) and natively (build.rs).
 * The whole-process programs in ../programs include them as commands, without the exports. */
#ifndef WASMUX_BENCH_COMMON_H
#define WASMUX_BENCH_COMMON_H
#if defined(__wasm__) && !defined(WASMUX_BENCH_COMMAND)
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif
#endif
