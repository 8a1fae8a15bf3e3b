// Prints how long its own work and a 10 ms sleep took, and the date: output that differs from
// run to run on host clocks.
#include <stdio.h>
#include <time.h>

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    double start = seconds();
    volatile unsigned sum = 0;
    for (unsigned i = 0; i < 1000000; i++) sum += i;
    double worked = seconds();
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
    double slept = seconds();
    printf("work took %.9f s, sleep took %.9f s\n", worked - start, slept - worked);
    printf("now: %lld\n", (long long)time(NULL));
    return 0;
}
