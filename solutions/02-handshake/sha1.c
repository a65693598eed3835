/*
 * sha1 — the SHA-1 hash (FIPS 180-4), one-shot and incremental (see sha1.h).
 *
 * SHA-1 cuts the message into 64-byte blocks and folds each block into a
 * 160-bit state, five 32-bit words H0..H4, with a "compression function" of
 * 80 rounds (FIPS 180-4 §6.1.2). The last block is padded (§5.1.1): a 1 bit,
 * zeros, and the message length in bits as a 64-bit big-endian number, so
 * that no two messages pad to the same blocks. The digest is H0..H4 written
 * big-endian.
 *
 *   message:  | block 0 | block 1 | ... | rest 10000…000 length |
 *                  │         │                     │
 *   H ──► compress ──► compress ──► ... ──► compress ──► digest
 *
 * The incremental interface keeps a partial block in ctx->block until 64
 * bytes have come; whole blocks in the caller's data are compressed straight
 * from there, without a copy.
 *
 * Lab 2, task 1. Read: TUTORIAL §2.3; FIPS 180-4 §2.2.2 (ROTL), §4.1.1 (the
 * functions), §4.2.1 (the constants), §5.1.1 (padding), §5.3.1 (H(0)),
 * §6.1.2 (the computation).
 */
#include "sha1.h"

#include <string.h>

/* ROTL^n(x), the left rotation of FIPS 180-4 §2.2.2 (0 < n < 32). */
static inline uint32_t rotl(uint32_t x, int n) {
    return (x << n) | (x >> (32 - n));
}

/* SHA-1 is defined on big-endian words (§3.1). Assembling them byte by byte
 * works on any machine and at any alignment; compilers turn it into one load
 * and a byte swap. */
static inline uint32_t load_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* The message schedule (§6.1.2 step 1): W0..W15 are the block's words, and
 *   Wt = ROTL^1(Wt-3 ^ Wt-8 ^ Wt-14 ^ Wt-16)   for 16 <= t < 80.
 * Each word needs only the 16 before it, so w is a ring of 16 words:
 * w[t % 16] holds Wt-16 until it is replaced by Wt. */
static inline uint32_t schedule(uint32_t w[16], int t) {
    uint32_t x = w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15];
    return w[t & 15] = rotl(x, 1);
}

/* Wt for round t. t is a constant wherever W is used, so the compiler keeps
 * just one side of the test. */
#define W(t) ((t) < 16 ? w[(t)&15] : schedule(w, t))

/* The round functions (§4.1.1). Ch chooses, bit by bit, c where b is 1 and d
 * where b is 0; Parity is the XOR; Maj is the majority vote. Ch and Maj are
 * written with one operation fewer than in the standard, same bits:
 * (b & c) ^ (~b & d) = d ^ (b & (c ^ d)), and
 * (b & c) ^ (b & d) ^ (c & d) = (b & c) | (d & (b | c)). */
#define CH(b, c, d)     ((d) ^ ((b) & ((c) ^ (d))))
#define PARITY(b, c, d) ((b) ^ (c) ^ (d))
#define MAJ(b, c, d)    (((b) & (c)) | ((d) & ((b) | (c))))

/* The constants Kt (§4.2.1), one for each group of 20 rounds: the first 32
 * bits of the fractional parts of the square roots of 2, 3, 5 and 10. */
#define K0 0x5a827999u /* rounds  0..19 */
#define K1 0x6ed9eba1u /* rounds 20..39 */
#define K2 0x8f1bbcdcu /* rounds 40..59 */
#define K3 0xca62c1d6u /* rounds 60..79 */

/* One round (§6.1.2 step 3) is
 *   T = ROTL^5(a) + f(b, c, d) + e + Kt + Wt;
 *   e = d;  d = c;  c = ROTL^30(b);  b = a;  a = T.
 * Rather than move five variables every round, ROUND names them in a
 * different order each time: after five rounds every name is back where it
 * started. So ROUND(a, b, c, d, e, ...) only updates e (which plays the new
 * a) and b (which plays the new c). */
#define ROUND(a, b, c, d, e, f, k, wt)                                                             \
    do {                                                                                           \
        e += rotl(a, 5) + f(b, c, d) + (k) + (wt);                                                 \
        b = rotl(b, 30);                                                                           \
    } while (0)

/* Rounds t..t+4, the names rotating as ROUND explains. */
#define FIVE_ROUNDS(t, f, k)                                                                       \
    do {                                                                                           \
        ROUND(a, b, c, d, e, f, k, W(t));                                                          \
        ROUND(e, a, b, c, d, f, k, W(t + 1));                                                      \
        ROUND(d, e, a, b, c, f, k, W(t + 2));                                                      \
        ROUND(c, d, e, a, b, f, k, W(t + 3));                                                      \
        ROUND(b, c, d, e, a, f, k, W(t + 4));                                                      \
    } while (0)

