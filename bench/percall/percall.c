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
 * "mean", "ok", "fail", "threads", "rss_kb", "hwm_kb"} (times in ns; N per
 * thread). PERCALL_THREADS=T runs the loop in T threads at once (concurrent
 * decisions and audit writes); rss_kb/hwm_kb are VmRSS/VmHWM at the end, for
 * the memory a monitor adds to a process. `ok`/`fail` count iterations whose
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
#include <pthread.h>
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

struct job {
    const char *op, *arg;
    const struct sockaddr_in *sa;
    long n;
    uint64_t *t;
    long ok;
};

static void *loop(void *p)
{
    struct job *j = p;
    for (long i = 0; i < j->n / 10; i++) {
        (void)once(j->op, j->arg, j->sa);
    }
    for (long i = 0; i < j->n; i++) {
        uint64_t a = now_ns();
        j->ok += once(j->op, j->arg, j->sa);
        j->t[i] = now_ns() - a;
    }
    return NULL;
}

/* VmRSS / VmHWM of this process in kB, -1 if unreadable */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, kl) == 0) {
            v = strtol(line + kl, NULL, 10);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: percall openat|stat|connect|forkexec|resolve|null N [ARG]\n");
        return 2;
    }
    const char *op = argv[1], *arg = argc > 3 ? argv[3] : "";
    long n = strtol(argv[2], NULL, 10);
    const char *th = getenv("PERCALL_THREADS");
    long threads = th != NULL ? strtol(th, NULL, 10) : 1;
    if (n <= 0 || n > 100000000 || threads < 1 || threads > 64) {
        fprintf(stderr, "percall: N or PERCALL_THREADS out of range\n");
        return 2;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg[0] ? arg : "1")) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t *t = malloc((size_t)(n * threads) * sizeof *t);
    struct job jobs[64];
    pthread_t tid[64];
    if (t == NULL) {
        return 2;
    }
    for (long k = 0; k < threads; k++) {
        jobs[k] = (struct job){ .op = op, .arg = arg, .sa = &sa, .n = n, .t = t + k * n, .ok = 0 };
        if (threads == 1) {
            loop(&jobs[0]);
        } else if (pthread_create(&tid[k], NULL, loop, &jobs[k]) != 0) {
            return 2;
        }
    }
    long ok = 0;
    for (long k = 0; k < threads; k++) {
        if (threads > 1) {
            pthread_join(tid[k], NULL);
        }
        ok += jobs[k].ok;
    }
    long total = n * threads;
    double sum = 0;
    for (long i = 0; i < total; i++) {
        sum += (double)t[i];
    }
    qsort(t, (size_t)total, sizeof *t, cmp_u64);
#define PCT(p) t[(long)((double)(total - 1) * (p))]
    printf("{\"op\":\"%s\",\"n\":%ld,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"mean\":%.1f,\"ok\":%ld,\"fail\":%ld,"
           "\"threads\":%ld,\"rss_kb\":%ld,\"hwm_kb\":%ld}\n",
           op, total, (unsigned long long)PCT(0.5), (unsigned long long)PCT(0.9), (unsigned long long)PCT(0.99),
           (unsigned long long)PCT(0.999), sum / (double)total, ok, total - ok, threads, status_kb("VmRSS:"), status_kb("VmHWM:"));
    free(t);
    return 0;
}
