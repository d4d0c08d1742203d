/*
 * backstop_probe — what the kernel backstop holds, seen from the agent.
 * Built twice by test/run/backstop.test.ts: dynamic and `-static` (the
 * static one never loads libtrajeckt.so). Every call is a raw system call,
 * so the preload library cannot see it. Prints one `name=RESULT` line per
 * step, RESULT = "ok" or the errno's name; exits 0.
 *
 *   backstop_probe status                   NoNewPrivs=N Seccomp=N (from /proc/self/status)
 *   backstop_probe open PATH                openat(AT_FDCWD, PATH, O_RDONLY)
 *   backstop_probe uring                    io_uring_setup(1, &params)
 *   backstop_probe socket DOMAIN TYPE PROTO socket(2), numbers
 *   backstop_probe connect PORT             TCP connect to 127.0.0.1:PORT
 *   backstop_probe ptrace                   ptrace(PTRACE_TRACEME)
 *   backstop_probe listener                 seccomp(SET_MODE_FILTER, NEW_LISTENER, allow-all)
 *   backstop_probe fds                      fds=0,1,2,... the open descriptors (fcntl F_GETFD on 0..1023)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(long r)
{
    if (r >= 0) {
        return "ok";
    }
    switch (errno) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    default: return strerror(errno);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return 2;
    }
    const char *op = argv[1];
    if (strcmp(op, "status") == 0) {
        char buf[8192];
        int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY);
        long n = fd < 0 ? -1 : syscall(SYS_read, fd, buf, sizeof buf - 1);
        if (n < 0) {
            printf("status=%s\n", name(-1));
            return 0;
        }
        buf[n] = '\0';
        const char *a = strstr(buf, "NoNewPrivs:"), *b = strstr(buf, "Seccomp:");
        printf("NoNewPrivs=%d\nSeccomp=%d\n", a ? atoi(a + 11) : -1, b ? atoi(b + 8) : -1);
    } else if (strcmp(op, "open") == 0 && argc > 2) {
        printf("open=%s\n", name(syscall(SYS_openat, AT_FDCWD, argv[2], O_RDONLY)));
    } else if (strcmp(op, "uring") == 0) {
        unsigned char params[120];
        memset(params, 0, sizeof params);
        printf("uring=%s\n", name(syscall(425 /* io_uring_setup */, 1, params)));
    } else if (strcmp(op, "socket") == 0 && argc > 4) {
        printf("socket=%s\n", name(syscall(SYS_socket, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]))));
    } else if (strcmp(op, "connect") == 0 && argc > 2) {
        long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)atoi(argv[2]));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        printf("connect=%s\n", s < 0 ? name(s) : name(syscall(SYS_connect, s, &sa, sizeof sa)));
    } else if (strcmp(op, "fds") == 0) {
        printf("fds=");
        for (int fd = 0, first = 1; fd < 1024; fd++) {
            if (syscall(SYS_fcntl, fd, F_GETFD) >= 0) {
                printf("%s%d", first ? "" : ",", fd);
                first = 0;
            }
        }
        printf("\n");
    } else if (strcmp(op, "listener") == 0) {
        /* a seccomp filter of its own with a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER):
           the agent's own supervisor, which would answer CONTINUE once ours is gone */
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = { 1, &allow };
        syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        printf("listener=%s\n", name(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)));
    } else if (strcmp(op, "ptrace") == 0) {
        printf("ptrace=%s\n", name(syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0)));
    } else {
        return 2;
    }
    return 0;
}
