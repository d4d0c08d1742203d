/*
 * eval.c — trj_eval: run one kind's entry program over a verified table.
 *
 * No allocation, no syscalls, no locks, no recursion; all state is on the
 * stack (about 1 KB), so it is safe from any thread and from signal handlers.
 * It does no bounds checks of its own: every table access below is proven
 * safe by a verifier pass, named in a "verified:" comment beside it. Inputs
 * from the caller (kind, values) are checked, and any problem denies.
 */
#include "core_int.h"

static uint32_t fail(trj_result *out, uint32_t error)
{
    out->decision = TRJ_DENY;
    out->reason = TRJ_REASON_EVAL_ERROR;
    out->rule = -1;
    out->flagged = 0;
    out->timeout_ms = 0;
    out->error = error;
    return TRJ_DENY;
}

/* ---- classifiers ------------------------------------------------------------ */

static uint32_t walk_dfa(const trj_policy *p, const trj_classifier *c, const uint8_t *s, uint32_t len)
{
    /* verified: trj_check_classifiers — the table lies in DATA, byte_class < n_columns,
     * start and every transition are row offsets (multiples of the stride
     * n_columns + 1 below n_states * stride, which is < 2^31), states below n_sink
     * only loop, and every row's trailing class slot is < n_classes. So row + column
     * and row + n_columns stay inside next[], and stopping below sink_limit is exact. */
    const uint8_t *byte_class = p->data + c->data_off;
    const uint32_t *next = (const uint32_t *)(byte_class + TRJ_DFA_BYTE_CLASS_SIZE);
    /* No asm register barrier needed any more: with state_info gone, `next` is
     * byte_class + 256 (a constant), and gcc -O2 keeps it in a base register of
     * its own; the barrier left the per-byte loop identical (measured, format 3). */
    /* size_t: the loaded row is already zero-extended, so a step is one add and one load;
     * the sink test is a compare with a register. */
    const size_t sink_limit = (size_t)c->n_sink * (c->n_columns + TRJ_DFA_ROW_EXTRA);
    size_t row = c->start;
    if (row >= sink_limit)
        for (uint32_t i = 0; i < len; i++) {
            row = next[row + byte_class[s[i]]];
            if (row < sink_limit)
                break;
        }
    return next[row + c->n_columns]; /* the row's class slot; verified: < n_classes (trj_check_classifiers) */
}

static uint32_t find_interval(const trj_policy *p, const trj_classifier *c, trj_key key)
{
    /* verified: trj_check_classifiers — n_states bounds, strictly ascending, then
     * n_states + 1 classes, all inside DATA and 8-aligned. */
    const trj_key *bounds = (const trj_key *)(p->data + c->data_off);
    const uint32_t *cls = (const uint32_t *)(bounds + c->n_states);
    uint32_t lo = 0, hi = c->n_states; /* result: number of bounds <= key */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const trj_key *b = &bounds[mid];
        if (b->hi < key.hi || (b->hi == key.hi && b->lo <= key.lo))
            lo = mid + 1;
        else
            hi = mid;
    }
    return cls[lo]; /* verified: < n_classes (trj_check_classifiers) */
}

static uint64_t load_be64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

/* Class (absolute index) of one value, or an error code in *err. */
static uint32_t classify(const trj_policy *p, const trj_insn *in, const trj_value *val, uint32_t *err)
{
    const trj_classifier *c = &p->classifiers[in->b]; /* verified: b < n_classifiers (trj_check_code) */
    uint32_t rel;
    if (val->type == TRJ_V_ABSENT) {
        if (in->flags & TRJ_F_REQUIRED) {
            *err = TRJ_EVAL_MISSING_FIELD;
            return 0;
        }
        rel = c->absent_class; /* verified: < n_classes (trj_check_classifiers) */
    } else if (c->type == TRJ_T_STR) { /* verified: c->type == the slot's type (trj_check_classifiers) */
        if (val->type != TRJ_V_BYTES || (val->u.bytes == NULL && val->len > 0)) {
            *err = TRJ_EVAL_TYPE_MISMATCH;
            return 0;
        }
        if (val->len > TRJ_MAX_VALUE_LEN) {
            *err = TRJ_EVAL_VALUE_TOO_LONG;
            return 0;
        }
        rel = walk_dfa(p, c, val->u.bytes, val->len);
    } else if (c->type == TRJ_T_INT) {
        if (val->type != TRJ_V_INT) {
            *err = TRJ_EVAL_TYPE_MISMATCH;
            return 0;
        }
        trj_key k = {.lo = (uint64_t)val->u.i ^ (1ull << 63), .hi = 0};
        rel = find_interval(p, c, k);
    } else { /* TRJ_T_IP: the only type left (trj_check_classifiers) */
        if (val->type != TRJ_V_IP) {
            *err = TRJ_EVAL_TYPE_MISMATCH;
            return 0;
        }
        trj_key k = {.lo = load_be64(val->u.ip + 8), .hi = load_be64(val->u.ip)};
        rel = find_interval(p, c, k);
    }
    return c->class_base + rel; /* verified: < n_classes (trj_check_classifiers tiles CLASSES) */
}

/* ---- rules ------------------------------------------------------------------ */

typedef struct best {
    uint32_t rank; /* 0 none, 1 allow/flag, 2 ask, 3 deny */
    uint32_t rule;
    uint32_t flagged;
} best;

static uint32_t rank_of(uint32_t decision)
{
    switch (decision) {
    case TRJ_DENY: return 3;
    case TRJ_ASK: return 2;
    default: return 1; /* allow, flag (trj_check_rules: nothing else) */
    }
}

