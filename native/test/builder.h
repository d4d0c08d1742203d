/*
 * builder.h — a tiny .trjb writer for tests and fuzz seeds.
 *
 * Describe a policy (fields, atoms, rules) and tb_build() lays out a valid
 * table the way the compiler does: one classifier per field (a product DFA
 * over the field's string atoms, or an interval table over its ranges), shared
 * by all kinds; entries first in CODE, then rule blocks; body hash last.
 * Tests then corrupt the bytes (tb_sec, tb_insn...) and call tb_rehash() so
 * the check under test fires rather than the hash check.
 */
#ifndef TRJ_TEST_BUILDER_H
#define TRJ_TEST_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "trj.h"

enum tb_pred {
    TB_PREFIX = 1,   /* value starts with s */
    TB_SUFFIX = 2,   /* value ends with s */
    TB_EQUALS = 3,   /* value == s */
    TB_CONTAINS = 4, /* s occurs in value */
    TB_RANGE = 5     /* lo <= key <= hi (int or ip) */
};

typedef struct tb_atom {
    uint32_t slot;
    uint32_t pred; /* tb_pred */
    const char *s; /* string predicates */
    uint32_t s_len; /* 0: strlen(s) */
    trj_key lo, hi; /* TB_RANGE, inclusive, as interval keys */
    const char *text;
} tb_atom;

#define TB_MAX 24

typedef struct tb_rule {
    const char *name;
    const char *reason; /* NULL: none */
    uint32_t decision;
    uint32_t timeout_ms;
    uint32_t kind_mask;
    int guard;        /* atom that must hold for the rule to match (candidate), -1: listed by RULES */
    int lits[8];      /* +(atom+1): atom true, -(atom+1): atom false */
    int n_lits;
    int any;          /* 0: all literals (and), 1: any literal (or) */
    int lead_ja;      /* start the block with a JA 0 */
} tb_rule;

typedef struct tb_policy {
    const char *name;
    const char *version;
    uint32_t default_decision;
    struct { const char *name; uint32_t type; } fields[8];
    int n_fields;
    tb_atom atoms[TB_MAX];
    int n_atoms;
    tb_rule rules[TB_MAX];
    int n_rules;
    uint32_t required[TRJ_KIND_COUNT]; /* per kind: bit s = slot s is REQUIRED */
    /* BACKSTOP: a META entry with bs_meta, then bs[0..n_bs) as given (the
     * caller keeps them sorted by kind, path, port). */
    uint32_t bs_meta;
    struct { uint32_t kind, access; const char *path; uint32_t port; } bs[8];
    int n_bs;
} tb_policy;

/* A valid table (malloc'd, 8-aligned; free with free()). */
uint8_t *tb_build(const tb_policy *pol, size_t *len);

/* Lay out a header (magic, names, default... from *hdr) and eleven sections,
 * 8-aligned in SEC order; fills offsets, file_size and the hash. */
uint8_t *tb_assemble(const trj_header *hdr, const void *const data[TRJ_SEC_COUNT],
                     const uint32_t size[TRJ_SEC_COUNT], size_t *len);

/* Recompute body_sha256 after editing the bytes. */
void tb_rehash(uint8_t *buf);

/* Views for editing: a section's bytes and its size; records. */
uint8_t *tb_sec(uint8_t *buf, int sec, uint32_t *size);
trj_header *tb_hdr(uint8_t *buf);
trj_insn *tb_insn(uint8_t *buf, uint32_t i);
trj_rule *tb_rule_rec(uint8_t *buf, uint32_t i);
trj_entry *tb_entry(uint8_t *buf, uint32_t kind);
trj_classifier *tb_classifier(uint8_t *buf, uint32_t i);
trj_class *tb_class(uint8_t *buf, uint32_t i);
uint32_t *tb_list(uint8_t *buf, uint32_t i);
trj_atom *tb_atom_rec(uint8_t *buf, uint32_t i);
trj_field *tb_field(uint8_t *buf, uint32_t i);
trj_bs_entry *tb_bs(uint8_t *buf, uint32_t i);
uint32_t tb_count(uint8_t *buf, int sec); /* records in a section */

/* Keys as the core computes them. */
trj_key tb_int_key(int64_t v);
trj_key tb_ip4_key(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/* The policy most tests use; see builder.c for what it says. */
void tb_sample(tb_policy *pol);

#endif /* TRJ_TEST_BUILDER_H */
