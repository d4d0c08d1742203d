/*
 * backstop_notify.c — the seccomp filter whose calls the supervisor decides
 * (native/preload/supervise.c: trj_supervise, same policy, same core).
 *
 * A second filter, installed just before backstop_seccomp.c's (which then
 * refuses any further listener): the kernel runs both and the strictest
 * action wins, so a call that filter refuses never reaches the supervisor.
 * This one only sends calls to user space:
 *
 *   execve, execveat        every exec (the LD_PRELOAD check, and the policy
 *                           for callers the library does not cover)
 *   connect                 every connect (seccomp cannot read the address)
 *   sendto with an address  (args[4] != NULL; a plain send() stays in the kernel)
 *   sendmsg, sendmmsg       the address is inside the msghdr
 *   anything else           ALLOW (this filter decides nothing else)
 *
 * The architecture check of the first filter already killed foreign ABIs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backstop.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

int bs_notify(int apply, int *listener, char *err, size_t err_len)
{
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define IS(nr, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), (jt), (jf))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
    struct sock_filter f[] = {
        /* 0 */ LD(offsetof(struct seccomp_data, arch)),
        /* 1 */ IS(AUDIT_ARCH_X86_64, 0, 11),
        /* 2 */ LD(offsetof(struct seccomp_data, nr)),
        /* 3 */ IS(SYS_execve, 10, 0),
        /* 4 */ IS(SYS_execveat, 9, 0),
        /* 5 */ IS(SYS_connect, 8, 0),
        /* 6 */ IS(SYS_sendmsg, 7, 0),
        /* 7 */ IS(SYS_sendmmsg, 6, 0),
        /* 8 */ IS(SYS_sendto, 0, 4),
        /* 9: sendto: notify unless dest_addr (args[4], both halves) is NULL */
        LD(offsetof(struct seccomp_data, args[4])),
        /* 10 */ IS(0, 0, 3),
        /* 11 */ LD(offsetof(struct seccomp_data, args[4]) + 4),
        /* 12 */ IS(0, 0, 1),
        /* 13 */ RET(SECCOMP_RET_ALLOW),
        /* 14 */ RET(SECCOMP_RET_USER_NOTIF),
    };
#undef LD
#undef IS
#undef RET
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    *listener = -1;
    unsigned int action = SECCOMP_RET_USER_NOTIF;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
        snprintf(err, err_len, "seccomp user notification is not available: %s", strerror(errno));
        return -1;
    }
    if (!apply) {
        return 0;
    }
    /* WAIT_KILLABLE_RECV (5.19+): once the supervisor has a call, only a
       fatal signal ends the caller's wait — otherwise a signal restarts the
       call as a new notification while the first is being performed (a
       send performed twice) */
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (fd < 0 && errno == EINVAL) {
        fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    }
    if (fd < 0) {
        snprintf(err, err_len, "seccomp user-notification filter: %s", strerror(errno));
        return -1;
    }
    *listener = (int)fd;
    return 0;
}
