/*
 * hooks_net.c — the exported network hooks.
 *
 *   connect, bind                      net.connect / net.bind on the address
 *   sendto, sendmsg, sendmmsg          net.send on the destination address when
 *                                      one is given (unconnected UDP, DNS);
 *                                      none = no decision (the connect was
 *                                      judged). MSG_FASTOPEN opens a TCP
 *                                      connection: judged as net.connect.
 *   getaddrinfo, gethostbyname{,2}{,_r} net.resolve on the lowercase name;
 *                                      the answers go to the host memory
 *                                      (hostmem.c) that fills `host`.
 *
 * The address is copied once onto the stack; the copy is judged and the copy
 * is what the real call receives, so another thread rewriting the caller's
 * buffer in between changes nothing. Fields (docs/network.md):
 *   inet/inet6  ip (16 bytes, IPv4 as ::ffff:a.b.c.d; an IPv4-mapped IPv6
 *               peer is unwrapped to family "inet"), port, host (the most
 *               recent name this process resolved to that ip, if any).
 *               As a destination (connect, send), the unspecified address
 *               0.0.0.0 / :: is judged as 127.0.0.1 / ::1: Linux delivers
 *               it to the local host.
 *   unix        path: absolute against the cwd and normalized; abstract
 *               names as "@name"; an unnamed bind (autobind) has no path.
 *               connect/send judge the name and, if the kernel resolves it
 *               elsewhere (symlink, `..`), the real path too, then reach the
 *               socket through /proc/self/fd/N of an O_PATH descriptor, so
 *               the object judged is the object connected to.
 *   other       family "netlink", "packet", "vsock", ... (or "afN") only.
 * AF_UNSPEC: connect = dissolve the association (no decision); bind/send on
 * an AF_INET socket = the kernel reads a sockaddr_in (judged as inet); send
 * on an AF_INET6 socket = no address.
 *
 * Denied: -1/EPERM (the errno a kernel firewall gives); getaddrinfo
 * EAI_FAIL with errno EPERM; gethostbyname* NULL with h_errno NO_RECOVERY;
 * the _r variants return EPERM with *result NULL.
 *
 * Not judged, the kernel answers with its own error: no address or a
 * truly malformed one (NULL, shorter than the family's sockaddr, longer than
 * sockaddr_storage for connect/bind/sendto). connect, bind, sendto, sendmsg
 * and sendmmsg are async-signal-safe: no malloc, no locks, raw syscalls.
 * The resolvers are not, but stay lock-free as well.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "trajeckt_preload.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define SIN6_LEN_RFC2133 24 /* sockaddr_in6 without sin6_scope_id */
#define HOST_MAX 255
#define MMSG_BATCH 32 /* sendmmsg judges and sends at most this many per call */

enum op { OP_CONNECT, OP_BIND, OP_SEND };

/* ---- address → action --------------------------------------------------- */

static const char *family_name(int fam, char *buf)
{
    switch (fam) {
    case AF_UNSPEC: return "unspec";
    case AF_NETLINK: return "netlink";
    case AF_PACKET: return "packet";
    case AF_VSOCK: return "vsock";
    case AF_BLUETOOTH: return "bluetooth";
    case AF_ALG: return "alg";
    case AF_XDP: return "xdp";
    case AF_CAN: return "can";
    case AF_TIPC: return "tipc";
    case AF_KEY: return "key";
    case AF_RDS: return "rds";
    case AF_SMC: return "smc";
    case AF_NFC: return "nfc";
    case AF_QIPCRTR: return "qipcrtr";
    default: break;
    }
    char d[12];
    int n = 0;
    unsigned v = (unsigned)fam;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < (int)sizeof d);
    buf[0] = 'a';
    buf[1] = 'f';
    int o = 2;
    while (n > 0) {
        buf[o++] = d[--n];
    }
    buf[o] = '\0';
    return buf;
}

static int sock_domain(int fd)
{
    int d = -1;
    socklen_t l = sizeof d;
    long r = trj_sys5(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, (long)&d, (long)&l);
    return r < 0 ? -1 : d;
}

static int decide(struct trj_action *a)
{
    return trj_decide_and_record(a) ? 0 : -EPERM;
}

