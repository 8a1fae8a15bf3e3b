/* filetool: a small cat/cp/ls/find/stat/mkdir/rm/mv/ln/write in one WASI command, for the
 * wasmux conformance suite. Everything it prints is sorted or otherwise independent of the host
 * file system's order, so its output is exact on every engine and machine.
 *
 *   filetool cat FILE...          copy files ("-" for stdin) to stdout
 *   filetool cp SRC DST           copy a file
 *   filetool ls [-l] DIR...       list directories, sorted ("-l": type, size, link target)
 *   filetool find DIR             every path below DIR, sorted, depth first
 *   filetool stat PATH...         type, size, links of each path (not following symlinks)
 *   filetool mkdir [-p] DIR...    make directories
 *   filetool rm [-r] PATH...      remove files, links, (with -r) directory trees
 *   filetool mv SRC DST           rename
 *   filetool ln [-s] TARGET LINK  hard or symbolic link
 *   filetool write FILE           stdin to FILE (created or truncated)
 *   filetool append FILE TEXT     TEXT and a newline to the end of FILE
 *   filetool touch SECONDS FILE   set the modification time of FILE
 *
 * Errors go to stderr as "filetool: COMMAND: PATH: strerror"; the exit status is 0, 1 when an
 * operation failed, or 2 for a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *command = "filetool";
static int status = 0;

static void fail(const char *path) {
    fprintf(stderr, "filetool: %s: %s: %s\n", command, path, strerror(errno));
    status = 1;
}

static int usage(void) {
    fprintf(stderr, "usage: filetool cat|cp|ls|find|stat|mkdir|rm|mv|ln|write|append|touch ARGS...\n");
    return 2;
}

static int copy_fd(int in, int out, const char *in_name, const char *out_name) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) { fail(in_name); return -1; }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0) { fail(out_name); return -1; }
            done += w;
        }
    }
}

static void cat(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            copy_fd(0, 1, "-", "stdout");
            continue;
        }
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) { fail(argv[i]); continue; }
        copy_fd(fd, 1, argv[i], "stdout");
        close(fd);
    }
}

static void cp(const char *src, const char *dst) {
    int in = open(src, O_RDONLY);
    if (in < 0) { fail(src); return; }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) { fail(dst); close(in); return; }
    copy_fd(in, out, src, dst);
    close(in);
    if (close(out) != 0) fail(dst);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, without "." and ".."; NULL (errno set) on failure. */
static char **names(const char *dir, size_t *count) {
    DIR *d = opendir(dir);
    if (!d) return NULL;
    size_t n = 0, cap = 16;
    char **list = malloc(cap * sizeof *list);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) list = realloc(list, (cap *= 2) * sizeof *list);
        list[n++] = strdup(e->d_name);
    }
    int err = errno;
    closedir(d);
    if (err) { errno = err; return NULL; }
    qsort(list, n, sizeof *list, by_name);
    *count = n;
    return list;
}

static char *join(const char *dir, const char *name) {
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (strcmp(dir, "/") == 0) snprintf(path, len, "/%s", name);
    else snprintf(path, len, "%s/%s", dir, name);
    return path;
}

static char kind(mode_t mode) {
    if (S_ISDIR(mode)) return 'd';
    if (S_ISLNK(mode)) return 'l';
    if (S_ISREG(mode)) return '-';
    return '?';
}

static void ls(int argc, char **argv) {
    int lng = argc > 0 && strcmp(argv[0], "-l") == 0;
    if (lng) { argc--; argv++; }
    for (int i = 0; i < argc; i++) {
        size_t n;
        char **list = names(argv[i], &n);
        if (!list) { fail(argv[i]); continue; }
        if (argc > 1) printf("%s:\n", argv[i]);
        for (size_t j = 0; j < n; j++) {
            if (!lng) { printf("%s\n", list[j]); continue; }
            char *path = join(argv[i], list[j]);
            struct stat st;
            if (lstat(path, &st) != 0) { fail(path); free(path); continue; }
            if (S_ISDIR(st.st_mode)) printf("d %s/\n", list[j]);
            else printf("%c %6lld %s", kind(st.st_mode), (long long)st.st_size, list[j]);
            if (S_ISLNK(st.st_mode)) {
                char target[256];
                ssize_t len = readlink(path, target, sizeof target - 1);
                if (len < 0) { printf("\n"); fail(path); free(path); continue; }
                target[len] = 0;
                printf(" -> %s", target);
            }
            if (!S_ISDIR(st.st_mode)) printf("\n");
            free(path);
        }
    }
}

