/*
 * net_probe — one direct call per hooked network entry, for test/preload/net.test.ts.
 *
 *   net_probe connect ADDR PORT [MSG]     TCP connect (ADDR v4 or v6 literal,
 *                                         "::ffff:127.0.0.1" uses AF_INET6);
 *                                         with MSG: send it, print the reply
 *   net_probe bind ADDR PORT              TCP bind
 *   net_probe udp-sendto ADDR PORT MSG    unconnected UDP sendto
 *   net_probe udp-sendto-unspec ADDR PORT MSG   same, sa_family = AF_UNSPEC on
 *                                         an AF_INET socket (the kernel reads
 *                                         it as a sockaddr_in)
 *   net_probe udp-sendmsg ADDR PORT MSG   sendmsg with msg_name
 *   net_probe udp-connected ADDR PORT MSG connect a UDP socket, then send
 *                                         (no address) with sendto and sendmsg
 *   net_probe udp-sendmmsg ADDR PORT_OK PORT_NO   8 messages "m0".."m7", m6 to PORT_NO
 *   net_probe unix-connect PATH [MSG]     AF_UNIX stream connect ("@x" = abstract)
 *   net_probe unix-bind PATH              AF_UNIX bind ("" = autobind)
 *   net_probe unix-sendto PATH MSG        AF_UNIX datagram sendto
 *   net_probe resolve FUNC NAME           FUNC: getaddrinfo gethostbyname
 *                                         gethostbyname2 gethostbyname_r
 *                                         gethostbyname2_r; prints the addresses
 *   net_probe resolve-connect FUNC NAME PORT   resolve, then connect to the
 *                                         first IPv4 answer
 *   net_probe bench-connect N PORT        N × socket+connect(127.0.0.1:PORT)+close,
 *                                         every connect must be refused;
 *                                         prints "<ns> ns/op"
 *   net_probe bench-connect-ebadf N PORT  N × connect(-1, 127.0.0.1:PORT): the
 *                                         kernel answers EBADF at once, so
 *                                         this is the hook's own cost
 *
 * Success prints "<call>: ok" on stdout (exit 0); a failure prints
 * "<call>: <strerror>" on stderr (exit 1).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int die(const char *call)
{
    fprintf(stderr, "%s: %s\n", call, strerror(errno));
    return 1;
}

static int ok(const char *call)
{
    printf("%s: ok\n", call);
    return 0;
}

/* ADDR PORT → sockaddr; returns its length */
static socklen_t inet_addr_of(const char *addr, const char *port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)atoi(port));
        return sizeof *in;
    }
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)atoi(port));
        return sizeof *in6;
    }
    fprintf(stderr, "net_probe: bad address %s\n", addr);
    exit(2);
}

static socklen_t unix_addr_of(const char *path, struct sockaddr_un *un)
{
    memset(un, 0, sizeof *un);
    un->sun_family = AF_UNIX;
    size_t l = strlen(path);
    if (l >= sizeof un->sun_path) {
        fprintf(stderr, "net_probe: path too long\n");
        exit(2);
    }
    memcpy(un->sun_path, path, l);
    if (path[0] == '@') {
        un->sun_path[0] = '\0';
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l);
    }
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l + (l > 0));
}

static int talk(int fd, const char *msg)
{
    if (send(fd, msg, strlen(msg), 0) < 0) {
        return die("send");
    }
    shutdown(fd, SHUT_WR);
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        fwrite(buf, 1, (size_t)n, stdout);
    }
    return n < 0 ? die("recv") : 0;
}

static void print_sa(const struct sockaddr *sa)
{
    char s[INET6_ADDRSTRLEN];
    const void *a = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                             : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    printf("%s\n", inet_ntop(sa->sa_family, a, s, sizeof s));
}

