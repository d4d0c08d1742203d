/*
 * hooks_file.c — the exported file hooks.
 *
 * Shape of every hook: trj_init(); judge through path.c (which calls
 * trj_decide_and_record); on deny `errno = EACCES; return -1` (NULL for
 * FILE* and DIR*); on allow perform the operation on the object that was
 * judged — opens through openat2/the O_PATH reopen, operations without a
 * descriptor through the real parent directory (nofollow operations) or
 * through /proc/self/fd/N of an O_PATH descriptor (operations that follow).
 * The final operation calls the next definition in the chain (trj_real), so a
 * second preload library (fakeroot, libfaketime) still sees it.
 *
 * Kinds: reads file.read; O_WRONLY/O_RDWR/O_TRUNC/O_APPEND file.write;
 * O_CREAT of a file that does not exist, O_TMPFILE, creat of a new file
 * file.create; unlink/rmdir/remove file.delete; rename* file.rename
 * (path = old, path2 = new); link*, symlink* file.link (path = existing
 * object or symlink target, path2 = the new name); mkdir* dir.create;
 * chmod/chown/utimensat and setxattr/removexattr (all variants) file.meta;
 * getxattr/listxattr (all variants) and name_to_handle_at file.read;
 * open_by_handle_at is always denied (a handle has no path to judge);
 * truncate file.write. A path the shim cannot resolve (a dirfd deeper than
 * PATH_MAX, a deleted object, a descriptor that is no path) is recorded
 * (cause UNRESOLVABLE, trj_unresolvable) and denied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "trajeckt_preload.h"

static int fail(long r)
{
    errno = (int)-r;
    return -1;
}

static int ret(long r)
{
    return r < 0 ? fail(r) : (int)r;
}

#define NEEDS_MODE(f) (((f) & O_CREAT) || ((f) & __O_TMPFILE) == __O_TMPFILE)
#define GET_MODE(last, flags, mode)         \
    mode_t mode = 0;                        \
    if (NEEDS_MODE(flags)) {                \
        va_list ap;                         \
        va_start(ap, last);                 \
        mode = (mode_t)va_arg(ap, unsigned); \
        va_end(ap);                         \
    }

/* ---- open family ------------------------------------------------------- */

int open(const char *path, int flags, ...)
{
    GET_MODE(flags, flags, mode);
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
    GET_MODE(flags, flags, mode);
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, flags | O_LARGEFILE, mode));
}

/* glibc exports open and open64 under these names too (weak aliases that
   dlsym and old binaries reach): judged exactly like them. */
int __open(const char *path, int flags, ...);
int __open(const char *path, int flags, ...)
{
    GET_MODE(flags, flags, mode);
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, flags, mode));
}

int __open64(const char *path, int flags, ...);
int __open64(const char *path, int flags, ...)
{
    GET_MODE(flags, flags, mode);
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, flags | O_LARGEFILE, mode));
}

int openat(int dirfd, const char *path, int flags, ...)
{
    GET_MODE(flags, flags, mode);
    trj_init();
    return ret(trj_open_judged(dirfd, path, flags, mode));
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    GET_MODE(flags, flags, mode);
    trj_init();
    return ret(trj_open_judged(dirfd, path, flags | O_LARGEFILE, mode));
}

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, flags, 0));
}

int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags)
{
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, flags | O_LARGEFILE, 0));
}

int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags)
{
    trj_init();
    return ret(trj_open_judged(dirfd, path, flags, 0));
}

int __openat64_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags)
{
    trj_init();
    return ret(trj_open_judged(dirfd, path, flags | O_LARGEFILE, 0));
}

int creat(const char *path, mode_t mode)
{
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode));
}

int creat64(const char *path, mode_t mode)
{
    trj_init();
    return ret(trj_open_judged(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_LARGEFILE, mode));
}

/* ---- stdio and dirent -------------------------------------------------- */

/* fopen mode → open flags, like glibc; -1 if the mode is invalid. */
static int fopen_flags(const char *mode)
{
    int f;
    switch (mode[0]) {
    case 'r': f = O_RDONLY; break;
    case 'w': f = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': f = O_WRONLY | O_CREAT | O_APPEND; break;
    default: return -1;
    }
    for (const char *m = mode + 1; *m != '\0' && *m != ','; m++) {
        if (*m == '+') {
            f = (f & ~O_ACCMODE) | O_RDWR;
        } else if (*m == 'x') {
            f |= O_EXCL;
        } else if (*m == 'e') {
            f |= O_CLOEXEC;
        }
    }
    return f;
}

