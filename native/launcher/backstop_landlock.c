/*
 * backstop_landlock.c — the Landlock half of the kernel backstop.
 *
 * The ruleset handles every filesystem right the running kernel's ABI knows
 * (so anything not granted below is denied, whatever code asks), TCP connect
 * and bind from ABI 4 (unless the policy's META entry says *_ANY), and from
 * ABI 6 the signal scope: the agent cannot signal processes outside its
 * domain — the launcher, the audit writer. Abstract unix sockets are NOT
 * scoped: the ask broker listens on one. From ABI 7 the domain is created
 * with LOG_NEW_EXEC_ON, so the kernel audits denials of the exec'd agent.
 *
 * Grants: the policy's PATH entries (mapped by to_landlock()) and TCP ports,
 * plus monitor_paths[] — what the monitor itself needs, the one list.
 * A path that does not exist, or that resolves to no filesystem object (a
 * pipe behind /dev/stdout), is skipped (not an error). A path granted both
 * write/create and exec gets a W^X warning on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backstop.h"
#include "trj_landlock.h"

/* ---- what the monitor itself needs ---------------------------------------- */

#define MON_LIB ((const char *)1)   /* placeholder: the preload library (plan->lib) */
#define MON_AGENT ((const char *)2) /* placeholder: the agent's resolved binary (plan->agent) */

static const struct {
    const char *path;
    uint32_t access;
    const char *why;
} monitor_paths[] = {
    { MON_LIB, TRJ_BS_READ, "libtrajeckt.so, loaded into every agent image (mmap needs read, not execute)" },
    { "/usr/lib", TRJ_BS_READ | TRJ_BS_READ_DIR, "the dynamic loader's libraries (read, no execute)" },
    { "/lib", TRJ_BS_READ | TRJ_BS_READ_DIR, "the dynamic loader's libraries" },
    { "/lib64", TRJ_BS_READ | TRJ_BS_READ_DIR, "the dynamic loader's libraries" },
    { "/usr/lib64", TRJ_BS_READ | TRJ_BS_READ_DIR, "the dynamic loader's libraries" },
    { "/etc/ld.so.cache", TRJ_BS_READ, "the dynamic loader's cache" },
    { "/proc", TRJ_BS_READ | TRJ_BS_READ_DIR,
      "the library's slow paths: /proc/self/fd/N (real paths, reopen) and /proc/<writer>/fd/N (the ring)" },
    { MON_AGENT, TRJ_BS_READ | TRJ_BS_EXEC, "the agent's own binary: the operator asked to run it" },
    { "/lib64/ld-linux-x86-64.so.2", TRJ_BS_READ | TRJ_BS_EXEC,
      "the dynamic loader: the kernel opens it for execution with every dynamic program (x86_64 only: "
      "seccomp admits no other ABI). It can run any readable file as `ld.so FILE` (evasion.md LIMITS 2)" },
    { "/dev/null", TRJ_BS_READ | TRJ_BS_WRITE, "stdio redirections" },
    { "/dev/tty", TRJ_BS_READ | TRJ_BS_WRITE, "the ask prompt and the agent's terminal" },
};

/* ---- mapping --------------------------------------------------------------- */

static uint64_t handled_fs(int abi)
{
    uint64_t h = TRJ_LL_FS_EXECUTE | TRJ_LL_FS_WRITE_FILE | TRJ_LL_FS_READ_FILE | TRJ_LL_FS_READ_DIR |
                 TRJ_LL_FS_REMOVE_DIR | TRJ_LL_FS_REMOVE_FILE | TRJ_LL_FS_MAKE_CHAR | TRJ_LL_FS_MAKE_DIR |
                 TRJ_LL_FS_MAKE_REG | TRJ_LL_FS_MAKE_SOCK | TRJ_LL_FS_MAKE_FIFO | TRJ_LL_FS_MAKE_BLOCK |
                 TRJ_LL_FS_MAKE_SYM;
    if (abi >= 2) {
        h |= TRJ_LL_FS_REFER;
    }
    if (abi >= 3) {
        h |= TRJ_LL_FS_TRUNCATE;
    }
    if (abi >= 5) {
        h |= TRJ_LL_FS_IOCTL_DEV;
    }
    return h;
}

