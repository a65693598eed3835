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

/* TODO(handout step 1.1): the compression function. Write a static
 * function that folds one 64-byte block into ctx->h (FIPS 180-4 §6.1.2):
 * the message schedule W0..W79 (W0..W15 are the block's bytes read as
 * big-endian 32-bit words — assemble them byte by byte, the block may sit at
 * any address; Wt = ROTL1(Wt-3 ^ Wt-8 ^ Wt-14 ^ Wt-16) after that), then 80
 * rounds over a copy a..e of the state with the functions Ch, Parity, Maj,
 * Parity and the constants Kt of §4.1.1 and §4.2.1 (20 rounds each), then
 * add a..e into h. ROTL is a rotation: (x << n) | (x >> (32 - n)) on a
 * uint32_t. */

void sha1_init(struct sha1_ctx *ctx) {
    /* TODO(handout step 1.2): the initial hash value H(0) of FIPS 180-4
     * §5.3.1 into ctx->h, no bytes hashed yet, an empty block. */
    memset(ctx, 0, sizeof *ctx);
}

void sha1_update(struct sha1_ctx *ctx, const void *data, size_t len) {
    /* TODO(handout step 1.3): count len into ctx->length; fill ctx->block
     * and compress it each time it holds 64 bytes; keep the rest (under 64
     * bytes) in ctx->block for the next call. Any split of the message into
     * calls must give the same digest; len may be 0 (and data then NULL:
     * do not pass it to memcpy). */
    (void)ctx;
    (void)data;
    (void)len;
}

void sha1_final(struct sha1_ctx *ctx, unsigned char digest[SHA1_DIGEST_LEN]) {
    /* TODO(handout step 1.4): pad (FIPS 180-4 §5.1.1): the byte 0x80, zeros
     * until the block has 8 bytes left — compressing one more block if it
     * has fewer than 8 left after the 0x80 — then the message length in
     * BITS as a 64-bit big-endian number; compress. The digest is h[0..4],
     * each written big-endian. */
    (void)ctx;
    memset(digest, 0, SHA1_DIGEST_LEN);
}

void sha1(const void *data, size_t len, unsigned char digest[SHA1_DIGEST_LEN]) {
    struct sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, data, len);
    sha1_final(&ctx, digest);
}
