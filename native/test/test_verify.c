/*
 * test_verify.c — hand-made malformed tables, one named case each. Every case
 * starts from the valid sample table (layout: native/test/builder.c; entries
 * are insns 0..28, rule blocks 29..68, rule 0 = insns 29..31), breaks one
 * thing, re-hashes the body (unless the hash is the point), and asserts the
 * exact reason code, that nothing was loaded, and that trj_eval denies.
 */
#include <errno.h>
#include <stdlib.h>

#include "fixture.h"
#include "verify_int.h"
#include "test.h"

/* Rejected with `code`, the policy is left unloaded, and every kind denies. */
static void expect_rejected(uint8_t *buf, size_t len, const char *code)
{
    char msg[512], msg2[512];
    trj_policy p;
    memset(&p, 0x5a, sizeof p); /* trj_load must reset it */
    int rc = trj_load(&p, buf, len, msg, sizeof msg);
    CHECK_EQ(rc, -EINVAL);
    size_t n = strlen(code);
    if (strncmp(msg, code, n) != 0 || msg[n] != ':' || msg[n + 1] != ' ') {
        char w[700];
        snprintf(w, sizeof w, "want \"%s: ...\", got \"%s\"", code, msg);
        test_fail(__FILE__, __LINE__, w);
    }
    if (getenv("VERBOSE") != NULL)
        printf("         %s\n", msg);
    CHECK_EQ(trj_verify(buf, len, msg2, sizeof msg2), -EINVAL);
    CHECK(strcmp(msg, msg2) == 0);
    CHECK_EQ(trj_verify(buf, len, NULL, 0), -EINVAL);
    char tiny[6];
    CHECK_EQ(trj_verify(buf, len, tiny, sizeof tiny), -EINVAL);
    CHECK(strlen(tiny) == 5);
    trj_value vals[N_SLOTS] = {v_str("/usr/x"), v_int(22), v_ip4(10, 0, 0, 1), v_str("/usr/bin/git")};
    for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
        trj_result r;
        CHECK_EQ(trj_eval(&p, k, vals, N_SLOTS, &r), TRJ_DENY);
        CHECK_EQ(r.reason, TRJ_REASON_EVAL_ERROR);
        CHECK_EQ(r.error, TRJ_EVAL_NOT_LOADED);
    }
    CHECK_EQ(trj_slot_by_name(&p, "path", 4), -1);
}

/* A case: build the sample, run `body` on b (bytes), rehash, expect `code`. */
#define REJECTS(name, code, body)               \
    TEST(name)                                  \
    {                                           \
        fixture f_;                             \
        fx_build(&f_);                          \
        uint8_t *b = f_.buf;                    \
        (void)b;                                \
        body;                                   \
        tb_rehash(b);                           \
        expect_rejected(b, f_.len, code);       \
        fx_free(&f_);                           \
    }

/* DFA table pieces of classifier 0 (path). */
static uint8_t *dfa_bytes(uint8_t *b, uint32_t k) { return tb_sec(b, TRJ_SEC_DATA, NULL) + tb_classifier(b, k)->data_off; }
static uint32_t *dfa_next(uint8_t *b, uint32_t k) { return (uint32_t *)(dfa_bytes(b, k) + TRJ_DFA_BYTE_CLASS_SIZE); }
/* Row stride: n_columns transitions, then the state's class slot. */
static uint32_t stride(uint8_t *b, uint32_t k) { return tb_classifier(b, k)->n_columns + TRJ_DFA_ROW_EXTRA; }
/* The class slot of state s: the last entry of its row. */
static uint32_t *dfa_class_slot(uint8_t *b, uint32_t k, uint32_t s)
{
    return dfa_next(b, k) + s * stride(b, k) + tb_classifier(b, k)->n_columns;
}
static trj_key *bounds(uint8_t *b, uint32_t k) { return (trj_key *)dfa_bytes(b, k); }
static uint32_t *interval_cls(uint8_t *b, uint32_t k) { return (uint32_t *)(bounds(b, k) + tb_classifier(b, k)->n_states); }

/* ---- header ----------------------------------------------------------------- */

TEST(rejects_null_buffer)
{
    char msg[128];
    CHECK_EQ(trj_verify(NULL, 0, msg, sizeof msg), -EINVAL);
    CHECK(strncmp(msg, "bad-argument: ", 14) == 0);
    fixture f;
    fx_build(&f);
    CHECK_EQ(trj_load(NULL, f.buf, f.len, msg, sizeof msg), -EINVAL);
    CHECK(strncmp(msg, "bad-argument: ", 14) == 0);
    fx_free(&f);
}

TEST(rejects_truncated_file)
{
    fixture f;
    fx_build(&f);
    expect_rejected(f.buf, 100, "truncated");
    expect_rejected(f.buf, 0, "truncated");
    expect_rejected(f.buf, f.len - 8, "truncated");
    fx_free(&f);
}

TEST(rejects_trailing_bytes)
{
    fixture f;
    fx_build(&f);
    uint8_t *big = aligned_alloc(8, f.len + 8);
    memcpy(big, f.buf, f.len);
    memset(big + f.len, 0, 8);
    expect_rejected(big, f.len + 8, "size-mismatch");
    free(big);
    fx_free(&f);
}

