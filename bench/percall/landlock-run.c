/*
 * landlock-run — the kernel floor with no audit, for comparison: Landlock
 * alone, no decisions in user space.
 *
 *   landlock-run PORT PROGRAM [ARGS...]
 *
 * Restricts itself with a ruleset that handles every filesystem right the
 * running kernel's ABI knows (and TCP connect/bind from ABI 4) and allows:
 * read + execute everywhere under /, write under /tmp and /dev, TCP connect
 * to PORT. Then execs PROGRAM. What it measures is Landlock's own cost on the
 * bench loops, the price of the coarse kernel layer trajeckt adds in issue 5.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trj_landlock.h"

static int add_path(int rs, const char *path, uint64_t rights)
{
    struct trj_ll_path_beneath_attr pb = { .allowed_access = rights };
    pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
    if (pb.parent_fd < 0) {
        return -1;
    }
    int r = (int)syscall(SYS_landlock_add_rule, rs, TRJ_LL_RULE_PATH_BENEATH, &pb, 0);
    close(pb.parent_fd);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: landlock-run PORT PROGRAM [ARGS...]\n");
        return 2;
    }
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, TRJ_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) {
        perror("landlock-run: Landlock unavailable");
        return 2;
    }
    uint64_t read = TRJ_LL_FS_EXECUTE | TRJ_LL_FS_READ_FILE | TRJ_LL_FS_READ_DIR;
    uint64_t write = TRJ_LL_FS_WRITE_FILE | TRJ_LL_FS_REMOVE_DIR | TRJ_LL_FS_REMOVE_FILE |
                  TRJ_LL_FS_MAKE_CHAR | TRJ_LL_FS_MAKE_DIR | TRJ_LL_FS_MAKE_REG |
                  TRJ_LL_FS_MAKE_SOCK | TRJ_LL_FS_MAKE_FIFO | TRJ_LL_FS_MAKE_BLOCK |
                  TRJ_LL_FS_MAKE_SYM;
    if (abi >= 2) {
        write |= TRJ_LL_FS_REFER;
    }
    if (abi >= 3) {
        write |= TRJ_LL_FS_TRUNCATE;
    }
    if (abi >= 5) {
        write |= TRJ_LL_FS_IOCTL_DEV;
    }
    struct trj_ll_ruleset_attr attr = { .handled_access_fs = read | write };
    if (abi >= 4) {
        attr.handled_access_net = TRJ_LL_NET_BIND_TCP | TRJ_LL_NET_CONNECT_TCP;
    }
    size_t attr_size = trj_ll_ruleset_size(abi);
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
    if (rs < 0 || add_path(rs, "/", read) != 0 || add_path(rs, "/tmp", read | write) != 0 ||
        add_path(rs, "/dev", read | write) != 0) {
        perror("landlock-run: ruleset");
        return 2;
    }
    if (abi >= 4) {
        struct trj_ll_net_port_attr np = { .allowed_access = TRJ_LL_NET_CONNECT_TCP,
                                             .port = (uint64_t)atoi(argv[1]) };
        if (syscall(SYS_landlock_add_rule, rs, TRJ_LL_RULE_NET_PORT, &np, 0) != 0) {
            perror("landlock-run: port rule");
            return 2;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
        perror("landlock-run: restrict");
        return 2;
    }
    close(rs);
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    return 127;
}
