/*
 * ring_stress.c — the audit ring (native/ring) under load and under abuse.
 *
 *   stress    a 64 KiB ring; 8 threads and 2 forked processes each publish
 *             20k records of varying size (some wrap the ring end) while one
 *             consumer thread drains: every record arrives exactly once, in
 *             its producer's order, byte for byte; the ring was full at times
 *             (backpressure) and nothing was dropped.
 *   lost      a child reserves (PENDING + its pid) and _exits: the consumer
 *             hands over a TRJ_REC_LOST record carrying that pid and goes on.
 *   corrupt   a bad length, a field running past its record, a head moved
 *             past the ring: -EBADMSG and writer_state BROKEN.
 *   stall     a zero commit word below head for longer than TRJ_RING_STALL_MS:
 *             -EPIPE and BROKEN.
 *   closed    after trj_ring_close a producer's reserve returns -EPIPE, and a
 *             producer blocked on a full ring wakes with -EPIPE.
 *
 * Build and run (from the repository root): make -C native/ring/test
 * (plain -O2, then ASan+UBSan). Prints "N passed, M failed"; exit 1 on any
 * failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trj_ring.h"

#define N_THREADS 8
#define N_CHILDREN 2
#define N_PRODUCERS (N_THREADS + N_CHILDREN)
#define PER_PRODUCER 20000u
#define DATA_SIZE (64u << 10)
#define BIG_FIELD 20000u

static int passed, failed;

#define CHECK(cond, ...)                                             \
    do {                                                             \
        if (cond) {                                                  \
            passed++;                                                \
        } else {                                                     \
            failed++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);     \
            fprintf(stderr, __VA_ARGS__);                            \
            fputc('\n', stderr);                                     \
        }                                                            \
    } while (0)

/* counters shared with the forked producers */
struct shared {
    uint64_t full;      /* nonblocking reserves that found the ring full */
    uint64_t errors;    /* producer-side failures */
};
static struct shared *sh;

