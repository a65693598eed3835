/*
 * Lab 2, task 1 — SHA-1 (sha1.c).
 *
 * The digests come from outside the code under test: the published SHA-1
 * test vectors ("", "abc", the 448-bit and 896-bit messages, one million
 * "a"), which vectors/gen_vectors.py checks against Python's hashlib, and the
 * tables of vectors/vectors.h, computed by hashlib. Lengths are chosen where SHA-1 implementations
 * break: 55 bytes is the longest message whose padding fits in its last
 * block, 56 needs a block of padding of its own, 64 is exactly one block.
 *
 * The incremental tests cut the same messages into pieces at pseudo-random
 * points (a fixed seed, so every run cuts the same way) and compare with the
 * independent digests, not only with the one-shot function: a wrong SHA-1
 * that is at least consistent with itself still fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sha1.h"
#include "support.h"
#include "vectors/vectors.h"

#define HINT_SHA1                                                                                  \
    "TUTORIAL §2.3 \"SHA-1 and base64\"; FIPS 180-4 §5.1.1 (padding), §5.3.1 (initial hash), "  \
    "§6.1.2 (the 80 rounds; words are big-endian)"
#define HINT_PADDING                                                                               \
    "TUTORIAL §2.3; FIPS 180-4 §5.1.1: append 0x80, then zeros up to 56 mod 64, then the "       \
    "length in BITS as 64-bit big-endian; if fewer than 9 bytes are left in the block, the "       \
    "padding spills into one more block"
#define HINT_INCREMENTAL                                                                           \
    "TUTORIAL §2.3 (the incremental interface); sha1.h: keep a partly filled block between "      \
    "calls, compress whenever it is full, count the total length"

/* ---- checking a digest ---------------------------------------------------- */

static void check_digest_at(const char *file, int line, const char *what,
                            const unsigned char digest[SHA1_DIGEST_LEN], const char *want_hex) {
    char got[2 * SHA1_DIGEST_LEN + 1];
    t_hex(digest, SHA1_DIGEST_LEN, got);
    if (strcmp(got, want_hex) != 0)
        t_failf(file, line, "expected: SHA-1 of %s = %s\n     got: %s", what, want_hex, got);
}
#define CHECK_DIGEST(what, digest, want) check_digest_at(__FILE__, __LINE__, what, digest, want)

/* The one-shot digest of data[0..len), checked; the 4 bytes after the
 * digest must stay untouched. */
static void check_sha1_at(const char *file, int line, const char *what, const void *data,
                          size_t len, const char *want_hex) {
    unsigned char out[SHA1_DIGEST_LEN + 4];
    memset(out, 0xEE, sizeof out);
    sha1(data, len, out);
    check_digest_at(file, line, what, out, want_hex);
    for (size_t i = SHA1_DIGEST_LEN; i < sizeof out; i++)
        if (out[i] != 0xEE)
            t_failf(file, line,
                    "expected: sha1() to write exactly 20 bytes\n     got: byte %zu "
                    "after the digest changed",
                    i - SHA1_DIGEST_LEN);
}
#define CHECK_SHA1(what, data, len, want) check_sha1_at(__FILE__, __LINE__, what, data, len, want)

/* What is special about a message of n bytes, for the failure notes. */
static const char *length_story(size_t n) {
    switch (n % 64) {
    case 55:
        return " (the padding just fits in the last block: 55 + 1 + 8 = 64)";
    case 56:
        return " (one byte too many for the padding: it needs a block of its own)";
    case 63:
        return " (one byte short of a full block)";
    case 0:
        return n ? " (whole blocks: the padding is a block of its own)" : " (empty)";
    case 1:
        return " (one byte into a new block)";
    default:
        return "";
    }
}

/* The first n bytes of the pattern message of vectors.h. */
static unsigned char *pattern(size_t n) {
    unsigned char *p = malloc(n + 1);
    for (size_t i = 0; i < n; i++) p[i] = VEC_PATTERN_BYTE(i);
    return p;
}

/* ---- the published vectors ------------------------------------------------- */

static const char M448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char M896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                           "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

