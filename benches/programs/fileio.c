/* I/O through WASI: writes SIZE KiB to a file in the current directory in 4 KiB writes, reads
 * it back in 4 KiB reads, checks every byte and removes it; ROUNDS times. Needs the current
 * directory preopened (`--dir .`). Most of its time is spent in fd_write, fd_read and the
 * host's file system, not in guest code. */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#define CHUNK 4096
#define PATH "wasmux-bench-fileio.tmp"

static long long workload(int size) {
    static uint8_t block[CHUNK];
    int fd = open(PATH, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) return -1;
    for (int k = 0; k < size; k++) {
        for (int i = 0; i < CHUNK; i++) block[i] = (uint8_t)(k * 31 + i);
        if (write(fd, block, CHUNK) != CHUNK) return -1;
    }
    if (close(fd) != 0) return -1;
    fd = open(PATH, O_RDONLY);
    if (fd < 0) return -1;
    uint64_t sum = 0;
    for (int k = 0; k < size; k++) {
        if (read(fd, block, CHUNK) != CHUNK) return -1;
        for (int i = 0; i < CHUNK; i++) {
            if (block[i] != (uint8_t)(k * 31 + i)) return -1;
            sum += block[i];
        }
    }
    if (read(fd, block, 1) != 0 || close(fd) != 0 || unlink(PATH) != 0) return -1;
    return (long long)sum;
}

#include "command.h"
