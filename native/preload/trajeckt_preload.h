/*
 * trajeckt_preload.h — internals of libtrajeckt.so, the LD_PRELOAD shim.
 *
 * THE HOOK CONTRACT (read before touching a hook)
 *
 *   1. Every hook starts with trj_init() (pthread_once; one load and a branch
 *      once done). The constructor calls it too, so a policy problem is
 *      reported at start-up, not at the first call.
 *   2. Every decision goes through trj_decide_and_record(). It is the one seam
 *      where the audit record is written (audit.c, into the ring of
 *      TRAJECKT_AUDIT_FD) before the call proceeds; a decision that cannot
 *      be recorded is a deny. No hook calls trj_eval directly.
 *   3. No policy (missing, unreadable, unsealed, rejected), or no audit
 *      channel (TRAJECKT_AUDIT_FD missing or invalid, writer closed or dead)
 *      = every hooked call denied. Denial = `errno = EACCES; return -1;` (NULL for FILE and DIR pointers).
 *      Evaluation errors (value too long) deny too, and so does a path that
 *      cannot be resolved (TRJ_UNRES below): recorded through
 *      trj_unresolvable(), cause UNRESOLVABLE — no denial goes unrecorded.
 *   4. Hooks on async-signal-safe calls (open*, execve, unlink...) use no malloc,
 *      no locks, no stdio: stack buffers of bounded size, raw syscalls
 *      (trj_sys*) for the library's own I/O. Internal I/O never goes through an
 *      exported libc symbol, so nothing the library does is judged twice and
 *      there is NO re-entrancy guard: a signal handler's open() inside a hook
 *      is judged like any other (evasion.md E41) — its record is reserved
 *      without blocking (a full ring denies it, counted in lost_nested).
 *   5. The object judged is the object used: a path is judged lexically
 *      (absolute, normalized), then reached with openat2(RESOLVE_NO_SYMLINKS);
 *      if a symlink, magic link or `..` is on the way, the shim opens an O_PATH
 *      descriptor, reads /proc/self/fd/N, judges that real path as well, and
 *      performs the operation through the descriptor. Both the requested name
 *      and the resolved object must be allowed.
 *   6. Stack budget: a file hook uses about 12 KB, an exec hook about 40 KB.
 */
#ifndef TRAJECKT_PRELOAD_H
#define TRAJECKT_PRELOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netdb.h>
#include <ftw.h>
#include <glob.h>

#include "trj.h"

#define TRJ_PATH_MAX 4096

/* ---- raw syscalls (raw.c): return value or -errno, never touch errno ---- */
long trj_sys0(long nr);
long trj_sys1(long nr, long a);
long trj_sys2(long nr, long a, long b);
long trj_sys3(long nr, long a, long b, long c);
long trj_sys4(long nr, long a, long b, long c, long d);
long trj_sys5(long nr, long a, long b, long c, long d, long e);
long trj_sys6(long nr, long a, long b, long c, long d, long e, long f);
void trj_close(int fd);
/* write a whole NUL-terminated string to fd 2, best effort */
void trj_stderr(const char *s);

