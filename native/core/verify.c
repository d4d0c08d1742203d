/*
 * verify.c — trj_verify / trj_load: the pass pipeline, messages, and the
 * passes over the file's frame (header, sections, strings, fields).
 *
 * Nothing here allocates. The whole verifier uses about 9 KB of stack.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"
#include "verify_int.h"

/* ---- the pipeline, as data ------------------------------------------------ */

static const struct {
    const char *name;
    int (*run)(vctx *v);
} passes[] = {
    {"header", trj_check_header},
    {"sections", trj_check_sections},
    {"strings", trj_check_strings},
    {"fields", trj_check_fields},
    {"entries", trj_check_entries},
    {"code", trj_check_code},
    {"rules", trj_check_rules},
    {"atoms", trj_check_atoms},
    {"lists", trj_check_lists},
    {"classifiers", trj_check_classifiers},
    {"reachability", trj_check_reachability},
    {"backstop", trj_check_backstop},
};

static int run_passes(vctx *v)
{
    for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
        int rc = passes[i].run(v);
        if (rc != 0)
            return rc;
    }
    if (v->msg != NULL && v->msg_len > 0)
        v->msg[0] = '\0';
    return 0;
}

int trj_verify(const void *buf, size_t len, char *msg, size_t msg_len)
{
    vctx v;
    memset(&v, 0, sizeof v);
    v.base = buf;
    v.len = len;
    v.msg = msg;
    v.msg_len = msg_len;
    return run_passes(&v);
}

int trj_load(trj_policy *p, const void *buf, size_t len, char *msg, size_t msg_len)
{
    if (p == NULL) {
        vctx none = {.msg = msg, .msg_len = msg_len};
        return trj_vfail(&none, "bad-argument", "policy pointer is NULL");
    }
    memset(p, 0, sizeof *p); /* a failed load leaves a policy trj_eval denies */
    vctx v;
    memset(&v, 0, sizeof v);
    v.base = buf;
    v.len = len;
    v.msg = msg;
    v.msg_len = msg_len;
    int rc = run_passes(&v);
    if (rc == 0)
        *p = v.p;
    return rc;
}

/* ---- messages -------------------------------------------------------------- */