TEST(rejects_misaligned_buffer)
{
    fixture f;
    fx_build(&f);
    uint8_t *copy = aligned_alloc(8, f.len + 8);
    memcpy(copy + 4, f.buf, f.len);
    expect_rejected(copy + 4, f.len, "buffer-misaligned");
    free(copy);
    fx_free(&f);
}

TEST(rejects_oversized_file)
{
    fixture f;
    fx_build(&f);
    size_t n = (size_t)TRJ_MAX_FILE_SIZE + 8;
    uint8_t *big = calloc(1, n);
    memcpy(big, f.buf, f.len);
    ((trj_header *)big)->file_size = (uint32_t)(n - 8);
    expect_rejected(big, n, "limit-exceeded");
    free(big);
    fx_free(&f);
}

TEST(rejects_body_hash_mismatch)
{
    fixture f;
    fx_build(&f);
    f.buf[f.len - 100] ^= 1; /* no rehash */
    expect_rejected(f.buf, f.len, "body-hash-mismatch");
    fx_free(&f);
}

REJECTS(rejects_bad_magic, "bad-magic", tb_hdr(b)->magic ^= 1)
REJECTS(rejects_bad_version, "bad-version", tb_hdr(b)->version = TRJ_FORMAT_VERSION + 1)
REJECTS(rejects_version_1_table, "bad-version", tb_hdr(b)->version = 1) /* DFA rows were state numbers then */
REJECTS(rejects_version_2_table, "bad-version", tb_hdr(b)->version = 2) /* rows of n_columns, state_info[] beside */
REJECTS(rejects_version_4_table, "bad-version", tb_hdr(b)->version = 4) /* no FILE_META bit: clear meant "unknown" */

TEST(an_older_table_is_refused_with_recompile)
{
    fixture f;
    fx_build(&f);
    tb_hdr(f.buf)->version = TRJ_FORMAT_VERSION - 1;
    tb_rehash(f.buf);
    char msg[256];
    CHECK_EQ(trj_verify(f.buf, f.len, msg, sizeof msg), -EINVAL);
    CHECK(strstr(msg, "compiled by an older trajeckt; recompile") != NULL);
    tb_hdr(f.buf)->version = TRJ_FORMAT_VERSION + 1;
    tb_rehash(f.buf);
    CHECK_EQ(trj_verify(f.buf, f.len, msg, sizeof msg), -EINVAL);
    CHECK(strstr(msg, "compiled by a newer trajeckt") != NULL);
    fx_free(&f);
}
REJECTS(rejects_bad_header_size, "bad-header-size", tb_hdr(b)->header_size = TRJ_HEADER_SIZE + 8)
REJECTS(rejects_nonzero_header_flags, "reserved-nonzero", tb_hdr(b)->flags = 1)
REJECTS(rejects_nonzero_header_reserved, "reserved-nonzero", tb_hdr(b)->reserved = 1)
REJECTS(rejects_flag_as_default_decision, "bad-decision", tb_hdr(b)->default_decision = TRJ_FLAG)

/* ---- sections --------------------------------------------------------------- */

REJECTS(rejects_section_out_of_bounds, "section-out-of-bounds", tb_hdr(b)->sections[TRJ_SEC_BACKSTOP].size += 8)
REJECTS(rejects_overflowing_section_size, "section-out-of-bounds",
        tb_hdr(b)->sections[TRJ_SEC_DATA].size = 0xfffffff8u)
REJECTS(rejects_section_misaligned, "section-misaligned", tb_hdr(b)->sections[TRJ_SEC_CODE].offset += 4)
REJECTS(rejects_section_overlap, "section-overlap",
        tb_hdr(b)->sections[TRJ_SEC_RULES].offset = tb_hdr(b)->sections[TRJ_SEC_CODE].offset)
REJECTS(rejects_section_inside_header, "section-overlap", tb_hdr(b)->sections[TRJ_SEC_STRINGS].offset = 0)
REJECTS(rejects_bad_record_size, "bad-record-size", tb_hdr(b)->sections[TRJ_SEC_CODE].size -= 8)
REJECTS(rejects_nonzero_padding_between_sections, "reserved-nonzero",
        b[tb_hdr(b)->sections[TRJ_SEC_STRINGS].offset + tb_hdr(b)->sections[TRJ_SEC_STRINGS].size] = 1)
REJECTS(rejects_wrong_entry_count, "bad-entry-count", {
    memset(tb_entry(b, TRJ_KIND_COUNT - 1), 0, TRJ_ENTRY_SIZE);
    tb_hdr(b)->sections[TRJ_SEC_ENTRIES].size -= TRJ_ENTRY_SIZE;
})

/* ---- strings and fields ----------------------------------------------------- */

REJECTS(rejects_string_out_of_bounds, "string-out-of-bounds",
        tb_rule_rec(b, 3)->name.off = tb_hdr(b)->sections[TRJ_SEC_STRINGS].size)
