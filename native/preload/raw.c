/*
 * raw.c — the library's own system calls, made without libc wrappers.
 *
 * Internal I/O must never reach an exported libc symbol that a hook (ours or
 * another preload library's) intercepts, and must not touch errno. On x86_64
 * and aarch64 this is inline asm; elsewhere it falls back to libc syscall()
 * (trj_ring_libc_syscall, ../ring/ring_sys.h), which is correct as long as
 * the library does not hook syscall() itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "trajeckt_preload.h"
#include "ring_sys.h" /* trj_ring_libc_syscall: the libc fallback, defined once */

#if defined(__x86_64__)
long trj_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
long trj_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
long trj_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    return trj_ring_libc_syscall(nr, a, b, c, d, e, f);
}
#endif

long trj_sys0(long nr) { return trj_sys6(nr, 0, 0, 0, 0, 0, 0); }
long trj_sys1(long nr, long a) { return trj_sys6(nr, a, 0, 0, 0, 0, 0); }
long trj_sys2(long nr, long a, long b) { return trj_sys6(nr, a, b, 0, 0, 0, 0); }
long trj_sys3(long nr, long a, long b, long c) { return trj_sys6(nr, a, b, c, 0, 0, 0); }
long trj_sys4(long nr, long a, long b, long c, long d) { return trj_sys6(nr, a, b, c, d, 0, 0); }
long trj_sys5(long nr, long a, long b, long c, long d, long e) { return trj_sys6(nr, a, b, c, d, e, 0); }

void trj_close(int fd)
{
    if (fd >= 0) {
        (void)trj_sys1(SYS_close, fd);
    }
}

void trj_stderr(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        long w = trj_sys3(SYS_write, 2, (long)s, (long)n);
        if (w == -EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}