/* ip/port/host/family of an inet address; the destination 0.0.0.0 or :: is
   the local host. */
static int judge_inet(uint32_t kind, const uint8_t raw[16], uint16_t port_be, enum op op)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    struct trj_action a = { .kind = kind };
    char host[HOST_MAX + 1];
    memcpy(a.ip, raw, 16);
    a.has_ip = 1;
    a.has_port = 1;
    a.port = ntohs(port_be);
    int v4 = memcmp(raw, mapped, 12) == 0;
    a.family = v4 ? "inet" : "inet6";
    size_t hl = trj_hostmem_get(raw, host);
    if (hl > 0) {
        a.host = host;
        a.host_len = hl;
    }
    if (op != OP_BIND) {
        static const uint8_t zero[16];
        if (v4 && memcmp(raw + 12, zero, 4) == 0) {
            a.ip[12] = 127;
            a.ip[15] = 1;
        } else if (memcmp(raw, zero, 16) == 0) {
            a.ip[15] = 1;
        }
    }
    return decide(&a);
}

static int judge_unix_path(uint32_t kind, const char *path, size_t len)
{
    struct trj_action a = { .kind = kind, .family = "unix", .path = path, .path_len = len };
    return decide(&a);
}

/* A pathname unix socket. bind: judge the name and the real location of its
   parent (the kernel creates the socket without following the last
   component). connect/send: judge the name, open the socket O_PATH, judge
   its real path if it differs, and point the address at /proc/self/fd/N. */
static int judge_unix_named(uint32_t kind, struct sockaddr_un *un, socklen_t *len, size_t n,
                            enum op op, int *opath)
{
    char p[sizeof un->sun_path + 1];
    size_t pl = strnlen(un->sun_path, n);
    memcpy(p, un->sun_path, pl);
    p[pl] = '\0';
    char lex[TRJ_PATH_MAX];
    long ll = trj_abs_path(AT_FDCWD, p, lex);
    if (ll < 0) {
        struct trj_action a = { .kind = kind, .family = "unix", .path = p, .path_len = pl,
                                .error = TRJ_IS_UNRES(ll) ? TRJ_UNRES_ERRNO(ll) : (int)-ll };
        (void)decide(&a);
        return -EPERM;
    }
    int r = judge_unix_path(kind, lex, (size_t)ll);
    if (r < 0) {
        return r;
    }
    char real[TRJ_PATH_MAX];
    if (op == OP_BIND) {
        int pfd, owned;
        const char *name;
        size_t rl;
        r = trj_resolve_parent(AT_FDCWD, p, &pfd, &owned, &name, real, &rl);
        if (TRJ_IS_UNRES(r)) {
            struct trj_action a = { .kind = kind, .family = "unix", .path = lex, .path_len = (size_t)ll,
                                    .error = TRJ_UNRES_ERRNO(r) };
            (void)decide(&a);
            return -EPERM;
        }
        if (r < 0) {
            return r;
        }
        if (owned) {
            trj_close(pfd);
        }
        if (rl != (size_t)ll || memcmp(real, lex, rl) != 0) {
            return judge_unix_path(kind, real, rl);
        }
        return 0;
    }
    long fd = -ELOOP;
    if (!trj_has_dotdot(p)) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_NO_SYMLINKS;
        fd = trj_sys4(SYS_openat2, AT_FDCWD, (long)p, (long)&how, sizeof how);
    }
    if (fd == -ELOOP || fd == -ENOSYS) {
        /* a symlink or `..` on the way (or no openat2): the kernel resolves */
        fd = trj_sys4(SYS_openat, AT_FDCWD, (long)p, O_PATH | O_CLOEXEC, 0);
        if (fd < 0) {
            return (int)fd;
        }
        long rl = trj_fd_path((int)fd, real);
        if (rl < 0) {
            trj_close((int)fd);
            struct trj_action a = { .kind = kind, .family = "unix", .path = lex,
                                    .path_len = (size_t)ll, .error = TRJ_IS_UNRES(rl) ? TRJ_UNRES_ERRNO(rl) : (int)-rl };
            (void)decide(&a);
            return -EPERM;
        }
        if ((rl != ll || memcmp(real, lex, (size_t)rl) != 0) &&
            (r = judge_unix_path(kind, real, (size_t)rl)) < 0) {
            trj_close((int)fd);
            return r;
        }
    } else if (fd < 0) {
        return (int)fd; /* ENOENT, EACCES, ENOTDIR...: what connect would say */
    }
    *opath = (int)fd;
    char proc[32];
    size_t l = strlen(trj_proc_fd((int)fd, proc));
    memcpy(un->sun_path, proc, l + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l + 1);
    return 0;
}

