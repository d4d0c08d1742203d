/*
 * path.c — what a path really names, and opening exactly that.
 *
 * Lexical step: trj_abs_path() makes (dirfd, path) absolute against the cwd
 * (getcwd) or the dirfd (readlink /proc/self/fd/N), both already real paths
 * from the kernel, and normalizes `.`, `..` and `//` lexically. That string
 * is judged first.
 *
 * Kernel step: the original path is then opened with openat2(...,
 * RESOLVE_NO_SYMLINKS). If it succeeds, no symlink or magic link was on the
 * way, so the lexical path is the object: no extra syscall. On ELOOP (or when
 * the path has a `..`, which a concurrent directory rename could move), the
 * slow path opens an O_PATH descriptor (the kernel resolves everything),
 * reads /proc/self/fd/N, judges that real path too, and reopens through
 * /proc/self/fd/N with the caller's flags: the object judged is the object
 * opened, whatever is swapped in between.
 *
 * Every function returns a result or -errno and leaves errno alone.
 * Unresolvable paths (too long, deleted cwd or dirfd, non-path descriptors)
 * are TRJ_UNRES(reason) inside this file; the functions that judge
 * (trj_open_judged, trj_resolve_object) turn it into one record with cause
 * UNRESOLVABLE (trj_unresolvable) and -EACCES. trj_abs_path, trj_fd_path and
 * trj_resolve_parent hand it to their caller, which knows the kind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trajeckt_preload.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int no_openat2; /* set once if the kernel (or a filter) lacks openat2 */

const char *trj_proc_fd(int fd, char *buf)
{
    static const char pre[] = "/proc/self/fd/";
    char digits[16];
    int n = 0;
    unsigned v = (unsigned)fd;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    memcpy(buf, pre, sizeof pre - 1);
    size_t o = sizeof pre - 1;
    while (n > 0) {
        buf[o++] = digits[--n];
    }
    buf[o] = '\0';
    return buf;
}

long trj_fd_path(int fd, char *out)
{
    char proc[32];
    out[0] = '\0';
    long n = trj_sys4(SYS_readlinkat, AT_FDCWD, (long)trj_proc_fd(fd, proc), (long)out, TRJ_PATH_MAX);
    if (n < 0) {
        /* ENAMETOOLONG: the kernel could not build a path of PATH_MAX */
        return n == -ENOENT ? -EBADF : TRJ_UNRES(-n);
    }
    if (n >= TRJ_PATH_MAX) {
        out[0] = '\0'; /* cut by readlink: never judged, never recorded */
        return TRJ_UNRES(ENAMETOOLONG);
    }
    out[n] = '\0';
    if (n == 0 || out[0] != '/') {
        return TRJ_UNRES(EINVAL); /* not a path: pipe:[..], anon_inode:, socket: */
    }
    static const char del[] = " (deleted)";
    if ((size_t)n >= sizeof del - 1 && memcmp(out + n - (sizeof del - 1), del, sizeof del - 1) == 0) {
        return TRJ_UNRES(ENOENT); /* deleted object, memfd: the name no longer says what it is */
    }
    return n;
}

/* The path of a descriptor the shim itself just opened could not be read:
   whatever readlink said, that object is unresolvable. */
static long unres(long n)
{
    return TRJ_IS_UNRES(n) ? n : TRJ_UNRES(-n);
}

int trj_has_dotdot(const char *p)
{
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2) {
        if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/')) {
            return 1;
        }
    }
    return 0;
}

/* Append the components of rel to the absolute normalized out[0..len). */
static long normalize_onto(char *out, size_t len, const char *rel)
{
    const char *s = rel;
    while (*s != '\0') {
        while (*s == '/') {
            s++;
        }
        const char *e = s;
        while (*e != '\0' && *e != '/') {
            e++;
        }
        size_t n = (size_t)(e - s);
        if (n == 0 || (n == 1 && s[0] == '.')) {
            /* nothing */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (len > 0 && out[len - 1] != '/') {
                len--;
            }
            if (len > 0) {
                len--; /* drop the '/' too; the root is re-added below */
            }
        } else {
            if (len + 1 + n >= TRJ_PATH_MAX) {
                return TRJ_UNRES(ENAMETOOLONG); /* would not fit: never judge a truncated path */
            }
            out[len++] = '/';
            memcpy(out + len, s, n);
            len += n;
        }
        s = e;
    }
    if (len == 0) {
        out[len++] = '/';
    }
    out[len] = '\0';
    return (long)len;
}

