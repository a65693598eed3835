/*
 * fuzz_frame — libFuzzer target for the frame header parser and masking.
 *
 * lab: 03-framing
 *
 * The same input is used three ways:
 *
 *   1. frame_parse on the whole input, and on each of its first 14 prefixes,
 *      against a decoder written here from RFC 6455 §5.2: the same status
 *      (FRAME_OK, NEED_MORE, or BAD for a length not in its shortest form or
 *      with the top bit set) and, when OK, the same fields; header_len is
 *      2..14 and within the input. A parser may call a length bad as soon
 *      as the bytes that make it bad have arrived, or wait for the whole
 *      header: both are accepted. Bytes past each prefix are poisoned for
 *      AddressSanitizer, so a parser that peeks past `len` is caught;
 *   2. frame_write, given the fields of a header that parsed, writes the
 *      same bytes back (with the RSV bits, which it does not take, clear):
 *      a header that parses is in its shortest form, and there is only one
 *      such form. And for a length and flags taken from the input,
 *      frame_write's header has the size §5.2 gives and parses back;
 *   3. frame_mask (key = bytes 0..3, offset = bytes 4..11, address alignment
 *      = byte 12, payload = the rest) equals a byte-by-byte XOR with
 *      key[(offset + i) % 4]; done in two pieces at any split it is the same;
 *      done twice it gives the payload back. The bytes around the payload
 *      are poisoned, so a word-at-a-time loop that strays is caught.
 *
 * Any broken promise calls abort(), which libFuzzer reports as a crash and
 * saves the input. Seeds: corpus/frame/. Build: see tests/fuzz/README.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if __has_feature(address_sanitizer) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size)   ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_frame: %s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MASK_SETUP 13 /* key (4), offset (8), alignment (1) */

/* ---- an independent reading of §5.2 --------------------------------------- */

