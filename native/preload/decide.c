/*
 * decide.c — trj_decide_and_record(): the one place every hook decides.
 *
 * It fills the policy's value slots from a trj_action, runs trj_eval, settles
 * the final decision (ask round trip, setuid exactness, observe mode) and
 * writes the audit record (audit.c) BEFORE returning 1 (allow, flag) or 0
 * (deny). Every path records: no policy (cause NO_POLICY), a hook that could
 * not build the action (UNRESOLVABLE, error = errno), the policy's verdict
 * (POLICY), a setuid target not named exactly (SETUID), ask (ASK_*). Path
 * functions that cannot name the object (TRJ_UNRES) reach the same seam
 * through trj_unresolvable(), so those denials are recorded too. A record
 * that cannot be written (no audit channel, writer closed or dead, a nested
 * decision on a full ring) is a deny: nothing runs unrecorded.
 *
 * Observe mode (ring header mode = observe): a deny of the policy (cause
 * POLICY, including an unanswered ask) is recorded with TRJ_RECF_OBSERVED and
 * the call proceeds. NO_POLICY, UNRESOLVABLE and SETUID still deny, and so
 * does a broken audit channel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "trajeckt_preload.h"
#include "trj_ring.h"
#include "ring_sys.h"

/* The kernel layer's supervisor (supervise.c) decides for another process:
   the pid the policy sees and a NOTE naming the layer and that process.
   Set per thread around one decision; 0/NULL = this process, no note. */
static __thread __attribute__((tls_model("initial-exec"))) int32_t tls_for_pid;
static __thread __attribute__((tls_model("initial-exec"))) const char *tls_for_note;

static __thread __attribute__((tls_model("initial-exec"))) int tls_dry;

void trj_decide_on_behalf(int32_t pid, const char *note)
{
    tls_for_pid = pid;
    tls_for_note = note;
}

void trj_decide_dry(int level)
{
    tls_dry = level;
}

static void set_bytes(trj_value *v, int slot, const char *s, size_t len)
{
    if (slot >= 0 && s != NULL) {
        v[slot].type = TRJ_V_BYTES;
        v[slot].len = (uint32_t)(len > TRJ_MAX_VALUE_LEN ? TRJ_MAX_VALUE_LEN + 1u : len);
        v[slot].u.bytes = (const uint8_t *)s;
    }
}

static void set_int(trj_value *v, int slot, int64_t i)
{
    if (slot >= 0) {
        v[slot].type = TRJ_V_INT;
        v[slot].u.i = i;
    }
}

/* How strongly a result speaks: a rule's deny > ask > allow/flag > the default. */
static int rank(const trj_result *r)
{
    if (r->reason != TRJ_REASON_RULE) {
        return r->reason == TRJ_REASON_EVAL_ERROR ? 4 : 0;
    }
    return r->decision == TRJ_DENY ? 3 : r->decision == TRJ_ASK ? 2 : 1;
}

