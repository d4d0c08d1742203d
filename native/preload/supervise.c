/*
 * supervise.c — trj_supervise(): the kernel layer's policy decisions, for
 * what the library cannot see (issue 5, docs/threat-model.md).
 *
 * trajeckt-exec forks the agent; the child installs, after the backstop, a
 * second seccomp filter (native/launcher/backstop_notify.c) that sends
 * execve, execveat, connect, sendmsg, sendmmsg and sendto-with-an-address
 * here as user notifications; the parent re-execs itself with this library
 * preloaded (so it holds the same verified policy and the same audit ring)
 * and calls trj_supervise(). For every notification, from any process of the
 * agent's tree:
 *
 *   exec, any caller   the new program's envp must carry this library in
 *                      every LD_PRELOAD entry and no LD_AUDIT (the exec hooks
 *                      always arrange both): a raw execve that strips it
 *                      would start a dynamic program nothing judges. Else
 *                      EACCES, recorded (cause unresolvable, error EPERM). A
 *                      program named through a per-process magic link
 *                      (/proc/self/cwd/..., /dev/fd/N) resolves here in this
 *                      process, not the caller: refused (error ELOOP).
 *   caller covered     its executable has an ELF interpreter, so the loader
 *                      ran the library in it and, if the call came through
 *                      libc, the hook already judged and recorded it (with
 *                      the host name the process resolved, which only the
 *                      hook knows). A second opinion without a record
 *                      (trj_decide_dry) catches raw system calls: every
 *                      destination of a connect/send (unless the policy
 *                      names hosts; unix paths are the library's), refused
 *                      on any deny; an exec, refused only on a rule's deny
 *                      (the library may have allowed it under the name it
 *                      was run as). Refusals are judged again and recorded.
 *   caller not covered a static binary (or a program run by the loader
 *                      itself): the hooks' own judgement on objects this
 *                      process holds — trj_judge_exec_at() on the program
 *                      (relative names made absolute against the caller's
 *                      cwd or dirfd, AT_EMPTY_PATH through a pidfd_getfd
 *                      copy of the descriptor) and argv read from the
 *                      caller's memory; trj_judge_sockaddr() on the address
 *                      (host unknown: only ip/port/family rules can allow).
 *                      Recorded with the caller's pid as the policy's `pid`
 *                      and a NOTE "seccomp: pid N <exe>".
 *
 * The TOCTOU linux/seccomp.h warns about: the caller's memory can change
 * after it is read here. Network calls of uncovered callers are therefore
 * PERFORMED here, on a pidfd_getfd copy of the socket (the same open file
 * description) with the address and data this process read and judged, and
 * the result is injected as the syscall's return value: nothing the caller
 * changes afterwards reaches the kernel. The filter waits killably
 * (WAIT_KILLABLE_RECV), so a signal cannot restart a call that is being
 * performed, and the notification is checked valid before it is. An exec
 * cannot be performed for another process, so its CONTINUE is paired with
 * Landlock (EXECUTE only on the policy's exec roots, backstop_landlock.c): a
 * thread racing the path can reach another program inside those roots,
 * never outside; a covered caller's raw connect/send can race the second
 * opinion the same way (Landlock's TCP ports bound it; UDP is unbounded).
 * sendmmsg from an uncovered caller is refused (EPERM, recorded).
 *
 * Work that may block (an exec's memory reads, a connect, a send, an ask)
 * runs on its own thread (at most MAX_WORKERS; beyond, EAGAIN, recorded), so
 * one slow peer never holds other processes' calls. No notification is left
 * unanswered while the caller lives: every path ends in respond().
 *
 * The agent's end: trj_supervise() returns its wait status when the agent
 * (the child trajeckt-exec forked) exits (reap() sees it); other processes
 * of the tree still running then get ENOSYS for these calls (the listener
 * closes with this process, and the seccomp table refuses them a listener
 * of their own): fail closed. Signals sent to this process by a user (the
 * launcher forwarding SIGTERM, `kill`) are passed to the agent; those the
 * terminal sends reach the agent's process group directly and are ignored.
 *
 * This runs outside the agent's seccomp and Landlock domains (forked before
 * them) and never calls a hooked libc function: raw system calls only.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trajeckt_preload.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define SEND_MAX (1u << 20)    /* bytes of one send performed here; more = a short send */
#define ARGV_MAX (1 << 16)     /* argv/envp entries read from a caller */
#define ARGS_BYTES (4u << 20)  /* bytes of argv strings read from a caller */

static int listener = -1;
static volatile pid_t agent_pid;

/* ---- the caller's memory and descriptors --------------------------------- */