static FILE *fopen_judged(const char *path, const char *mode, int extra)
{
    trj_init();
    if (mode == NULL) {
        errno = EINVAL;
        return NULL;
    }
    int flags = fopen_flags(mode);
    if (flags < 0) {
        errno = EINVAL;
        return NULL;
    }
    int fd = trj_open_judged(AT_FDCWD, path, flags | extra, 0666);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    if (trj_real.fdopen == NULL) {
        trj_close(fd);
        errno = ENOSYS;
        return NULL;
    }
    FILE *f = trj_real.fdopen(fd, mode);
    if (f == NULL) {
        int e = errno;
        trj_close(fd);
        errno = e;
    }
    return f;
}

FILE *fopen(const char *path, const char *mode) { return fopen_judged(path, mode, 0); }
FILE *fopen64(const char *path, const char *mode) { return fopen_judged(path, mode, O_LARGEFILE); }

static FILE *freopen_judged(const char *path, const char *mode, FILE *stream,
                            FILE *(*real)(const char *, const char *, FILE *), int extra)
{
    trj_init();
    if (real == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    char self[TRJ_PATH_MAX];
    int flags = mode != NULL ? fopen_flags(mode) : -1;
    if (path == NULL && flags >= 0) {
        /* "Change the mode of the same file": glibc reopens /proc/self/fd/N
           through its internal open, which no hook sees — so a read-only
           stream could become a writable one. Judge it as an open of the
           file's real path (the /proc/self/fd/N name itself would be judged
           as a write under /proc). */
        int old = stream != NULL ? fileno(stream) : -1;
        self[0] = '\0'; /* a stream with no descriptor (fmemopen) has no path to record */
        long l = old >= 0 ? trj_fd_path(old, self) : -EBADF;
        if (l < 0) {
            errno = -trj_unresolvable(trj_open_kind(flags | extra), l, self, strlen(self), NULL, 0);
            return NULL;
        }
        path = self;
    }
    char m2[32];
    size_t n = 0;
    for (const char *m = mode; flags >= 0 && *m != '\0' && n + 1 < sizeof m2; m++) {
        if (*m != 'x') {
            m2[n++] = *m; /* the object exists now; "x" would refuse it */
        }
    }
    if (flags < 0 || n + 1 >= sizeof m2) {
        errno = EINVAL;
        return NULL;
    }
    m2[n] = '\0';
    int fd = trj_open_judged(AT_FDCWD, path, flags | extra | O_CLOEXEC, 0666);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    char proc[32];
    FILE *f = real(trj_proc_fd(fd, proc), m2, stream);
    int e = errno;
    trj_close(fd);
    errno = e;
    return f;
}

FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    trj_init();
    return freopen_judged(path, mode, stream, trj_real.freopen, 0);
}

FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
    trj_init();
    return freopen_judged(path, mode, stream, trj_real.freopen64, O_LARGEFILE);
}