/* trj_eval on a; fills o (verdict, reason, rule, error, eval_ns, FLAGGED, cwd). */
static void evaluate(const struct trj_action *a, struct trj_outcome *o, char *cwd, trj_result *res)
{
    const struct trj_state *t = &trj_state;
    /* n_fields is a trj_policy member: the verifier bounds it by TRJ_MAX_SLOTS,
       and clearing only the slots in use keeps this off the profile. */
    uint32_t n = t->policy.n_fields <= TRJ_MAX_SLOTS ? t->policy.n_fields : TRJ_MAX_SLOTS;
    trj_value v[TRJ_MAX_SLOTS];
    memset(v, 0, n * sizeof v[0]);
    set_bytes(v, t->s_path, a->path, a->path_len);
    set_bytes(v, t->s_path2, a->path2, a->path2_len);
    set_bytes(v, t->s_exe, a->exe, a->exe_len);
    set_bytes(v, t->s_cmdline, a->cmdline, a->cmdline_len);
    if (a->kind == TRJ_KIND_EXEC) {
        set_int(v, t->s_argc, a->argc);
        for (uint32_t i = 0; i < t->n_argv_slots; i++) {
            if (a->argv != NULL && (int64_t)t->argv_index[i] < a->argc) {
                const char *s = a->argv[t->argv_index[i]];
                set_bytes(v, t->argv_slot[i], s, strlen(s));
            }
        }
    }
    if (a->host != NULL) {
        set_bytes(v, t->s_host, a->host, a->host_len);
    }
    if (a->family != NULL) {
        set_bytes(v, t->s_family, a->family, strlen(a->family));
    }
    if (a->has_ip && t->s_ip >= 0) {
        v[t->s_ip].type = TRJ_V_IP;
        memcpy(v[t->s_ip].u.ip, a->ip, 16);
    }
    if (a->has_port) {
        set_int(v, t->s_port, a->port);
    }
    if (t->s_pid >= 0) {
        set_int(v, t->s_pid, tls_for_pid != 0 ? tls_for_pid : trj_sys0(SYS_getpid));
    }
    if (t->s_uid >= 0) {
        set_int(v, t->s_uid, trj_sys0(SYS_getuid));
    }
    if (t->s_agent >= 0 && t->agent_len > 0) {
        set_bytes(v, t->s_agent, t->agent, t->agent_len);
    }
    if (t->s_cwd >= 0) {
        long cl;
        if (tls_for_pid != 0) {
            char link[32];
            memcpy(link, "/proc/", 6);
            memcpy(trj_put_uint(link + 6, (unsigned long)tls_for_pid), "/cwd", 5);
            cl = trj_sys4(SYS_readlinkat, AT_FDCWD, (long)link, (long)cwd, TRJ_PATH_MAX - 1);
            if (cl > 0) {
                cwd[cl++] = '\0'; /* getcwd's length counts the NUL */
            }
        } else {
            cl = trj_sys2(SYS_getcwd, (long)cwd, TRJ_PATH_MAX);
        }
        if (cl > 1 && cwd[0] == '/') {
            set_bytes(v, t->s_cwd, cwd, (size_t)cl - 1);
            o->cwd = cwd;
            o->cwd_len = (size_t)cl - 1;
        }
    }
    /* Two clock reads per decision, not three: the record's wall time is the
       start of the evaluation, and the evaluation is timed on the same clock
       (a step of the wall clock in between shows as 0, never as a huge value). */
    uint64_t t0 = trj_ring_now_ns(CLOCK_REALTIME);
    o->time_ns = t0;
    uint32_t d = trj_eval(&t->policy, a->kind, v, n, res);
    if (a->exe_name != NULL && t->s_exe >= 0) {
        /* Run through a symlink (/usr/bin/python3 -> python3.11): the program
           may be named either way in a policy. Deny > ask > allow across the
           two names; the default only when no rule matched either. */
        trj_result named;
        set_bytes(v, t->s_exe, a->exe_name, a->exe_name_len);
        uint32_t dn = trj_eval(&t->policy, a->kind, v, n, &named);
        if (rank(&named) > rank(res)) {
            *res = named;
            d = dn;
        }
    }
    uint64_t t1 = trj_ring_now_ns(CLOCK_REALTIME);
    o->eval_ns = t1 < t0 ? 0 : (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
    o->verdict = (uint8_t)d;
    o->decision = d == TRJ_ALLOW ? TRJ_ALLOW : TRJ_DENY;
    o->reason = (uint8_t)res->reason;
    o->error = (uint8_t)(res->error > 255 ? 255 : res->error);
    o->rule = res->rule;
    o->cause = TRJ_CAUSE_POLICY;
    if (res->flagged) {
        o->flags |= TRJ_RECF_FLAGGED;
    }
}

int trj_decide_and_record(const struct trj_action *a)
{
    if (!trj_audit_ready()) {
        return 0; /* no audit channel: nothing may run unrecorded */
    }
    const struct trj_state *t = &trj_state;
    if (tls_dry) {
        /* a second opinion on a call the library already recorded: allow,
           flag and ask (a person was asked) pass; nothing is written */
        if (!t->loaded || a->error != 0) {
            return 0;
        }
        struct trj_outcome q = { .rule = -1 };
        char qcwd[TRJ_PATH_MAX];
        trj_result qres;
        evaluate(a, &q, qcwd, &qres);
        int denied = q.verdict == TRJ_DENY && (tls_dry == 1 || q.reason == TRJ_REASON_RULE);
        return !denied || trj_audit_observe();
    }
    struct trj_outcome o = {
        .kind = (uint16_t)a->kind,
        .decision = TRJ_DENY,
        .verdict = TRJ_DENY,
        .rule = -1,
        .note = tls_for_note,
    };
    o.nested = trj_audit_enter();
    if (o.nested) {
        o.flags |= TRJ_RECF_NESTED;
    }
    trj_audit_begin(&o, a->kind == TRJ_KIND_EXEC);
    char cwd[TRJ_PATH_MAX];
    int observable = 0; /* a policy deny observe mode may let through */
    if (!t->loaded || a->error != 0) {
        o.time_ns = trj_ring_now_ns(CLOCK_REALTIME);
    }
    if (!t->loaded) {
        o.cause = TRJ_CAUSE_NO_POLICY;
    } else if (a->error != 0) {
        o.cause = TRJ_CAUSE_UNRESOLVABLE;
        o.error = (uint8_t)(a->error < 0 || a->error > 255 ? 255 : a->error);
    } else {
        trj_result res;
        evaluate(a, &o, cwd, &res);
        observable = !a->privileged; /* setuid targets stay denied in observe mode */
        if (o.verdict == TRJ_ASK && !trj_audit_observe()) {
            o.cause = trj_audit_ask(a, &o, res.timeout_ms);
            o.decision = o.cause == TRJ_CAUSE_ASK_ALLOWED ? TRJ_ALLOW : TRJ_DENY;
            observable = 0;
        }
        if (o.decision == TRJ_ALLOW && a->privileged && !trj_exec_allowed_exactly(a)) {
            /* the loader drops LD_PRELOAD for this program: deny, observe or not */
            o.decision = TRJ_DENY;
            o.cause = TRJ_CAUSE_SETUID;
        }
    }
    int allowed = o.decision == TRJ_ALLOW;
    if (!allowed && observable && o.cause == TRJ_CAUSE_POLICY && trj_audit_observe()) {
        o.flags |= TRJ_RECF_OBSERVED;
        allowed = 1;
    }
    if (trj_audit_write(a, &o) < 0) {
        allowed = 0;
    }
    trj_audit_leave();
    return allowed;
}

int trj_decide_path(uint32_t kind, const char *path, size_t len)
{
    struct trj_action a = { .kind = kind, .path = path, .path_len = len };
    return trj_decide_and_record(&a);
}

int trj_decide_path2(uint32_t kind, const char *p1, size_t l1, const char *p2, size_t l2)
{
    struct trj_action a = { .kind = kind, .path = p1, .path_len = l1, .path2 = p2, .path2_len = l2 };
    return trj_decide_and_record(&a);
}

int trj_unresolvable(uint32_t kind, long r, const char *p1, size_t l1, const char *p2, size_t l2)
{
    if (!TRJ_IS_UNRES(r)) {
        return (int)r;
    }
    int e = TRJ_UNRES_ERRNO(r);
    struct trj_action a = {
        .kind = kind, .path = p1, .path_len = l1, .path2 = p2, .path2_len = l2,
        .error = e > 0 ? e : EACCES, /* nonzero: never evaluated */
    };
    (void)trj_decide_and_record(&a);
    return -EACCES;
}

/*
 * Is the exec allowed by a rule naming this exact program? Used for setuid
 * and setgid targets (the loader drops LD_PRELOAD for them, so nothing they
 * do afterwards would be judged). The action must be allowed by a rule (not
 * by the default), and stay NOT allowed when exe is perturbed to
 * exe + "\x01" and exe + "/\x01": `exe == "/usr/bin/sudo"` and
 * `exe in [...]` pass; `exe under "/usr/bin"`, `exe matches "/usr/bin/<star>"`,
 * an unanchored regex and a default of allow do not. These probes are not
 * actions and are not recorded; the decision that calls this records the
 * outcome (cause SETUID when it says no).
 */
int trj_exec_allowed_exactly(const struct trj_action *a)
{
    const struct trj_state *t = &trj_state;
    if (!t->loaded || t->s_exe < 0 || a->exe_len + 2 >= TRJ_PATH_MAX) {
        return 0;
    }
    static const char *const suffix[2] = { "\x01", "/\x01" };
    char buf[TRJ_PATH_MAX];
    memcpy(buf, a->exe, a->exe_len);
    for (int i = 0; i < 3; i++) {
        struct trj_action p = *a;
        if (i > 0) {
            size_t sl = strlen(suffix[i - 1]);
            memcpy(buf + a->exe_len, suffix[i - 1], sl);
            p.exe = buf;
            p.exe_len = a->exe_len + sl;
        }
        uint32_t n = t->policy.n_fields <= TRJ_MAX_SLOTS ? t->policy.n_fields : TRJ_MAX_SLOTS;
        trj_value v[TRJ_MAX_SLOTS];
        memset(v, 0, n * sizeof v[0]);
        set_bytes(v, t->s_exe, p.exe, p.exe_len);
        set_bytes(v, t->s_cmdline, p.cmdline, p.cmdline_len);
        set_int(v, t->s_argc, p.argc);
        for (uint32_t k = 0; k < t->n_argv_slots; k++) {
            if (p.argv != NULL && (int64_t)t->argv_index[k] < p.argc) {
                const char *s = p.argv[t->argv_index[k]];
                set_bytes(v, t->argv_slot[k], s, strlen(s));
            }
        }
        if (t->s_agent >= 0 && t->agent_len > 0) {
            set_bytes(v, t->s_agent, t->agent, t->agent_len);
        }
        trj_result res;
        uint32_t d = trj_eval(&t->policy, TRJ_KIND_EXEC, v, n, &res);
        int allowed_by_rule = d == TRJ_ALLOW && res.reason == TRJ_REASON_RULE;
        if (i == 0 ? !allowed_by_rule : d == TRJ_ALLOW) {
            return 0;
        }
    }
    return 1;
}
