/*
 * backstop_seccomp.c — the seccomp half of the kernel backstop: one classic
 * BPF filter, built here, installed with SECCOMP_FILTER_FLAG_LOG where the
 * kernel has it (so every non-ALLOW action is logged by the kernel).
 *
 * The whole filter is two tables (denied[]: by number; checked[]: by one
 * flags argument) and two blocks (socket_block: the family, type and
 * protocol; futimens_block); each line names the evasion case of
 * /work/shared/evasion.md it closes. Order:
 *   1. arch != AUDIT_ARCH_X86_64          → KILL_PROCESS   E03 (i386 int 0x80)
 *   2. nr >= 0x40000000 (x32 ABI)         → ERRNO(ENOSYS)  E03
 *   3. denied[] (number only)             → its errno
 *   4. socket/socketpair, checked[], utimensat: argument checks
 *   5. everything else                    → ALLOW (Landlock and the library judge it)
 * A row whose `unless` bit is set in the policy's META entry is left out.
 *
 * Metadata (E23): Landlock has no right for chmod, chown, utime or xattr
 * writes, so the kernel's only answer is the whole family by number: refused
 * when the policy never allows file.meta (TRJ_BSM_FILE_META clear), not
 * refused at all as soon as it allows it anywhere. One exception, in
 * futimens_block(): utimensat(fd, NULL, NULL), "now" on an open descriptor.
 *
 * memfd_create: on kernels that know MFD_NOEXEC_SEAL (6.3+), a memfd without
 * it is refused (EPERM) — an executable memfd is the path around Landlock's
 * EXECUTE right (E12, landlock #37). On older kernels MFD_NOEXEC_SEAL does
 * not exist and every memfd is executable: the filter cannot tell one from
 * another there, memfd_create is allowed, and --check-backstop reports
 * "memfd_noexec":false (a documented gap; set vm.memfd_noexec=2 on the host).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "backstop.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif

#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* ---- the tables ---------------------------------------------------------- */

#define META TRJ_BSM_FILE_META /* the refusal is lifted when the policy allows file.meta somewhere */

static const struct {
    int nr;
    int err;
    uint32_t unless; /* a TRJ_BSM_* bit that lifts the refusal; 0: always refused */
} denied[] = {
    { SYS_io_uring_setup, ENOSYS, 0 },    /* E04 io_uring: work the library and seccomp never see; ENOSYS so runtimes fall back */
    { SYS_io_uring_enter, ENOSYS, 0 },    /* E04 */
    { SYS_io_uring_register, ENOSYS, 0 }, /* E04 */
    { SYS_ptrace, EPERM, 0 },             /* E35 patching a sibling's shim, PTRACE_TRACEME games */
    { SYS_process_vm_readv, EPERM, 0 },   /* E35 reading another agent process */
    { SYS_process_vm_writev, EPERM, 0 },  /* E35 writing another agent process */
    { SYS_bpf, EPERM, 0 },                /* E34 kernel attack surface (LIMITS 6) */
    { SYS_perf_event_open, EPERM, 0 },    /* E34 */
    { SYS_userfaultfd, EPERM, 0 },        /* E34, E19 race widening */
    { SYS_kexec_load, EPERM, 0 },         /* E34 */
    { SYS_kexec_file_load, EPERM, 0 },    /* E34 */
    { SYS_init_module, EPERM, 0 },        /* E34 loading kernel code */
    { SYS_finit_module, EPERM, 0 },       /* E34 */
    { SYS_delete_module, EPERM, 0 },      /* E34 */
    { SYS_open_by_handle_at, EPERM, 0 },  /* E34 "shocker": opens by inode handle, no path for Landlock */
    { SYS_mount, EPERM, 0 },              /* E34 bind-mounting over the policy or the library */
    { SYS_umount2, EPERM, 0 },            /* E34 */
    { SYS_pivot_root, EPERM, 0 },         /* E34 */
    { SYS_chroot, EPERM, 0 },             /* E34 chroot is not restricted by Landlock */
    { SYS_fsopen, EPERM, 0 },             /* E34 the new mount API */
    { SYS_fsconfig, EPERM, 0 },           /* E34 */
    { SYS_fsmount, EPERM, 0 },            /* E34 */
    { SYS_fspick, EPERM, 0 },             /* E34 */
    { SYS_move_mount, EPERM, 0 },         /* E34 */
    { SYS_open_tree, EPERM, 0 },          /* E34 */
    { SYS_setns, EPERM, 0 },              /* E34 joining PID 1's namespaces */
    { SYS_keyctl, EPERM, 0 },             /* E34 kernel keyrings (credentials, attack surface) */
    { SYS_add_key, EPERM, 0 },            /* E34 */
    { SYS_request_key, EPERM, 0 },        /* E34 */
    { SYS_clone3, ENOSYS, 0 },            /* E34 its flags (CLONE_NEWUSER) are behind a pointer; libc falls back to clone */
    { SYS_chmod, EPERM, META },           /* E23 chmod 0777 of anything the uid owns: Landlock checks none of these */
    { SYS_fchmod, EPERM, META },          /* E23 */
    { SYS_fchmodat, EPERM, META },        /* E23 (E23e: the raw syscall) */
    { SYS_fchmodat2, EPERM, META },       /* E23 (Linux 6.6) */
    { SYS_chown, EPERM, META },           /* E23 */
    { SYS_fchown, EPERM, META },          /* E23 */
    { SYS_lchown, EPERM, META },          /* E23 */
    { SYS_fchownat, EPERM, META },        /* E23 */
    { SYS_utime, EPERM, META },           /* E23 */
    { SYS_utimes, EPERM, META },          /* E23 */
    { SYS_futimesat, EPERM, META },       /* E23 */
    { SYS_setxattr, EPERM, META },        /* E23 */
    { SYS_lsetxattr, EPERM, META },       /* E23 */
    { SYS_fsetxattr, EPERM, META },       /* E23 */
    { SYS_setxattrat, EPERM, META },      /* E23 (Linux 6.13) */
    { SYS_removexattr, EPERM, META },     /* E23 */
    { SYS_lremovexattr, EPERM, META },    /* E23 */
    { SYS_fremovexattr, EPERM, META },    /* E23 */
    { SYS_removexattrat, EPERM, META },   /* E23 (Linux 6.13) */
};

