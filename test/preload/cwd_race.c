/*
 * cwd_race — a name judged in one directory must not be acted on in another.
 * One thread flips the working directory between OK and SECRET; the other
 * sets an xattr on the bare name "f" (lsetxattr: judged file.meta) over and
 * over. The policy allows file.meta under OK only, so no attempt may ever
 * reach SECRET/f. Prints "ok=N denied=N other=N".
 *
 *   cwd_race OK SECRET ATTEMPTS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *dirs[2];
static volatile int stop;

static void *flip(void *arg)
{
    (void)arg;
    while (!stop) {
        if (chdir(dirs[0]) != 0 || chdir(dirs[1]) != 0) {
            perror("chdir");
            exit(2);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: cwd_race OK SECRET ATTEMPTS\n");
        return 2;
    }
    dirs[0] = argv[1];
    dirs[1] = argv[2];
    int attempts = atoi(argv[3]);
    pthread_t t;
    if (pthread_create(&t, NULL, flip, NULL) != 0) {
        return 2;
    }
    int ok = 0, denied = 0, other = 0;
    for (int i = 0; i < attempts; i++) {
        if (lsetxattr("f", "user.raced", "1", 1, 0) == 0) {
            ok++;
        } else if (errno == EACCES) {
            denied++;
        } else {
            other++;
        }
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("ok=%d denied=%d other=%d\n", ok, denied, other);
    return 0;
}
