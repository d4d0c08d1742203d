/*
 * trajeckt-exec — the last step between the launcher (`trajeckt run`, Node)
 * and the agent. The launcher spawns it with the sealed policy memfd as fd 3
 * and the audit ring as fd 4; it ties its life to the launcher, sets the
 * environment the preload library reads, and execs the agent. Its own exec is
 * not monitored (it runs without the library); the agent's image loads it.
 *
 *   trajeckt-exec --lib PATH [--parent PID] [--agent-id ID] -- PROGRAM [ARGS...]
 *   trajeckt-exec --probe-kernel
 *   trajeckt-exec --probe-calls DIR PORT OUT   (run by `trajeckt doctor` under the library)
 *
 * Run mode, in order:
 *   1. prctl(PR_SET_PDEATHSIG, SIGKILL): if the launcher dies, so does this
 *      process and, after the exec, the agent (the kernel keeps the setting
 *      across execve of a non-setuid program).
 *   2. getppid() must still be --parent (the launcher may have died before
 *      step 1 took effect): otherwise exit 125 without running anything.
 *   3. fds 3 and 4 must be open; their close-on-exec flag is cleared.
 *   4. TRAJECKT_POLICY_FD=3, TRAJECKT_AUDIT_FD=4, TRAJECKT_AGENT_ID=ID (if
 *      given), LD_PRELOAD=<PATH made absolute>[:<the caller's LD_PRELOAD>],
 *      LD_AUDIT removed.
 *   5. (kernel backstop goes here — issue 5: no_new_privs, Landlock and
 *      seccomp derived from the same policy, applied to this process so the
 *      agent inherits them; Node never restricts itself.)
 *   6. execvp(PROGRAM). On failure: one line on stderr and exit 127 (not
 *      found) or 126 (found but not executable), as shells do.
 *
 * Exit codes of its own: 125 usage or set-up error, 126, 127 (above).
 *
 * --probe-kernel prints one JSON object describing what the kernel offers for
 * the backstop and exits 0:
 *   {"landlock_abi":N,"landlock_error":null|"ENOSYS"|"EOPNOTSUPP"|...,
 *    "seccomp":bool,"seccomp_filter":bool,"seccomp_user_notif":bool,
 *    "no_new_privs":bool}
 * landlock_abi is 0 when Landlock is unavailable (landlock_error says why).
 *
 * --probe-calls is the enforcement probe of `trajeckt doctor`, meant to run
 * as the agent (under libtrajeckt.so and doctor's built-in policy). It makes
 * four calls through libc and writes one JSON object to the file OUT:
 *   open_denied     errno of open(DIR/denied)       (doctor expects EACCES)
 *   open_allowed    0, or errno of open(DIR/allowed) (expects 0)
 *   exec_denied     errno of execv(/proc/self/exe, "--doctor-denied") in a
 *                   child, -1 if the exec ran      (expects EACCES)
 *   connect_denied  errno of connect(127.0.0.1:PORT), 0 if it connected
 *                                                   (expects EPERM)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trj_landlock.h"

#define EXIT_SETUP 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

#define POLICY_FD 3
#define AUDIT_FD 4

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "trajeckt-exec: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(EXIT_SETUP);
}

static const char *errno_name(int e)
{
    switch (e) {
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

/* ---- --probe-kernel ------------------------------------------------------ */

static int probe_kernel(void)
{
    errno = 0;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, TRJ_LANDLOCK_CREATE_RULESET_VERSION);
    int ll_errno = abi < 0 ? errno : 0;
    if (abi < 0) {
        abi = 0;
    }

    /* seccomp is built in if PR_GET_SECCOMP answers (0: this process is not filtered;
       2: it already is, which also proves support) */
    int seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
    int filter = 0, notif = 0;
#ifdef SECCOMP_GET_ACTION_AVAIL
    unsigned int action = SECCOMP_RET_ERRNO;
    filter = seccomp && syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
#ifdef SECCOMP_RET_USER_NOTIF
    action = SECCOMP_RET_USER_NOTIF;
    notif = filter && syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
#endif
#endif
    int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0;

    printf("{\"landlock_abi\":%ld,\"landlock_error\":", abi);
    if (ll_errno) {
        printf("\"%s\"", errno_name(ll_errno));
    } else {
        printf("null");
    }
    printf(",\"seccomp\":%s,\"seccomp_filter\":%s,\"seccomp_user_notif\":%s,\"no_new_privs\":%s}\n",
           seccomp ? "true" : "false", filter ? "true" : "false", notif ? "true" : "false",
           nnp ? "true" : "false");
    return 0;
}

/* ---- --probe-calls -------------------------------------------------------- */

