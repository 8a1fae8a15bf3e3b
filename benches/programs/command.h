/* The main function of the whole-process benchmark programs: runs the workload ROUNDS times
 * (argv[1]) on SIZE (argv[2]) and prints one line that depends on every round, so a wrong
 * result on any engine shows as a different stdout. Include it after defining
 * `long long workload(int size)`. */
#include <stdio.h>
#include <stdlib.h>

static long long workload(int size);

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s ROUNDS SIZE\n", argv[0]);
        return 2;
    }
    int rounds = atoi(argv[1]), size = atoi(argv[2]);
    unsigned long long acc = 0;
    for (int r = 0; r < rounds; r++) {
        long long result = workload(size);
        if (result < 0) {
            fprintf(stderr, "round %d failed its self-check\n", r);
            return 1;
        }
        acc = acc * 1099511628211ull ^ (unsigned long long)result;
    }
    printf("%d rounds of %d: %016llx\n", rounds, size, acc);
    return 0;
}