REJECTS(rejects_overflowing_string_offset, "string-out-of-bounds", {
    tb_atom_rec(b, 2)->text.off = 0xfffffff0u;
    tb_atom_rec(b, 2)->text.len = 0x20;
})
REJECTS(rejects_header_name_out_of_bounds, "string-out-of-bounds", tb_hdr(b)->name.len = 0xffffffffu)
REJECTS(rejects_bad_field_type, "bad-field-type", tb_field(b, 1)->type = 7)
REJECTS(rejects_duplicate_field_name, "bad-field-name", tb_field(b, 3)->name = tb_field(b, 0)->name)
REJECTS(rejects_empty_field_name, "bad-field-name", tb_field(b, 2)->name.len = 0)
REJECTS(rejects_field_name_with_nul, "bad-field-name", {
    tb_field(b, 1)->name.off = 0; /* all of STRINGS, with a NUL put in */
    tb_field(b, 1)->name.len = tb_hdr(b)->sections[TRJ_SEC_STRINGS].size;
    tb_sec(b, TRJ_SEC_STRINGS, NULL)[1] = 0;
})
TEST(rejects_overlong_field_name)
{
    static char reason[TRJ_VERIFY_MAX_FIELD_NAME + 100];
    memset(reason, 'r', sizeof reason - 1);
    tb_policy pol;
    tb_sample(&pol);
    pol.rules[1].reason = reason; /* makes STRINGS long enough */
    size_t len;
    uint8_t *b = tb_build(&pol, &len);
    tb_field(b, 1)->name.off = 0;
    tb_field(b, 1)->name.len = TRJ_VERIFY_MAX_FIELD_NAME + 1;
    tb_rehash(b);
    expect_rejected(b, len, "limit-exceeded");
    free(b);
}

/* ---- entries ---------------------------------------------------------------- */

REJECTS(rejects_entry_without_decide, "entry-missing-decide", tb_entry(b, TRJ_KIND_FILE_READ)->code_len = 2)
REJECTS(rejects_empty_entry, "entry-missing-decide", tb_entry(b, TRJ_KIND_EXEC)->code_len = 0)
REJECTS(rejects_entry_out_of_range, "entry-out-of-range", tb_entry(b, TRJ_KIND_HTTP_REQUEST)->code_off = 1000)
REJECTS(rejects_overflowing_entry_range, "entry-out-of-range", {
    tb_entry(b, TRJ_KIND_EXEC)->code_off = 0xffffffffu;
    tb_entry(b, TRJ_KIND_EXEC)->code_len = 2;
})

/* ---- instructions ------------------------------------------------------------ */

REJECTS(rejects_unknown_opcode, "bad-opcode", tb_insn(b, 30)->op = 99)
REJECTS(rejects_nonzero_reserved_insn_field, "reserved-nonzero", tb_insn(b, 29)->reserved = 1)
REJECTS(rejects_ja_with_operand, "reserved-nonzero", tb_insn(b, 60)->a = 1)
REJECTS(rejects_classify_unknown_flag, "reserved-nonzero", tb_insn(b, 0)->flags = 3)
REJECTS(rejects_atom_out_of_range, "bad-atom", tb_insn(b, 29)->a = 10)
REJECTS(rejects_classify_bad_slot, "bad-slot", tb_insn(b, 0)->a = 4)
REJECTS(rejects_candidates_bad_slot, "bad-slot", tb_insn(b, 1)->a = 300)
REJECTS(rejects_classify_bad_classifier, "bad-classifier", tb_insn(b, 0)->b = 4)
REJECTS(rejects_classifier_slot_mismatch, "classifier-slot-mismatch", tb_insn(b, 0)->b = 3)
REJECTS(rejects_decide_other_than_default, "bad-decision", tb_insn(b, 2)->a = TRJ_ALLOW)
REJECTS(rejects_decide_flag, "bad-decision", tb_insn(b, 2)->a = TRJ_FLAG)
REJECTS(rejects_ret_value_2, "bad-operand", tb_insn(b, 30)->a = 2)
REJECTS(rejects_empty_rules_list, "bad-operand", tb_insn(b, 5)->b = 0)
REJECTS(rejects_rules_list_past_end, "list-out-of-bounds", tb_insn(b, 5)->a = tb_count(b, TRJ_SEC_LISTS))
REJECTS(rejects_overflowing_rules_list, "list-out-of-bounds", {
    tb_insn(b, 5)->a = 0xffffffffu;
    tb_insn(b, 5)->b = 2;
})

/* ---- rules and blocks -------------------------------------------------------- */