static int read_mem(pid_t pid, uint64_t addr, void *out, size_t len)
{
    struct iovec local = { out, len }, remote = { (void *)(uintptr_t)addr, len };
    return trj_sys6(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0) == (long)len ? 0 : -1;
}

/* NUL-terminated string at addr into out[cap], page by page. Length, or -1
   (unreadable, or no NUL within cap - 1 bytes). */
static long read_str(pid_t pid, uint64_t addr, char *out, size_t cap)
{
    size_t got = 0;
    while (got + 1 < cap) {
        size_t page_left = 4096 - ((addr + got) & 4095);
        size_t want = page_left < cap - 1 - got ? page_left : cap - 1 - got;
        struct iovec local = { out + got, want }, remote = { (void *)(uintptr_t)(addr + got), want };
        long n = trj_sys6(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
        if (n <= 0) {
            return -1;
        }
        char *nul = memchr(out + got, 0, (size_t)n);
        if (nul != NULL) {
            return nul - out;
        }
        got += (size_t)n;
    }
    return -1;
}

static char *proc_path(char *out, pid_t pid, const char *tail)
{
    memcpy(out, "/proc/", 6);
    char *p = trj_put_uint(out + 6, (unsigned long)pid);
    size_t l = strlen(tail);
    memcpy(p, tail, l + 1);
    return out;
}

/* 1 if pid's executable has a PT_INTERP header (the loader ran, and with it
   LD_PRELOAD); 0 if not, or if it cannot be read (judge it here). */
static int covered(pid_t pid, char *exe_out, size_t cap)
{
    char link[48];
    long n = trj_sys4(SYS_readlinkat, AT_FDCWD, (long)proc_path(link, pid, "/exe"), (long)exe_out, (long)cap - 1);
    exe_out[n > 0 ? n : 0] = '\0';
    long fd = trj_sys4(SYS_openat, AT_FDCWD, (long)link, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    Elf64_Ehdr eh;
    int interp = 0;
    if (trj_sys4(SYS_pread64, fd, (long)&eh, sizeof eh, 0) == (long)sizeof eh &&
        memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
        eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum <= 128) {
        Elf64_Phdr ph[128];
        size_t len = (size_t)eh.e_phnum * sizeof ph[0];
        if (trj_sys4(SYS_pread64, fd, (long)ph, (long)len, (long)eh.e_phoff) == (long)len) {
            for (unsigned i = 0; i < eh.e_phnum; i++) {
                interp |= ph[i].p_type == PT_INTERP;
            }
        }
    }
    trj_close((int)fd);
    return interp;
}

/* The process (thread group) of task tid: notifications name the thread
   that made the call, pidfd_open wants its process. tid itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
    char path[48], buf[512];
    long fd = trj_sys4(SYS_openat, AT_FDCWD, (long)proc_path(path, tid, "/status"), O_RDONLY | O_CLOEXEC, 0);
    long n = fd < 0 ? -1 : trj_sys3(SYS_read, fd, (long)buf, sizeof buf - 1);
    if (fd >= 0) {
        trj_close((int)fd);
    }
    if (n <= 0) {
        return tid;
    }
    buf[n] = '\0';
    const char *t = strstr(buf, "\nTgid:");
    if (t == NULL) {
        return tid;
    }
    long v = 0;
    for (t += 6; *t == ' ' || *t == '\t'; t++) {
    }
    for (; *t >= '0' && *t <= '9'; t++) {
        v = v * 10 + (*t - '0');
    }
    return v > 0 ? (pid_t)v : tid;
}

/* A copy of descriptor fd of process proc (a tgid) in this process, or -errno. */
static long take_fd(pid_t proc, int fd)
{
    long pfd = trj_sys2(SYS_pidfd_open, proc, 0);
    if (pfd < 0) {
        return pfd;
    }
    long r = trj_sys3(SYS_pidfd_getfd, pfd, fd, 0);
    trj_close((int)pfd);
    return r;
}

/* Until trj_decide_on_behalf(0, NULL), this thread decides for process proc
   (the policy's `pid`) and its records carry the NOTE "seccomp: <what>pid N
   <exe>", built in note (NOTE_MAX bytes, alive until then). */
#define NOTE_MAX (TRJ_PATH_MAX + 128)
static void decide_for(char *note, const char *what, pid_t proc, const char *exe)
{
    size_t wl = strlen(what);
    memcpy(note, "seccomp: ", 9);
    memcpy(note + 9, what, wl);
    memcpy(note + 9 + wl, "pid ", 4);
    char *p = trj_put_uint(note + 13 + wl, (unsigned long)proc);
    *p++ = ' ';
    size_t el = strnlen(exe[0] ? exe : "?", TRJ_PATH_MAX - 1);
    memcpy(p, exe[0] ? exe : "?", el);
    p[el] = '\0';
    trj_decide_on_behalf(proc, note);
}

/* ---- answers -------------------------------------------------------------- */

/* Answer notification id: cont = CONTINUE (the kernel runs the call), else
   the call returns val (err == 0) or fails with err. */
static void respond(uint64_t id, int cont, long val, int err)
{
    union {
        struct seccomp_notif_resp r;
        char pad[256];
    } u;
    memset(&u, 0, sizeof u);
    u.r.id = id;
    if (cont) {
        u.r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else if (err != 0) {
        u.r.error = -err;
    } else {
        u.r.val = val;
    }
    /* ENOENT: the caller is gone (killed, or its wait interrupted) */
    (void)trj_sys3(SYS_ioctl, listener, (long)SECCOMP_IOCTL_NOTIF_SEND, (long)&u);
}

static int still_valid(uint64_t id)
{
    return trj_sys3(SYS_ioctl, listener, (long)SECCOMP_IOCTL_NOTIF_ID_VALID, (long)&id) == 0;
}

/* ---- exec -------------------------------------------------------------------- */

/* The NULL-terminated pointer array at addr (argv, envp) of the caller,
   read a page at a time (a read never spans into the next page, which may be
   unmapped): a malloc'd copy without the NULL, its length in *n. NULL if
   unreadable or longer than ARGV_MAX. addr 0 = an empty array. */
static uint64_t *read_ptrs(pid_t pid, uint64_t addr, size_t *n)
{
    uint64_t *v = malloc(ARGV_MAX * sizeof *v);
    *n = 0;
    if (v == NULL || addr == 0) {
        return v;
    }
    while (*n < ARGV_MAX) {
        uint64_t at = addr + 8 * *n;
        size_t want = (4096 - (at & 4095)) / 8;
        want = want == 0 ? 1 : want; /* a pointer across a page boundary */
        want = want < ARGV_MAX - *n ? want : ARGV_MAX - *n;
        if (read_mem(pid, at, v + *n, want * 8) != 0) {
            free(v);
            return NULL;
        }
        for (size_t i = 0; i < want; i++, (*n)++) {
            if (v[*n] == 0) {
                return v;
            }
        }
    }
    free(v);
    return NULL;
}

/* The first HEAD bytes of each string in ptr[0..n) into heads[i * HEAD]
   (NUL-padded), one process_vm_readv per 1024 strings; a string whose head
   cannot be read in the batch (it ends near an unmapped page) is read alone. */
#define HEAD 16
static void read_heads(pid_t pid, const uint64_t *ptr, size_t n, char *heads)
{
    memset(heads, 0, n * HEAD);
    for (size_t at = 0; at < n;) {
        size_t k = n - at < 1024 ? n - at : 1024;
        struct iovec local = { heads + at * HEAD, k * HEAD }, remote[1024];
        for (size_t i = 0; i < k; i++) {
            remote[i].iov_base = (void *)(uintptr_t)ptr[at + i];
            remote[i].iov_len = HEAD;
        }
        long got = trj_sys6(SYS_process_vm_readv, pid, (long)&local, 1, (long)remote, (long)k, 0);
        size_t whole = got > 0 ? (size_t)got / HEAD : 0; /* transfers stop at the first element that fails */
        at += whole;
        if (whole < k) {
            char one[HEAD + 1] = "";
            long l = read_str(pid, ptr[at], one, sizeof one);
            memcpy(heads + at * HEAD, one, l < 0 ? HEAD : (size_t)l);
            at++;
        }
    }
}

/* 1 if every LD_PRELOAD entry of the envp at addr names this library (and
   there is at least one) and there is no LD_AUDIT (an auditor's la_objsearch
   can veto the preload; the exec hooks drop it); 0 otherwise. */
static int env_keeps_library(pid_t pid, uint64_t envp)
{
    static const char key[] = "LD_PRELOAD=";
    const char *lib = trj_state.self_path;
    size_t ll = strlen(lib), n;
    uint64_t *ptr = ll == 0 ? NULL : read_ptrs(pid, envp, &n);
    char *heads = ptr == NULL ? NULL : malloc(n * HEAD + 1);
    int found = 0, ok = heads != NULL;
    if (ok) {
        read_heads(pid, ptr, n, heads);
    }
    for (size_t i = 0; ok && i < n; i++) {
        const char *h = heads + i * HEAD;
        if (memcmp(h, "LD_AUDIT=", 9) == 0) {
            ok = 0;
            break;
        }
        if (memcmp(h, key, sizeof key - 1) != 0) {
            continue;
        }
        char val[TRJ_PATH_MAX + 4096];
        if (read_str(pid, ptr[i], val, sizeof val) < 0) {
            ok = 0;
            break;
        }
        /* the loader splits the list at ':' and ' ' */
        int here = 0;
        for (char *p = val + sizeof key - 1; *p != '\0';) {
            size_t l = strcspn(p, ": ");
            here |= l == ll && memcmp(p, lib, ll) == 0;
            p += l + (p[l] != '\0');
        }
        ok = here;
        found = 1;
    }
    free(heads);
    free(ptr);
    return ok && found;
}

/* argv of the caller into a NULL-terminated vector (malloc'd, one block);
   NULL if it cannot be read or is too big. */
static char **read_argv(pid_t pid, uint64_t addr)
{
    size_t n;
    uint64_t *ptr = read_ptrs(pid, addr, &n);
    char **v = ptr == NULL ? NULL : malloc((n + 1) * sizeof *v + ARGS_BYTES);
    if (v == NULL) {
        free(ptr);
        return NULL;
    }
    char *s = (char *)(v + n + 1), *end = s + ARGS_BYTES;
    for (size_t i = 0; i < n; i++) {
        long l = read_str(pid, ptr[i], s, (size_t)(end - s));
        if (l < 0) {
            free(v);
            free(ptr);
            return NULL;
        }
        v[i] = s;
        s += l + 1;
    }
    v[n] = NULL;
    free(ptr);
    return v;
}

/* The absolute form of a caller's relative name: its cwd or dirfd, then the
   name (path.c normalizes it). 0 or -errno. */
static int caller_abs(pid_t pid, int dirfd, const char *name, char *out)
{
    char link[64], base[TRJ_PATH_MAX];
    if (dirfd == AT_FDCWD) {
        proc_path(link, pid, "/cwd");
    } else {
        char tail[24] = "/fd/";
        *trj_put_uint(tail + 4, (unsigned long)(unsigned)dirfd) = '\0';
        proc_path(link, pid, tail);
    }
    long n = trj_sys4(SYS_readlinkat, AT_FDCWD, (long)link, (long)base, sizeof base - 1);
    if (n <= 0 || base[0] != '/' || (size_t)n + 1 + strlen(name) >= sizeof base) {
        return n < 0 ? (int)n : -ENAMETOOLONG;
    }
    base[n] = '/';
    strcpy(base + n + 1, name);
    long l = trj_abs_path(AT_FDCWD, base, out);
    return l < 0 ? -ENAMETOOLONG : 0;
}

/* 1 if the absolute path reaches its object through a per-process magic
   link (/proc/self/cwd, /dev/fd/N, /proc/<pid>/root...). Those resolve
   differently here than in the caller (the object judged would not be the
   object run), so such an exec is refused. ENOENT and the like: 0 (the
   kernel will say the same). */
static int through_magic_link(const char *abs)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_NO_MAGICLINKS;
    long fd = trj_sys4(SYS_openat2, AT_FDCWD, (long)abs, (long)&how, sizeof how);
    if (fd >= 0) {
        trj_close((int)fd);
    }
    return fd == -ELOOP || fd == -EXDEV;
}

/* Judge an exec (execve/execveat in d): 0 = CONTINUE, else the errno.
   Uncovered callers: recorded like the exec hooks' decision. Covered callers
   (dry, level 2: the library judged the same program and argv if the call
   came through libc, possibly allowed under the name it was run as, which
   the kernel never sees): refused and recorded only when a rule denies it. */
static int judge_exec_for(pid_t pid, pid_t proc, const struct seccomp_data *d, int cov)
{
    int at = d->nr == SYS_execveat;
    int dirfd = at ? (int)d->args[0] : AT_FDCWD;
    uint64_t path_addr = d->args[at ? 1 : 0], argv_addr = d->args[at ? 2 : 1];
    int flags = at ? (int)d->args[4] : 0;
    char name[TRJ_PATH_MAX], abs[TRJ_PATH_MAX];
    if (read_str(pid, path_addr, name, sizeof name) < 0) {
        return EFAULT;
    }
    char **argv = read_argv(pid, argv_addr);
    if (argv == NULL) {
        return E2BIG;
    }
    long fd = -1;
    int r = 0;
    const char *target = abs;
    if (name[0] == '\0') {
        /* fexecve, execveat(fd, "", AT_EMPTY_PATH): the descriptor itself */
        fd = (flags & AT_EMPTY_PATH) ? take_fd(proc, dirfd) : -ENOENT;
        r = fd < 0 ? (int)fd : 0;
        target = "";
    } else if (name[0] == '/') {
        r = trj_abs_path(AT_FDCWD, name, abs) < 0 ? -ENAMETOOLONG : 0;
    } else {
        r = caller_abs(pid, dirfd, name, abs);
    }
    if (r == 0 && target[0] != '\0' && through_magic_link(abs)) {
        struct trj_action a = { .kind = TRJ_KIND_EXEC, .exe = abs, .exe_len = strlen(abs), .error = ELOOP };
        (void)trj_decide_and_record(&a);
        r = -EACCES;
    } else if (r == 0) {
        int flag = target[0] == '\0' ? AT_EMPTY_PATH : (flags & AT_SYMLINK_NOFOLLOW);
        int dir = target[0] == '\0' ? (int)fd : AT_FDCWD;
        if (cov) {
            trj_decide_dry(2);
            r = trj_judge_exec_at(dir, target, flag, argv);
            trj_decide_dry(0);
            if (r == -EACCES) {
                r = trj_judge_exec_at(dir, target, flag, argv); /* the same verdict, recorded */
            } else {
                r = 0; /* allowed, or an error the kernel will report itself */
            }
        } else {
            r = trj_judge_exec_at(dir, target, flag, argv);
        }
    }
    if (fd >= 0) {
        trj_close((int)fd);
    }
    free(argv);
    return -r;
}

/* ---- network ----------------------------------------------------------------- */

/* Copy the caller's socket address (len bytes at addr) into ss; a relative
   unix path is made absolute against the caller's cwd. 0 or -errno. */
static int read_addr(pid_t pid, uint64_t addr, socklen_t *len, struct sockaddr_storage *ss)
{
    if (*len > sizeof *ss) {
        return -EINVAL; /* connect, sendto; sendmsg's caller truncates first, like the kernel */
    }
    memset(ss, 0, sizeof *ss);
    if (*len > 0 && read_mem(pid, addr, ss, *len) != 0) {
        return -EFAULT;
    }
    struct sockaddr_un *un = (struct sockaddr_un *)ss;
    size_t pl = *len > offsetof(struct sockaddr_un, sun_path) ? *len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (ss->ss_family == AF_UNIX && pl > 0 && un->sun_path[0] != '\0' && un->sun_path[0] != '/') {
        char rel[sizeof un->sun_path + 1], abs[TRJ_PATH_MAX];
        memcpy(rel, un->sun_path, pl);
        rel[pl] = '\0';
        if (caller_abs(pid, AT_FDCWD, rel, abs) != 0 || strlen(abs) >= sizeof un->sun_path) {
            return -ENAMETOOLONG;
        }
        strcpy(un->sun_path, abs);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(abs) + 1);
    }
    return 0;
}

/* The caller's iovecs (n at addr) gathered into one buffer of at most
   SEND_MAX bytes (malloc'd; *len its size). 0 or -errno. */
static int read_iov(pid_t pid, uint64_t addr, uint64_t n, char **buf, size_t *len)
{
    if (n > 1024) {
        return -EMSGSIZE;
    }
    struct iovec iov[1024];
    if (n > 0 && read_mem(pid, addr, iov, n * sizeof iov[0]) != 0) {
        return -EFAULT;
    }
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        total += iov[i].iov_len < SEND_MAX ? iov[i].iov_len : SEND_MAX;
    }
    total = total < SEND_MAX ? total : SEND_MAX;
    *buf = malloc(total ? total : 1);
    if (*buf == NULL) {
        return -ENOMEM;
    }
    size_t off = 0;
    for (uint64_t i = 0; i < n && off < total; i++) {
        size_t want = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;
        if (want > 0 && read_mem(pid, (uint64_t)(uintptr_t)iov[i].iov_base, *buf + off, want) != 0) {
            free(*buf);
            return -EFAULT;
        }
        off += want;
    }
    *len = off;
    return 0;
}

