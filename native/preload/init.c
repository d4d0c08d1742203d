/*
 * init.c — one-time set-up: the table of real functions and the policy.
 *
 * trj_init() runs once per process (pthread_once), from the constructor or
 * from whichever hook runs first. It
 *   1. resolves every real function with dlsym(RTLD_NEXT) into trj_real and
 *      aborts if a symbol resolves to this library itself;
 *   2. loads the policy from the inherited sealed memfd TRAJECKT_POLICY_FD:
 *      fstat, F_GET_SEALS (WRITE|SHRINK|GROW required), mmap read-only,
 *      trj_load into static storage. Any failure prints one line
 *      `trajeckt: cannot load policy: <reason>` and leaves the policy
 *      unloaded, so every hooked call is denied;
 *   3. looks up the slots of the fields the hooks fill;
 *   4. opens the audit channel (audit.c): maps TRAJECKT_AUDIT_FD, or prints
 *      `trajeckt: audit channel unavailable: <reason>` and denies everything;
 *      then writes the PROC_START record of this process image.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trajeckt_preload.h"

struct trj_real trj_real;
struct trj_state trj_state = { .policy_fd = -1 };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread int in_init;

/* This library's loaded address range, to catch dlsym(RTLD_NEXT) resolving
   to ourselves (found once with dl_iterate_phdr: dladdr per symbol cost ~10 µs
   each, most of the start-up of every monitored process). */
static uintptr_t self_lo, self_hi;

static int find_self_range(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t me = (uintptr_t)data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_LOAD) {
            uintptr_t a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            lo = a < lo ? a : lo;
            hi = a + info->dlpi_phdr[i].p_memsz > hi ? a + info->dlpi_phdr[i].p_memsz : hi;
        }
    }
    if (me >= lo && me < hi) {
        self_lo = lo;
        self_hi = hi;
        return 1;
    }
    return 0;
}

static void resolve(void **slot, const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (p != NULL && (uintptr_t)p >= self_lo && (uintptr_t)p < self_hi) {
        trj_stderr("trajeckt: fatal: dlsym(RTLD_NEXT, \"");
        trj_stderr(name);
        trj_stderr("\") resolved to libtrajeckt.so itself\n");
        abort();
    }
    *slot = p; /* NULL = libc lacks it; the hook answers ENOSYS */
}

static void setup_hooks(void)
{
    dl_iterate_phdr(find_self_range, (void *)(uintptr_t)trj_init);
#define R(name) resolve((void **)&trj_real.name, #name)
    R(open); R(open64); R(__open); R(__open64); R(openat); R(openat64);
    R(__open_2); R(__open64_2); R(__openat_2); R(__openat64_2);
    R(creat); R(creat64); R(fopen); R(fopen64); R(freopen); R(freopen64);
    R(fdopen); R(opendir); R(fdopendir);
    R(truncate); R(truncate64); R(unlink); R(unlinkat); R(remove);
    R(rename); R(renameat); R(renameat2);
    R(mkdir); R(mkdirat); R(rmdir); R(link); R(linkat); R(symlink); R(symlinkat);
    R(chmod); R(fchmodat); R(chown); R(lchown); R(fchownat); R(utimensat);
    R(setxattr); R(lsetxattr); R(fsetxattr); R(removexattr); R(lremovexattr); R(fremovexattr);
    R(getxattr); R(lgetxattr); R(fgetxattr); R(listxattr); R(llistxattr); R(flistxattr);
    R(name_to_handle_at); R(open_by_handle_at);
    R(execve); R(execv); R(execvp); R(execvpe); R(fexecve); R(execveat);
    R(posix_spawn); R(posix_spawnp); R(system); R(popen);
    R(scandirat); R(scandirat64); R(glob); R(glob64); R(nftw); R(ftw);
    R(connect); R(bind); R(sendto); R(sendmsg); R(sendmmsg);
    R(getaddrinfo); R(gethostbyname); R(gethostbyname2); R(gethostbyname_r); R(gethostbyname2_r);
#undef R
}

static void cannot_load(const char *a, const char *b)
{
    trj_stderr("trajeckt: cannot load policy: ");
    trj_stderr(a);
    if (b != NULL) {
        trj_stderr(b);
    }
    trj_stderr("\n");
}