/* Resolve NAME with FUNC; first IPv4 answer in *v4 (if v4 != NULL). 0 or 1. */
static int resolve(const char *func, const char *name, struct in_addr *v4, int print)
{
    int found = 0;
    if (strcmp(func, "getaddrinfo") == 0) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
        errno = 0;
        int r = getaddrinfo(name, NULL, &hints, &res);
        if (r != 0) {
            fprintf(stderr, "getaddrinfo: %s (errno: %s)\n", gai_strerror(r), strerror(errno));
            return 1;
        }
        for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
            if (print) {
                print_sa(ai->ai_addr);
            }
            if (v4 != NULL && !found && ai->ai_family == AF_INET) {
                *v4 = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
                found = 1;
            }
        }
        freeaddrinfo(res);
    } else {
        struct hostent he, *h = NULL;
        char buf[8192];
        int herr = 0, r = 0;
        errno = 0;
        if (strcmp(func, "gethostbyname") == 0) {
            h = gethostbyname(name);
            herr = h_errno;
        } else if (strcmp(func, "gethostbyname2") == 0) {
            h = gethostbyname2(name, AF_INET);
            herr = h_errno;
        } else if (strcmp(func, "gethostbyname_r") == 0) {
            r = gethostbyname_r(name, &he, buf, sizeof buf, &h, &herr);
        } else if (strcmp(func, "gethostbyname2_r") == 0) {
            r = gethostbyname2_r(name, AF_INET, &he, buf, sizeof buf, &h, &herr);
        } else {
            fprintf(stderr, "net_probe: unknown resolver %s\n", func);
            exit(2);
        }
        if (h == NULL) {
            fprintf(stderr, "%s: %s (returned %d, errno: %s)\n", func, hstrerror(herr), r, strerror(errno));
            return 1;
        }
        for (char **p = h->h_addr_list; *p != NULL; p++) {
            char s[INET6_ADDRSTRLEN];
            if (print) {
                printf("%s\n", inet_ntop(h->h_addrtype, *p, s, sizeof s));
            }
            if (v4 != NULL && !found && h->h_addrtype == AF_INET) {
                memcpy(v4, *p, 4);
                found = 1;
            }
        }
    }
    if (v4 != NULL && !found) {
        fprintf(stderr, "%s: no IPv4 answer\n", func);
        return 1;
    }
    return 0;
}

