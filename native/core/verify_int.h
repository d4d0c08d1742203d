/*
 * verify_int.h — private to the verifier: the environment its passes share.
 *
 * trj_verify runs the passes listed in verify.c, in order, over one vctx. Each
 * pass may rely on everything the passes before it proved (comments say which)
 * and returns 0 or the -EINVAL from trj_vfail(), which writes the message
 * "<reason-code>: <where>: <detail>" and stops the run.
 */
#ifndef TRJ_VERIFY_INT_H
#define TRJ_VERIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "trj.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "trj core: .trjb is little-endian and read in place; big-endian hosts are not supported"
#endif

/*
 * Work budget: list elements visited, counting every reference to a shared
 * list again. Lists may be shared (the compiler deduplicates them), so without
 * a budget a small hostile table could make verification quadratic. No real
 * policy comes near it (LISTS itself holds at most 2^26 elements).
 */
#define TRJ_VERIFY_MAX_LIST_VISITS (1ull << 28)

/* Field names are compared pairwise; a cap keeps that cheap. Real names are
 * short ("path", "args.amount"). */
#define TRJ_VERIFY_MAX_FIELD_NAME 4096u

typedef struct vctx {
    const uint8_t *base;
    size_t len;
    const trj_header *hdr; /* set by trj_check_header */
    trj_policy p;          /* section views, set by trj_check_sections */
    char *msg;
    size_t msg_len;
    int names_ok;          /* trj_check_strings passed: names may be quoted */
    uint64_t list_visits;  /* against TRJ_VERIFY_MAX_LIST_VISITS */
    /* slots each kind's entry CLASSIFYs, set by trj_check_reachability */
    uint8_t classified[TRJ_KIND_COUNT][TRJ_MAX_SLOTS / 8];
} vctx;

/* Nothing below leaves the core: hidden, so an LD_PRELOAD build never
 * exports (or interposes) these names. */
#pragma GCC visibility push(hidden)

/* Write "<code>: <formatted detail>" and return -EINVAL. */
int trj_vfail(vctx *v, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Spend n list visits; limit-exceeded once over budget. */
int trj_vspend(vctx *v, uint64_t n);

/* Labels for messages, written into buf (at least TRJ_LABEL_LEN bytes). */
#define TRJ_LABEL_LEN 96
const char *trj_vlabel_rule(const vctx *v, uint32_t rule, char *buf);  /* rule 3 "git" */
const char *trj_vlabel_slot(const vctx *v, uint32_t slot, char *buf);  /* slot 0 "path" */
const char *trj_vlabel_insn(const vctx *v, uint32_t insn, char *buf);  /* insn 12 (rule 3 "git") */

/* Section names for messages: "STRINGS", "FIELDS", ... */
extern const char *const trj_section_names[TRJ_SEC_COUNT];

static inline int bit_get(const uint8_t *bits, uint32_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
static inline void bit_set(uint8_t *bits, uint32_t i) { bits[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* The passes, in the order trj_verify runs them. */
int trj_check_header(vctx *v);       /* verify.c */
int trj_check_sections(vctx *v);     /* verify.c */
int trj_check_strings(vctx *v);      /* verify.c */
int trj_check_fields(vctx *v);       /* verify.c */
int trj_check_entries(vctx *v);      /* verify_code.c */
int trj_check_code(vctx *v);         /* verify_code.c */
int trj_check_rules(vctx *v);        /* verify_code.c */
int trj_check_atoms(vctx *v);        /* verify_code.c */
int trj_check_lists(vctx *v);        /* verify_tables.c */
int trj_check_classifiers(vctx *v);  /* verify_tables.c */
int trj_check_reachability(vctx *v); /* verify_reach.c */
int trj_check_backstop(vctx *v);     /* backstop.c */

#pragma GCC visibility pop

#endif /* TRJ_VERIFY_INT_H */