/* ---- the real functions: one flat table (init.c) ------------------------ */
struct file_handle; /* <fcntl.h>, _GNU_SOURCE */
struct trj_real {
    int (*open)(const char *, int, ...);
    int (*open64)(const char *, int, ...);
    int (*__open)(const char *, int, ...);
    int (*__open64)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*openat64)(int, const char *, int, ...);
    int (*__open_2)(const char *, int);
    int (*__open64_2)(const char *, int);
    int (*__openat_2)(int, const char *, int);
    int (*__openat64_2)(int, const char *, int);
    int (*creat)(const char *, mode_t);
    int (*creat64)(const char *, mode_t);
    FILE *(*fopen)(const char *, const char *);
    FILE *(*fopen64)(const char *, const char *);
    FILE *(*freopen)(const char *, const char *, FILE *);
    FILE *(*freopen64)(const char *, const char *, FILE *);
    FILE *(*fdopen)(int, const char *);
    DIR *(*opendir)(const char *);
    DIR *(*fdopendir)(int);
    int (*truncate)(const char *, off_t);
    int (*truncate64)(const char *, off_t);
    int (*unlink)(const char *);
    int (*unlinkat)(int, const char *, int);
    int (*remove)(const char *);
    int (*rename)(const char *, const char *);
    int (*renameat)(int, const char *, int, const char *);
    int (*renameat2)(int, const char *, int, const char *, unsigned);
    int (*mkdir)(const char *, mode_t);
    int (*mkdirat)(int, const char *, mode_t);
    int (*rmdir)(const char *);
    int (*link)(const char *, const char *);
    int (*linkat)(int, const char *, int, const char *, int);
    int (*symlink)(const char *, const char *);
    int (*symlinkat)(const char *, int, const char *);
    int (*chmod)(const char *, mode_t);
    int (*fchmodat)(int, const char *, mode_t, int);
    int (*chown)(const char *, uid_t, gid_t);
    int (*lchown)(const char *, uid_t, gid_t);
    int (*fchownat)(int, const char *, uid_t, gid_t, int);
    int (*utimensat)(int, const char *, const struct timespec *, int);
    int (*setxattr)(const char *, const char *, const void *, size_t, int);
    int (*lsetxattr)(const char *, const char *, const void *, size_t, int);
    int (*fsetxattr)(int, const char *, const void *, size_t, int);
    int (*removexattr)(const char *, const char *);
    int (*lremovexattr)(const char *, const char *);
    int (*fremovexattr)(int, const char *);
    ssize_t (*getxattr)(const char *, const char *, void *, size_t);
    ssize_t (*lgetxattr)(const char *, const char *, void *, size_t);
    ssize_t (*fgetxattr)(int, const char *, void *, size_t);
    ssize_t (*listxattr)(const char *, char *, size_t);
    ssize_t (*llistxattr)(const char *, char *, size_t);
    ssize_t (*flistxattr)(int, char *, size_t);
    int (*name_to_handle_at)(int, const char *, struct file_handle *, int *, int);
    int (*open_by_handle_at)(int, struct file_handle *, int);
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execv)(const char *, char *const[]);
    int (*execvp)(const char *, char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    int (*execveat)(int, const char *, char *const[], char *const[], int);
    int (*posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                       const posix_spawnattr_t *, char *const[], char *const[]);
    int (*posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);
    int (*system)(const char *);
    FILE *(*popen)(const char *, const char *);
    /* directory walkers (hooks_dir.c) */
    int (*scandirat)(int, const char *, struct dirent ***, int (*)(const struct dirent *),
                     int (*)(const struct dirent **, const struct dirent **));
    int (*scandirat64)(int, const char *, struct dirent64 ***, int (*)(const struct dirent64 *),
                       int (*)(const struct dirent64 **, const struct dirent64 **));
    int (*glob)(const char *, int, int (*)(const char *, int), glob_t *);
    int (*glob64)(const char *, int, int (*)(const char *, int), glob64_t *);
    int (*nftw)(const char *, int (*)(const char *, const struct stat *, int, struct FTW *), int, int);
    int (*ftw)(const char *, int (*)(const char *, const struct stat *, int), int);
    /* network (hooks_net.c) */
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*bind)(int, const struct sockaddr *, socklen_t);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    struct hostent *(*gethostbyname)(const char *);
    struct hostent *(*gethostbyname2)(const char *, int);
    int (*gethostbyname_r)(const char *, struct hostent *, char *, size_t, struct hostent **, int *);
    int (*gethostbyname2_r)(const char *, int, struct hostent *, char *, size_t, struct hostent **, int *);
};
extern struct trj_real trj_real;

/* ---- state (init.c) ----------------------------------------------------- */
struct trj_state {
    int loaded;              /* 1 = policy verified and loaded */
    trj_policy policy;
    int policy_fd;           /* the inherited sealed memfd, -1 if none */
    dev_t policy_dev;        /* identity of policy_fd, checked before exec */
    ino_t policy_ino;
    const uint8_t *policy_buf;
    size_t policy_len;
    /* slots of the fields the hooks fill; -1 = the policy does not use it */
    int s_path, s_path2, s_exe, s_cmdline, s_argc, s_pid, s_uid, s_cwd, s_agent;
    int s_host, s_ip, s_port, s_family;
    uint32_t n_argv_slots;   /* argv[N] fields used by the policy */
    uint16_t argv_index[TRJ_MAX_SLOTS];
    uint16_t argv_slot[TRJ_MAX_SLOTS];
    char self_path[TRJ_PATH_MAX]; /* absolute path of libtrajeckt.so */
    char agent[256];
    size_t agent_len;
};
extern struct trj_state trj_state;

void trj_init(void);

/* ---- decisions (decide.c) ----------------------------------------------- */
/* An action being decided: the kind and the fields a hook knows. */
struct trj_action {
    uint32_t kind;
    const char *path;  size_t path_len;   /* file.*, dir.create */
    const char *path2; size_t path2_len;  /* file.rename, file.link */
    const char *exe;   size_t exe_len;    /* exec: the real path */
    const char *exe_name; size_t exe_name_len; /* exec: the name run, if not exe (a symlink) */
    const char *cmdline; size_t cmdline_len;
    char *const *argv; int64_t argc;
    /* net.* (path above carries a unix socket path) */
    const char *host;  size_t host_len;   /* NULL = unknown */
    const char *family;                   /* "inet", "inet6", "unix"; NULL = absent */
    int has_ip; uint8_t ip[16];           /* IPv4 as ::ffff:a.b.c.d */
    int has_port; int64_t port;
    int error; /* nonzero: the hook could not build the action (an errno value,
                  recorded as cause UNRESOLVABLE; the call is denied) */
    int privileged; /* exec of a setuid/setgid target: allowed only if
                       trj_exec_allowed_exactly() (else cause SETUID) */
};

