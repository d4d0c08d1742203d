/*
 * run_with_policy — TEST HARNESS, not the launcher.
 *
 *   run_with_policy [OPTIONS] LIB POLICY.trjb PROGRAM [ARGS...]
 *
 * Copies POLICY.trjb into a memfd, seals it (F_SEAL_WRITE|F_SEAL_SHRINK|
 * F_SEAL_GROW|F_SEAL_SEAL) unless --unsealed, and sets TRAJECKT_POLICY_FD
 * (unless --no-fd). Creates an audit ring (native/ring/trj_ring.h; the header
 * is written here directly, without ring_consumer.c) and sets
 * TRAJECKT_AUDIT_FD, unless --no-ring. Then forks, execs PROGRAM (PATH
 * search) with LD_PRELOAD=LIB in the child only, waits, and exits with the
 * child's status (128 + signal if it was killed). The harness is the ring's
 * writer_pid but never drains it: a ring that fills up blocks the program.
 *
 * Options
 *   --unsealed             the policy memfd is not sealed
 *   --no-fd                no TRAJECKT_POLICY_FD
 *   --no-ring              no ring; TRAJECKT_AUDIT_FD is left as the
 *                          caller's environment has it (normally unset)
 *   --ring FILE            the ring is FILE (created, truncated) instead of a
 *                          memfd, so a test can read the records afterwards
 *   --ring-size BYTES      data area size (power of two; default 64 MiB)
 *   --mode observe         ring header mode = observe
 *   --ask-addr ADDR        ask = broker at ADDR (a unix socket path; @name =
 *                          abstract "\0name" padded with NULs to 108 bytes,
 *                          the address Node 20's net.Server binds)
 *   --writer-state closed  the header says CLOSED from the start
 *   --writer-pid PID       header writer_pid = PID instead of the harness's:
 *                          the library asks only a broker whose SO_PEERCRED
 *                          pid is writer_pid, so a test that runs the broker
 *                          itself passes its own pid
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../native/ring/trj_ring.h"

static pid_t writer_pid; /* --writer-pid; 0 = the harness */

static int make_ring(const char *file, unsigned long long size, int observe, const char *ask_addr, int closed)
{
    int fd = file != NULL ? open(file, O_RDWR | O_CREAT | O_TRUNC, 0600) : memfd_create("trajeckt-audit", 0);
    if (fd < 0) {
        perror(file != NULL ? file : "memfd_create");
        exit(2);
    }
    if (ftruncate(fd, (off_t)(TRJ_RING_HEADER_SIZE + size)) != 0) {
        perror("ftruncate");
        exit(2);
    }
    struct trj_ring_header *h = mmap(NULL, TRJ_RING_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    h->magic = TRJ_RING_MAGIC;
    h->version = TRJ_RING_VERSION;
    h->header_size = TRJ_RING_HEADER_SIZE;
    h->mode = observe ? TRJ_MODE_OBSERVE : TRJ_MODE_ENFORCE;
    h->data_size = size;
    h->writer_pid = writer_pid > 0 ? writer_pid : getpid();
    h->writer_fd = fd;
    if (ask_addr != NULL) {
        size_t l = strlen(ask_addr);
        if (l == 0 || l > sizeof h->ask_addr) {
            fprintf(stderr, "run_with_policy: --ask-addr too long\n");
            exit(2);
        }
        memcpy(h->ask_addr, ask_addr, l);
        if (ask_addr[0] == '@') {
            /* abstract, padded with NULs to the whole sun_path: that is the
               name Node 20's net.Server binds for "\0name" */
            h->ask_addr[0] = '\0';
            l = sizeof h->ask_addr;
        }
        h->ask = TRJ_ASK_BROKER;
        h->ask_addr_len = (uint32_t)l;
    }
    __atomic_store_n(&h->writer_state, closed ? TRJ_RING_CLOSED : TRJ_RING_RUNNING, __ATOMIC_RELEASE);
    munmap(h, TRJ_RING_HEADER_SIZE);
    return fd;
}

int main(int argc, char **argv)
{
    int sealed = 1, setfd = 1, ring = 1, observe = 0, closed = 0, i = 1;
    const char *ring_file = NULL, *ask_addr = NULL;
    unsigned long long ring_size = 64ull << 20;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--unsealed") == 0) {
            sealed = 0;
        } else if (strcmp(o, "--no-fd") == 0) {
            setfd = 0;
        } else if (strcmp(o, "--no-ring") == 0) {
            ring = 0;
        } else if (strcmp(o, "--ring") == 0 && v != NULL) {
            ring_file = v;
            i++;
        } else if (strcmp(o, "--ring-size") == 0 && v != NULL) {
            ring_size = strtoull(v, NULL, 0);
            i++;
        } else if (strcmp(o, "--mode") == 0 && v != NULL && strcmp(v, "observe") == 0) {
            observe = 1;
            i++;
        } else if (strcmp(o, "--ask-addr") == 0 && v != NULL) {
            ask_addr = v;
            i++;
        } else if (strcmp(o, "--writer-pid") == 0 && v != NULL) {
            writer_pid = (pid_t)strtol(v, NULL, 10);
            i++;
        } else if (strcmp(o, "--writer-state") == 0 && v != NULL && strcmp(v, "closed") == 0) {
            closed = 1;
            i++;
        } else {
            fprintf(stderr, "run_with_policy: unknown option %s\n", o);
            return 2;
        }
    }
    if (argc - i < 3) {
        fprintf(stderr, "usage: run_with_policy [OPTIONS] LIB POLICY.trjb PROGRAM [ARGS...]\n");
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
    if (ring) {
        int rfd = make_ring(ring_file, ring_size, observe, ask_addr, closed);
        char rnum[16];
        snprintf(rnum, sizeof rnum, "%d", rfd);
        setenv("TRAJECKT_AUDIT_FD", rnum, 1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        setenv("LD_PRELOAD", lib, 1);
        execvp(argv[i + 2], argv + i + 2);
        fprintf(stderr, "run_with_policy: %s: %s\n", argv[i + 2], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("waitpid");
            return 2;
        }
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
