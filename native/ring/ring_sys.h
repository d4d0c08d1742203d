/*
 * ring_sys.h — how the ring code (ring_producer.c, ring_consumer.c) makes
 * system calls and reads clocks. Small and stable: both sides include it.
 *
 *   TRJ_RING_SYSCALL(nr, a, b, c, d, e, f)
 *       returns the result or -errno and never touches errno.
 *       With TRJ_RING_RAW defined (the libtrajeckt.so build) it is the
 *       preload's raw syscall trj_sys6() (no exported libc symbol is reached,
 *       so nothing the ring does is judged by a hook); otherwise libc
 *       syscall(), with errno saved and restored: trj_ring_libc_syscall(),
 *       which raw.c also uses where it has no inline asm.
 *   trj_ring_now_ns(clockid)   clock_gettime (vDSO, no syscall) in ns.
 *   trj_ring_futex_wait(word, expected, timeout_ms)
 *   trj_ring_futex_wake(word)  shared futexes (NOT FUTEX_PRIVATE_FLAG: the
 *       word lives in a MAP_SHARED mapping used by many processes).
 *
 * Define _GNU_SOURCE before any include (syscall(), clock_gettime()).
 */
#ifndef TRJ_RING_SYS_H
#define TRJ_RING_SYS_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/futex.h>

/* libc syscall() as "result or -errno, errno untouched". The one definition
   of this fallback: the consumer uses it, and so does the preload's raw.c on
   architectures without inline asm. */
static inline long trj_ring_libc_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
    int saved = errno;
    long r = syscall(nr, a, b, c, d, e, f);
    if (r == -1) {
        r = -errno;
    }
    errno = saved;
    return r;
}

#ifdef TRJ_RING_RAW
long trj_sys6(long nr, long a, long b, long c, long d, long e, long f);
#define TRJ_RING_SYSCALL(nr, a, b, c, d, e, f) \
    trj_sys6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#else
#define TRJ_RING_SYSCALL(nr, a, b, c, d, e, f) \
    trj_ring_libc_syscall((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#endif

static inline uint64_t trj_ring_now_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep while *word == expected, at most timeout_ms. 0, or -errno
   (-EAGAIN: the word had already changed; -ETIMEDOUT; -EINTR). */
static inline long trj_ring_futex_wait(uint32_t *word, uint32_t expected, uint32_t timeout_ms)
{
    struct timespec ts = { .tv_sec = timeout_ms / 1000u, .tv_nsec = (long)(timeout_ms % 1000u) * 1000000L };
    return TRJ_RING_SYSCALL(SYS_futex, word, FUTEX_WAIT, expected, &ts, 0, 0);
}

/* Wake every process sleeping on word. */
static inline void trj_ring_futex_wake(uint32_t *word)
{
    (void)TRJ_RING_SYSCALL(SYS_futex, word, FUTEX_WAKE, INT_MAX, 0, 0, 0);
}

#endif /* TRJ_RING_SYS_H */
