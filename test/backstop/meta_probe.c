/* meta_probe.c — metadata changes as raw system calls (inline `syscall`, no
 * libc wrapper the preload library could hook), for the FILE_META backstop
 * bit (test/backstop/file-meta.test.ts, evasion case E23e).
 *
 *   meta_probe chmod PATH   fchmodat(AT_FDCWD, PATH, 0600)
 *   meta_probe chown PATH   fchownat(AT_FDCWD, PATH, own uid, own gid)
 *   meta_probe utime PATH   utimensat(AT_FDCWD, PATH, now)
 *   meta_probe xattr PATH   setxattr(PATH, "user.trajeckt", "x")
 *   meta_probe futimens PATH       utimensat(open(PATH), NULL, NULL): now, on a descriptor
 *   meta_probe futimens-set PATH   utimensat(open(PATH), NULL, {0, 0}): chosen times
 *   meta_probe utime-high PATH     utimensat(AT_FDCWD, PATH, NULL) with PATH copied to
 *                                  0x100000000, a pointer whose low 32 bits are 0
 *
 * Prints one line "<op>=ok" or "<op>=<errno name>" and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

static long rawsys(long n, long a, long b, long c, long d, long e)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
    return ret;
}

static const char *name(long r)
{
    switch (-r) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENOTSUP: return "ENOTSUP";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    const char *op = argv[1], *p = argv[2];
    long r;
    if (strcmp(op, "chmod") == 0)
        r = rawsys(SYS_fchmodat, AT_FDCWD, (long)p, 0600, 0, 0);
    else if (strcmp(op, "chown") == 0)
        r = rawsys(SYS_fchownat, AT_FDCWD, (long)p, (long)getuid(), (long)getgid(), 0);
    else if (strcmp(op, "utime") == 0)
        r = rawsys(SYS_utimensat, AT_FDCWD, (long)p, 0, 0, 0);
    else if (strcmp(op, "xattr") == 0)
        r = rawsys(SYS_setxattr, (long)p, (long)"user.trajeckt", (long)"x", 1, 0);
    else if (strcmp(op, "futimens") == 0 || strcmp(op, "futimens-set") == 0) {
        static const struct timespec ts[2] = {{0, 0}, {0, 0}};
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            r = -errno;
        else
            r = rawsys(SYS_utimensat, fd, 0, strcmp(op, "futimens") == 0 ? 0 : (long)ts, 0, 0);
    } else if (strcmp(op, "utime-high") == 0) {
        char *at = mmap((void *)0x100000000L, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (at != (char *)0x100000000L || strlen(p) >= 4096)
            return 2;
        strcpy(at, p);
        r = rawsys(SYS_utimensat, AT_FDCWD, (long)at, 0, 0, 0);
    } else
        return 2;
    printf("%s=%s\n", op, name(r));
    return 0;
}