DIR *opendir(const char *path)
{
    trj_init();
    int fd = trj_open_judged(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    if (trj_real.fdopendir == NULL) {
        trj_close(fd);
        errno = ENOSYS;
        return NULL;
    }
    DIR *d = trj_real.fdopendir(fd);
    if (d == NULL) {
        int e = errno;
        trj_close(fd);
        errno = e;
    }
    return d;
}

/* ---- operations on a name: through the real parent directory ----------- */

struct named {
    int pfd, owned;
    const char *name;
    char lex[TRJ_PATH_MAX];
    size_t lex_len;
    char real[TRJ_PATH_MAX];
    size_t real_len;
};

static void named_done(struct named *n)
{
    if (n->owned) {
        trj_close(n->pfd);
        n->owned = 0;
    }
}

/* Resolve (dirfd,path) to its real parent without judging. 0, -errno, or
   TRJ_UNRES (the caller records it with the kind: trj_unresolvable). n->lex
   is then the path as far as it is known (the raw argument, or the lexical
   path when only the real one failed). */
static int named_resolve(struct named *n, int dirfd, const char *path)
{
    n->owned = 0;
    n->lex[0] = '\0';
    n->lex_len = 0;
    if (path == NULL) {
        return -EFAULT;
    }
    if (path[0] == '\0') {
        return -ENOENT;
    }
    long l = trj_abs_path(dirfd, path, n->lex);
    if (l < 0) {
        size_t pl = strnlen(path, sizeof n->lex - 1);
        memcpy(n->lex, path, pl); /* for the record: the raw argument (cut to fit, never judged) */
        n->lex[pl] = '\0';
        n->lex_len = pl;
        return (int)l;
    }
    n->lex_len = (size_t)l;
    return trj_resolve_parent(dirfd, path, &n->pfd, &n->owned, &n->name, n->real, &n->real_len);
}

/* strlen of a raw argument that may be NULL (failure paths only). */
static size_t len0(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static int same(const char *a, size_t al, const char *b, size_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

/* One path: judge the name and, when different, the real object. */
static int named_one(struct named *n, uint32_t kind, int dirfd, const char *path)
{
    int r = named_resolve(n, dirfd, path);
    if (r < 0) {
        return trj_unresolvable(kind, r, n->lex, n->lex_len, NULL, 0);
    }
    if (!trj_decide_path(kind, n->lex, n->lex_len) ||
        (!same(n->lex, n->lex_len, n->real, n->real_len) && !trj_decide_path(kind, n->real, n->real_len))) {
        named_done(n);
        return -EACCES;
    }
    return 0;
}

/* Two paths judged as one action, names first, then the real objects. */
static int judge_pair(uint32_t kind, const char *l1, size_t ll1, const char *r1, size_t rl1,
                      const char *l2, size_t ll2, const char *r2, size_t rl2)
{
    if (!trj_decide_path2(kind, l1, ll1, l2, ll2)) {
        return 0;
    }
    if (same(l1, ll1, r1, rl1) && same(l2, ll2, r2, rl2)) {
        return 1;
    }
    return trj_decide_path2(kind, r1, rl1, r2, rl2);
}

#define REAL_OR_SYS(fn, sysexpr, ...) (trj_real.fn != NULL ? trj_real.fn(__VA_ARGS__) : ret(sysexpr))

static int do_unlinkat(int dirfd, const char *path, int flags)
{
    struct named n;
    int r = named_one(&n, TRJ_KIND_FILE_DELETE, dirfd, path);
    if (r < 0) {
        return fail(r);
    }
    r = REAL_OR_SYS(unlinkat, trj_sys3(SYS_unlinkat, n.pfd, (long)n.name, flags), n.pfd, n.name, flags);
    int e = errno;
    named_done(&n);
    errno = e;
    return r;
}

int unlink(const char *path) { trj_init(); return do_unlinkat(AT_FDCWD, path, 0); }
int unlinkat(int dirfd, const char *path, int flags) { trj_init(); return do_unlinkat(dirfd, path, flags); }
int rmdir(const char *path) { trj_init(); return do_unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

int remove(const char *path)
{
    trj_init();
    int r = do_unlinkat(AT_FDCWD, path, 0);
    if (r < 0 && errno == EISDIR) {
        r = do_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
    }
    return r;
}

static int do_mkdirat(int dirfd, const char *path, mode_t mode)
{
    struct named n;
    int r = named_one(&n, TRJ_KIND_DIR_CREATE, dirfd, path);
    if (r < 0) {
        return fail(r);
    }
    r = REAL_OR_SYS(mkdirat, trj_sys3(SYS_mkdirat, n.pfd, (long)n.name, mode), n.pfd, n.name, mode);
    int e = errno;
    named_done(&n);
    errno = e;
    return r;
}

int mkdir(const char *path, mode_t mode) { trj_init(); return do_mkdirat(AT_FDCWD, path, mode); }
int mkdirat(int dirfd, const char *path, mode_t mode) { trj_init(); return do_mkdirat(dirfd, path, mode); }

static int do_renameat2(int od, const char *op, int nd, const char *np, unsigned flags)
{
    struct named a, b;
    int r = named_resolve(&a, od, op);
    if (r < 0) {
        return fail(trj_unresolvable(TRJ_KIND_FILE_RENAME, r, a.lex, a.lex_len, np, len0(np)));
    }
    r = named_resolve(&b, nd, np);
    if (r < 0) {
        named_done(&a);
        return fail(trj_unresolvable(TRJ_KIND_FILE_RENAME, r, a.lex, a.lex_len, b.lex, b.lex_len));
    }
    if (!judge_pair(TRJ_KIND_FILE_RENAME, a.lex, a.lex_len, a.real, a.real_len,
                    b.lex, b.lex_len, b.real, b.real_len) ||
        ((flags & RENAME_EXCHANGE) &&
         !judge_pair(TRJ_KIND_FILE_RENAME, b.lex, b.lex_len, b.real, b.real_len,
                     a.lex, a.lex_len, a.real, a.real_len))) {
        named_done(&a);
        named_done(&b);
        return fail(-EACCES);
    }
    if (flags == 0 && trj_real.renameat != NULL) {
        r = trj_real.renameat(a.pfd, a.name, b.pfd, b.name);
    } else {
        r = REAL_OR_SYS(renameat2, trj_sys5(SYS_renameat2, a.pfd, (long)a.name, b.pfd, (long)b.name, flags),
                        a.pfd, a.name, b.pfd, b.name, flags);
    }
    int e = errno;
    named_done(&a);
    named_done(&b);
    errno = e;
    return r;
}

int rename(const char *o, const char *n) { trj_init(); return do_renameat2(AT_FDCWD, o, AT_FDCWD, n, 0); }
int renameat(int od, const char *o, int nd, const char *n) { trj_init(); return do_renameat2(od, o, nd, n, 0); }
int renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
    trj_init();
    return do_renameat2(od, o, nd, n, flags);
}

static int do_linkat(int od, const char *op, int nd, const char *np, int flags)
{
    struct named b;
    char lex1[TRJ_PATH_MAX], real1[TRJ_PATH_MAX];
    long ll1, rl1;
    int ofd = -1, oowned = 0;
    const char *oname = op;
    int r;
    if (op == NULL) {
        return fail(-EFAULT);
    }
    if ((flags & AT_EMPTY_PATH) && op[0] == '\0') {
        ll1 = rl1 = trj_fd_path(od, real1);
        if (rl1 < 0) {
            return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, rl1, real1, strlen(real1), np, len0(np)));
        }
        memcpy(lex1, real1, (size_t)rl1 + 1);
        ofd = od;
    } else if (flags & AT_SYMLINK_FOLLOW) {
        if (op[0] == '\0') {
            return fail(-ENOENT);
        }
        ll1 = trj_abs_path(od, op, lex1);
        if (ll1 < 0) {
            return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, ll1, op, strlen(op), np, len0(np)));
        }
        long fd = trj_sys4(SYS_openat, od, (long)op, O_PATH | O_CLOEXEC, 0);
        if (fd < 0) {
            return fail(fd);
        }
        rl1 = trj_fd_path((int)fd, real1);
        if (rl1 < 0) {
            trj_close((int)fd);
            return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, TRJ_IS_UNRES(rl1) ? rl1 : TRJ_UNRES(-rl1),
                                         lex1, (size_t)ll1, np, len0(np)));
        }
        ofd = (int)fd;
        oowned = 1;
    } else {
        struct named a;
        r = named_resolve(&a, od, op);
        if (r < 0) {
            return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, r, a.lex, a.lex_len, np, len0(np)));
        }
        memcpy(lex1, a.lex, a.lex_len + 1);
        memcpy(real1, a.real, a.real_len + 1);
        ll1 = (long)a.lex_len;
        rl1 = (long)a.real_len;
        ofd = a.pfd;
        oowned = a.owned;
        oname = a.name;
    }
    r = named_resolve(&b, nd, np);
    if (r < 0) {
        if (oowned) {
            trj_close(ofd);
        }
        return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, r, lex1, (size_t)ll1, b.lex, b.lex_len));
    }
    if (!judge_pair(TRJ_KIND_FILE_LINK, lex1, (size_t)ll1, real1, (size_t)rl1,
                    b.lex, b.lex_len, b.real, b.real_len)) {
        r = fail(-EACCES);
    } else if ((flags & AT_SYMLINK_FOLLOW) && !((flags & AT_EMPTY_PATH) && op[0] == '\0')) {
        char proc[32];
        trj_proc_fd(ofd, proc);
        r = REAL_OR_SYS(linkat, trj_sys5(SYS_linkat, AT_FDCWD, (long)proc, b.pfd, (long)b.name, AT_SYMLINK_FOLLOW),
                        AT_FDCWD, proc, b.pfd, b.name, AT_SYMLINK_FOLLOW);
    } else {
        r = REAL_OR_SYS(linkat, trj_sys5(SYS_linkat, ofd, (long)oname, b.pfd, (long)b.name, flags),
                        ofd, oname, b.pfd, b.name, flags);
    }
    int e = errno;
    if (oowned) {
        trj_close(ofd);
    }
    named_done(&b);
    errno = e;
    return r;
}

