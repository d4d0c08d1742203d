/* names.c — names of kinds, decisions and errors; lookups in a loaded policy. */
#include <string.h>

#include "core_int.h"

static const char *const kind_names[TRJ_KIND_COUNT] = {
    "file.read",  "file.write",  "file.create", "file.delete", "file.rename",
    "file.meta",  "file.link",   "dir.create",  "exec",        "net.connect",
    "net.bind",   "net.send",    "net.resolve", "tool.call",   "http.request",
};

const char *trj_kind_name(uint32_t kind)
{
    return kind < TRJ_KIND_COUNT ? kind_names[kind] : "unknown";
}

int trj_kind_by_name(const char *name, size_t len)
{
    if (name == NULL)
        return -1;
    for (int k = 0; k < (int)TRJ_KIND_COUNT; k++)
        if (strlen(kind_names[k]) == len && memcmp(kind_names[k], name, len) == 0)
            return k;
    return -1;
}

const char *trj_decision_name(uint32_t decision)
{
    switch (decision) {
    case TRJ_ALLOW: return "allow";
    case TRJ_DENY: return "deny";
    case TRJ_ASK: return "ask";
    case TRJ_FLAG: return "flag";
    default: return "unknown";
    }
}

const char *trj_eval_error_name(uint32_t error)
{
    switch (error) {
    case TRJ_EVAL_OK: return "ok";
    case TRJ_EVAL_BAD_KIND: return "bad-kind";
    case TRJ_EVAL_MISSING_FIELD: return "missing-field";
    case TRJ_EVAL_TYPE_MISMATCH: return "type-mismatch";
    case TRJ_EVAL_VALUE_TOO_LONG: return "value-too-long";
    case TRJ_EVAL_TOO_FEW_SLOTS: return "too-few-slots";
    case TRJ_EVAL_NOT_LOADED: return "not-loaded";
    default: return "unknown";
    }
}

int trj_slot_by_name(const trj_policy *p, const char *name, size_t len)
{
    if (!trj_loaded(p) || name == NULL)
        return -1;
    for (uint32_t i = 0; i < p->n_fields; i++) {
        trj_str s = p->fields[i].name; /* verified: inside STRINGS (trj_check_strings) */
        if (s.len == len && memcmp(p->strings + s.off, name, len) == 0)
            return (int)i;
    }
    return -1;
}

static const char *str_of(const trj_policy *p, trj_str s, uint32_t *len)
{
    if (len != NULL)
        *len = s.len;
    return (const char *)p->strings + s.off; /* verified: trj_check_strings */
}

const char *trj_policy_name(const trj_policy *p, uint32_t *len)
{
    if (!trj_loaded(p)) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    return str_of(p, p->hdr->name, len);
}

const char *trj_field_name(const trj_policy *p, uint32_t slot, uint32_t *len)
{
    if (!trj_loaded(p) || slot >= p->n_fields) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    return str_of(p, p->fields[slot].name, len);
}

const char *trj_rule_name(const trj_policy *p, uint32_t rule, uint32_t *len)
{
    if (!trj_loaded(p) || rule >= p->n_rules) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    return str_of(p, p->rules[rule].name, len);
}

const char *trj_rule_reason(const trj_policy *p, uint32_t rule, uint32_t *len)
{
    if (!trj_loaded(p) || rule >= p->n_rules) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    return str_of(p, p->rules[rule].reason, len);
}

const uint8_t *trj_policy_hash(const trj_policy *p)
{
    return trj_loaded(p) ? p->hdr->body_sha256 : NULL;
}
