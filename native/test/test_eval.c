/* test_eval.c — valid tables evaluate to the expected decisions. */
#include <stdlib.h>

#include "fixture.h"
#include "test.h"

static fixture F;
static int loaded;

static const trj_policy *policy(void)
{
    if (!loaded) {
        fx_build(&F);
        if (fx_load(&F) != 0)
            printf("    sample policy does not load: %s\n", F.msg);
        loaded = 1;
    }
    return &F.p;
}

/* Evaluate with one value per slot (path, port, ip, exe). */
static trj_result ev(uint32_t kind, trj_value path, trj_value port, trj_value ip, trj_value exe)
{
    trj_value vals[N_SLOTS] = {path, port, ip, exe};
    trj_result r;
    memset(&r, 0xa5, sizeof r); /* every field must be written */
    uint32_t d = trj_eval(policy(), kind, vals, N_SLOTS, &r);
    CHECK_EQ(d, r.decision);
    return r;
}

static trj_result read_path(trj_value path) { return ev(TRJ_KIND_FILE_READ, path, v_absent(), v_absent(), v_absent()); }
static trj_result read_str(const char *s) { return read_path(v_str(s)); }

#define EXPECT(r, dec, rsn, rl, flg)   \
    do {                               \
        trj_result r_ = (r);           \
        CHECK_EQ(r_.decision, dec);    \
        CHECK_EQ(r_.reason, rsn);      \
        CHECK_EQ(r_.rule, rl);         \
        CHECK_EQ(r_.flagged, flg);     \
    } while (0)

#define EXPECT_ERROR(r, err)                        \
    do {                                            \
        trj_result r_ = (r);                        \
        CHECK_EQ(r_.decision, TRJ_DENY);            \
        CHECK_EQ(r_.reason, TRJ_REASON_EVAL_ERROR); \
        CHECK_EQ(r_.rule, -1);                      \
        CHECK_EQ(r_.flagged, 0);                    \
        CHECK_EQ(r_.error, err);                    \
    } while (0)

TEST(sample_policy_verifies)
{
    policy();
    CHECK_EQ(F.rc, 0);
    CHECK(F.msg[0] == '\0');
    CHECK_EQ(trj_verify(F.buf, F.len, NULL, 0), 0);
}

TEST(allows_by_matching_rule)
{
    trj_result r = read_str("/usr/lib/libc.so");
    EXPECT(r, TRJ_ALLOW, TRJ_REASON_RULE, 0, 0);
    CHECK_EQ(r.error, TRJ_EVAL_OK);
    CHECK_EQ(r.timeout_ms, 0);
}

