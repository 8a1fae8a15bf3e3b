/* Shared by the benchmark C programs: built for wasm32-wasi (build.sh) and natively (build.rs). */
#ifndef WASMUX_BENCH_COMMON_H
#define WASMUX_BENCH_COMMON_H
#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif
#endif