static void load_policy(void)
{
    const char *s = getenv("TRAJECKT_POLICY_FD");
    if (s == NULL || *s == '\0') {
        cannot_load("TRAJECKT_POLICY_FD is not set", NULL);
        return;
    }
    char *end = NULL;
    errno = 0;
    long fd = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || fd < 0 || fd > INT_MAX) {
        cannot_load("TRAJECKT_POLICY_FD is not a descriptor number: ", s);
        return;
    }
    struct stat st;
    long r = trj_sys2(SYS_fstat, fd, (long)&st);
    if (r < 0) {
        cannot_load("TRAJECKT_POLICY_FD: ", strerror((int)-r));
        return;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (unsigned long long)st.st_size > TRJ_MAX_FILE_SIZE) {
        cannot_load("TRAJECKT_POLICY_FD is not a policy-sized regular file", NULL);
        return;
    }
    long seals = trj_sys3(SYS_fcntl, fd, F_GET_SEALS, 0);
    const long need = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
    if (seals < 0 || (seals & need) != need) {
        cannot_load("TRAJECKT_POLICY_FD is not a sealed memfd (needs F_SEAL_WRITE|F_SEAL_SHRINK|F_SEAL_GROW)", NULL);
        return;
    }
    long m = trj_sys6(SYS_mmap, 0, (long)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m < 0 && m > -4096) {
        cannot_load("mmap: ", strerror((int)-m));
        return;
    }
    char msg[512];
    if (trj_load(&trj_state.policy, (const void *)m, (size_t)st.st_size, msg, sizeof msg) != 0) {
        (void)trj_sys2(SYS_munmap, m, (long)st.st_size);
        cannot_load(msg, NULL);
        return;
    }
    trj_state.policy_fd = (int)fd;
    trj_state.policy_dev = st.st_dev;
    trj_state.policy_ino = st.st_ino;
    trj_state.policy_buf = (const uint8_t *)m;
    trj_state.policy_len = (size_t)st.st_size;
    trj_state.loaded = 1;
}

static int slot(const char *name)
{
    return trj_slot_by_name(&trj_state.policy, name, strlen(name));
}

static void find_slots(void)
{
    struct trj_state *t = &trj_state;
    t->s_path = slot("path");
    t->s_path2 = slot("path2");
    t->s_exe = slot("exe");
    t->s_cmdline = slot("cmdline");
    t->s_argc = slot("argc");
    t->s_pid = slot("pid");
    t->s_uid = slot("uid");
    t->s_cwd = slot("cwd");
    t->s_agent = slot("agent");
    t->s_host = slot("host");
    t->s_ip = slot("ip");
    t->s_port = slot("port");
    t->s_family = slot("family");
    t->n_argv_slots = 0;
    /* argv[N] fields: read the policy's own field list (not 1,000 lookups) */
    for (uint32_t slot = 0; slot < t->policy.n_fields && t->n_argv_slots < TRJ_MAX_SLOTS; slot++) {
        uint32_t len = 0;
        const char *name = trj_field_name(&t->policy, slot, &len);
        if (name == NULL || len < 7 || len > 9 || memcmp(name, "argv[", 5) != 0 || name[len - 1] != ']') {
            continue;
        }
        unsigned k = 0;
        uint32_t i = 5;
        for (; i < len - 1 && name[i] >= '0' && name[i] <= '9'; i++) {
            k = k * 10 + (unsigned)(name[i] - '0');
        }
        if (i == len - 1 && i > 5) {
            t->argv_index[t->n_argv_slots] = (uint16_t)k;
            t->argv_slot[t->n_argv_slots] = (uint16_t)slot;
            t->n_argv_slots++;
        }
    }
}

static void find_self(void)
{
    Dl_info self;
    char buf[PATH_MAX];
    if (dladdr((void *)trj_init, &self) && self.dli_fname != NULL &&
        realpath(self.dli_fname, buf) != NULL && strlen(buf) < sizeof trj_state.self_path) {
        strcpy(trj_state.self_path, buf);
    } /* else empty: exec hooks cannot re-insert the library and deny */
    const char *agent = getenv("TRAJECKT_AGENT_ID");
    if (agent != NULL && strlen(agent) < sizeof trj_state.agent) {
        strcpy(trj_state.agent, agent);
        trj_state.agent_len = strlen(agent);
    }
}

static void init_once(void)
{
    in_init = 1;
    setup_hooks();
    find_self();
    load_policy();
    if (trj_state.loaded) {
        find_slots();
    }
    trj_audit_init(); /* after the policy: PROC_START carries its hash */
    in_init = 0;
}

void trj_init(void)
{
    if (in_init) {
        return; /* a hook reached from our own set-up: policy not loaded yet, so it denies */
    }
    pthread_once(&once, init_once);
}

__attribute__((constructor)) static void trj_constructor(void)
{
    trj_init();
}