int trj_vfail(vctx *v, const char *code, const char *fmt, ...)
{
    if (v->msg == NULL || v->msg_len == 0)
        return -EINVAL;
    int n = snprintf(v->msg, v->msg_len, "%s: ", code);
    if (n >= 0 && (size_t)n < v->msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->msg + n, v->msg_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

int trj_vspend(vctx *v, uint64_t n)
{
    v->list_visits += n;
    if (v->list_visits > TRJ_VERIFY_MAX_LIST_VISITS)
        return trj_vfail(v, "limit-exceeded", "lists: more than %llu list elements referenced in total",
                     (unsigned long long)TRJ_VERIFY_MAX_LIST_VISITS);
    return 0;
}

/* A policy string, quoted and escaped, at most 40 bytes of it. */
static void quote(const vctx *v, trj_str s, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '"';
    for (uint32_t i = 0; i < s.len && o + 8 < cap; i++) {
        uint8_t c = v->p.strings[(size_t)s.off + i];
        if (i == 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
        } else {
            static const char hex[] = "0123456789abcdef";
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

const char *trj_vlabel_rule(const vctx *v, uint32_t rule, char *buf)
{
    char q[64] = "";
    if (v->names_ok && rule < v->p.n_rules)
        quote(v, v->p.rules[rule].name, q, sizeof q);
    snprintf(buf, TRJ_LABEL_LEN, "rule %u%s%s", rule, q[0] ? " " : "", q);
    return buf;
}

const char *trj_vlabel_slot(const vctx *v, uint32_t slot, char *buf)
{
    char q[64] = "";
    if (v->names_ok && slot < v->p.n_fields)
        quote(v, v->p.fields[slot].name, q, sizeof q);
    snprintf(buf, TRJ_LABEL_LEN, "slot %u%s%s", slot, q[0] ? " " : "", q);
    return buf;
}

/* Finds the owner by scanning (only ever on the failure path). */
const char *trj_vlabel_insn(const vctx *v, uint32_t insn, char *buf)
{
    for (uint32_t k = 0; v->p.entries != NULL && k < TRJ_KIND_COUNT; k++) {
        const trj_entry *e = &v->p.entries[k];
        if (insn >= e->code_off && (uint64_t)insn < (uint64_t)e->code_off + e->code_len) {
            snprintf(buf, TRJ_LABEL_LEN, "insn %u (entry %s)", insn, trj_kind_name(k));
            return buf;
        }
    }
    for (uint32_t r = 0; r < v->p.n_rules; r++) {
        const trj_rule *rr = &v->p.rules[r];
        if (insn >= rr->code_off && (uint64_t)insn < (uint64_t)rr->code_off + rr->code_len) {
            char rl[TRJ_LABEL_LEN];
            snprintf(buf, TRJ_LABEL_LEN, "insn %u (%.80s)", insn, trj_vlabel_rule(v, r, rl));
            return buf;
        }
    }
    snprintf(buf, TRJ_LABEL_LEN, "insn %u", insn);
    return buf;
}

const char *const trj_section_names[TRJ_SEC_COUNT] = {
    "STRINGS", "FIELDS", "ENTRIES", "CODE", "RULES", "ATOMS", "CLASSIFIERS", "CLASSES", "LISTS", "DATA", "BACKSTOP",
};

/* ---- pass: header ---------------------------------------------------------- */

int trj_check_header(vctx *v)
{
    if (v->base == NULL)
        return trj_vfail(v, "bad-argument", "buffer is NULL");
    if (v->len < TRJ_HEADER_SIZE)
        return trj_vfail(v, "truncated", "file is %zu bytes, the header alone needs %u", v->len, TRJ_HEADER_SIZE);
    if ((uintptr_t)v->base % 8 != 0)
        return trj_vfail(v, "buffer-misaligned", "buffer address must be a multiple of 8");
    const trj_header *h = (const trj_header *)v->base;
    if (h->magic != TRJ_MAGIC)
        return trj_vfail(v, "bad-magic", "header: magic is 0x%08x, expected 0x%08x (\"TRJB\")", h->magic, TRJ_MAGIC);
    if (h->version != TRJ_FORMAT_VERSION)
        return trj_vfail(v, "bad-version", "header: format version %u, this core reads %u (%s)", h->version,
                     TRJ_FORMAT_VERSION, h->version < TRJ_FORMAT_VERSION
                         ? "compiled by an older trajeckt; recompile the policy"
                         : "compiled by a newer trajeckt; recompile it with this one");
    if (h->header_size != TRJ_HEADER_SIZE)
        return trj_vfail(v, "bad-header-size", "header: header_size is %u, expected %u", h->header_size,
                     TRJ_HEADER_SIZE);
    if (v->len > TRJ_MAX_FILE_SIZE)
        return trj_vfail(v, "limit-exceeded", "header: file is %zu bytes, the limit is %u", v->len, TRJ_MAX_FILE_SIZE);
    if (h->file_size > v->len)
        return trj_vfail(v, "truncated", "header: file_size says %u bytes, only %zu present", h->file_size, v->len);
    if (h->file_size < v->len)
        return trj_vfail(v, "size-mismatch", "header: file_size says %u bytes, buffer holds %zu", h->file_size,
                     v->len);
    if (h->flags != 0)
        return trj_vfail(v, "reserved-nonzero", "header: flags is 0x%x, must be 0", h->flags);
    if (h->reserved != 0)
        return trj_vfail(v, "reserved-nonzero", "header: reserved is 0x%x, must be 0", h->reserved);
    if (h->default_decision != TRJ_ALLOW && h->default_decision != TRJ_DENY && h->default_decision != TRJ_ASK)
        return trj_vfail(v, "bad-decision", "header: default_decision %u is not allow(1), deny(2) or ask(3)",
                     h->default_decision);
    uint8_t digest[TRJ_SHA256_LEN];
    trj_sha256(v->base + TRJ_HEADER_SIZE, h->file_size - TRJ_HEADER_SIZE, digest);
    if (memcmp(digest, h->body_sha256, TRJ_SHA256_LEN) != 0)
        return trj_vfail(v, "body-hash-mismatch", "header: body_sha256 does not match bytes [%u, %u)", TRJ_HEADER_SIZE,
                     h->file_size);
    v->hdr = h;
    v->p.base = v->base;
    v->p.size = h->file_size;
    v->p.hdr = h;
    return 0;
}

/* ---- pass: sections -------------------------------------------------------- */

static const uint32_t record_size[TRJ_SEC_COUNT] = {
    1, TRJ_FIELD_SIZE, TRJ_ENTRY_SIZE, TRJ_INSN_SIZE, TRJ_RULE_SIZE,
    TRJ_ATOM_SIZE, TRJ_CLASSIFIER_SIZE, TRJ_CLASS_SIZE, 4, 1, TRJ_BS_ENTRY_SIZE,
};

static int check_limit(vctx *v, int sec, uint32_t n, uint32_t max)
{
    if (n > max)
        return trj_vfail(v, "limit-exceeded", "section %s: %u records, the limit is %u", trj_section_names[sec], n, max);
    return 0;
}

/* Bytes between and after sections are padding and must be zero. */
static int check_padding(vctx *v)
{
    const trj_section *s = v->hdr->sections;
    int order[TRJ_SEC_COUNT];
    for (int i = 0; i < TRJ_SEC_COUNT; i++) { /* insertion sort by offset */
        int j = i;
        while (j > 0 && s[order[j - 1]].offset > s[i].offset) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    uint64_t pos = TRJ_HEADER_SIZE;
    for (int i = 0; i <= TRJ_SEC_COUNT; i++) {
        uint64_t until = i < TRJ_SEC_COUNT ? s[order[i]].offset : v->hdr->file_size;
        for (; pos < until; pos++)
            if (v->base[pos] != 0)
                return trj_vfail(v, "reserved-nonzero", "byte %llu lies in no section and is not zero",
                             (unsigned long long)pos);
        if (i < TRJ_SEC_COUNT && (uint64_t)s[order[i]].offset + s[order[i]].size > pos)
            pos = (uint64_t)s[order[i]].offset + s[order[i]].size;
    }
    return 0;
}

int trj_check_sections(vctx *v)
{
    const trj_section *s = v->hdr->sections;
    for (int i = 0; i < TRJ_SEC_COUNT; i++) {
        const char *nm = trj_section_names[i];
        uint64_t end = (uint64_t)s[i].offset + s[i].size;
        if (s[i].offset % 8 != 0)
            return trj_vfail(v, "section-misaligned", "section %s: offset %u is not a multiple of 8", nm, s[i].offset);
        if (s[i].offset < TRJ_HEADER_SIZE)
            return trj_vfail(v, "section-overlap", "section %s: offset %u lies inside the header", nm, s[i].offset);
        if (end > v->hdr->file_size)
            return trj_vfail(v, "section-out-of-bounds", "section %s: bytes [%u, %llu) past the end of the file (%u)",
                         nm, s[i].offset, (unsigned long long)end, v->hdr->file_size);
        if (s[i].size % record_size[i] != 0)
            return trj_vfail(v, "bad-record-size", "section %s: size %u is not a multiple of the record size %u", nm,
                         s[i].size, record_size[i]);
    }
    for (int i = 0; i < TRJ_SEC_COUNT; i++)
        for (int j = i + 1; j < TRJ_SEC_COUNT; j++) {
            uint64_t ai = s[i].offset, bi = ai + s[i].size, aj = s[j].offset, bj = aj + s[j].size;
            if (s[i].size != 0 && s[j].size != 0 && ai < bj && aj < bi)
                return trj_vfail(v, "section-overlap", "section %s [%llu, %llu) overlaps section %s [%llu, %llu)",
                             trj_section_names[i], (unsigned long long)ai, (unsigned long long)bi,
                             trj_section_names[j], (unsigned long long)aj, (unsigned long long)bj);
        }
    int rc = check_padding(v);
    if (rc != 0)
        return rc;

    trj_policy *p = &v->p;
    const uint8_t *b = v->base;
#define SEC_AT(id) (b + s[id].offset)
#define SEC_N(id) (s[id].size / record_size[id])
    p->strings = SEC_AT(TRJ_SEC_STRINGS);
    p->fields = (const trj_field *)SEC_AT(TRJ_SEC_FIELDS);
    p->n_fields = SEC_N(TRJ_SEC_FIELDS);
    p->entries = (const trj_entry *)SEC_AT(TRJ_SEC_ENTRIES);
    p->code = (const trj_insn *)SEC_AT(TRJ_SEC_CODE);
    p->n_insns = SEC_N(TRJ_SEC_CODE);
    p->rules = (const trj_rule *)SEC_AT(TRJ_SEC_RULES);
    p->n_rules = SEC_N(TRJ_SEC_RULES);
    p->atoms = (const trj_atom *)SEC_AT(TRJ_SEC_ATOMS);
    p->n_atoms = SEC_N(TRJ_SEC_ATOMS);
    p->classifiers = (const trj_classifier *)SEC_AT(TRJ_SEC_CLASSIFIERS);
    p->n_classifiers = SEC_N(TRJ_SEC_CLASSIFIERS);
    p->classes = (const trj_class *)SEC_AT(TRJ_SEC_CLASSES);
    p->n_classes = SEC_N(TRJ_SEC_CLASSES);
    p->lists = (const uint32_t *)SEC_AT(TRJ_SEC_LISTS);
    p->n_lists = SEC_N(TRJ_SEC_LISTS);
    p->data = SEC_AT(TRJ_SEC_DATA);
    p->data_size = s[TRJ_SEC_DATA].size;
    p->backstop = (const trj_bs_entry *)SEC_AT(TRJ_SEC_BACKSTOP);
    p->n_backstop = SEC_N(TRJ_SEC_BACKSTOP);
    uint32_t n_entries = SEC_N(TRJ_SEC_ENTRIES);
#undef SEC_AT
#undef SEC_N
    if (n_entries != TRJ_KIND_COUNT) {
        p->entries = NULL; /* keep trj_vlabel_insn off a short table */
        return trj_vfail(v, "bad-entry-count", "section ENTRIES: %u entries, need exactly %u (one per kind)", n_entries,
                     TRJ_KIND_COUNT);
    }
    if (p->n_fields > TRJ_MAX_SLOTS)
        return trj_vfail(v, "too-many-slots", "section FIELDS: %u fields, the limit is %u", p->n_fields, TRJ_MAX_SLOTS);
    if ((rc = check_limit(v, TRJ_SEC_CODE, p->n_insns, TRJ_MAX_INSNS)) != 0 ||
        (rc = check_limit(v, TRJ_SEC_RULES, p->n_rules, TRJ_MAX_RULES)) != 0 ||
        (rc = check_limit(v, TRJ_SEC_ATOMS, p->n_atoms, TRJ_MAX_ATOMS)) != 0 ||
        (rc = check_limit(v, TRJ_SEC_CLASSIFIERS, p->n_classifiers, TRJ_MAX_CLASSIFIERS)) != 0)
        return rc;
    return 0;
}

/* ---- pass: strings --------------------------------------------------------- */

/* `owner` and `idx` name the record ("rule", 3), `what` the member ("name"). */
static int str_ok(vctx *v, trj_str s, const char *owner, uint32_t idx, const char *what)
{
    uint64_t end = (uint64_t)s.off + s.len;
    uint32_t size = v->hdr->sections[TRJ_SEC_STRINGS].size;
    if (end <= size)
        return 0;
    char where[48];
    if (idx == UINT32_MAX)
        snprintf(where, sizeof where, "%s", owner);
    else
        snprintf(where, sizeof where, "%s %u", owner, idx);
    return trj_vfail(v, "string-out-of-bounds", "%s: %s bytes [%u, %llu) past the end of STRINGS (%u bytes)", where, what,
                 s.off, (unsigned long long)end, size);
}

int trj_check_strings(vctx *v)
{
    const trj_policy *p = &v->p;
    int rc;
    if ((rc = str_ok(v, v->hdr->name, "header", UINT32_MAX, "name")) != 0 ||
        (rc = str_ok(v, v->hdr->policy_version, "header", UINT32_MAX, "policy_version")) != 0)
        return rc;
    for (uint32_t i = 0; i < p->n_fields; i++)
        if ((rc = str_ok(v, p->fields[i].name, "slot", i, "name")) != 0)
            return rc;
    for (uint32_t i = 0; i < p->n_rules; i++)
        if ((rc = str_ok(v, p->rules[i].name, "rule", i, "name")) != 0 ||
            (rc = str_ok(v, p->rules[i].reason, "rule", i, "reason")) != 0)
            return rc;
    for (uint32_t i = 0; i < p->n_atoms; i++)
        if ((rc = str_ok(v, p->atoms[i].text, "atom", i, "text")) != 0)
            return rc;
    v->names_ok = 1;
    return 0;
}

/* ---- pass: fields ---------------------------------------------------------- */

int trj_check_fields(vctx *v)
{
    const trj_policy *p = &v->p;
    char l[TRJ_LABEL_LEN];
    for (uint32_t i = 0; i < p->n_fields; i++) {
        const trj_field *f = &p->fields[i];
        if (f->type != TRJ_T_STR && f->type != TRJ_T_INT && f->type != TRJ_T_IP)
            return trj_vfail(v, "bad-field-type", "%s: type %u is not str(1), int(2) or ip(3)",
                         trj_vlabel_slot(v, i, l), f->type);
        if (f->name.len == 0)
            return trj_vfail(v, "bad-field-name", "%s: empty name", trj_vlabel_slot(v, i, l));
        if (f->name.len > TRJ_VERIFY_MAX_FIELD_NAME)
            return trj_vfail(v, "limit-exceeded", "%s: name of %u bytes, the limit is %u", trj_vlabel_slot(v, i, l),
                         f->name.len, TRJ_VERIFY_MAX_FIELD_NAME);
        if (memchr(p->strings + f->name.off, 0, f->name.len) != NULL)
            return trj_vfail(v, "bad-field-name", "%s: name contains a NUL byte", trj_vlabel_slot(v, i, l));
        for (uint32_t j = 0; j < i; j++) {
            const trj_field *g = &p->fields[j];
            if (g->name.len == f->name.len &&
                memcmp(p->strings + g->name.off, p->strings + f->name.off, f->name.len) == 0)
                return trj_vfail(v, "bad-field-name", "%s: same name as slot %u", trj_vlabel_slot(v, i, l), j);
        }
    }
    return 0;
}