static int judge_unix(uint32_t kind, struct sockaddr_un *un, socklen_t *len, enum op op, int *opath)
{
    size_t n = *len - offsetof(struct sockaddr_un, sun_path);
    if (n == 0) {
        if (op != OP_BIND) {
            return 0; /* the kernel says EINVAL */
        }
        struct trj_action a = { .kind = kind, .family = "unix" }; /* autobind: no path */
        return decide(&a);
    }
    if (*len > sizeof(struct sockaddr_un)) {
        return 0; /* EINVAL */
    }
    if (un->sun_path[0] == '\0') {
        char name[sizeof un->sun_path];
        name[0] = '@';
        memcpy(name + 1, un->sun_path + 1, n - 1);
        return judge_unix_path(kind, name, n);
    }
    return judge_unix_named(kind, un, len, n, op, opath);
}

/*
 * Judge the address ss (a private copy of len bytes, len <= sizeof *ss) for
 * the call on socket fd. 0: go on with ss/len (possibly rewritten: unix
 * sockets are reached through /proc/self/fd/N of *opath, which the caller closes
 * afterwards); -errno: fail the call with that errno without making it.
 */
static int judge_addr(uint32_t kind, int fd, struct sockaddr_storage *ss, socklen_t *len, enum op op,
                      int *opath)
{
    *opath = -1;
    if (*len < sizeof(sa_family_t)) {
        return 0; /* no address (send) or EINVAL from the kernel */
    }
    int fam = ss->ss_family;
    if (fam == AF_UNSPEC) {
        if (op == OP_CONNECT) {
            return 0; /* dissolves the association, reaches no one */
        }
        int d = sock_domain(fd);
        if (d == AF_INET6 && op == OP_SEND) {
            return 0; /* udpv6 ignores an AF_UNSPEC destination */
        }
        if (d == AF_INET) {
            fam = AF_INET; /* inet reads AF_UNSPEC as a sockaddr_in */
        }
    }
    switch (fam) {
    case AF_INET: {
        if (*len < sizeof(struct sockaddr_in)) {
            return 0; /* EINVAL */
        }
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        uint8_t ip[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        memcpy(ip + 12, &in->sin_addr, 4);
        return judge_inet(kind, ip, in->sin_port, op);
    }
    case AF_INET6: {
        if (*len < SIN6_LEN_RFC2133) {
            return 0; /* shorter than SIN6_LEN_RFC2133 (24): EINVAL */
        }
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        uint8_t ip[16];
        memcpy(ip, &in6->sin6_addr, 16);
        return judge_inet(kind, ip, in6->sin6_port, op);
    }
    case AF_UNIX:
        return judge_unix(kind, (struct sockaddr_un *)ss, len, op, opath);
    default: {
        char buf[16];
        struct trj_action a = { .kind = kind, .family = family_name(fam, buf) };
        return decide(&a);
    }
    }
}

int trj_judge_sockaddr(uint32_t kind, int fd, struct sockaddr_storage *ss, socklen_t *len, int is_send, int *opath)
{
    return judge_addr(kind, fd, ss, len, is_send ? OP_SEND : OP_CONNECT, opath);
}

/* ---- connect, bind, send ------------------------------------------------ */

static int fail(int e)
{
    errno = e;
    return -1;
}

static int addr_call(int (*real)(int, const struct sockaddr *, socklen_t), uint32_t kind, enum op op,
                     int fd, const struct sockaddr *addr, socklen_t len)
{
    if (real == NULL) {
        return fail(ENOSYS);
    }
    if (addr == NULL || len > sizeof(struct sockaddr_storage)) {
        return real(fd, addr, len); /* EFAULT / EINVAL, nothing reached */
    }
    struct sockaddr_storage ss;
    memcpy(&ss, addr, len);
    int opath;
    int r = judge_addr(kind, fd, &ss, &len, op, &opath);
    if (r < 0) {
        return fail(-r);
    }
    int ret = real(fd, (const struct sockaddr *)&ss, len);
    trj_close(opath); /* raw: errno stays the call's */
    return ret;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    trj_init();
    return addr_call(trj_real.connect, TRJ_KIND_NET_CONNECT, OP_CONNECT, fd, addr, len);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    trj_init();
    return addr_call(trj_real.bind, TRJ_KIND_NET_BIND, OP_BIND, fd, addr, len);
}

static uint32_t send_kind(int flags)
{
    return (flags & MSG_FASTOPEN) ? TRJ_KIND_NET_CONNECT : TRJ_KIND_NET_SEND;
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len)
{
    trj_init();
    if (trj_real.sendto == NULL) {
        return fail(ENOSYS);
    }
    if (addr == NULL || len == 0 || len > sizeof(struct sockaddr_storage)) {
        return trj_real.sendto(fd, buf, n, flags, addr, len); /* connected, or EINVAL */
    }
    struct sockaddr_storage ss;
    memcpy(&ss, addr, len);
    int opath;
    int r = judge_addr(send_kind(flags), fd, &ss, &len, OP_SEND, &opath);
    if (r < 0) {
        return fail(-r);
    }
    ssize_t ret = trj_real.sendto(fd, buf, n, flags, (const struct sockaddr *)&ss, len);
    trj_close(opath);
    return ret;
}

/* Point m (a private copy of a msghdr) at a judged copy of its destination
   in ss. 0 or -errno; *opath as judge_addr. */
static int judge_msg(uint32_t kind, int fd, struct msghdr *m, struct sockaddr_storage *ss, int *opath)
{
    *opath = -1;
    if (m->msg_name == NULL || m->msg_namelen == 0) {
        m->msg_name = NULL; /* the kernel does the same: no address */
        m->msg_namelen = 0;
        return 0;
    }
    if ((int)m->msg_namelen < 0) {
        return 0; /* EINVAL */
    }
    /* the kernel truncates a longer name to sizeof(struct sockaddr_storage) */
    socklen_t len = m->msg_namelen > sizeof *ss ? (socklen_t)sizeof *ss : m->msg_namelen;
    memcpy(ss, m->msg_name, len);
    m->msg_name = ss;
    m->msg_namelen = len;
    return judge_addr(kind, fd, ss, &m->msg_namelen, OP_SEND, opath);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    trj_init();
    if (trj_real.sendmsg == NULL) {
        return fail(ENOSYS);
    }
    if (msg == NULL) {
        return trj_real.sendmsg(fd, msg, flags); /* EFAULT */
    }
    struct msghdr m = *msg;
    struct sockaddr_storage ss;
    int opath;
    int r = judge_msg(send_kind(flags), fd, &m, &ss, &opath);
    if (r < 0) {
        return fail(-r);
    }
    ssize_t ret = trj_real.sendmsg(fd, &m, flags);
    trj_close(opath);
    return ret;
}

/* At most MMSG_BATCH messages per call (sendmmsg may send fewer than vlen;
   callers loop). Every destination is judged before anything is sent; one
   denied destination denies the whole call (-1/EPERM, nothing sent). */
int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
    trj_init();
    if (trj_real.sendmmsg == NULL) {
        return fail(ENOSYS);
    }
    if (vec == NULL || vlen == 0) {
        return trj_real.sendmmsg(fd, vec, vlen, flags);
    }
    unsigned n = vlen > MMSG_BATCH ? MMSG_BATCH : vlen;
    struct mmsghdr copy[MMSG_BATCH];
    struct sockaddr_storage names[MMSG_BATCH];
    int opath[MMSG_BATCH];
    uint32_t kind = send_kind(flags);
    int r = 0;
    unsigned judged = 0;
    for (; judged < n && r == 0; judged++) {
        copy[judged] = vec[judged];
        r = judge_msg(kind, fd, &copy[judged].msg_hdr, &names[judged], &opath[judged]);
    }
    int ret = -1;
    int e = -r;
    if (r == 0) {
        ret = trj_real.sendmmsg(fd, copy, n, flags);
        e = errno;
        for (int i = 0; i < ret; i++) {
            vec[i].msg_len = copy[i].msg_len;
        }
    }
    for (unsigned i = 0; i < judged; i++) {
        trj_close(opath[i]);
    }
    errno = e;
    return ret;
}