/* Offsets are unsigned: -1 as int16 is 65535, far past the block. */
REJECTS(rejects_backward_jump, "jump-out-of-range", tb_insn(b, 29)->jf = 0xffff)
REJECTS(rejects_jump_into_next_block, "jump-out-of-range", tb_insn(b, 29)->jf = 2)
REJECTS(rejects_jump_past_end_of_code, "jump-out-of-range", tb_insn(b, 65)->jt = 10)
REJECTS(rejects_ja_out_of_block, "jump-out-of-range", tb_insn(b, 60)->jt = 1)
REJECTS(rejects_rule_block_without_ret, "block-falls-through", {
    tb_insn(b, 31)->op = TRJ_OP_JA;
    tb_insn(b, 31)->a = 0;
})
REJECTS(rejects_entry_opcode_in_rule_block, "opcode-not-allowed-here", {
    tb_insn(b, 30)->op = TRJ_OP_DECIDE;
    tb_insn(b, 30)->a = TRJ_DENY;
})
REJECTS(rejects_rule_opcode_in_entry, "opcode-not-allowed-here", {
    tb_insn(b, 1)->op = TRJ_OP_RET;
    tb_insn(b, 1)->a = 0;
})
REJECTS(rejects_rule_bad_decision, "bad-decision", tb_rule_rec(b, 0)->decision = 5)
REJECTS(rejects_timeout_on_deny_rule, "bad-rule", tb_rule_rec(b, 1)->timeout_ms = 5)
REJECTS(rejects_rule_with_no_kinds, "bad-rule", tb_rule_rec(b, 2)->kind_mask = 0)
REJECTS(rejects_rule_with_unknown_kind_bit, "bad-rule", tb_rule_rec(b, 2)->kind_mask |= 1u << 20)
REJECTS(rejects_rule_nonzero_reserved, "reserved-nonzero", tb_rule_rec(b, 2)->reserved = 9)
REJECTS(rejects_rule_block_out_of_range, "bad-rule", tb_rule_rec(b, 12)->code_len = 100)
REJECTS(rejects_empty_rule_block, "bad-rule", tb_rule_rec(b, 12)->code_len = 0)
REJECTS(rejects_oversized_rule_block, "limit-exceeded", tb_rule_rec(b, 12)->code_len = 70000)
REJECTS(rejects_overlapping_rule_blocks, "block-overlap", tb_rule_rec(b, 1)->code_off = 30)
REJECTS(rejects_atom_bad_slot, "bad-slot", tb_atom_rec(b, 0)->slot = 9)

/* ---- lists -------------------------------------------------------------------- */

static void swap_u32(uint32_t *a, uint32_t *c)
{
    uint32_t t = *a;
    *a = *c;
    *c = t;
}

REJECTS(rejects_unsorted_atom_list, "atoms-not-sorted",
        swap_u32(tb_list(b, tb_class(b, 4)->atoms_off), tb_list(b, tb_class(b, 4)->atoms_off + 1)))
REJECTS(rejects_duplicate_in_atom_list, "atoms-not-sorted",
        *tb_list(b, tb_class(b, 4)->atoms_off + 1) = *tb_list(b, tb_class(b, 4)->atoms_off))
REJECTS(rejects_unsorted_rule_list, "rules-not-sorted",
        swap_u32(tb_list(b, tb_class(b, 4)->rules_off), tb_list(b, tb_class(b, 4)->rules_off + 1)))
REJECTS(rejects_list_naming_missing_rule, "bad-rule", *tb_list(b, tb_class(b, 1)->rules_off) = 13)
REJECTS(rejects_list_naming_missing_atom, "bad-atom", *tb_list(b, tb_class(b, 1)->atoms_off) = 10)
REJECTS(rejects_overflowing_list_offset, "list-out-of-bounds", {
    tb_class(b, 1)->atoms_off = 0xffffffffu;
    tb_class(b, 1)->atoms_len = 1;
})
REJECTS(rejects_list_past_end, "list-out-of-bounds", tb_class(b, 31)->rules_len = 20)

/* ---- classifiers, classes, DFA and interval data ------------------------------ */

/* next[] and start hold row offsets: state * stride (n_columns + 1). */
static uint32_t rows_end(uint8_t *b, uint32_t k) { return tb_classifier(b, k)->n_states * stride(b, k); }

REJECTS(rejects_dfa_transition_out_of_range, "bad-dfa-transition",
        dfa_next(b, 0)[7 * stride(b, 0) + 3] = rows_end(b, 0))
REJECTS(rejects_dfa_transition_as_state_number, "bad-dfa-transition",
        dfa_next(b, 0)[7 * stride(b, 0) + 3] = 1) /* state 1 unmultiplied: mid-row */
REJECTS(rejects_dfa_transition_into_mid_row, "bad-dfa-transition",
        dfa_next(b, 0)[7 * stride(b, 0) + 3] += stride(b, 0) - 1) /* onto its target's class slot */
REJECTS(rejects_dfa_transition_premultiplied_by_columns, "bad-dfa-transition", {
    CHECK(tb_classifier(b, 0)->n_columns >= 2);
    dfa_next(b, 0)[7 * stride(b, 0) + 3] = 1 * tb_classifier(b, 0)->n_columns; /* v2 row offset of state 1 */
})
REJECTS(rejects_bad_dfa_start, "bad-dfa-start", tb_classifier(b, 0)->start = rows_end(b, 0))
REJECTS(rejects_dfa_start_into_mid_row, "bad-dfa-start", tb_classifier(b, 0)->start += 1)
REJECTS(rejects_dfa_start_on_class_slot, "bad-dfa-start", tb_classifier(b, 0)->start += tb_classifier(b, 0)->n_columns)
REJECTS(rejects_false_sink_flag, "bad-sink-flag", tb_classifier(b, 0)->n_sink += 1) /* state n_sink is no sink */
REJECTS(rejects_sink_leaving_itself, "bad-sink-flag", {
    CHECK(tb_classifier(b, 3)->n_sink >= 1 && tb_classifier(b, 3)->n_states >= 2);
    dfa_next(b, 3)[2] = stride(b, 3); /* sink 0, column 2 -> state 1 */
})
REJECTS(rejects_more_sinks_than_states, "bad-classifier", tb_classifier(b, 3)->n_sink = tb_classifier(b, 3)->n_states + 1)
REJECTS(rejects_byte_class_out_of_range, "bad-byte-class", dfa_bytes(b, 0)['A'] = (uint8_t)tb_classifier(b, 0)->n_columns)
REJECTS(rejects_class_slot_out_of_range, "bad-class", *dfa_class_slot(b, 0, 5) = tb_classifier(b, 0)->n_classes)
REJECTS(rejects_sink_bit_in_class_slot, "bad-class", *dfa_class_slot(b, 0, 0) |= 0x80000000u) /* v1 sink flag */
REJECTS(rejects_class_slot_of_last_row_out_of_range, "bad-class",
        *dfa_class_slot(b, 3, tb_classifier(b, 3)->n_states - 1) = tb_classifier(b, 3)->n_classes)