static int probe_calls(const char *dir, const char *port_s, const char *out)
{
    char path[4096];
    int open_denied = 0, open_allowed = 0, exec_denied = 0, connect_denied = 0;

    snprintf(path, sizeof path, "%s/denied", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
    } else {
        open_denied = errno;
    }

    snprintf(path, sizeof path, "%s/allowed", dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
    } else {
        open_allowed = errno;
    }

    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "trajeckt-exec", "--doctor-denied", (char *)NULL);
        _exit(errno & 0x7f);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) {
        exec_denied = -2;
    } else {
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 0x7f;
        exec_denied = code == 0x7e ? -1 : code; /* --doctor-denied exits 126: the exec ran */
    }

    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        connect_denied = errno;
    } else {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)atoi(port_s));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect_denied = connect(s, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
        close(s);
    }

    FILE *f = fopen(out, "w");
    if (f == NULL) {
        fprintf(stderr, "trajeckt-exec: cannot write %s: %s\n", out, strerror(errno));
        return EXIT_SETUP;
    }
    fprintf(f, "{\"open_denied\":%d,\"open_allowed\":%d,\"exec_denied\":%d,\"connect_denied\":%d}\n", open_denied,
            open_allowed, exec_denied, connect_denied);
    return fclose(f) == 0 ? 0 : EXIT_SETUP;
}

/* ---- run mode ------------------------------------------------------------ */

static void set_env(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) {
        die("setenv failed", name);
    }
}

static void inherit_fd(int fd, const char *what)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0) {
        die("expected descriptor not open", what);
    }
    if ((fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) != 0) {
        die("cannot clear close-on-exec", what);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: trajeckt-exec --lib PATH [--parent PID] [--agent-id ID] -- PROGRAM [ARGS...]\n"
                    "       trajeckt-exec --probe-kernel\n"
                    "       trajeckt-exec --probe-calls DIR PORT OUT\n");
    exit(EXIT_SETUP);
}

int main(int argc, char **argv)
{
    const char *lib = NULL, *agent = NULL;
    long parent = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        } else if (strcmp(o, "--probe-kernel") == 0) {
            return probe_kernel();
        } else if (strcmp(o, "--probe-calls") == 0 && i + 3 < argc) {
            return probe_calls(argv[i + 1], argv[i + 2], argv[i + 3]);
        } else if (strcmp(o, "--doctor-denied") == 0) {
            return EXIT_NOEXEC; /* reached only if doctor's denied exec ran */
        } else if (strcmp(o, "--lib") == 0 && v != NULL) {
            lib = v;
            i++;
        } else if (strcmp(o, "--agent-id") == 0 && v != NULL) {
            agent = v;
            i++;
        } else if (strcmp(o, "--parent") == 0 && v != NULL) {
            char *end;
            parent = strtol(v, &end, 10);
            if (*end != '\0' || parent <= 0) {
                usage();
            }
            i++;
        } else {
            usage();
        }
    }
    if (lib == NULL || i >= argc) {
        usage();
    }

    /* 1, 2: never outlive the launcher */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        die("PR_SET_PDEATHSIG failed", strerror(errno));
    }
    if (parent != 0 && getppid() != (pid_t)parent) {
        die("the launcher is gone; not starting the agent", NULL);
    }

    /* 3 */
    inherit_fd(POLICY_FD, "policy (fd 3)");
    inherit_fd(AUDIT_FD, "audit ring (fd 4)");

    /* 4 */
    char *abs = realpath(lib, NULL);
    if (abs == NULL) {
        die("cannot resolve the preload library", lib);
    }
    if (strchr(abs, ':') != NULL || strchr(abs, ' ') != NULL) {
        die("the preload library path must not contain ':' or ' '", abs);
    }
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(abs) + (old && *old ? strlen(old) + 1 : 0) + 1;
    char *preload = malloc(n);
    if (preload == NULL) {
        die("out of memory", NULL);
    }
    snprintf(preload, n, "%s%s%s", abs, old && *old ? ":" : "", old && *old ? old : "");
    set_env("LD_PRELOAD", preload);
    unsetenv("LD_AUDIT");
    set_env("TRAJECKT_POLICY_FD", "3");
    set_env("TRAJECKT_AUDIT_FD", "4");
    if (agent != NULL) {
        set_env("TRAJECKT_AGENT_ID", agent);
    } else {
        unsetenv("TRAJECKT_AGENT_ID");
    }

    /* 5: kernel backstop goes here (issue 5) */

    /* 6 */
    execvp(argv[i], argv + i);
    int e = errno;
    fprintf(stderr, "trajeckt: cannot run %s: %s\n", argv[i], strerror(e));
    return e == ENOENT || e == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC;
}
