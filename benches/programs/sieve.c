/* Integer loops over memory: the sieve of Eratosthenes up to SIZE (at most 64 Mi), ROUNDS
 * times; the result is the number of primes found. */
#include <stdint.h>
#include <string.h>

#define MAX_LIMIT (64u << 20)
static uint8_t composite[MAX_LIMIT + 1];

static long long workload(int size) {
    uint32_t limit = (uint32_t)size > MAX_LIMIT ? MAX_LIMIT : (uint32_t)size;
    memset(composite, 0, limit + 1);
    long long primes = 0;
    for (uint32_t i = 2; i <= limit; i++) {
        if (composite[i]) continue;
        primes++;
        for (uint64_t j = (uint64_t)i * i; j <= limit; j += i) composite[j] = 1;
    }
    return primes;
}

#include "command.h"
