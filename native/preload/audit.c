/*
 * audit.c — the producer side of the audit channel: every decision becomes
 * one record in the ring named by TRAJECKT_AUDIT_FD (native/ring/trj_ring.h)
 * before the call proceeds.
 *
 *   init     map and validate the ring; on failure print exactly one line
 *            `trajeckt: audit channel unavailable: <reason>` and leave the
 *            channel down, so every hooked call is denied. Then register the
 *            fork handler and write a PROC_START record (EXE, POLICY_HASH,
 *            PPID, NOTE "exec").
 *   identity pid (cached), tid (cached per thread), proc (a process-image id
 *            from h->next_proc) and seq (from 0, per image). A fork child
 *            gets a new proc, seq 0 and a PROC_START (NOTE "fork") from the
 *            pthread_atfork child handler. A vfork child shares the parent's
 *            memory: exec actions compare getpid() with the cached pid and a
 *            vfork child records under a one-off proc (seq 0, TRJ_RECF_VFORK,
 *            NOTE "vfork-child") without writing any shared static.
 *   records  measured first (values cut to keep the record within
 *            TRJ_RING_MAX_RECORD, TRJ_RECF_TRUNCATED), reserved (blocking on
 *            a full ring, non-blocking when nested), fields written, header
 *            written, published.
 *   ask      the same record bytes go to the broker on a unix stream socket;
 *            one reply byte: 'y' allows, anything else or EOF denies. The
 *            broker must be the launcher: after connect, SO_PEERCRED's pid
 *            must be the header's writer_pid (the launcher runs the writer
 *            and the broker), or nothing is sent and the ask is denied,
 *            cause ASK_UNAVAILABLE with error EPERM. Any abstract name can
 *            be bound by any process of the network namespace; this is what
 *            tells the launcher from a process squatting on its name.
 *
 * Async-signal-safe: no malloc, no locks, raw syscalls only (the ring code is
 * built with TRJ_RING_RAW). A seq is taken before the reservation, so a gap
 * in a proc's seq is a decision that could not be recorded (and was denied).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "trajeckt_preload.h"
#include "trj_ring.h"
#include "ring_sys.h"

#define TLS __thread __attribute__((tls_model("initial-exec")))

static struct trj_ring ring;
static int ring_ok;
static dev_t ring_dev;
static ino_t ring_ino;
static int32_t self_pid;   /* cached getpid(), refreshed after fork */
static uint32_t self_proc; /* this process image's id */
static uint32_t self_seq;  /* atomic: next seq of this image */
static TLS int32_t tls_tid;
static TLS int32_t tls_rec_pid; /* pid of the record being reserved (ring_producer.c) */
static TLS int tls_depth;

int32_t trj_ring_producer_pid(void); /* ring_producer.c */
int32_t trj_ring_producer_pid(void)
{
    return tls_rec_pid;
}

int trj_audit_ready(void)
{
    return ring_ok;
}

int trj_audit_observe(void)
{
    return ring_ok && ring.h->mode == TRJ_MODE_OBSERVE;
}

int trj_audit_enter(void)
{
    return tls_depth++ > 0;
}

void trj_audit_leave(void)
{
    tls_depth--;
}

static uint32_t new_proc(void)
{
    uint32_t p;
    do {
        p = __atomic_fetch_add(&ring.h->next_proc, 1, __ATOMIC_SEQ_CST) + 1u;
    } while (p == 0);
    return p;
}

void trj_audit_begin(struct trj_outcome *o, int is_exec)
{
    if (is_exec) {
        int32_t pid = (int32_t)trj_sys0(SYS_getpid);
        if (pid != self_pid && ring_ok) {
            /* a vfork child: the statics and this thread's TLS are the parent's */
            o->pid = pid;
            o->tid = (int32_t)trj_sys0(SYS_gettid);
            o->proc = new_proc();
            o->seq = 0;
            o->flags |= TRJ_RECF_VFORK;
            o->note = "vfork-child";
            return;
        }
    }
    if (tls_tid == 0) {
        tls_tid = (int32_t)trj_sys0(SYS_gettid);
    }
    o->pid = self_pid;
    o->tid = tls_tid;
    o->proc = self_proc;
    o->seq = __atomic_fetch_add(&self_seq, 1, __ATOMIC_RELAXED);
}

/* ---- record encoding ---------------------------------------------------- */

/* Where record bytes go: the ring at pos, a memory buffer, or nowhere
   (measuring). off counts from the start of the record. */
