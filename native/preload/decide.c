/*
 * decide.c — trj_decide_and_record(): the one place every hook decides.
 *
 * It fills the policy's value slots from a trj_action, runs trj_eval and
 * returns 1 (allow, flag) or 0 (deny, ask, eval error, no policy). The audit
 * record (ring append, a later slice) belongs here, after trj_eval and before
 * returning, so that nothing is allowed unrecorded.
 *
 * `ask` has no broker yet in this slice: it is denied (the fail-closed outcome
 * of an unanswered ask).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/syscall.h>

#include "trajeckt_preload.h"

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

int trj_decide_and_record(const struct trj_action *a)
{
    const struct trj_state *t = &trj_state;
    if (!t->loaded || a->error != 0) {
        /* audit seam: record deny, reason no-policy / eval-error */
        return 0;
    }
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
        set_int(v, t->s_pid, trj_sys0(SYS_getpid));
    }
    if (t->s_uid >= 0) {
        set_int(v, t->s_uid, trj_sys0(SYS_getuid));
    }
    if (t->s_agent >= 0 && t->agent_len > 0) {
        set_bytes(v, t->s_agent, t->agent, t->agent_len);
    }
    char cwd[TRJ_PATH_MAX];
    if (t->s_cwd >= 0) {
        long cl = trj_sys2(SYS_getcwd, (long)cwd, sizeof cwd);
        if (cl > 1 && cwd[0] == '/') {
            set_bytes(v, t->s_cwd, cwd, (size_t)cl - 1);
        }
    }
    trj_result res;
    uint32_t d = trj_eval(&t->policy, a->kind, v, n, &res);
    /* audit seam: record (kind, fields, res) here — before the call proceeds */
    return d == TRJ_ALLOW;
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

/*
 * Is the exec allowed by a rule naming this exact program? Used for setuid
 * and setgid targets (the loader drops LD_PRELOAD for them, so nothing they
 * do afterwards would be judged). The action must be allowed by a rule (not
 * by the default), and stay NOT allowed when exe is perturbed to
 * exe + "\x01" and exe + "/\x01": `exe == "/usr/bin/sudo"` and
 * `exe in [...]` pass; `exe under "/usr/bin"`, `exe matches "/usr/bin/<star>"`,
 * an unanchored regex and a default of allow do not. These probes are not
 * actions and are not recorded.
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
