/*
 * hooks_dir.c — directory walkers that glibc implements with its INTERNAL
 * opendir, which the opendir hook never sees: scandir*, glob*, nftw, ftw.
 * Node's fs.readdir goes through scandir, so without these a denied
 * directory could be listed (found by test/preload/programs.test.ts).
 *
 *   scandir(at)(64)  judge file.read on the directory (trj_open_judged, so the
 *                    object judged is the object listed), then let glibc scan
 *                    that descriptor: scandirat(fd, ".")
 *   glob(64)         GLOB_ALTDIRFUNC: glob opens every directory it reads with
 *                    our gl_opendir, i.e. the judged opendir hook. A caller's
 *                    own GLOB_ALTDIRFUNC functions are kept (they reach libc
 *                    through hooked entry points themselves).
 *   nftw, ftw        the top directory is judged first; every directory met
 *                    during the walk is judged in a wrapped callback before
 *                    glibc reads it (FTW_ACTIONRETVAL lets us skip it): a
 *                    denied directory is reported to the caller as FTW_DNR,
 *                    exactly what an unreadable directory looks like. With
 *                    FTW_DEPTH glibc reads a directory before calling back, so
 *                    the whole tree is judged in a first walk and the call is
 *                    refused (EACCES) if any directory in it is denied.
 * None of these are async-signal-safe; they may allocate (glibc does).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>

#include "trajeckt_preload.h"

/* ---- scandir ------------------------------------------------------------ */

#define SCANDIR_BODY(real, dirfd, path, list, filter, compar)                  \
    trj_init();                                                                 \
    if ((real) == NULL) {                                                       \
        errno = ENOSYS;                                                         \
        return -1;                                                              \
    }                                                                           \
    int fd = trj_open_judged((dirfd), (path), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0); \
    if (fd < 0) {                                                               \
        errno = -fd;                                                            \
        return -1;                                                              \
    }                                                                           \
    int r = (real)(fd, ".", (list), (filter), (compar));                        \
    int e = errno;                                                              \
    trj_close(fd);                                                              \
    errno = e;                                                                  \
    return r;

int scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
            int (*compar)(const struct dirent **, const struct dirent **))
{
    SCANDIR_BODY(trj_real.scandirat, AT_FDCWD, path, list, filter, compar)
}

int scandirat(int dirfd, const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
              int (*compar)(const struct dirent **, const struct dirent **))
{
    SCANDIR_BODY(trj_real.scandirat, dirfd, path, list, filter, compar)
}

int scandir64(const char *path, struct dirent64 ***list, int (*filter)(const struct dirent64 *),
              int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
    SCANDIR_BODY(trj_real.scandirat64, AT_FDCWD, path, list, filter, compar)
}

int scandirat64(int dirfd, const char *path, struct dirent64 ***list, int (*filter)(const struct dirent64 *),
                int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
    SCANDIR_BODY(trj_real.scandirat64, dirfd, path, list, filter, compar)
}

/* ---- glob --------------------------------------------------------------- */

static void *glob_opendir(const char *path)
{
    return opendir(path); /* the hook: judged */
}

static void *glob_readdir(void *d)
{
    return readdir((DIR *)d);
}

static void *glob_readdir64(void *d)
{
    return readdir64((DIR *)d);
}

static void glob_closedir(void *d)
{
    closedir((DIR *)d);
}

int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g)
{
    trj_init();
    if (trj_real.glob == NULL) {
        return GLOB_ABORTED;
    }
    if (g != NULL && !(flags & GLOB_ALTDIRFUNC)) {
        g->gl_opendir = glob_opendir;
        g->gl_readdir = (struct dirent * (*)(void *)) glob_readdir;
        g->gl_closedir = glob_closedir;
        g->gl_stat = stat;
        g->gl_lstat = lstat;
        flags |= GLOB_ALTDIRFUNC;
    }
    return trj_real.glob(pattern, flags, errfunc, g);
}

int glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), glob64_t *g)
{
    trj_init();
    if (trj_real.glob64 == NULL) {
        return GLOB_ABORTED;
    }
    if (g != NULL && !(flags & GLOB_ALTDIRFUNC)) {
        g->gl_opendir = glob_opendir;
        g->gl_readdir = (struct dirent64 * (*)(void *)) glob_readdir64;
        g->gl_closedir = glob_closedir;
        g->gl_stat = stat64;
        g->gl_lstat = lstat64;
        flags |= GLOB_ALTDIRFUNC;
    }
    return trj_real.glob64(pattern, flags, errfunc, g);
}

