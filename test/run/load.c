/*
 * load — the launcher's load test agent (test/run/run.test.ts).
 *
 *   load FILE THREADS OPENS EXECS
 *
 * THREADS threads each open+close FILE OPENS times (every open is one
 * file.read decision), while the main thread runs EXECS fork+exec of
 * /bin/true (each one exec decision in the child, plus a proc.start per
 * fork and per exec). Exits 0 if every call succeeded, 1 otherwise, and
 * prints "opens=N execs=M" so the test can compare with the log.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *file;
static long opens_per_thread;
static long ok_opens; /* atomic */

static void *opener(void *arg)
{
    (void)arg;
    for (long i = 0; i < opens_per_thread; i++) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            __atomic_add_fetch(&ok_opens, 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: load FILE THREADS OPENS EXECS\n");
        return 2;
    }
    file = argv[1];
    int threads = atoi(argv[2]);
    opens_per_thread = atol(argv[3]);
    int execs = atoi(argv[4]);
    pthread_t t[64];
    if (threads < 1 || threads > 64) {
        return 2;
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&t[i], NULL, opener, NULL) != 0) {
            return 2;
        }
    }
    int ok_execs = 0;
    for (int i = 0; i < execs; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            ok_execs++;
        }
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
    }
    printf("opens=%ld execs=%d\n", ok_opens, ok_execs);
    return ok_opens == (long)threads * opens_per_thread && ok_execs == execs ? 0 : 1;
}
