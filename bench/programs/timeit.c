/*
 * timeit — wall time of a program's runs, measured from inside the monitor.
 *
 *   timeit [-n RUNS] [-w WARMUP] [-s SETTLE_MS] [-o FILE] PROGRAM [ARGS...]
 *
 * Sleeps SETTLE_MS, runs PROGRAM WARMUP times untimed, then RUNS times timed
 * (fork, exec, wait), one after the other, and writes each run's wall time in
 * ns on its own line to FILE (default: stdout, after the program's output).
 * Run plain and under `trajeckt run`: the difference is what the monitor
 * costs the program (library, decisions, audit) in a running session; the
 * launcher's own start-up is reported on its own line by the bench.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* One run of argv; its wall time in ns, or -1 when it did not exit 0. */
static int64_t run(char **argv)
{
    int64_t a = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        perror("timeit");
        return -1;
    }
    int64_t b = now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "timeit: %s failed (status %d)\n", argv[0], status);
        return -1;
    }
    return b - a;
}

int main(int argc, char **argv)
{
    int runs = 1, warmup = 0, settle_ms = 0;
    const char *out = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+n:w:s:o:")) != -1) {
        switch (opt) {
        case 'n': runs = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 's': settle_ms = atoi(optarg); break;
        case 'o': out = optarg; break;
        default: return 2;
        }
    }
    if (optind >= argc || runs < 1 || runs > MAX_RUNS || warmup < 0 || settle_ms < 0) {
        fprintf(stderr, "usage: timeit [-n RUNS] [-w WARMUP] [-s SETTLE_MS] [-o FILE] PROGRAM [ARGS...]\n");
        return 2;
    }
    if (settle_ms > 0) {
        struct timespec t = { settle_ms / 1000, (long)(settle_ms % 1000) * 1000000l };
        nanosleep(&t, NULL);
    }
    static int64_t ns[MAX_RUNS];
    for (int i = 0; i < warmup + runs; i++) {
        int64_t t = run(argv + optind);
        if (t < 0) {
            return 1;
        }
        if (i >= warmup) {
            ns[i - warmup] = t;
        }
    }
    FILE *f = out != NULL ? fopen(out, "w") : stdout;
    if (f == NULL) {
        perror(out);
        return 2;
    }
    for (int i = 0; i < runs; i++) {
        fprintf(f, "%lld\n", (long long)ns[i]);
    }
    return fclose(f) == 0 ? 0 : 2;
}
