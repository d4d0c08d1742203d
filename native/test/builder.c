/* builder.c — lays out a valid .trjb from a tb_policy (see builder.h). */
#include "builder.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

/* ---- growable byte buffers ------------------------------------------------ */

typedef struct bb {
    uint8_t *p;
    size_t len, cap;
} bb;

static void bb_put(bb *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert(b->p != NULL);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}
static void bb_u32(bb *b, uint32_t v) { bb_put(b, &v, 4); }
static void bb_align(bb *b, size_t a)
{
    static const uint8_t z[8] = {0};
    bb_put(b, z, (a - b->len % a) % a);
}

/* ---- string predicates as small DFAs --------------------------------------- */

static uint32_t slen(const tb_atom *a) { return a->s_len ? a->s_len : (uint32_t)strlen(a->s); }

/* Longest k <= min(L, i+1) such that s[0..k) is a suffix of s[0..i) + c. */
static uint32_t kmp(const char *s, uint32_t L, uint32_t i, uint8_t c)
{
    uint32_t max = i + 1 < L ? i + 1 : L;
    for (uint32_t k = max; k > 0; k--) {
        /* t = s[0..i) + c; compare its last k bytes with s[0..k) */
        int ok = (uint8_t)s[k - 1] == c;
        for (uint32_t j = 0; ok && j + 1 < k; j++)
            ok = s[j] == s[i - (k - 1) + j];
        if (ok)
            return k;
    }
    return 0;
}

static uint32_t atom_step(const tb_atom *a, uint32_t st, uint8_t c)
{
    uint32_t L = slen(a);
    switch (a->pred) {
    case TB_PREFIX:
        if (st >= L)
            return st; /* L accept, L+1 dead: both absorbing */
        return (uint8_t)a->s[st] == c ? st + 1 : L + 1;
    case TB_EQUALS:
        return st < L && (uint8_t)a->s[st] == c ? st + 1 : L + 1;
    case TB_CONTAINS:
        return st == L ? L : kmp(a->s, L, st, c);
    default: /* TB_SUFFIX */
        return kmp(a->s, L, st, c);
    }
}

static int atom_accepts(const tb_atom *a, uint32_t st) { return st == slen(a); }

/* ---- classifiers ------------------------------------------------------------ */

typedef struct cls_set {
    uint32_t atoms[TB_MAX];
    uint32_t n;
} cls_set;

typedef struct layout {
    const tb_policy *pol;
    bb data, classifiers, classes, lists;
    uint32_t n_classes;
} layout;

/* Class index (relative) of an atom set within classes [base, ...). */
static uint32_t class_of(cls_set *sets, uint32_t *n_sets, const cls_set *s)
{
    for (uint32_t i = 0; i < *n_sets; i++)
        if (sets[i].n == s->n && memcmp(sets[i].atoms, s->atoms, s->n * 4) == 0)
            return i;
    sets[*n_sets] = *s;
    return (*n_sets)++;
}

static void emit_classes(layout *L, const cls_set *sets, uint32_t n_sets)
{
    const tb_policy *pol = L->pol;
    for (uint32_t i = 0; i < n_sets; i++) {
        uint32_t atoms_off = (uint32_t)(L->lists.len / 4);
        for (uint32_t j = 0; j < sets[i].n; j++)
            bb_u32(&L->lists, sets[i].atoms[j]);
        uint32_t rules_off = (uint32_t)(L->lists.len / 4), n_rules = 0;
        for (int r = 0; r < pol->n_rules; r++) {
            int g = pol->rules[r].guard;
            for (uint32_t j = 0; g >= 0 && j < sets[i].n; j++)
                if (sets[i].atoms[j] == (uint32_t)g) {
                    bb_u32(&L->lists, (uint32_t)r);
                    n_rules++;
                    break;
                }
        }
        trj_class c = {atoms_off, sets[i].n, rules_off, n_rules};
        bb_put(&L->classes, &c, sizeof c);
    }
}

