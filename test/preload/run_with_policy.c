/*
 * run_with_policy — TEST HARNESS, not the launcher.
 *
 *   run_with_policy [--unsealed] [--no-fd] LIB POLICY.trjb PROGRAM [ARGS...]
 *
 * Copies POLICY.trjb into a memfd, seals it (F_SEAL_WRITE|F_SEAL_SHRINK|
 * F_SEAL_GROW|F_SEAL_SEAL) unless --unsealed, leaves it open across exec,
 * sets TRAJECKT_POLICY_FD (unless --no-fd) and LD_PRELOAD=LIB, and execs
 * PROGRAM (PATH search). The harness itself runs without the library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int sealed = 1, setfd = 1, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--unsealed") == 0) {
            sealed = 0;
        } else if (strcmp(argv[i], "--no-fd") == 0) {
            setfd = 0;
        } else {
            fprintf(stderr, "run_with_policy: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc - i < 3) {
        fprintf(stderr, "usage: run_with_policy [--unsealed] [--no-fd] LIB POLICY.trjb PROGRAM [ARGS...]\n");
        return 2;
    }
    const char *lib = argv[i], *policy = argv[i + 1];
    int in = open(policy, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        perror(policy);
        return 2;
    }
    int fd = memfd_create("trajeckt-policy", MFD_ALLOW_SEALING);
    if (fd < 0) {
        perror("memfd_create");
        return 2;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(fd, buf, (size_t)n) != n) {
            perror("write");
            return 2;
        }
    }
    close(in);
    if (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        perror("F_ADD_SEALS");
        return 2;
    }
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    if (setfd) {
        setenv("TRAJECKT_POLICY_FD", num, 1);
    } else {
        unsetenv("TRAJECKT_POLICY_FD");
    }
    setenv("LD_PRELOAD", lib, 1);
    execvp(argv[i + 2], argv + i + 2);
    fprintf(stderr, "run_with_policy: %s: %s\n", argv[i + 2], strerror(errno));
    return 127;
}
