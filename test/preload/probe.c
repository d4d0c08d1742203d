/*
 * probe — tiny calls the preload tests cannot make from a shell.
 *
 *   probe openat-dirfd DIR NAME   open DIR (O_PATH|O_DIRECTORY), chdir("/"),
 *                                 openat(dirfd, NAME, O_RDONLY), print the file
 *   probe execve-null-env PROG [ARGS...]   execve(PROG, ARGS, NULL)
 *   probe bench-openat N PATH     N × openat(PATH)+close; prints "<ns> ns/op"
 *
 * Errors print "<call>: <strerror>" on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cat_fd(int fd)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (write(1, buf, (size_t)n) != n) {
            return 1;
        }
    }
    return n < 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "openat-dirfd") == 0) {
        int d = open(argv[2], O_PATH | O_DIRECTORY);
        if (d < 0) {
            fprintf(stderr, "open %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        if (chdir("/") != 0) {
            return 1;
        }
        int fd = openat(d, argv[3], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "openat %s: %s\n", argv[3], strerror(errno));
            return 1;
        }
        return cat_fd(fd);
    }
    if (argc >= 3 && strcmp(argv[1], "execve-null-env") == 0) {
        execve(argv[2], argv + 2, NULL);
        fprintf(stderr, "execve %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if (argc >= 4 && strcmp(argv[1], "bench-openat") == 0) {
        long n = atol(argv[2]);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            int fd = openat(AT_FDCWD, argv[3], O_RDONLY);
            if (fd < 0) {
                fprintf(stderr, "openat %s: %s\n", argv[3], strerror(errno));
                return 1;
            }
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
        printf("%.0f ns/op\n", ns / (double)n);
        return 0;
    }
    fprintf(stderr, "probe: bad arguments\n");
    return 2;
}
