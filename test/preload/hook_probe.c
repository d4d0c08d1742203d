/*
 * hook_probe — one libc entry point per subcommand, for test/preload/hooks.test.ts.
 *
 * Every subcommand calls exactly the named libc function (the hooked one) and
 * prints "ok[ detail]" or "err <ERRNO-NAME>" (strerrorname_np) on stdout; a
 * read prints "ok" on a line of its own, then the bytes read. Descriptors the
 * scenario needs from "elsewhere" (inherited, passed over a socket) and the
 * moves another process would make are done with raw syscall(), which the
 * library does not hook, so only the call under test meets the shim.
 *
 *   read PATH                      open(O_RDONLY), print content
 *   open-path PATH                 open(O_PATH)
 *   read-procfd PATH               raw O_PATH fd N on PATH; open("/proc/self/fd/N", O_RDONLY)
 *   freopen|freopen64 PATH MODE    on a stream of /dev/null; "r": print content, else write "freopened\n"
 *   freopen-null PATH MODE         fopen(PATH, "r"), then freopen(NULL, MODE, it): a mode change;
 *                                  not "r": write "upgraded\n"
 *   creat|creat64 PATH             creat(PATH, 0644), write "created\n"
 *   tmpfile DIR                    open(DIR, O_TMPFILE|O_RDWR, 0600)
 *   tmpfile-link DIR NEW           O_TMPFILE, write "tmp\n", linkat(fd, "", AT_FDCWD, NEW, AT_EMPTY_PATH)
 *   opendir PATH                   "ok <entries>"
 *   mkdir PATH
 *   truncate|truncate64 PATH LEN
 *   chmod|fchmodat PATH OCTAL
 *   chown|lchown PATH UID GID
 *   fchownat PATH UID GID 0|nofollow|empty   (empty: raw O_PATH fd, path "")
 *   utimensat PATH SECONDS [nofollow]        atime = mtime = SECONDS
 *   symlinkat TARGET LINK
 *   linkat OLD NEW 0|follow|empty            (empty: raw O_PATH fd on OLD, path "")
 *   renameat2-exchange A B
 *   __open|__open64 PATH           the glibc alias (dlsym RTLD_DEFAULT), O_RDONLY, print content
 *   setxattr|lsetxattr|fsetxattr PATH NAME VALUE       (f*: raw O_RDONLY fd on PATH)
 *   removexattr|lremovexattr|fremovexattr PATH NAME
 *   getxattr|lgetxattr|fgetxattr PATH NAME             "ok VALUE"
 *   listxattr|llistxattr|flistxattr PATH               "ok NAME,NAME..." (user.* only, sorted by the kernel)
 *   name_to_handle_at PATH 0|follow|empty              (empty: raw O_PATH fd, path "")
 *   open_by_handle_at PATH         handle taken with raw syscalls, opened with the libc call, print content
 *   openat-deep DEPTH REL          a dirfd DEPTH levels of 200-byte names below the cwd (made and
 *                                  walked with raw syscalls), then openat(dirfd, REL, O_RDONLY)
 *   execv|execvp|execvpe|execveat PROG ARG0 [ARGS...]
 *   execl|execlp|execle PROG ARG0 [ARG1]
 *   execveat-empty|fexecve PROG ARG0 [ARGS...]   raw fd on PROG
 *   fexecve-memfd PROG ARG0 [ARGS...]            PROG copied into a memfd first
 *   posix_spawn|posix_spawnp PROG ARG0 [ARGS...]  "ok exit=N" after the child
 *   system CMD                     "ok exit=N"
 *   popen CMD                      "ok", then the command's output
 *   openat-renamed DIR NAME NEWDIR raw dirfd on DIR, raw rename DIR -> NEWDIR, openat(dirfd, NAME)
 *   race-open NAME A B N MARK      a thread swaps A and B (raw RENAME_EXCHANGE) while
 *                                  NAME is opened and read N times; prints
 *                                  "ok opened=X denied=Y secret=Z other=W" (secret: content has MARK)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

extern char **environ;

static int err(int e)
{
    const char *n = strerrorname_np(e);
    printf("err %s\n", n != NULL ? n : "unknown");
    return 1;
}

static int ok(void)
{
    printf("ok\n");
    return 0;
}

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

/* A descriptor that did not come through the shim (inherited, passed, ...). */
static int raw_open(const char *path, int flags)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0);
}

