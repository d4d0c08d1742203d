/* probe.c — load a .trjb through the core and print its BACKSTOP section via
 * trj_backstop() / trj_string(): one line per entry, "kind access port path". */
#include <stdio.h>
#include <stdlib.h>

#include "trj.h"

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL)
        return 2;
    static uint8_t buf[1 << 24] __attribute__((aligned(8)));
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    trj_policy p;
    char msg[256];
    if (trj_load(&p, buf, len, msg, sizeof msg) != 0) {
        printf("rejected %s\n", msg);
        return 1;
    }
    const trj_bs_entry *e;
    uint32_t n;
    if (trj_backstop(&p, &e, &n) != 0)
        return 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t sl;
        const char *s = trj_string(&p, e[i].path, &sl);
        printf("%u %u %u %.*s\n", e[i].kind, e[i].access, e[i].port, (int)sl, s ? s : "");
    }
    return 0;
}