/* 1 = allowed, 0 = denied. The single seam for the audit record: every
   call writes one record into the audit ring before returning, and a record
   that cannot be written means deny. */
int trj_decide_and_record(const struct trj_action *a);
/* Until called again, this thread's decisions are made for process pid (the
   policy's `pid`) and their records carry note (the seccomp supervisor,
   supervise.c). trj_decide_on_behalf(0, NULL) ends it. */
void trj_decide_on_behalf(int32_t pid, const char *note);
/* While on (this thread), trj_decide_and_record() only evaluates: 1 unless
   the policy's verdict is deny (observe mode: always 1), nothing recorded,
   no ask (an ask verdict passes: the library asked). The supervisor's second
   opinion on a covered process's call. level 1: any deny; level 2: only a
   rule's deny (the default's deny may be the library's allow under the
   other name of an exec, see trj_action.exe_name); 0: off. */
void trj_decide_dry(int level);
/* Same, on a bare path: kind + path (+ path2). */
int trj_decide_path(uint32_t kind, const char *path, size_t len);
int trj_decide_path2(uint32_t kind, const char *p1, size_t l1, const char *p2, size_t l2);
/* r is a result of the path functions below. If it is TRJ_UNRES(e) (the
   call's object cannot be named), record kind with cause UNRESOLVABLE,
   error = e and the fields as far as they are known (a raw argument, the
   lexical path, a descriptor's link text; NULL = absent), and return
   -EACCES; any other r is returned unchanged. */
int trj_unresolvable(uint32_t kind, long r, const char *p1, size_t l1, const char *p2, size_t l2);
/* setuid/setgid targets: allowed only by a rule naming this exact exe. */
int trj_exec_allowed_exactly(const struct trj_action *a);

/* ---- for the seccomp supervisor (supervise.c) ---------------------------
 * The hooks' own judgement, on objects the supervisor holds for another
 * process (descriptors taken with pidfd_getfd, absolute paths). */
/* exec.c: resolve (dirfd, path, AT_* flags) like the exec hooks and judge
   the exec with argv: 0 allowed, -EACCES denied (recorded), other -errno
   when the program cannot be opened (not recorded; the kernel says the same). */
int trj_judge_exec_at(int dirfd, const char *path, int atflags, char *const argv[]);
/* hooks_net.c: judge the address of a connect (is_send 0) or a send (1) on
   socket fd like the hooks do. 0 = go on with *ss and *len (a unix path is
   rewritten to /proc/self/fd/N of *opath, which the caller closes), or
   -errno (denied and recorded, or what the kernel would say). */
struct sockaddr_storage;
int trj_judge_sockaddr(uint32_t kind, int fd, struct sockaddr_storage *ss, socklen_t *len, int is_send, int *opath);

/* supervise.c: answer the seccomp notifications of listener_fd until the
   agent (pid) exits; returns its wait status. Exported for trajeckt-exec. */
int trj_supervise(int listener_fd, int agent);

/* ---- audit (audit.c) ----------------------------------------------------
 * The audit channel: the ring named by TRAJECKT_AUDIT_FD (native/ring/
 * trj_ring.h). Without it every hooked call is denied. */

/* What a decision came to, beside the action itself (decide.c fills it). */
struct trj_outcome {
    uint64_t time_ns;            /* CLOCK_REALTIME at the decision */
    uint32_t eval_ns, ask_ms;
    int32_t rule;
    uint16_t kind;               /* TRJ_KIND_* or TRJ_REC_PROC_START */
    uint8_t decision, verdict, reason, error, cause, flags;
    const char *cwd; size_t cwd_len;  /* CWD when the hook read it */
    const char *note;                 /* NOTE field, or NULL */
    const uint8_t *policy_hash;       /* POLICY_HASH (PROC_START) */
    int has_ppid; int64_t ppid;       /* PPID (PROC_START) */
    /* identity, from trj_audit_begin() */
    int32_t pid, tid;
    uint32_t proc, seq;
    int nested;                  /* decided inside a decision of the same thread */
};

/* After the policy: map TRAJECKT_AUDIT_FD (or print `trajeckt: audit channel
   unavailable: <reason>`), register the fork handler, write PROC_START. */