static int new_ring(struct trj_ring *r)
{
    int fd = memfd_create("ring-test", 0);
    if (fd < 0) {
        perror("memfd_create");
        exit(2);
    }
    int rc = trj_ring_create(r, fd, DATA_SIZE);
    if (rc != 0) {
        fprintf(stderr, "trj_ring_create: %s\n", strerror(-rc));
        exit(2);
    }
    return fd;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* the field length of record seq of producer p: mostly small, sometimes big */
static uint32_t field_len(uint32_t p, uint32_t seq)
{
    uint64_t x = mix(((uint64_t)p << 32) | seq);
    return (x & 63) == 0 ? BIG_FIELD - (uint32_t)(x >> 40) % 64 : (uint32_t)(x >> 8) % 700;
}

static uint8_t field_byte(uint32_t p, uint32_t seq, uint32_t i)
{
    return (uint8_t)(mix(((uint64_t)p << 48) ^ ((uint64_t)seq << 20) ^ i) >> 7);
}

/* Build record seq of producer p in buf; its length. */
static uint32_t build(uint8_t *buf, uint32_t p, uint32_t seq)
{
    uint32_t flen = field_len(p, seq);
    uint32_t len = (uint32_t)(sizeof(struct trj_rec) + sizeof(struct trj_rec_field) + TRJ_ALIGN8(flen));
    struct trj_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.commit = len;
    rec.pid = getpid();
    rec.proc = p;
    rec.seq = seq;
    rec.kind = 0;
    rec.decision = 1;
    rec.verdict = 1;
    rec.rule = (int32_t)(seq % 7) - 1;
    rec.n_fields = 1;
    memcpy(buf, &rec, sizeof rec);
    struct trj_rec_field f = {.id = TRJ_AF_PATH, .flags = 0, .len = flen};
    memcpy(buf + sizeof rec, &f, sizeof f);
    uint8_t *v = buf + sizeof rec + sizeof f;
    for (uint32_t i = 0; i < flen; i++) {
        v[i] = field_byte(p, seq, i);
    }
    memset(v + flen, 0, TRJ_ALIGN8(flen) - flen);
    return len;
}

static void produce(struct trj_ring *r, uint32_t p)
{
    uint8_t *buf = malloc(BIG_FIELD + 256);
    if (buf == NULL) {
        abort();
    }
    for (uint32_t seq = 0; seq < PER_PRODUCER; seq++) {
        uint32_t len = build(buf, p, seq);
        uint64_t pos;
        int rc = trj_ring_reserve(r, len, 1, &pos);
        if (rc == -EAGAIN) {
            __atomic_fetch_add(&sh->full, 1, __ATOMIC_RELAXED);
            rc = trj_ring_reserve(r, len, 0, &pos);
        }
        if (rc != 0) {
            __atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
            fprintf(stderr, "producer %u: reserve: %s\n", p, strerror(-rc));
            break;
        }
        trj_ring_put(r->h, pos + 8, buf + 8, len - 8);
        trj_ring_publish(r, pos, len);
    }
    free(buf);
}

struct producer_arg {
    struct trj_ring *r;
    uint32_t p;
};

static void *producer_thread(void *a)
{
    struct producer_arg *pa = a;
    produce(pa->r, pa->p);
    return NULL;
}

struct consumer_arg {
    struct trj_ring *r;
    uint64_t total;
    uint64_t bad;      /* records out of order, duplicated or altered */
    uint64_t other;    /* reads that failed */
    uint32_t next[N_PRODUCERS + 1];
};

static void *consumer_thread(void *a)
{
    struct consumer_arg *ca = a;
    const uint64_t want = (uint64_t)N_PRODUCERS * PER_PRODUCER;
    uint64_t cursor = 0;
    uint8_t *out = malloc(1u << 20);
    if (out == NULL) {
        abort();
    }
    unsigned idle = 0;
    while (ca->total < want && ca->other == 0) {
        trj_ring_beat(ca->r);
        long n = trj_ring_read(ca->r, &cursor, out, 1u << 20);
        if (n < 0) {
            fprintf(stderr, "consumer: read: %s\n", strerror((int)-n));
            ca->other++;
            break;
        }
        if (n == 0) {
            if (++idle > 20000000u) {
                fprintf(stderr, "consumer: no progress at %llu records\n", (unsigned long long)ca->total);
                ca->other++;
                break;
            }
            continue;
        }
        idle = 0;
        for (long off = 0; off < n;) {
            struct trj_rec rec;
            memcpy(&rec, out + off, sizeof rec);
            struct trj_rec_field f;
            memcpy(&f, out + off + sizeof rec, sizeof f);
            uint32_t p = rec.proc;
            if (p < 1 || p > N_PRODUCERS || rec.seq != ca->next[p] || rec.n_fields != 1 ||
                f.len != field_len(p, rec.seq)) {
                if (ca->bad++ < 5) {
                    fprintf(stderr, "consumer: record proc %u seq %u (want %u)\n", p, rec.seq,
                            p >= 1 && p <= N_PRODUCERS ? ca->next[p] : 0);
                }
            } else {
                const uint8_t *v = out + off + sizeof rec + sizeof f;
                for (uint32_t i = 0; i < f.len; i++) {
                    if (v[i] != field_byte(p, rec.seq, i)) {
                        ca->bad++;
                        break;
                    }
                }
                ca->next[p]++;
            }
            ca->total++;
            off += rec.commit;
        }
        /* a slow writer now and then, so producers meet a full ring */
        if ((ca->total & 1023) < 8) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
        trj_ring_release(ca->r, cursor);
    }
    free(out);
    return NULL;
}

static void test_stress(void)
{
    struct trj_ring r;
    int fd = new_ring(&r);
    pid_t kids[N_CHILDREN];
    /* fork before any thread exists: the children publish into the same ring */
    for (int i = 0; i < N_CHILDREN; i++) {
        kids[i] = fork();
        if (kids[i] < 0) {
            perror("fork");
            exit(2);
        }
        if (kids[i] == 0) {
            struct trj_ring cr;
            int rc = trj_ring_map(&cr, fd);
            if (rc != 0) {
                _exit(3);
            }
            produce(&cr, (uint32_t)(N_THREADS + 1 + i));
            trj_ring_unmap(&cr);
            _exit(0);
        }
    }
    struct consumer_arg ca;
    memset(&ca, 0, sizeof ca);
    ca.r = &r;
    pthread_t ct, pt[N_THREADS];
    struct producer_arg pa[N_THREADS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_create(&ct, NULL, consumer_thread, &ca);
    for (int i = 0; i < N_THREADS; i++) {
        pa[i].r = &r;
        pa[i].p = (uint32_t)(i + 1);
        pthread_create(&pt[i], NULL, producer_thread, &pa[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(pt[i], NULL);
    }
    for (int i = 0; i < N_CHILDREN; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d exited with status 0x%x", i, st);
    }
    pthread_join(ct, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    const uint64_t want = (uint64_t)N_PRODUCERS * PER_PRODUCER;
    CHECK(ca.other == 0, "consumer read failures: %llu", (unsigned long long)ca.other);
    CHECK(ca.total == want, "received %llu records, want %llu", (unsigned long long)ca.total, (unsigned long long)want);
    CHECK(ca.bad == 0, "%llu records out of order, duplicated or altered", (unsigned long long)ca.bad);
    for (uint32_t p = 1; p <= N_PRODUCERS; p++) {
        CHECK(ca.next[p] == PER_PRODUCER, "producer %u: %u records in order, want %u", p, ca.next[p], PER_PRODUCER);
    }
    CHECK(sh->errors == 0, "producer errors: %llu", (unsigned long long)sh->errors);
    CHECK(sh->full > 0, "the ring was never full: no backpressure exercised");
    uint64_t head = __atomic_load_n(&r.h->head, __ATOMIC_ACQUIRE);
    CHECK(r.h->tail == head, "everything released: tail %llu head %llu", (unsigned long long)r.h->tail,
          (unsigned long long)head);
    CHECK(r.h->writer_state == TRJ_RING_RUNNING, "state RUNNING after the stress, got %u", r.h->writer_state);
    fprintf(stderr, "stress: %llu records in %.3f s (%.0f records/s), %llu full-ring waits, %llu bytes through the ring\n",
            (unsigned long long)ca.total, secs, (double)ca.total / secs, (unsigned long long)sh->full,
            (unsigned long long)head);
    trj_ring_unmap(&r);
    close(fd);
}

/* read everything that is ready into out; bytes or -errno */
static long drain(struct trj_ring *r, uint64_t *cursor, uint8_t *out, uint64_t cap)
{
    trj_ring_beat(r);
    return trj_ring_read(r, cursor, out, cap);
}

static void publish_one(struct trj_ring *r, uint32_t p, uint32_t seq)
{
    uint8_t buf[BIG_FIELD + 256];
    uint32_t len = build(buf, p, seq);
    uint64_t pos;
    int rc = trj_ring_reserve(r, len, 1, &pos);
    CHECK(rc == 0, "reserve: %d", rc);
    if (rc == 0) {
        trj_ring_put(r->h, pos + 8, buf + 8, len - 8);
        trj_ring_publish(r, pos, len);
    }
}

static void test_lost(void)
{
    struct trj_ring r;
    int fd = new_ring(&r);
    static uint8_t out[1u << 20];
    uint64_t cursor = 0;
    trj_ring_beat(&r);
    publish_one(&r, 1, 0);
    pid_t kid = fork();
    if (kid == 0) {
        uint64_t pos;
        /* reserve stores PENDING|len and the pid; then the process dies */
        int rc = trj_ring_reserve(&r, 1024, 0, &pos);
        _exit(rc == 0 ? 0 : 4);
    }
    int st = 0;
    waitpid(kid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the dying child reserved");
    publish_one(&r, 1, 1);
    long n = drain(&r, &cursor, out, sizeof out);
    CHECK(n > 0, "read after a lost record: %ld", n);
    int seen_lost = 0, seen_after = 0;
    for (long off = 0; n > 0 && off < n;) {
        struct trj_rec rec;
        memcpy(&rec, out + off, sizeof rec);
        if (rec.kind == TRJ_REC_LOST) {
            seen_lost++;
            CHECK(rec.pid == kid, "LOST record names the dead pid %d, got %d", kid, rec.pid);
            CHECK(rec.commit == sizeof rec && rec.n_fields == 0, "LOST record is header only");
        } else if (rec.proc == 1 && rec.seq == 1) {
            seen_after = 1;
        }
        off += rec.commit;
    }
    CHECK(seen_lost == 1, "one LOST record, got %d", seen_lost);
    CHECK(seen_after == 1, "the record after the lost one arrives");
    CHECK(cursor == __atomic_load_n(&r.h->head, __ATOMIC_ACQUIRE), "cursor reached head");
    trj_ring_release(&r, cursor);
    CHECK(r.h->writer_state == TRJ_RING_RUNNING, "a lost record does not break the ring");

    /* a PENDING record of a live process is waited for, not skipped */
    uint64_t pos;
    CHECK(trj_ring_reserve(&r, 64, 1, &pos) == 0, "reserve");
    n = drain(&r, &cursor, out, sizeof out);
    CHECK(n == 0, "a pending record of a live pid is not read yet: %ld", n);
    uint8_t body[56];
    memset(body, 0, sizeof body);
    trj_ring_put(r.h, pos + 8, body + 8, sizeof body - 8);
    trj_ring_publish(&r, pos, 64);
    n = drain(&r, &cursor, out, sizeof out);
    CHECK(n == 64, "published now: %ld", n);
    trj_ring_unmap(&r);
    close(fd);
}

static void test_corrupt(void)
{
    static uint8_t out[1u << 20];
    struct {
        const char *what;
        uint32_t commit;
        uint32_t n_fields;
        uint32_t field_len;
    } cases[] = {
        {"length not a multiple of 8", 61, 0, 0},
        {"length below the record header", 48, 0, 0},
        {"length above TRJ_RING_MAX_RECORD", TRJ_RING_MAX_RECORD + 8, 0, 0},
        {"length past head", 128, 0, 0},
        {"field runs past the record", 72, 1, 100},
        {"field header past the record", 64, 2, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct trj_ring r;
        int fd = new_ring(&r);
        uint64_t cursor = 0, pos;
        publish_one(&r, 1, 0);
        uint32_t len = cases[i].commit == 128 ? 64 : 72; /* what is reserved */
        CHECK(trj_ring_reserve(&r, len, 1, &pos) == 0, "reserve");
        struct trj_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.commit = cases[i].commit;
        rec.pid = getpid();
        rec.n_fields = (uint16_t)cases[i].n_fields;
        struct trj_rec_field f = {.id = TRJ_AF_PATH, .flags = 0, .len = cases[i].field_len};
        trj_ring_put(r.h, pos + 8, (uint8_t *)&rec + 8, sizeof rec - 8);
        trj_ring_put(r.h, pos + sizeof rec, &f, sizeof f);
        __atomic_store_n((uint32_t *)(void *)(trj_ring_data(r.h) + (pos & (DATA_SIZE - 1))), cases[i].commit,
                         __ATOMIC_RELEASE);
        long n = drain(&r, &cursor, out, sizeof out);
        CHECK(n > 0, "%s: the good record before it is handed over (%ld)", cases[i].what, n);
        n = drain(&r, &cursor, out, sizeof out);
        CHECK(n == -EBADMSG, "%s: -EBADMSG, got %ld", cases[i].what, n);
        CHECK(r.h->writer_state == TRJ_RING_BROKEN, "%s: BROKEN, got %u", cases[i].what, r.h->writer_state);
        CHECK(trj_ring_reserve(&r, 64, 1, &pos) == -EPIPE, "%s: producers denied after BROKEN", cases[i].what);
        trj_ring_unmap(&r);
        close(fd);
    }

    /* a head moved past the ring, and a scribbled data_size the consumer ignores */
    struct trj_ring r;
    int fd = new_ring(&r);
    uint64_t cursor = 0;
    publish_one(&r, 1, 0);
    r.h->data_size = 1ull << 40; /* the consumer reads with the size it mapped */
    long n = drain(&r, &cursor, out, sizeof out);
    CHECK(n > 0, "a scribbled data_size does not stop the consumer: %ld", n);
    r.h->head = cursor + DATA_SIZE + 8;
    n = drain(&r, &cursor, out, sizeof out);
    CHECK(n == -EBADMSG, "head past the ring: -EBADMSG, got %ld", n);
    CHECK(r.h->writer_state == TRJ_RING_BROKEN, "head past the ring: BROKEN");
    r.h->data_size = DATA_SIZE;
    trj_ring_unmap(&r);
    close(fd);
}

static void test_stall(void)
{
    static uint8_t out[1u << 20];
    struct trj_ring r;
    int fd = new_ring(&r);
    uint64_t cursor = 0;
    trj_ring_beat(&r);
    /* a reservation whose commit word was never stored (producer killed between
       the CAS and the store): head moves, the word stays 0 */
    __atomic_fetch_add(&r.h->head, 64, __ATOMIC_ACQ_REL);
    long n = drain(&r, &cursor, out, sizeof out);
    CHECK(n == 0, "a fresh zero commit word is waited for: %ld", n);
    CHECK(r.h->writer_state == TRJ_RING_RUNNING, "not broken yet");
    /* pretend the stall started TRJ_RING_STALL_MS + 1 s ago */
    r.stall_since_ns -= ((uint64_t)TRJ_RING_STALL_MS + 1000u) * 1000000u;
    n = drain(&r, &cursor, out, sizeof out);
    CHECK(n == -EPIPE, "a lasting zero commit word: -EPIPE, got %ld", n);
    CHECK(r.h->writer_state == TRJ_RING_BROKEN, "stalled ring is BROKEN");
    trj_ring_unmap(&r);
    close(fd);
}

struct blocked_arg {
    struct trj_ring *r;
    int rc;
};

static void *blocked_producer(void *a)
{
    struct blocked_arg *ba = a;
    uint64_t pos;
    ba->rc = trj_ring_reserve(ba->r, 4096, 0, &pos);
    return NULL;
}

static void test_closed(void)
{
    struct trj_ring r;
    int fd = new_ring(&r);
    trj_ring_beat(&r);
    uint64_t pos;
    /* fill the ring with no one reading */
    int rc;
    while ((rc = trj_ring_reserve(&r, 4096, 1, &pos)) == 0) {
        uint8_t body[4096];
        memset(body, 0, sizeof body);
        trj_ring_put(r.h, pos + 8, body + 8, sizeof body - 8);
        trj_ring_publish(&r, pos, 4096);
    }
    CHECK(rc == -EAGAIN, "a full ring: -EAGAIN for a nonblocking reserve, got %d", rc);
    struct blocked_arg ba = {&r, 1};
    pthread_t t;
    pthread_create(&t, NULL, blocked_producer, &ba);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    CHECK(__atomic_load_n(&ba.rc, __ATOMIC_ACQUIRE) == 1, "a blocking reserve waits on a full ring");
    trj_ring_close(&r);
    pthread_join(t, NULL);
    CHECK(ba.rc == -EPIPE, "the blocked producer wakes with -EPIPE, got %d", ba.rc);
    CHECK(r.h->writer_state == TRJ_RING_CLOSED, "state CLOSED");
    CHECK(trj_ring_reserve(&r, 64, 0, &pos) == -EPIPE, "reserve after close: -EPIPE");
    trj_ring_beat(&r);
    CHECK(r.h->writer_state == TRJ_RING_CLOSED, "a beat does not reopen a closed ring");
    trj_ring_unmap(&r);
    close(fd);

    /* create rejects what the header forbids */
    struct trj_ring r2;
    int fd2 = memfd_create("ring-test", 0);
    CHECK(trj_ring_create(&r2, fd2, 3u << 16) == -EINVAL, "data size not a power of two");
    CHECK(trj_ring_create(&r2, fd2, 32u << 10) == -EINVAL, "data size below the minimum");
    CHECK(trj_ring_create(&r2, -1, DATA_SIZE) == -EBADF, "bad fd");
    close(fd2);
}

int main(void)
{
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    test_stress();
    test_lost();
    test_corrupt();
    test_stall();
    test_closed();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
