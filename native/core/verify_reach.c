/*
 * verify_reach.c — the last pass: how the pieces connect.
 *
 *   1. coverage: entry programs and rule blocks tile CODE — every instruction
 *      belongs to exactly one block (entries of several kinds may share one
 *      identical range); no dead code between blocks.
 *   2. every instruction of a rule block is reachable from its first one.
 *   3. entry programs have the shape CLASSIFY* (CANDIDATES | RULES)* DECIDE:
 *      no rule instruction, each slot classified at most once and before any
 *      CANDIDATES/RULES, CANDIDATES only on classified slots (once each), and
 *      RULES lists only name rules whose kind_mask includes the entry's kind.
 *   4. every rule tests only slots that the entry of every kind in its
 *      kind_mask classifies. Candidate lists may name rules of other kinds
 *      (classifiers are shared per slot); trj_eval skips a rule whose kind_mask
 *      lacks the kind, so a rule only ever runs where its slots are classified.
 */
#include <string.h>

#include "verify_int.h"

/* ---- 1. coverage ----------------------------------------------------------- */

static int check_coverage(vctx *v)
{
    const trj_policy *p = &v->p;
    uint32_t order[TRJ_KIND_COUNT], ne = 0;
    for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) { /* distinct entries by code_off */
        const trj_entry *e = &p->entries[k];
        uint32_t j = ne, dup = 0;
        for (uint32_t i = 0; i < ne; i++)
            if (p->entries[order[i]].code_off == e->code_off && p->entries[order[i]].code_len == e->code_len)
                dup = 1;
        if (dup)
            continue;
        while (j > 0 && p->entries[order[j - 1]].code_off > e->code_off) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
        ne++;
    }
    /* Merge walk: rule blocks ascend (trj_check_rules), entries are sorted now. */
    uint64_t pos = 0;
    uint32_t i = 0, j = 0;
    while (pos < p->n_insns || i < ne || j < p->n_rules) {
        const trj_entry *e = i < ne ? &p->entries[order[i]] : NULL;
        const trj_rule *r = j < p->n_rules ? &p->rules[j] : NULL;
        if (e != NULL && e->code_off == pos) {
            pos += e->code_len;
            i++;
        } else if (r != NULL && r->code_off == pos) {
            pos += r->code_len;
            j++;
        } else if (e != NULL && e->code_off < pos) {
            return trj_vfail(v, "block-overlap", "entry %s [%u, %llu) overlaps the block before it (ends at %llu)",
                         trj_kind_name(order[i]), e->code_off, (unsigned long long)e->code_off + e->code_len,
                         (unsigned long long)pos);
        } else if (r != NULL && r->code_off < pos) {
            char l[TRJ_LABEL_LEN];
            return trj_vfail(v, "block-overlap", "%s: block [%u, %llu) overlaps the block before it (ends at %llu)",
                         trj_vlabel_rule(v, j, l), r->code_off, (unsigned long long)r->code_off + r->code_len,
                         (unsigned long long)pos);
        } else {
            return trj_vfail(v, "unreachable-insn", "insn %llu: belongs to no entry program or rule block",
                         (unsigned long long)pos);
        }
    }
    return 0;
}

/* ---- 2. reachability inside rule blocks ------------------------------------- */

static int check_block_reach(vctx *v, uint32_t r)
{
    const trj_rule *rr = &v->p.rules[r];
    uint8_t reach[(TRJ_MAX_BLOCK_LEN + 8) / 8]; /* code_len <= TRJ_MAX_BLOCK_LEN (trj_check_rules) */
    memset(reach, 0, (rr->code_len + 7) / 8);
    bit_set(reach, 0);
    for (uint32_t i = 0; i < rr->code_len; i++) {
        const trj_insn *in = &v->p.code[rr->code_off + i];
        if (!bit_get(reach, i)) {
            char l[TRJ_LABEL_LEN];
            return trj_vfail(v, "unreachable-insn", "%s: no path from the start of the block reaches it",
                         trj_vlabel_insn(v, rr->code_off + i, l));
        }
        /* Targets are inside the block (trj_check_rules). */
        if (in->op == TRJ_OP_JATOM) {
            bit_set(reach, i + 1 + in->jt);
            bit_set(reach, i + 1 + in->jf);
        } else if (in->op == TRJ_OP_JA) {
            bit_set(reach, i + 1 + in->jt);
        }
    }
    return 0;
}

/* ---- 3. entry programs ------------------------------------------------------ */

