/*
 * trajeckt-exec — the last step between the launcher (`trajeckt run`, Node)
 * and the agent. The launcher spawns it with the sealed policy memfd as fd 3
 * and the audit ring as fd 4; it ties its life to the launcher, sets the
 * environment the preload library reads, and execs the agent. Its own exec is
 * not monitored (it runs without the library); the agent's image loads it.
 *
 *   trajeckt-exec --lib PATH [--parent PID] [--agent-id ID] [--backstop on|off]
 *                 [--status-fd N] -- PROGRAM [ARGS...]
 *   trajeckt-exec --check-backstop --lib PATH [-- PROGRAM]   (policy on fd 3)
 *   trajeckt-exec --probe-kernel
 *   trajeckt-exec --probe-calls DIR PORT OUT   (run by `trajeckt doctor` under the library)
 *   trajeckt-exec --supervise LISTENER PID      (its own re-exec, under the library)
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
 *   5. the kernel backstop (unless --backstop off). This process forks: the
 *      child applies it to itself and execs the agent (step 6), this process
 *      stays outside it as the agent's seccomp supervisor (run_supervised()
 *      below; the agent's exit status becomes its own). In the child:
 *        a. PR_SET_NO_NEW_PRIVS (setuid/file caps ignored: E33)
 *        b. every descriptor but 0-4 and the status fd closed (close_range, E38)
 *        c. the policy on fd 3 loaded (trj_load) and its BACKSTOP section read
 *        d. Landlock (backstop_landlock.c): ABI >= 4 required
 *        e. seccomp (backstop_seccomp.c)
 *        f. /proc/self/status must say NoNewPrivs: 1 and Seccomp: 2 (E40)
 *        g. the notification filter (backstop_notify.c); its listener goes to
 *           the parent, which re-execs itself as `--supervise LISTENER PID`
 *           with the library preloaded (native/preload/supervise.c)
 *      Any failure: exit 124 without running anything — never a weaker run.
 *      With --status-fd N (close-on-exec; the launcher reads it to EOF) one
 *      line is written there instead of stderr: "ok <what applied>" just
 *      before the exec, or "refused <why>". Without it the refusal goes to
 *      stderr.
 *   6. execvp(PROGRAM). On failure: one line on stderr and exit 127 (not
 *      found) or 126 (found but not executable), as shells do.
 *
 * Exit codes of its own: 124 the backstop cannot be applied, 125 usage or
 * set-up error, 126, 127 (above).
 *
 * --check-backstop builds everything of step 5 but restricts nothing, and
 * prints one JSON object (exit 0 if it would apply, 124 if not):
 *   {"ok":bool,"backstop":"landlock abi N + seccomp","landlock_abi":N,
 *    "entries":N,"seccomp_insns":N,"memfd_noexec":bool,"error":null|"..."}
 *
 * TEST HOOK: TRAJECKT_TEST_LANDLOCK_ABI=N in the environment makes run mode
 * and --check-backstop behave as if the kernel's Landlock ABI were
 * min(real, N) (0 = no Landlock). It can only weaken what is detected, so
 * at worst it makes trajeckt-exec refuse; test/run/backstop.test.ts uses it
 * for the refusal path.
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

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dlfcn.h>

#include "backstop.h"
#include "trj_landlock.h"

#define EXIT_BACKSTOP 124
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

/* ---- step 5: the kernel backstop ------------------------------------------ */

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static int landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, TRJ_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) {
        abi = 0;
    }
    const char *hook = getenv("TRAJECKT_TEST_LANDLOCK_ABI"); /* TEST HOOK, see the top */
    if (hook != NULL && *hook != '\0') {
        long h = strtol(hook, NULL, 10);
        if (h < abi) {
            abi = h < 0 ? 0 : h;
        }
    }
    return (int)abi;
}

/* The program execvp will run, resolved like execvp does (PATH search), real path; NULL if none. */
static char *resolve_program(const char *prog)
{
    if (strchr(prog, '/') != NULL) {
        return realpath(prog, NULL);
    }
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0') {
        path = "/bin:/usr/bin";
    }
    char buf[4096];
    for (const char *p = path;; p++) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n + strlen(prog) + 2 <= sizeof buf) {
            snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? p : ".", prog);
            if (access(buf, X_OK) == 0) {
                struct stat st;
                if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
                    return realpath(buf, NULL);
                }
            }
        }
        if (e == NULL) {
            return NULL;
        }
        p = e;
    }
}