static long base_path(int dirfd, char *out)
{
    if (dirfd == AT_FDCWD) {
        long n = trj_sys2(SYS_getcwd, (long)out, TRJ_PATH_MAX);
        if (n < 0) {
            out[0] = '\0';
            return TRJ_UNRES(-n); /* deleted cwd (ENOENT), too long (ERANGE, ENAMETOOLONG) */
        }
        if (n <= 1 || out[0] != '/') {
            out[0] = '\0';
            return TRJ_UNRES(ENOENT); /* "(unreachable)/...": outside this process's root */
        }
        return n - 1;
    }
    return trj_fd_path(dirfd, out); /* length, -EBADF or TRJ_UNRES */
}

long trj_abs_path(int dirfd, const char *path, char *out)
{
    size_t len = 0;
    long n = 0;
    if (path[0] != '/') {
        n = base_path(dirfd, out);
        len = n == 1 ? 0 : (size_t)n; /* "/" */
    }
    if (n >= 0) {
        n = normalize_onto(out, len, path);
    }
    if (n < 0 && strnlen(path, TRJ_PATH_MAX) >= TRJ_PATH_MAX) {
        return -ENAMETOOLONG; /* what the kernel says of such a name before anything else: nothing to judge */
    }
    return n;
}

static long do_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(unsigned)flags;
    how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? (mode & 07777) : 0;
    how.resolve = RESOLVE_NO_SYMLINKS;
    return trj_sys4(SYS_openat2, dirfd, (long)path, (long)&how, sizeof how);
}

/* Flags the kernel knows; open() ignores others, openat2() rejects them. */
#define KNOWN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
                     O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW |      \
                     O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | __O_TMPFILE)

uint32_t trj_open_kind(int flags)
{
    if ((flags & __O_TMPFILE) == __O_TMPFILE) {
        return TRJ_KIND_FILE_CREATE;
    }
    if (flags & O_PATH) {
        return TRJ_KIND_FILE_READ;
    }
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND))) {
        return TRJ_KIND_FILE_WRITE;
    }
    return TRJ_KIND_FILE_READ;
}

/* Judge kind on lex, and on real when it differs. */
static int judge2(uint32_t kind, const char *lex, size_t llen, const char *real, size_t rlen)
{
    if (!trj_decide_path(kind, lex, llen)) {
        return 0;
    }
    if (real != NULL && (rlen != llen || memcmp(lex, real, llen) != 0)) {
        return trj_decide_path(kind, real, rlen);
    }
    return 1;
}

/* Index of the last component of p (trailing slashes belong to it). */
static size_t last_component(const char *p, size_t *end_out)
{
    size_t end = strlen(p);
    while (end > 1 && p[end - 1] == '/') {
        end--;
    }
    size_t start = end;
    while (start > 0 && p[start - 1] != '/') {
        start--;
    }
    *end_out = end;
    return start;
}

/* O_PATH|O_DIRECTORY descriptor of the parent of p (the kernel resolves it),
   its real path in real, and the start of the last component. */
static long open_parent_real(int dirfd, const char *p, char *real, int *pfd, int *owned, size_t *start_out)
{
    size_t end;
    size_t start = last_component(p, &end);
    *start_out = start;
    if (start == 0) {
        *pfd = dirfd;
        *owned = 0;
        return base_path(dirfd, real);
    }
    char parent[TRJ_PATH_MAX];
    if (start >= sizeof parent) {
        return TRJ_UNRES(ENAMETOOLONG);
    }
    memcpy(parent, p, start);
    parent[start] = '\0';
    long fd = trj_sys4(SYS_openat, dirfd, (long)parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        return fd;
    }
    long n = trj_fd_path((int)fd, real);
    if (n < 0) {
        trj_close((int)fd);
        return unres(n);
    }
    *pfd = (int)fd;
    *owned = 1;
    return n;
}

/* Create (dirfd,path) through its real parent when a symlink is on the way. */
static int create_slow(int dirfd, const char *path, int flags, mode_t mode, const char *lex, size_t llen)
{
    char real[TRJ_PATH_MAX];
    int pfd, owned;
    size_t start;
    long n = open_parent_real(dirfd, path, real, &pfd, &owned, &start);
    if (n < 0) {
        return trj_unresolvable(TRJ_KIND_FILE_CREATE, n, lex, llen, NULL, 0);
    }
    const char *name = path + start;
    long r;
    if (name[0] == '\0' || strchr(name, '/') != NULL) {
        r = -EISDIR;
    } else if ((n = normalize_onto(real, n == 1 ? 0 : (size_t)n, name)) < 0) {
        r = trj_unresolvable(TRJ_KIND_FILE_CREATE, n, lex, llen, NULL, 0);
    } else if (!judge2(TRJ_KIND_FILE_CREATE, lex, llen, real, (size_t)n)) {
        r = -EACCES;
    } else {
        r = do_openat2(pfd, name, flags | O_EXCL, mode);
        if (r == -ELOOP) {
            /* creating through a dangling symlink: its target is not judged, denied */
            r = trj_unresolvable(TRJ_KIND_FILE_CREATE, TRJ_UNRES(ELOOP), real, (size_t)n, NULL, 0);
        }
    }
    if (owned) {
        trj_close(pfd);
    }
    return (int)r;
}