REJECTS(rejects_class_slot_holding_a_row_offset, "bad-class", {
    CHECK(rows_end(b, 0) - stride(b, 0) >= tb_classifier(b, 0)->n_classes);
    *dfa_class_slot(b, 0, 2) = rows_end(b, 0) - stride(b, 0); /* a transition where the class belongs */
})
REJECTS(rejects_dfa_without_states, "bad-classifier", tb_classifier(b, 3)->n_states = 0)
REJECTS(rejects_dfa_with_too_many_columns, "bad-classifier", tb_classifier(b, 3)->n_columns = 300)
REJECTS(rejects_dfa_table_past_data, "data-out-of-bounds", tb_classifier(b, 3)->n_states = 1000)
REJECTS(rejects_dfa_over_state_limit, "limit-exceeded", tb_classifier(b, 3)->n_states = TRJ_MAX_DFA_STATES + 1)
REJECTS(rejects_classifier_unaligned_data, "bad-classifier", tb_classifier(b, 3)->data_off += 4)
REJECTS(rejects_classifier_bad_type, "bad-classifier", tb_classifier(b, 1)->type = 9)
REJECTS(rejects_classifier_type_mismatch, "classifier-type-mismatch", tb_classifier(b, 1)->type = TRJ_T_STR)
REJECTS(rejects_interval_table_with_sinks, "bad-classifier", tb_classifier(b, 1)->n_sink = 1)
REJECTS(rejects_intervals_not_ascending, "intervals-not-ascending", {
    trj_key t = bounds(b, 1)[0];
    bounds(b, 1)[0] = bounds(b, 1)[1];
    bounds(b, 1)[1] = t;
})
REJECTS(rejects_int_bound_with_high_half, "bad-classifier", bounds(b, 1)[2].hi = 1)
REJECTS(rejects_interval_class_out_of_range, "bad-class", interval_cls(b, 2)[0] = 2)
REJECTS(rejects_interval_table_with_columns, "bad-classifier", tb_classifier(b, 2)->n_columns = 1)
REJECTS(rejects_classes_not_tiled, "bad-class", tb_classifier(b, 1)->class_base = 31)
REJECTS(rejects_unowned_class, "bad-class", {
    trj_classifier *c = tb_classifier(b, 3);
    for (uint32_t s = 0; s < c->n_states; s++)
        *dfa_class_slot(b, 3, s) = 0; /* every state in class 0 ... */
    c->n_classes = 1;                        /* ... so class 38 has no owner */
})
REJECTS(rejects_absent_class_out_of_range, "bad-class", tb_classifier(b, 0)->absent_class = 32)
REJECTS(rejects_class_atom_of_wrong_slot, "atom-slot-mismatch", *tb_list(b, tb_class(b, 36)->atoms_off) = 7)

/* Two identical DFAs, made to share one table: rejected (bounded work). */
TEST(rejects_shared_classifier_data)
{
    tb_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.name = "twins";
    pol.version = "1";
    pol.default_decision = TRJ_DENY;
    pol.n_fields = 2;
    pol.fields[0].name = "a", pol.fields[0].type = TRJ_T_STR;
    pol.fields[1].name = "b", pol.fields[1].type = TRJ_T_STR;
    pol.n_atoms = 2;
    pol.atoms[0] = (tb_atom){0, TB_PREFIX, "x", 0, {0, 0}, {0, 0}, "a under x"};
    pol.atoms[1] = (tb_atom){1, TB_PREFIX, "x", 0, {0, 0}, {0, 0}, "b under x"};
    pol.n_rules = 2;
    pol.rules[0] = (tb_rule){"ra", NULL, TRJ_ALLOW, 0, 1u << TRJ_KIND_EXEC, 0, {+1}, 1, 0, 0};
    pol.rules[1] = (tb_rule){"rb", NULL, TRJ_ALLOW, 0, 1u << TRJ_KIND_EXEC, 1, {+2}, 1, 0, 0};
    size_t len;
    uint8_t *b = tb_build(&pol, &len);
    char msg[256];
    trj_policy p;
    CHECK_EQ(trj_load(&p, b, len, msg, sizeof msg), 0);
    uint32_t data_size;
    uint8_t *data = tb_sec(b, TRJ_SEC_DATA, &data_size);
    uint32_t second = tb_classifier(b, 1)->data_off;
    CHECK(memcmp(data, data + second, data_size - second) == 0);
    tb_classifier(b, 1)->data_off = 0;
    memset(data + second, 0, data_size - second);
    tb_hdr(b)->sections[TRJ_SEC_DATA].size = second;
    tb_rehash(b);
    expect_rejected(b, len, "data-overlap");
    free(b);
}