/* Load the sealed policy from fd 3 and find its BACKSTOP section. */
static int load_plan(struct bs_plan *plan, char *err, size_t err_len)
{
    static trj_policy policy;
    struct stat st;
    if (fstat(POLICY_FD, &st) != 0 || st.st_size <= 0 || st.st_size > (1 << 30)) {
        snprintf(err, err_len, "no policy on fd 3");
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, POLICY_FD, 0);
    if (m == MAP_FAILED) {
        snprintf(err, err_len, "cannot map the policy: %s", strerror(errno));
        return -1;
    }
    char msg[256];
    if (trj_load(&policy, m, (size_t)st.st_size, msg, sizeof msg) != 0) {
        snprintf(err, err_len, "policy rejected: %s", msg);
        return -1;
    }
    const trj_bs_entry *e = NULL;
    uint32_t n = 0;
    if (trj_backstop(&policy, &e, &n) != 0 || n == 0 || e[0].kind != TRJ_BS_META) {
        snprintf(err, err_len, "the policy has no valid backstop section (recompile it)");
        return -1;
    }
    plan->entries = e;
    plan->n_entries = n;
    plan->meta = e[0].access;
    plan->strings = policy.strings;
    return 0;
}

/* "NoNewPrivs:\t1" and "Seccomp:\t2" in /proc/self/status (E40). */
static int verify_status(char *err, size_t err_len)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (f == NULL) {
        snprintf(err, err_len, "cannot read /proc/self/status to verify the backstop: %s", strerror(errno));
        return -1;
    }
    char line[256];
    int nnp = 0, sec = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "NoNewPrivs:", 11) == 0) {
            nnp = atoi(line + 11) == 1;
        } else if (strncmp(line, "Seccomp:", 8) == 0) {
            sec = atoi(line + 8) == 2;
        }
    }
    fclose(f);
    if (!nnp || !sec) {
        snprintf(err, err_len, "after applying, /proc/self/status shows %s%s", nnp ? "" : "NoNewPrivs != 1 ", sec ? "" : "Seccomp != 2");
        return -1;
    }
    return 0;
}

static void close_others(int status_fd)
{
    int keep = status_fd > AUDIT_FD ? status_fd : AUDIT_FD;
    if (syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0) != 0) {
        for (int fd = keep + 1; fd < 65536; fd++) {
            close(fd);
        }
    }
    for (int fd = AUDIT_FD + 1; fd < keep; fd++) {
        close(fd);
    }
}