void trj_audit_init(void);
/* 1 if the ring is mapped (decisions can be recorded). */
int trj_audit_ready(void);
/* 1 if the launcher asked for observe mode. */
int trj_audit_observe(void);
/* Enter/leave a decision on this thread; enter returns 1 if nested. */
int trj_audit_enter(void);
void trj_audit_leave(void);
/* Take the record identity (pid, tid, proc, seq, VFORK flag) into o. For exec
   actions a vfork child is detected (getpid() != cached pid) and gets a
   one-off proc id without touching the parent's state. */
void trj_audit_begin(struct trj_outcome *o, int is_exec);
/* Write one record. 0, or -errno when it was not recorded (deny). */
int trj_audit_write(const struct trj_action *a, const struct trj_outcome *o);
/* Ask the broker (h->ask == TRJ_ASK_BROKER) about a; returns the cause
   (TRJ_CAUSE_ASK_*) and sets o->ask_ms. */
uint8_t trj_audit_ask(const struct trj_action *a, struct trj_outcome *o, uint32_t timeout_ms);
/* The ring descriptor to hand to an exec'd child: the mapped ring's own if it
   is still that file and inheritable, else a new descriptor (*newfd, the
   caller closes it if the exec fails). -EACCES if impossible. */
int trj_audit_fd_for_child(int *newfd);
/* The process's ring descriptor is now fd (system/popen repaired environ). */
void trj_audit_adopt_fd(int fd);

/* ---- paths (path.c) ----------------------------------------------------- */
/* "Cannot tell what this names": the result of a path function when the
   base (cwd, dirfd) or the object has no usable path — longer than
   PATH_MAX, deleted, not a path (pipe:, memfd:), unreachable. It carries the
   reason as an errno, below the kernel's -1..-4095, so it is never mistaken
   for what the kernel said. It never reaches errno: the hook passes it to
   trj_unresolvable() (one record, cause UNRESOLVABLE) and denies, EACCES. */
#define TRJ_UNRES(e) (-4096L - (long)(e))
#define TRJ_IS_UNRES(r) ((long)(r) <= -4096L)
#define TRJ_UNRES_ERRNO(r) ((int)(-4096L - (long)(r)))

/* Absolute, lexically normalized form of (dirfd, path) into out[TRJ_PATH_MAX].
   Returns length, -EBADF, or TRJ_UNRES(e) when the base cannot be resolved
   or the result would not fit. */
long trj_abs_path(int dirfd, const char *path, char *out);
/* Real path of an open descriptor (readlink /proc/self/fd/N). Length, -EBADF,
   or TRJ_UNRES(e): too long (ENAMETOOLONG; out is ""), a deleted object or
   memfd (ENOENT), not a path: pipe:, socket:, anon_inode: (EINVAL). On
   TRJ_UNRES out still holds the link text as far as it is known. */
long trj_fd_path(int fd, char *out);
/* The kind an open with these flags is judged as (file.read/write/create). */
uint32_t trj_open_kind(int flags);
/* 1 if path has a ".." component */
int trj_has_dotdot(const char *path);
/* decimal digits of v at p (no NUL); returns the end */
char *trj_put_uint(char *p, unsigned long v);
/* "/proc/self/fd/N" into buf[32] */
const char *trj_proc_fd(int fd, char *buf);

/* Judge and open like openat(dirfd, path, flags, mode): fd or -errno
   (an unresolvable path is recorded and -EACCES). */
int trj_open_judged(int dirfd, const char *path, int flags, mode_t mode);
/* Judge `kind` on the object (dirfd,path), following symlinks; on success
   *fd is an O_PATH descriptor of the object (caller closes). 0 or -errno
   (an unresolvable path is recorded and -EACCES). */
int trj_resolve_object(uint32_t kind, int dirfd, const char *path, int *fd);
/* Resolve (dirfd,path) without following the last component (the caller
   judges); on success *pfd is a directory descriptor (or dirfd itself,
   *owned = 0) and *name points into path at the last component. Fills abs
   (TRJ_PATH_MAX) with the real path. 0, -errno, or TRJ_UNRES(e) (not
   recorded: the caller knows the kind). */
int trj_resolve_parent(int dirfd, const char *path, int *pfd, int *owned,
                       const char **name, char *abs, size_t *abs_len);

/* ---- host memory (hostmem.c): names this process resolved, for connect -- */
/* The most recent name resolved to ip (16 bytes, IPv4 mapped) into out[256];
   its length, or 0 if none. Lock-free (seqlock per entry). */
size_t trj_hostmem_get(const uint8_t ip[16], char *out);
void trj_hostmem_put(const uint8_t ip[16], const char *name, size_t len);

/* ---- exec (exec.c) ------------------------------------------------------ */
int trj_execve_judged(const char *path, char *const argv[], char *const envp[]);

#endif
