// Ackermann's function, as in sightglass's shootout-ackermann: ackermann(2, n) recurses about
// 2n + 3 calls deep. `argv[1]` is n.
#include <stdio.h>
#include <stdlib.h>

static unsigned ackermann(unsigned m, unsigned n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 5000;
    printf("ackermann(2, %u) = %u\n", n, ackermann(2, n));
    return 0;
}
