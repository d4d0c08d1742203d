/* test_sha256.c — FIPS 180-4 / NIST example vectors, one-shot and streamed. */
#include <stdint.h>
#include <stdlib.h>

#include "sha256.h"
#include "test.h"

static void hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static int digest_is(const void *m, size_t len, const char *want)
{
    uint8_t d[32];
    char h[65];
    trj_sha256(m, len, d);
    hex(d, h);
    return strcmp(h, want) == 0;
}

TEST(sha256_empty_message)
{
    CHECK(digest_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

TEST(sha256_abc)
{
    CHECK(digest_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST(sha256_two_block_message)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(digest_is(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(sha256_896_bit_message)
{
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                    "mnopqrstnopqrstu";
    CHECK(digest_is(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
}

TEST(sha256_million_a_streamed_in_odd_chunks)
{
    static uint8_t a[1000000];
    memset(a, 'a', sizeof a);
    CHECK(digest_is(a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    trj_sha256_ctx c;
    trj_sha256_init(&c);
    size_t off = 0, step = 1;
    while (off < sizeof a) {
        size_t n = step < sizeof a - off ? step : sizeof a - off;
        trj_sha256_update(&c, a + off, n);
        off += n;
        step = step * 7 % 997 + 1;
    }
    uint8_t d[32];
    char h[65];
    trj_sha256_final(&c, d);
    hex(d, h);
    CHECK(strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

TEST(sha256_padding_boundaries_55_56_64_bytes)
{
    /* Lengths around the 56-byte padding edge, known digests of 'a' * n. */
    static const struct {
        size_t n;
        const char *d;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    };
    uint8_t a[64];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK(digest_is(a, v[i].n, v[i].d));
}