#define MAX_STATES 4096

static void build_dfa(layout *L, uint32_t slot)
{
    const tb_policy *pol = L->pol;
    uint32_t ids[TB_MAX], n = 0;
    for (int a = 0; a < pol->n_atoms; a++)
        if (pol->atoms[a].slot == slot)
            ids[n++] = (uint32_t)a;
    /* Product states: one sub-state per atom; BFS. */
    static uint32_t states[MAX_STATES][TB_MAX];
    static uint32_t next[MAX_STATES][256];
    uint32_t ns = 1;
    memset(states[0], 0, sizeof states[0]);
    for (uint32_t s = 0; s < ns; s++)
        for (int c = 0; c < 256; c++) {
            uint32_t t[TB_MAX] = {0};
            for (uint32_t i = 0; i < n; i++)
                t[i] = atom_step(&pol->atoms[ids[i]], states[s][i], (uint8_t)c);
            uint32_t f = 0;
            while (f < ns && memcmp(states[f], t, sizeof t) != 0)
                f++;
            if (f == ns) {
                assert(ns < MAX_STATES);
                memcpy(states[ns++], t, sizeof t);
            }
            next[s][c] = f;
        }
    /* Byte classes: bytes with the same column of next states. */
    uint8_t byte_class[256];
    int rep[256], ncol = 0;
    for (int c = 0; c < 256; c++) {
        int k = 0;
        for (; k < ncol; k++) {
            int same = 1;
            for (uint32_t s = 0; same && s < ns; s++)
                same = next[s][rep[k]] == next[s][c];
            if (same)
                break;
        }
        if (k == ncol)
            rep[ncol++] = c;
        byte_class[c] = (uint8_t)k;
    }
    /* Classes: the empty set first (absent), then each state's atom set. */
    static cls_set sets[MAX_STATES];
    uint32_t n_sets = 0, cls[MAX_STATES];
    cls_set empty = {.n = 0};
    class_of(sets, &n_sets, &empty);
    for (uint32_t s = 0; s < ns; s++) {
        cls_set cs = {.n = 0};
        for (uint32_t i = 0; i < n; i++)
            if (atom_accepts(&pol->atoms[ids[i]], states[s][i]))
                cs.atoms[cs.n++] = ids[i];
        cls[s] = class_of(sets, &n_sets, &cs);
    }
    /* Renumber as the compiler does (compiler/lower/layout.ts): sink states
     * first, then the rest, each in BFS order. */
    uint32_t order[MAX_STATES], num[MAX_STATES], n_sink = 0, no = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t s = 0; s < ns; s++) {
            int sink = 1;
            for (int c = 0; sink && c < 256; c++)
                sink = next[s][c] == s;
            if (sink == (pass == 0)) {
                num[s] = no;
                order[no++] = s;
                n_sink += (uint32_t)sink;
            }
        }
    /* Premultiplied by the row stride ncol + 1: a transition to state t holds
     * t * stride, the offset of t's row; each row ends with its state's class. */
    const uint32_t stride = (uint32_t)ncol + TRJ_DFA_ROW_EXTRA;
    bb_align(&L->data, 8);
    uint32_t data_off = (uint32_t)L->data.len;
    bb_put(&L->data, byte_class, TRJ_DFA_BYTE_CLASS_SIZE);
    for (uint32_t i = 0; i < ns; i++) {
        for (int k = 0; k < ncol; k++)
            bb_u32(&L->data, num[next[order[i]][rep[k]]] * stride);
        bb_u32(&L->data, cls[order[i]]);
    }
    trj_classifier c = {TRJ_T_STR, slot, ns, (uint32_t)ncol, num[0] * stride, data_off, L->n_classes, n_sets,
                        0, n_sink};
    bb_put(&L->classifiers, &c, sizeof c);
    emit_classes(L, sets, n_sets);
    L->n_classes += n_sets;
}