static uint64_t big_endian(const unsigned char *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* The header at b[0..len), decoded as the RFC draws it. With `early`, a bad
 * length is reported as soon as the bytes that prove it are there (the top
 * bit of a 64-bit length is in its first byte); without, only once the whole
 * header is. */
static enum frame_status reference(const unsigned char *b, size_t len, bool early,
                                   struct frame_header *h) {
    if (len < 2) return FRAME_NEED_MORE;
    unsigned len7 = b[1] & 0x7f;
    size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    bool masked = b[1] & 0x80;
    size_t need = 2 + ext + (masked ? 4 : 0);
    if (early && len7 == 127 && len >= 3 && (b[2] & 0x80)) return FRAME_BAD;
    if (len < (early ? 2 + ext : need)) return FRAME_NEED_MORE;
    uint64_t length = ext ? big_endian(b + 2, ext) : len7;
    if ((len7 == 126 && length < 126) || (len7 == 127 && (length < 65536 || length >> 63)))
        return FRAME_BAD;
    if (len < need) return FRAME_NEED_MORE;
    h->fin = b[0] & 0x80;
    h->rsv = (b[0] >> 4) & 7;
    h->opcode = b[0] & 0x0f;
    h->masked = masked;
    if (masked) memcpy(h->mask, b + 2 + ext, 4);
    h->length = length;
    h->header_len = need;
    return FRAME_OK;
}

static bool same_header(const struct frame_header *a, const struct frame_header *b) {
    return a->fin == b->fin && a->rsv == b->rsv && a->opcode == b->opcode &&
           a->masked == b->masked && (!a->masked || memcmp(a->mask, b->mask, 4) == 0) &&
           a->length == b->length && a->header_len == b->header_len;
}

/* ---- 1 and 2: parsing and writing ------------------------------------------ */

/* frame_parse on buf[0..len) with the bytes up to `size` poisoned. */
static enum frame_status parse_prefix(const unsigned char *buf, size_t len, size_t size,
                                      struct frame_header *h) {
    ASAN_POISON_MEMORY_REGION(buf + len, size - len);
    enum frame_status st = frame_parse(buf, len, h);
    ASAN_UNPOISON_MEMORY_REGION(buf + len, size - len);
    return st;
}

static void check_parse(const unsigned char *buf, size_t size) {
    struct frame_header got, want;
    for (size_t len = 0; len <= size && len <= FRAME_MAX_HEADER; len++) {
        enum frame_status st = parse_prefix(buf, len, size, &got);
        enum frame_status late = reference(buf, len, false, &want);
        enum frame_status early = reference(buf, len, true, &want);
        MUST(st == late || st == early);
        if (st == FRAME_OK) MUST(same_header(&got, &want));
    }
    enum frame_status st = frame_parse(buf, size, &got);
    MUST(st == reference(buf, size, false, &want));
    if (st != FRAME_OK) return;
    MUST(same_header(&got, &want));
    MUST(got.header_len >= 2 && got.header_len <= FRAME_MAX_HEADER && got.header_len <= size);

    /* The one shortest form: frame_write gives the same bytes back. */
    unsigned char out[FRAME_MAX_HEADER];
    size_t n = frame_write(out, got.fin, got.opcode, got.length, got.masked ? got.mask : NULL);
    MUST(n == got.header_len);
    MUST(out[0] == (buf[0] & 0x8f)); /* RSV bits clear */
    MUST(memcmp(out + 1, buf + 1, n - 1) == 0);
}

/* A header written from fields taken from the input parses back to them. */
static void check_write(const unsigned char *in) {
    bool fin = in[0] & 1, masked = in[3] & 1;
    unsigned opcode = in[1] & 0x0f;
    /* Shifted right by 0..63 bits, so that short lengths are as common as long. */
    uint64_t length = (big_endian(in + 4, 8) >> (in[2] & 63)) & ~(1ull << 63);
    unsigned char out[FRAME_MAX_HEADER + 1];
    size_t n = frame_write(out, fin, opcode, length, masked ? in : NULL);
    size_t ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
    MUST(n == 2 + ext + (masked ? 4 : 0));
    struct frame_header h;
    MUST(frame_parse(out, n, &h) == FRAME_OK);
    MUST(h.fin == fin && h.rsv == 0 && h.opcode == opcode && h.masked == masked);
    MUST(h.length == length && h.header_len == n);
    if (masked) MUST(memcmp(h.mask, in, 4) == 0);
    MUST(frame_parse(out, n - 1, &h) == FRAME_NEED_MORE);
}

/* ---- 3: masking ------------------------------------------------------------- */

static void check_mask(const unsigned char *in, size_t size) {
    const unsigned char *key = in;
    uint64_t offset = 0;
    for (int i = 11; i >= 4; i--) offset = offset << 8 | in[i];
    size_t align = in[12] & 7, len = size - MASK_SETUP;
    const unsigned char *payload = in + MASK_SETUP;
    unsigned char *area = malloc(len + 16), *want = malloc(len + 1);
    MUST(area != NULL && want != NULL);
    unsigned char *data = area + align;
    for (size_t i = 0; i < len; i++) want[i] = payload[i] ^ key[(offset + i) % 4];

    /* Only data[0..len) may be touched. */
    ASAN_POISON_MEMORY_REGION(area, align);
    ASAN_POISON_MEMORY_REGION(data + len, 16 - align);
    memcpy(data, payload, len);
    frame_mask(data, len, key, offset);
    MUST(memcmp(data, want, len) == 0);
    frame_mask(data, len, key, offset);
    MUST(memcmp(data, payload, len) == 0);

    /* In two pieces, the second going on at the offset where the first
     * stopped: what a server does with a payload that arrives in parts. */
    size_t split = len ? ((size_t)in[4] << 8 | in[5]) % (len + 1) : 0;
    frame_mask(data, split, key, offset);
    frame_mask(data + split, len - split, key, offset + split);
    MUST(memcmp(data, want, len) == 0);
    ASAN_UNPOISON_MEMORY_REGION(area, len + 16);
    free(area);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, so that the parser's view ends exactly at the input's
     * end and the poisoning above does not touch libFuzzer's buffer. */
    unsigned char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    check_parse(buf, size);
    if (size >= MASK_SETUP) {
        check_write(buf);
        check_mask(buf, size);
    }
    free(buf);
    return 0;
}