static int atom_true(const trj_policy *p, const uint32_t *cls, uint32_t atom)
{
    /* verified: atom < n_atoms (trj_check_code); its slot is classified by every
     * entry this rule runs in (trj_check_reachability 4 + the kind test in
     * consider), so cls[slot] was written; atom lists ascend (trj_check_lists). */
    const trj_class *c = &p->classes[cls[p->atoms[atom].slot]];
    const uint32_t *l = p->lists + c->atoms_off;
    uint32_t lo = 0, hi = c->atoms_len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l[mid] < atom)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->atoms_len && l[lo] == atom;
}

static uint32_t run_block(const trj_policy *p, const uint32_t *cls, const trj_rule *r)
{
    /* verified (trj_check_rules): the block holds only JATOM/JA/RET, ends in RET and
     * every jump lands inside it, forward; so pc only grows and stays in it. */
    uint32_t pc = r->code_off;
    for (;;) {
        const trj_insn *in = &p->code[pc];
        switch (in->op) {
        case TRJ_OP_JATOM: pc += 1u + (atom_true(p, cls, in->a) ? in->jt : in->jf); break;
        case TRJ_OP_JA: pc += 1u + in->jt; break;
        default: return in->a; /* RET 0|1 (trj_check_code) */
        }
    }
}

/* Evaluate rule r for this kind and fold it into *b. */
static void consider(const trj_policy *p, uint32_t kind, const uint32_t *cls, uint32_t r, best *b)
{
    const trj_rule *rr = &p->rules[r]; /* verified: list ids < n_rules (trj_check_lists) */
    if (!((rr->kind_mask >> kind) & 1))
        return; /* a candidate of another kind sharing this classifier */
    uint32_t rank = rank_of(rr->decision);
    int wins = rank > b->rank || (rank == b->rank && r < b->rule);
    int marks = rr->decision == TRJ_FLAG && !b->flagged && b->rank <= 1;
    if (!wins && !marks)
        return; /* cannot change the result */
    if (!run_block(p, cls, rr))
        return;
    if (rr->decision == TRJ_FLAG)
        b->flagged = 1;
    if (wins) {
        b->rank = rank;
        b->rule = r;
    }
}

/* ---- entry program ---------------------------------------------------------- */

uint32_t trj_eval(const trj_policy *p, uint32_t kind, const trj_value *values, uint32_t n_values, trj_result *out)
{
    trj_result sink;
    if (out == NULL)
        out = &sink;
    if (!trj_loaded(p))
        return fail(out, TRJ_EVAL_NOT_LOADED);
    if (kind >= TRJ_KIND_COUNT)
        return fail(out, TRJ_EVAL_BAD_KIND);
    if (values == NULL)
        n_values = 0;

    uint32_t cls[TRJ_MAX_SLOTS]; /* only classified slots are read (trj_check_reachability) */
    best b = {.rank = 0, .rule = UINT32_MAX, .flagged = 0};
    const trj_entry *e = &p->entries[kind]; /* verified: TRJ_KIND_COUNT entries (trj_check_sections) */
    /* verified (trj_check_entries, trj_check_reachability 3): the program lies in CODE,
     * is CLASSIFY* (CANDIDATES|RULES)* DECIDE, and ends at its DECIDE. */
    for (uint32_t pc = e->code_off;; pc++) {
        const trj_insn *in = &p->code[pc];
        switch (in->op) {
        case TRJ_OP_CLASSIFY: {
            uint32_t err = TRJ_EVAL_OK;
            if (in->a >= n_values) /* verified: a < n_fields <= TRJ_MAX_SLOTS (trj_check_code, trj_check_sections) */
                return fail(out, TRJ_EVAL_TOO_FEW_SLOTS);
            uint32_t c = classify(p, in, &values[in->a], &err);
            if (err != TRJ_EVAL_OK)
                return fail(out, err);
            cls[in->a] = c;
            break;
        }
        case TRJ_OP_CANDIDATES: {
            /* verified: slot classified above (trj_check_reachability 3); the class's
             * rule list lies in LISTS (trj_check_lists). */
            const trj_class *c = &p->classes[cls[in->a]];
            for (uint32_t i = 0; i < c->rules_len; i++)
                consider(p, kind, cls, p->lists[c->rules_off + i], &b);
            break;
        }
        case TRJ_OP_RULES:
            /* verified: [a, a+b) lies in LISTS (trj_check_code), ids < n_rules (trj_check_lists). */
            for (uint32_t i = 0; i < in->b; i++)
                consider(p, kind, cls, p->lists[in->a + i], &b);
            break;
        default: { /* DECIDE: a == header default (trj_check_code) */
            out->error = TRJ_EVAL_OK;
            if (b.rank == 0) {
                out->decision = p->hdr->default_decision;
                out->reason = TRJ_REASON_DEFAULT;
                out->rule = -1;
                out->flagged = 0;
                out->timeout_ms = 0;
                return out->decision;
            }
            const trj_rule *r = &p->rules[b.rule];
            out->decision = r->decision == TRJ_FLAG ? TRJ_ALLOW : r->decision;
            out->reason = TRJ_REASON_RULE;
            out->rule = (int32_t)b.rule; /* < TRJ_MAX_RULES (trj_check_sections) */
            out->flagged = out->decision == TRJ_ALLOW ? b.flagged : 0;
            out->timeout_ms = out->decision == TRJ_ASK ? r->timeout_ms : 0;
            return out->decision;
        }
        }
    }
}
