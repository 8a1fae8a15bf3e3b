/* Sorting: libc's qsort of SIZE pseudo-random 32-bit keys (at most 4 Mi), ROUNDS times; the
 * result checks the order and sums the keys by position. */
#include <stdint.h>
#include <stdlib.h>

#define MAX_KEYS (4u << 20)
static uint32_t keys[MAX_KEYS];

static int compare(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static long long workload(int size) {
    uint32_t n = (uint32_t)size > MAX_KEYS ? MAX_KEYS : (uint32_t)size;
    uint32_t x = 0x2545f491u;
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        keys[i] = x;
    }
    qsort(keys, n, sizeof keys[0], compare);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && keys[i - 1] > keys[i]) return -1;
        sum = sum * 31 + keys[i];
    }
    return (long long)(sum >> 1);
}

#include "command.h"