/* ---- reachability -------------------------------------------------------------- */

REJECTS(rejects_unreachable_insn_in_block, "unreachable-insn", tb_insn(b, 29)->jf = 0)
REJECTS(rejects_dead_code_between_blocks, "unreachable-insn", {
    tb_rule_rec(b, 10)->code_off = 61;
    tb_rule_rec(b, 10)->code_len = 1;
})
REJECTS(rejects_partially_overlapping_entries, "block-overlap", {
    tb_entry(b, TRJ_KIND_FILE_WRITE)->code_off = 2;
    tb_entry(b, TRJ_KIND_FILE_WRITE)->code_len = 5;
})
REJECTS(rejects_decide_in_middle_of_entry, "unreachable-insn", {
    tb_insn(b, 1)->op = TRJ_OP_DECIDE;
    tb_insn(b, 1)->a = TRJ_DENY;
})
REJECTS(rejects_classify_after_candidates, "classify-out-of-order", {
    trj_insn t = *tb_insn(b, 20);
    *tb_insn(b, 20) = *tb_insn(b, 21);
    *tb_insn(b, 21) = t;
})
REJECTS(rejects_candidates_before_classify, "candidates-before-classify", tb_insn(b, 17)->a = 0)
REJECTS(rejects_duplicate_classify, "duplicate-classify", *tb_insn(b, 20) = *tb_insn(b, 19))
REJECTS(rejects_duplicate_candidates, "duplicate-candidates", tb_insn(b, 22)->a = 1)
REJECTS(rejects_rule_kind_mismatch, "rule-kind-mismatch", *tb_list(b, tb_insn(b, 5)->a) = 0)
REJECTS(rejects_rule_testing_unclassified_slot, "unclassified-slot", tb_insn(b, 29)->a = 7)
REJECTS(rejects_rule_kind_without_its_slots, "unclassified-slot",
        tb_rule_rec(b, 5)->kind_mask |= 1u << TRJ_KIND_NET_CONNECT)

/* ---- messages ------------------------------------------------------------------- */

TEST(message_names_reason_insn_and_rule)
{
    fixture f;
    fx_build(&f);
    tb_insn(f.buf, 29)->jf = 2;
    tb_rehash(f.buf);
    CHECK_EQ(fx_load(&f), -EINVAL);
    const char *want = "jump-out-of-range: insn 29 (rule 0 \"read_usr\"): JATOM jf+2 targets insn 32, "
                       "outside the block [29, 32)";
    if (strcmp(f.msg, want) != 0) {
        char w[600];
        snprintf(w, sizeof w, "got \"%s\"", f.msg);
        test_fail(__FILE__, __LINE__, w);
    }
    fx_free(&f);
}

TEST(message_names_classifier_state_and_column)
{
    fixture f;
    fx_build(&f);
    dfa_next(f.buf, 0)[7 * stride(f.buf, 0) + 3] = 5000;
    tb_rehash(f.buf);
    CHECK_EQ(fx_load(&f), -EINVAL);
    CHECK(strstr(f.msg, "bad-dfa-transition: classifier 0 state 7 column 3: next 5000 is not a row offset") == f.msg);
    fx_free(&f);
}

/* ---- every single-byte corruption is rejected or still evaluates sanely ---------- */

TEST(every_byte_flip_is_rejected_or_evaluates_well_formed)
{
    fixture f;
    fx_build(&f);
    uint8_t *copy = aligned_alloc(8, (f.len + 7) & ~(size_t)7);
    trj_value vals[N_SLOTS] = {v_str("/tmp/a\xff.pem"), v_int(22), v_ip4(10, 1, 1, 1), v_str("/usr/bin/git")};
    int loaded = 0, rejected = 0;
    for (size_t i = TRJ_HEADER_SIZE; i < f.len; i++) {
        memcpy(copy, f.buf, f.len);
        copy[i] ^= (uint8_t)(1u << (i % 8));
        tb_rehash(copy);
        trj_policy p;
        char msg[256];
        if (trj_load(&p, copy, f.len, msg, sizeof msg) != 0) {
            rejected++;
            continue;
        }
        loaded++;
        for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
            trj_result r;
            uint32_t d = trj_eval(&p, k, vals, N_SLOTS, &r);
            CHECK(d == r.decision && (d == TRJ_ALLOW || d == TRJ_DENY || d == TRJ_ASK));
            CHECK(r.reason != TRJ_REASON_EVAL_ERROR || d == TRJ_DENY);
        }
    }
    CHECK(rejected > 0 && loaded > 0);
    free(copy);
    fx_free(&f);
}

/* ---- work budget ------------------------------------------------------------------ */

