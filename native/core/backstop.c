/*
 * backstop.c — the BACKSTOP section: its verifier pass and its accessors.
 *
 * The section is data for trajeckt-exec (Landlock + seccomp), not for
 * trj_eval, but it is verified like everything else so that the launcher can
 * trust it: a malformed backstop is as fatal as a malformed rule.
 */
#include <errno.h>
#include <string.h>

#include "core_int.h"
#include "verify_int.h"

/* ---- pass: backstop ---------------------------------------------------------
 * Proves (sections proven by trj_check_sections, so the entries lie in the file
 * and the size is a multiple of 24):
 *   - at least one entry; entry 0 and no other is META;
 *   - kinds known, reserved 0; META/TCP_* have path {0,0}; META and PATH have
 *     port 0; TCP_* have access 0 and port <= 65535;
 *   - META access within TRJ_BSM_ALL; PATH access non-empty, within
 *     TRJ_BS_ALL_FILE;
 *   - PATH strings inside STRINGS, 1..TRJ_BS_MAX_PATH bytes, absolute and
 *     normalized: no NUL, no empty, "." or ".." component, no trailing '/'
 *     except "/" itself;
 *   - entries strictly ascending by (kind, path bytes, port): canonical. */

static int path_cmp(const uint8_t *s, trj_str a, trj_str b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(s + a.off, s + b.off, n);
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

/* NULL if normalized, else what is wrong. */
static const char *path_problem(const uint8_t *s, uint32_t len)
{
    if (len == 0)
        return "is empty";
    if (s[0] != '/')
        return "is not absolute";
    if (memchr(s, 0, len) != NULL)
        return "contains a NUL byte";
    if (len == 1)
        return NULL;
    if (s[len - 1] == '/')
        return "ends in '/'";
    for (uint32_t i = 0; i < len;) { /* s[i] == '/' */
        uint32_t j = i + 1;
        while (j < len && s[j] != '/')
            j++;
        uint32_t n = j - i - 1;
        if (n == 0)
            return "has an empty component (\"//\")";
        if (n == 1 && s[i + 1] == '.')
            return "has a \".\" component";
        if (n == 2 && s[i + 1] == '.' && s[i + 2] == '.')
            return "has a \"..\" component";
        i = j;
    }
    return NULL;
}

int trj_check_backstop(vctx *v)
{
    const trj_policy *p = &v->p;
    const uint32_t n = p->n_backstop, str_size = v->hdr->sections[TRJ_SEC_STRINGS].size;
    if (n == 0)
        return trj_vfail(v, "bad-backstop", "section BACKSTOP: empty, needs at least the META entry");
    for (uint32_t i = 0; i < n; i++) {
        const trj_bs_entry *e = &p->backstop[i];
        if (e->reserved != 0)
            return trj_vfail(v, "reserved-nonzero", "backstop entry %u: reserved is 0x%x, must be 0", i, e->reserved);
        switch (e->kind) {
        case TRJ_BS_META:
            if (i != 0)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: META entry, only entry 0 may be META", i);
            if ((e->access & ~(uint32_t)TRJ_BSM_ALL) != 0)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: META bits 0x%x outside 0x%x", i, e->access,
                             (unsigned)TRJ_BSM_ALL);
            break;
        case TRJ_BS_PATH:
            if (e->access == 0 || (e->access & ~(uint32_t)TRJ_BS_ALL_FILE) != 0)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: access 0x%x, must be non-empty within 0x%x", i,
                             e->access, (unsigned)TRJ_BS_ALL_FILE);
            break;
        case TRJ_BS_TCP_CONNECT:
        case TRJ_BS_TCP_BIND:
            if (e->access != 0)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: TCP entry with access 0x%x, must be 0", i,
                             e->access);
            if (e->port > 65535)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: port %u above 65535", i, e->port);
            break;
        default:
            return trj_vfail(v, "bad-backstop", "backstop entry %u: kind %u is not META(0), PATH(1), TCP_CONNECT(2) or "
                         "TCP_BIND(3)", i, e->kind);
        }
        if (i == 0 && e->kind != TRJ_BS_META)
            return trj_vfail(v, "bad-backstop", "backstop entry 0: kind %u, the first entry must be META", e->kind);
        if (e->kind != TRJ_BS_TCP_CONNECT && e->kind != TRJ_BS_TCP_BIND && e->port != 0)
            return trj_vfail(v, "bad-backstop", "backstop entry %u: port %u on a non-TCP entry, must be 0", i, e->port);
        if (e->kind == TRJ_BS_PATH) {
            uint64_t end = (uint64_t)e->path.off + e->path.len;
            if (end > str_size)
                return trj_vfail(v, "string-out-of-bounds", "backstop entry %u: path bytes [%u, %llu) past the end of "
                             "STRINGS (%u bytes)", i, e->path.off, (unsigned long long)end, str_size);
            if (e->path.len > TRJ_BS_MAX_PATH)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: path of %u bytes, the limit is %u", i,
                             e->path.len, TRJ_BS_MAX_PATH);
            const char *why = path_problem(p->strings + e->path.off, e->path.len);
            if (why != NULL)
                return trj_vfail(v, "bad-backstop", "backstop entry %u: path %s (must be absolute and normalized)", i,
                             why);
        } else if (e->path.off != 0 || e->path.len != 0) {
            return trj_vfail(v, "bad-backstop", "backstop entry %u: path {%u, %u} on a non-PATH entry, must be {0, 0}", i,
                         e->path.off, e->path.len);
        }
        if (i > 1) { /* entry 0 is META, first by kind; compare with the previous non-META entry */
            const trj_bs_entry *d = &p->backstop[i - 1];
            int c = d->kind != e->kind ? (d->kind < e->kind ? -1 : 1)
                  : e->kind == TRJ_BS_PATH ? path_cmp(p->strings, d->path, e->path)
                  : (d->port < e->port ? -1 : d->port > e->port ? 1 : 0);
            if (c >= 0)
                return trj_vfail(v, "backstop-not-sorted", "backstop entry %u: %s entry %u (sorted by kind, path, port, "
                             "without duplicates)", i, c == 0 ? "same as" : "not after", i - 1);
        }
    }
    return 0;
}

/* ---- accessors --------------------------------------------------------------- */

int trj_backstop(const trj_policy *p, const trj_bs_entry **entries, uint32_t *n)
{
    if (!trj_loaded(p) || entries == NULL || n == NULL)
        return -EINVAL;
    *entries = p->backstop; /* verified: trj_check_backstop (n >= 1, META first) */
    *n = p->n_backstop;
    return 0;
}

const char *trj_string(const trj_policy *p, trj_str s, uint32_t *len)
{
    if (len != NULL)
        *len = 0;
    if (!trj_loaded(p) || (uint64_t)s.off + s.len > p->hdr->sections[TRJ_SEC_STRINGS].size)
        return NULL;
    if (len != NULL)
        *len = s.len;
    return (const char *)p->strings + s.off;
}
