// Stats every file named on the command line and reads it back to front with fd_seek, as the
// sightglass programs that disagreed did. The whole `struct stat` (device, inode, times) is
// printed, so any metadata the engines see differently shows in stdout as well as memory.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        printf("%s: dev %llu ino %llu size %lld atime %lld.%09ld mtime %lld.%09ld ctime %lld.%09ld\n",
               argv[i], (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
               (long long)st.st_size, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
               (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
               st.st_ctim.tv_nsec);
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            perror(argv[i]);
            return 1;
        }
        char c;
        for (off_t at = st.st_size - 1; at >= 0; at--) {
            if (lseek(fd, at, SEEK_SET) != at || read(fd, &c, 1) != 1) {
                perror("seek and read");
                return 1;
            }
            putchar(c);
        }
        putchar('\n');
        close(fd);
    }
    return 0;
}