static int udp_send(const char *how, const char *addr, const char *port, const char *msg)
{
    struct sockaddr_storage ss;
    socklen_t len = inet_addr_of(addr, port, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        return die("socket");
    }
    if (strcmp(how, "sendto") == 0) {
        if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len) < 0) {
            return die("sendto");
        }
        return ok("sendto");
    }
    if (strcmp(how, "sendto-unspec") == 0) {
        ss.ss_family = AF_UNSPEC;
        if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len) < 0) {
            return die("sendto");
        }
        return ok("sendto");
    }
    if (strcmp(how, "sendmsg") == 0) {
        struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
        struct msghdr m = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };
        if (sendmsg(fd, &m, 0) < 0) {
            return die("sendmsg");
        }
        return ok("sendmsg");
    }
    /* connected: the connect is judged, the sends carry no address */
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        return die("connect");
    }
    if (sendto(fd, msg, strlen(msg), 0, NULL, 0) < 0) {
        return die("sendto");
    }
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (sendmsg(fd, &m, 0) < 0) {
        return die("sendmsg");
    }
    return ok("connected send");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "connect") == 0 && argc >= 4) {
        struct sockaddr_storage ss;
        socklen_t len = inet_addr_of(argv[2], argv[3], &ss);
        int fd = socket(ss.ss_family, SOCK_STREAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
            return die("connect");
        }
        return argc >= 5 ? talk(fd, argv[4]) : ok("connect");
    }
    if (strcmp(cmd, "bind") == 0 && argc >= 4) {
        struct sockaddr_storage ss;
        socklen_t len = inet_addr_of(argv[2], argv[3], &ss);
        int fd = socket(ss.ss_family, SOCK_STREAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
            return die("bind");
        }
        return ok("bind");
    }
    if (strncmp(cmd, "udp-", 4) == 0 && strcmp(cmd, "udp-sendmmsg") != 0 && argc >= 5) {
        return udp_send(cmd + 4, argv[2], argv[3], argv[4]);
    }
    if (strcmp(cmd, "udp-sendmmsg") == 0 && argc >= 5) {
        struct sockaddr_storage good, bad;
        socklen_t gl = inet_addr_of(argv[2], argv[3], &good);
        socklen_t bl = inet_addr_of(argv[2], argv[4], &bad);
        int fd = socket(good.ss_family, SOCK_DGRAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        struct mmsghdr v[8];
        struct iovec iov[8];
        char text[8][4];
        memset(v, 0, sizeof v);
        for (int i = 0; i < 8; i++) {
            snprintf(text[i], sizeof text[i], "m%d", i);
            iov[i].iov_base = text[i];
            iov[i].iov_len = strlen(text[i]);
            v[i].msg_hdr.msg_iov = &iov[i];
            v[i].msg_hdr.msg_iovlen = 1;
            v[i].msg_hdr.msg_name = i == 6 ? &bad : &good;
            v[i].msg_hdr.msg_namelen = i == 6 ? bl : gl;
        }
        int n = sendmmsg(fd, v, 8, 0);
        if (n < 0) {
            return die("sendmmsg");
        }
        printf("sendmmsg: %d sent\n", n);
        return 0;
    }
    if (strcmp(cmd, "unix-connect") == 0 && argc >= 3) {
        struct sockaddr_un un;
        socklen_t len = unix_addr_of(argv[2], &un);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        if (connect(fd, (struct sockaddr *)&un, len) != 0) {
            return die("connect");
        }
        return argc >= 4 ? talk(fd, argv[3]) : ok("connect");
    }
    if (strcmp(cmd, "unix-bind") == 0 && argc >= 3) {
        struct sockaddr_un un;
        socklen_t len = unix_addr_of(argv[2], &un);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        if (bind(fd, (struct sockaddr *)&un, len) != 0) {
            return die("bind");
        }
        return ok("bind");
    }
    if (strcmp(cmd, "unix-sendto") == 0 && argc >= 4) {
        struct sockaddr_un un;
        socklen_t len = unix_addr_of(argv[2], &un);
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        if (sendto(fd, argv[3], strlen(argv[3]), 0, (struct sockaddr *)&un, len) < 0) {
            return die("sendto");
        }
        return ok("sendto");
    }
    if (strcmp(cmd, "resolve") == 0 && argc >= 4) {
        return resolve(argv[2], argv[3], NULL, 1);
    }
    if (strcmp(cmd, "resolve-connect") == 0 && argc >= 5) {
        struct in_addr a;
        if (resolve(argv[2], argv[3], &a, 0) != 0) {
            return 1;
        }
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[4])), .sin_addr = a };
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            return die("socket");
        }
        if (connect(fd, (struct sockaddr *)&in, sizeof in) != 0) {
            return die("connect");
        }
        return ok("connect");
    }
    if (strcmp(cmd, "bench-connect") == 0 && argc >= 4) {
        long n = atol(argv[2]);
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd < 0) {
                return die("socket");
            }
            if (connect(fd, (struct sockaddr *)&in, sizeof in) == 0 || errno != ECONNREFUSED) {
                return die("connect");
            }
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
        printf("%.0f ns/op\n", ns / (double)n);
        return 0;
    }
    if (strcmp(cmd, "bench-connect-ebadf") == 0 && argc >= 4) {
        long n = atol(argv[2]);
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            if (connect(-1, (struct sockaddr *)&in, sizeof in) == 0 || errno != EBADF) {
                return die("connect");
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
        printf("%.0f ns/op\n", ns / (double)n);
        return 0;
    }
    fprintf(stderr, "net_probe: bad arguments\n");
    return 2;
}