/* TRJ_BS_* → Landlock rights. Device nodes (MAKE_CHAR/BLOCK) are never granted. */
static uint64_t to_landlock(uint32_t a)
{
    uint64_t r = 0;
    if (a & TRJ_BS_READ) {
        r |= TRJ_LL_FS_READ_FILE | TRJ_LL_FS_IOCTL_DEV;
    }
    if (a & TRJ_BS_READ_DIR) {
        r |= TRJ_LL_FS_READ_DIR;
    }
    if (a & TRJ_BS_WRITE) {
        r |= TRJ_LL_FS_WRITE_FILE | TRJ_LL_FS_IOCTL_DEV;
    }
    if (a & TRJ_BS_TRUNCATE) {
        r |= TRJ_LL_FS_TRUNCATE;
    }
    if (a & TRJ_BS_CREATE) {
        r |= TRJ_LL_FS_MAKE_REG | TRJ_LL_FS_MAKE_FIFO | TRJ_LL_FS_MAKE_SOCK | TRJ_LL_FS_MAKE_SYM;
    }
    if (a & TRJ_BS_MKDIR) {
        r |= TRJ_LL_FS_MAKE_DIR;
    }
    if (a & TRJ_BS_REMOVE) {
        r |= TRJ_LL_FS_REMOVE_FILE | TRJ_LL_FS_REMOVE_DIR;
    }
    if (a & TRJ_BS_EXEC) {
        /* execve opens the program for reading too (FMODE_READ | __FMODE_EXEC), and
           Landlock checks READ_FILE as well as EXECUTE on that open: without it an
           exec the policy allows fails with EACCES while the log says allow. */
        r |= TRJ_LL_FS_EXECUTE | TRJ_LL_FS_READ_FILE;
    }
    if (a & TRJ_BS_REFER) {
        r |= TRJ_LL_FS_REFER;
    }
    return r;
}

/* Rights Landlock accepts on a rule for a non-directory. */
#define LL_FILE_RIGHTS \
    (TRJ_LL_FS_EXECUTE | TRJ_LL_FS_WRITE_FILE | TRJ_LL_FS_READ_FILE | TRJ_LL_FS_TRUNCATE | TRJ_LL_FS_IOCTL_DEV)

/* 0 added, 1 skipped (does not exist), -1 error (err filled). */
static int add_path(int rs, int abi, const char *path, uint32_t access, int verbose, char *err, size_t err_len)
{
    if ((access & (TRJ_BS_WRITE | TRJ_BS_CREATE)) && (access & TRJ_BS_EXEC)) {
        fprintf(stderr, "trajeckt: backstop: W^X: %s may be both written and executed\n", path);
    }
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP) {
            if (verbose) {
                fprintf(stderr, "trajeckt: backstop: skip %s (%s)\n", path, strerror(errno));
            }
            return 1;
        }
        snprintf(err, err_len, "cannot open %s for a Landlock rule: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    uint64_t rights = to_landlock(access) & handled_fs(abi);
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
        rights &= LL_FILE_RIGHTS;
    }
    int r = 0;
    if (rights != 0) {
        struct trj_ll_path_beneath_attr pb = { .allowed_access = rights, .parent_fd = fd };
        if (syscall(SYS_landlock_add_rule, rs, TRJ_LL_RULE_PATH_BENEATH, &pb, 0) != 0) {
            if (errno == EBADFD) {
                /* not a filesystem object Landlock can hold (a pipe or socket behind
                   /dev/stdout -> /proc/self/fd/1): Landlock does not restrict those either */
                if (verbose) {
                    fprintf(stderr, "trajeckt: backstop: skip %s (not a filesystem object)\n", path);
                }
                close(fd);
                return 1;
            }
            snprintf(err, err_len, "Landlock rule for %s: %s", path, strerror(errno));
            r = -1;
        } else if (verbose) {
            fprintf(stderr, "trajeckt: backstop: path %s rights 0x%llx\n", path, (unsigned long long)rights);
        }
    }
    close(fd);
    return r;
}

