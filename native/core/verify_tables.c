/*
 * verify_tables.c — passes over the lookup tables: lists (the atom and rule
 * id lists of classes and RULES instructions) and classifiers (with their
 * classes and DFA / interval data).
 */
#include "verify_int.h"

/* ---- pass: lists ------------------------------------------------------------
 * Proves, for every class and every RULES instruction (range already proven by
 * trj_check_code): each list lies inside LISTS; atom lists hold atom ids < n_atoms
 * and rule lists rule ids < n_rules, strictly ascending (so binary search is
 * exact). Lists may be shared; visits are charged to the work budget. */

static int check_list(vctx *v, const char *where, uint32_t idx, const char *what, uint32_t off, uint32_t len,
                      uint32_t limit, const char *bad_code, const char *unsorted_code)
{
    const trj_policy *p = &v->p;
    uint64_t end = (uint64_t)off + len;
    if (end > p->n_lists)
        return trj_vfail(v, "list-out-of-bounds", "%s %u: %s list [%u, %llu) past the end of LISTS (%u)", where, idx, what,
                     off, (unsigned long long)end, p->n_lists);
    int rc = trj_vspend(v, len);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < len; i++) {
        uint32_t x = p->lists[off + i];
        if (x >= limit)
            return trj_vfail(v, bad_code,
                         "%s %u: %s list element %u (LISTS[%u]) is %u, the policy has %u", where, idx, what, i, off + i,
                         x, limit);
        if (i > 0 && x <= p->lists[off + i - 1])
            return trj_vfail(v, unsorted_code, "%s %u: %s list element %u (LISTS[%u]) is %u, not above the previous %u",
                         where, idx, what, i, off + i, x, p->lists[off + i - 1]);
    }
    return 0;
}

int trj_check_lists(vctx *v)
{
    const trj_policy *p = &v->p;
    int rc;
    for (uint32_t c = 0; c < p->n_classes; c++) {
        const trj_class *cl = &p->classes[c];
        if ((rc = check_list(v, "class", c, "atom", cl->atoms_off, cl->atoms_len, p->n_atoms, "bad-atom", "atoms-not-sorted")) != 0 ||
            (rc = check_list(v, "class", c, "rule", cl->rules_off, cl->rules_len, p->n_rules, "bad-rule", "rules-not-sorted")) != 0)
            return rc;
    }
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const trj_insn *in = &p->code[i];
        if (in->op == TRJ_OP_RULES &&
            (rc = check_list(v, "insn", i, "RULES", in->a, in->b, p->n_rules, "bad-rule", "rules-not-sorted")) != 0)
            return rc;
    }
    return 0;
}

/* ---- pass: classifiers ------------------------------------------------------
 * Proves, for every classifier:
 *   - type is str/int/ip and equals the type of its slot (slot < n_fields);
 *   - its classes are [class_base, class_base + n_classes), n_classes >= 1,
 *     following the previous classifier's (classes tile CLASSES exactly, so
 *     each class belongs to one classifier), absent_class < n_classes, and every
 *     atom in those classes' atom lists tests this classifier's slot;
 *   - data_off is a multiple of 8 and its table lies inside DATA; the tables of
 *     all classifiers add up to at most DATA's size (no sharing: bounded work);
 *   - DFA: 1 <= n_states <= TRJ_MAX_DFA_STATES, 1 <= n_columns <= 256,
 *     n_sink <= n_states, start and every transition are row offsets
 *     (multiples of the stride n_columns + 1 below n_states * stride), every
 *     byte_class < n_columns, every row's trailing class slot < n_classes, and
 *     every state below n_sink only loops;
 *   - intervals: n_columns == start == n_sink == 0, bounds strictly ascending (int bounds
 *     have hi == 0), every cls < n_classes.
 * So a DFA walk or interval search stays inside DATA and yields a class index
 * in [class_base, class_base + n_classes). */

