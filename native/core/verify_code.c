/*
 * verify_code.c — passes over CODE and the records that point into it:
 * entries (ranges, DECIDE last), code (each instruction on its own), rules
 * (record fields, block ranges and shape, jumps), atoms.
 */
#include "verify_int.h"

/* ---- pass: entries ----------------------------------------------------------
 * Proves: each of the TRJ_KIND_COUNT entries is a non-empty range inside CODE
 * whose last instruction is DECIDE. */
int trj_check_entries(vctx *v)
{
    const trj_policy *p = &v->p;
    for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
        const trj_entry *e = &p->entries[k];
        uint64_t end = (uint64_t)e->code_off + e->code_len;
        if (end > p->n_insns)
            return trj_vfail(v, "entry-out-of-range", "entry %s: code [%u, %llu) past the end of CODE (%u insns)",
                         trj_kind_name(k), e->code_off, (unsigned long long)end, p->n_insns);
        if (e->code_len == 0)
            return trj_vfail(v, "entry-missing-decide", "entry %s: empty program", trj_kind_name(k));
        if (p->code[end - 1].op != TRJ_OP_DECIDE)
            return trj_vfail(v, "entry-missing-decide", "entry %s: last insn %llu is not DECIDE", trj_kind_name(k),
                         (unsigned long long)(end - 1));
    }
    return 0;
}

/* ---- pass: code -------------------------------------------------------------
 * Proves, for every instruction wherever it lies: a known opcode, unused
 * operands zero, and operands in range:
 *   CLASSIFY   a < n_fields, b < n_classifiers, classifiers[b].slot == a,
 *              flags within TRJ_F_REQUIRED
 *   CANDIDATES a < n_fields
 *   RULES      1 <= b, a + b <= n_lists
 *   DECIDE     a is allow/deny/ask and equals header.default_decision
 *   JATOM      a < n_atoms
 *   RET        a is 0 or 1
 * Jump targets depend on the block and are checked by trj_check_rules. */

enum { U_FLAGS = 1, U_JT = 2, U_JF = 4, U_A = 8, U_B = 16 };

static int unused_zero(vctx *v, uint32_t i, const char *op, unsigned mask)
{
    const trj_insn *in = &v->p.code[i];
    const char *what = NULL;
    if (in->reserved != 0)
        what = "reserved";
    else if ((mask & U_FLAGS) && in->flags != 0)
        what = "flags";
    else if ((mask & U_JT) && in->jt != 0)
        what = "jt";
    else if ((mask & U_JF) && in->jf != 0)
        what = "jf";
    else if ((mask & U_A) && in->a != 0)
        what = "a";
    else if ((mask & U_B) && in->b != 0)
        what = "b";
    if (what == NULL)
        return 0;
    char l[TRJ_LABEL_LEN];
    return trj_vfail(v, "reserved-nonzero", "%s: %s has nonzero %s", trj_vlabel_insn(v, i, l), op, what);
}

