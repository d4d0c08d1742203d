/*
 * trj_landlock.h — the Landlock kernel ABI (v1..v7), spelled out here because
 * the build machine's <linux/landlock.h> may be older than the kernel it runs
 * on (Debian 12's headers stop at ABI 2; its kernels go further). Values are
 * the kernel's UAPI constants; names carry a TRJ_ prefix so they never clash
 * with a newer system header.
 */
#ifndef TRJ_LANDLOCK_H
#define TRJ_LANDLOCK_H

#include <stdint.h>
#include <sys/syscall.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define TRJ_LANDLOCK_CREATE_RULESET_VERSION (1u << 0)

#define TRJ_LL_FS_EXECUTE (1ull << 0)
#define TRJ_LL_FS_WRITE_FILE (1ull << 1)
#define TRJ_LL_FS_READ_FILE (1ull << 2)
#define TRJ_LL_FS_READ_DIR (1ull << 3)
#define TRJ_LL_FS_REMOVE_DIR (1ull << 4)
#define TRJ_LL_FS_REMOVE_FILE (1ull << 5)
#define TRJ_LL_FS_MAKE_CHAR (1ull << 6)
#define TRJ_LL_FS_MAKE_DIR (1ull << 7)
#define TRJ_LL_FS_MAKE_REG (1ull << 8)
#define TRJ_LL_FS_MAKE_SOCK (1ull << 9)
#define TRJ_LL_FS_MAKE_FIFO (1ull << 10)
#define TRJ_LL_FS_MAKE_BLOCK (1ull << 11)
#define TRJ_LL_FS_MAKE_SYM (1ull << 12)
#define TRJ_LL_FS_REFER (1ull << 13)     /* ABI 2 */
#define TRJ_LL_FS_TRUNCATE (1ull << 14)  /* ABI 3 */
#define TRJ_LL_FS_IOCTL_DEV (1ull << 15) /* ABI 5 */

#define TRJ_LL_NET_BIND_TCP (1ull << 0)    /* ABI 4 */
#define TRJ_LL_NET_CONNECT_TCP (1ull << 1) /* ABI 4 */

#define TRJ_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define TRJ_LL_SCOPE_SIGNAL (1ull << 1)               /* ABI 6 */

/* landlock_restrict_self flags, ABI 7 */
#define TRJ_LL_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1u << 0)
#define TRJ_LL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1u << 1)
#define TRJ_LL_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1u << 2)

#define TRJ_LL_RULE_PATH_BENEATH 1
#define TRJ_LL_RULE_NET_PORT 2

struct trj_ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct trj_ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct trj_ll_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

/* Size of the ruleset attr the kernel of this ABI accepts. */
static inline unsigned long trj_ll_ruleset_size(int abi)
{
    return abi >= 6 ? 24u : abi >= 4 ? 16u : 8u;
}

#endif /* TRJ_LANDLOCK_H */
