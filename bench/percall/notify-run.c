/*
 * notify-run — the kernel-mediated design, for comparison: a seccomp
 * user-notification supervisor that makes trajeckt's decisions with
 * trajeckt's C core, one round trip through the kernel per judged call.
 *
 *   notify-run POLICY.trjb PROGRAM [ARGS...]
 *
 * The child installs a filter (x86_64 only; anything else is killed) that
 * sends openat/open/connect/execve to this process as notifications and
 * allows every other syscall, then execs PROGRAM. For each notification the
 * supervisor reads the path or socket address out of the caller's memory
 * (process_vm_readv), decides with trj_eval, and answers CONTINUE (allow)
 * or an error (EACCES for files and exec, EPERM for connect).
 *
 * BENCH ONLY. This answers CONTINUE after reading user memory, which
 * linux/seccomp.h documents as unsafe on its own (the caller can change the
 * path after the check); a product would pair it with Landlock or perform
 * the operation itself. Paths are not normalized (the bench uses absolute,
 * canonical paths). It makes the same decisions as libtrajeckt.so for what
 * the bench runs; stat is not sent to the supervisor because the library
 * does not judge stat either.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trj.h"

static trj_policy policy;
static int s_path = -1, s_exe = -1, s_argc = -1, s_cmdline = -1, s_ip = -1, s_port = -1, s_family = -1;

static int die(const char *what)
{
    perror(what);
    exit(2);
}

/* Read a NUL-terminated string at addr in pid, page by page. Length or -1. */
static long read_str(pid_t pid, uint64_t addr, char *out, size_t cap)
{
    size_t got = 0;
    while (got + 1 < cap) {
        size_t page_left = 4096 - ((addr + got) & 4095);
        size_t want = page_left < cap - 1 - got ? page_left : cap - 1 - got;
        struct iovec local = { out + got, want }, remote = { (void *)(uintptr_t)(addr + got), want };
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            return -1;
        }
        void *nul = memchr(out + got, 0, (size_t)n);
        if (nul != NULL) {
            return (char *)nul - out;
        }
        got += (size_t)n;
    }
    return -1;
}

static int read_mem(pid_t pid, uint64_t addr, void *out, size_t len)
{
    struct iovec local = { out, len }, remote = { (void *)(uintptr_t)addr, len };
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Absolute form of (dirfd, path) of pid: relative paths against its cwd or dirfd. */
static long absolute(pid_t pid, int dirfd, const char *path, char *out, size_t cap)
{
    if (path[0] == '/') {
        size_t l = strlen(path);
        if (l >= cap) {
            return -1;
        }
        memcpy(out, path, l + 1);
        return (long)l;
    }
    char link[64];
    if (dirfd == AT_FDCWD) {
        snprintf(link, sizeof link, "/proc/%d/cwd", pid);
    } else {
        snprintf(link, sizeof link, "/proc/%d/fd/%d", pid, dirfd);
    }
    ssize_t n = readlink(link, out, cap - 1);
    if (n <= 0 || (size_t)n + 1 + strlen(path) >= cap) {
        return -1;
    }
    out[n] = '/';
    strcpy(out + n + 1, path);
    return n + 1 + (long)strlen(path);
}

static void set_bytes(trj_value *v, int slot, const char *s, size_t len)
{
    if (slot >= 0) {
        v[slot].type = TRJ_V_BYTES;
        v[slot].len = (uint32_t)len;
        v[slot].u.bytes = (const uint8_t *)s;
    }
}

/* 0 = allow, else the errno to answer. */
static int decide(const struct seccomp_notif *req)
{
    pid_t pid = (pid_t)req->pid;
    trj_value v[TRJ_MAX_SLOTS];
    memset(v, 0, sizeof v);
    char raw[4096], abs[4096 + 512], cmd[8192];
    uint32_t kind;
    int nr = req->data.nr, deny = EACCES;
    if (nr == SYS_openat || nr == SYS_open) {
        int dirfd = nr == SYS_openat ? (int)req->data.args[0] : AT_FDCWD;
        uint64_t p = nr == SYS_openat ? req->data.args[1] : req->data.args[0];
        int flags = (int)(nr == SYS_openat ? req->data.args[2] : req->data.args[1]);
        long l = read_str(pid, p, raw, sizeof raw);
        long a = l < 0 ? -1 : absolute(pid, dirfd, raw, abs, sizeof abs);
        if (a < 0) {
            return EACCES;
        }
        kind = (flags & (O_WRONLY | O_RDWR | O_TRUNC | O_APPEND)) ? TRJ_KIND_FILE_WRITE
               : (flags & O_CREAT)                               ? TRJ_KIND_FILE_CREATE
                                                                 : TRJ_KIND_FILE_READ;
        set_bytes(v, s_path, abs, (size_t)a);
    } else if (nr == SYS_execve) {
        long l = read_str(pid, req->data.args[0], raw, sizeof raw);
        long a = l < 0 ? -1 : absolute(pid, AT_FDCWD, raw, abs, sizeof abs);
        if (a < 0) {
            return EACCES;
        }
        kind = TRJ_KIND_EXEC;
        set_bytes(v, s_exe, abs, (size_t)a);
        /* argv: pointers then strings, joined by spaces for cmdline */
        size_t cl = 0;
        int64_t argc = 0;
        for (;; argc++) {
            uint64_t ptr = 0;
            if (argc > 256 || read_mem(pid, req->data.args[1] + 8 * (uint64_t)argc, &ptr, 8) != 0) {
                return EACCES;
            }
            if (ptr == 0) {
                break;
            }
            long sl = read_str(pid, ptr, cmd + cl + (argc > 0), sizeof cmd - cl - 1);
            if (sl < 0) {
                return EACCES;
            }
            if (argc > 0) {
                cmd[cl] = ' ';
            }
            cl += (size_t)sl + (argc > 0);
        }
        set_bytes(v, s_cmdline, cmd, cl);
        if (s_argc >= 0) {
            v[s_argc].type = TRJ_V_INT;
            v[s_argc].u.i = argc;
        }
    } else if (nr == SYS_connect) {
        struct sockaddr_storage ss;
        size_t len = req->data.args[2] < sizeof ss ? (size_t)req->data.args[2] : sizeof ss;
        if (len < sizeof(sa_family_t) || read_mem(pid, req->data.args[1], &ss, len) != 0) {
            return EPERM;
        }
        kind = TRJ_KIND_NET_CONNECT;
        deny = EPERM;
        if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
            if (s_ip >= 0) {
                v[s_ip].type = TRJ_V_IP;
                memset(v[s_ip].u.ip, 0, 10);
                v[s_ip].u.ip[10] = v[s_ip].u.ip[11] = 0xff;
                memcpy(v[s_ip].u.ip + 12, &in->sin_addr, 4);
            }
            if (s_port >= 0) {
                v[s_port].type = TRJ_V_INT;
                v[s_port].u.i = ntohs(in->sin_port);
            }
            set_bytes(v, s_family, "inet", 4);
        } else {
            return EPERM; /* the bench only connects over IPv4 */
        }
    } else {
        return 0;
    }
    trj_result res;
    return trj_eval(&policy, kind, v, policy.n_fields, &res) == TRJ_ALLOW ? 0 : deny;
}

