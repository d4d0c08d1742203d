/*
 * timeit — wall time of one program run, measured from inside the monitor.
 *
 *   timeit PROGRAM [ARGS...]     prints the child's wall time in ns
 *
 * Run plain and under `trajeckt run`: the difference is what the monitor
 * costs the program (library, decisions, audit), without the launcher's own
 * start-up, which the bench reports on its own line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: timeit PROGRAM [ARGS...]\n");
        return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        perror("timeit");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "timeit: %s failed (status %d)\n", argv[1], status);
        return 1;
    }
    printf("%llu\n", (unsigned long long)((b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec)));
    return 0;
}
