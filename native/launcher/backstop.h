/*
 * backstop.h — the kernel backstop trajeckt-exec applies to itself right
 * before it execs the agent (issue 5). What LD_PRELOAD cannot see (static
 * binaries, raw syscalls, io_uring, foreign syscall ABIs) is closed here, from
 * the same compiled policy as the library's decisions:
 *
 *   backstop_landlock.c  a Landlock domain from the policy's BACKSTOP section
 *                        (PATH and TCP entries) plus what the monitor itself
 *                        needs (the one list: monitor_paths[] there)
 *   backstop_seccomp.c   a classic-BPF seccomp filter (one commented table)
 *
 * Both take a plan (below) and either check it (dry run: everything up to,
 * not including, restricting this process) or apply it. Functions return 0
 * or -1 with one line in err naming what is missing.
 */
#ifndef TRJ_BACKSTOP_H
#define TRJ_BACKSTOP_H

#include <stddef.h>
#include <stdint.h>

#include "trj.h"

/* ---- the policy's BACKSTOP section ----------------------------------------
 * The format (native/core/trj_isa.h, trj.h: trj_bs_entry, TRJ_BS_*, TRJ_BSM_*,
 * trj_backstop()) spelled out again under private names, so this file
 * compiles with or without the core's declarations (an enum cannot be tested
 * by the preprocessor); the values and the 24-byte layout are the core's and
 * must not drift. The entries come from the core's trj_backstop(), bound by
 * its symbol name and weak: a core without it leaves bs_core_backstop NULL
 * and trajeckt-exec refuses to run with the backstop on. */
enum bs_kind { BS_META = 0, BS_PATH = 1, BS_TCP_CONNECT = 2, BS_TCP_BIND = 3 };
enum bs_access {
    BS_READ = 1u << 0, BS_READ_DIR = 1u << 1, BS_WRITE = 1u << 2, BS_TRUNCATE = 1u << 3,
    BS_CREATE = 1u << 4 /* reg/fifo/sock/sym in the dir */, BS_MKDIR = 1u << 5, BS_REMOVE = 1u << 6,
    BS_EXEC = 1u << 7, BS_REFER = 1u << 8, BS_ALL_FILE = (1u << 9) - 1
};
enum bs_meta {
    BSM_TCP_CONNECT_ANY = 1u << 0, BSM_TCP_BIND_ANY = 1u << 1, BSM_FAMILY_INET = 1u << 2,
    BSM_FAMILY_INET6 = 1u << 3, BSM_FAMILY_UNIX = 1u << 4, BSM_FAMILY_NETLINK = 1u << 5,
    BSM_FAMILY_OTHER = 1u << 6, BSM_EXEC_FD = 1u << 7
};
typedef struct bs_entry {
    uint32_t kind;   /* bs_kind; the first entry is META */
    uint32_t access; /* bs_access (PATH) or bs_meta (META) */
    trj_str path;    /* PATH: into the STRINGS section, not NUL-terminated */
    uint32_t port;   /* TCP_* */
    uint32_t reserved;
} bs_entry;
_Static_assert(sizeof(bs_entry) == 24, "trj_bs_entry is 24 bytes");

/* the core's `int trj_backstop(const trj_policy *, const trj_bs_entry **, uint32_t *)`: 0 or -EINVAL */
extern int bs_core_backstop(const trj_policy *p, const bs_entry **entries, uint32_t *n)
    __asm__("trj_backstop") __attribute__((weak));

/* The minimum Landlock ABI the backstop requires: 4 brings TCP port rules. */
#define BS_MIN_LANDLOCK_ABI 4

struct bs_plan {
    int abi;                     /* Landlock ABI of the running kernel (or the test hook's) */
    uint32_t meta;               /* BSM_* of the META entry */
    const bs_entry *entries; /* the whole section, META first */
    uint32_t n_entries;
    const uint8_t *strings;      /* the policy's STRINGS section */
    const char *lib;             /* the preload library, absolute */
    const char *agent;           /* the agent's resolved binary, absolute, or NULL */
    int verbose;                 /* --backstop-verbose: one stderr line per rule */
};

/* Landlock: build the ruleset; if apply, restrict this process (NNP must be set). */
int bs_landlock(const struct bs_plan *plan, int apply, char *err, size_t err_len);

/* seccomp: build the filter; if apply, install it (NNP must be set). */
int bs_seccomp(const struct bs_plan *plan, int apply, char *err, size_t err_len);

/* Number of instructions of the filter last built (for --check-backstop). */
unsigned bs_seccomp_len(void);

#endif /* TRJ_BACKSTOP_H */