static void find(const char *dir) {
    size_t n;
    char **list = names(dir, &n);
    if (!list) { fail(dir); return; }
    for (size_t j = 0; j < n; j++) {
        char *path = join(dir, list[j]);
        struct stat st;
        if (lstat(path, &st) != 0) { fail(path); free(path); continue; }
        printf("%s%s\n", path, S_ISDIR(st.st_mode) ? "/" : "");
        if (S_ISDIR(st.st_mode)) find(path);
        free(path);
    }
}

static void stat_paths(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        struct stat st;
        if (lstat(argv[i], &st) != 0) { fail(argv[i]); continue; }
        printf("%s: type %c size %lld links %lld\n", argv[i], kind(st.st_mode),
               S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size,
               S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_nlink);
    }
}

static int make_dir(char *path, int parents) {
    if (!parents) return mkdir(path, 0755);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST) return r;
    }
    int r = mkdir(path, 0755);
    return r != 0 && errno == EEXIST ? 0 : r;
}

static int remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    size_t n;
    char **list = names(path, &n);
    if (!list) return -1;
    for (size_t j = 0; j < n; j++) {
        char *child = join(path, list[j]);
        if (remove_tree(child) != 0) { fail(child); }
        free(child);
    }
    return rmdir(path);
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    command = argv[1];
    int n = argc - 2;
    char **args = argv + 2;
    if (strcmp(command, "cat") == 0) {
        cat(n, args);
    } else if (strcmp(command, "cp") == 0 && n == 2) {
        cp(args[0], args[1]);
    } else if (strcmp(command, "ls") == 0) {
        ls(n, args);
    } else if (strcmp(command, "find") == 0 && n == 1) {
        size_t len = strlen(args[0]);
        printf("%s%s\n", args[0], len > 0 && args[0][len - 1] == '/' ? "" : "/");
        find(args[0]);
    } else if (strcmp(command, "stat") == 0) {
        stat_paths(n, args);
    } else if (strcmp(command, "mkdir") == 0) {
        int parents = n > 0 && strcmp(args[0], "-p") == 0;
        for (int i = parents; i < n; i++)
            if (make_dir(args[i], parents) != 0) fail(args[i]);
    } else if (strcmp(command, "rm") == 0) {
        int recursive = n > 0 && strcmp(args[0], "-r") == 0;
        for (int i = recursive; i < n; i++)
            if ((recursive ? remove_tree(args[i]) : unlink(args[i])) != 0) fail(args[i]);
    } else if (strcmp(command, "mv") == 0 && n == 2) {
        if (rename(args[0], args[1]) != 0) fail(args[0]);
    } else if (strcmp(command, "ln") == 0 && (n == 2 || (n == 3 && strcmp(args[0], "-s") == 0))) {
        int r = n == 3 ? symlink(args[1], args[2]) : link(args[0], args[1]);
        if (r != 0) fail(args[n - 1]);
    } else if (strcmp(command, "write") == 0 && n == 1) {
        int fd = open(args[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) fail(args[0]);
        else { copy_fd(0, fd, "stdin", args[0]); close(fd); }
    } else if (strcmp(command, "append") == 0 && n == 2) {
        FILE *f = fopen(args[0], "a");
        if (!f) fail(args[0]);
        else { fprintf(f, "%s\n", args[1]); if (fclose(f) != 0) fail(args[0]); }
    } else if (strcmp(command, "touch") == 0 && n == 2) {
        struct timespec times[2] = {{0, UTIME_OMIT}, {atoll(args[0]), 0}};
        if (utimensat(AT_FDCWD, args[1], times, 0) != 0) fail(args[1]);
        else {
            struct stat st;
            if (stat(args[1], &st) != 0) fail(args[1]);
            else printf("%s: mtime %lld\n", args[1], (long long)st.st_mtim.tv_sec);
        }
    } else {
        return usage();
    }
    return status;
}
