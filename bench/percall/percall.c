/*
 * percall — time one monitored operation, call by call.
 *
 *   percall OP N [ARG]
 *
 * OP        what one iteration does                      ARG
 * openat    openat(AT_FDCWD, ARG, O_RDONLY) + close       absolute file path
 * stat      stat(ARG)                                     path
 * connect   socket + connect(127.0.0.1:ARG) + close       a closed port (ECONNREFUSED)
 * forkexec  fork + execve(ARG) + waitpid                  a program, e.g. /bin/true
 * resolve   getaddrinfo(ARG) + freeaddrinfo               a name, e.g. localhost
 * null      nothing (the timer's own cost)                -
 *
 * Runs N/10 warm-up iterations, then N timed ones (CLOCK_MONOTONIC around
 * each), and prints one JSON line: {"op", "n", "p50", "p90", "p99", "p999",
 * "mean", "ok", "fail"} in nanoseconds. `ok`/`fail` count iterations whose
 * call succeeded/failed, so a run whose operation was denied is visible (a
 * denied open is cheaper than an allowed one: a benchmark must not compare
 * them unknowingly).
 *
 * The same binary runs under every mechanism the bench compares (no monitor,
 * LD_PRELOAD, strace, seccomp user notification, Landlock); only the wrapper
 * differs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One iteration; 1 = the operation succeeded. */
static int once(const char *op, const char *arg, const struct sockaddr_in *sa)
{
    if (strcmp(op, "openat") == 0) {
        int fd = openat(AT_FDCWD, arg, O_RDONLY);
        if (fd < 0) {
            return 0;
        }
        close(fd);
        return 1;
    }
    if (strcmp(op, "stat") == 0) {
        struct stat st;
        return stat(arg, &st) == 0;
    }
    if (strcmp(op, "connect") == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) {
            return 0;
        }
        /* the port is closed: ECONNREFUSED is the operation working */
        int r = connect(s, (const struct sockaddr *)sa, sizeof *sa);
        int ok = r == 0 || errno == ECONNREFUSED;
        close(s);
        return ok;
    }
    if (strcmp(op, "forkexec") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            char *const argv[] = { (char *)arg, NULL };
            execv(arg, argv);
            _exit(127);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
            return 0;
        }
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    if (strcmp(op, "resolve") == 0) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
        int r = getaddrinfo(arg, NULL, &hints, &res);
        if (r == 0) {
            freeaddrinfo(res);
        }
        return r == 0;
    }
    return 1; /* null */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: percall openat|stat|connect|forkexec|resolve|null N [ARG]\n");
        return 2;
    }
    const char *op = argv[1], *arg = argc > 3 ? argv[3] : "";
    long n = strtol(argv[2], NULL, 10);
    if (n <= 0 || n > 100000000) {
        fprintf(stderr, "percall: N out of range\n");
        return 2;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg[0] ? arg : "1")) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t *t = malloc((size_t)n * sizeof *t);
    if (t == NULL) {
        return 2;
    }
    for (long i = 0; i < n / 10; i++) {
        (void)once(op, arg, &sa);
    }
    long ok = 0;
    for (long i = 0; i < n; i++) {
        uint64_t a = now_ns();
        ok += once(op, arg, &sa);
        t[i] = now_ns() - a;
    }
    double sum = 0;
    for (long i = 0; i < n; i++) {
        sum += (double)t[i];
    }
    qsort(t, (size_t)n, sizeof *t, cmp_u64);
#define PCT(p) t[(long)((double)(n - 1) * (p))]
    printf("{\"op\":\"%s\",\"n\":%ld,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"mean\":%.1f,\"ok\":%ld,\"fail\":%ld}\n",
           op, n, (unsigned long long)PCT(0.5), (unsigned long long)PCT(0.9), (unsigned long long)PCT(0.99),
           (unsigned long long)PCT(0.999), sum / (double)n, ok, n - ok);
    free(t);
    return 0;
}