/* Namespace flags refused in unshare() and clone() (E34: a new user namespace
   hands out capabilities; the others remount or re-network). */
#define NS_FLAGS                                                                                                  \
    (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | \
     CLONE_NEWTIME)

/* One flags argument (its low 32 bits): refused with err when any of `bits` is
   set (`when_set` 1) or when none is (`when_set` 0); otherwise allowed. */
static const struct {
    int nr;
    unsigned arg;
    uint32_t bits;
    int when_set;
    int err;
    uint32_t unless; /* as in denied[] */
    int seal;        /* 1: only where the kernel knows MFD_NOEXEC_SEAL */
} checked[] = {
    { SYS_execveat, 4, AT_EMPTY_PATH, 1, EACCES, TRJ_BSM_EXEC_FD, 0 }, /* E12 execveat(fd, "", AT_EMPTY_PATH) runs a descriptor (memfd) */
    { SYS_memfd_create, 1, MFD_NOEXEC_SEAL, 0, EPERM, 0, 1 },         /* E12 only non-executable memfds (see the top) */
    { SYS_unshare, 0, NS_FLAGS, 1, EPERM, 0, 0 },                      /* E34 unshare(CLONE_NEWUSER ...) */
    { SYS_clone, 0, NS_FLAGS, 1, EPERM, 0, 0 },                        /* E34 clone(CLONE_NEWUSER ...) */
    { SYS_seccomp, 1, SECCOMP_FILTER_FLAG_NEW_LISTENER, 1, EPERM, 0, 0 }, /* the agent's own supervisor: after ours exits
                                                                           its filter could answer CONTINUE */
};

/* ---- building ------------------------------------------------------------ */

#define MAX_INSNS 256
static struct sock_filter prog[MAX_INSNS];
static unsigned n_prog;
static int overflow;