struct sink {
    struct trj_ring_header *h;
    uint64_t pos;
    uint8_t *buf;
    uint32_t off, cap;
    uint16_t n_fields;
    int full;
};

static const uint8_t zeros[64];

static void put(struct sink *s, const void *p, uint32_t n)
{
    if (s->h != NULL) {
        trj_ring_put(s->h, s->pos + s->off, p, n);
    } else if (s->buf != NULL) {
        memcpy(s->buf + s->off, p, n);
    }
    s->off += n;
}

static void put_zeros(struct sink *s, uint32_t n)
{
    while (n > 0) {
        uint32_t k = n < sizeof zeros ? n : (uint32_t)sizeof zeros;
        put(s, zeros, k);
        n -= k;
    }
}

/* One field, cut to what is left of the record (the record is then full). */
static void field(struct sink *s, uint16_t id, const void *v, size_t len)
{
    if (s->full) {
        return;
    }
    uint32_t room = s->cap - s->off; /* both multiples of 8 */
    if (room < sizeof(struct trj_rec_field)) {
        s->full = 1;
        return;
    }
    struct trj_rec_field f = { .id = id, .flags = 0, .len = 0 };
    if (sizeof f + TRJ_ALIGN8(len) > room) {
        len = room - sizeof f;
        f.flags = TRJ_RECF_TRUNCATED;
        s->full = 1;
    }
    f.len = (uint32_t)len;
    put(s, &f, sizeof f);
    put(s, v, (uint32_t)len);
    put_zeros(s, (uint32_t)(TRJ_ALIGN8(len) - len));
    s->n_fields++;
}

static void field_str(struct sink *s, uint16_t id, const char *v, size_t len)
{
    if (v != NULL) {
        field(s, id, v, len);
    }
}

static void field_int(struct sink *s, uint16_t id, int64_t i)
{
    field(s, id, &i, sizeof i);
}

static void body(struct sink *s, const struct trj_action *a, const struct trj_outcome *o)
{
    field_str(s, TRJ_AF_PATH, a->path, a->path_len);
    field_str(s, TRJ_AF_PATH2, a->path2, a->path2_len);
    field_str(s, TRJ_AF_EXE, a->exe, a->exe_len);
    field_str(s, TRJ_AF_EXE_NAME, a->exe_name, a->exe_name_len);
    if (a->kind == TRJ_KIND_EXEC && o->kind == TRJ_KIND_EXEC) {
        field_int(s, TRJ_AF_ARGC, a->argc);
    }
    field_str(s, TRJ_AF_HOST, a->host, a->host_len);
    if (a->has_ip) {
        field(s, TRJ_AF_IP, a->ip, 16);
    }
    if (a->has_port) {
        field_int(s, TRJ_AF_PORT, a->port);
    }
    if (a->family != NULL) {
        field(s, TRJ_AF_FAMILY, a->family, strlen(a->family));
    }
    field_str(s, TRJ_AF_CWD, o->cwd, o->cwd_len);
    if (o->policy_hash != NULL) {
        field(s, TRJ_AF_POLICY_HASH, o->policy_hash, 32);
    }
    if (o->has_ppid) {
        field_int(s, TRJ_AF_PPID, o->ppid);
    }
    if (o->note != NULL) {
        field(s, TRJ_AF_NOTE, o->note, strlen(o->note));
    }
    if (a->kind == TRJ_KIND_EXEC && a->argv != NULL) {
        for (int64_t i = 0; i < a->argc && !s->full && a->argv[i] != NULL; i++) {
            field(s, TRJ_AF_ARGV, a->argv[i], strlen(a->argv[i]));
        }
    }
    field_str(s, TRJ_AF_CMDLINE, a->cmdline, a->cmdline_len);
}

/* Record length (multiple of 8) for a and o. */
static uint32_t measure(const struct trj_action *a, const struct trj_outcome *o)
{
    struct sink m = { .off = sizeof(struct trj_rec), .cap = TRJ_RING_MAX_RECORD };
    body(&m, a, o);
    return m.off;
}

/* Write the fields into s (cap = the measured length), then pad any gap left
   by a value that shrank meanwhile (argv changed by another thread) with a
   truncated zero NOTE, so the record is exactly cap bytes. */