/* Build (and if apply, apply) the backstop. 0, or -1 with err. */
static int backstop(struct bs_plan *plan, int apply, char *err, size_t err_len)
{
    if (load_plan(plan, err, err_len) != 0) {
        return -1;
    }
    if (apply && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, err_len, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    /* the notification filter first: the seccomp table refuses any listener after it */
    if (bs_landlock(plan, apply, err, err_len) != 0 || bs_notify(apply, &plan->listener, err, err_len) != 0 ||
        bs_seccomp(plan, apply, err, err_len) != 0) {
        return -1;
    }
    return apply ? verify_status(err, err_len) : 0;
}

static int check_backstop(const char *lib, const char *prog)
{
    struct bs_plan plan = { .abi = landlock_abi(), .verbose = getenv("TRAJECKT_BACKSTOP_VERBOSE") != NULL };
    char err[512] = "";
    char *abs = lib ? realpath(lib, NULL) : NULL;
    plan.lib = abs;
    plan.agent = prog ? resolve_program(prog) : NULL;
    int ok = backstop(&plan, 0, err, sizeof err) == 0;
    int fd = (int)syscall(SYS_memfd_create, "trajeckt-probe", MFD_CLOEXEC | 0x0008U /* MFD_NOEXEC_SEAL */);
    if (fd >= 0) {
        close(fd);
    }
    printf("{\"ok\":%s,\"backstop\":\"landlock abi %d + seccomp\",\"landlock_abi\":%d,\"entries\":%u,"
           "\"seccomp_insns\":%u,\"memfd_noexec\":%s,\"error\":",
           ok ? "true" : "false", plan.abi, plan.abi, plan.n_entries, ok ? bs_seccomp_len() : 0,
           fd >= 0 ? "true" : "false");
    if (ok) {
        printf("null}\n");
    } else {
        putchar('"');
        for (const char *c = err; *c; c++) {
            if (*c == '"' || *c == '\\') {
                putchar('\\');
            }
            putchar((unsigned char)*c >= 0x20 ? *c : '?');
        }
        printf("\"}\n");
    }
    return ok ? 0 : EXIT_BACKSTOP;
}

static void status_write(int fd, const char *a, const char *b)
{
    char line[700];
    int n = snprintf(line, sizeof line, "%s%s\n", a, b);
    if (fd >= 0 && n > 0 && write(fd, line, (size_t)n) < 0) {
        /* the launcher is gone: PDEATHSIG follows */
    }
}

/* Step 6: exec the agent; on failure one line and 127 / 126 like a shell. */
static void exec_agent(char **cmd)
{
    execvp(cmd[0], cmd);
    int e = errno;
    fprintf(stderr, "trajeckt: cannot run %s: %s\n", cmd[0], strerror(e));
    exit(e == ENOENT || e == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/* ---- the supervisor (backstop on) ------------------------------------------ */

/* The listener crosses from the child by number: the child cannot sendmsg
   once its filter is in (sendmsg goes to the supervisor, which is this
   process waiting for the listener). It writes the number, this process
   takes the descriptor with pidfd_getfd and answers one byte; then the
   child closes its copy and execs. */
static int take_listener(int sock, pid_t child)
{
    int num = -1;
    ssize_t n;
    while ((n = read(sock, &num, sizeof num)) < 0 && errno == EINTR) {
    }
    if (n != (ssize_t)sizeof num || num < 0) {
        return -1; /* the child refused (its status line says why) or died */
    }
    long pidfd = syscall(SYS_pidfd_open, child, 0);
    long fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, (int)pidfd, num, 0);
    if (pidfd >= 0) {
        close((int)pidfd);
    }
    char ok = fd >= 0 ? 'y' : 'n';
    if (write(sock, &ok, 1) != 1 || fd < 0) {
        if (fd >= 0) {
            close((int)fd);
        }
        return -1;
    }
    return (int)fd;
}

/* The agent's wait status as this process's own end: its exit code, or the
   same signal (no core file of ours). */
static int pass_status(int st)
{
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        struct rlimit no_core = { 0, 0 };
        (void)setrlimit(RLIMIT_CORE, &no_core);
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        return 128 + sig;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_SETUP;
}

/*
 * Steps 5 and 6 with the backstop. The agent runs in a child: it applies the
 * backstop to itself, installs the notification filter (backstop_notify.c),
 * hands its listener here over a socketpair, says "ok" on the status fd and
 * execs the agent; it dies with this process (PDEATHSIG). This process
 * (take_listener) re-execs itself as `--supervise` with the library preloaded (the
 * environment of step 4 names it) so the decisions are the library's, then
 * passes the agent's exit on as its own. If the child refuses, its status
 * line has said why and its exit code (124) becomes ours.
 */
static int run_supervised(struct bs_plan *plan, int status_fd, char **cmd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        die("socketpair failed", strerror(errno));
    }
    pid_t self = getpid();
    pid_t child = fork();
    if (child < 0) {
        die("fork failed", strerror(errno));
    }
    if (child == 0) {
        close(sv[0]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != self) {
            _exit(EXIT_SETUP);
        }
        char err[512] = "";
        int lfd = -1;
        char ok = 'n';
        if (backstop(plan, 1, err, sizeof err) != 0 || (lfd = plan->listener) < 0 ||
            write(sv[1], &lfd, sizeof lfd) != (ssize_t)sizeof lfd || read(sv[1], &ok, 1) != 1 || ok != 'y') {
            if (err[0] == '\0') {
                snprintf(err, sizeof err, "the supervisor could not take the seccomp listener");
            }
            if (status_fd >= 0) {
                status_write(status_fd, "refused ", err);
            } else {
                fprintf(stderr, "trajeckt: kernel backstop not applied: %s; not starting the agent "
                                "(--backstop off runs without it)\n", err);
            }
            _exit(EXIT_BACKSTOP);
        }
        close(lfd);
        close(sv[1]);
        char what[80];
        snprintf(what, sizeof what, "landlock abi %d + seccomp + supervisor", plan->abi);
        status_write(status_fd, "ok ", what);
        exec_agent(cmd);
    }
    close(sv[1]);
    if (status_fd >= 0) {
        close(status_fd); /* the child's copy is the launcher's to read to its end */
    }
    int lfd = take_listener(sv[0], child);
    close(sv[0]);
    int st = 0;
    if (lfd < 0) {
        while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
        }
        return pass_status(st);
    }
    char lfd_s[16], child_s[16];
    snprintf(lfd_s, sizeof lfd_s, "%d", lfd);
    snprintf(child_s, sizeof child_s, "%d", (int)child);
    if (fcntl(lfd, F_SETFD, 0) == 0) {
        execl("/proc/self/exe", "trajeckt-exec", "--supervise", lfd_s, child_s, (char *)NULL);
    }
    fprintf(stderr, "trajeckt-exec: cannot start the supervisor: %s\n", strerror(errno));
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
    return EXIT_SETUP;
}