int link(const char *o, const char *n) { trj_init(); return do_linkat(AT_FDCWD, o, AT_FDCWD, n, 0); }
int linkat(int od, const char *o, int nd, const char *n, int flags)
{
    trj_init();
    return do_linkat(od, o, nd, n, flags);
}

static int do_symlinkat(const char *target, int nd, const char *np)
{
    if (target == NULL) {
        return fail(-EFAULT);
    }
    struct named b;
    int r = named_resolve(&b, nd, np);
    if (r < 0) {
        return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, r, target, strlen(target), b.lex, b.lex_len));
    }
    /* path = the target as it will resolve from the link's real directory */
    char t[TRJ_PATH_MAX];
    long tl;
    if (target[0] == '/') {
        tl = trj_abs_path(AT_FDCWD, target, t);
    } else {
        size_t d = b.real_len;
        while (d > 1 && b.real[d - 1] != '/') {
            d--;
        }
        memcpy(t, b.real, d);
        t[d] = '\0';
        tl = trj_abs_path(AT_FDCWD, t, t); /* re-normalize the directory */
        if (tl >= 0 && (size_t)tl + 1 + strlen(target) < TRJ_PATH_MAX) {
            t[tl] = '/';
            memcpy(t + tl + 1, target, strlen(target) + 1);
            char u[TRJ_PATH_MAX];
            tl = trj_abs_path(AT_FDCWD, t, u);
            if (tl >= 0) {
                memcpy(t, u, (size_t)tl + 1);
            }
        } else {
            tl = tl < 0 ? tl : TRJ_UNRES(ENAMETOOLONG);
        }
    }
    if (target[0] == '\0') {
        named_done(&b);
        return fail(-ENOENT);
    }
    if (tl < 0) {
        named_done(&b);
        return fail(trj_unresolvable(TRJ_KIND_FILE_LINK, TRJ_IS_UNRES(tl) ? tl : TRJ_UNRES(-tl),
                                     target, strlen(target), b.lex, b.lex_len));
    }
    if (!judge_pair(TRJ_KIND_FILE_LINK, t, (size_t)tl, t, (size_t)tl, b.lex, b.lex_len, b.real, b.real_len)) {
        named_done(&b);
        return fail(-EACCES);
    }
    r = REAL_OR_SYS(symlinkat, trj_sys3(SYS_symlinkat, (long)target, b.pfd, (long)b.name), target, b.pfd, b.name);
    int e = errno;
    named_done(&b);
    errno = e;
    return r;
}

