/*
 * frame — the WebSocket frame header, and masking (see frame.h).
 *
 * A header is 2 to 14 bytes. The first two always say how long the rest
 * is: the 7-bit length is the payload length itself (0..125), or 126 ("the
 * next 2 bytes hold it"), or 127 ("the next 8 bytes hold it"); the MASK bit
 * adds a 4-byte key. Multi-byte lengths are big-endian ("network byte
 * order", RFC 6455 §5.2).
 *
 *   81 05 48 65 6c 6c 6f                  FIN, text, 5 bytes: "Hello"
 *   82 7e 01 00 ...                       binary, 126 → 16-bit length 256
 *   82 7f 00 00 00 00 00 01 00 00 ...     binary, 127 → 64-bit length 65536
 *   81 85 37 fa 21 3d 7f 9f 4d 51 58      masked: key 37 fa 21 3d
 *
 * Every length has exactly one spelling: the shortest. So 126 may not carry
 * a length under 126, nor 127 one under 65536 — a parser that accepted them
 * would let two peers (or a peer and a proxy) disagree about where a frame
 * ends.
 *
 * Masking XORs payload byte i with key byte i % 4 (§5.3). Done a byte at a
 * time it is the slowest step of a WebSocket server; done 8 bytes at a time,
 * with the key repeated into a 64-bit word, it runs near memory speed.
 *
 * Lab 3, task 1. Read: TUTORIAL §3.1, §3.2; RFC 6455 §5.2, §5.3, §5.7.
 */
#include "frame.h"

#include <string.h>
#include <sys/random.h>

#define LEN16 126 /* the 7-bit length that announces a 16-bit length */
#define LEN64 127 /* ... and a 64-bit one */

/* §5.2: FIN, RSV1-3 and the opcode share byte 0; MASK and the 7-bit length
 * share byte 1. */
#define FIN_BIT  0x80
#define MASK_BIT 0x80

static uint64_t load_be(const unsigned char *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

static void store_be(unsigned char *p, uint64_t v, size_t n) {
    for (size_t i = n; i > 0; i--, v >>= 8) p[i - 1] = (unsigned char)v;
}

/* RFC 6455 §5.2. */
enum frame_status frame_parse(const unsigned char *buf, size_t len, struct frame_header *h) {
    if (len < 2) return FRAME_NEED_MORE;
    unsigned len7 = buf[1] & 0x7f;
    size_t ext = len7 == LEN16 ? 2 : len7 == LEN64 ? 8 : 0;
    bool masked = (buf[1] & MASK_BIT) != 0;
    size_t header_len = 2 + ext + (masked ? 4 : 0);
    if (len < header_len) return FRAME_NEED_MORE;

    uint64_t length = ext > 0 ? load_be(buf + 2, ext) : len7;
    /* The shortest form only, and 63 bits at most (§5.2). */
    if (len7 == LEN16 && length < LEN16) return FRAME_BAD;
    if (len7 == LEN64 && (length <= 0xffff || length >> 63 != 0)) return FRAME_BAD;

    h->fin = (buf[0] & FIN_BIT) != 0;
    h->rsv = (buf[0] >> 4) & 7;
    h->opcode = buf[0] & 0x0f;
    h->masked = masked;
    memset(h->mask, 0, sizeof h->mask);
    if (masked) memcpy(h->mask, buf + 2 + ext, 4);
    h->length = length;
    h->header_len = header_len;
    return FRAME_OK;
}

/* RFC 6455 §5.2, the shortest length form; §5.3 for the key. */
size_t frame_write(unsigned char *out, bool fin, unsigned opcode, uint64_t length,
                   const unsigned char mask[4]) {
    size_t n = 2;
    out[0] = (unsigned char)((fin ? FIN_BIT : 0) | (opcode & 0x0f));
    out[1] = mask != NULL ? MASK_BIT : 0;
    if (length < LEN16) {
        out[1] |= (unsigned char)length;
    } else if (length <= 0xffff) {
        out[1] |= LEN16;
        store_be(out + 2, length, 2);
        n += 2;
    } else {
        out[1] |= LEN64;
        store_be(out + 2, length, 8);
        n += 8;
    }
    if (mask != NULL) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

/* RFC 6455 §5.3: byte i of the payload is XORed with mask[i % 4]. */
void frame_mask(unsigned char *data, size_t len, const unsigned char mask[4], uint64_t offset) {
    /* The key lined up with data[0], twice over: 8 bytes that fit any
     * 8-byte stretch of data, since 8 is a multiple of 4. Built in memory
     * order, it is right whatever the machine's byte order. */
    unsigned char key[8];
    for (int i = 0; i < 8; i++) key[i] = mask[(offset + (uint64_t)i) % 4];
    uint64_t k;
    memcpy(&k, key, sizeof k);

    /* memcpy in and out of a uint64_t is how C reads a word at any address
     * without undefined behaviour; compilers make it a plain load (and
     * vectorise the loop). */
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, sizeof w);
        w ^= k;
        memcpy(data + i, &w, sizeof w);
    }
    for (; i < len; i++) data[i] ^= key[i % 8];
}

/* RFC 6455 §5.3: "unpredictable" keys, from the kernel's generator. A
 * request of up to 256 bytes is never cut short or interrupted once the
 * generator is ready (getrandom(2)). */
int frame_random_mask(unsigned char mask[4]) {
    return getrandom(mask, 4, 0) == 4 ? 0 : -1;
}