static uint32_t send_kind(int flags)
{
    return (flags & MSG_FASTOPEN) ? TRJ_KIND_NET_CONNECT : TRJ_KIND_NET_SEND;
}

/* Where a connect/sendto/sendmsg/sendmmsg in d sends (for sendmmsg, its
   message i): the caller's address pointer and length (a msghdr's name
   truncated to a sockaddr_storage, like the kernel does) and the flags; the
   msghdr itself into *m for the msg calls. 0, or -EFAULT. */
struct dest {
    uint64_t addr;
    socklen_t len;
    int flags;
};

static int dest_of(pid_t pid, const struct seccomp_data *d, uint64_t i, struct dest *out, struct msghdr *m)
{
    memset(out, 0, sizeof *out);
    if (d->nr == SYS_connect) {
        out->addr = d->args[1];
        out->len = (socklen_t)d->args[2];
    } else if (d->nr == SYS_sendto) {
        out->flags = (int)d->args[3];
        out->addr = d->args[4];
        out->len = (socklen_t)d->args[5];
    } else {
        uint64_t at = d->nr == SYS_sendmsg ? d->args[1] : d->args[1] + i * sizeof(struct mmsghdr);
        if (read_mem(pid, at, m, sizeof *m) != 0) {
            return -EFAULT;
        }
        out->flags = (int)d->args[d->nr == SYS_sendmsg ? 2 : 3];
        out->addr = (uint64_t)(uintptr_t)m->msg_name;
        out->len = m->msg_name != NULL ? m->msg_namelen : 0;
        out->len = out->len > sizeof(struct sockaddr_storage) ? (socklen_t)sizeof(struct sockaddr_storage) : out->len;
    }
    return 0;
}