static int check_insn(vctx *v, uint32_t i)
{
    const trj_policy *p = &v->p;
    const trj_insn *in = &p->code[i];
    char l[TRJ_LABEL_LEN];
    int rc;
    switch (in->op) {
    case TRJ_OP_CLASSIFY:
        if ((rc = unused_zero(v, i, "CLASSIFY", U_JT | U_JF)) != 0)
            return rc;
        if (in->flags & ~TRJ_F_REQUIRED)
            return trj_vfail(v, "reserved-nonzero", "%s: CLASSIFY has unknown flags 0x%x", trj_vlabel_insn(v, i, l),
                         in->flags);
        if (in->a >= p->n_fields)
            return trj_vfail(v, "bad-slot", "%s: CLASSIFY slot %u, the policy has %u fields", trj_vlabel_insn(v, i, l), in->a,
                         p->n_fields);
        if (in->b >= p->n_classifiers)
            return trj_vfail(v, "bad-classifier", "%s: CLASSIFY classifier %u, the policy has %u",
                         trj_vlabel_insn(v, i, l), in->b, p->n_classifiers);
        if (p->classifiers[in->b].slot != in->a)
            return trj_vfail(v, "classifier-slot-mismatch", "%s: CLASSIFY slot %u with classifier %u, which is for slot %u",
                         trj_vlabel_insn(v, i, l), in->a, in->b, p->classifiers[in->b].slot);
        return 0;
    case TRJ_OP_CANDIDATES:
        if ((rc = unused_zero(v, i, "CANDIDATES", U_FLAGS | U_JT | U_JF | U_B)) != 0)
            return rc;
        if (in->a >= p->n_fields)
            return trj_vfail(v, "bad-slot", "%s: CANDIDATES slot %u, the policy has %u fields", trj_vlabel_insn(v, i, l),
                         in->a, p->n_fields);
        return 0;
    case TRJ_OP_RULES:
        if ((rc = unused_zero(v, i, "RULES", U_FLAGS | U_JT | U_JF)) != 0)
            return rc;
        if (in->b == 0)
            return trj_vfail(v, "bad-operand", "%s: RULES with an empty list", trj_vlabel_insn(v, i, l));
        if ((uint64_t)in->a + in->b > p->n_lists)
            return trj_vfail(v, "list-out-of-bounds", "%s: RULES list [%u, %llu) past the end of LISTS (%u)",
                         trj_vlabel_insn(v, i, l), in->a, (unsigned long long)in->a + in->b, p->n_lists);
        return 0;
    case TRJ_OP_DECIDE:
        if ((rc = unused_zero(v, i, "DECIDE", U_FLAGS | U_JT | U_JF | U_B)) != 0)
            return rc;
        if (in->a != TRJ_ALLOW && in->a != TRJ_DENY && in->a != TRJ_ASK)
            return trj_vfail(v, "bad-decision", "%s: DECIDE %u is not allow(1), deny(2) or ask(3)", trj_vlabel_insn(v, i, l),
                         in->a);
        if (in->a != v->hdr->default_decision)
            return trj_vfail(v, "bad-decision", "%s: DECIDE %u differs from the header default %u", trj_vlabel_insn(v, i, l),
                         in->a, v->hdr->default_decision);
        return 0;
    case TRJ_OP_JATOM:
        if ((rc = unused_zero(v, i, "JATOM", U_FLAGS | U_B)) != 0)
            return rc;
        if (in->a >= p->n_atoms)
            return trj_vfail(v, "bad-atom", "%s: JATOM atom %u, the policy has %u", trj_vlabel_insn(v, i, l), in->a,
                         p->n_atoms);
        return 0;
    case TRJ_OP_JA:
        return unused_zero(v, i, "JA", U_FLAGS | U_JF | U_A | U_B);
    case TRJ_OP_RET:
        if ((rc = unused_zero(v, i, "RET", U_FLAGS | U_JT | U_JF | U_B)) != 0)
            return rc;
        if (in->a > 1)
            return trj_vfail(v, "bad-operand", "%s: RET %u, must be 0 or 1", trj_vlabel_insn(v, i, l), in->a);
        return 0;
    default:
        return trj_vfail(v, "bad-opcode", "%s: unknown opcode %u", trj_vlabel_insn(v, i, l), in->op);
    }
}