/* Folds n whole blocks, starting at data, into the state h (§6.1.2). */
static void compress(uint32_t h[5], const unsigned char *data, size_t n) {
    for (; n > 0; n--, data += SHA1_BLOCK_LEN) {
        uint32_t w[16];
        for (int i = 0; i < 16; i++) w[i] = load_be32(data + 4 * i);

        /* Step 2: work on a copy of the state. Step 3: the 80 rounds, written
         * out so that each round's t is a constant. */
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        FIVE_ROUNDS(0, CH, K0);
        FIVE_ROUNDS(5, CH, K0);
        FIVE_ROUNDS(10, CH, K0);
        FIVE_ROUNDS(15, CH, K0);
        FIVE_ROUNDS(20, PARITY, K1);
        FIVE_ROUNDS(25, PARITY, K1);
        FIVE_ROUNDS(30, PARITY, K1);
        FIVE_ROUNDS(35, PARITY, K1);
        FIVE_ROUNDS(40, MAJ, K2);
        FIVE_ROUNDS(45, MAJ, K2);
        FIVE_ROUNDS(50, MAJ, K2);
        FIVE_ROUNDS(55, MAJ, K2);
        FIVE_ROUNDS(60, PARITY, K3);
        FIVE_ROUNDS(65, PARITY, K3);
        FIVE_ROUNDS(70, PARITY, K3);
        FIVE_ROUNDS(75, PARITY, K3);

        /* Step 4: add the result into the state. */
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
}

void sha1_init(struct sha1_ctx *ctx) {
    /* H(0), §5.3.1. */
    ctx->h[0] = 0x67452301u;
    ctx->h[1] = 0xefcdab89u;
    ctx->h[2] = 0x98badcfeu;
    ctx->h[3] = 0x10325476u;
    ctx->h[4] = 0xc3d2e1f0u;
    ctx->length = 0;
    ctx->used = 0;
}

void sha1_update(struct sha1_ctx *ctx, const void *data, size_t len) {
    if (len == 0) return; /* data may then be NULL, which memcpy must not get */
    const unsigned char *p = data;
    ctx->length += len;
    /* First top up a partly filled block. */
    if (ctx->used > 0) {
        size_t take = SHA1_BLOCK_LEN - ctx->used;
        if (take > len) take = len;
        memcpy(ctx->block + ctx->used, p, take);
        ctx->used += take;
        p += take;
        len -= take;
        if (ctx->used < SHA1_BLOCK_LEN) return;
        compress(ctx->h, ctx->block, 1);
        ctx->used = 0;
    }
    /* Then whole blocks, straight from the caller's bytes. */
    size_t blocks = len / SHA1_BLOCK_LEN;
    compress(ctx->h, p, blocks);
    p += blocks * SHA1_BLOCK_LEN;
    len -= blocks * SHA1_BLOCK_LEN;
    /* Keep the rest (under a block) for later. */
    if (len > 0) memcpy(ctx->block, p, len);
    ctx->used = len;
}

void sha1_final(struct sha1_ctx *ctx, unsigned char digest[SHA1_DIGEST_LEN]) {
    /* The length is taken before the padding changes it. */
    uint64_t bits = ctx->length * 8;

    /* §5.1.1: a 1 bit (the byte 0x80), then zeros until 8 bytes are left in
     * the block — spilling into one more block if fewer than 8 are left. */
    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > SHA1_BLOCK_LEN - 8) {
        memset(ctx->block + ctx->used, 0, SHA1_BLOCK_LEN - ctx->used);
        compress(ctx->h, ctx->block, 1);
        ctx->used = 0;
    }
    memset(ctx->block + ctx->used, 0, SHA1_BLOCK_LEN - 8 - ctx->used);
    /* The message length in bits, a 64-bit big-endian number. */
    store_be32(ctx->block + SHA1_BLOCK_LEN - 8, (uint32_t)(bits >> 32));
    store_be32(ctx->block + SHA1_BLOCK_LEN - 4, (uint32_t)bits);
    compress(ctx->h, ctx->block, 1);

    for (int i = 0; i < 5; i++) store_be32(digest + 4 * i, ctx->h[i]);
    /* Wipe the state: it must not be mistaken for a running hash. */
    memset(ctx, 0, sizeof *ctx);
}

void sha1(const void *data, size_t len, unsigned char digest[SHA1_DIGEST_LEN]) {
    struct sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, data, len);
    sha1_final(&ctx, digest);
}
