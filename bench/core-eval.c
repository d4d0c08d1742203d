/*
 * core-eval — pure decision cost of the C core, no Node, no syscalls in the loop.
 *
 *   core-eval <policy.trjb> <actions.txt> <iterations>           time decisions
 *   core-eval <policy.trjb> <actions.txt> <iterations> --count   for callgrind
 *
 * actions.txt: one action per line, "kind<TAB>field=value<TAB>field=value...";
 * each value is converted by the type of the policy's field of that name
 * (str: the bytes as written, int: decimal, ip: IPv4 or IPv6 text). Fields the
 * policy does not use are ignored, as a host would.
 *
 * Timing mode. `iterations` decisions, round-robin over the actions, after a
 * warm-up of iterations/10. Every call is timed on its own with CLOCK_MONOTONIC
 * (vDSO, no syscall); right after each call the timer pair itself is timed the
 * same way, and the median of those empty pairs is subtracted from the
 * percentiles. Also: whole passes over the mix timed as one (median pass / calls
 * per pass: little timer cost, robust to preemption), per-action percentiles and decisions, and
 * trj_load (verify + load) time, repeated, and how much of it SHA-256 of the
 * same bytes takes. JSON on stdout.
 *
 * Count mode (--count). No clocks: for each action in turn, `iterations`
 * decisions of that action, then (when built with valgrind's callgrind.h) a
 * CALLGRIND_DUMP_STATS_AT request, so callgrind writes one dump per action.
 * Run it under `valgrind --tool=callgrind` with N and with 0 iterations:
 * (dump_N - dump_0) / N is the instruction count of one decision of that
 * action, loop overhead (a few instructions) included.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sha256.h"
#include "trj.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define HAVE_CALLGRIND 0
#endif

#define MAX_ACTIONS 256

typedef struct {
    uint32_t kind;
    trj_value values[TRJ_MAX_SLOTS];
} action;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    ((char *)buf)[n] = 0;
    *len = (size_t)n;
    return buf;
}

static uint64_t pct(const uint64_t *s, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1));
    return s[i];
}

static long long minus(uint64_t v, uint64_t t)
{
    return (long long)v - (long long)t;
}

/* Parse one "kind\tf=v\t..." line (modified in place) into *a. 0 ok, -1 skip. */
static int parse_action(const trj_policy *p, char *line, action *a)
{
    memset(a, 0, sizeof *a);
    char *save;
    char *kind = strtok_r(line, "\t", &save);
    int k = kind ? trj_kind_by_name(kind, strlen(kind)) : -1;
    if (k < 0)
        return -1;
    a->kind = (uint32_t)k;
    for (char *kv = strtok_r(NULL, "\t", &save); kv; kv = strtok_r(NULL, "\t", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        int slot = trj_slot_by_name(p, kv, (size_t)(eq - kv));
        if (slot < 0)
            continue;
        const char *v = eq + 1;
        trj_value *val = &a->values[slot];
        switch (p->fields[slot].type) {
        case TRJ_T_INT: {
            char *end;
            long long i = strtoll(v, &end, 10);
            if (*end != 0 || end == v) {
                fprintf(stderr, "core-eval: %.*s: not an integer: %s\n", (int)(eq - kv), kv, v);
                exit(2);
            }
            val->type = TRJ_V_INT;
            val->u.i = i;
            break;
        }
        case TRJ_T_IP: {
            struct in_addr a4;
            if (inet_pton(AF_INET, v, &a4) == 1) {
                memset(val->u.ip, 0, 10);
                val->u.ip[10] = 0xff;
                val->u.ip[11] = 0xff;
                memcpy(val->u.ip + 12, &a4, 4);
            } else if (inet_pton(AF_INET6, v, val->u.ip) != 1) {
                fprintf(stderr, "core-eval: %.*s: not an address: %s\n", (int)(eq - kv), kv, v);
                exit(2);
            }
            val->type = TRJ_V_IP;
            break;
        }
        default:
            val->type = TRJ_V_BYTES;
            val->u.bytes = (const uint8_t *)v;
            val->len = (uint32_t)strlen(v);
        }
    }
    return 0;
}

static int count_mode(const trj_policy *p, const action *acts, size_t n_acts, long iters)
{
    trj_result r;
    volatile uint32_t sink = 0;
    for (size_t j = 0; j < n_acts; j++) {
        for (long i = 0; i < iters; i++)
            sink += trj_eval(p, acts[j].kind, acts[j].values, TRJ_MAX_SLOTS, &r);
#if HAVE_CALLGRIND
        char name[32];
        snprintf(name, sizeof name, "action-%zu", j);
        CALLGRIND_DUMP_STATS_AT(name);
#endif
    }
    printf("{\"mode\":\"count\",\"iterations\":%ld,\"actions\":%zu,\"dumps\":%d}\n", iters, n_acts, HAVE_CALLGRIND);
    return sink == 0xdeadbeef;
}

int main(int argc, char **argv)
{
    int counting = argc == 5 && strcmp(argv[4], "--count") == 0;
    if (argc != 4 && !counting) {
        fprintf(stderr, "usage: core-eval <policy.trjb> <actions.txt> <iterations> [--count]\n");
        return 2;
    }
    size_t len, alen;
    void *buf = slurp(argv[1], &len);
    char *text = slurp(argv[2], &alen);
    long iters = atol(argv[3]);
    if (!buf || !text || iters < 0 || (!counting && iters < 10))
        return 2;

    static trj_policy p;
    char msg[256];
    uint64_t t0 = now_ns();
    if (trj_load(&p, buf, len, msg, sizeof msg) != 0) {
        fprintf(stderr, "core-eval: %s\n", msg);
        return 1;
    }
    uint64_t first_load_ns = now_ns() - t0;

    static action acts[MAX_ACTIONS];
    size_t n_acts = 0;
    for (char *save, *line = strtok_r(text, "\n", &save); line && n_acts < MAX_ACTIONS; line = strtok_r(NULL, "\n", &save))
        if (parse_action(&p, line, &acts[n_acts]) == 0)
            n_acts++;
    if (n_acts == 0)
        return 2;

    if (counting)
        return count_mode(&p, acts, n_acts, iters);

    volatile uint32_t sink = 0;
    /* trj_load again, a few times (it verifies and hashes the whole table each time). */
    enum { LOADS = 7 };
    uint64_t loads[LOADS];
    int n_loads = 0;
    for (uint64_t spent = 0; n_loads < LOADS && spent < 2000000000u; n_loads++) {
        static trj_policy q;
        uint64_t l0 = now_ns();
        if (trj_load(&q, buf, len, msg, sizeof msg) != 0)
            return 1;
        loads[n_loads] = now_ns() - l0;
        spent += loads[n_loads];
    }
    qsort(loads, (size_t)n_loads, sizeof *loads, cmp_u64);
    /* The part of trj_load that is hashing the body: SHA-256 over the same bytes. */
    uint64_t shas[LOADS];
    for (int i = 0; i < n_loads; i++) {
        uint8_t digest[TRJ_SHA256_LEN];
        uint64_t s0 = now_ns();
        trj_sha256(buf, len, digest);
        shas[i] = now_ns() - s0;
        sink += digest[0];
    }
    qsort(shas, (size_t)n_loads, sizeof *shas, cmp_u64);

    uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)iters);
    uint64_t *empty = malloc(sizeof(uint64_t) * (size_t)iters);
    if (!samples || !empty)
        return 2;
    trj_result r;
    size_t counts[4] = {0};
    for (long i = 0; i < iters / 10; i++)
        sink += trj_eval(&p, acts[i % n_acts].kind, acts[i % n_acts].values, TRJ_MAX_SLOTS, &r);

    /* Pass timing: one clock pair around a whole pass over the mix (n_acts calls),
     * so the timer's own cost is spread over the pass; the median pass is robust
     * to the process being descheduled during a few of them. */
    long passes = iters / (long)n_acts / 4 + 1;
    uint64_t *pass_ns = malloc(sizeof(uint64_t) * (size_t)passes);
    if (!pass_ns)
        return 2;
    for (long k = 0; k < passes; k++) {
        uint64_t b0 = now_ns();
        for (size_t j = 0; j < n_acts; j++)
            sink += trj_eval(&p, acts[j].kind, acts[j].values, TRJ_MAX_SLOTS, &r);
        pass_ns[k] = now_ns() - b0;
    }
    qsort(pass_ns, (size_t)passes, sizeof *pass_ns, cmp_u64);
    double pass_mean = (double)pct(pass_ns, (size_t)passes, 0.5) / (double)n_acts;

    for (long i = 0; i < iters; i++) {
        const action *a = &acts[(size_t)i % n_acts];
        uint64_t a0 = now_ns();
        uint32_t d = trj_eval(&p, a->kind, a->values, TRJ_MAX_SLOTS, &r);
        uint64_t a1 = now_ns();
        uint64_t e1 = now_ns();
        empty[i] = e1 - a1;
        samples[i] = a1 - a0;
        counts[d & 3]++;
        sink += d;
    }

    /* Per action: its own samples (every n_acts-th), sorted. */
    size_t per = (size_t)iters / n_acts;
    uint64_t *mine = malloc(sizeof(uint64_t) * (per + 1));
    if (!mine)
        return 2;
    qsort(empty, (size_t)iters, sizeof *empty, cmp_u64);
    uint64_t timer = pct(empty, (size_t)iters, 0.5);
    printf("{\"iterations\":%ld,\"actions\":%zu,\"table_bytes\":%zu,\"callgrind_h\":%d,"
           "\"load_verify_ns\":{\"first\":%llu,\"min\":%llu,\"median\":%llu,\"runs\":%d,\"sha256_median\":%llu},\"timer_ns\":%llu,\"timer_min_ns\":%llu,\"timer_p90_ns\":%llu,"
           "\"pass_median_ns_per_call\":%.1f,\"per_action\":[",
           iters, n_acts, len, HAVE_CALLGRIND, (unsigned long long)first_load_ns, (unsigned long long)loads[0],
           (unsigned long long)loads[n_loads / 2], n_loads, (unsigned long long)shas[n_loads / 2], (unsigned long long)timer,
           (unsigned long long)empty[0], (unsigned long long)pct(empty, (size_t)iters, 0.9), pass_mean);
    for (size_t j = 0; j < n_acts; j++) {
        size_t m = 0;
        for (size_t i = j; i < (size_t)iters; i += n_acts)
            mine[m++] = samples[i];
        qsort(mine, m, sizeof *mine, cmp_u64);
        trj_eval(&p, acts[j].kind, acts[j].values, TRJ_MAX_SLOTS, &r);
        uint32_t rlen = 0;
        const char *rname = r.rule >= 0 ? trj_rule_name(&p, (uint32_t)r.rule, &rlen) : "";
        printf("%s{\"decision\":\"%s\",\"rule\":\"%.*s\",\"error\":\"%s\",\"p50\":%lld,\"p99\":%lld}", j ? "," : "",
               trj_decision_name(r.decision), (int)rlen, rname, trj_eval_error_name(r.error),
               minus(pct(mine, m, 0.5), timer), minus(pct(mine, m, 0.99), timer));
    }
    qsort(samples, (size_t)iters, sizeof *samples, cmp_u64);
    printf("],\"raw\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu},"
           "\"ns\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"p999\":%lld},"
           "\"decisions\":{\"allow\":%zu,\"deny\":%zu,\"ask\":%zu}}\n",
           (unsigned long long)pct(samples, (size_t)iters, 0.5), (unsigned long long)pct(samples, (size_t)iters, 0.9),
           (unsigned long long)pct(samples, (size_t)iters, 0.99), (unsigned long long)pct(samples, (size_t)iters, 0.999),
           (unsigned long long)samples[iters - 1], minus(pct(samples, (size_t)iters, 0.5), timer),
           minus(pct(samples, (size_t)iters, 0.9), timer), minus(pct(samples, (size_t)iters, 0.99), timer),
           minus(pct(samples, (size_t)iters, 0.999), timer), counts[TRJ_ALLOW], counts[TRJ_DENY], counts[TRJ_ASK]);
    free(mine);
    free(pass_ns);
    return sink == 0xdeadbeef;
}