int symlink(const char *target, const char *lp) { trj_init(); return do_symlinkat(target, AT_FDCWD, lp); }
int symlinkat(const char *target, int nd, const char *lp) { trj_init(); return do_symlinkat(target, nd, lp); }

/* ---- operations that follow the last symlink: through /proc/self/fd/N -- */

/* Judge kind on (dirfd, path) as the *at call with flags would touch it.
   Sets *fd to an O_PATH descriptor of the object (follow), or *n to the
   parent (AT_SYMLINK_NOFOLLOW). Returns 1 = follow, 2 = nofollow,
   3 = AT_EMPTY_PATH on dirfd itself, or -errno. */
static int meta_target(uint32_t kind, int dirfd, const char *path, int flags, int *fd, struct named *n)
{
    if (path != NULL && path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
        char real[TRJ_PATH_MAX];
        long l = trj_fd_path(dirfd, real);
        if (l < 0) {
            return trj_unresolvable(kind, l, real, strlen(real), NULL, 0);
        }
        return trj_decide_path(kind, real, (size_t)l) ? 3 : -EACCES;
    }
    if (flags & AT_SYMLINK_NOFOLLOW) {
        int r = named_one(n, kind, dirfd, path);
        return r < 0 ? r : 2;
    }
    int r = trj_resolve_object(kind, dirfd, path, fd);
    return r < 0 ? r : 1;
}