int trj_check_code(vctx *v)
{
    for (uint32_t i = 0; i < v->p.n_insns; i++) {
        int rc = check_insn(v, i);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- pass: rules ------------------------------------------------------------
 * Proves, for every rule: decision is allow/deny/ask/flag; timeout_ms only on
 * ask; kind_mask non-empty with only known kinds; the block is 1..MAX_BLOCK_LEN
 * insns inside CODE, after the previous rule's block (blocks lie in rule order
 * and never overlap); the block holds only JATOM/JA/RET, ends in RET, and
 * every jump lands inside the block (forward, as offsets are unsigned). So a
 * block walk from code_off only moves forward and stops at a RET in the block. */

static const char *op_name(uint8_t op)
{
    switch (op) {
    case TRJ_OP_CLASSIFY: return "CLASSIFY";
    case TRJ_OP_CANDIDATES: return "CANDIDATES";
    case TRJ_OP_RULES: return "RULES";
    case TRJ_OP_DECIDE: return "DECIDE";
    case TRJ_OP_JATOM: return "JATOM";
    case TRJ_OP_JA: return "JA";
    case TRJ_OP_RET: return "RET";
    default: return "?";
    }
}

static int jump_ok(vctx *v, uint32_t r, uint32_t pc, const char *which, uint16_t off, uint64_t end)
{
    uint64_t target = (uint64_t)pc + 1 + off;
    if (target < end)
        return 0;
    char l[TRJ_LABEL_LEN];
    return trj_vfail(v, "jump-out-of-range", "%s: %s %s+%u targets insn %llu, outside the block [%u, %llu)",
                 trj_vlabel_insn(v, pc, l), op_name(v->p.code[pc].op), which, off, (unsigned long long)target,
                 v->p.rules[r].code_off, (unsigned long long)end);
}

static int check_block(vctx *v, uint32_t r)
{
    const trj_rule *rr = &v->p.rules[r];
    uint64_t end = (uint64_t)rr->code_off + rr->code_len;
    char l[TRJ_LABEL_LEN];
    int rc;
    if (v->p.code[end - 1].op != TRJ_OP_RET)
        return trj_vfail(v, "block-falls-through", "%s: last insn of the block is %s, not RET",
                     trj_vlabel_insn(v, (uint32_t)(end - 1), l), op_name(v->p.code[end - 1].op));
    for (uint32_t pc = rr->code_off; pc < end; pc++) {
        const trj_insn *in = &v->p.code[pc];
        switch (in->op) {
        case TRJ_OP_JATOM:
            if ((rc = jump_ok(v, r, pc, "jt", in->jt, end)) != 0 || (rc = jump_ok(v, r, pc, "jf", in->jf, end)) != 0)
                return rc;
            break;
        case TRJ_OP_JA:
            if ((rc = jump_ok(v, r, pc, "jt", in->jt, end)) != 0)
                return rc;
            break;
        case TRJ_OP_RET:
            break;
        default:
            return trj_vfail(v, "opcode-not-allowed-here", "%s: %s is an entry instruction, not allowed in a rule block",
                         trj_vlabel_insn(v, pc, l), op_name(in->op));
        }
    }
    return 0;
}

int trj_check_rules(vctx *v)
{
    const trj_policy *p = &v->p;
    char l[TRJ_LABEL_LEN];
    uint64_t prev_end = 0;
    for (uint32_t r = 0; r < p->n_rules; r++) {
        const trj_rule *rr = &p->rules[r];
        uint64_t end = (uint64_t)rr->code_off + rr->code_len;
        if (rr->decision < TRJ_ALLOW || rr->decision > TRJ_FLAG)
            return trj_vfail(v, "bad-decision", "%s: decision %u is not allow, deny, ask or flag",
                         trj_vlabel_rule(v, r, l), rr->decision);
        if (rr->timeout_ms != 0 && rr->decision != TRJ_ASK)
            return trj_vfail(v, "bad-rule", "%s: timeout_ms %u on a rule that is not ask", trj_vlabel_rule(v, r, l),
                         rr->timeout_ms);
        if (rr->reserved != 0)
            return trj_vfail(v, "reserved-nonzero", "%s: reserved is 0x%x", trj_vlabel_rule(v, r, l), rr->reserved);
        if (rr->kind_mask == 0)
            return trj_vfail(v, "bad-rule", "%s: kind_mask is 0, the rule applies to no kind", trj_vlabel_rule(v, r, l));
        if (rr->kind_mask >> TRJ_KIND_COUNT)
            return trj_vfail(v, "bad-rule", "%s: kind_mask 0x%x has bits beyond the %u kinds", trj_vlabel_rule(v, r, l),
                         rr->kind_mask, TRJ_KIND_COUNT);
        if (rr->code_len == 0)
            return trj_vfail(v, "bad-rule", "%s: empty condition block", trj_vlabel_rule(v, r, l));
        if (rr->code_len > TRJ_MAX_BLOCK_LEN)
            return trj_vfail(v, "limit-exceeded", "%s: block of %u insns, the limit is %u", trj_vlabel_rule(v, r, l),
                         rr->code_len, TRJ_MAX_BLOCK_LEN);
        if (end > p->n_insns)
            return trj_vfail(v, "bad-rule", "%s: block [%u, %llu) past the end of CODE (%u insns)", trj_vlabel_rule(v, r, l),
                         rr->code_off, (unsigned long long)end, p->n_insns);
        if (rr->code_off < prev_end)
            return trj_vfail(v, "block-overlap", "%s: block starts at insn %u, before the previous rule's block ends (%llu)",
                         trj_vlabel_rule(v, r, l), rr->code_off, (unsigned long long)prev_end);
        prev_end = end;
        int rc = check_block(v, r);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- pass: atoms ------------------------------------------------------------
 * Proves: every atom's slot < n_fields. */
int trj_check_atoms(vctx *v)
{
    const trj_policy *p = &v->p;
    char l[TRJ_LABEL_LEN];
    for (uint32_t a = 0; a < p->n_atoms; a++)
        if (p->atoms[a].slot >= p->n_fields)
            return trj_vfail(v, "bad-slot", "atom %u: %s, the policy has %u fields", a, trj_vlabel_slot(v, p->atoms[a].slot, l),
                         p->n_fields);
    return 0;
}