/* One list of 2^22 atom ids referenced by 65 classes: 2^28 + 2^22 visits. */
TEST(rejects_quadratic_list_sharing)
{
    const uint32_t n_atoms = TRJ_MAX_ATOMS, n_classes = 65;
    trj_header h;
    memset(&h, 0, sizeof h);
    h.magic = TRJ_MAGIC, h.version = TRJ_FORMAT_VERSION, h.header_size = TRJ_HEADER_SIZE;
    h.default_decision = TRJ_DENY;
    static const char strings[] = "f";
    trj_field field = {{0, 1}, TRJ_T_STR};
    trj_entry entries[TRJ_KIND_COUNT];
    for (int k = 0; k < (int)TRJ_KIND_COUNT; k++)
        entries[k] = (trj_entry){0, 1}; /* all kinds share one DECIDE */
    trj_insn decide = {TRJ_OP_DECIDE, 0, 0, 0, 0, TRJ_DENY, 0};
    trj_atom *atoms = calloc(n_atoms, sizeof *atoms);
    uint32_t *lists = malloc((size_t)n_atoms * 4);
    for (uint32_t i = 0; i < n_atoms; i++)
        lists[i] = i;
    trj_class classes[65];
    for (uint32_t i = 0; i < n_classes; i++)
        classes[i] = (trj_class){0, n_atoms, 0, 0};
    const void *data[TRJ_SEC_COUNT] = {strings, &field, entries, &decide, NULL, atoms, NULL, classes, lists, NULL};
    uint32_t sizes[TRJ_SEC_COUNT] = {1, sizeof field, sizeof entries, sizeof decide, 0, n_atoms * 12u, 0,
                                     n_classes * 16u, n_atoms * 4u, 0};
    size_t len;
    uint8_t *b = tb_assemble(&h, data, sizes, &len);
    char msg[256];
    CHECK_EQ(trj_verify(b, len, msg, sizeof msg), -EINVAL); /* once: it is the slowest case there is */
    CHECK(strncmp(msg, "limit-exceeded: lists: ", 23) == 0);
    free(b);
    free(atoms);
    free(lists);
}

TEST(rejects_too_many_slots)
{
    trj_header h;
    memset(&h, 0, sizeof h);
    h.magic = TRJ_MAGIC, h.version = TRJ_FORMAT_VERSION, h.header_size = TRJ_HEADER_SIZE;
    h.default_decision = TRJ_DENY;
    static trj_field fields[TRJ_MAX_SLOTS + 1]; /* zeroed: only the count matters here */
    trj_entry entries[TRJ_KIND_COUNT];
    for (int k = 0; k < (int)TRJ_KIND_COUNT; k++)
        entries[k] = (trj_entry){0, 1};
    trj_insn decide = {TRJ_OP_DECIDE, 0, 0, 0, 0, TRJ_DENY, 0};
    trj_bs_entry meta = {TRJ_BS_META, 0, {0, 0}, 0, 0};
    const void *data[TRJ_SEC_COUNT] = {NULL, fields, entries, &decide};
    uint32_t sizes[TRJ_SEC_COUNT] = {0, sizeof fields, sizeof entries, sizeof decide};
    data[TRJ_SEC_BACKSTOP] = &meta, sizes[TRJ_SEC_BACKSTOP] = sizeof meta;
    size_t len;
    uint8_t *b = tb_assemble(&h, data, sizes, &len);
    expect_rejected(b, len, "too-many-slots");
    /* the same table with no fields at all is valid: every kind decides deny */
    sizes[TRJ_SEC_FIELDS] = 0;
    free(b);
    b = tb_assemble(&h, data, sizes, &len);
    char msg[256];
    trj_policy p;
    CHECK_EQ(trj_load(&p, b, len, msg, sizeof msg), 0);
    trj_result r;
    CHECK_EQ(trj_eval(&p, TRJ_KIND_EXEC, NULL, 0, &r), TRJ_DENY);
    CHECK_EQ(r.reason, TRJ_REASON_DEFAULT);
    free(b);
}

/* ---- the BACKSTOP section (sample: META, PATH "/tmp", PATH "/usr", TCP_CONNECT 22) ---- */

static char *bs_path_bytes(uint8_t *b, uint32_t i) { return (char *)tb_sec(b, TRJ_SEC_STRINGS, NULL) + tb_bs(b, i)->path.off; }

TEST(backstop_entries_come_back_through_the_accessor)
{
    fixture f;
    fx_build(&f);
    CHECK_EQ(fx_load(&f), 0);
    const trj_bs_entry *e = NULL;
    uint32_t n = 0, len = 0;
    CHECK_EQ(trj_backstop(&f.p, &e, &n), 0);
    if (e == NULL || n != 4) {
        fx_free(&f);
        return;
    }
    CHECK_EQ(n, 4u);
    CHECK_EQ(e[0].kind, (uint32_t)TRJ_BS_META);
    CHECK_EQ(e[0].access, (uint32_t)(TRJ_BSM_FAMILY_INET | TRJ_BSM_FAMILY_INET6));
    CHECK_EQ(e[1].kind, (uint32_t)TRJ_BS_PATH);
    const char *s = trj_string(&f.p, e[1].path, &len);
    CHECK(s != NULL && len == 4 && memcmp(s, "/tmp", 4) == 0);
    s = trj_string(&f.p, e[2].path, &len);
    CHECK(s != NULL && len == 4 && memcmp(s, "/usr", 4) == 0);
    CHECK_EQ(e[2].access, (uint32_t)(TRJ_BS_READ | TRJ_BS_READ_DIR | TRJ_BS_EXEC));
    CHECK_EQ(e[3].kind, (uint32_t)TRJ_BS_TCP_CONNECT);
    CHECK_EQ(e[3].port, 22u);
    CHECK(trj_string(&f.p, (trj_str){0xfffffff0u, 32}, &len) == NULL && len == 0);
    trj_policy none;
    memset(&none, 0, sizeof none);
    CHECK_EQ(trj_backstop(&none, &e, &n), -EINVAL);
    CHECK_EQ(trj_backstop(NULL, &e, &n), -EINVAL);
    CHECK(trj_string(&none, e[1].path, &len) == NULL);
    fx_free(&f);
}

