/*
 * ring_fill.c — publish records into an existing ring with the real producer
 * (ring_producer.c), for the TypeScript tests and the writer benchmark.
 *
 *   ring_fill FD|PATH sample HASHHEX  the fixed records test/audit/records.test.ts expects
 *   ring_fill FD|PATH die             reserve a record, then _exit (a LOST record)
 *   ring_fill FD|PATH flood T N HASHHEX
 *                                     T threads, each a proc.start (proc = thread+1,
 *                                     seq 0) then N file.read records (seq 1..N)
 *
 * Build: cc -std=c11 -O2 -Inative/ring -pthread native/ring/test/ring_fill.c \
 *        native/ring/ring_producer.c -o ring_fill
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trj_ring.h"

static struct trj_ring ring;
static uint8_t policy_hash[32];

struct rb {
    uint8_t buf[8192];
    uint32_t len;
    uint16_t n;
};

static void rb_start(struct rb *b, uint16_t kind, uint32_t proc, uint32_t seq)
{
    struct trj_rec rec;
    memset(&rec, 0, sizeof rec);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rec.pid = getpid();
    rec.time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    rec.proc = proc;
    rec.seq = seq;
    rec.tid = (int32_t)gettid();
    rec.kind = kind;
    rec.decision = 1;
    rec.verdict = 1;
    rec.rule = -1;
    rec.reason = 1; /* default */
    memcpy(b->buf, &rec, sizeof rec);
    b->len = sizeof rec;
    b->n = 0;
}

static struct trj_rec *rb_rec(struct rb *b)
{
    return (struct trj_rec *)(void *)b->buf;
}

static void rb_field(struct rb *b, uint16_t id, uint16_t flags, const void *v, uint32_t len)
{
    struct trj_rec_field f = {.id = id, .flags = flags, .len = len};
    memcpy(b->buf + b->len, &f, sizeof f);
    memcpy(b->buf + b->len + sizeof f, v, len);
    memset(b->buf + b->len + sizeof f + len, 0, TRJ_ALIGN8(len) - len);
    b->len += (uint32_t)(sizeof f + TRJ_ALIGN8(len));
    b->n++;
}

static void rb_str(struct rb *b, uint16_t id, const char *s)
{
    rb_field(b, id, 0, s, (uint32_t)strlen(s));
}

static void rb_int(struct rb *b, uint16_t id, int64_t v)
{
    rb_field(b, id, 0, &v, 8);
}

static int rb_publish(struct rb *b)
{
    rb_rec(b)->n_fields = b->n;
    rb_rec(b)->commit = b->len;
    uint64_t pos;
    int rc = trj_ring_reserve(&ring, b->len, 0, &pos);
    if (rc != 0) {
        fprintf(stderr, "ring_fill: reserve: %s\n", strerror(-rc));
        return rc;
    }
    trj_ring_put(ring.h, pos + 8, b->buf + 8, b->len - 8);
    trj_ring_publish(&ring, pos, b->len);
    return 0;
}

static void proc_start(struct rb *b, uint32_t proc, const char *exe, const char *note)
{
    rb_start(b, TRJ_REC_PROC_START, proc, 0);
    rb_str(b, TRJ_AF_EXE, exe);
    rb_field(b, TRJ_AF_POLICY_HASH, 0, policy_hash, 32);
    rb_int(b, TRJ_AF_PPID, 1);
    rb_str(b, TRJ_AF_NOTE, note);
}