static void emit_fields(struct sink *s, const struct trj_action *a, const struct trj_outcome *o)
{
    s->off = sizeof(struct trj_rec);
    body(s, a, o);
    if (s->off < s->cap) {
        struct trj_rec_field f = { .id = TRJ_AF_NOTE, .flags = TRJ_RECF_TRUNCATED,
                                   .len = s->cap - s->off - (uint32_t)sizeof f };
        put(s, &f, sizeof f);
        put_zeros(s, f.len);
        s->n_fields++;
    }
}

static void fill_header(struct trj_rec *r, uint32_t len, const struct trj_outcome *o, uint16_t n_fields)
{
    memset(r, 0, sizeof *r);
    r->commit = len;
    r->pid = o->pid;
    r->time_ns = o->time_ns;
    r->proc = o->proc;
    r->seq = o->seq;
    r->tid = o->tid;
    r->kind = o->kind;
    r->decision = o->decision;
    r->verdict = o->verdict;
    r->reason = o->reason;
    r->error = o->error;
    r->cause = o->cause;
    r->flags = o->flags;
    r->rule = o->rule;
    r->eval_ns = o->eval_ns;
    r->n_fields = n_fields;
    r->ask_ms = o->ask_ms;
}

int trj_audit_write(const struct trj_action *a, const struct trj_outcome *o)
{
    if (!ring_ok) {
        return -ENODEV;
    }
    uint32_t len = measure(a, o);
    uint64_t pos;
    tls_rec_pid = o->pid;
    int e = trj_ring_reserve(&ring, len, o->nested, &pos);
    if (e == -EAGAIN && o->nested) {
        __atomic_fetch_add(&ring.h->lost_nested, 1, __ATOMIC_RELAXED);
    }
    if (e < 0) {
        return e;
    }
    struct sink s = { .h = ring.h, .pos = pos, .cap = len };
    emit_fields(&s, a, o);
    struct trj_rec r;
    fill_header(&r, len, o, s.n_fields);
    /* bytes 0..7 (commit, pid) were stored by the reservation */
    trj_ring_put(ring.h, pos + 8, (const uint8_t *)&r + 8, sizeof r - 8);
    trj_ring_publish(&ring, pos, len);
    return 0;
}

/* ---- process images ----------------------------------------------------- */

static void proc_start(const char *note)
{
    char exe[TRJ_PATH_MAX];
    long n = trj_sys4(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)exe, sizeof exe);
    struct trj_action a = { .kind = TRJ_REC_PROC_START };
    if (n > 0) {
        a.exe = exe;
        a.exe_len = (size_t)n;
    }
    struct trj_outcome o = {
        .kind = TRJ_REC_PROC_START,
        .time_ns = trj_ring_now_ns(CLOCK_REALTIME),
        .rule = -1,
        .decision = trj_state.loaded ? TRJ_ALLOW : TRJ_DENY,
        .verdict = trj_state.loaded ? TRJ_ALLOW : TRJ_DENY,
        .cause = trj_state.loaded ? TRJ_CAUSE_POLICY : TRJ_CAUSE_NO_POLICY,
        .policy_hash = trj_state.loaded ? trj_policy_hash(&trj_state.policy) : NULL,
        .has_ppid = 1,
        .ppid = trj_sys0(SYS_getppid),
        .note = note,
    };
    trj_audit_begin(&o, 0);
    (void)trj_audit_write(&a, &o); /* a dead writer: later decisions deny */
}

static void after_fork_child(void)
{
    self_pid = (int32_t)trj_sys0(SYS_getpid);
    tls_tid = (int32_t)trj_sys0(SYS_gettid);
    tls_depth = 0;
    if (ring_ok) {
        self_proc = new_proc();
        __atomic_store_n(&self_seq, 0, __ATOMIC_RELAXED);
        proc_start("fork");
    }
}

static void unavailable(const char *a, const char *b)
{
    trj_stderr("trajeckt: audit channel unavailable: ");
    trj_stderr(a);
    if (b != NULL) {
        trj_stderr(b);
    }
    trj_stderr("\n");
}

