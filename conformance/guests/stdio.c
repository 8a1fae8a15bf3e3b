/* stdio: how wasi-libc's stdio buffers, and how a C program ends, for the wasmux conformance
 * suite. The first argument picks a scenario.
 *
 * Buffering scenarios write to stdout and stderr alternately. With "to-log" before the
 * scenario name, descriptors 1 and 2 are first replaced (fd_renumber) by two descriptors of
 * log.txt opened for appending, so the order in which the bytes reached the host is kept in
 * one file.
 *
 *   stdio [to-log] default       stdout buffered as wasi-libc decides (not a terminal)
 *   stdio [to-log] line          setvbuf(stdout, _IOLBF)
 *   stdio [to-log] unbuffered    setvbuf(stdout, _IONBF)
 *   stdio [to-log] full16        setvbuf(stdout, 16-byte buffer, _IOFBF): musl keeps 8 of them
 *                                for ungetc, so stdout is written 8 bytes at a time
 *   stdio [to-log] fflush        fflush(stdout) before each write to stderr
 *   stdio exit N                 exit(N) with output pending
 *   stdio return N               return N from main with output pending
 *   stdio _Exit N                _Exit(N): pending output is lost
 *   stdio abort                  abort(): wasi-libc traps (unreachable), pending output is lost
 *   stdio assert                 a failed assert(): message on stderr, then abort
 *   stdio upper                  stdin to stdout upper-cased, line by line, then a count
 */
#include <assert.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/libc.h>

static void alternate(void) {
    printf("out 1\n");
    fputs("err 2\n", stderr);
    printf("out 3\n");
    fputs("err 4\n", stderr);
    printf("out 5, ");
    printf("same line\n");
    fputs("err 6\n", stderr);
    printf("out 7, no newline");
    fputs("err 8\n", stderr);
}

static int to_log(void) {
    int out = open("log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = open("log.txt", O_WRONLY | O_APPEND);
    if (out < 0 || err < 0 || __wasilibc_fd_renumber(out, 1) != 0 || __wasilibc_fd_renumber(err, 2) != 0) {
        perror("stdio: log.txt");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("usage: stdio [to-log] SCENARIO [N]\n", stderr);
        return 2;
    }
    int arg = 1;
    if (strcmp(argv[arg], "to-log") == 0) {
        if (to_log() != 0) return 1;
        arg++;
    }
    const char *scenario = argv[arg];
    int n = arg + 1 < argc ? atoi(argv[arg + 1]) : 0;
    static char small[16];

    if (strcmp(scenario, "default") == 0) {
        alternate();
    } else if (strcmp(scenario, "line") == 0) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        alternate();
    } else if (strcmp(scenario, "unbuffered") == 0) {
        setvbuf(stdout, NULL, _IONBF, 0);
        alternate();
    } else if (strcmp(scenario, "full16") == 0) {
        setvbuf(stdout, small, _IOFBF, sizeof small);
        alternate();
    } else if (strcmp(scenario, "fflush") == 0) {
        printf("out 1, ");
        fflush(stdout);
        fputs("err 2\n", stderr);
        printf("out 3\n");
        fflush(stdout);
        fputs("err 4\n", stderr);
    } else if (strcmp(scenario, "exit") == 0) {
        printf("first line\n");
        printf("pending, exit(%d)", n);
        exit(n);
    } else if (strcmp(scenario, "return") == 0) {
        printf("first line\n");
        printf("pending, return %d", n);
        return n;
    } else if (strcmp(scenario, "_Exit") == 0) {
        printf("first line\n");
        printf("pending, _Exit(%d)\n", n);
        fputs("stderr is not buffered\n", stderr);
        _Exit(n);
    } else if (strcmp(scenario, "abort") == 0) {
        printf("first line\n");
        printf("pending, abort()\n");
        fputs("stderr is not buffered\n", stderr);
        abort();
    } else if (strcmp(scenario, "assert") == 0) {
        printf("first line\n");
        assert(argc == 99);
    } else if (strcmp(scenario, "upper") == 0) {
        char line[256];
        int lines = 0;
        while (fgets(line, sizeof line, stdin)) {
            for (char *p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
            fputs(line, stdout);
            lines++;
        }
        printf("%d lines\n", lines);
    } else {
        fprintf(stderr, "stdio: unknown scenario %s\n", scenario);
        return 2;
    }
    return 0;
}