int chmod(const char *path, mode_t mode)
{
    trj_init();
    int fd;
    int r = trj_resolve_object(TRJ_KIND_FILE_META, AT_FDCWD, path, &fd);
    if (r < 0) {
        return fail(r);
    }
    char proc[32];
    r = REAL_OR_SYS(chmod, trj_sys2(SYS_chmod, (long)trj_proc_fd(fd, proc), mode), trj_proc_fd(fd, proc), mode);
    int e = errno;
    trj_close(fd);
    errno = e;
    return r;
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
    trj_init();
    int fd = -1;
    struct named n;
    n.owned = 0;
    int how = meta_target(TRJ_KIND_FILE_META, dirfd, path, flags, &fd, &n);
    if (how < 0) {
        return fail(how);
    }
    char proc[32];
    int r;
    if (how == 1) {
        r = REAL_OR_SYS(fchmodat, trj_sys3(SYS_fchmodat, AT_FDCWD, (long)trj_proc_fd(fd, proc), mode),
                        AT_FDCWD, trj_proc_fd(fd, proc), mode, 0);
    } else if (how == 2) {
        r = REAL_OR_SYS(fchmodat, -EOPNOTSUPP, n.pfd, n.name, mode, flags);
    } else {
        r = REAL_OR_SYS(fchmodat, -EOPNOTSUPP, dirfd, path, mode, flags);
    }
    int e = errno;
    trj_close(fd);
    named_done(&n);
    errno = e;
    return r;
}

static int do_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
    int fd = -1;
    struct named n;
    n.owned = 0;
    int how = meta_target(TRJ_KIND_FILE_META, dirfd, path, flags, &fd, &n);
    if (how < 0) {
        return fail(how);
    }
    int r;
    if (how == 1) {
        r = REAL_OR_SYS(fchownat, trj_sys5(SYS_fchownat, fd, (long)"", uid, gid, AT_EMPTY_PATH),
                        fd, "", uid, gid, AT_EMPTY_PATH);
    } else if (how == 2) {
        r = REAL_OR_SYS(fchownat, trj_sys5(SYS_fchownat, n.pfd, (long)n.name, uid, gid, flags),
                        n.pfd, n.name, uid, gid, flags);
    } else {
        r = REAL_OR_SYS(fchownat, trj_sys5(SYS_fchownat, dirfd, (long)path, uid, gid, flags),
                        dirfd, path, uid, gid, flags);
    }
    int e = errno;
    trj_close(fd);
    named_done(&n);
    errno = e;
    return r;
}

int chown(const char *path, uid_t uid, gid_t gid) { trj_init(); return do_fchownat(AT_FDCWD, path, uid, gid, 0); }
int lchown(const char *path, uid_t uid, gid_t gid)
{
    trj_init();
    return do_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}
int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
    trj_init();
    return do_fchownat(dirfd, path, uid, gid, flags);
}

int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
    trj_init();
    __asm__("" : "+r"(path)); /* glibc declares path nonnull; the syscall accepts NULL */
    if (path == NULL) {
        /* futimens(dirfd): the descriptor was judged when it was opened */
        return REAL_OR_SYS(utimensat, trj_sys4(SYS_utimensat, dirfd, 0, (long)times, flags), dirfd, path, times, flags);
    }
    int fd = -1;
    struct named n;
    n.owned = 0;
    int how = meta_target(TRJ_KIND_FILE_META, dirfd, path, flags, &fd, &n);
    if (how < 0) {
        return fail(how);
    }
    char proc[32];
    int r;
    if (how == 1) {
        trj_proc_fd(fd, proc);
        r = REAL_OR_SYS(utimensat, trj_sys4(SYS_utimensat, AT_FDCWD, (long)proc, (long)times, 0),
                        AT_FDCWD, proc, times, 0);
    } else if (how == 2) {
        r = REAL_OR_SYS(utimensat, trj_sys4(SYS_utimensat, n.pfd, (long)n.name, (long)times, flags),
                        n.pfd, n.name, times, flags);
    } else {
        r = REAL_OR_SYS(utimensat, trj_sys4(SYS_utimensat, dirfd, (long)path, (long)times, flags),
                        dirfd, path, times, flags);
    }
    int e = errno;
    trj_close(fd);
    named_done(&n);
    errno = e;
    return r;
}

/* ---- extended attributes: changing them is file.meta, reading file.read -- */

/* Where an *xattr call acts once (dirfd-less) path has been judged. */
struct xtarget {
    int fd;            /* follow: O_PATH descriptor of the object, or -1 */
    struct named n;    /* l* variants: the real parent and the last component */
    const char *obj;   /* what the real call is given */
    char proc[32];
};

/* Judge kind on path as the call would touch it (nofollow: the link itself,
   like lchown), and point x->obj at that very object: /proc/self/fd/N of an
   O_PATH descriptor (follow), /proc/self/fd/<parent>/<name> (nofollow; no
   *xattrat call exists before Linux 6.13). 0 or -errno. */