static void emit(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
    if (n_prog >= MAX_INSNS) {
        overflow = 1;
        return;
    }
    prog[n_prog++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

#define LD_NR() emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0)
#define LD_ARG(i) emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * (i), 0, 0) /* low 32 bits */
#define LD_ARG_HI(i) emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * (i) + 4, 0, 0)
#define RET(v) emit(BPF_RET | BPF_K, (v), 0, 0)

/* Does this kernel know MFD_NOEXEC_SEAL? (6.3+) */
static int knows_noexec_seal(void)
{
    int fd = (int)syscall(SYS_memfd_create, "trajeckt-probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
    if (fd < 0) {
        return 0;
    }
    close(fd);
    return 1;
}

/* A block for one syscall: "JEQ nr ? next : skip", the skip length patched
   after the block. Every path through the block returns, so the accumulator
   still holds nr after it. */
static unsigned open_block(int nr)
{
    emit(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0); /* jf patched by close_block */
    return n_prog;
}

static void close_block(unsigned start)
{
    if (!overflow) {
        prog[start - 1].jf = (uint8_t)(n_prog - start);
    }
}

static void socket_block(int nr, uint32_t meta)
{
    unsigned b = open_block(nr);
    /* E27/E32: the family. AF_UNIX always (the library's ask broker, local IPC). */
    LD_ARG(0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1);
    RET(SECCOMP_RET_ALLOW);
    /* AF_NETLINK: NETLINK_ROUTE only (glibc's getaddrinfo), others when META says so (E32, CVE-2024-1086) */
    emit(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 4);
    LD_ARG(2);
    emit(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_ROUTE, 1, 0);
    RET((meta & TRJ_BSM_FAMILY_NETLINK) ? SECCOMP_RET_ALLOW : ERRNO(EPERM));
    RET(SECCOMP_RET_ALLOW);
    /* AF_INET / AF_INET6 when the policy allows any connect/bind/send there (E28) */
    int inet = (meta & TRJ_BSM_FAMILY_INET) != 0, inet6 = (meta & TRJ_BSM_FAMILY_INET6) != 0;
    emit(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0);
    emit(BPF_JMP | BPF_JA, 0, 0, 0); /* other family: skip the inet checks (patched: ja +k) */
    unsigned ja = n_prog - 1;
    emit(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 0, 1);
    emit(BPF_JMP | BPF_JA, inet ? 2 : 1, 0, 0);  /* AF_INET allowed? to the type check : to the refusal */
    emit(BPF_JMP | BPF_JA, inet6 ? 1 : 0, 0, 0); /* AF_INET6 allowed? */
    RET(ERRNO(EAFNOSUPPORT));
    /* E32: the type without SOCK_NONBLOCK|SOCK_CLOEXEC must be STREAM or DGRAM (no RAW, SEQPACKET, PACKET) */
    LD_ARG(1);
    emit(BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), 0, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 1, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 5);
    /* E32: the protocol 0, TCP or UDP (no MPTCP, SCTP, SMC: Landlock's TCP rules miss them, erratum 1) */
    LD_ARG(2);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 1, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 1);
    RET(SECCOMP_RET_ALLOW);
    RET(ERRNO(EPERM));
    if (!overflow) {
        prog[ja].k = n_prog - ja - 1;
    }
    /* E32: AF_PACKET, AF_VSOCK, AF_ALG, AF_XDP, AF_BLUETOOTH, ... */
    RET((meta & TRJ_BSM_FAMILY_OTHER) ? SECCOMP_RET_ALLOW : ERRNO(EAFNOSUPPORT));
    close_block(b);
}

/* E23 with FILE_META clear: utimensat is refused, except futimens(fd, NULL) —
   the times of an open descriptor set to now, which is what touch(1) does to
   the file it has just created, no more than a write does, and what the
   library lets through too (it judged the descriptor when it was opened).
   Both pointers are checked whole: seccomp sees the two 32-bit halves. */
static void futimens_block(void)
{
    emit(BPF_JMP | BPF_JEQ | BPF_K, SYS_utimensat, 0, 10);
    LD_ARG(1);                                  /* path == NULL ... */
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 7);
    LD_ARG_HI(1);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5);
    LD_ARG(2);                                  /* ... and times == NULL */
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3);
    LD_ARG_HI(2);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
    RET(SECCOMP_RET_ALLOW);
    RET(ERRNO(EPERM));
}

static void build(uint32_t meta, int noexec_seal)
{
    n_prog = 0;
    overflow = 0;
    /* 1. E03: only the x86_64 ABI (i386 int 0x80 shares numbers with other meanings: socketcall=102=getuid) */
    emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    RET(SECCOMP_RET_KILL_PROCESS);
    /* 2. E03: x32 numbers */
    LD_NR();
    emit(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
    RET(ERRNO(ENOSYS));
    /* 3. by number alone */
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        if (meta & denied[i].unless) {
            continue;
        }
        emit(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i].nr, 0, 1);
        RET(ERRNO(denied[i].err));
    }
    /* 4. argument checks */
    socket_block(SYS_socket, meta);     /* E32, E27, E28 */
    socket_block(SYS_socketpair, meta); /* E32 */
    for (size_t i = 0; i < sizeof checked / sizeof checked[0]; i++) {
        if ((meta & checked[i].unless) || (checked[i].seal && !noexec_seal)) {
            continue;
        }
        emit(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)checked[i].nr, 0, 4);
        LD_ARG(checked[i].arg);
        emit(BPF_JMP | BPF_JSET | BPF_K, checked[i].bits, checked[i].when_set ? 0 : 1, checked[i].when_set ? 1 : 0);
        RET(ERRNO(checked[i].err));
        RET(SECCOMP_RET_ALLOW);
    }
    if (!(meta & META)) {
        futimens_block();
    }
    /* 5. */
    RET(SECCOMP_RET_ALLOW);
}

unsigned bs_seccomp_len(void)
{
    return n_prog;
}

int bs_seccomp(const struct bs_plan *plan, int apply, char *err, size_t err_len)
{
    build(plan->meta, knows_noexec_seal());
    if (overflow) {
        snprintf(err, err_len, "seccomp filter longer than %d instructions", MAX_INSNS);
        return -1;
    }
    for (unsigned i = 0; i < n_prog; i++) { /* every jump must land inside the program */
        uint16_t c = prog[i].code;
        if (BPF_CLASS(c) == BPF_JMP && (BPF_OP(c) == BPF_JA ? i + 1 + prog[i].k >= n_prog
                                                             : i + 1 + prog[i].jt >= n_prog || i + 1 + prog[i].jf >= n_prog)) {
            snprintf(err, err_len, "seccomp filter: insn %u jumps out of the program", i);
            return -1;
        }
    }
    if (!apply) {
        return 0;
    }
    struct sock_fprog fp = { .len = (unsigned short)n_prog, .filter = prog };
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &fp);
    if (r != 0 && errno == EINVAL) {
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp); /* kernel without FLAG_LOG (< 4.14) */
    }
    if (r != 0) {
        snprintf(err, err_len, "seccomp filter: %s", strerror(errno));
        return -1;
    }
    return 0;
}