/* ---- nftw, ftw ---------------------------------------------------------- */

/* 1 if listing the directory at path is allowed (judged and recorded). */
static int dir_allowed(const char *path)
{
    int fd = trj_open_judged(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    trj_close(fd);
    return 1;
}

/* The caller's callback and flags, per thread (nftw is not reentrant across
   threads; a nested nftw from a callback saves and restores these). */
static __thread int (*user_nftw)(const char *, const struct stat *, int, struct FTW *);
static __thread int (*user_ftw)(const char *, const struct stat *, int);
static __thread int user_flags;

static int call_user(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    int r = user_nftw != NULL ? user_nftw(path, st, type, ftw) : user_ftw(path, st, type);
    if (user_flags & FTW_ACTIONRETVAL) {
        return r; /* the caller already answers with FTW_CONTINUE, FTW_STOP, ... */
    }
    return r == 0 ? FTW_CONTINUE : FTW_STOP;
}

static __thread int walk_result; /* the caller's nonzero return, to hand back */

static int wrapped(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_D && !dir_allowed(path)) {
        int r = call_user(path, st, FTW_DNR, ftw);
        if (r == FTW_STOP) {
            return FTW_STOP;
        }
        return FTW_SKIP_SUBTREE;
    }
    int r = user_nftw != NULL ? user_nftw(path, st, type, ftw) : user_ftw(path, st, type);
    if (user_flags & FTW_ACTIONRETVAL) {
        return r;
    }
    if (r != 0) {
        walk_result = r;
        return FTW_STOP;
    }
    return FTW_CONTINUE;
}

static __thread int tree_denied;

static int judge_only(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_D && !dir_allowed(path)) {
        tree_denied = 1;
        return FTW_STOP;
    }
    return FTW_CONTINUE;
}

static int walk(const char *path, int (*fn)(const char *, const struct stat *, int, struct FTW *),
                int (*fn0)(const char *, const struct stat *, int), int nopenfd, int flags)
{
    trj_init();
    if (trj_real.nftw == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (path == NULL || !dir_allowed(path)) {
        /* a plain file at path is judged by glibc's stat only: let the real
           call report it, after judging it as a read like an open would */
        int fd = path == NULL ? -EFAULT : trj_open_judged(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
        if (fd < 0) {
            errno = -fd;
            return -1;
        }
        struct stat st;
        int isdir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
        trj_close(fd);
        if (isdir) {
            errno = EACCES;
            return -1;
        }
    }
    if (flags & FTW_DEPTH) {
        int saved = tree_denied;
        tree_denied = 0;
        int r = trj_real.nftw(path, judge_only, nopenfd, (flags & ~FTW_DEPTH) | FTW_ACTIONRETVAL);
        int denied = tree_denied;
        tree_denied = saved;
        if (r < 0) {
            return r;
        }
        if (denied) {
            errno = EACCES;
            return -1;
        }
        if (fn != NULL) {
            return trj_real.nftw(path, fn, nopenfd, flags);
        }
        return trj_real.ftw(path, fn0, nopenfd);
    }
    int (*sn)(const char *, const struct stat *, int, struct FTW *) = user_nftw;
    int (*sf)(const char *, const struct stat *, int) = user_ftw;
    int sfl = user_flags, sres = walk_result;
    user_nftw = fn;
    user_ftw = fn0;
    user_flags = flags;
    walk_result = 0;
    int r = trj_real.nftw(path, wrapped, nopenfd, flags | FTW_ACTIONRETVAL);
    if (!(flags & FTW_ACTIONRETVAL) && r == FTW_STOP) {
        r = walk_result; /* what the caller's callback returned */
    }
    user_nftw = sn;
    user_ftw = sf;
    user_flags = sfl;
    walk_result = sres;
    return r;
}

int nftw(const char *path, int (*fn)(const char *, const struct stat *, int, struct FTW *), int nopenfd, int flags)
{
    return walk(path, fn, NULL, nopenfd, flags);
}

int ftw(const char *path, int (*fn)(const char *, const struct stat *, int), int nopenfd)
{
    /* ftw = nftw without FTW_PHYS etc.; its callback has no struct FTW */
    return walk(path, NULL, fn, nopenfd, 0);
}