void trj_audit_init(void)
{
    self_pid = (int32_t)trj_sys0(SYS_getpid);
    const char *s = getenv("TRAJECKT_AUDIT_FD");
    if (s == NULL || *s == '\0') {
        unavailable("TRAJECKT_AUDIT_FD is not set", NULL);
        return;
    }
    long fd = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || fd > 100000000) {
            unavailable("TRAJECKT_AUDIT_FD is not a descriptor number: ", s);
            return;
        }
        fd = fd * 10 + (*p - '0');
    }
    int e = trj_ring_map(&ring, (int)fd);
    if (e == -EINVAL) {
        unavailable("TRAJECKT_AUDIT_FD is not an audit ring (magic, version or sizes)", NULL);
        return;
    }
    if (e < 0) {
        unavailable("TRAJECKT_AUDIT_FD: ", strerror(-e));
        return;
    }
    struct stat st;
    if (trj_sys2(SYS_fstat, fd, (long)&st) < 0) {
        trj_ring_unmap(&ring);
        unavailable("TRAJECKT_AUDIT_FD: fstat failed", NULL);
        return;
    }
    ring_dev = st.st_dev;
    ring_ino = st.st_ino;
    if (!trj_ring_writer_alive(&ring, trj_ring_now_ns(CLOCK_MONOTONIC))) {
        unavailable("the audit writer has closed the ring or is gone", NULL);
        /* stay mapped: every decision reserves, gets -EPIPE and denies */
    }
    ring_ok = 1;
    (void)pthread_atfork(NULL, NULL, after_fork_child);
    self_proc = new_proc();
    proc_start("exec");
}

/* ---- exec: the descriptor for the child --------------------------------- */

static int same_ring(int fd)
{
    struct stat st;
    return trj_sys2(SYS_fstat, fd, (long)&st) == 0 && st.st_dev == ring_dev && st.st_ino == ring_ino;
}

char *trj_put_uint(char *p, unsigned long v)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        *p++ = d[--n];
    }
    return p;
}

int trj_audit_fd_for_child(int *newfd)
{
    *newfd = -1;
    if (!ring_ok) {
        return -EACCES;
    }
    if (same_ring(ring.fd)) {
        long fl = trj_sys2(SYS_fcntl, ring.fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC)) {
            return ring.fd;
        }
        long d = trj_sys3(SYS_fcntl, ring.fd, F_DUPFD, 3); /* inheritable copy */
        if (d >= 0) {
            *newfd = (int)d;
            return (int)d;
        }
    }
    /* closed or replaced (python's close_fds): reopen the parent's copy first —
       under the kernel backstop /proc/<writer>/fd is out of reach (Landlock
       forbids ptrace-class access outside the domain), the parent is inside */
    {
        char pp[64] = "/proc/";
        char *q = trj_put_uint(pp + 6, (unsigned long)trj_sys0(SYS_getppid));
        memcpy(q, "/fd/", 4);
        q = trj_put_uint(q + 4, (unsigned long)(uint32_t)ring.fd);
        *q = '\0';
        long pfd = trj_sys4(SYS_openat, AT_FDCWD, (long)pp, O_RDWR, 0);
        if (pfd >= 0) {
            if (same_ring((int)pfd)) {
                *newfd = (int)pfd;
                return (int)pfd;
            }
            trj_close((int)pfd);
        }
    }
    char path[64] = "/proc/";
    char *p = trj_put_uint(path + 6, (unsigned long)(uint32_t)ring.h->writer_pid);
    memcpy(p, "/fd/", 4);
    p = trj_put_uint(p + 4, (unsigned long)(uint32_t)ring.h->writer_fd);
    *p = '\0';
    long fd = trj_sys4(SYS_openat, AT_FDCWD, (long)path, O_RDWR, 0);
    if (fd < 0) {
        return -EACCES;
    }
    if (!same_ring((int)fd)) {
        trj_close((int)fd);
        return -EACCES;
    }
    *newfd = (int)fd;
    return (int)fd;
}

void trj_audit_adopt_fd(int fd)
{
    if (ring_ok && same_ring(fd)) {
        ring.fd = fd;
    }
}

/* ---- ask ---------------------------------------------------------------- */

/* A negative syscall result as the record's error byte (errno, capped). */
static uint8_t ask_errno(long r)
{
    return r >= 0 ? 0 : -r > 255 ? 255 : (uint8_t)-r;
}

/* 0 when the connected peer on fd is the ring's writer (the launcher, which
   also runs the broker), else -EPERM (or getsockopt's error). The pid is the
   listener's, fixed when it called listen(); a header whose writer_pid is not
   the broker's, or a broker squatting on the address, fails here. */
static long ask_peer_check(long fd, const struct trj_ring_header *h)
{
    struct ucred cred;
    socklen_t clen = sizeof cred;
    memset(&cred, 0, sizeof cred);
    long e = trj_sys5(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, (long)&cred, (long)&clen);
    if (e < 0) {
        return e;
    }
    int32_t writer = __atomic_load_n(&h->writer_pid, __ATOMIC_RELAXED);
    return clen == sizeof cred && writer > 0 && cred.pid == writer ? 0 : -EPERM;
}