static int key_cmp(trj_key a, trj_key b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static void build_intervals(layout *L, uint32_t slot, uint32_t type)
{
    const tb_policy *pol = L->pol;
    trj_key pts[2 * TB_MAX];
    uint32_t np = 0;
    for (int a = 0; a < pol->n_atoms; a++) {
        const tb_atom *at = &pol->atoms[a];
        if (at->slot != slot)
            continue;
        trj_key cand[2] = {at->lo, at->hi};
        int has_hi = !(at->hi.lo == UINT64_MAX && (type == TRJ_T_INT || at->hi.hi == UINT64_MAX));
        cand[1].lo = at->hi.lo + 1; /* hi + 1 */
        cand[1].hi = at->hi.hi + (cand[1].lo == 0);
        for (int i = 0; i < 1 + has_hi; i++) {
            if (cand[i].lo == 0 && cand[i].hi == 0)
                continue;
            uint32_t j = 0;
            while (j < np && key_cmp(pts[j], cand[i]) != 0)
                j++;
            if (j == np)
                pts[np++] = cand[i];
        }
    }
    for (uint32_t i = 1; i < np; i++) /* insertion sort */
        for (uint32_t j = i; j > 0 && key_cmp(pts[j - 1], pts[j]) > 0; j--) {
            trj_key t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    cls_set sets[2 * TB_MAX + 2];
    uint32_t n_sets = 0, cls[2 * TB_MAX + 1];
    cls_set empty = {.n = 0};
    class_of(sets, &n_sets, &empty);
    for (uint32_t i = 0; i <= np; i++) {
        trj_key start = i == 0 ? (trj_key){0, 0} : pts[i - 1];
        cls_set cs = {.n = 0};
        for (int a = 0; a < pol->n_atoms; a++) {
            const tb_atom *at = &pol->atoms[a];
            if (at->slot == slot && key_cmp(at->lo, start) <= 0 && key_cmp(start, at->hi) <= 0)
                cs.atoms[cs.n++] = (uint32_t)a;
        }
        cls[i] = class_of(sets, &n_sets, &cs);
    }
    bb_align(&L->data, 8);
    uint32_t data_off = (uint32_t)L->data.len;
    bb_put(&L->data, pts, np * sizeof(trj_key));
    bb_put(&L->data, cls, (np + 1) * 4);
    trj_classifier c = {type, slot, np, 0, 0, data_off, L->n_classes, n_sets, 0, 0};
    bb_put(&L->classifiers, &c, sizeof c);
    emit_classes(L, sets, n_sets);
    L->n_classes += n_sets;
}

/* ---- code ------------------------------------------------------------------- */

static void insn(bb *code, uint8_t op, uint8_t flags, uint16_t jt, uint16_t jf, uint32_t a, uint32_t b)
{
    trj_insn i = {op, flags, jt, jf, 0, a, b};
    bb_put(code, &i, sizeof i);
}

static uint32_t rule_slots(const tb_policy *pol, const tb_rule *r)
{
    uint32_t m = 0;
    for (int i = 0; i < r->n_lits; i++)
        m |= 1u << pol->atoms[abs(r->lits[i]) - 1].slot;
    return m;
}

static void emit_entry(const tb_policy *pol, uint32_t kind, bb *code, bb *lists)
{
    uint32_t slots = pol->required[kind], cand = 0;
    for (int r = 0; r < pol->n_rules; r++) {
        const tb_rule *ru = &pol->rules[r];
        if (!((ru->kind_mask >> kind) & 1))
            continue;
        slots |= rule_slots(pol, ru);
        if (ru->guard >= 0)
            cand |= 1u << pol->atoms[ru->guard].slot;
    }
    for (uint32_t s = 0; s < 32; s++)
        if ((slots >> s) & 1)
            insn(code, TRJ_OP_CLASSIFY, (pol->required[kind] >> s) & 1 ? TRJ_F_REQUIRED : 0, 0, 0, s, s);
    for (uint32_t s = 0; s < 32; s++)
        if ((cand >> s) & 1)
            insn(code, TRJ_OP_CANDIDATES, 0, 0, 0, s, 0);
    uint32_t off = (uint32_t)(lists->len / 4), n = 0;
    for (int r = 0; r < pol->n_rules; r++)
        if (((pol->rules[r].kind_mask >> kind) & 1) && pol->rules[r].guard < 0) {
            bb_u32(lists, (uint32_t)r);
            n++;
        }
    if (n > 0)
        insn(code, TRJ_OP_RULES, 0, 0, 0, off, n);
    insn(code, TRJ_OP_DECIDE, 0, 0, 0, pol->default_decision, 0);
}

/* Condition block: literals, then (and) RET 1, RET 0 / (or) RET 0, RET 1. */
static uint32_t emit_block(const tb_rule *r, bb *code)
{
    uint32_t n = (uint32_t)r->n_lits, len = 0;
    if (r->lead_ja) {
        insn(code, TRJ_OP_JA, 0, 0, 0, 0, 0);
        len++;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)abs(r->lits[i]) - 1;
        uint16_t skip = (uint16_t)(n - i); /* to the second RET */
        int pos = r->lits[i] > 0;
        /* and: failing literal -> RET 0 (second); or: passing literal -> RET 1 (second) */
        int to_second_when_true = r->any ? pos : !pos;
        insn(code, TRJ_OP_JATOM, 0, to_second_when_true ? skip : 0, to_second_when_true ? 0 : skip, a, 0);
        len++;
    }
    insn(code, TRJ_OP_RET, 0, 0, 0, r->any ? 0 : 1, 0);
    len++;
    if (n > 0) {
        insn(code, TRJ_OP_RET, 0, 0, 0, r->any ? 1 : 0, 0);
        len++;
    }
    return len;
}

/* ---- whole table ----------------------------------------------------------- */

static trj_str put_str(bb *s, const char *str)
{
    if (str == NULL)
        return (trj_str){0, 0};
    trj_str r = {(uint32_t)s->len, (uint32_t)strlen(str)};
    bb_put(s, str, r.len);
    return r;
}

uint8_t *tb_build(const tb_policy *pol, size_t *len_out)
{
    layout L = {.pol = pol};
    bb strings = {0}, fields = {0}, entries = {0}, code = {0}, rules = {0}, atoms = {0};
    trj_header h;
    memset(&h, 0, sizeof h);
    h.magic = TRJ_MAGIC;
    h.version = TRJ_FORMAT_VERSION;
    h.header_size = TRJ_HEADER_SIZE;
    h.default_decision = pol->default_decision;
    h.name = put_str(&strings, pol->name);
    h.policy_version = put_str(&strings, pol->version);
    for (int i = 0; i < pol->n_fields; i++) {
        trj_field f = {put_str(&strings, pol->fields[i].name), pol->fields[i].type};
        bb_put(&fields, &f, sizeof f);
    }
    for (int i = 0; i < pol->n_atoms; i++) {
        trj_atom a = {pol->atoms[i].slot, put_str(&strings, pol->atoms[i].text)};
        bb_put(&atoms, &a, sizeof a);
    }
    for (int i = 0; i < pol->n_fields; i++) {
        if (pol->fields[i].type == TRJ_T_STR)
            build_dfa(&L, (uint32_t)i);
        else
            build_intervals(&L, (uint32_t)i, pol->fields[i].type);
    }
    for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
        uint32_t off = (uint32_t)(code.len / TRJ_INSN_SIZE);
        emit_entry(pol, k, &code, &L.lists);
        trj_entry e = {off, (uint32_t)(code.len / TRJ_INSN_SIZE) - off};
        bb_put(&entries, &e, sizeof e);
    }
    for (int i = 0; i < pol->n_rules; i++) {
        const tb_rule *r = &pol->rules[i];
        uint32_t off = (uint32_t)(code.len / TRJ_INSN_SIZE);
        uint32_t n = emit_block(r, &code);
        trj_rule rec = {put_str(&strings, r->name), put_str(&strings, r->reason), r->decision, r->timeout_ms,
                        (uint32_t)(10 + i), 1, off, n, r->kind_mask, 0};
        bb_put(&rules, &rec, sizeof rec);
    }
    bb backstop = {0};
    trj_bs_entry meta = {TRJ_BS_META, pol->bs_meta, {0, 0}, 0, 0};
    bb_put(&backstop, &meta, sizeof meta);
    for (int i = 0; i < pol->n_bs; i++) {
        trj_bs_entry e = {pol->bs[i].kind, pol->bs[i].access, put_str(&strings, pol->bs[i].path), pol->bs[i].port, 0};
        bb_put(&backstop, &e, sizeof e);
    }
    const void *data[TRJ_SEC_COUNT];
    uint32_t sizes[TRJ_SEC_COUNT];
    bb *secs[TRJ_SEC_COUNT] = {&strings, &fields, &entries, &code, &rules, &atoms,
                               &L.classifiers, &L.classes, &L.lists, &L.data, &backstop};
    for (int i = 0; i < TRJ_SEC_COUNT; i++) {
        data[i] = secs[i]->p;
        sizes[i] = (uint32_t)secs[i]->len;
    }
    uint8_t *buf = tb_assemble(&h, data, sizes, len_out);
    for (int i = 0; i < TRJ_SEC_COUNT; i++)
        free(secs[i]->p);
    return buf;
}