static int check_dfa(vctx *v, uint32_t k, const trj_classifier *c, uint64_t *size)
{
    if (c->n_states == 0)
        return trj_vfail(v, "bad-classifier", "classifier %u: DFA with no states", k);
    if (c->n_states > TRJ_MAX_DFA_STATES)
        return trj_vfail(v, "limit-exceeded", "classifier %u: %u DFA states, the limit is %u", k, c->n_states,
                     TRJ_MAX_DFA_STATES);
    if (c->n_columns == 0 || c->n_columns > 256)
        return trj_vfail(v, "bad-classifier", "classifier %u: %u columns, must be 1..256", k, c->n_columns);
    if (c->n_sink > c->n_states)
        return trj_vfail(v, "bad-classifier", "classifier %u: n_sink %u, the DFA has %u states", k, c->n_sink,
                     c->n_states);
    /* Row offsets: below 2^22 * 257 < 2^31, so row + column never wraps a uint32_t. */
    const uint32_t ncol = c->n_columns, stride = ncol + TRJ_DFA_ROW_EXTRA, rows_end = c->n_states * stride;
    if (c->start >= rows_end || c->start % stride != 0)
        return trj_vfail(v, "bad-dfa-start", "classifier %u: start %u is not a row offset (a multiple of the stride %u "
                     "below %u: %u states of %u columns + 1 class slot)", k, c->start, stride, rows_end, c->n_states,
                     ncol);
    *size = TRJ_DFA_BYTE_CLASS_SIZE + 4ull * rows_end;
    uint64_t end = (uint64_t)c->data_off + *size;
    if (end > v->p.data_size)
        return trj_vfail(v, "data-out-of-bounds", "classifier %u: DFA table [%u, %llu) past the end of DATA (%u)", k,
                     c->data_off, (unsigned long long)end, v->p.data_size);
    const uint8_t *byte_class = v->p.data + c->data_off;
    const uint32_t *next = (const uint32_t *)(byte_class + TRJ_DFA_BYTE_CLASS_SIZE);
    for (uint32_t b = 0; b < 256; b++)
        if (byte_class[b] >= ncol)
            return trj_vfail(v, "bad-byte-class", "classifier %u: byte 0x%02x maps to column %u, the DFA has %u", k, b,
                         byte_class[b], ncol);
    for (uint32_t s = 0; s < c->n_states; s++) {
        const uint32_t *row = next + (uint64_t)s * stride;
        if (row[ncol] >= c->n_classes)
            return trj_vfail(v, "bad-class", "classifier %u state %u: class slot %u, the classifier has %u classes", k,
                         s, row[ncol], c->n_classes);
        for (uint32_t col = 0; col < ncol; col++) {
            uint32_t t = row[col];
            if (t >= rows_end || t % stride != 0)
                return trj_vfail(v, "bad-dfa-transition", "classifier %u state %u column %u: next %u is not a row "
                             "offset (a multiple of the stride %u below %u: %u states of %u columns + 1 class slot)",
                             k, s, col, t, stride, rows_end, c->n_states, ncol);
            if (s < c->n_sink && t != s * stride)
                return trj_vfail(v, "bad-sink-flag", "classifier %u state %u column %u: sink state (n_sink %u) leads "
                             "to state %u", k, s, col, c->n_sink, t / stride);
        }
    }
    return 0;
}

