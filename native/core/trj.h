/*
 * trj.h — the C core's API: verify, load and evaluate a .trjb policy table.
 *
 * One core, two users: libtrajeckt.so (LD_PRELOAD hooks) and trajeckt.node
 * (N-API addon). Both need the same guarantees, so the contract is strict:
 *
 *   - No allocation anywhere. trj_policy is caller-owned storage (static in
 *     the preload library, heap in the addon) holding pointers into the
 *     caller's buffer; the buffer must outlive the policy and must not change.
 *   - No syscalls, no locks, no recursion. trj_eval is safe to call from
 *     any thread and from async-signal context, concurrently, on one policy.
 *   - Errors: functions return 0 or a negative errno-style code and write a
 *     NUL-terminated human message into a caller-provided buffer
 *     ("insn 12: jump out of range").
 *   - trj_eval never fails open: any evaluation problem yields TRJ_DENY with
 *     reason TRJ_REASON_EVAL_ERROR and a specific error code.
 */
#ifndef TRJ_H
#define TRJ_H

#include <stddef.h>
#include <stdint.h>

#include "trj_isa.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A loaded, verified policy. Treat the members as private. */
typedef struct trj_policy {
    const uint8_t *base;
    uint32_t size;
    const trj_header *hdr;
    const uint8_t *strings;
    const trj_field *fields;
    uint32_t n_fields;
    const trj_entry *entries;
    const trj_insn *code;
    uint32_t n_insns;
    const trj_rule *rules;
    uint32_t n_rules;
    const trj_atom *atoms;
    uint32_t n_atoms;
    const trj_classifier *classifiers;
    uint32_t n_classifiers;
    const trj_class *classes;
    uint32_t n_classes;
    const uint32_t *lists;
    uint32_t n_lists;
    const uint8_t *data;
    uint32_t data_size;
    const trj_bs_entry *backstop;
    uint32_t n_backstop;
} trj_policy;

/* One field value handed to trj_eval, indexed by slot. */
enum trj_value_type {
    TRJ_V_ABSENT = 0, /* the action does not carry this field */
    TRJ_V_BYTES = 1,  /* u.bytes[0..len): any bytes, NULs included */
    TRJ_V_INT = 2,    /* u.i */
    TRJ_V_IP = 3      /* u.ip: 16 bytes, IPv4 as ::ffff:a.b.c.d */
};

typedef struct trj_value {
    uint32_t type; /* trj_value_type */
    uint32_t len;  /* bytes, for TRJ_V_BYTES */
    union {
        const uint8_t *bytes;
        int64_t i;
        uint8_t ip[16];
    } u;
} trj_value;

/* Why a result is what it is. */
enum trj_reason {
    TRJ_REASON_RULE = 0,       /* a rule matched: result.rule */
    TRJ_REASON_DEFAULT = 1,    /* no rule matched: the policy default */
    TRJ_REASON_EVAL_ERROR = 2  /* deny: result.error says why */
};

/* Evaluation errors (result.error), all of which mean deny. */
enum trj_eval_error {
    TRJ_EVAL_OK = 0,
    TRJ_EVAL_BAD_KIND = 1,        /* kind id out of range */
    TRJ_EVAL_MISSING_FIELD = 2,   /* a required field is absent */
    TRJ_EVAL_TYPE_MISMATCH = 3,   /* value type differs from the field's */
    TRJ_EVAL_VALUE_TOO_LONG = 4,  /* over TRJ_MAX_VALUE_LEN */
    TRJ_EVAL_TOO_FEW_SLOTS = 5,   /* caller passed fewer slots than needed */
    TRJ_EVAL_NOT_LOADED = 6       /* policy pointer is NULL or not loaded */
};

typedef struct trj_result {
    uint32_t decision; /* TRJ_ALLOW, TRJ_DENY or TRJ_ASK */
    uint32_t reason;   /* trj_reason */
    int32_t rule;      /* deciding rule index, -1 if none */
    uint32_t flagged;  /* 1 if a flag rule matched (and the action is allowed) */
    uint32_t timeout_ms; /* for TRJ_ASK: how long to wait for a person */
    uint32_t error;    /* trj_eval_error when reason == TRJ_REASON_EVAL_ERROR */
} trj_result;

/* Check a table without keeping it. 0 if valid, else -EINVAL and a message. */
int trj_verify(const void *buf, size_t len, char *msg, size_t msg_len);

/* Verify and fill *p with views into buf. 0 or -EINVAL with a message. */
int trj_load(trj_policy *p, const void *buf, size_t len, char *msg, size_t msg_len);

/*
 * Decide one action. `values` holds n_values entries indexed by slot (see
 * trj_slot_by_name). Always fills *out; returns out->decision.
 */
uint32_t trj_eval(const trj_policy *p, uint32_t kind, const trj_value *values,
                  uint32_t n_values, trj_result *out);

/* Slot of a field name, or -1 if the policy does not use that field. */
int trj_slot_by_name(const trj_policy *p, const char *name, size_t len);

/* Kind id for "file.read" etc., or -1. */
int trj_kind_by_name(const char *name, size_t len);
const char *trj_kind_name(uint32_t kind);
const char *trj_decision_name(uint32_t decision);
const char *trj_eval_error_name(uint32_t error);

/* Strings of a loaded policy (not NUL-terminated; *len receives the length). */
const char *trj_policy_name(const trj_policy *p, uint32_t *len);
const char *trj_field_name(const trj_policy *p, uint32_t slot, uint32_t *len); /* slot < n_fields */
const char *trj_rule_name(const trj_policy *p, uint32_t rule, uint32_t *len);
const char *trj_rule_reason(const trj_policy *p, uint32_t rule, uint32_t *len);
const uint8_t *trj_policy_hash(const trj_policy *p); /* body SHA-256, 32 bytes */

/*
 * Any trj_str of a loaded policy (a trj_bs_entry's path, ...): a pointer into
 * STRINGS, not NUL-terminated, *len bytes. NULL with *len = 0 if the policy is
 * not loaded or the reference lies outside STRINGS.
 */
const char *trj_string(const trj_policy *p, trj_str s, uint32_t *len);

/*
 * The kernel backstop (BACKSTOP section, trj_isa.h): *entries points at the
 * verified entries (META first, then sorted PATH / TCP_CONNECT / TCP_BIND),
 * *n >= 1. 0, or -EINVAL if the policy is not loaded.
 */
int trj_backstop(const trj_policy *p, const trj_bs_entry **entries, uint32_t *n);

#ifdef __cplusplus
}
#endif

#endif /* TRJ_H */