static int sample(void)
{
    struct rb b;
    proc_start(&b, 1, "/usr/bin/python3", "exec");
    if (rb_publish(&b)) return 1;

    /* 1: file.read, path not UTF-8, denied by rule 2 */
    rb_start(&b, 0, 1, 1);
    rb_rec(&b)->decision = 2;
    rb_rec(&b)->verdict = 2;
    rb_rec(&b)->reason = 0;
    rb_rec(&b)->rule = 2;
    rb_rec(&b)->eval_ns = 321;
    rb_field(&b, TRJ_AF_PATH, 0, "/tmp/\xff\xfe", 7);
    rb_str(&b, TRJ_AF_CWD, "/work");
    if (rb_publish(&b)) return 1;

    /* 2: exec with argv, argc and a truncated cmdline, flagged */
    rb_start(&b, 8, 1, 2);
    rb_rec(&b)->flags = TRJ_RECF_FLAGGED;
    rb_str(&b, TRJ_AF_EXE, "/usr/bin/git");
    rb_str(&b, TRJ_AF_ARGV, "git");
    rb_str(&b, TRJ_AF_ARGV, "push");
    rb_field(&b, TRJ_AF_ARGV, 0, "\x80", 1);
    rb_int(&b, TRJ_AF_ARGC, 3);
    rb_field(&b, TRJ_AF_CMDLINE, TRJ_RECF_TRUNCATED, "git push", 8);
    if (rb_publish(&b)) return 1;

    /* 3: net.connect to 10.0.0.8:443 as IPv4-mapped, observed deny by eval error */
    rb_start(&b, 9, 1, 3);
    rb_rec(&b)->decision = 2;
    rb_rec(&b)->verdict = 2;
    rb_rec(&b)->reason = 2;
    rb_rec(&b)->error = 2; /* missing-field */
    rb_rec(&b)->flags = TRJ_RECF_OBSERVED;
    uint8_t ip4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 8};
    rb_field(&b, TRJ_AF_IP, 0, ip4, 16);
    rb_int(&b, TRJ_AF_PORT, 443);
    rb_str(&b, TRJ_AF_FAMILY, "inet");
    rb_str(&b, TRJ_AF_HOST, "pypi.org");
    if (rb_publish(&b)) return 1;

    /* 4: net.connect to 2001:db8::1, unresolvable (errno ENOENT), ask cause */
    rb_start(&b, 9, 1, 4);
    rb_rec(&b)->decision = 2;
    rb_rec(&b)->verdict = 3;
    rb_rec(&b)->cause = 6; /* ask-timeout */
    rb_rec(&b)->ask_ms = 1500;
    rb_rec(&b)->reason = 0;
    rb_rec(&b)->rule = 0;
    uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    rb_field(&b, TRJ_AF_IP, 0, ip6, 16);
    rb_int(&b, TRJ_AF_PORT, 22);
    rb_str(&b, TRJ_AF_FAMILY, "inet6");
    if (rb_publish(&b)) return 1;

    /* 5: file.rename with two paths, nested in a signal handler, from a vfork child */
    rb_start(&b, 4, 1, 5);
    rb_rec(&b)->flags = TRJ_RECF_NESTED | TRJ_RECF_VFORK;
    rb_rec(&b)->cause = 2; /* unresolvable */
    rb_rec(&b)->error = ENOENT;
    rb_rec(&b)->decision = 2;
    rb_str(&b, TRJ_AF_PATH, "/work/a");
    rb_str(&b, TRJ_AF_PATH2, "/work/b");
    return rb_publish(&b) ? 1 : 0;
}

struct flood_arg {
    uint32_t proc;
    uint32_t n;
};

static void *flood_thread(void *a)
{
    struct flood_arg *fa = a;
    struct rb b;
    proc_start(&b, fa->proc, "/usr/bin/bench", "bench");
    if (rb_publish(&b)) return (void *)1;
    char path[64];
    for (uint32_t i = 1; i <= fa->n; i++) {
        rb_start(&b, 0, fa->proc, i);
        int len = snprintf(path, sizeof path, "/work/project/src/module_%u/file_%u.py", fa->proc, i);
        rb_field(&b, TRJ_AF_PATH, 0, path, (uint32_t)len);
        rb_rec(&b)->eval_ns = 150;
        if (rb_publish(&b)) return (void *)1;
    }
    return NULL;
}

static int hexhash(const char *s)
{
    if (strlen(s) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        policy_hash[i] = (uint8_t)v;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ring_fill FD|PATH sample HASH | die | flood T N HASH\n");
        return 2;
    }
    char *end;
    long fdnum = strtol(argv[1], &end, 10);
    int fd = *end == '\0' ? (int)fdnum : open(argv[1], O_RDWR | O_CLOEXEC);
    if (fd < 0 || trj_ring_map(&ring, fd) != 0) {
        fprintf(stderr, "ring_fill: cannot map %s\n", argv[1]);
        return 2;
    }
    if (strcmp(argv[2], "sample") == 0 && argc == 4 && hexhash(argv[3]) == 0) {
        return sample();
    }
    if (strcmp(argv[2], "die") == 0) {
        uint64_t pos;
        int rc = trj_ring_reserve(&ring, 64, 0, &pos);
        _exit(rc == 0 ? 0 : 1);
    }
    if (strcmp(argv[2], "flood") == 0 && argc == 6 && hexhash(argv[5]) == 0) {
        int t = atoi(argv[3]);
        uint32_t n = (uint32_t)strtoul(argv[4], NULL, 10);
        if (t < 1 || t > 64) return 2;
        pthread_t th[64];
        struct flood_arg fa[64];
        for (int i = 0; i < t; i++) {
            fa[i].proc = (uint32_t)i + 1;
            fa[i].n = n;
            pthread_create(&th[i], NULL, flood_thread, &fa[i]);
        }
        int bad = 0;
        for (int i = 0; i < t; i++) {
            void *r;
            pthread_join(th[i], &r);
            bad |= r != NULL;
        }
        return bad;
    }
    fprintf(stderr, "ring_fill: bad arguments\n");
    return 2;
}
