/*
 * exec.c — the exec hooks.
 *
 * For every exec the shim
 *   1. resolves the program like the kernel and libc would (PATH search for
 *      the p-variants, with the caller's PATH or "/bin:/usr/bin"), opens it
 *      O_PATH and takes `exe` = its real path (/proc/self/fd/N); a deleted
 *      file or a memfd has no path and is denied;
 *   2. fills argc, argv[N] and cmdline (argv joined with single spaces; built
 *      only if the policy uses it; over TRJ_MAX_VALUE_LEN = eval error, deny);
 *   3. decides through trj_decide_and_record(), which also denies a setuid
 *      or setgid target (the loader would drop LD_PRELOAD) unless
 *      trj_exec_allowed_exactly() says a rule names that exact exe;
 *   5. rewrites envp (before the decision, so a failure is recorded as
 *      UNRESOLVABLE): LD_PRELOAD = this library first, then the caller's
 *      other entries; LD_AUDIT dropped; TRAJECKT_POLICY_FD,
 *      TRAJECKT_AUDIT_FD (and TRAJECKT_AGENT_ID) forced to the monitor's
 *      values. If the policy descriptor was closed or replaced (python's
 *      close_fds, dup2 over it), a fresh sealed memfd is made from the
 *      verified copy in memory; if the audit ring descriptor was, the
 *      writer's descriptor is reopened (/proc/<writer_pid>/fd/<writer_fd>,
 *      same dev/ino as the mapping) — if that fails the exec is denied;
 *   6. execs the resolved real path (so a symlink swapped in after the
 *      decision cannot redirect it); fexecve/execveat(AT_EMPTY_PATH) exec the
 *      descriptor itself.
 * No malloc on the execve path (it may run after vfork): stack buffers, and
 * raw mmap only for a cmdline over 4 KB or an environment over 1024 entries.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trajeckt_preload.h"

extern char **environ;

#define ENV_STACK 1024
#define ARGV_STACK 1024

struct exec_target {
    char exe[TRJ_PATH_MAX];  /* the real path of the program */
    size_t exe_len;
    char name[TRJ_PATH_MAX]; /* the absolute name it was run as ("" = same as exe) */
    size_t name_len;
    struct stat st;
    int unres; /* nonzero: the program has no usable path (a memfd, a deleted
                  file, longer than PATH_MAX); why, as an errno. exe holds the
                  descriptor's link text; judge_exec records it, cause
                  UNRESOLVABLE, and denies. */
};

/* Resolve (dirfd, path) or the descriptor itself (AT_EMPTY_PATH) to its real
   path. 0 (t->unres set if there is none) or -errno. */
