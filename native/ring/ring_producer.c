/*
 * ring_producer.c — the producer half of the audit ring (trj_ring.h): map and
 * validate a ring, reserve space (blocking while it is full, never dropping),
 * publish, and judge whether the writer is still there to read it.
 *
 * Built into libtrajeckt.so with -DTRJ_RING_RAW (raw syscalls, see
 * ring_sys.h). No malloc, no locks, no stdio: every function here may run
 * inside a hook, in a signal handler, or in a vfork child.
 *
 * The pid stored beside the PENDING commit word is TRJ_RING_PID(): the
 * preload's per-record pid (right in a vfork child, where getpid() differs
 * from the parent's cached value), or getpid() elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "trj_ring.h"
#include "ring_sys.h"

#ifdef TRJ_RING_RAW
int32_t trj_ring_producer_pid(void); /* audit.c */
#define TRJ_RING_PID() trj_ring_producer_pid()
#else
#define TRJ_RING_PID() ((int32_t)TRJ_RING_SYSCALL(SYS_getpid, 0, 0, 0, 0, 0, 0))
#endif

#define WAIT_SLICE_MS 100u
/* Liveness is judged in seconds: the coarse clock (a vDSO read of the last
   tick, a few ns) is precise enough and spares the hot path a full read. */
#define LIVENESS_CLOCK CLOCK_MONOTONIC_COARSE

int trj_ring_map(struct trj_ring *r, int fd)
{
    r->h = NULL;
    r->map_len = 0;
    r->fd = -1;
    r->checked_ns = 0;
    r->stall_pos = 0;
    r->stall_since_ns = 0;
    if (fd < 0) {
        return -EBADF;
    }
    struct stat st;
    long e = TRJ_RING_SYSCALL(SYS_fstat, fd, &st, 0, 0, 0, 0);
    if (e < 0) {
        return (int)e;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < TRJ_RING_HEADER_SIZE + TRJ_RING_MIN_DATA) {
        return -EINVAL;
    }
    struct trj_ring_header hd;
    long n = TRJ_RING_SYSCALL(SYS_pread64, fd, &hd, sizeof hd, 0, 0, 0);
    if (n < 0) {
        return (int)n;
    }
    if ((size_t)n != sizeof hd) {
        return -EINVAL;
    }
    uint64_t ds = hd.data_size;
    if (hd.magic != TRJ_RING_MAGIC || hd.version != TRJ_RING_VERSION ||
        hd.header_size != TRJ_RING_HEADER_SIZE || ds < TRJ_RING_MIN_DATA || ds > TRJ_RING_MAX_DATA ||
        (ds & (ds - 1)) != 0 || (uint64_t)st.st_size < TRJ_RING_HEADER_SIZE + ds ||
        hd.ask_addr_len > sizeof hd.ask_addr) {
        return -EINVAL;
    }
    uint64_t len = TRJ_RING_HEADER_SIZE + ds;
    long m = TRJ_RING_SYSCALL(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m < 0 && m > -4096) {
        return (int)m;
    }
    struct trj_ring_header *h = (struct trj_ring_header *)m;
    /* the file could have been rewritten between pread and mmap: check again
       what the positions below rely on */
    if (h->magic != TRJ_RING_MAGIC || h->data_size != ds || h->header_size != TRJ_RING_HEADER_SIZE) {
        (void)TRJ_RING_SYSCALL(SYS_munmap, m, len, 0, 0, 0, 0);
        return -EINVAL;
    }
    r->h = h;
    r->map_len = len;
    r->fd = fd;
    return 0;
}

void trj_ring_unmap(struct trj_ring *r)
{
    if (r->h != NULL) {
        (void)TRJ_RING_SYSCALL(SYS_munmap, r->h, r->map_len, 0, 0, 0, 0);
    }
    r->h = NULL;
    r->map_len = 0;
}

