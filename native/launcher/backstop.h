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
 *   backstop_notify.c    a second filter sending exec, connect and addressed
 *                        sends to the supervisor (native/preload/supervise.c)
 *
 * Both take a plan (below) and either check it (dry run: everything up to,
 * not including, restricting this process) or apply it. Functions return 0
 * or -1 with one line in err naming what is missing.
 */
#ifndef TRJ_BACKSTOP_H
#define TRJ_BACKSTOP_H

#include <stddef.h>
#include <stdint.h>

#include "trj.h" /* and trj_isa.h */

/* The policy's BACKSTOP section is the core's (trj_isa.h: trj_bs_entry,
 * TRJ_BS_*, TRJ_BSM_*), read with trj_backstop() from the core linked into
 * trajeckt-exec (the Makefile builds ../core/ in). */

/* The minimum Landlock ABI the backstop requires: 4 brings TCP port rules. */
#define BS_MIN_LANDLOCK_ABI 4

struct bs_plan {
    int abi;                     /* Landlock ABI of the running kernel (or the test hook's) */
    uint32_t meta;               /* TRJ_BSM_* of the META entry */
    const trj_bs_entry *entries; /* the whole section, META first */
    uint32_t n_entries;
    const uint8_t *strings;      /* the policy's STRINGS section */
    const char *lib;             /* the preload library, absolute */
    const char *agent;           /* the agent's resolved binary, absolute, or NULL */
    int verbose;                 /* --backstop-verbose: one stderr line per rule */
    int listener;                /* out: the notification filter's listener (applied), else -1 */
};

/* Landlock: build the ruleset; if apply, restrict this process (NNP must be set). */
int bs_landlock(const struct bs_plan *plan, int apply, char *err, size_t err_len);

/* seccomp: build the filter; if apply, install it (NNP must be set). */
int bs_seccomp(const struct bs_plan *plan, int apply, char *err, size_t err_len);

/* seccomp user notification (backstop_notify.c): check the kernel offers
   it; if apply, install the filter whose calls the supervisor decides and
   return its listener in *listener. */
int bs_notify(int apply, int *listener, char *err, size_t err_len);

/* Number of instructions of the filter last built (for --check-backstop). */
unsigned bs_seccomp_len(void);

#endif /* TRJ_BACKSTOP_H */