static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            return err(errno);
        }
    }
    printf("ok exit=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

struct swap {
    const char *a, *b;
    volatile int stop;
    long swaps;
};

static void *swapper(void *arg)
{
    struct swap *s = arg;
    while (!s->stop) {
        if (syscall(SYS_renameat2, AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_EXCHANGE) == 0) {
            s->swaps++;
        }
    }
    return NULL;
}

static int race_open(const char *name, const char *a, const char *b, long n, const char *mark)
{
    struct swap s = { .a = a, .b = b, .stop = 0, .swaps = 0 };
    pthread_t t;
    if (pthread_create(&t, NULL, swapper, &s) != 0) {
        return err(EAGAIN);
    }
    long opened = 0, denied = 0, secret = 0, other = 0;
    for (long i = 0; i < n; i++) {
        int fd = open(name, O_RDONLY);
        if (fd < 0) {
            if (errno == EACCES) {
                denied++;
            } else {
                other++;
            }
            continue;
        }
        char buf[512];
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        opened++;
        if (r > 0) {
            buf[r] = '\0';
            if (strstr(buf, mark) != NULL) {
                secret++;
            }
        }
    }
    s.stop = 1;
    pthread_join(t, NULL);
    printf("ok opened=%ld denied=%ld secret=%ld other=%ld swaps=%s\n", opened, denied, secret, other,
           s.swaps > 0 ? "yes" : "no");
    return 0;
}

static int fd_from(const char *how, const char *path)
{
    return strcmp(how, "empty") == 0 ? raw_open(path, O_PATH) : AT_FDCWD;
}

static int walk_entries, walk_dnr;

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)path;
    (void)st;
    (void)f;
    walk_entries++;
    walk_dnr += type == FTW_DNR;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3) {
        fprintf(stderr, "hook_probe: bad arguments\n");
        return 2;
    }
    const char *cmd = argv[1], *p = argv[2], *q = argc > 3 ? argv[3] : NULL;
    char **rest = argv + 3; /* ARG0 ARGS... for the exec family */