static int key_lt(const trj_key *a, const trj_key *b)
{
    return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

static int check_intervals(vctx *v, uint32_t k, const trj_classifier *c, uint64_t *size)
{
    if (c->n_columns != 0 || c->start != 0 || c->n_sink != 0)
        return trj_vfail(v, "bad-classifier", "classifier %u: interval table with n_columns %u, start %u and n_sink %u, "
                     "must be 0", k, c->n_columns, c->start, c->n_sink);
    if (c->n_states > TRJ_MAX_DFA_STATES)
        return trj_vfail(v, "limit-exceeded", "classifier %u: %u interval bounds, the limit is %u", k, c->n_states,
                     TRJ_MAX_DFA_STATES);
    *size = (uint64_t)TRJ_KEY_SIZE * c->n_states + 4ull * ((uint64_t)c->n_states + 1);
    uint64_t end = (uint64_t)c->data_off + *size;
    if (end > v->p.data_size)
        return trj_vfail(v, "data-out-of-bounds", "classifier %u: interval table [%u, %llu) past the end of DATA (%u)", k,
                     c->data_off, (unsigned long long)end, v->p.data_size);
    const trj_key *bounds = (const trj_key *)(v->p.data + c->data_off);
    const uint32_t *cls = (const uint32_t *)(bounds + c->n_states);
    for (uint32_t i = 0; i < c->n_states; i++) {
        if (c->type == TRJ_T_INT && bounds[i].hi != 0)
            return trj_vfail(v, "bad-classifier", "classifier %u bound %u: int key with nonzero hi", k, i);
        if (i > 0 && !key_lt(&bounds[i - 1], &bounds[i]))
            return trj_vfail(v, "intervals-not-ascending", "classifier %u bound %u: not above bound %u", k, i, i - 1);
    }
    for (uint32_t i = 0; i <= c->n_states; i++)
        if (cls[i] >= c->n_classes)
            return trj_vfail(v, "bad-class", "classifier %u interval %u: class %u, the classifier has %u", k, i, cls[i],
                         c->n_classes);
    return 0;
}

/* Atoms of this classifier's classes must test its slot (lists proven by trj_check_lists). */
static int check_class_atoms(vctx *v, uint32_t k, const trj_classifier *c)
{
    const trj_policy *p = &v->p;
    char l1[TRJ_LABEL_LEN], l2[TRJ_LABEL_LEN];
    for (uint32_t i = 0; i < c->n_classes; i++) {
        const trj_class *cl = &p->classes[c->class_base + i];
        int rc = trj_vspend(v, cl->atoms_len);
        if (rc != 0)
            return rc;
        for (uint32_t j = 0; j < cl->atoms_len; j++) {
            uint32_t a = p->lists[cl->atoms_off + j];
            if (p->atoms[a].slot != c->slot)
                return trj_vfail(v, "atom-slot-mismatch", "classifier %u class %u: atom %u tests %s, the classifier %s", k,
                             c->class_base + i, a, trj_vlabel_slot(v, p->atoms[a].slot, l1), trj_vlabel_slot(v, c->slot, l2));
        }
    }
    return 0;
}

int trj_check_classifiers(vctx *v)
{
    const trj_policy *p = &v->p;
    char l[TRJ_LABEL_LEN];
    uint64_t next_class = 0, data_used = 0;
    int rc;
    for (uint32_t k = 0; k < p->n_classifiers; k++) {
        const trj_classifier *c = &p->classifiers[k];
        if (c->type != TRJ_T_STR && c->type != TRJ_T_INT && c->type != TRJ_T_IP)
            return trj_vfail(v, "bad-classifier", "classifier %u: type %u is not str(1), int(2) or ip(3)", k, c->type);
        if (c->slot >= p->n_fields)
            return trj_vfail(v, "bad-slot", "classifier %u: slot %u, the policy has %u fields", k, c->slot, p->n_fields);
        if (p->fields[c->slot].type != c->type)
            return trj_vfail(v, "classifier-type-mismatch", "classifier %u: type %u for %s of type %u", k, c->type,
                         trj_vlabel_slot(v, c->slot, l), p->fields[c->slot].type);
        if (c->n_classes == 0)
            return trj_vfail(v, "bad-class", "classifier %u: no classes", k);
        if (c->class_base != next_class)
            return trj_vfail(v, "bad-class", "classifier %u: class_base %u, expected %llu (classes follow the previous "
                         "classifier's)", k, c->class_base, (unsigned long long)next_class);
        next_class += c->n_classes;
        if (next_class > p->n_classes)
            return trj_vfail(v, "bad-class", "classifier %u: classes [%u, %llu) past the end of CLASSES (%u)", k,
                         c->class_base, (unsigned long long)next_class, p->n_classes);
        if (c->absent_class >= c->n_classes)
            return trj_vfail(v, "bad-class", "classifier %u: absent_class %u, the classifier has %u", k, c->absent_class,
                         c->n_classes);
        if (c->data_off % 8 != 0)
            return trj_vfail(v, "bad-classifier", "classifier %u: data_off %u is not a multiple of 8", k, c->data_off);
        uint64_t size = 0;
        rc = c->type == TRJ_T_STR ? check_dfa(v, k, c, &size) : check_intervals(v, k, c, &size);
        if (rc != 0)
            return rc;
        if (data_used + size > p->data_size)
            return trj_vfail(v, "data-overlap", "classifier %u: tables so far take %llu bytes, DATA has %u (tables may "
                         "not share bytes)", k, (unsigned long long)(data_used + size), p->data_size);
        data_used += (size + 7) & ~7ull; /* each table starts 8-aligned */
        if ((rc = check_class_atoms(v, k, c)) != 0)
            return rc;
    }
    if (next_class != p->n_classes)
        return trj_vfail(v, "bad-class", "class %llu: belongs to no classifier (CLASSES has %u)",
                     (unsigned long long)next_class, p->n_classes);
    return 0;
}