/* The slow path: resolve with the kernel, judge the real object, reopen it. */
static int open_slow(int dirfd, const char *path, int flags, mode_t mode, const char *lex, size_t llen)
{
    int opath = O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY));
    long pfd = trj_sys4(SYS_openat, dirfd, (long)path, opath, 0);
    if (pfd == -ENOENT && (flags & O_CREAT)) {
        return create_slow(dirfd, path, flags, mode, lex, llen);
    }
    if (pfd < 0) {
        return (int)pfd;
    }
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
        trj_close((int)pfd);
        return -EEXIST;
    }
    char real[TRJ_PATH_MAX];
    long n = trj_fd_path((int)pfd, real);
    long r;
    if (n < 0) {
        r = trj_unresolvable(trj_open_kind(flags), unres(n), lex, llen, NULL, 0);
    } else if (!judge2(trj_open_kind(flags), lex, llen, real, (size_t)n)) {
        r = -EACCES;
    } else {
        char proc[32];
        r = trj_sys4(SYS_openat, AT_FDCWD, (long)trj_proc_fd((int)pfd, proc),
                     flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), 0);
    }
    trj_close((int)pfd);
    return (int)r;
}

int trj_open_judged(int dirfd, const char *path, int flags, mode_t mode)
{
    if (path == NULL) {
        return -EFAULT;
    }
    if (path[0] == '\0') {
        return -ENOENT;
    }
    flags &= KNOWN_FLAGS;
    uint32_t kind = trj_open_kind(flags);
    int creating = (flags & O_CREAT) && (flags & __O_TMPFILE) != __O_TMPFILE;
    char lex[TRJ_PATH_MAX];
    long ll = trj_abs_path(dirfd, path, lex);
    if (ll < 0) {
        /* a dirfd or cwd without a usable path: recorded with the raw argument */
        return trj_unresolvable(creating && (flags & O_EXCL) ? TRJ_KIND_FILE_CREATE : kind, ll,
                                path, strlen(path), NULL, 0);
    }
    size_t llen = (size_t)ll;
    int slow = no_openat2 || trj_has_dotdot(path);

    if (!creating || (flags & O_EXCL)) {
        if (!trj_decide_path(creating ? TRJ_KIND_FILE_CREATE : kind, lex, llen)) {
            return -EACCES;
        }
        if (!slow) {
            long r = do_openat2(dirfd, path, flags, mode);
            if (r == -ENOSYS) {
                no_openat2 = 1;
            } else if (r != -ELOOP) {
                return (int)r;
            }
        }
        return open_slow(dirfd, path, flags, mode, lex, llen);
    }

    /* O_CREAT without O_EXCL: file.write/read if it exists, file.create if not. */
    for (int attempt = 0; attempt < 3; attempt++) {
        long r;
        if (trj_decide_path(kind, lex, llen)) {
            if (slow) {
                return open_slow(dirfd, path, flags, mode, lex, llen);
            }
            r = do_openat2(dirfd, path, flags & ~O_CREAT, 0);
            if (r == -ENOSYS) {
                no_openat2 = 1;
                return open_slow(dirfd, path, flags, mode, lex, llen);
            }
            if (r == -ELOOP) {
                return open_slow(dirfd, path, flags, mode, lex, llen);
            }
            if (r != -ENOENT) {
                return (int)r;
            }
        } else {
            /* Not allowed on an existing file: find out, without side effects, whether it exists. */
            struct stat st;
            r = trj_sys4(SYS_newfstatat, dirfd, (long)path, (long)&st, AT_SYMLINK_NOFOLLOW);
            if (r != -ENOENT) {
                return -EACCES;
            }
        }
        if (!trj_decide_path(TRJ_KIND_FILE_CREATE, lex, llen)) {
            return -EACCES;
        }
        r = slow ? -ELOOP : do_openat2(dirfd, path, flags | O_EXCL, mode);
        if (r == -ELOOP || r == -ENOSYS) {
            return create_slow(dirfd, path, flags, mode, lex, llen);
        }
        if (r != -EEXIST) {
            return (int)r;
        }
        /* created by someone else in between: decide again as an existing file */
    }
    return trj_unresolvable(kind, TRJ_UNRES(EEXIST), lex, llen, NULL, 0); /* it kept changing */
}

