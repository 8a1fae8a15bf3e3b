/* LZ77 compression (hash-chain-free, one candidate per hash bucket, like LZ4's fast path) of a
 * deterministic, compressible text buffer, then decompression and verification.
 * Returns compressed_size << 32 | checksum of the round-tripped data (or -1 on a mismatch). */
#include <stdint.h>
#include <string.h>
#include "common.h"

#define MAX_BYTES (2u << 20)
#define HASH_BITS 14
static uint8_t input[MAX_BYTES];
static uint8_t packed[MAX_BYTES + MAX_BYTES / 8 + 64];
static uint8_t output[MAX_BYTES];
static uint32_t table[1u << HASH_BITS];

static const char *words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ",
                              "wasm ", "engine ", "module ", "instance ", "memory ", "table ", "\n"};

static uint32_t hash4(const uint8_t *p) {
    uint32_t v; memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Tokens: a literal run [0x00 | len-1 (7 bits)] + bytes, or a match [0x80 | len-4 (7 bits)] + 16-bit offset. */
static uint32_t compress(const uint8_t *in, uint32_t n, uint8_t *out) {
    memset(table, 0, sizeof table);
    uint32_t ip = 0, op = 0, lit = 0;
    while (ip + 4 <= n) {
        uint32_t h = hash4(in + ip);
        uint32_t cand = table[h];
        table[h] = ip + 1;
        if (cand && ip - (cand - 1) < 65536 && memcmp(in + cand - 1, in + ip, 4) == 0) {
            uint32_t from = cand - 1, len = 4;
            while (ip + len < n && len < 131 && in[from + len] == in[ip + len]) len++;
            while (lit < ip) {
                uint32_t run = ip - lit > 128 ? 128 : ip - lit;
                out[op++] = (uint8_t)(run - 1);
                memcpy(out + op, in + lit, run); op += run; lit += run;
            }
            uint32_t off = ip - from;
            out[op++] = (uint8_t)(0x80 | (len - 4));
            out[op++] = (uint8_t)off; out[op++] = (uint8_t)(off >> 8);
            ip += len; lit = ip;
        } else {
            ip++;
        }
    }
    while (lit < n) {
        uint32_t run = n - lit > 128 ? 128 : n - lit;
        out[op++] = (uint8_t)(run - 1);
        memcpy(out + op, in + lit, run); op += run; lit += run;
    }
    return op;
}

static uint32_t decompress(const uint8_t *in, uint32_t n, uint8_t *out) {
    uint32_t ip = 0, op = 0;
    while (ip < n) {
        uint8_t t = in[ip++];
        if (t & 0x80) {
            uint32_t len = (t & 0x7f) + 4;
            uint32_t off = in[ip] | (uint32_t)in[ip + 1] << 8; ip += 2;
            for (uint32_t k = 0; k < len; k++, op++) out[op] = out[op - off];
        } else {
            uint32_t run = t + 1u;
            memcpy(out + op, in + ip, run); ip += run; op += run;
        }
    }
    return op;
}

/* Compresses and decompresses n bytes (at most 2 MiB) of generated text. */
EXPORT("run") long long lz77_run(int n) {
    uint32_t len = (uint32_t)n > MAX_BYTES ? MAX_BYTES : (uint32_t)n;
    uint32_t x = 0x9e3779b9, i = 0;
    while (i < len) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        const char *w = words[x % 15];
        for (; *w && i < len; w++) input[i++] = (uint8_t)*w;
    }
    uint32_t size = compress(input, len, packed);
    uint32_t back = decompress(packed, size, output);
    if (back != len || memcmp(input, output, len) != 0) return -1;
    uint32_t sum = 0;
    for (uint32_t k = 0; k < len; k++) sum = sum * 31 + output[k];
    return (long long)size << 32 | sum;
}
