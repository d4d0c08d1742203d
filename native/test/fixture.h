/* fixture.h — shared helpers for the core tests: values and the sample policy. */
#ifndef TRJ_TEST_FIXTURE_H
#define TRJ_TEST_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "trj.h"

enum { S_PATH = 0, S_PORT = 1, S_IP = 2, S_EXE = 3, N_SLOTS = 4 };

static inline trj_value v_absent(void) { return (trj_value){.type = TRJ_V_ABSENT}; }
static inline trj_value v_bytes(const void *b, uint32_t len)
{
    trj_value v = {.type = TRJ_V_BYTES, .len = len};
    v.u.bytes = b;
    return v;
}
static inline trj_value v_str(const char *s) { return v_bytes(s, (uint32_t)strlen(s)); }
static inline trj_value v_int(int64_t i)
{
    trj_value v = {.type = TRJ_V_INT};
    v.u.i = i;
    return v;
}
static inline trj_value v_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    trj_value v = {.type = TRJ_V_IP};
    memset(v.u.ip, 0, 16);
    v.u.ip[10] = v.u.ip[11] = 0xff;
    v.u.ip[12] = a, v.u.ip[13] = b, v.u.ip[14] = c, v.u.ip[15] = d;
    return v;
}

/* The sample policy (builder.c: tb_sample), built and loaded. */
typedef struct fixture {
    uint8_t *buf;
    size_t len;
    trj_policy p;
    char msg[256];
    int rc;
} fixture;

static inline void fx_build(fixture *f)
{
    tb_policy pol;
    tb_sample(&pol);
    f->buf = tb_build(&pol, &f->len);
    f->msg[0] = '\0';
}

static inline int fx_load(fixture *f)
{
    f->rc = trj_load(&f->p, f->buf, f->len, f->msg, sizeof f->msg);
    return f->rc;
}

static inline void fx_free(fixture *f) { free(f->buf); }

#endif /* TRJ_TEST_FIXTURE_H */