uint8_t trj_audit_ask(const struct trj_action *a, struct trj_outcome *o, uint32_t timeout_ms)
{
    struct trj_ring_header *h = ring.h;
    uint64_t t0 = trj_ring_now_ns(CLOCK_MONOTONIC);
    o->ask_ms = 0;
    if (!ring_ok) {
        return TRJ_CAUSE_ASK_UNAVAILABLE;
    }
    /* the header is shared with the agent: read the length once, check it, use only that */
    uint32_t addr_len = __atomic_load_n(&h->ask_addr_len, __ATOMIC_RELAXED);
    if (h->ask != TRJ_ASK_BROKER || addr_len == 0 || addr_len > sizeof h->ask_addr) {
        return TRJ_CAUSE_ASK_UNAVAILABLE;
    }
    if (timeout_ms == 0) {
        timeout_ms = 60000;
    }
    /* the record as it stands (decision deny, verdict ask), ring encoding */
    uint32_t len = measure(a, o);
    size_t map_len = ((size_t)len + 4095) & ~(size_t)4095;
    long m = trj_sys6(SYS_mmap, 0, (long)map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m < 0 && m > -4096) {
        return TRJ_CAUSE_ASK_UNAVAILABLE;
    }
    struct sink s = { .buf = (uint8_t *)m, .cap = len };
    emit_fields(&s, a, o);
    fill_header((struct trj_rec *)m, len, o, s.n_fields);

    /* ASK_UNAVAILABLE carries why in error: an errno (ECONNREFUSED: no
       broker; EPERM: the peer is not the launcher) */
    uint8_t cause = TRJ_CAUSE_ASK_UNAVAILABLE;
    long fd = trj_sys3(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        o->error = ask_errno(fd);
    } else {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, h->ask_addr, addr_len);
        long alen = (long)(offsetof(struct sockaddr_un, sun_path) + addr_len);
        long e;
        do {
            e = trj_sys3(SYS_connect, fd, (long)&sa, alen);
        } while (e == -EINTR);
        if (e == 0) {
            e = ask_peer_check(fd, h);
        }
        uint32_t sent = 0;
        while (e == 0 && sent < len) {
            long w = trj_sys6(SYS_sendto, fd, m + sent, len - sent, MSG_NOSIGNAL, 0, 0);
            if (w == -EINTR) {
                continue;
            }
            if (w <= 0) {
                e = w < 0 ? w : -EPIPE;
                break;
            }
            sent += (uint32_t)w;
        }
        while (e == 0) {
            uint64_t now = trj_ring_now_ns(CLOCK_MONOTONIC);
            uint64_t spent = (now - t0) / 1000000u;
            if (spent >= timeout_ms) {
                cause = TRJ_CAUSE_ASK_TIMEOUT;
                break;
            }
            struct pollfd pfd = { .fd = (int)fd, .events = POLLIN };
            struct timespec ts = { .tv_sec = (time_t)((timeout_ms - spent) / 1000u),
                                   .tv_nsec = (long)((timeout_ms - spent) % 1000u) * 1000000L };
            long pr = trj_sys5(SYS_ppoll, (long)&pfd, 1, (long)&ts, 0, 0);
            if (pr == -EINTR || pr == 0) {
                continue;
            }
            if (pr < 0) {
                e = pr;
                break;
            }
            char c = 0;
            long rd = trj_sys6(SYS_recvfrom, fd, (long)&c, 1, 0, 0, 0);
            if (rd == -EINTR) {
                continue;
            }
            cause = rd == 1 && c == 'y' ? TRJ_CAUSE_ASK_ALLOWED
                  : rd >= 0             ? TRJ_CAUSE_ASK_DENIED
                                        : TRJ_CAUSE_ASK_UNAVAILABLE;
            if (rd < 0) {
                e = rd;
            }
            break;
        }
        if (cause == TRJ_CAUSE_ASK_UNAVAILABLE) {
            o->error = ask_errno(e);
        }
        trj_close((int)fd);
    }
    (void)trj_sys2(SYS_munmap, m, (long)map_len);
    o->ask_ms = (uint32_t)((trj_ring_now_ns(CLOCK_MONOTONIC) - t0) / 1000000u);
    return cause;
}