/* ---- resolvers ---------------------------------------------------------- */

/* The whole string is an inet_aton address (a, a.b, a.b.c, a.b.c.d; parts in
   decimal, 0octal or 0xhex unless digits_only). Never true for a string
   glibc would look up. */
static int numeric_v4(const char *s, int digits_only)
{
    uint64_t part[4];
    int np = 0;
    const char *p = s;
    for (;;) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
        unsigned base = 10;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
            if (digits_only) {
                return 0;
            }
            base = 16;
            p += 2;
        } else if (p[0] == '0') {
            base = 8;
        }
        uint64_t v = 0;
        int nd = 0;
        for (;; p++, nd++) {
            unsigned d;
            if (*p >= '0' && *p <= '9') {
                d = (unsigned)(*p - '0');
            } else if (base == 16 && *p >= 'a' && *p <= 'f') {
                d = (unsigned)(*p - 'a' + 10);
            } else if (base == 16 && *p >= 'A' && *p <= 'F') {
                d = (unsigned)(*p - 'A' + 10);
            } else {
                break;
            }
            if (d >= base) {
                return 0;
            }
            v = v * base + d;
            if (v > 0xffffffffu) {
                return 0;
            }
        }
        if (nd == 0) {
            return 0;
        }
        part[np++] = v;
        if (*p == '\0') {
            break;
        }
        if (*p != '.' || np == 4) {
            return 0;
        }
        p++;
    }
    static const uint64_t last_max[4] = { 0xffffffffu, 0xffffffu, 0xffffu, 0xffu };
    for (int i = 0; i + 1 < np; i++) {
        if (part[i] > 0xff) {
            return 0;
        }
    }
    return part[np - 1] <= last_max[np - 1];
}