REJECTS(rejects_empty_backstop, "bad-backstop", {
    uint32_t size;
    uint8_t *bs = tb_sec(b, TRJ_SEC_BACKSTOP, &size);
    memset(bs, 0, size);
    tb_hdr(b)->sections[TRJ_SEC_BACKSTOP].size = 0;
})
REJECTS(rejects_backstop_partial_record, "bad-record-size", tb_hdr(b)->sections[TRJ_SEC_BACKSTOP].size -= 8)
REJECTS(rejects_backstop_without_meta_first, "bad-backstop", {
    trj_bs_entry t = *tb_bs(b, 0);
    *tb_bs(b, 0) = *tb_bs(b, 1);
    *tb_bs(b, 1) = t;
})
REJECTS(rejects_backstop_second_meta, "bad-backstop", { tb_bs(b, 3)->kind = TRJ_BS_META; tb_bs(b, 3)->port = 0; })
REJECTS(rejects_backstop_unknown_kind, "bad-backstop", tb_bs(b, 3)->kind = 4)
REJECTS(rejects_backstop_unknown_meta_bit, "bad-backstop", tb_bs(b, 0)->access = (uint32_t)TRJ_BSM_ALL + 1)
REJECTS(rejects_backstop_path_without_rights, "bad-backstop", tb_bs(b, 1)->access = 0)
REJECTS(rejects_backstop_unknown_right, "bad-backstop", tb_bs(b, 1)->access |= 1u << 9)
REJECTS(rejects_backstop_port_above_65535, "bad-backstop", tb_bs(b, 3)->port = 65536)
REJECTS(rejects_backstop_tcp_with_access, "bad-backstop", tb_bs(b, 3)->access = TRJ_BS_READ)
REJECTS(rejects_backstop_port_on_path, "bad-backstop", tb_bs(b, 1)->port = 1)
REJECTS(rejects_backstop_path_on_meta, "bad-backstop", tb_bs(b, 0)->path.len = 1)
REJECTS(rejects_backstop_path_on_tcp, "bad-backstop", tb_bs(b, 3)->path = tb_bs(b, 1)->path)
REJECTS(rejects_backstop_reserved, "reserved-nonzero", tb_bs(b, 2)->reserved = 1)
REJECTS(rejects_backstop_path_out_of_strings, "string-out-of-bounds", tb_bs(b, 1)->path.off = 0xfffffff0u)
REJECTS(rejects_backstop_empty_path, "bad-backstop", tb_bs(b, 1)->path.len = 0)
REJECTS(rejects_backstop_relative_path, "bad-backstop", { tb_bs(b, 1)->path.off += 1; tb_bs(b, 1)->path.len -= 1; })
REJECTS(rejects_backstop_trailing_slash, "bad-backstop", bs_path_bytes(b, 1)[3] = '/')        /* "/tm/" */
REJECTS(rejects_backstop_empty_component, "bad-backstop", bs_path_bytes(b, 1)[1] = '/')       /* "//mp" */
REJECTS(rejects_backstop_dot_component, "bad-backstop", { bs_path_bytes(b, 1)[1] = '.'; bs_path_bytes(b, 1)[2] = '/'; }) /* "/./p" */
REJECTS(rejects_backstop_dotdot_component, "bad-backstop", {
    bs_path_bytes(b, 1)[1] = '.';
    bs_path_bytes(b, 1)[2] = '.';
    tb_bs(b, 1)->path.len = 3; /* "/.." */
})
REJECTS(rejects_backstop_nul_in_path, "bad-backstop", bs_path_bytes(b, 1)[2] = '\0')
REJECTS(rejects_backstop_paths_not_sorted, "backstop-not-sorted", {
    trj_bs_entry t = *tb_bs(b, 1);
    *tb_bs(b, 1) = *tb_bs(b, 2);
    *tb_bs(b, 2) = t;
})
REJECTS(rejects_backstop_duplicate_path, "backstop-not-sorted", *tb_bs(b, 2) = *tb_bs(b, 1))
REJECTS(rejects_backstop_kinds_not_sorted, "backstop-not-sorted", {
    trj_bs_entry t = *tb_bs(b, 2);
    *tb_bs(b, 2) = *tb_bs(b, 3);
    *tb_bs(b, 3) = t;
})