TEST(published, .id = "2.1.1", .points = 3,
     .title = "the published vectors: \"\", \"abc\", the 448-bit and the 896-bit messages",
     .hint = HINT_SHA1) {
    CHECK_SHA1("\"abc\"", "abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK_SHA1("\"\" (the empty message)", "", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK_SHA1("the 448-bit message \"abcdbcdecdef...nopq\" (56 bytes: two blocks)", M448,
               strlen(M448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK_SHA1("the 896-bit message \"abcdefghbcdefghi...nopqrstu\" (112 bytes)", M896,
               strlen(M896), "a49b2446a02c645bf419f995b67091253a04a259");
}

TEST(million_a, .id = "2.1.2", .points = 2, .timeout = 10,
     .title = "one million \"a\": in one call, and fed in uneven pieces",
     .hint = HINT_SHA1 "; sha1.h (length: bytes hashed so far, 64 bits)") {
    static const char want[] = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";
    enum { MILLION = 1000000 };
    char *a = malloc(MILLION);
    memset(a, 'a', MILLION);
    CHECK_SHA1("one million \"a\" in one call", a, MILLION, want);

    t_hint(HINT_INCREMENTAL);
    static const size_t pieces[] = {1, 63, 64, 65, 127, 128, 1000, 4096, 0, 7};
    struct sha1_ctx ctx;
    sha1_init(&ctx);
    size_t fed = 0;
    for (size_t k = 0; fed < MILLION; k++) {
        size_t n = pieces[k % (sizeof pieces / sizeof pieces[0])];
        if (n > MILLION - fed) n = MILLION - fed;
        sha1_update(&ctx, a + fed, n);
        fed += n;
    }
    unsigned char digest[SHA1_DIGEST_LEN];
    sha1_final(&ctx, digest);
    CHECK_DIGEST("one million \"a\" fed in pieces of 1, 63, 64, 65, 127, 128, 1000, 4096, 0 and 7 "
                 "bytes, over and over",
                 digest, want);
    free(a);
}

/* ---- lengths around the block and padding boundaries ----------------------- */

static void check_pattern_lengths(size_t from, size_t to) {
    unsigned char *msg = pattern(VEC_PATTERN_MAX);
    for (size_t n = from; n <= to; n++) {
        char what[160];
        snprintf(what, sizeof what,
                 "the first %zu bytes of the pattern message (byte i = (167 i + "
                 "13) mod 256)%s",
                 n, length_story(n));
        CHECK_SHA1(what, msg, n, vec_pattern_sha1[n]);
    }
    free(msg);
}

TEST(lengths_one_block, .id = "2.1.3", .points = 2,
     .title = "every length 0..64, where the padding fits (up to 55) or needs one more block "
              "(56..64)",
     .hint = HINT_PADDING) {
    check_pattern_lengths(0, 64);
}

TEST(lengths_many_blocks, .id = "2.1.4", .points = 2,
     .title = "every length 65..200 (119, 120, 127, 128, 183, 184, ...): messages of 2 to 4 "
              "blocks",
     .hint = HINT_PADDING) {
    check_pattern_lengths(65, VEC_PATTERN_MAX);
}

/* ---- random messages ---------------------------------------------------------- */

TEST(random_table, .id = "2.1.5", .points = 3,
     .title = "36 random messages of 0 to 1200 bytes (every byte value) match Python's hashlib",
     .hint = HINT_SHA1 "; bytes >= 0x80 must not sign-extend (use unsigned char and uint32_t)") {
    for (size_t i = 0; i < VEC_COUNT(vec_sha1); i++) {
        char what[200];
        snprintf(what, sizeof what, "vec_sha1[%zu] of vectors.h (%zu bytes, starting \"%s\")", i,
                 vec_sha1[i].len, t_escape(vec_sha1[i].data, vec_sha1[i].len, 12));
        CHECK_SHA1(what, vec_sha1[i].data, vec_sha1[i].len, vec_sha1[i].hex);
    }
}

/* ---- incremental --------------------------------------------------------------- */

/* A fixed-seed xorshift generator: every run cuts the messages the same way. */
static unsigned int rng_state = 2463534242u;
static unsigned int rng_next(unsigned int bound) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return bound ? rng_state % bound : 0;
}

/* Hashes data[0..len) in random pieces (0 to max_piece bytes each),
 * describing the cuts in *cuts. */
static void sha1_in_pieces(const void *data, size_t len, unsigned int max_piece,
                           unsigned char digest[SHA1_DIGEST_LEN], char *cuts, size_t cap) {
    const unsigned char *p = data;
    struct sha1_ctx ctx;
    sha1_init(&ctx);
    size_t fed = 0, used = 0;
    cuts[0] = '\0';
    for (int k = 0; fed < len && k < 100000; k++) {
        size_t n = rng_next(max_piece + 1);
        if (n > len - fed) n = len - fed;
        sha1_update(&ctx, p + fed, n);
        fed += n;
        if (used + 16 < cap) used += (size_t)snprintf(cuts + used, cap - used, "%zu ", n);
    }
    if (fed < len) sha1_update(&ctx, p + fed, len - fed);
    sha1_final(&ctx, digest);
}

TEST(incremental_random, .id = "2.1.6", .points = 3,
     .title = "init/update/final over random pieces gives the independent digest (hundreds of "
              "random split points)",
     .hint = HINT_INCREMENTAL) {
    char cuts[4096], what[4300];
    unsigned char digest[SHA1_DIGEST_LEN];
    for (int round = 0; round < 8; round++) {
        unsigned int max_piece = round < 4 ? 70 : 150;
        for (size_t i = 0; i < VEC_COUNT(vec_sha1); i++) {
            sha1_in_pieces(vec_sha1[i].data, vec_sha1[i].len, max_piece, digest, cuts, sizeof cuts);
            snprintf(what, sizeof what, "vec_sha1[%zu] (%zu bytes) fed in pieces of %s bytes", i,
                     vec_sha1[i].len, cuts);
            CHECK_DIGEST(what, digest, vec_sha1[i].hex);
        }
    }
    unsigned char *msg = pattern(VEC_PATTERN_MAX);
    for (size_t n = 0; n <= VEC_PATTERN_MAX; n++) {
        sha1_in_pieces(msg, n, 66, digest, cuts, sizeof cuts);
        snprintf(what, sizeof what, "the first %zu pattern bytes fed in pieces of %s bytes", n,
                 cuts);
        CHECK_DIGEST(what, digest, vec_pattern_sha1[n]);
    }
    free(msg);
}

TEST(incremental_edges, .id = "2.1.7", .points = 2,
     .title = "byte by byte, whole blocks, empty updates, a context reused after init, and two "
              "contexts at once",
     .hint = HINT_INCREMENTAL "; no global state: everything lives in the sha1_ctx") {
    unsigned char *msg = pattern(VEC_PATTERN_MAX);
    unsigned char digest[SHA1_DIGEST_LEN];
    struct sha1_ctx a, b;

    sha1_init(&a);
    for (size_t i = 0; i < VEC_PATTERN_MAX; i++) sha1_update(&a, msg + i, 1);
    sha1_final(&a, digest);
    CHECK_DIGEST("the 200 pattern bytes fed one byte at a time", digest,
                 vec_pattern_sha1[VEC_PATTERN_MAX]);

    sha1_init(&a);
    sha1_update(&a, msg, 0);
    sha1_update(&a, msg, 64);
    sha1_update(&a, msg + 64, 0);
    sha1_update(&a, msg + 64, 64);
    sha1_update(&a, msg + 128, 0);
    sha1_final(&a, digest);
    CHECK_DIGEST("the first 128 pattern bytes fed as two 64-byte blocks with empty updates "
                 "around them",
                 digest, vec_pattern_sha1[128]);

    sha1_init(&a);
    sha1_final(&a, digest);
    CHECK_DIGEST("nothing (init then final)", digest, vec_pattern_sha1[0]);

    t_note("a context used for 100 bytes, finished, then initialised again");
    sha1_init(&a);
    sha1_update(&a, msg, 100);
    sha1_final(&a, digest);
    sha1_init(&a);
    sha1_update(&a, "abc", 3);
    sha1_final(&a, digest);
    CHECK_DIGEST("\"abc\" in a reused context", digest, "a9993e364706816aba3e25717850c26c9cd0d89d");

    t_note("two contexts fed in turns");
    sha1_init(&a);
    sha1_init(&b);
    for (size_t k = 0; k < 14; k++) {
        if (k < 12) sha1_update(&a, msg + 10 * k, 10);
        sha1_update(&b, M448 + 4 * k, 4);
    }
    sha1_final(&b, digest);
    CHECK_DIGEST("the 448-bit message fed 4 bytes at a time into a second context", digest,
                 "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_final(&a, digest);
    CHECK_DIGEST("the first 120 pattern bytes, fed while another context was in use", digest,
                 vec_pattern_sha1[120]);
    free(msg);
}
