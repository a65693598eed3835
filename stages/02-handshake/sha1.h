/*
 * sha1 — the SHA-1 hash (FIPS 180-4), one-shot and incremental.
 *
 * WebSocket uses SHA-1 for one thing: the server proves it read the client's
 * Sec-WebSocket-Key by hashing it with a fixed GUID (RFC 6455 §4.2.2). SHA-1
 * is broken for signatures and certificates, but this proof needs no
 * collision resistance — it only shows that the server speaks WebSocket.
 *
 * The incremental interface (init / update / final) takes the message in
 * pieces of any size and gives the same digest as hashing it whole.
 *
 * Lab 2, task 1. Read: TUTORIAL §2.3 "SHA-1 and base64"; FIPS 180-4 §5.1.1
 * (padding), §6.1.2 (the computation); RFC 3174 (SHA-1 explained, with code).
 */
#ifndef WSLAB_SHA1_H
#define WSLAB_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20 /* bytes */
#define SHA1_BLOCK_LEN  64 /* bytes per compression step */

struct sha1_ctx {
    uint32_t h[5];                       /* the running hash, H0..H4 */
    uint64_t length;                     /* bytes hashed so far */
    unsigned char block[SHA1_BLOCK_LEN]; /* a block being filled */
    size_t used;                         /* bytes in block */
};

/* Starts a new hash. */
void sha1_init(struct sha1_ctx *ctx);

/* Adds len bytes of the message (len may be 0; any split gives the same digest). */
void sha1_update(struct sha1_ctx *ctx, const void *data, size_t len);

/* Pads the message, writes the 20-byte digest, and leaves ctx unusable until
 * the next sha1_init. */
void sha1_final(struct sha1_ctx *ctx, unsigned char digest[SHA1_DIGEST_LEN]);

/* The digest of data[0..len) in one call. */
void sha1(const void *data, size_t len, unsigned char digest[SHA1_DIGEST_LEN]);

#endif
