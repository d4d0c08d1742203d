/*
 * sha256.h — SHA-256 (FIPS 180-4), small and allocation-free.
 *
 * Used by the verifier to check header.body_sha256. Written from the standard's
 * description; checked against its test vectors in native/test/test_sha256.c.
 */
#ifndef TRJ_SHA256_H
#define TRJ_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TRJ_SHA256_LEN 32u

typedef struct trj_sha256_ctx {
    uint32_t h[8];
    uint64_t total;    /* bytes hashed so far */
    uint8_t block[64]; /* pending partial block */
    uint32_t fill;     /* bytes in block */
} trj_sha256_ctx;

void trj_sha256_init(trj_sha256_ctx *c);
void trj_sha256_update(trj_sha256_ctx *c, const void *data, size_t len);
void trj_sha256_final(trj_sha256_ctx *c, uint8_t out[TRJ_SHA256_LEN]);

/* One-shot convenience. */
void trj_sha256(const void *data, size_t len, uint8_t out[TRJ_SHA256_LEN]);

#endif /* TRJ_SHA256_H */