static int resolve_exe(int dirfd, const char *path, int atflags, struct exec_target *t)
{
    long fd;
    int own = 0;
    if (path == NULL) {
        return -EFAULT;
    }
    if (path[0] == '\0') {
        if (!(atflags & AT_EMPTY_PATH)) {
            return -ENOENT;
        }
        fd = dirfd;
    } else {
        fd = trj_sys4(SYS_openat, dirfd, (long)path,
                      O_PATH | O_CLOEXEC | ((atflags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
        if (fd < 0) {
            return (int)fd;
        }
        own = 1;
    }
    long r = trj_sys2(SYS_fstat, fd, (long)&t->st);
    long n = r < 0 ? r : trj_fd_path((int)fd, t->exe);
    if (own) {
        trj_close((int)fd);
    }
    if (r < 0) {
        return (int)r;
    }
    t->unres = 0;
    t->name_len = 0;
    if (n < 0) {
        if (!TRJ_IS_UNRES(n)) {
            return (int)n; /* -EBADF */
        }
        t->unres = TRJ_UNRES_ERRNO(n);
        t->exe_len = strlen(t->exe);
        return 0;
    }
    t->exe_len = (size_t)n;
    if (path[0] != '\0') {
        long nl = trj_abs_path(dirfd, path, t->name);
        if (nl > 0 && ((size_t)nl != t->exe_len || memcmp(t->name, t->exe, t->exe_len) != 0)) {
            t->name_len = (size_t)nl;
        }
    }
    return 0;
}

/* cmdline scratch: stack, or raw mmap when longer. */
struct cmdbuf {
    char stack[4096];
    char *p;
    size_t len, map_len;
};

static void cmd_free(struct cmdbuf *c)
{
    if (c->map_len != 0) {
        (void)trj_sys2(SYS_munmap, (long)c->p, (long)c->map_len);
        c->map_len = 0;
    }
}

/* 0, or -1 if the cmdline cannot be built (too long: eval error). */
static int cmd_build(struct cmdbuf *c, char *const argv[], int64_t argc)
{
    c->p = NULL;
    c->len = 0;
    c->map_len = 0;
    if (trj_state.s_cmdline < 0) {
        return 0;
    }
    size_t total = 0;
    for (int64_t i = 0; i < argc; i++) {
        total += strlen(argv[i]) + (i > 0);
        if (total > TRJ_MAX_VALUE_LEN) {
            return -1;
        }
    }
    if (total < sizeof c->stack) {
        c->p = c->stack;
    } else {
        size_t len = (total + 1 + 4095) & ~(size_t)4095;
        long m = trj_sys6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m < 0 && m > -4096) {
            return -1;
        }
        c->p = (char *)m;
        c->map_len = len;
    }
    for (int64_t i = 0; i < argc; i++) {
        if (i > 0) {
            c->p[c->len++] = ' ';
        }
        size_t l = strlen(argv[i]);
        memcpy(c->p + c->len, argv[i], l);
        c->len += l;
    }
    c->p[c->len] = '\0';
    return 0;
}

/* 1 = allowed. Judges (and records) the exec of t with argv; env_error is
   the errno of a failed envp rewrite (the exec is then recorded as
   UNRESOLVABLE and denied). */
static int judge_exec(const struct exec_target *t, char *const argv[], int env_error)
{
    static char *const empty[] = { NULL };
    if (argv == NULL) {
        argv = empty;
    }
    int64_t argc = 0;
    int err = t->unres != 0 ? t->unres : env_error;
    while (argv[argc] != NULL) {
        if (++argc > (1 << 22)) {
            err = E2BIG;
            break;
        }
    }
    struct cmdbuf c = { .p = NULL, .len = 0, .map_len = 0 };
    if (err == 0 && cmd_build(&c, argv, argc) != 0) {
        err = E2BIG;
    }
    struct trj_action a = {
        .kind = TRJ_KIND_EXEC, .exe = t->exe, .exe_len = t->exe_len, .argv = argv, .argc = argc,
        .exe_name = t->name_len > 0 ? t->name : NULL, .exe_name_len = t->name_len,
        .cmdline = c.p, .cmdline_len = c.len, .error = err,
        .privileged = S_ISREG(t->st.st_mode) &&
                      ((t->st.st_mode & S_ISUID) || ((t->st.st_mode & S_ISGID) && (t->st.st_mode & S_IXGRP))),
    };
    int ok = trj_decide_and_record(&a);
    cmd_free(&c);
    return ok;
}

/* ---- the environment handed to the new program ------------------------- */

struct envbuf {
    char *stack[ENV_STACK];
    char **vec;
    size_t map_len;
    int newfd; /* a fresh policy memfd made for this exec, or -1 */
    int newring; /* a new descriptor of the audit ring made for this exec, or -1 */
    char preload[TRJ_PATH_MAX + 4096];
    char policy_fd[40];
    char audit_fd[40];
    char agent[300];
};

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void env_free(struct envbuf *b)
{
    if (b->map_len != 0) {
        (void)trj_sys2(SYS_munmap, (long)b->vec, (long)b->map_len);
        b->map_len = 0;
    }
    if (b->newfd >= 0) {
        trj_close(b->newfd);
        b->newfd = -1;
    }
    if (b->newring >= 0) {
        trj_close(b->newring);
        b->newring = -1;
    }
}

/* "NAME=<fd>" into out (40 bytes). */
static void env_fd(char *out, const char *name, int fd)
{
    size_t q = strlen(name);
    memcpy(out, name, q);
    char digits[16];
    int nd = 0;
    unsigned v = (unsigned)fd;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (nd > 0) {
        out[q++] = digits[--nd];
    }
    out[q] = '\0';
}

/* The policy descriptor to hand on: ours if it is still the same memfd, else
   a new sealed copy of the verified table. -1 if neither works. */
static int policy_fd_for_child(struct envbuf *b)
{
    const struct trj_state *t = &trj_state;
    struct stat st;
    if (t->policy_fd >= 0 && trj_sys2(SYS_fstat, t->policy_fd, (long)&st) == 0 &&
        st.st_dev == t->policy_dev && st.st_ino == t->policy_ino) {
        long fl = trj_sys2(SYS_fcntl, t->policy_fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC)) {
            return t->policy_fd;
        }
    }
    /* MFD_NOEXEC_SEAL (8, Linux 6.3+): the kernel backstop's seccomp filter refuses
       executable memfds; older kernels reject the flag with EINVAL */
    long fd = trj_sys2(SYS_memfd_create, (long)"trajeckt-policy", MFD_ALLOW_SEALING | 0x0008);
    if (fd == -EINVAL) {
        fd = trj_sys2(SYS_memfd_create, (long)"trajeckt-policy", MFD_ALLOW_SEALING);
    }
    if (fd < 0) {
        return -1;
    }
    size_t off = 0;
    while (off < t->policy_len) {
        long w = trj_sys3(SYS_write, fd, (long)(t->policy_buf + off), (long)(t->policy_len - off));
        if (w == -EINTR) {
            continue;
        }
        if (w <= 0) {
            trj_close((int)fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (trj_sys3(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        trj_close((int)fd);
        return -1;
    }
    b->newfd = (int)fd;
    return (int)fd;
}

/* Build envp for the child. 0, or -EACCES if the shim cannot follow the child. */
static int env_build(struct envbuf *b, char *const envp[])
{
    const struct trj_state *t = &trj_state;
    b->vec = b->stack;
    b->map_len = 0;
    b->newfd = -1;
    b->newring = -1;
    if (!t->loaded || t->self_path[0] == '\0') {
        return -EACCES;
    }
    size_t n = 0;
    if (envp != NULL) {
        while (envp[n] != NULL) {
            n++;
        }
    }
    if (n + 5 > ENV_STACK) {
        size_t len = ((n + 5) * sizeof(char *) + 4095) & ~(size_t)4095;
        long m = trj_sys6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m < 0 && m > -4096) {
            return -EACCES;
        }
        b->vec = (char **)m;
        b->map_len = len;
    }
    /* LD_PRELOAD: this library first, then the caller's other libraries. */
    size_t sl = strlen(t->self_path);
    size_t o = 0;
    memcpy(b->preload, "LD_PRELOAD=", 11);
    o = 11;
    memcpy(b->preload + o, t->self_path, sl);
    o += sl;
    const char *old = NULL;
    for (size_t i = 0; i < n; i++) {
        if (starts(envp[i], "LD_PRELOAD=")) {
            old = envp[i] + 11; /* the last one wins, as with getenv */
        }
    }
    for (const char *s = old; s != NULL && *s != '\0';) {
        while (*s == ' ' || *s == ':') {
            s++;
        }
        const char *e = s;
        while (*e != '\0' && *e != ' ' && *e != ':') {
            e++;
        }
        size_t l = (size_t)(e - s);
        if (l > 0 && !(l == sl && memcmp(s, t->self_path, sl) == 0)) {
            if (o + 1 + l + 1 > sizeof b->preload) {
                env_free(b);
                return -EACCES; /* never drop a library silently */
            }
            b->preload[o++] = ':';
            memcpy(b->preload + o, s, l);
            o += l;
        }
        s = e;
    }
    b->preload[o] = '\0';

    int pfd = policy_fd_for_child(b);
    if (pfd < 0) {
        env_free(b);
        return -EACCES;
    }
    env_fd(b->policy_fd, "TRAJECKT_POLICY_FD=", pfd);
    int afd = trj_audit_fd_for_child(&b->newring);
    if (afd < 0) {
        env_free(b);
        return -EACCES; /* the child could not record: deny the exec */
    }
    env_fd(b->audit_fd, "TRAJECKT_AUDIT_FD=", afd);

    size_t k = 0;
    b->vec[k++] = b->preload;
    b->vec[k++] = b->policy_fd;
    b->vec[k++] = b->audit_fd;
    if (t->agent_len > 0) {
        memcpy(b->agent, "TRAJECKT_AGENT_ID=", 18);
        memcpy(b->agent + 18, t->agent, t->agent_len + 1);
        b->vec[k++] = b->agent;
    }
    for (size_t i = 0; i < n; i++) {
        const char *e = envp[i];
        if (starts(e, "LD_PRELOAD=") || starts(e, "LD_AUDIT=") || starts(e, "TRAJECKT_POLICY_FD=") ||
            starts(e, "TRAJECKT_AUDIT_FD=") ||
            (t->agent_len > 0 && starts(e, "TRAJECKT_AGENT_ID="))) {
            continue;
        }
        b->vec[k++] = (char *)e;
    }
    b->vec[k] = NULL;
    return 0;
}

/* ---- the judged exec itself ------------------------------------------- */

static int exec_at(int dirfd, const char *path, char *const argv[], char *const envp[], int atflags)
{
    struct exec_target t;
    int r = resolve_exe(dirfd, path, atflags, &t);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    struct envbuf b;
    r = env_build(&b, envp);
    if (!judge_exec(&t, argv, -r)) {
        env_free(&b);
        errno = EACCES;
        return -1;
    }
    long e;
    if (path[0] == '\0') {
        e = trj_sys5(SYS_execveat, dirfd, (long)"", (long)argv, (long)b.vec, AT_EMPTY_PATH);
        e = -e;
    } else if (trj_real.execve != NULL) {
        trj_real.execve(t.exe, argv, b.vec);
        e = errno;
    } else {
        e = -trj_sys3(SYS_execve, (long)t.exe, (long)argv, (long)b.vec);
    }
    env_free(&b);
    errno = (int)e;
    return -1;
}

int trj_judge_exec_at(int dirfd, const char *path, int atflags, char *const argv[])
{
    struct exec_target t;
    int r = resolve_exe(dirfd, path, atflags, &t);
    if (r < 0) {
        return r;
    }
    return judge_exec(&t, argv, 0) ? 0 : -EACCES;
}

int trj_execve_judged(const char *path, char *const argv[], char *const envp[])
{
    return exec_at(AT_FDCWD, path, argv, envp, 0);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    trj_init();
    return exec_at(AT_FDCWD, path, argv, envp, 0);
}

int execv(const char *path, char *const argv[])
{
    trj_init();
    return exec_at(AT_FDCWD, path, argv, environ, 0);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    trj_init();
    return exec_at(fd, "", argv, envp, AT_EMPTY_PATH);
}

int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    trj_init();
    return exec_at(dirfd, path, argv, envp, flags);
}

/* Run a file the kernel refused with ENOEXEC through /bin/sh, as glibc does. */
static int exec_sh(const char *file, char *const argv[], char *const envp[])
{
    char *nargv[ARGV_STACK + 2];
    size_t n = 0;
    nargv[n++] = (char *)"/bin/sh";
    nargv[n++] = (char *)file;
    if (argv != NULL && argv[0] != NULL) {
        for (size_t i = 1; argv[i] != NULL; i++) {
            if (n + 1 >= sizeof nargv / sizeof nargv[0]) {
                errno = E2BIG;
                return -1;
            }
            nargv[n++] = argv[i];
        }
    }
    nargv[n] = NULL;
    return exec_at(AT_FDCWD, "/bin/sh", nargv, envp, 0);
}

/* ---- PATH search, shared by the p-variants of exec and posix_spawn ------ */

/* $PATH, or glibc's default when it is unset. */
static const char *search_path(void)
{
    const char *path = getenv("PATH");
    return path != NULL ? path : "/bin:/usr/bin";
}

/* Writes the next "dir/file" candidate of the PATH at *cursor into cand (an
   empty entry means the current directory) and returns 1; returns 0 when PATH
   is exhausted. Entries too long for cand are skipped, as libc does. */
static int next_candidate(const char **cursor, const char *file, size_t fl, char cand[TRJ_PATH_MAX])
{
    while (*cursor != NULL) {
        const char *p = *cursor;
        const char *e = strchrnul(p, ':');
        size_t dl = (size_t)(e - p);
        *cursor = *e == '\0' ? NULL : e + 1;
        if (dl + 1 + fl + 1 > TRJ_PATH_MAX) {
            continue;
        }
        if (dl == 0) {
            memcpy(cand, file, fl + 1);
        } else {
            memcpy(cand, p, dl);
            cand[dl] = '/';
            memcpy(cand + dl + 1, file, fl + 1);
        }
        return 1;
    }
    return 0;
}

/* PATH search like glibc's execvpe. */
static int exec_search(const char *file, char *const argv[], char *const envp[])
{
    if (file == NULL || file[0] == '\0') {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/') != NULL) {
        exec_at(AT_FDCWD, file, argv, envp, 0);
        if (errno == ENOEXEC) {
            exec_sh(file, argv, envp);
        }
        return -1;
    }
    const char *cursor = search_path();
    size_t fl = strlen(file);
    int got_eacces = 0;
    char cand[TRJ_PATH_MAX];
    while (next_candidate(&cursor, file, fl, cand)) {
        exec_at(AT_FDCWD, cand, argv, envp, 0);
        if (errno == ENOEXEC) {
            exec_sh(cand, argv, envp);
        }
        switch (errno) {
        case EACCES:
            got_eacces = 1;
            break;
        case ENOENT: case ESTALE: case ENOTDIR: case ENODEV: case ETIMEDOUT: case ENAMETOOLONG:
            break;
        default:
            return -1;
        }
    }
    errno = got_eacces ? EACCES : ENOENT;
    return -1;
}

int execvp(const char *file, char *const argv[])
{
    trj_init();
    return exec_search(file, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    trj_init();
    return exec_search(file, argv, envp);
}

/* execl family: collect the variadic arguments on the stack. */
#define COLLECT_ARGS(arg0, ap, argv, envp_out)                          \
    char *argv[ARGV_STACK + 1];                                         \
    size_t argc_ = 0;                                                   \
    int toolong_ = 0;                                                   \
    {                                                                   \
        va_list ap;                                                     \
        va_start(ap, arg0);                                             \
        const char *a_ = arg0;                                          \
        while (a_ != NULL) {                                            \
            if (argc_ < ARGV_STACK) {                                   \
                argv[argc_++] = (char *)a_;                             \
            } else {                                                    \
                toolong_ = 1;                                           \
            }                                                           \
            a_ = va_arg(ap, const char *);                              \
        }                                                               \
        argv[argc_] = NULL;                                             \
        envp_out;                                                       \
        va_end(ap);                                                     \
    }                                                                   \
    if (toolong_) {                                                     \
        errno = E2BIG;                                                  \
        return -1;                                                      \
    }

int execl(const char *path, const char *arg, ...)
{
    trj_init();
    COLLECT_ARGS(arg, ap, argv, (void)0);
    return exec_at(AT_FDCWD, path, argv, environ, 0);
}

int execlp(const char *file, const char *arg, ...)
{
    trj_init();
    COLLECT_ARGS(arg, ap, argv, (void)0);
    return exec_search(file, argv, environ);
}

int execle(const char *path, const char *arg, ...)
{
    trj_init();
    char *const *envp = NULL;
    COLLECT_ARGS(arg, ap, argv, envp = va_arg(ap, char *const *));
    return exec_at(AT_FDCWD, path, argv, envp, 0);
}

/* ---- posix_spawn: judged in the parent, spawned on the resolved path ---- */

static int spawn_one(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                     const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    struct exec_target t;
    int r = resolve_exe(AT_FDCWD, path, 0, &t);
    if (r < 0) {
        return -r;
    }
    if (trj_real.posix_spawn == NULL) {
        return ENOSYS;
    }
    struct envbuf b;
    r = env_build(&b, envp);
    if (!judge_exec(&t, argv, -r)) {
        env_free(&b);
        return EACCES;
    }
    r = trj_real.posix_spawn(pid, t.exe, fa, attr, argv, b.vec);
    env_free(&b);
    return r;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    trj_init();
    return spawn_one(pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    trj_init();
    if (file[0] == '\0') {
        return ENOENT;
    }
    if (strchr(file, '/') != NULL) {
        return spawn_one(pid, file, fa, attr, argv, envp);
    }
    const char *cursor = search_path();
    size_t fl = strlen(file);
    int got_eacces = 0;
    char cand[TRJ_PATH_MAX];
    while (next_candidate(&cursor, file, fl, cand)) {
        struct stat st;
        /* like the exec in the child: skip what is missing or not executable */
        if (trj_sys4(SYS_newfstatat, AT_FDCWD, (long)cand, (long)&st, 0) == 0 && S_ISREG(st.st_mode) &&
            trj_sys3(SYS_faccessat, AT_FDCWD, (long)cand, X_OK) == 0) {
            int r = spawn_one(pid, cand, fa, attr, argv, envp);
            if (r != EACCES) {
                return r;
            }
            got_eacces = 1;
        }
    }
    return got_eacces ? EACCES : ENOENT;
}

/* ---- system and popen: /bin/sh -c cmd, with the environ repaired ------- */

/* Judge `/bin/sh -c cmd` and make sure environ carries the monitor's
   variables (these calls are not async-signal-safe, so setenv is fine). */
static int shell_allowed(const char *cmd)
{
    struct exec_target t;
    if (resolve_exe(AT_FDCWD, "/bin/sh", 0, &t) < 0) {
        return 0;
    }
    char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
    struct envbuf b;
    int r = env_build(&b, environ);
    if (!judge_exec(&t, argv, -r)) {
        env_free(&b);
        return 0;
    }
    /* b.vec[0..] are "LD_PRELOAD=...", "TRAJECKT_POLICY_FD=...", "TRAJECKT_AUDIT_FD=..." (and agent) */
    int ok = setenv("LD_PRELOAD", b.preload + 11, 1) == 0 &&
             setenv("TRAJECKT_POLICY_FD", b.policy_fd + 19, 1) == 0 &&
             setenv("TRAJECKT_AUDIT_FD", b.audit_fd + 18, 1) == 0 && unsetenv("LD_AUDIT") == 0;
    if (b.newring >= 0 && ok) {
        trj_audit_adopt_fd(b.newring); /* environ names it now */
        b.newring = -1;
    }
    struct stat st;
    if (b.newfd >= 0 && ok && trj_sys2(SYS_fstat, b.newfd, (long)&st) == 0) {
        /* environ now names the new memfd: it becomes the process's policy descriptor */
        trj_state.policy_fd = b.newfd;
        trj_state.policy_dev = st.st_dev;
        trj_state.policy_ino = st.st_ino;
        b.newfd = -1;
    }
    env_free(&b);
    return ok;
}

int system(const char *cmd)
{
    trj_init();
    if (trj_real.system == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (cmd == NULL) {
        return trj_real.system(cmd);
    }
    if (!shell_allowed(cmd)) {
        errno = EACCES;
        return -1;
    }
    return trj_real.system(cmd);
}

FILE *popen(const char *cmd, const char *type)
{
    trj_init();
    if (trj_real.popen == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    if (cmd == NULL || !shell_allowed(cmd)) {
        errno = cmd == NULL ? EINVAL : EACCES;
        return NULL;
    }
    return trj_real.popen(cmd, type);
}