static int check_entry(vctx *v, uint32_t kind)
{
    const trj_policy *p = &v->p;
    const trj_entry *e = &p->entries[kind];
    uint8_t *classified = v->classified[kind];
    uint8_t candidates[TRJ_MAX_SLOTS / 8];
    memset(classified, 0, TRJ_MAX_SLOTS / 8);
    memset(candidates, 0, sizeof candidates);
    int evaluating = 0; /* seen CANDIDATES or RULES */
    char l[TRJ_LABEL_LEN], l2[TRJ_LABEL_LEN];
    const char *kn = trj_kind_name(kind);
    for (uint32_t pc = e->code_off; pc < e->code_off + e->code_len; pc++) {
        const trj_insn *in = &p->code[pc];
        /* Operands are in range (trj_check_code). */
        switch (in->op) {
        case TRJ_OP_CLASSIFY:
            if (evaluating)
                return trj_vfail(v, "classify-out-of-order", "%s: entry %s CLASSIFYs after CANDIDATES/RULES",
                             trj_vlabel_insn(v, pc, l), kn);
            if (bit_get(classified, in->a))
                return trj_vfail(v, "duplicate-classify", "%s: entry %s classifies %s twice", trj_vlabel_insn(v, pc, l), kn,
                             trj_vlabel_slot(v, in->a, l2));
            bit_set(classified, in->a);
            break;
        case TRJ_OP_CANDIDATES:
            evaluating = 1;
            if (!bit_get(classified, in->a))
                return trj_vfail(v, "candidates-before-classify", "%s: entry %s has not classified %s",
                             trj_vlabel_insn(v, pc, l), kn, trj_vlabel_slot(v, in->a, l2));
            if (bit_get(candidates, in->a))
                return trj_vfail(v, "duplicate-candidates", "%s: entry %s evaluates the candidates of %s twice",
                             trj_vlabel_insn(v, pc, l), kn, trj_vlabel_slot(v, in->a, l2));
            bit_set(candidates, in->a);
            break;
        case TRJ_OP_RULES: {
            evaluating = 1;
            int rc = trj_vspend(v, in->b);
            if (rc != 0)
                return rc;
            for (uint32_t i = 0; i < in->b; i++) {
                uint32_t r = p->lists[in->a + i]; /* < n_rules (trj_check_lists) */
                if (!((p->rules[r].kind_mask >> kind) & 1))
                    return trj_vfail(v, "rule-kind-mismatch", "%s: entry %s lists %s, which does not apply to %s",
                                 trj_vlabel_insn(v, pc, l), kn, trj_vlabel_rule(v, r, l2), kn);
            }
            break;
        }
        case TRJ_OP_DECIDE:
            if (pc + 1 != e->code_off + e->code_len)
                return trj_vfail(v, "unreachable-insn", "%s: follows DECIDE in entry %s", trj_vlabel_insn(v, pc + 1, l), kn);
            break;
        default:
            return trj_vfail(v, "opcode-not-allowed-here", "%s: rule instruction %u in entry %s", trj_vlabel_insn(v, pc, l),
                         in->op, kn);
        }
    }
    return 0;
}

/* ---- 4. slots a rule tests are classified wherever it applies --------------- */

static int check_rule_slots(vctx *v, uint32_t r)
{
    const trj_policy *p = &v->p;
    const trj_rule *rr = &p->rules[r];
    for (uint32_t pc = rr->code_off; pc < rr->code_off + rr->code_len; pc++) {
        if (p->code[pc].op != TRJ_OP_JATOM)
            continue;
        uint32_t slot = p->atoms[p->code[pc].a].slot; /* atom < n_atoms (trj_check_code), slot < n_fields (trj_check_atoms) */
        for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
            if (((rr->kind_mask >> k) & 1) && !bit_get(v->classified[k], slot)) {
                char l[TRJ_LABEL_LEN], l2[TRJ_LABEL_LEN];
                return trj_vfail(v, "unclassified-slot", "%s: applies to %s and tests %s, which entry %s never classifies",
                             trj_vlabel_insn(v, pc, l), trj_kind_name(k), trj_vlabel_slot(v, slot, l2), trj_kind_name(k));
            }
        }
    }
    return 0;
}

int trj_check_reachability(vctx *v)
{
    int rc = check_coverage(v);
    for (uint32_t r = 0; rc == 0 && r < v->p.n_rules; r++)
        rc = check_block_reach(v, r);
    for (uint32_t k = 0; rc == 0 && k < TRJ_KIND_COUNT; k++)
        rc = check_entry(v, k);
    for (uint32_t r = 0; rc == 0 && r < v->p.n_rules; r++)
        rc = check_rule_slots(v, r);
    return rc;
}
