// Writes files into the directory `argv[1]`, renames and removes some, and prints what stat
// says about each result: sizes, inode numbers and the times the writes stamped.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void show(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("%s: absent\n", path);
        return;
    }
    printf("%s: ino %llu size %lld mtime %lld.%09ld\n", path, (unsigned long long)st.st_ino,
           (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) {
        perror("chdir");
        return 1;
    }
    if (write_file("a.txt", "first\n") || write_file("b.txt", "second\n") ||
        mkdir("sub", 0755) || write_file("sub/c.txt", "third\n") ||
        rename("b.txt", "sub/b.txt") || unlink("a.txt") || write_file("d.txt", "fourth\n")) {
        perror("writing");
        return 1;
    }
    const char *paths[] = {".", "a.txt", "sub", "sub/b.txt", "sub/c.txt", "d.txt"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) show(paths[i]);
    return 0;
}