static int install_filter(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return -1;
    }
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void send_fd(int sock, int fd)
{
    char c = 0, ctl[CMSG_SPACE(sizeof(int))];
    struct iovec io = { &c, 1 };
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    if (sendmsg(sock, &m, 0) != 1) {
        die("sendmsg");
    }
}

static int recv_fd(int sock)
{
    char c, ctl[CMSG_SPACE(sizeof(int))];
    struct iovec io = { &c, 1 };
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    if (recvmsg(sock, &m, 0) != 1) {
        die("recvmsg");
    }
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    int fd = -1;
    if (cm == NULL || cm->cmsg_type != SCM_RIGHTS) {
        fprintf(stderr, "notify-run: no listener received\n");
        exit(2);
    }
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: notify-run POLICY.trjb PROGRAM [ARGS...]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        die(argv[1]);
    }
    static uint8_t buf[64 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char msg[256];
    if (trj_load(&policy, buf, len, msg, sizeof msg) != 0) {
        fprintf(stderr, "notify-run: %s\n", msg);
        return 2;
    }
#define SLOT(s, n) s = trj_slot_by_name(&policy, n, strlen(n))
    SLOT(s_path, "path"); SLOT(s_exe, "exe"); SLOT(s_argc, "argc"); SLOT(s_cmdline, "cmdline");
    SLOT(s_ip, "ip"); SLOT(s_port, "port"); SLOT(s_family, "family");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        die("socketpair");
    }
    pid_t child = fork();
    if (child < 0) {
        die("fork");
    }
    if (child == 0) {
        close(sv[0]);
        int lfd = install_filter();
        if (lfd < 0) {
            die("seccomp");
        }
        send_fd(sv[1], lfd);
        close(lfd);
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    close(sv[1]);
    int lfd = recv_fd(sv[0]);
    struct seccomp_notif_sizes sz;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0) {
        die("SECCOMP_GET_NOTIF_SIZES");
    }
    struct seccomp_notif *req = calloc(1, sz.seccomp_notif > sizeof *req ? sz.seccomp_notif : sizeof *req);
    struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp > sizeof *resp ? sz.seccomp_notif_resp : sizeof *resp);
    for (;;) {
        struct pollfd p = { lfd, POLLIN, 0 };
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("poll");
        }
        if (p.revents & POLLHUP) {
            break; /* no task uses the filter any more */
        }
        memset(req, 0, sz.seccomp_notif);
        if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
            if (errno == EINTR || errno == ENOENT) {
                continue;
            }
            die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        int err = decide(req);
        memset(resp, 0, sz.seccomp_notif_resp);
        resp->id = req->id;
        if (err == 0) {
            resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        } else {
            resp->error = -err;
        }
        if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno != ENOENT) {
            die("SECCOMP_IOCTL_NOTIF_SEND");
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