/* An IPv6 literal, optionally with a %scope (getaddrinfo only). */
static int numeric_v6(const char *s, int scope)
{
    char buf[INET6_ADDRSTRLEN + 1];
    size_t n = 0;
    while (s[n] != '\0' && !(scope && s[n] == '%')) {
        if (n + 1 >= sizeof buf) {
            return 0;
        }
        buf[n] = s[n];
        n++;
    }
    buf[n] = '\0';
    struct in6_addr a;
    return n > 0 && inet_pton(AF_INET6, buf, &a) == 1;
}

/* Lowercase name into out[HOST_MAX + 1], one trailing dot dropped (the same
   name to the resolver). Length, or -ENAMETOOLONG. */
static long lower_name(const char *name, char *out)
{
    size_t n = strnlen(name, HOST_MAX + 2);
    if (n > 1 && name[n - 1] == '.') {
        n--;
    }
    if (n > HOST_MAX) {
        return -ENAMETOOLONG;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[n] = '\0';
    return (long)n;
}

/* Judge net.resolve on name; its lowercase form stays in lname. 1 allowed. */
static int judge_resolve(const char *name, char *lname, long *ll)
{
    *ll = lower_name(name, lname);
    struct trj_action a = { .kind = TRJ_KIND_NET_RESOLVE };
    if (*ll < 0) {
        a.error = (int)-*ll;
    } else {
        a.host = lname;
        a.host_len = (size_t)*ll;
    }
    return trj_decide_and_record(&a);
}

static void remember(int af, const void *addr, const char *name, long len)
{
    uint8_t ip[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (af == AF_INET) {
        memcpy(ip + 12, addr, 4);
    } else if (af == AF_INET6) {
        memcpy(ip, addr, 16);
    } else {
        return;
    }
    trj_hostmem_put(ip, name, (size_t)len);
}

static void remember_hostent(const struct hostent *h, const char *name, long len)
{
    if (h == NULL || h->h_addr_list == NULL || len <= 0 ||
        !((h->h_addrtype == AF_INET && h->h_length == 4) || (h->h_addrtype == AF_INET6 && h->h_length == 16))) {
        return;
    }
    for (char **p = h->h_addr_list; *p != NULL; p++) {
        remember(h->h_addrtype, *p, name, len);
    }
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    trj_init();
    if (trj_real.getaddrinfo == NULL) {
        errno = ENOSYS;
        return EAI_SYSTEM;
    }
    if (node == NULL || (hints != NULL && (hints->ai_flags & AI_NUMERICHOST)) || numeric_v4(node, 0) ||
        numeric_v6(node, 1)) {
        return trj_real.getaddrinfo(node, service, hints, res); /* nothing is resolved */
    }
    char name[HOST_MAX + 1];
    long nl;
    if (!judge_resolve(node, name, &nl)) {
        errno = EPERM;
        return EAI_FAIL;
    }
    int r = trj_real.getaddrinfo(node, service, hints, res);
    if (r == 0 && res != NULL && nl > 0) {
        for (const struct addrinfo *ai = *res; ai != NULL; ai = ai->ai_next) {
            if (ai->ai_addr == NULL) {
                continue;
            }
            if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
                remember(AF_INET, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, name, nl);
            } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
                remember(AF_INET6, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, name, nl);
            }
        }
    }
    return r;
}