/* --supervise LISTENER AGENT: the library (preloaded by run_supervised's
   exec) answers the agent tree's notifications until the agent exits. */
static int supervise(const char *lfd_s, const char *agent_s)
{
    int lfd = atoi(lfd_s);
    pid_t agent = (pid_t)atoi(agent_s);
    int (*loop)(int, int) = (int (*)(int, int))dlsym(RTLD_DEFAULT, "trj_supervise");
    if (loop == NULL || lfd <= 2 || agent <= 0) {
        fprintf(stderr, "trajeckt-exec: --supervise without libtrajeckt.so preloaded; stopping the agent\n");
        if (agent > 0) {
            kill(agent, SIGKILL);
        }
        return EXIT_SETUP;
    }
    return pass_status(loop(lfd, agent));
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
    fprintf(stderr, "usage: trajeckt-exec --lib PATH [--parent PID] [--agent-id ID] [--backstop on|off]\n"
                    "                     [--status-fd N] -- PROGRAM [ARGS...]\n"
                    "       trajeckt-exec --check-backstop --lib PATH [-- PROGRAM]\n"
                    "       trajeckt-exec --probe-kernel\n"
                    "       trajeckt-exec --probe-calls DIR PORT OUT\n");
    exit(EXIT_SETUP);
}

int main(int argc, char **argv)
{
    const char *lib = NULL, *agent = NULL;
    long parent = 0;
    int i = 1, bs_on = 1, check = 0, status_fd = -1;
    for (; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        } else if (strcmp(o, "--supervise") == 0 && i + 2 < argc) {
            return supervise(argv[i + 1], argv[i + 2]);
        } else if (strcmp(o, "--probe-kernel") == 0) {
            return probe_kernel();
        } else if (strcmp(o, "--probe-calls") == 0 && i + 3 < argc) {
            return probe_calls(argv[i + 1], argv[i + 2], argv[i + 3]);
        } else if (strcmp(o, "--check-backstop") == 0) {
            check = 1;
        } else if (strcmp(o, "--backstop") == 0 && v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)) {
            bs_on = strcmp(v, "on") == 0;
            i++;
        } else if (strcmp(o, "--status-fd") == 0 && v != NULL) {
            char *end;
            long fd = strtol(v, &end, 10);
            if (*end != '\0' || fd <= AUDIT_FD || fd > 1023) {
                usage();
            }
            status_fd = (int)fd;
            i++;
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
    if (check) {
        return check_backstop(lib, i < argc ? argv[i] : NULL);
    }
    if (lib == NULL || i >= argc) {
        usage();
    }
    if (status_fd >= 0 && fcntl(status_fd, F_SETFD, FD_CLOEXEC) != 0) {
        die("status descriptor not open", NULL);
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

    /* 5 */
    if (bs_on) {
        struct bs_plan plan = { .abi = landlock_abi(), .lib = abs, .agent = resolve_program(argv[i]),
                                .verbose = getenv("TRAJECKT_BACKSTOP_VERBOSE") != NULL };
        close_others(status_fd);
        return run_supervised(&plan, status_fd, argv + i);
    }
    status_write(status_fd, "ok ", "off");

    /* 6 */
    exec_agent(argv + i);
}