uint8_t *tb_assemble(const trj_header *hdr, const void *const data[TRJ_SEC_COUNT],
                     const uint32_t size[TRJ_SEC_COUNT], size_t *len_out)
{
    trj_header h = *hdr;
    size_t len = TRJ_HEADER_SIZE;
    for (int i = 0; i < TRJ_SEC_COUNT; i++) {
        len = (len + 7) & ~(size_t)7;
        h.sections[i].offset = (uint32_t)len;
        h.sections[i].size = size[i];
        len += size[i];
    }
    len = (len + 7) & ~(size_t)7;
    h.file_size = (uint32_t)len;
    uint8_t *buf = aligned_alloc(8, len);
    assert(buf != NULL);
    memset(buf, 0, len);
    memcpy(buf, &h, sizeof h);
    for (int i = 0; i < TRJ_SEC_COUNT; i++)
        if (size[i] > 0)
            memcpy(buf + h.sections[i].offset, data[i], size[i]);
    tb_rehash(buf);
    *len_out = len;
    return buf;
}

void tb_rehash(uint8_t *buf)
{
    trj_header *h = (trj_header *)buf;
    trj_sha256(buf + TRJ_HEADER_SIZE, h->file_size - TRJ_HEADER_SIZE, h->body_sha256);
}

/* ---- views ------------------------------------------------------------------ */