/* gethostbyname* treat only digits-and-dots and IPv6 literals as numbers */
static int gh_numeric(const char *name)
{
    return numeric_v4(name, 1) || numeric_v6(name, 0);
}

static struct hostent *gh_denied(void)
{
    h_errno = NO_RECOVERY;
    errno = EPERM;
    return NULL;
}

struct hostent *gethostbyname(const char *name)
{
    trj_init();
    if (trj_real.gethostbyname == NULL) {
        h_errno = NO_RECOVERY;
        errno = ENOSYS;
        return NULL;
    }
    if (name == NULL || gh_numeric(name)) {
        return trj_real.gethostbyname(name);
    }
    char lname[HOST_MAX + 1];
    long nl;
    if (!judge_resolve(name, lname, &nl)) {
        return gh_denied();
    }
    struct hostent *h = trj_real.gethostbyname(name);
    remember_hostent(h, lname, nl);
    return h;
}

struct hostent *gethostbyname2(const char *name, int af)
{
    trj_init();
    if (trj_real.gethostbyname2 == NULL) {
        h_errno = NO_RECOVERY;
        errno = ENOSYS;
        return NULL;
    }
    if (name == NULL || gh_numeric(name)) {
        return trj_real.gethostbyname2(name, af);
    }
    char lname[HOST_MAX + 1];
    long nl;
    if (!judge_resolve(name, lname, &nl)) {
        return gh_denied();
    }
    struct hostent *h = trj_real.gethostbyname2(name, af);
    remember_hostent(h, lname, nl);
    return h;
}

static int gh_r_denied(struct hostent **result, int *h_errnop)
{
    if (result != NULL) {
        *result = NULL;
    }
    if (h_errnop != NULL) {
        *h_errnop = NO_RECOVERY;
    }
    h_errno = NO_RECOVERY;
    errno = EPERM;
    return EPERM;
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop)
{
    trj_init();
    if (trj_real.gethostbyname_r == NULL) {
        (void)gh_r_denied(result, h_errnop);
        errno = ENOSYS;
        return ENOSYS;
    }
    if (name == NULL || gh_numeric(name)) {
        return trj_real.gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    }
    char lname[HOST_MAX + 1];
    long nl;
    if (!judge_resolve(name, lname, &nl)) {
        return gh_r_denied(result, h_errnop);
    }
    int r = trj_real.gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    if (r == 0 && result != NULL) {
        remember_hostent(*result, lname, nl);
    }
    return r;
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                     struct hostent **result, int *h_errnop)
{
    trj_init();
    if (trj_real.gethostbyname2_r == NULL) {
        (void)gh_r_denied(result, h_errnop);
        errno = ENOSYS;
        return ENOSYS;
    }
    if (name == NULL || gh_numeric(name)) {
        return trj_real.gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    }
    char lname[HOST_MAX + 1];
    long nl;
    if (!judge_resolve(name, lname, &nl)) {
        return gh_r_denied(result, h_errnop);
    }
    int r = trj_real.gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    if (r == 0 && result != NULL) {
        remember_hostent(*result, lname, nl);
    }
    return r;
}
