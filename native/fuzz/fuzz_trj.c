/*
 * fuzz_trj.c — libFuzzer target for the verifier and the interpreter.
 *
 * Any byte string goes to trj_load twice: as given, and with body_sha256
 * recomputed (so mutations get past the hash check and reach the structural
 * passes). A rejected table must come with a "<reason-code>: ..." message; a
 * table that loads must evaluate every kind, with several value vectors, to a
 * well-formed result: decision allow/deny/ask, an eval error only ever denying.
 * Any violation aborts (and ASan/UBSan catch the rest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "trj.h"

#define REQUIRE(c)                  \
    do {                            \
        if (!(c))                   \
            __builtin_trap();       \
    } while (0)

static void check_message(const char *msg)
{
    size_t i = 0;
    while ((msg[i] >= 'a' && msg[i] <= 'z') || msg[i] == '-')
        i++;
    REQUIRE(i > 0 && msg[i] == ':' && msg[i + 1] == ' ');
}

static void check_result(const trj_policy *p, uint32_t kind, uint32_t d, const trj_result *r)
{
    REQUIRE(d == r->decision);
    REQUIRE(d == TRJ_ALLOW || d == TRJ_DENY || d == TRJ_ASK);
    switch (r->reason) {
    case TRJ_REASON_EVAL_ERROR:
        REQUIRE(d == TRJ_DENY && r->rule == -1 && r->error != TRJ_EVAL_OK && !r->flagged);
        break;
    case TRJ_REASON_DEFAULT:
        REQUIRE(r->rule == -1 && r->error == TRJ_EVAL_OK && !r->flagged && d == p->hdr->default_decision);
        break;
    case TRJ_REASON_RULE: {
        REQUIRE(r->rule >= 0 && (uint32_t)r->rule < p->n_rules && r->error == TRJ_EVAL_OK);
        const trj_rule *rule = &p->rules[r->rule];
        REQUIRE((rule->kind_mask >> kind) & 1);
        REQUIRE(d == (rule->decision == TRJ_FLAG ? TRJ_ALLOW : rule->decision));
        REQUIRE(!r->flagged || d == TRJ_ALLOW);
        REQUIRE(d == TRJ_ASK ? r->timeout_ms == rule->timeout_ms : r->timeout_ms == 0);
        break;
    }
    default:
        REQUIRE(0);
    }
}

/* Fill values for every slot, by vector number; `tail` feeds byte values. */
static void make_values(const trj_policy *p, int vec, const uint8_t *tail, size_t tail_len, trj_value *vals)
{
    static const uint8_t ip10[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    for (uint32_t s = 0; s < TRJ_MAX_SLOTS; s++) {
        trj_value *v = &vals[s];
        memset(v, 0, sizeof *v);
        uint32_t type = s < p->n_fields ? p->fields[s].type : TRJ_T_STR;
        if (vec == 0)
            continue; /* all absent */
        if (vec == 4)
            type = TRJ_T_INT; /* mostly mismatched types */
        if (type == TRJ_T_STR) {
            v->type = TRJ_V_BYTES;
            if (vec == 1) {
                v->u.bytes = (const uint8_t *)"/usr/bin/git";
                v->len = 12;
            } else {
                size_t off = tail_len ? (s * 7u) % tail_len : 0;
                v->u.bytes = tail + off;
                v->len = (uint32_t)(tail_len - off);
            }
        } else if (type == TRJ_T_INT) {
            v->type = TRJ_V_INT;
            v->u.i = vec == 1 ? 22 : vec == 2 ? INT64_MIN : vec == 3 ? INT64_MAX : (int64_t)s - 1;
        } else {
            v->type = TRJ_V_IP;
            if (vec == 1)
                memcpy(v->u.ip, ip10, 16);
            else
                memset(v->u.ip, vec == 2 ? 0 : 0xff, 16);
        }
    }
}

static void try_table(const uint8_t *buf, size_t len, const uint8_t *tail, size_t tail_len, int compare)
{
    trj_policy p;
    char msg[512], msg2[512];
    int rc = trj_load(&p, buf, len, msg, sizeof msg);
    if (compare) { /* trj_verify agrees with trj_load, message included */
        REQUIRE(trj_verify(buf, len, msg2, sizeof msg2) == rc);
        REQUIRE(rc == 0 || strcmp(msg, msg2) == 0);
    }
    if (rc != 0) {
        check_message(msg);
        trj_result r;
        REQUIRE(trj_eval(&p, 0, NULL, 0, &r) == TRJ_DENY && r.error == TRJ_EVAL_NOT_LOADED);
        return;
    }
    REQUIRE(msg[0] == '\0');
    static trj_value vals[TRJ_MAX_SLOTS];
    for (int vec = 0; vec < 5; vec++) {
        make_values(&p, vec, tail, tail_len, vals);
        for (uint32_t k = 0; k <= TRJ_KIND_COUNT; k++) {
            trj_result r;
            uint32_t n = vec == 3 ? p.n_fields / 2 : TRJ_MAX_SLOTS; /* too few slots, sometimes */
            uint32_t d = trj_eval(&p, k, vals, n, &r);
            if (k == TRJ_KIND_COUNT) {
                REQUIRE(d == TRJ_DENY && r.error == TRJ_EVAL_BAD_KIND);
                continue;
            }
            check_result(&p, k, d, &r);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = aligned_alloc(8, (size + 8) & ~(size_t)7);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    /* Byte values come from the input's last 64 bytes (an arbitrary choice). */
    size_t tail_len = size < 64 ? size : 64;
    const uint8_t *tail = data + size - tail_len;
    try_table(buf, size, tail, tail_len, 0);
    if (size >= TRJ_HEADER_SIZE) {
        trj_sha256(buf + TRJ_HEADER_SIZE, size - TRJ_HEADER_SIZE, ((trj_header *)buf)->body_sha256);
        try_table(buf, size, tail, tail_len, 1);
    }
    free(buf);
    return 0;
}