TEST(equal_decisions_tie_to_lowest_rule_index)
{
    /* read_usr (0) and read_usr_again (11) both allow */
    EXPECT(read_str("/usr/x"), TRJ_ALLOW, TRJ_REASON_RULE, 0, 0);
    /* no_pem (1) and nul_marker (8) both deny */
    EXPECT(read_path(v_bytes("/x/a\0b.pem", 10)), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
}

TEST(deny_beats_allow)
{
    EXPECT(read_str("/usr/share/key.pem"), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
}

TEST(ask_returns_rule_timeout)
{
    trj_result r = read_str("/home/\xff\xfe");
    EXPECT(r, TRJ_ASK, TRJ_REASON_RULE, 2, 0);
    CHECK_EQ(r.timeout_ms, 30000);
}

TEST(deny_beats_ask)
{
    trj_result r = read_str("/home/\xff.pem");
    EXPECT(r, TRJ_DENY, TRJ_REASON_RULE, 1, 0);
    CHECK_EQ(r.timeout_ms, 0);
}

TEST(ask_beats_allow)
{
    EXPECT(read_str("/usr/\xff"), TRJ_ASK, TRJ_REASON_RULE, 2, 0);
}

TEST(flag_alone_allows_and_marks)
{
    EXPECT(read_str("/tmp/scratch"), TRJ_ALLOW, TRJ_REASON_RULE, 3, 1);
}

TEST(flag_is_not_reported_when_denied)
{
    EXPECT(read_str("/tmp/key.pem"), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
}

TEST(flag_and_allow_tie_to_lowest_index_and_stay_flagged)
{
    /* file.write /tmp/x: tmp_flag (3, flag), tmp_allow (4), outside_work (9, flag) */
    trj_result r = ev(TRJ_KIND_FILE_WRITE, v_str("/tmp/x"), v_absent(), v_absent(), v_absent());
    EXPECT(r, TRJ_ALLOW, TRJ_REASON_RULE, 3, 1);
}

TEST(no_match_yields_header_default)
{
    trj_result r = read_str("/etc/passwd");
    EXPECT(r, TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
    CHECK_EQ(r.error, TRJ_EVAL_OK);
    EXPECT(ev(TRJ_KIND_FILE_WRITE, v_str("/work/a"), v_absent(), v_absent(), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
}

TEST(kind_without_rules_yields_default)
{
    EXPECT(ev(TRJ_KIND_HTTP_REQUEST, v_absent(), v_absent(), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT,
           -1, 0);
}

TEST(candidates_of_other_kinds_are_skipped)
{
    /* tmp_allow (file.write only) is a candidate of the shared path class */
    EXPECT(read_str("/tmp/x"), TRJ_ALLOW, TRJ_REASON_RULE, 3, 1);
    /* read_usr is a candidate for /usr paths but does not apply to file.write */
    EXPECT(ev(TRJ_KIND_FILE_WRITE, v_str("/work/usr"), v_absent(), v_absent(), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
    EXPECT(ev(TRJ_KIND_FILE_WRITE, v_str("/usr/x"), v_absent(), v_absent(), v_absent()), TRJ_ALLOW, TRJ_REASON_RULE,
           9, 1);
}

TEST(unguarded_rules_run_from_rules_list)
{
    /* outside_work: flag file.write if not path under /work */
    EXPECT(ev(TRJ_KIND_FILE_WRITE, v_str("/home/a"), v_absent(), v_absent(), v_absent()), TRJ_ALLOW, TRJ_REASON_RULE,
           9, 1);
    /* confirm_delete: a JA-then-RET 1 block */
    trj_result r = ev(TRJ_KIND_FILE_DELETE, v_absent(), v_absent(), v_absent(), v_absent());
    EXPECT(r, TRJ_ASK, TRJ_REASON_RULE, 10, 0);
    CHECK_EQ(r.timeout_ms, 1000);
}

TEST(or_condition_matches_either_atom)
{
    EXPECT(ev(TRJ_KIND_FILE_CREATE, v_str("/a.pem"), v_absent(), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_RULE,
           12, 0);
    EXPECT(ev(TRJ_KIND_FILE_CREATE, v_str("/tmp/a"), v_absent(), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_RULE,
           12, 0);
    EXPECT(ev(TRJ_KIND_FILE_CREATE, v_str("/home/a"), v_absent(), v_absent(), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
}

TEST(absent_optional_field_takes_absent_class)
{
    /* path is optional for file.write: no atom true, so "not under /work" holds */
    EXPECT(ev(TRJ_KIND_FILE_WRITE, v_absent(), v_absent(), v_absent(), v_absent()), TRJ_ALLOW, TRJ_REASON_RULE, 9, 1);
    /* ip optional for net.connect: internal needs it */
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(8080), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT, -1,
           0);
}

TEST(missing_required_field_is_eval_error)
{
    EXPECT_ERROR(read_path(v_absent()), TRJ_EVAL_MISSING_FIELD);
    EXPECT_ERROR(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_absent(), v_ip4(10, 0, 0, 1), v_absent()),
                 TRJ_EVAL_MISSING_FIELD);
}

TEST(type_mismatch_is_eval_error)
{
    EXPECT_ERROR(read_path(v_int(3)), TRJ_EVAL_TYPE_MISMATCH);
    EXPECT_ERROR(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_str("22"), v_absent(), v_absent()), TRJ_EVAL_TYPE_MISMATCH);
    EXPECT_ERROR(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(22), v_int(1), v_absent()), TRJ_EVAL_TYPE_MISMATCH);
    trj_value odd = {.type = 99};
    EXPECT_ERROR(read_path(odd), TRJ_EVAL_TYPE_MISMATCH);
    EXPECT_ERROR(read_path(v_bytes(NULL, 4)), TRJ_EVAL_TYPE_MISMATCH);
    EXPECT(read_path(v_bytes(NULL, 0)), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
}

TEST(value_too_long_is_eval_error)
{
    uint8_t *big = malloc(TRJ_MAX_VALUE_LEN + 1);
    memset(big, '/', TRJ_MAX_VALUE_LEN + 1);
    EXPECT_ERROR(read_path(v_bytes(big, TRJ_MAX_VALUE_LEN + 1)), TRJ_EVAL_VALUE_TOO_LONG);
    EXPECT(read_path(v_bytes(big, TRJ_MAX_VALUE_LEN)), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
    free(big);
}

TEST(too_few_slots_is_eval_error)
{
    trj_value vals[1] = {v_str("/usr/x")};
    trj_result r;
    CHECK_EQ(trj_eval(policy(), TRJ_KIND_FILE_READ, vals, 1, &r), TRJ_ALLOW);
    CHECK_EQ(trj_eval(policy(), TRJ_KIND_NET_CONNECT, vals, 1, &r), TRJ_DENY);
    EXPECT_ERROR(r, TRJ_EVAL_TOO_FEW_SLOTS);
    CHECK_EQ(trj_eval(policy(), TRJ_KIND_FILE_READ, NULL, 4, &r), TRJ_DENY);
    EXPECT_ERROR(r, TRJ_EVAL_TOO_FEW_SLOTS);
}

TEST(bad_kind_and_unloaded_policy_deny)
{
    trj_value vals[N_SLOTS] = {v_str("/usr/x"), v_absent(), v_absent(), v_absent()};
    trj_result r;
    CHECK_EQ(trj_eval(policy(), TRJ_KIND_COUNT, vals, N_SLOTS, &r), TRJ_DENY);
    EXPECT_ERROR(r, TRJ_EVAL_BAD_KIND);
    CHECK_EQ(trj_eval(NULL, TRJ_KIND_FILE_READ, vals, N_SLOTS, &r), TRJ_DENY);
    EXPECT_ERROR(r, TRJ_EVAL_NOT_LOADED);
    trj_policy zero;
    memset(&zero, 0, sizeof zero);
    CHECK_EQ(trj_eval(&zero, TRJ_KIND_FILE_READ, vals, N_SLOTS, &r), TRJ_DENY);
    EXPECT_ERROR(r, TRJ_EVAL_NOT_LOADED);
    CHECK_EQ(trj_eval(policy(), TRJ_KIND_FILE_READ, vals, N_SLOTS, NULL), TRJ_ALLOW);
}

TEST(embedded_nul_does_not_end_the_value)
{
    EXPECT(read_path(v_bytes("/x/a\0b", 6)), TRJ_DENY, TRJ_REASON_RULE, 8, 0);
    EXPECT(read_path(v_bytes("/usr/\0lib", 9)), TRJ_ALLOW, TRJ_REASON_RULE, 0, 0);
    EXPECT(read_path(v_bytes("\0/usr/", 6)), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
}

TEST(non_utf8_bytes_are_plain_bytes)
{
    EXPECT(read_str("/usr/\xc3\x28\x80"), TRJ_ALLOW, TRJ_REASON_RULE, 0, 0);
    EXPECT(read_str("\xff"), TRJ_ASK, TRJ_REASON_RULE, 2, 0);
    EXPECT(read_str("/usr/\xc0\xaf.pem"), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
}

TEST(path_of_4096_bytes)
{
    char p[4096];
    memset(p, 'd', sizeof p);
    memcpy(p, "/usr/", 5);
    EXPECT(read_path(v_bytes(p, sizeof p)), TRJ_ALLOW, TRJ_REASON_RULE, 0, 0);
    memcpy(p + sizeof p - 4, ".pem", 4);
    EXPECT(read_path(v_bytes(p, sizeof p)), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
}

TEST(value_of_100000_bytes_walks_the_dfa)
{
    static char p[100000];
    memset(p, 'x', sizeof p);
    memcpy(p, "/home/", 6);
    memcpy(p + sizeof p - 4, ".pem", 4);
    EXPECT(read_path(v_bytes(p, sizeof p)), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
    p[sizeof p / 2] = (char)0xff;
    EXPECT(read_path(v_bytes(p, sizeof p)), TRJ_DENY, TRJ_REASON_RULE, 1, 0);
    p[sizeof p - 1] = 'x';
    trj_result r = read_path(v_bytes(p, sizeof p));
    EXPECT(r, TRJ_ASK, TRJ_REASON_RULE, 2, 0);
}

TEST(dfa_stops_at_sink_state)
{
    /* exe == "/usr/bin/git": any other first byte lands in a sink */
    static char e[TRJ_MAX_VALUE_LEN];
    memset(e, 'z', sizeof e);
    EXPECT(ev(TRJ_KIND_EXEC, v_absent(), v_absent(), v_absent(), v_bytes(e, sizeof e)), TRJ_DENY, TRJ_REASON_DEFAULT,
           -1, 0);
    EXPECT(ev(TRJ_KIND_EXEC, v_absent(), v_absent(), v_absent(), v_str("/usr/bin/git")), TRJ_ALLOW, TRJ_REASON_RULE, 5,
           0);
    EXPECT(ev(TRJ_KIND_EXEC, v_absent(), v_absent(), v_absent(), v_str("/usr/bin/gitx")), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
}

/* The two ends of sink numbering: a DFA whose start state is its only state and
 * a sink (n_sink = 1, start row 0: the walk reads no byte), and one with no sink
 * at all (n_sink = 0: every byte is walked). */
TEST(dfa_with_start_in_a_sink_and_dfa_without_sinks)
{
    tb_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.name = "sinks";
    pol.version = "1";
    pol.default_decision = TRJ_ASK;
    pol.n_fields = 2;
    pol.fields[0].name = "a", pol.fields[0].type = TRJ_T_STR;
    pol.fields[1].name = "b", pol.fields[1].type = TRJ_T_STR;
    pol.n_atoms = 2;
    pol.atoms[0] = (tb_atom){0, TB_PREFIX, "", 0, {0, 0}, {0, 0}, "a matches \"**\""};
    pol.atoms[1] = (tb_atom){1, TB_SUFFIX, ".pem", 0, {0, 0}, {0, 0}, "b matches \"**/*.pem\""};
    pol.n_rules = 2;
    pol.rules[0] = (tb_rule){"any_a", NULL, TRJ_ALLOW, 0, 1u << TRJ_KIND_EXEC, 0, {+1}, 1, 0, 0};
    pol.rules[1] = (tb_rule){"pem_b", NULL, TRJ_DENY, 0, 1u << TRJ_KIND_EXEC, 1, {+2}, 1, 0, 0};
    fixture f;
    f.buf = tb_build(&pol, &f.len);
    CHECK_EQ(fx_load(&f), 0);
    const trj_classifier *a = tb_classifier(f.buf, 0), *b = tb_classifier(f.buf, 1);
    CHECK_EQ(a->n_states, 1);
    CHECK_EQ(a->n_sink, 1);
    CHECK_EQ(a->start, 0);
    CHECK_EQ(b->n_sink, 0);
    static char big[100000];
    memset(big, 'x', sizeof big);
    memcpy(big + sizeof big - 4, ".pem", 4);
    struct {
        trj_value a, b;
        uint32_t decision;
        int32_t rule;
    } cases[] = {
        {v_str(""), v_absent(), TRJ_ALLOW, 0},
        {v_bytes(big, sizeof big), v_absent(), TRJ_ALLOW, 0},
        {v_absent(), v_absent(), TRJ_ASK, -1},
        {v_absent(), v_str("/x.pem"), TRJ_DENY, 1},
        {v_str("z"), v_bytes(big, sizeof big), TRJ_DENY, 1},
        {v_absent(), v_bytes(big, sizeof big - 1), TRJ_ASK, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trj_value vals[2] = {cases[i].a, cases[i].b};
        trj_result r;
        CHECK_EQ(trj_eval(&f.p, TRJ_KIND_EXEC, vals, 2, &r), cases[i].decision);
        CHECK_EQ(r.rule, cases[i].rule);
    }
    fx_free(&f);
}

TEST(integers_classify_by_interval)
{
    trj_result r = ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(22), v_absent(), v_absent());
    EXPECT(r, TRJ_ASK, TRJ_REASON_RULE, 6, 0);
    CHECK_EQ(r.timeout_ms, 5000);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(21), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(23), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(1001), v_ip4(10, 9, 8, 7), v_absent()), TRJ_ALLOW,
           TRJ_REASON_RULE, 7, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(1000), v_ip4(10, 9, 8, 7), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(INT64_MAX), v_ip4(10, 0, 0, 0), v_absent()), TRJ_ALLOW,
           TRJ_REASON_RULE, 7, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(INT64_MIN), v_ip4(10, 0, 0, 0), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(-22), v_absent(), v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT, -1,
           0);
}

TEST(ip_addresses_classify_by_interval)
{
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(8080), v_ip4(10, 255, 255, 255), v_absent()), TRJ_ALLOW,
           TRJ_REASON_RULE, 7, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(8080), v_ip4(11, 0, 0, 0), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(8080), v_ip4(9, 255, 255, 255), v_absent()), TRJ_DENY,
           TRJ_REASON_DEFAULT, -1, 0);
    trj_value v6 = {.type = TRJ_V_IP};
    memset(v6.u.ip, 0, 16);
    v6.u.ip[15] = 1; /* ::1 */
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(8080), v6, v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
    memset(v6.u.ip, 0xff, 16);
    EXPECT(ev(TRJ_KIND_NET_CONNECT, v_absent(), v_int(8080), v6, v_absent()), TRJ_DENY, TRJ_REASON_DEFAULT, -1, 0);
}

TEST(names_and_lookups)
{
    const trj_policy *p = policy();
    CHECK_EQ(trj_slot_by_name(p, "path", 4), 0);
    CHECK_EQ(trj_slot_by_name(p, "exe", 3), 3);
    CHECK_EQ(trj_slot_by_name(p, "pat", 3), -1);
    CHECK_EQ(trj_slot_by_name(NULL, "path", 4), -1);
    static const char *kinds[] = {"file.read", "file.write", "file.create", "file.delete", "file.rename",
                                  "file.meta", "file.link", "dir.create", "exec", "net.connect",
                                  "net.bind", "net.send", "net.resolve", "tool.call", "http.request"};
    for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
        CHECK(strcmp(trj_kind_name(k), kinds[k]) == 0);
        CHECK_EQ(trj_kind_by_name(kinds[k], strlen(kinds[k])), k);
    }
    CHECK_EQ(trj_kind_by_name("file.*", 6), -1);
    CHECK_EQ(trj_kind_by_name("exec", 3), -1);
    CHECK(strcmp(trj_decision_name(TRJ_ALLOW), "allow") == 0 && strcmp(trj_decision_name(TRJ_DENY), "deny") == 0);
    CHECK(strcmp(trj_decision_name(TRJ_ASK), "ask") == 0 && strcmp(trj_decision_name(TRJ_FLAG), "flag") == 0);
    static const char *errs[] = {"ok", "bad-kind", "missing-field", "type-mismatch", "value-too-long",
                                 "too-few-slots", "not-loaded"};
    for (uint32_t e = 0; e < 7; e++)
        CHECK(strcmp(trj_eval_error_name(e), errs[e]) == 0);
    uint32_t len = 99;
    const char *s = trj_policy_name(p, &len);
    CHECK(s != NULL && len == 6 && memcmp(s, "sample", 6) == 0);
    s = trj_rule_name(p, 1, &len);
    CHECK(s != NULL && len == 6 && memcmp(s, "no_pem", 6) == 0);
    s = trj_rule_reason(p, 1, &len);
    CHECK(s != NULL && len == strlen("credentials are off limits"));
    trj_rule_reason(p, 0, &len);
    CHECK_EQ(len, 0);
    CHECK(trj_rule_name(p, 999, &len) == NULL && len == 0);
    CHECK(trj_policy_hash(p) != NULL && memcmp(trj_policy_hash(p), F.buf + 72, 32) == 0);
    CHECK(trj_policy_hash(NULL) == NULL);
}

TEST(allow_default_policy_allows_unmatched)
{
    tb_policy pol;
    tb_sample(&pol);
    pol.default_decision = TRJ_ALLOW;
    size_t len;
    uint8_t *buf = tb_build(&pol, &len);
    trj_policy p;
    char msg[256];
    CHECK_EQ(trj_load(&p, buf, len, msg, sizeof msg), 0);
    trj_value vals[N_SLOTS] = {v_str("/etc/x"), v_absent(), v_absent(), v_absent()};
    trj_result r;
    CHECK_EQ(trj_eval(&p, TRJ_KIND_FILE_READ, vals, N_SLOTS, &r), TRJ_ALLOW);
    CHECK_EQ(r.reason, TRJ_REASON_DEFAULT);
    CHECK_EQ(r.rule, -1);
    vals[0] = v_str("/etc/x.pem");
    CHECK_EQ(trj_eval(&p, TRJ_KIND_FILE_READ, vals, N_SLOTS, &r), TRJ_DENY);
    free(buf);
}