static int xattr_target(uint32_t kind, const char *path, int nofollow, struct xtarget *x)
{
    x->fd = -1;
    x->n.owned = 0;
    int how = meta_target(kind, AT_FDCWD, path, nofollow ? AT_SYMLINK_NOFOLLOW : 0, &x->fd, &x->n);
    if (how < 0) {
        return how;
    }
    if (how == 1) {
        x->obj = trj_proc_fd(x->fd, x->proc);
    } else if (x->n.pfd == AT_FDCWD) {
        x->obj = x->n.name; /* a bare name: relative to the cwd it was judged against */
    } else {
        /* n.real (judged already) becomes "/proc/self/fd/<parent>/<name>" */
        size_t l = strlen(trj_proc_fd(x->n.pfd, x->proc));
        size_t nl = strlen(x->n.name);
        if (l + 1 + nl >= sizeof x->n.real) {
            named_done(&x->n);
            return -ENAMETOOLONG;
        }
        memcpy(x->n.real, x->proc, l);
        x->n.real[l] = '/';
        memcpy(x->n.real + l + 1, x->n.name, nl + 1);
        x->obj = x->n.real;
    }
    return 0;
}

static void xattr_done(struct xtarget *x)
{
    int e = errno;
    trj_close(x->fd);
    named_done(&x->n);
    errno = e;
}

/* f* variants: judge kind on the object behind fd (like AT_EMPTY_PATH). */
static int xattr_fd(uint32_t kind, int fd)
{
    int fdo = -1;
    struct named n;
    n.owned = 0;
    int how = meta_target(kind, fd, "", AT_EMPTY_PATH, &fdo, &n);
    return how < 0 ? how : 0;
}

static ssize_t sret(long r)
{
    return r < 0 ? fail(r) : (ssize_t)r;
}

/* Body of a path variant: judge, call the next definition (or the raw
   syscall) on x.obj, clean up. conv turns a raw syscall result into the
   libc convention (ret for int, sret for ssize_t). */
#define XATTR_PATH(type, kind, nofollow, conv, fn, sysexpr, ...)  \
    trj_init();                                                   \
    struct xtarget x;                                             \
    int t = xattr_target((kind), path, (nofollow), &x);           \
    if (t < 0) {                                                  \
        return fail(t);                                           \
    }                                                             \
    const char *obj = x.obj;                                      \
    type r = trj_real.fn != NULL ? trj_real.fn(__VA_ARGS__) : conv(sysexpr); \
    xattr_done(&x);                                               \
    return r;

/* Body of an fd variant: judge the object behind fd, then the call itself. */
#define XATTR_FD(kind, conv, fn, sysexpr, ...)                    \
    trj_init();                                                   \
    int t = xattr_fd((kind), fd);                                 \
    if (t < 0) {                                                  \
        return fail(t);                                           \
    }                                                             \
    return trj_real.fn != NULL ? trj_real.fn(__VA_ARGS__) : conv(sysexpr);

int setxattr(const char *path, const char *name, const void *value, size_t size, int flags)
{
    XATTR_PATH(int, TRJ_KIND_FILE_META, 0, ret, setxattr,
               trj_sys5(SYS_setxattr, (long)obj, (long)name, (long)value, (long)size, flags),
               obj, name, value, size, flags)
}

int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)
{
    XATTR_PATH(int, TRJ_KIND_FILE_META, 1, ret, lsetxattr,
               trj_sys5(SYS_lsetxattr, (long)obj, (long)name, (long)value, (long)size, flags),
               obj, name, value, size, flags)
}

int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
    XATTR_FD(TRJ_KIND_FILE_META, ret, fsetxattr,
             trj_sys5(SYS_fsetxattr, fd, (long)name, (long)value, (long)size, flags),
             fd, name, value, size, flags)
}

int removexattr(const char *path, const char *name)
{
    XATTR_PATH(int, TRJ_KIND_FILE_META, 0, ret, removexattr,
               trj_sys2(SYS_removexattr, (long)obj, (long)name), obj, name)
}

int lremovexattr(const char *path, const char *name)
{
    XATTR_PATH(int, TRJ_KIND_FILE_META, 1, ret, lremovexattr,
               trj_sys2(SYS_lremovexattr, (long)obj, (long)name), obj, name)
}

int fremovexattr(int fd, const char *name)
{
    XATTR_FD(TRJ_KIND_FILE_META, ret, fremovexattr, trj_sys2(SYS_fremovexattr, fd, (long)name), fd, name)
}

ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
    XATTR_PATH(ssize_t, TRJ_KIND_FILE_READ, 0, sret, getxattr,
               trj_sys4(SYS_getxattr, (long)obj, (long)name, (long)value, (long)size), obj, name, value, size)
}

ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
    XATTR_PATH(ssize_t, TRJ_KIND_FILE_READ, 1, sret, lgetxattr,
               trj_sys4(SYS_lgetxattr, (long)obj, (long)name, (long)value, (long)size), obj, name, value, size)
}

