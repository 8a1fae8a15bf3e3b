/* sys: clocks, sleeping, randomness, arguments and environment through wasi-libc, for the
 * wasmux conformance suite (which runs it with a deterministic clock and a seeded random
 * stream, so every line is exact).
 *
 *   sys time     time(), clock_gettime() on both clocks, gettimeofday(), gmtime/strftime
 *   sys sleep    nanosleep(), sleep(), usleep(), clock() — virtual time jumps
 *   sys random   getentropy(), arc4random_buf() as hex
 *   sys env      argc/argv, getenv(), setenv()/unsetenv(), environ
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void show_clock(const char *what, clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) {
        perror(what);
        return;
    }
    printf("%s: %lld.%09ld\n", what, (long long)ts.tv_sec, ts.tv_nsec);
}

static void hex(const char *what, const unsigned char *p, size_t n) {
    printf("%s: ", what);
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "time") == 0) {
        printf("time: %lld\n", (long long)time(NULL));
        show_clock("realtime", CLOCK_REALTIME);
        show_clock("monotonic", CLOCK_MONOTONIC);
        struct timespec res;
        clock_getres(CLOCK_MONOTONIC, &res);
        printf("monotonic resolution: %ld ns\n", res.tv_nsec);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        printf("gettimeofday: %lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);
        time_t now = time(NULL);
        char text[64];
        strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC, a %A", gmtime(&now));
        printf("gmtime: %s\n", text);
        show_clock("process cputime", CLOCK_PROCESS_CPUTIME_ID);
    } else if (strcmp(what, "sleep") == 0) {
        show_clock("monotonic", CLOCK_MONOTONIC);
        struct timespec nap = {1, 500000000};
        printf("nanosleep: %d\n", nanosleep(&nap, NULL));
        show_clock("monotonic", CLOCK_MONOTONIC);
        printf("sleep: %u\n", sleep(2));
        show_clock("monotonic", CLOCK_MONOTONIC);
        printf("usleep: %d\n", usleep(250000));
        show_clock("monotonic", CLOCK_MONOTONIC);
        show_clock("realtime", CLOCK_REALTIME);
    } else if (strcmp(what, "random") == 0) {
        unsigned char buf[16];
        if (getentropy(buf, sizeof buf) != 0) perror("getentropy");
        hex("getentropy", buf, sizeof buf);
        arc4random_buf(buf, sizeof buf);
        hex("arc4random_buf", buf, sizeof buf);
        printf("arc4random_uniform(1000): %u\n", arc4random_uniform(1000));
    } else if (strcmp(what, "env") == 0) {
        printf("argc: %d\n", argc);
        for (int i = 0; i < argc; i++) printf("argv[%d]: [%s]\n", i, argv[i]);
        const char *home = getenv("HOME");
        printf("HOME: %s\n", home ? home : "(unset)");
        const char *missing = getenv("MISSING");
        printf("MISSING: %s\n", missing ? missing : "(unset)");
        setenv("ADDED", "yes", 1);
        unsetenv("DROPPED");
        int count = 0;
        for (char **e = environ; *e; e++) {
            printf("environ[%d]: %s\n", count, *e);
            count++;
        }
    } else {
        fputs("usage: sys time|sleep|random|env\n", stderr);
        return 2;
    }
    return 0;
}