trj_header *tb_hdr(uint8_t *buf) { return (trj_header *)buf; }

uint8_t *tb_sec(uint8_t *buf, int sec, uint32_t *size)
{
    trj_header *h = tb_hdr(buf);
    if (size != NULL)
        *size = h->sections[sec].size;
    return buf + h->sections[sec].offset;
}

static const uint32_t rec_size[TRJ_SEC_COUNT] = {1, 12, 8, 16, 48, 12, 40, 16, 4, 1, 24};
uint32_t tb_count(uint8_t *buf, int sec) { return tb_hdr(buf)->sections[sec].size / rec_size[sec]; }
trj_insn *tb_insn(uint8_t *buf, uint32_t i) { return (trj_insn *)tb_sec(buf, TRJ_SEC_CODE, NULL) + i; }
trj_rule *tb_rule_rec(uint8_t *buf, uint32_t i) { return (trj_rule *)tb_sec(buf, TRJ_SEC_RULES, NULL) + i; }
trj_entry *tb_entry(uint8_t *buf, uint32_t k) { return (trj_entry *)tb_sec(buf, TRJ_SEC_ENTRIES, NULL) + k; }
trj_classifier *tb_classifier(uint8_t *buf, uint32_t i)
{
    return (trj_classifier *)tb_sec(buf, TRJ_SEC_CLASSIFIERS, NULL) + i;
}
trj_class *tb_class(uint8_t *buf, uint32_t i) { return (trj_class *)tb_sec(buf, TRJ_SEC_CLASSES, NULL) + i; }
uint32_t *tb_list(uint8_t *buf, uint32_t i) { return (uint32_t *)tb_sec(buf, TRJ_SEC_LISTS, NULL) + i; }
trj_atom *tb_atom_rec(uint8_t *buf, uint32_t i) { return (trj_atom *)tb_sec(buf, TRJ_SEC_ATOMS, NULL) + i; }
trj_field *tb_field(uint8_t *buf, uint32_t i) { return (trj_field *)tb_sec(buf, TRJ_SEC_FIELDS, NULL) + i; }
trj_bs_entry *tb_bs(uint8_t *buf, uint32_t i) { return (trj_bs_entry *)tb_sec(buf, TRJ_SEC_BACKSTOP, NULL) + i; }