ssize_t fgetxattr(int fd, const char *name, void *value, size_t size)
{
    XATTR_FD(TRJ_KIND_FILE_READ, sret, fgetxattr,
             trj_sys4(SYS_fgetxattr, fd, (long)name, (long)value, (long)size), fd, name, value, size)
}

ssize_t listxattr(const char *path, char *list, size_t size)
{
    XATTR_PATH(ssize_t, TRJ_KIND_FILE_READ, 0, sret, listxattr,
               trj_sys3(SYS_listxattr, (long)obj, (long)list, (long)size), obj, list, size)
}

ssize_t llistxattr(const char *path, char *list, size_t size)
{
    XATTR_PATH(ssize_t, TRJ_KIND_FILE_READ, 1, sret, llistxattr,
               trj_sys3(SYS_llistxattr, (long)obj, (long)list, (long)size), obj, list, size)
}

ssize_t flistxattr(int fd, char *list, size_t size)
{
    XATTR_FD(TRJ_KIND_FILE_READ, sret, flistxattr, trj_sys3(SYS_flistxattr, fd, (long)list, (long)size), fd, list, size)
}

/* ---- file handles ------------------------------------------------------ */

/* A handle is judged as a read of the object it names (nofollow unless
   AT_SYMLINK_FOLLOW, like the call), and taken from that very object. */
int name_to_handle_at(int dirfd, const char *path, struct file_handle *h, int *mount_id, int flags)
{
    trj_init();
    int fd = -1;
    struct named n;
    n.owned = 0;
    int mflags = (flags & AT_EMPTY_PATH) | ((flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW);
    int how = meta_target(TRJ_KIND_FILE_READ, dirfd, path, mflags, &fd, &n);
    if (how < 0) {
        return fail(how);
    }
    int rest = flags & ~(AT_EMPTY_PATH | AT_SYMLINK_FOLLOW); /* AT_HANDLE_FID ... */
    int r;
    if (how == 1) {
        r = REAL_OR_SYS(name_to_handle_at, trj_sys5(SYS_name_to_handle_at, fd, (long)"", (long)h, (long)mount_id,
                                                    rest | AT_EMPTY_PATH),
                        fd, "", h, mount_id, rest | AT_EMPTY_PATH);
    } else if (how == 2) {
        r = REAL_OR_SYS(name_to_handle_at, trj_sys5(SYS_name_to_handle_at, n.pfd, (long)n.name, (long)h,
                                                    (long)mount_id, rest),
                        n.pfd, n.name, h, mount_id, rest);
    } else {
        r = REAL_OR_SYS(name_to_handle_at, trj_sys5(SYS_name_to_handle_at, dirfd, (long)path, (long)h,
                                                    (long)mount_id, flags),
                        dirfd, path, h, mount_id, flags);
    }
    int e = errno;
    trj_close(fd);
    named_done(&n);
    errno = e;
    return r;
}

/* A handle names an inode, not a path: nothing can be judged before the
   call, and afterwards /proc/self/fd/N of a disconnected dentry does not say
   where the file lives. Always denied, recorded as unresolvable. */
int open_by_handle_at(int mount_fd, struct file_handle *h, int flags)
{
    trj_init();
    (void)mount_fd;
    (void)h;
    return fail(trj_unresolvable(trj_open_kind(flags), TRJ_UNRES(EOPNOTSUPP), NULL, 0, NULL, 0));
}

static int do_truncate(const char *path, off_t len, int (*real)(const char *, off_t))
{
    int fd;
    int r = trj_resolve_object(TRJ_KIND_FILE_WRITE, AT_FDCWD, path, &fd);
    if (r < 0) {
        return fail(r);
    }
    char proc[32];
    trj_proc_fd(fd, proc);
    r = real != NULL ? real(proc, len) : ret(trj_sys2(SYS_truncate, (long)proc, (long)len));
    int e = errno;
    trj_close(fd);
    errno = e;
    return r;
}

int truncate(const char *path, off_t len) { trj_init(); return do_truncate(path, len, trj_real.truncate); }
int truncate64(const char *path, off_t len) { trj_init(); return do_truncate(path, len, trj_real.truncate64); }