#define IS(name, nargs) (strcmp(cmd, name) == 0 && argc >= 2 + (nargs))

    if (IS("read", 1)) {
        int fd = open(p, O_RDONLY);
        if (fd < 0) {
            return err(errno);
        }
        ok();
        return cat_fd(fd);
    }
    if (IS("open-path", 1)) {
        return open(p, O_PATH) < 0 ? err(errno) : ok();
    }
    if (IS("read-procfd", 1)) {
        int raw = raw_open(p, O_PATH);
        if (raw < 0) {
            fprintf(stderr, "raw open %s: %s\n", p, strerror(errno));
            return 2;
        }
        char via[64];
        snprintf(via, sizeof via, "/proc/self/fd/%d", raw);
        int fd = open(via, O_RDONLY);
        if (fd < 0) {
            return err(errno);
        }
        ok();
        return cat_fd(fd);
    }
    if ((IS("freopen", 2) || IS("freopen64", 2))) {
        FILE *s = fopen("/dev/null", "r");
        if (s == NULL) {
            fprintf(stderr, "fopen /dev/null: %s\n", strerror(errno));
            return 2;
        }
        FILE *f = strcmp(cmd, "freopen") == 0 ? freopen(p, q, s) : freopen64(p, q, s);
        if (f == NULL) {
            return err(errno);
        }
        ok();
        if (q[0] == 'r') {
            return cat_fd(fileno(f));
        }
        fputs("freopened\n", f);
        return fclose(f) != 0;
    }
    if (IS("freopen-null", 2)) {
        FILE *s = fopen(p, "r");
        if (s == NULL) {
            return err(errno);
        }
        FILE *f = freopen(NULL, q, s);
        if (f == NULL) {
            return err(errno);
        }
        ok();
        if (q[0] == 'r') {
            return cat_fd(fileno(f));
        }
        fputs("upgraded\n", f);
        return fclose(f) != 0;
    }
    if (IS("creat", 1) || IS("creat64", 1)) {
        int fd = strcmp(cmd, "creat") == 0 ? creat(p, 0644) : creat64(p, 0644);
        if (fd < 0) {
            return err(errno);
        }
        return write(fd, "created\n", 8) == 8 ? ok() : err(errno);
    }
    if (IS("tmpfile", 1)) {
        return open(p, O_TMPFILE | O_RDWR, 0600) < 0 ? err(errno) : ok();
    }
    if (IS("tmpfile-link", 2)) {
        int fd = open(p, O_TMPFILE | O_RDWR, 0600);
        if (fd < 0) {
            return err(errno);
        }
        if (write(fd, "tmp\n", 4) != 4) {
            return 2;
        }
        return linkat(fd, "", AT_FDCWD, q, AT_EMPTY_PATH) != 0 ? err(errno) : ok();
    }
    if (IS("opendir", 1)) {
        DIR *d = opendir(p);
        if (d == NULL) {
            return err(errno);
        }
        int n = 0;
        while (readdir(d) != NULL) {
            n++;
        }
        printf("ok %d\n", n);
        return 0;
    }
    if (IS("scandir", 1)) {
        struct dirent **list = NULL;
        int n = scandir(p, &list, NULL, alphasort);
        if (n < 0) {
            return err(errno);
        }
        printf("ok %d\n", n);
        return 0;
    }
    if (IS("glob", 1)) {
        /* GLOB_ERR: an unreadable directory aborts instead of being skipped */
        glob_t g;
        int r = glob(p, GLOB_ERR, NULL, &g);
        if (r == GLOB_ABORTED) {
            return err(errno);
        }
        printf("ok %zu\n", r == 0 ? g.gl_pathc : (size_t)0);
        return 0;
    }
    if (IS("nftw", 1) || IS("nftw-depth", 1)) {
        /* prints how many entries were reported and how many as unreadable dirs */
        int r = nftw(p, count_entry, 8, FTW_PHYS | (strcmp(cmd, "nftw-depth") == 0 ? FTW_DEPTH : 0));
        if (r != 0) {
            return err(errno);
        }
        printf("ok %d %d\n", walk_entries, walk_dnr);
        return 0;
    }
    if (IS("mkdir", 1)) {
        return mkdir(p, 0755) != 0 ? err(errno) : ok();
    }
    if (IS("truncate", 2) || IS("truncate64", 2)) {
        int r = strcmp(cmd, "truncate") == 0 ? truncate(p, atol(q)) : truncate64(p, atol(q));
        return r != 0 ? err(errno) : ok();
    }
    if (IS("chmod", 2)) {
        return chmod(p, (mode_t)strtol(q, NULL, 8)) != 0 ? err(errno) : ok();
    }
    if (IS("fchmodat", 2)) {
        return fchmodat(AT_FDCWD, p, (mode_t)strtol(q, NULL, 8), 0) != 0 ? err(errno) : ok();
    }
    if (IS("chown", 3) || IS("lchown", 3)) {
        uid_t u = (uid_t)atol(q);
        gid_t g = (gid_t)atol(argv[4]);
        int r = strcmp(cmd, "chown") == 0 ? chown(p, u, g) : lchown(p, u, g);
        return r != 0 ? err(errno) : ok();
    }
    if (IS("fchownat", 4)) {
        const char *how = argv[5];
        int dfd = fd_from(how, p);
        int flags = strcmp(how, "nofollow") == 0 ? AT_SYMLINK_NOFOLLOW : strcmp(how, "empty") == 0 ? AT_EMPTY_PATH : 0;
        int r = fchownat(dfd, flags & AT_EMPTY_PATH ? "" : p, (uid_t)atol(q), (gid_t)atol(argv[4]), flags);
        return r != 0 ? err(errno) : ok();
    }
    if (IS("utimensat", 2)) {
        struct timespec ts[2] = { { atol(q), 0 }, { atol(q), 0 } };
        int flags = argc > 4 && strcmp(argv[4], "nofollow") == 0 ? AT_SYMLINK_NOFOLLOW : 0;
        return utimensat(AT_FDCWD, p, ts, flags) != 0 ? err(errno) : ok();
    }
    if (IS("symlinkat", 2)) {
        return symlinkat(p, AT_FDCWD, q) != 0 ? err(errno) : ok();
    }
    if (IS("linkat", 3)) {
        const char *how = argv[4];
        int ofd = fd_from(how, p);
        int flags = strcmp(how, "follow") == 0 ? AT_SYMLINK_FOLLOW : strcmp(how, "empty") == 0 ? AT_EMPTY_PATH : 0;
        return linkat(ofd, flags & AT_EMPTY_PATH ? "" : p, AT_FDCWD, q, flags) != 0 ? err(errno) : ok();
    }
    if (IS("renameat2-exchange", 2)) {
        return renameat2(AT_FDCWD, p, AT_FDCWD, q, RENAME_EXCHANGE) != 0 ? err(errno) : ok();
    }
    if (IS("__open", 1) || IS("__open64", 1)) {
        int (*f)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_DEFAULT, cmd);
        if (f == NULL) {
            fprintf(stderr, "no symbol %s\n", cmd);
            return 2;
        }
        int fd = f(p, O_RDONLY);
        if (fd < 0) {
            return err(errno);
        }
        ok();
        return cat_fd(fd);
    }
    /* ---- extended attributes */
    if (IS("setxattr", 3) || IS("lsetxattr", 3) || IS("fsetxattr", 3)) {
        const char *v = argv[4];
        int r = cmd[0] == 's' ? setxattr(p, q, v, strlen(v), 0)
              : cmd[0] == 'l' ? lsetxattr(p, q, v, strlen(v), 0)
                              : fsetxattr(raw_open(p, O_RDONLY), q, v, strlen(v), 0);
        return r != 0 ? err(errno) : ok();
    }
    if (IS("removexattr", 2) || IS("lremovexattr", 2) || IS("fremovexattr", 2)) {
        int r = cmd[0] == 'r' ? removexattr(p, q) : cmd[0] == 'l' ? lremovexattr(p, q) : fremovexattr(raw_open(p, O_RDONLY), q);
        return r != 0 ? err(errno) : ok();
    }
    if (IS("getxattr", 2) || IS("lgetxattr", 2) || IS("fgetxattr", 2)) {
        char v[256];
        ssize_t n = cmd[0] == 'g' ? getxattr(p, q, v, sizeof v - 1)
                  : cmd[0] == 'l' ? lgetxattr(p, q, v, sizeof v - 1)
                                  : fgetxattr(raw_open(p, O_RDONLY), q, v, sizeof v - 1);
        if (n < 0) {
            return err(errno);
        }
        v[n] = '\0';
        printf("ok %s\n", v);
        return 0;
    }
    if (IS("listxattr", 1) || IS("llistxattr", 1) || IS("flistxattr", 1)) {
        char l[4096];
        ssize_t n = cmd[0] == 'l' && cmd[1] == 'i' ? listxattr(p, l, sizeof l)
                  : cmd[0] == 'l'                  ? llistxattr(p, l, sizeof l)
                                                   : flistxattr(raw_open(p, O_RDONLY), l, sizeof l);
        if (n < 0) {
            return err(errno);
        }
        printf("ok");
        char sep = ' ';
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(l + i) + 1) {
            if (strncmp(l + i, "user.", 5) == 0) {
                printf("%c%s", sep, l + i);
                sep = ',';
            }
        }
        printf("\n");
        return 0;
    }
    /* ---- file handles */
    if (IS("name_to_handle_at", 2)) {
        struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
        h->handle_bytes = MAX_HANDLE_SZ;
        int mnt;
        int how = strcmp(q, "follow") == 0 ? AT_SYMLINK_FOLLOW : strcmp(q, "empty") == 0 ? AT_EMPTY_PATH : 0;
        int r = how == AT_EMPTY_PATH ? name_to_handle_at(raw_open(p, O_PATH), "", h, &mnt, AT_EMPTY_PATH)
                                     : name_to_handle_at(AT_FDCWD, p, h, &mnt, how);
        return r != 0 ? err(errno) : ok();
    }
    if (IS("open_by_handle_at", 1)) {
        struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
        h->handle_bytes = MAX_HANDLE_SZ;
        int mnt;
        if (syscall(SYS_name_to_handle_at, AT_FDCWD, p, h, &mnt, 0) != 0) {
            fprintf(stderr, "raw name_to_handle_at %s: %s\n", p, strerror(errno));
            return 2;
        }
        int fd = open_by_handle_at(raw_open("/", O_RDONLY | O_DIRECTORY), h, O_RDONLY);
        if (fd < 0) {
            return err(errno);
        }
        ok();
        return cat_fd(fd);
    }
    if (IS("openat-deep", 2)) {
        char name[201];
        memset(name, 'd', 200);
        name[200] = '\0';
        int d = raw_open(".", O_PATH | O_DIRECTORY);
        for (long i = 0; d >= 0 && i < atol(p); i++) {
            syscall(SYS_mkdirat, d, name, 0755);
            int n = (int)syscall(SYS_openat, d, name, O_PATH | O_DIRECTORY, 0);
            close(d);
            d = n;
        }
        if (d < 0) {
            fprintf(stderr, "deep setup: %s\n", strerror(errno));
            return 2;
        }
        int fd = openat(d, q, O_RDONLY);
        if (fd < 0) {
            return err(errno);
        }
        ok();
        return cat_fd(fd);
    }
    /* ---- exec family: on success the program replaces us and prints its own output */
    if (IS("execv", 2)) {
        execv(p, rest);
        return err(errno);
    }
    if (IS("execvp", 2)) {
        execvp(p, rest);
        return err(errno);
    }
    if (IS("execvpe", 2)) {
        execvpe(p, rest, environ);
        return err(errno);
    }
    if (IS("execveat", 2)) {
        execveat(AT_FDCWD, p, rest, environ, 0);
        return err(errno);
    }
    if (IS("execl", 2)) {
        execl(p, rest[0], rest[1], (char *)NULL);
        return err(errno);
    }
    if (IS("execlp", 2)) {
        execlp(p, rest[0], rest[1], (char *)NULL);
        return err(errno);
    }
    if (IS("execle", 2)) {
        execle(p, rest[0], rest[1], (char *)NULL, environ);
        return err(errno);
    }
    if (IS("execveat-empty", 2) || IS("fexecve", 2)) {
        int fd = raw_open(p, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "raw open %s: %s\n", p, strerror(errno));
            return 2;
        }
        if (strcmp(cmd, "fexecve") == 0) {
            fexecve(fd, rest, environ);
        } else {
            execveat(fd, "", rest, environ, AT_EMPTY_PATH);
        }
        return err(errno);
    }
    if (IS("fexecve-memfd", 2)) {
        int in = raw_open(p, O_RDONLY);
        int fd = memfd_create("payload", 0);
        if (in < 0 || fd < 0) {
            fprintf(stderr, "memfd setup: %s\n", strerror(errno));
            return 2;
        }
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0) {
            if (write(fd, buf, (size_t)n) != n) {
                return 2;
            }
        }
        fexecve(fd, rest, environ);
        return err(errno);
    }
    if (IS("posix_spawn", 2) || IS("posix_spawnp", 2)) {
        pid_t pid;
        int r = strcmp(cmd, "posix_spawn") == 0 ? posix_spawn(&pid, p, NULL, NULL, rest, environ)
                                                 : posix_spawnp(&pid, p, NULL, NULL, rest, environ);
        return r != 0 ? err(r) : wait_child(pid);
    }
    if (IS("system", 1)) {
        int r = system(p);
        if (r == -1) {
            return err(errno);
        }
        printf("ok exit=%d\n", WIFEXITED(r) ? WEXITSTATUS(r) : 128 + WTERMSIG(r));
        return 0;
    }
    if (IS("popen", 1)) {
        FILE *f = popen(p, "r");
        if (f == NULL) {
            return err(errno);
        }
        ok();
        int r = cat_fd(fileno(f));
        pclose(f);
        return r;
    }
    /* ---- path tricks */
    if (IS("openat-renamed", 3)) {
        int d = raw_open(p, O_PATH | O_DIRECTORY);
        if (d < 0 || syscall(SYS_renameat2, AT_FDCWD, p, AT_FDCWD, argv[4], 0) != 0) {
            fprintf(stderr, "setup: %s\n", strerror(errno));
            return 2;
        }
        int fd = openat(d, q, O_RDONLY);
        if (fd < 0) {
            return err(errno);
        }
        ok();
        return cat_fd(fd);
    }
    if (IS("race-open", 5)) {
        return race_open(p, q, argv[4], atol(argv[5]), argv[6]);
    }
    fprintf(stderr, "hook_probe: bad arguments\n");
    return 2;
}