/* connect / sendto / sendmsg of an uncovered caller, judged and performed
   here on a copy of its socket. Sets *val (the call's result) or returns
   the errno. */
static int net_for(pid_t pid, pid_t proc, uint64_t id, const struct seccomp_data *d, long *val)
{
    long fd = take_fd(proc, (int)d->args[0]);
    if (fd < 0) {
        return (int)-fd;
    }
    if (!still_valid(id)) { /* the caller is gone and the pid may be another's */
        trj_close((int)fd);
        return EINTR;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    char *buf = NULL;
    size_t n = 0;
    struct msghdr m;
    struct dest to;
    int opath = -1, r = dest_of(pid, d, 0, &to, &m);
    uint64_t addr = to.addr;
    socklen_t len = to.len;
    int flags = to.flags;
    if (r == 0 && d->nr == SYS_sendto) {
        n = d->args[2] < SEND_MAX ? (size_t)d->args[2] : SEND_MAX;
        buf = malloc(n ? n : 1);
        r = buf == NULL ? -ENOMEM : (n > 0 && read_mem(pid, d->args[1], buf, n) != 0) ? -EFAULT : 0;
    } else if (r == 0 && d->nr == SYS_sendmsg) {
        if (m.msg_controllen > 0) {
            /* descriptors and credentials name the caller's table: not performed here */
            struct trj_action a = { .kind = send_kind(flags), .error = EOPNOTSUPP };
            (void)trj_decide_and_record(&a);
            r = -EPERM;
        } else {
            r = read_iov(pid, (uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen, &buf, &n);
        }
    }
    if (r == 0 && addr != 0 && len > 0) {
        r = read_addr(pid, addr, &len, &ss);
    } else {
        len = 0;
    }
    if (r == 0 && (d->nr == SYS_connect || len > 0)) {
        r = trj_judge_sockaddr(d->nr == SYS_connect ? TRJ_KIND_NET_CONNECT : send_kind(flags), (int)fd, &ss, &len,
                               d->nr != SYS_connect, &opath);
    }
    /* MSG_ZEROCOPY would leave the kernel reading this process's buffer
       after it is freed; the caller's completion queue is not ours either */
    flags &= ~MSG_ZEROCOPY;
    if (r == 0 && !still_valid(id)) {
        r = -EINTR; /* interrupted while judged: its restart is a new notification */
    }
    if (r == 0) {
        const struct sockaddr *sa = len > 0 ? (const struct sockaddr *)&ss : NULL;
        if (d->nr == SYS_connect) {
            *val = trj_sys3(SYS_connect, fd, (long)sa, len);
        } else {
            /* sent from here, a broken pipe would signal this process: the
               caller's thread gets the SIGPIPE it asked for instead */
            *val = trj_sys6(SYS_sendto, fd, (long)buf, (long)n, flags | MSG_NOSIGNAL, (long)sa, len);
            if (*val == -EPIPE && !(flags & MSG_NOSIGNAL)) {
                (void)trj_sys3(SYS_tgkill, proc, pid, SIGPIPE);
            }
        }
        r = *val < 0 ? (int)*val : 0;
    }
    free(buf);
    trj_close(opath);
    trj_close((int)fd);
    return -r;
}

/* ---- one notification --------------------------------------------------------- */

/* Workers at once; a notification beyond that is refused (EAGAIN, recorded)
   rather than letting stuck peers pile up threads and buffers. */
#define MAX_WORKERS 64
static int workers;

struct job {
    struct seccomp_notif req;
    int cov;
    char exe[TRJ_PATH_MAX];
};

/* Judge one inet/other-family address of a covered caller (dry, level 1);
   denied → judged again, recorded on behalf of pid's process, and 0.
   1 = CONTINUE.
   sock: a copy of the caller's socket when the family needs its domain
   (AF_UNSPEC), else -1. */
static int second_opinion_addr(pid_t pid, uint32_t kind, int is_send, int sock, struct sockaddr_storage *ss,
                               socklen_t len, const char *exe)
{
    if (ss->ss_family == AF_UNIX) {
        return 1; /* the library rewrites unix paths to its own descriptors */
    }
    int opath = -1;
    trj_decide_dry(1);
    int r = trj_judge_sockaddr(kind, sock, ss, &len, is_send, &opath);
    trj_decide_dry(0);
    trj_close(opath);
    if (r == 0) {
        return 1;
    }
    char note[NOTE_MAX];
    decide_for(note, "a call the library did not see, ", tgid_of(pid), exe);
    r = trj_judge_sockaddr(kind, sock, ss, &len, is_send, &opath);
    trj_decide_on_behalf(0, NULL);
    trj_close(opath);
    return r == 0;
}

/* A covered caller's connect or addressed send(s): the library judged it if it
   came through libc; a raw system call did not. The supervisor evaluates
   every destination again without recording (trj_decide_dry): allowed →
   CONTINUE (0); denied → judged for real (recorded, on behalf of the caller)
   and refused (EPERM). A destination this process cannot read is EFAULT —
   what the kernel would say, and never a CONTINUE a racing thread could make
   readable afterwards. Unix addresses are the library's (it rewrites them to
   its own descriptors), and so is everything when the policy names hosts
   (`host` needs the names the process resolved, which only the library
   holds). An ask verdict passes (the library asked, if it was asked at all). */
static int second_opinion(pid_t pid, const struct seccomp_data *d, const char *exe)
{
    if (trj_state.s_host >= 0) {
        return 0;
    }
    struct sockaddr_storage ss;
    long sock = -1;
    int err = 0;
    uint64_t n = d->nr == SYS_sendmmsg ? (d->args[2] > 1024 ? 1024 : d->args[2]) : 1;
    for (uint64_t i = 0; i < n && err == 0; i++) {
        struct dest to;
        struct msghdr m;
        if (dest_of(pid, d, i, &to, &m) != 0) {
            err = EFAULT;
            break;
        }
        if (to.addr == 0 || to.len < sizeof(sa_family_t) || to.len > sizeof ss) {
            continue; /* no destination, or EINVAL from the kernel: nothing reached */
        }
        if (read_mem(pid, to.addr, &ss, to.len) != 0) {
            err = EFAULT;
            break;
        }
        if (ss.ss_family == AF_UNSPEC && sock < 0) {
            sock = take_fd(tgid_of(pid), (int)d->args[0]); /* udp and raw read AF_UNSPEC as inet */
        }
        uint32_t kind = d->nr == SYS_connect ? TRJ_KIND_NET_CONNECT : send_kind(to.flags);
        err = second_opinion_addr(pid, kind, d->nr != SYS_connect, (int)sock, &ss, to.len, exe) ? 0 : EPERM;
    }
    if (sock >= 0) {
        trj_close((int)sock);
    }
    return err;
}

static void *work(void *arg)
{
    struct job *j = arg;
    const struct seccomp_data *d = &j->req.data;
    pid_t pid = (pid_t)j->req.pid, proc = tgid_of(pid); /* the calling thread, its process */
    char note[NOTE_MAX];
    long val = 0;
    int err = 0, cont = 0;
    if (d->nr == SYS_execve || d->nr == SYS_execveat) {
        if (!env_keeps_library(pid, d->args[d->nr == SYS_execveat ? 3 : 2])) {
            char name[TRJ_PATH_MAX];
            long nl = read_str(pid, d->args[d->nr == SYS_execveat ? 1 : 0], name, sizeof name);
            struct trj_action a = { .kind = TRJ_KIND_EXEC, .exe = nl >= 0 ? name : NULL,
                                    .exe_len = nl >= 0 ? (size_t)nl : 0, .error = EPERM };
            decide_for(note, "exec without libtrajeckt.so in LD_PRELOAD or with LD_AUDIT, ", proc, j->exe);
            (void)trj_decide_and_record(&a);
            err = EACCES;
        } else {
            decide_for(note, j->cov ? "a call the library did not see, " : "", proc, j->exe);
            err = judge_exec_for(pid, proc, d, j->cov);
            cont = err == 0; /* Landlock bounds a racing swap: see the top */
        }
    } else if (d->nr == SYS_sendmmsg) {
        decide_for(note, "", proc, j->exe);
        struct trj_action a = { .kind = send_kind((int)d->args[3]), .error = EOPNOTSUPP };
        (void)trj_decide_and_record(&a);
        err = EPERM;
    } else {
        decide_for(note, "", proc, j->exe);
        err = net_for(pid, proc, j->req.id, d, &val);
    }
    trj_decide_on_behalf(0, NULL);
    respond(j->req.id, cont, val, err);
    free(j);
    __atomic_fetch_sub(&workers, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void dispatch(const struct seccomp_notif *req)
{
    const struct seccomp_data *d = &req->data;
    pid_t pid = (pid_t)req->pid;
    int is_exec = d->nr == SYS_execve || d->nr == SYS_execveat;
    char exe[TRJ_PATH_MAX];
    int cov = covered(pid, exe, sizeof exe);
    if (cov && !is_exec) {
        /* cheap, never blocks: answered here */
        int err = second_opinion(pid, d, exe);
        respond(req->id, err == 0, 0, err);
        return;
    }
    if (__atomic_add_fetch(&workers, 1, __ATOMIC_RELAXED) > MAX_WORKERS) {
        __atomic_fetch_sub(&workers, 1, __ATOMIC_RELAXED);
        char note[NOTE_MAX];
        decide_for(note, "too many calls waiting, ", tgid_of(pid), exe);
        struct trj_action a = { .kind = is_exec ? TRJ_KIND_EXEC : TRJ_KIND_NET_CONNECT, .error = EAGAIN };
        (void)trj_decide_and_record(&a);
        trj_decide_on_behalf(0, NULL);
        respond(req->id, 0, 0, EAGAIN);
        return;
    }
    struct job *j = malloc(sizeof *j);
    pthread_attr_t at;
    pthread_t t;
    int started = 0;
    if (j != NULL) {
        j->req = *req;
        j->cov = cov;
        memcpy(j->exe, exe, sizeof exe);
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&t, &at, work, j) == 0;
        pthread_attr_destroy(&at);
    }
    if (!started) {
        __atomic_fetch_sub(&workers, 1, __ATOMIC_RELAXED);
        respond(req->id, 0, 0, is_exec ? EACCES : EPERM);
        free(j);
    }
}

/* ---- the loop ------------------------------------------------------------------- */

static void forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* sent by a process (the launcher, kill): pass it on; sent by the
       kernel (the terminal's ^C reaches the agent's group itself): ignore */
    if (si->si_code <= 0 && agent_pid > 0) {
        (void)trj_sys2(SYS_kill, agent_pid, sig);
    }
}

/* The agent's end, seen by a thread of its own so the loop can block in
   SECCOMP_IOCTL_NOTIF_RECV (which is what lets a 6.6+ kernel hand the CPU
   straight over, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP): it reaps the agent,
   then interrupts the loop's wait with WAKE_SIG until the loop has seen it. */
#define WAKE_SIG (SIGRTMIN + 2)
static pthread_t loop_thread;
static volatile int agent_gone, loop_done;
static int agent_status;

static void wake(int sig)
{
    (void)sig; /* only to interrupt the ioctl (no SA_RESTART) */
}

static void *reap(void *arg)
{
    (void)arg;
    while (trj_sys4(SYS_wait4, agent_pid, (long)&agent_status, 0, 0) == -EINTR) {
    }
    agent_gone = 1;
    while (!loop_done) {
        pthread_kill(loop_thread, WAKE_SIG);
        struct timespec ms = { 0, 10 * 1000 * 1000 };
        (void)trj_sys2(SYS_nanosleep, (long)&ms, 0);
    }
    return NULL;
}

int trj_supervise(int listener_fd, int agent)
{
    listener = listener_fd;
    agent_pid = agent;
    static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        (void)sigaction(sigs[i], &sa, NULL);
    }
    struct sigaction wk;
    memset(&wk, 0, sizeof wk);
    wk.sa_handler = wake;
    sigemptyset(&wk.sa_mask);
    (void)sigaction(WAKE_SIG, &wk, NULL);
    /* 6.6+: the caller and this process hand the CPU to each other on a
       notification and its answer instead of waking each other up (older
       kernels: EINVAL, the usual wake-ups) */
    (void)trj_sys3(SYS_ioctl, listener, (long)SECCOMP_IOCTL_NOTIF_SET_FLAGS, (long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    loop_thread = pthread_self();
    pthread_t reaper;
    if (pthread_create(&reaper, NULL, reap, NULL) != 0) {
        (void)trj_sys2(SYS_kill, agent, SIGKILL); /* no way to see its end: stop it */
        while (trj_sys4(SYS_wait4, agent, (long)&agent_status, 0, 0) == -EINTR) {
        }
        return agent_status;
    }
    union {
        struct seccomp_notif n;
        char pad[512];
    } u;
    while (!agent_gone) {
        memset(&u, 0, sizeof u);
        long r = trj_sys3(SYS_ioctl, listener, (long)SECCOMP_IOCTL_NOTIF_RECV, (long)&u.n);
        if (r == 0) {
            dispatch(&u.n);
        } else if (r != -EINTR && r != -ENOENT) {
            /* the listener is broken: stop the agent rather than leave its
               calls unanswered (they would fail with ENOSYS: closed anyway) */
            (void)trj_sys2(SYS_kill, agent, SIGKILL);
            break;
        }
    }
    loop_done = 1;
    pthread_join(reaper, NULL);
    return agent_status;
}