/* Mark the ring BROKEN unless the writer already said CLOSED or BROKEN. */
static void mark_broken(struct trj_ring_header *h)
{
    uint32_t s = __atomic_load_n(&h->writer_state, __ATOMIC_ACQUIRE);
    while (s == TRJ_RING_STARTING || s == TRJ_RING_RUNNING) {
        if (__atomic_compare_exchange_n(&h->writer_state, &s, TRJ_RING_BROKEN, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            break;
        }
    }
}

int trj_ring_writer_alive(struct trj_ring *r, uint64_t now_ns)
{
    struct trj_ring_header *h = r->h;
    if (h == NULL) {
        return 0;
    }
    uint32_t s = __atomic_load_n(&h->writer_state, __ATOMIC_ACQUIRE);
    if (s != TRJ_RING_RUNNING && s != TRJ_RING_STARTING) {
        return 0;
    }
    const uint64_t stale = (uint64_t)TRJ_RING_STALE_MS * 1000000u;
    uint64_t beat = __atomic_load_n(&h->heartbeat_ns, __ATOMIC_ACQUIRE);
    if (beat != 0 && (now_ns < beat || now_ns - beat <= stale)) {
        return 1; /* fresh heartbeat (now may lag it by a coarse tick): no syscall */
    }
    /* stale (or never beaten): ask the kernel, at most once per STALE_MS */
    uint64_t last = __atomic_load_n(&r->checked_ns, __ATOMIC_RELAXED);
    if (last != 0 && now_ns >= last && now_ns - last < stale) {
        return 1;
    }
    __atomic_store_n(&r->checked_ns, now_ns, __ATOMIC_RELAXED);
    int32_t pid = h->writer_pid;
    long e = pid > 0 ? TRJ_RING_SYSCALL(SYS_kill, pid, 0, 0, 0, 0, 0) : -ESRCH;
    if (e == -ESRCH) {
        mark_broken(h);
        return 0;
    }
    return 1; /* 0 or -EPERM: the process exists */
}

int trj_ring_reserve(struct trj_ring *r, uint32_t len, int nonblocking, uint64_t *pos)
{
    struct trj_ring_header *h = r->h;
    if (h == NULL) {
        return -EPIPE;
    }
    if (len < sizeof(struct trj_rec) || len > TRJ_RING_MAX_RECORD || (len & 7u) != 0 ||
        (uint64_t)len > h->data_size) {
        return -EINVAL;
    }
    if (!trj_ring_writer_alive(r, trj_ring_now_ns(LIVENESS_CLOCK))) {
        return -EPIPE;
    }
    uint64_t head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
        if (head - tail + len <= h->data_size) {
            if (__atomic_compare_exchange_n(&h->head, &head, head + len, 1, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                break;
            }
            continue; /* head was reloaded by the failed CAS */
        }
        /* full: wait for the consumer, holding no reservation */
        if (nonblocking) {
            return -EAGAIN;
        }
        uint32_t fut = __atomic_load_n(&h->tail_futex, __ATOMIC_ACQUIRE);
        __atomic_fetch_add(&h->waiters, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&h->tail, __ATOMIC_SEQ_CST) == tail) {
            (void)trj_ring_futex_wait(&h->tail_futex, fut, WAIT_SLICE_MS);
        }
        __atomic_fetch_sub(&h->waiters, 1, __ATOMIC_SEQ_CST);
        if (!trj_ring_writer_alive(r, trj_ring_now_ns(LIVENESS_CLOCK))) {
            return -EPIPE;
        }
        head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
    }
    /* one 64-bit store: commit = PENDING|len (low word), pid (high word) */
    uint64_t commit = TRJ_REC_PENDING | len, pid = (uint32_t)TRJ_RING_PID();
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint64_t word = commit << 32 | pid;
#else
    uint64_t word = pid << 32 | commit;
#endif
    __atomic_store_n((uint64_t *)(void *)(trj_ring_data(h) + (head & (h->data_size - 1))), word,
                     __ATOMIC_RELEASE);
    *pos = head;
    return 0;
}

void trj_ring_publish(struct trj_ring *r, uint64_t pos, uint32_t len)
{
    struct trj_ring_header *h = r->h;
    uint32_t *commit = (uint32_t *)(void *)(trj_ring_data(h) + (pos & (h->data_size - 1)));
    __atomic_store_n(commit, len, __ATOMIC_RELEASE);
}