int trj_resolve_object(uint32_t kind, int dirfd, const char *path, int *fd)
{
    if (path == NULL) {
        return -EFAULT;
    }
    if (path[0] == '\0') {
        return -ENOENT;
    }
    char lex[TRJ_PATH_MAX];
    long ll = trj_abs_path(dirfd, path, lex);
    if (ll < 0) {
        return trj_unresolvable(kind, ll, path, strlen(path), NULL, 0);
    }
    if (!trj_decide_path(kind, lex, (size_t)ll)) {
        return -EACCES;
    }
    long r = -ELOOP;
    if (!no_openat2 && !trj_has_dotdot(path)) {
        r = do_openat2(dirfd, path, O_PATH | O_CLOEXEC, 0);
        if (r >= 0) {
            *fd = (int)r;
            return 0;
        }
    }
    if (r != -ELOOP && r != -ENOSYS) {
        return (int)r;
    }
    r = trj_sys4(SYS_openat, dirfd, (long)path, O_PATH | O_CLOEXEC, 0);
    if (r < 0) {
        return (int)r;
    }
    char real[TRJ_PATH_MAX];
    long n = trj_fd_path((int)r, real);
    if (n < 0) {
        trj_close((int)r);
        return trj_unresolvable(kind, unres(n), lex, (size_t)ll, NULL, 0);
    }
    if (!judge2(kind, lex, (size_t)ll, real, (size_t)n)) {
        trj_close((int)r);
        return -EACCES;
    }
    *fd = (int)r;
    return 0;
}

/* The directory a relative path starts from, pinned: an O_PATH descriptor of
   dirfd's directory (or of the cwd). Judging "cwd + name" and then acting on
   "name" would let another thread's chdir (or a dup2 onto dirfd) move the
   name between the check and the call; every use below goes through the pin. */
static long pin_base(int dirfd, const char *path, int *base)
{
    *base = dirfd; /* an absolute path names its own start: nothing to pin */
    if (path[0] == '/') {
        return 0;
    }
    long b = trj_sys4(SYS_openat, dirfd, (long)".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (b < 0) {
        return b;
    }
    *base = (int)b;
    return 1;
}

static int resolve_parent_from(int dirfd, const char *path, int *pfd, int *owned,
                               const char **name, char *real, size_t *real_len)
{
    size_t end;
    size_t start = last_component(path, &end);
    *name = path + start;
    if (start == 0 || (!no_openat2 && !trj_has_dotdot(path))) {
        /* fast: the parent may still hold a symlink; openat2 tells us */
        long fd = -ELOOP;
        if (start == 0) {
            *pfd = dirfd;
            *owned = 0;
        } else {
            char parent[TRJ_PATH_MAX];
            if (start >= sizeof parent) {
                return (int)TRJ_UNRES(ENAMETOOLONG);
            }
            memcpy(parent, path, start);
            parent[start] = '\0';
            fd = do_openat2(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
            if (fd >= 0) {
                *pfd = (int)fd;
                *owned = 1;
            } else if (fd != -ELOOP && fd != -ENOSYS) {
                return (int)fd;
            }
        }
        if (start == 0 || fd >= 0) {
            long n = trj_abs_path(dirfd, path, real);
            if (n < 0) {
                if (*owned) {
                    trj_close(*pfd);
                }
                return (int)n; /* -EBADF or TRJ_UNRES */
            }
            *real_len = (size_t)n;
            return 0;
        }
    }
    long n = open_parent_real(dirfd, path, real, pfd, owned, &start);
    if (n < 0) {
        return TRJ_IS_UNRES(n) || n == -EBADF || n == -ENOENT || n == -ENOTDIR ? (int)n : -EACCES;
    }
    n = normalize_onto(real, n == 1 ? 0 : (size_t)n, path + start);
    if (n < 0) {
        if (*owned) {
            trj_close(*pfd);
        }
        return (int)n; /* TRJ_UNRES */
    }
    *real_len = (size_t)n;
    return 0;
}

int trj_resolve_parent(int dirfd, const char *path, int *pfd, int *owned,
                       const char **name, char *real, size_t *real_len)
{
    if (path == NULL) {
        return -EFAULT;
    }
    if (path[0] == '\0') {
        return -ENOENT;
    }
    int base;
    long pinned = pin_base(dirfd, path, &base);
    if (pinned < 0) {
        return pinned == -ENOENT || pinned == -EBADF || pinned == -ENOTDIR ? (int)pinned : (int)TRJ_UNRES(-pinned);
    }
    *owned = 0;
    int r = resolve_parent_from(base, path, pfd, owned, name, real, real_len);
    if (pinned) {
        if (r == 0 && *pfd == base) {
            *owned = 1; /* the name is in the pinned directory itself: hand the pin over */
        } else {
            trj_close(base);
        }
    }
    return r;
}
