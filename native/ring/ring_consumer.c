/*
 * ring_consumer.c — the consumer half of the audit ring (trj_ring.h): create
 * a ring, copy published records out of it, release the space, beat the
 * heartbeat, close.
 *
 * One consumer per ring: the launcher's writer (trajeckt.node). Everything in
 * the shared mapping may have been scribbled on by the agent, which maps the
 * same file read-write, so this side trusts nothing it reads back from it:
 *   - the data size is the one this process mapped (r->map_len), never
 *     h->data_size;
 *   - every record length, field length and position is checked before use,
 *     and the fields are checked in the private copy (not in the mapping, which
 *     could change between the check and the use);
 *   - anything that does not add up marks the ring BROKEN, after which every
 *     producer denies: a scribbling agent can stop itself, not hide a decision.
 *
 * No malloc, no locks, no stdio; system calls through TRJ_RING_SYSCALL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "trj_ring.h"
#include "ring_sys.h"

/* trj_isa.h trj_decision: the ring code does not include the core's headers */
#define REC_DENY 2u

static uint64_t data_size_of(const struct trj_ring *r)
{
    return r->map_len - TRJ_RING_HEADER_SIZE;
}

/* BROKEN unless already CLOSED or BROKEN. */
static void set_broken(struct trj_ring_header *h)
{
    uint32_t s = __atomic_load_n(&h->writer_state, __ATOMIC_ACQUIRE);
    while (s == TRJ_RING_STARTING || s == TRJ_RING_RUNNING) {
        if (__atomic_compare_exchange_n(&h->writer_state, &s, TRJ_RING_BROKEN, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            break;
        }
    }
}

/* Wake every producer blocked on a full ring (they re-check the state). */
static void wake_all(struct trj_ring_header *h)
{
    __atomic_fetch_add(&h->tail_futex, 1, __ATOMIC_SEQ_CST);
    trj_ring_futex_wake(&h->tail_futex);
}

static int broken(struct trj_ring *r, int err)
{
    set_broken(r->h);
    wake_all(r->h);
    return err;
}

int trj_ring_create(struct trj_ring *r, int fd, uint64_t data_size)
{
    r->h = NULL;
    r->map_len = 0;
    r->fd = -1;
    if (fd < 0) {
        return -EBADF;
    }
    if (data_size < TRJ_RING_MIN_DATA || data_size > TRJ_RING_MAX_DATA || (data_size & (data_size - 1)) != 0) {
        return -EINVAL;
    }
    /* truncate to 0 first: whatever the file held, the data area starts zeroed */
    long e = TRJ_RING_SYSCALL(SYS_ftruncate, fd, 0, 0, 0, 0, 0);
    if (e == 0) {
        e = TRJ_RING_SYSCALL(SYS_ftruncate, fd, TRJ_RING_HEADER_SIZE + data_size, 0, 0, 0, 0);
    }
    if (e < 0) {
        return (int)e;
    }
    struct trj_ring_header hd;
    memset(&hd, 0, sizeof hd);
    hd.magic = TRJ_RING_MAGIC;
    hd.version = TRJ_RING_VERSION;
    hd.header_size = TRJ_RING_HEADER_SIZE;
    hd.mode = TRJ_MODE_ENFORCE;
    hd.data_size = data_size;
    hd.writer_pid = (int32_t)TRJ_RING_SYSCALL(SYS_getpid, 0, 0, 0, 0, 0, 0);
    hd.ask = TRJ_ASK_DENY;
    hd.writer_state = TRJ_RING_STARTING;
    hd.writer_fd = fd;
    long n = TRJ_RING_SYSCALL(SYS_pwrite64, fd, &hd, sizeof hd, 0, 0, 0);
    if (n < 0) {
        return (int)n;
    }
    if ((size_t)n != sizeof hd) {
        return -EIO;
    }
    int rc = trj_ring_map(r, fd);
    if (rc == 0 && r->map_len != TRJ_RING_HEADER_SIZE + data_size) {
        trj_ring_unmap(r);
        return -EINVAL; /* someone rewrote the header between pwrite and mmap */
    }
    r->checked_ns = 0;
    r->stall_pos = 0;
    r->stall_since_ns = 0;
    return rc;
}

/*
 * Check the fields of a record copied to rec (len bytes, len already checked
 * to be a multiple of 8 within [sizeof(struct trj_rec), TRJ_RING_MAX_RECORD]).
 */
static int fields_fit(const uint8_t *rec, uint32_t len)
{
    struct trj_rec hd;
    memcpy(&hd, rec, sizeof hd);
    uint64_t p = sizeof hd;
    for (uint32_t i = 0; i < hd.n_fields; i++) {
        struct trj_rec_field f;
        if (p + sizeof f > len) {
            return 0;
        }
        memcpy(&f, rec + p, sizeof f);
        p += sizeof f;
        if (f.len > len - p) {
            return 0;
        }
        p += TRJ_ALIGN8((uint64_t)f.len);
        if (p > len) {
            return 0;
        }
    }
    return 1;
}

/* trj_ring_get with this process's data size, not the header's (which the
   agent can rewrite) */
static void get_wrapped(const struct trj_ring *r, uint64_t pos, uint8_t *dst, uint64_t len)
{
    const uint64_t ds = data_size_of(r), off = pos & (ds - 1), first = ds - off;
    const uint8_t *data = trj_ring_data(r->h);
    if (first >= len) {
        memcpy(dst, data + off, len);
    } else {
        memcpy(dst, data + off, first);
        memcpy(dst + first, data, len - first);
    }
}

static int len_ok(uint32_t len)
{
    return len >= sizeof(struct trj_rec) && len <= TRJ_RING_MAX_RECORD && (len & 7u) == 0;
}

/* The LOST record that stands in for a record whose producer died writing it. */
static void put_lost(uint8_t *out, int32_t pid)
{
    struct trj_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.commit = sizeof rec;
    rec.pid = pid;
    rec.time_ns = trj_ring_now_ns(CLOCK_REALTIME);
    rec.kind = TRJ_REC_LOST;
    rec.decision = REC_DENY; /* the call never returned: nothing was allowed */
    rec.verdict = REC_DENY;
    rec.rule = -1;
    memcpy(out, &rec, sizeof rec);
}

long trj_ring_read(struct trj_ring *r, uint64_t *cursor, void *out, uint64_t cap)
{
    struct trj_ring_header *h = r->h;
    if (h == NULL) {
        return -EBADF;
    }
    const uint64_t ds = data_size_of(r), mask = ds - 1;
    uint8_t *data = trj_ring_data(h);
    uint8_t *dst = out;
    uint64_t pos = *cursor, copied = 0;
    uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
    if (head < pos || head - pos > ds) {
        return broken(r, -EBADMSG); /* head moved backwards or past the ring */
    }
    while (pos < head) {
        /* commit word and pid: one 64-bit load (8-aligned, never wraps) */
        uint64_t word = __atomic_load_n((uint64_t *)(void *)(data + (pos & mask)), __ATOMIC_ACQUIRE);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        uint32_t commit = (uint32_t)(word >> 32);
        int32_t pid = (int32_t)(uint32_t)word;
#else
        uint32_t commit = (uint32_t)word;
        int32_t pid = (int32_t)(uint32_t)(word >> 32);
#endif
        if (commit == 0) {
            /* reserved, header not yet stored: normal for a moment, fatal if it lasts */
            uint64_t now = trj_ring_now_ns(CLOCK_MONOTONIC);
            if (r->stall_since_ns == 0 || r->stall_pos != pos) {
                r->stall_pos = pos;
                r->stall_since_ns = now;
            } else if (copied == 0 && now - r->stall_since_ns > (uint64_t)TRJ_RING_STALL_MS * 1000000u) {
                return broken(r, -EPIPE);
            }
            break;
        }
        uint32_t len = commit & ~TRJ_REC_PENDING;
        if (!len_ok(len) || len > head - pos) {
            goto corrupt;
        }
        if (commit & TRJ_REC_PENDING) {
            if (pid <= 0) {
                goto corrupt;
            }
            if (TRJ_RING_SYSCALL(SYS_kill, pid, 0, 0, 0, 0, 0) != -ESRCH) {
                break; /* still being written */
            }
            if (cap - copied < sizeof(struct trj_rec)) {
                break;
            }
            /* re-check: the producer may have published just before it exited */
            uint32_t again = __atomic_load_n((uint32_t *)(void *)(data + (pos & mask)), __ATOMIC_ACQUIRE);
            if (again != commit) {
                continue;
            }
            put_lost(dst + copied, pid);
            copied += sizeof(struct trj_rec);
            pos += len;
            r->stall_since_ns = 0;
            continue;
        }
        if (len > cap - copied) {
            if (copied == 0) {
                return -EMSGSIZE; /* cap below TRJ_RING_MAX_RECORD: the caller's mistake */
            }
            break;
        }
        get_wrapped(r, pos, dst + copied, len);
        /* check the copy, not the mapping: the agent could change it meanwhile.
           The copy's commit must still say published with the same length. */
        uint32_t c2;
        memcpy(&c2, dst + copied, sizeof c2);
        if (c2 != len || !fields_fit(dst + copied, len)) {
            goto corrupt;
        }
        copied += len;
        pos += len;
        r->stall_since_ns = 0;
    }
    *cursor = pos;
    return (long)copied;
corrupt:
    /* hand over what came before the bad record; the next call stops at it */
    *cursor = pos;
    return copied != 0 ? (long)copied : broken(r, -EBADMSG);
}

void trj_ring_release(struct trj_ring *r, uint64_t upto)
{
    struct trj_ring_header *h = r->h;
    if (h == NULL) {
        return;
    }
    const uint64_t ds = data_size_of(r), mask = ds - 1;
    uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
    if (upto == tail) {
        return;
    }
    if (upto < tail || upto - tail > ds) {
        (void)broken(r, 0); /* tail was scribbled on: only the consumer writes it */
        return;
    }
    /* zero [tail, upto) so a reused span starts with commit words of 0 */
    uint64_t n = upto - tail, off = tail & mask, first = ds - off;
    uint8_t *data = trj_ring_data(h);
    if (first >= n) {
        memset(data + off, 0, n);
    } else {
        memset(data + off, 0, first);
        memset(data, 0, n - first);
    }
    /* seq_cst store, then the waiters load: pairs with the producer's
       waiters++ then tail load, so one of the two sides sees the other */
    __atomic_store_n(&h->tail, upto, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&h->tail_futex, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&h->waiters, __ATOMIC_SEQ_CST) != 0) {
        trj_ring_futex_wake(&h->tail_futex);
    }
}

void trj_ring_beat(struct trj_ring *r)
{
    struct trj_ring_header *h = r->h;
    if (h == NULL) {
        return;
    }
    __atomic_store_n(&h->heartbeat_ns, trj_ring_now_ns(CLOCK_MONOTONIC), __ATOMIC_RELEASE);
    /* STARTING -> RUNNING only: a CLOSED or BROKEN ring stays so */
    uint32_t s = TRJ_RING_STARTING;
    (void)__atomic_compare_exchange_n(&h->writer_state, &s, TRJ_RING_RUNNING, 0, __ATOMIC_ACQ_REL,
                                      __ATOMIC_ACQUIRE);
}

void trj_ring_close(struct trj_ring *r)
{
    struct trj_ring_header *h = r->h;
    if (h == NULL) {
        return;
    }
    uint32_t s = __atomic_load_n(&h->writer_state, __ATOMIC_ACQUIRE);
    while (s == TRJ_RING_STARTING || s == TRJ_RING_RUNNING) {
        if (__atomic_compare_exchange_n(&h->writer_state, &s, TRJ_RING_CLOSED, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            break;
        }
    }
    wake_all(h);
}