static int add_port(int rs, uint64_t right, uint32_t port, int verbose, char *err, size_t err_len)
{
    struct trj_ll_net_port_attr np = { .allowed_access = right, .port = port };
    if (syscall(SYS_landlock_add_rule, rs, TRJ_LL_RULE_NET_PORT, &np, 0) != 0) {
        snprintf(err, err_len, "Landlock rule for TCP port %u: %s", port, strerror(errno));
        return -1;
    }
    if (verbose) {
        fprintf(stderr, "trajeckt: backstop: tcp %s port %u\n", right == TRJ_LL_NET_CONNECT_TCP ? "connect" : "bind", port);
    }
    return 0;
}

int bs_landlock(const struct bs_plan *plan, int apply, char *err, size_t err_len)
{
    int abi = plan->abi;
    if (abi < BS_MIN_LANDLOCK_ABI) {
        if (abi <= 0) {
            snprintf(err, err_len, "Landlock is not available on this kernel");
        } else {
            snprintf(err, err_len, "Landlock ABI %d is too old (TCP rules need ABI %d)", abi, BS_MIN_LANDLOCK_ABI);
        }
        return -1;
    }
    struct trj_ll_ruleset_attr attr = { .handled_access_fs = handled_fs(abi) };
    uint64_t handled_net = 0;
    if (!(plan->meta & TRJ_BSM_TCP_CONNECT_ANY)) {
        handled_net |= TRJ_LL_NET_CONNECT_TCP;
    }
    if (!(plan->meta & TRJ_BSM_TCP_BIND_ANY)) {
        handled_net |= TRJ_LL_NET_BIND_TCP;
    }
    attr.handled_access_net = handled_net;
    if (abi >= 6) {
        attr.scoped = TRJ_LL_SCOPE_SIGNAL; /* not ABSTRACT_UNIX_SOCKET: the ask broker is one */
    }
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, trj_ll_ruleset_size(abi), 0);
    if (rs < 0) {
        snprintf(err, err_len, "landlock_create_ruleset: %s", strerror(errno));
        return -1;
    }
    char path[4096];
    int r = 0;
    for (uint32_t i = 0; i < plan->n_entries && r >= 0; i++) {
        const trj_bs_entry *e = &plan->entries[i];
        switch (e->kind) {
        case TRJ_BS_PATH:
            if (e->path.len == 0 || e->path.len >= sizeof path) {
                snprintf(err, err_len, "backstop entry %u: path length %u", i, e->path.len);
                r = -1;
                break;
            }
            memcpy(path, plan->strings + e->path.off, e->path.len);
            path[e->path.len] = '\0';
            r = add_path(rs, abi, path, e->access & TRJ_BS_ALL_FILE, plan->verbose, err, err_len);
            break;
        case TRJ_BS_TCP_CONNECT:
            if (handled_net & TRJ_LL_NET_CONNECT_TCP) {
                r = add_port(rs, TRJ_LL_NET_CONNECT_TCP, e->port, plan->verbose, err, err_len);
            }
            break;
        case TRJ_BS_TCP_BIND:
            if (handled_net & TRJ_LL_NET_BIND_TCP) {
                r = add_port(rs, TRJ_LL_NET_BIND_TCP, e->port, plan->verbose, err, err_len);
            }
            break;
        default: /* META: read by the caller; unknown kinds grant nothing */
            break;
        }
    }
    for (size_t i = 0; i < sizeof monitor_paths / sizeof monitor_paths[0] && r >= 0; i++) {
        const char *p = monitor_paths[i].path;
        if (p == MON_LIB) {
            p = plan->lib;
        } else if (p == MON_AGENT) {
            p = plan->agent;
        }
        if (p != NULL) {
            r = add_path(rs, abi, p, monitor_paths[i].access, plan->verbose, err, err_len);
        }
    }
    if (r >= 0 && apply) {
        uint32_t flags = abi >= 7 ? TRJ_LL_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
        if (syscall(SYS_landlock_restrict_self, rs, flags) != 0) {
            snprintf(err, err_len, "landlock_restrict_self: %s", strerror(errno));
            r = -1;
        }
    }
    close(rs);
    return r < 0 ? -1 : 0;
}
