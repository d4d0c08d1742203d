/*
 * hostmem.c — the names this process resolved, by address.
 *
 * getaddrinfo/gethostbyname* (hooks_net.c) remember every address they
 * returned with the lowercase name that was asked for; connect, bind and
 * send look the peer address up to fill the `host` field. Only answers
 * produced inside this process count: a name is never guessed from an
 * address (no reverse lookup), so `host == "x"` can only be true for an
 * address this process got by resolving "x".
 *
 * A fixed static table, no malloc, no locks (connect is async-signal-safe):
 * HM_SETS sets of HM_WAYS entries; an address hashes to one set and lives in
 * at most one way of it (a new name for the same address overwrites the old
 * one: the most recent answer wins). A new address takes the next way of its
 * set in turn (per-set FIFO eviction), so the table holds at most
 * HM_SETS * HM_WAYS = 512 addresses.
 *
 * Each entry has a sequence counter (seqlock). A writer claims an entry by
 * moving its even counter to odd with a compare-and-swap — if another writer
 * holds it, the writer tries the next way, and after HM_WAYS tries the answer
 * is simply not remembered (a missing host is the fail-closed outcome: an
 * allow rule on `host` does not match). Readers copy the entry with relaxed
 * atomic loads and retry when the counter moved, so a connect never sees a
 * name torn between two writes. A fork in the middle of a write leaves that
 * entry odd in the child: readers skip it and writers pass it by.
 *
 * Declared in hooks_net.c (the only user); to move to trajeckt_preload.h.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "trajeckt_preload.h"

#define HM_SETS 64
#define HM_WAYS 8
#define HM_NAME_MAX 255
#define HM_NAME_WORDS ((HM_NAME_MAX + 1 + 7) / 8)

struct hm_entry {
    uint32_t seq;       /* even: stable; odd: being written; 0: never used */
    uint32_t len;       /* name length, 1..HM_NAME_MAX when used */
    uint64_t stamp;     /* global insertion order (most recent wins) */
    uint64_t ip[2];     /* the address, IPv4 as ::ffff:a.b.c.d */
    uint64_t name[HM_NAME_WORDS];
};

static struct hm_entry table[HM_SETS][HM_WAYS];
static uint32_t next_way[HM_SETS];
static uint64_t clock_;


static unsigned set_of(const uint64_t k[2])
{
    uint64_t h = (k[0] ^ (k[1] * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (unsigned)(h >> 58) % HM_SETS;
}

/* Entry e copied into ip/stamp/name without tearing; 0 if unstable. */
static int read_entry(struct hm_entry *e, uint64_t ip[2], uint64_t *stamp, uint32_t *len,
                      uint64_t *name, int with_name)
{
    for (int tries = 0; tries < 4; tries++) {
        uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
        if (s1 == 0 || (s1 & 1u) != 0) {
            return 0;
        }
        ip[0] = __atomic_load_n(&e->ip[0], __ATOMIC_RELAXED);
        ip[1] = __atomic_load_n(&e->ip[1], __ATOMIC_RELAXED);
        *stamp = __atomic_load_n(&e->stamp, __ATOMIC_RELAXED);
        *len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);
        if (with_name && *len <= HM_NAME_MAX) {
            for (uint32_t w = 0; w < (*len + 7) / 8; w++) {
                name[w] = __atomic_load_n(&e->name[w], __ATOMIC_RELAXED);
            }
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s1) {
            return *len >= 1 && *len <= HM_NAME_MAX;
        }
    }
    return 0;
}

/* The most recent name remembered for ip into out[HM_NAME_MAX + 1]
   (NUL-terminated); its length, or 0 if none. */
size_t trj_hostmem_get(const uint8_t ip[16], char *out)
{
    uint64_t k[2];
    memcpy(k, ip, 16);
    struct hm_entry *set = table[set_of(k)];
    uint64_t best = 0;
    size_t best_len = 0;
    for (int w = 0; w < HM_WAYS; w++) {
        uint64_t eip[2], stamp, name[HM_NAME_WORDS];
        uint32_t len;
        if (!read_entry(&set[w], eip, &stamp, &len, NULL, 0) || eip[0] != k[0] || eip[1] != k[1] ||
            stamp <= best) {
            continue;
        }
        if (!read_entry(&set[w], eip, &stamp, &len, name, 1) || eip[0] != k[0] || eip[1] != k[1]) {
            continue; /* rewritten between the two reads: skip it */
        }
        best = stamp;
        best_len = len;
        memcpy(out, name, len);
        out[len] = '\0';
    }
    return best_len;
}

/* Claim entry e (even → odd). 1 on success. */
static int claim(struct hm_entry *e, uint32_t *seq)
{
    uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
    if ((s & 1u) != 0) {
        return 0;
    }
    if (!__atomic_compare_exchange_n(&e->seq, &s, s + 1u, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return 0;
    }
    __atomic_thread_fence(__ATOMIC_RELEASE); /* odd is visible before the data changes */
    *seq = s + 1u;
    return 1;
}

/* Remember ip → name (already lowercase, 1..255 bytes; longer is ignored). */
void trj_hostmem_put(const uint8_t ip[16], const char *name, size_t len)
{
    if (len == 0 || len > HM_NAME_MAX) {
        return;
    }
    uint64_t k[2];
    memcpy(k, ip, 16);
    unsigned si = set_of(k);
    struct hm_entry *set = table[si];
    int first = -1; /* the way already holding this address, if any */
    for (int w = 0; w < HM_WAYS && first < 0; w++) {
        uint64_t eip[2], stamp;
        uint32_t elen;
        if (read_entry(&set[w], eip, &stamp, &elen, NULL, 0) && eip[0] == k[0] && eip[1] == k[1]) {
            first = w;
        }
    }
    uint64_t words[HM_NAME_WORDS];
    memset(words, 0, sizeof words);
    memcpy(words, name, len);
    uint64_t stamp = __atomic_add_fetch(&clock_, 1, __ATOMIC_RELAXED);
    for (int t = 0; t < HM_WAYS; t++) {
        unsigned w = first >= 0 && t == 0 ? (unsigned)first
                                          : __atomic_fetch_add(&next_way[si], 1u, __ATOMIC_RELAXED) % HM_WAYS;
        struct hm_entry *e = &set[w];
        uint32_t seq;
        if (!claim(e, &seq)) {
            continue;
        }
        __atomic_store_n(&e->ip[0], k[0], __ATOMIC_RELAXED);
        __atomic_store_n(&e->ip[1], k[1], __ATOMIC_RELAXED);
        __atomic_store_n(&e->stamp, stamp, __ATOMIC_RELAXED);
        __atomic_store_n(&e->len, (uint32_t)len, __ATOMIC_RELAXED);
        for (size_t i = 0; i < (len + 7) / 8; i++) {
            __atomic_store_n(&e->name[i], words[i], __ATOMIC_RELAXED);
        }
        __atomic_store_n(&e->seq, seq + 1u, __ATOMIC_RELEASE);
        return;
    }
}
