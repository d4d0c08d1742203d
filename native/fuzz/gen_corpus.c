/* gen_corpus.c — writes valid tables from the test builder as fuzz seeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"

static int write_seed(const char *dir, const char *name, const tb_policy *pol)
{
    size_t len;
    uint8_t *buf = tb_build(pol, &len);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.trjb", dir, name);
    char msg[256];
    if (trj_verify(buf, len, msg, sizeof msg) != 0) {
        fprintf(stderr, "gen_corpus: seed %s does not verify: %s\n", name, msg);
        return 1;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    int bad = 0;
    tb_policy pol;

    tb_sample(&pol);
    bad |= write_seed(dir, "sample", &pol);

    tb_sample(&pol);
    pol.default_decision = TRJ_ALLOW;
    bad |= write_seed(dir, "sample-allow", &pol);

    /* No rules at all: fifteen DECIDEs and four trivial classifiers. */
    tb_sample(&pol);
    pol.n_rules = 0;
    pol.n_atoms = 0;
    bad |= write_seed(dir, "empty", &pol);

    /* Only the int/ip part: small, so mutations hit interval tables often. */
    memset(&pol, 0, sizeof pol);
    pol.name = "net";
    pol.version = "1";
    pol.default_decision = TRJ_ASK;
    pol.n_fields = 2;
    pol.fields[0].name = "port", pol.fields[0].type = TRJ_T_INT;
    pol.fields[1].name = "ip", pol.fields[1].type = TRJ_T_IP;
    pol.n_atoms = 2;
    pol.atoms[0] = (tb_atom){0, TB_RANGE, NULL, 0, tb_int_key(443), tb_int_key(443), "port == 443"};
    pol.atoms[1] = (tb_atom){1, TB_RANGE, NULL, 0, tb_ip4_key(127, 0, 0, 0), tb_ip4_key(127, 255, 255, 255), "lo"};
    pol.n_rules = 2;
    pol.rules[0] = (tb_rule){"https", NULL, TRJ_ALLOW, 0, 1u << TRJ_KIND_NET_CONNECT, 0, {+1, -2}, 2, 0, 0};
    pol.rules[1] = (tb_rule){"loopback", "no loopback", TRJ_DENY, 0, 1u << TRJ_KIND_NET_CONNECT, -1, {+2}, 1, 0, 0};
    pol.required[TRJ_KIND_NET_CONNECT] = 1;
    bad |= write_seed(dir, "net", &pol);

    /* One string field, one prefix atom: the smallest DFA worth mutating. */
    memset(&pol, 0, sizeof pol);
    pol.name = "tiny";
    pol.version = "1";
    pol.default_decision = TRJ_DENY;
    pol.n_fields = 1;
    pol.fields[0].name = "path", pol.fields[0].type = TRJ_T_STR;
    pol.n_atoms = 1;
    pol.atoms[0] = (tb_atom){0, TB_PREFIX, "/a", 0, {0, 0}, {0, 0}, "path under /a"};
    pol.n_rules = 1;
    pol.rules[0] = (tb_rule){"a", NULL, TRJ_FLAG, 0, 1u << TRJ_KIND_FILE_READ, 0, {+1}, 1, 0, 0};
    bad |= write_seed(dir, "tiny", &pol);

    /* A suffix atom never settles: a DFA with no sink states (n_sink = 0). Then
     * a prefix beside it: one sink (the dead state), numbered first, so the
     * start row is not 0. */
    pol.name = "no-sink";
    pol.atoms[0] = (tb_atom){0, TB_SUFFIX, ".pem", 0, {0, 0}, {0, 0}, "path matches **/*.pem"};
    bad |= write_seed(dir, "no-sink", &pol);
    memset(&pol, 0, sizeof pol);
    pol.name = "sink-first";
    pol.version = "1";
    pol.default_decision = TRJ_ALLOW;
    pol.n_fields = 1;
    pol.fields[0].name = "exe", pol.fields[0].type = TRJ_T_STR;
    pol.n_atoms = 1;
    pol.atoms[0] = (tb_atom){0, TB_EQUALS, "/bin/sh", 0, {0, 0}, {0, 0}, "exe == /bin/sh"};
    pol.n_rules = 1;
    pol.rules[0] = (tb_rule){"sh", NULL, TRJ_DENY, 0, 1u << TRJ_KIND_EXEC, 0, {+1}, 1, 0, 0};
    bad |= write_seed(dir, "sink-first", &pol);
    return bad;
}