trj_key tb_int_key(int64_t v) { return (trj_key){(uint64_t)v ^ (1ull << 63), 0}; }
trj_key tb_ip4_key(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    /* ::ffff:a.b.c.d -> hi = 0, lo = 0x0000ffff_aabbccdd */
    return (trj_key){0xffff00000000ull | (uint64_t)a << 24 | (uint64_t)b << 16 | (uint64_t)c << 8 | d, 0};
}

/* ---- the sample policy ------------------------------------------------------ */

#define K(k) (1u << (k))

void tb_sample(tb_policy *p)
{
    memset(p, 0, sizeof *p);
    p->name = "sample";
    p->version = "1.0.0";
    p->default_decision = TRJ_DENY;
    p->n_fields = 4;
    p->fields[0].name = "path", p->fields[0].type = TRJ_T_STR;
    p->fields[1].name = "port", p->fields[1].type = TRJ_T_INT;
    p->fields[2].name = "ip", p->fields[2].type = TRJ_T_IP;
    p->fields[3].name = "exe", p->fields[3].type = TRJ_T_STR;
    static const tb_atom atoms[] = {
        {0, TB_PREFIX, "/usr/", 0, {0, 0}, {0, 0}, "path under \"/usr\""},           /* 0 */
        {0, TB_SUFFIX, ".pem", 0, {0, 0}, {0, 0}, "path matches \"**/*.pem\""},      /* 1 */
        {0, TB_CONTAINS, "\xff", 0, {0, 0}, {0, 0}, "path =~ /\\xff/"},             /* 2 */
        {0, TB_PREFIX, "/tmp/", 0, {0, 0}, {0, 0}, "path under \"/tmp\""},           /* 3 */
        {1, TB_RANGE, NULL, 0, {0, 0}, {0, 0}, "port > 1000"},                       /* 4 */
        {1, TB_RANGE, NULL, 0, {0, 0}, {0, 0}, "port == 22"},                        /* 5 */
        {2, TB_RANGE, NULL, 0, {0, 0}, {0, 0}, "ip in 10.0.0.0/8"},                  /* 6 */
        {3, TB_EQUALS, "/usr/bin/git", 0, {0, 0}, {0, 0}, "exe == \"/usr/bin/git\""}, /* 7 */
        {0, TB_CONTAINS, "a\0b", 3, {0, 0}, {0, 0}, "path =~ /a\\0b/"},              /* 8 */
        {0, TB_PREFIX, "/work/", 0, {0, 0}, {0, 0}, "path under \"/work\""},         /* 9 */
    };
    p->bs_meta = TRJ_BSM_FAMILY_INET | TRJ_BSM_FAMILY_INET6;
    p->bs[0].kind = TRJ_BS_PATH, p->bs[0].access = TRJ_BS_READ | TRJ_BS_WRITE | TRJ_BS_TRUNCATE, p->bs[0].path = "/tmp";
    p->bs[1].kind = TRJ_BS_PATH, p->bs[1].access = TRJ_BS_READ | TRJ_BS_READ_DIR | TRJ_BS_EXEC, p->bs[1].path = "/usr";
    p->bs[2].kind = TRJ_BS_TCP_CONNECT, p->bs[2].port = 22;
    p->n_bs = 3;
    p->n_atoms = (int)(sizeof atoms / sizeof atoms[0]);
    memcpy(p->atoms, atoms, sizeof atoms);
    p->atoms[4].lo = tb_int_key(1001), p->atoms[4].hi = tb_int_key(INT64_MAX);
    p->atoms[5].lo = tb_int_key(22), p->atoms[5].hi = tb_int_key(22);
    p->atoms[6].lo = tb_ip4_key(10, 0, 0, 0), p->atoms[6].hi = tb_ip4_key(10, 255, 255, 255);
    const uint32_t RD = K(TRJ_KIND_FILE_READ), WR = K(TRJ_KIND_FILE_WRITE);
    const tb_rule rules[] = {
        {"read_usr", NULL, TRJ_ALLOW, 0, RD, 0, {+1}, 1, 0, 0},                          /* 0 */
        {"no_pem", "credentials are off limits", TRJ_DENY, 0, RD | WR, 1, {+2}, 1, 0, 0}, /* 1 */
        {"weird_bytes", NULL, TRJ_ASK, 30000, RD, 2, {+3}, 1, 0, 0},                     /* 2 */
        {"tmp_flag", NULL, TRJ_FLAG, 0, RD | WR, 3, {+4}, 1, 0, 0},                      /* 3 */
        {"tmp_allow", NULL, TRJ_ALLOW, 0, WR, 3, {+4}, 1, 0, 0},                         /* 4 */
        {"git", NULL, TRJ_ALLOW, 0, K(TRJ_KIND_EXEC), 7, {+8}, 1, 0, 0},                 /* 5 */
        {"ssh", NULL, TRJ_ASK, 5000, K(TRJ_KIND_NET_CONNECT), 5, {+6}, 1, 0, 0},         /* 6 */
        {"internal", NULL, TRJ_ALLOW, 0, K(TRJ_KIND_NET_CONNECT), 6, {+7, +5}, 2, 0, 0}, /* 7 */
        {"nul_marker", NULL, TRJ_DENY, 0, RD, 8, {+9}, 1, 0, 0},                         /* 8 */
        {"outside_work", NULL, TRJ_FLAG, 0, WR, -1, {-10}, 1, 0, 0},                     /* 9 */
        {"confirm_delete", NULL, TRJ_ASK, 1000, K(TRJ_KIND_FILE_DELETE), -1, {0}, 0, 0, 1}, /* 10 */
        {"read_usr_again", NULL, TRJ_ALLOW, 0, RD, 0, {+1}, 1, 0, 0},                    /* 11 */
        {"pem_or_tmp_create", NULL, TRJ_DENY, 0, K(TRJ_KIND_FILE_CREATE), -1, {+2, +4}, 2, 1, 0}, /* 12 */
    };
    p->n_rules = (int)(sizeof rules / sizeof rules[0]);
    memcpy(p->rules, rules, sizeof rules);
    p->required[TRJ_KIND_FILE_READ] = 1u << 0;   /* path */
    p->required[TRJ_KIND_NET_CONNECT] = 1u << 1; /* port */
}
