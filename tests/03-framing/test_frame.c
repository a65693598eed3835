/*
 * Lab 3, task 1 — frame headers and masking (frame.c).
 *
 * The expected bytes are written out here from RFC 6455 §5.2 and the
 * examples of §5.7, byte for byte, never computed by the code under test.
 * frame_mask is compared with a naive loop written in this file (one byte at
 * a time, key[(offset + i) % 4]) at every key offset, length and alignment,
 * and in pieces against the whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "harness.h"
#include "support.h"

#define HINT_PARSE                                                                                 \
    "TUTORIAL §3.1 \"The frame\"; RFC 6455 §5.2 (the header: FIN, RSV1-3, opcode, MASK, the "    \
    "7-bit length, then 16 or 64 bits of length if it is 126 or 127, then the 4-byte key)"
#define HINT_WRITE                                                                                 \
    "TUTORIAL §3.1 \"The frame\"; RFC 6455 §5.2 (the shortest length form), §5.7 (examples); "  \
    "frame.h (frame_write: masked with `mask` unless it is NULL)"
#define HINT_MINIMAL                                                                               \
    "TUTORIAL §3.1; RFC 6455 §5.2: \"the minimal number of bytes MUST be used to encode the "    \
    "length\", and the 64-bit length's most significant bit MUST be 0"
#define HINT_MASK                                                                                  \
    "TUTORIAL §3.2 \"Masking\"; RFC 6455 §5.3: octet i of the payload is XORed with octet "      \
    "(i mod 4) of the key — i counts from the start of the payload, so a piece that starts at "  \
    "`offset` starts with key[offset % 4]; a word at a time must not read or write past len, "     \
    "and must work at any address"

/* ---- the RFC's examples ------------------------------------------------------------ */

/* RFC 6455 §5.7, as printed there. */
static const unsigned char HELLO_UNMASKED[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
static const unsigned char HELLO_MASKED[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                             0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const unsigned char HEL_FIRST[] = {0x01, 0x03, 0x48, 0x65, 0x6c};
static const unsigned char LO_LAST[] = {0x80, 0x02, 0x6c, 0x6f};
static const unsigned char PING_UNMASKED[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
static const unsigned char PONG_MASKED[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                            0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const unsigned char BIN_256_HEAD[] = {0x82, 0x7E, 0x01, 0x00};
static const unsigned char BIN_64K_HEAD[] = {0x82, 0x7F, 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x01, 0x00, 0x00};
static const unsigned char RFC_KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

struct example {
    const char *name;
    const unsigned char *bytes;
    size_t len;
    bool fin;
    unsigned opcode;
    bool masked;
    uint64_t length;
    size_t header_len;
    const char *payload; /* unmasked, for the short ones */
};

static const struct example EXAMPLES[] = {
    {"a single-frame unmasked text message", HELLO_UNMASKED, sizeof HELLO_UNMASKED, true, 0x1,
     false, 5, 2, "Hello"},
    {"a single-frame masked text message", HELLO_MASKED, sizeof HELLO_MASKED, true, 0x1, true, 5, 6,
     "Hello"},
    {"the first fragment of an unmasked text message", HEL_FIRST, sizeof HEL_FIRST, false, 0x1,
     false, 3, 2, "Hel"},
    {"the last fragment (continuation) of it", LO_LAST, sizeof LO_LAST, true, 0x0, false, 2, 2,
     "lo"},
    {"an unmasked ping", PING_UNMASKED, sizeof PING_UNMASKED, true, 0x9, false, 5, 2, "Hello"},
    {"a masked pong", PONG_MASKED, sizeof PONG_MASKED, true, 0xA, true, 5, 6, "Hello"},
    {"a 256-byte binary message (16-bit length)", BIN_256_HEAD, sizeof BIN_256_HEAD, true, 0x2,
     false, 256, 4, NULL},
    {"a 64 KiB binary message (64-bit length)", BIN_64K_HEAD, sizeof BIN_64K_HEAD, true, 0x2, false,
     65536, 10, NULL},
};
#define NEXAMPLES (sizeof EXAMPLES / sizeof EXAMPLES[0])

static void check_header(const struct frame_header *h, const struct example *e) {
    CASE_INT(h->fin, e->fin);
    CASE_INT(h->rsv, 0);
    CASE_INT(h->opcode, e->opcode);
    CASE_INT(h->masked, e->masked);
    CASE_INT(h->length, e->length);
    CASE_INT(h->header_len, e->header_len);
    if (e->masked) CASE_MEM(h->mask, 4, RFC_KEY, 4);
}

TEST(rfc_examples_parse, .id = "3.1.1", .points = 2,
     .title = "the examples of RFC 6455 §5.7 parse into the right fields, and the masked "
              "payloads unmask to \"Hello\"",
     .hint = HINT_PARSE " and §5.7 (the examples); TUTORIAL §3.2 for the unmasking") {
    for (size_t i = 0; i < NEXAMPLES; i++) {
        const struct example *e = &EXAMPLES[i];
        set_case("example %zu: %s: \"%s\"", i + 1, e->name, t_escape(e->bytes, e->len, 40));
        struct frame_header h;
        memset(&h, 0xAB, sizeof h);
        CASE_INT(frame_parse(e->bytes, e->len, &h), FRAME_OK);
        check_header(&h, e);
        if (e->payload) {
            unsigned char payload[16];
            size_t n = e->len - e->header_len;
            memcpy(payload, e->bytes + e->header_len, n);
            if (h.masked) frame_mask(payload, n, h.mask, 0);
            CASE_MEM(payload, n, e->payload, strlen(e->payload));
        }
    }
}

TEST(rfc_examples_write, .id = "3.1.2", .points = 2,
     .title = "frame_write produces the headers of RFC 6455 §5.7 byte for byte (unmasked, and "
              "masked with 37 fa 21 3d)",
     .hint = HINT_WRITE) {
    for (size_t i = 0; i < NEXAMPLES; i++) {
        const struct example *e = &EXAMPLES[i];
        set_case("example %zu: %s", i + 1, e->name);
        unsigned char out[FRAME_MAX_HEADER + 8];
        memset(out, 0xEE, sizeof out);
        size_t n = frame_write(out, e->fin, e->opcode, e->length, e->masked ? RFC_KEY : NULL);
        CASE_MEM(out, n, e->bytes, e->header_len);
        CASE_INT(out[n], 0xEE); /* nothing written past the header */
    }
    /* With the payload: the header, then "Hello" masked by the test's own
     * loop, is the RFC's frame. */
    set_case("the whole masked \"Hello\" frame");
    unsigned char frame[16];
    size_t n = frame_write(frame, true, WS_OP_TEXT, 5, RFC_KEY);
    memcpy(frame + n, "Hello", 5);
    naive_mask(frame + n, 5, RFC_KEY, 0);
    CASE_MEM(frame, n + 5, HELLO_MASKED, sizeof HELLO_MASKED);
}

/* ---- lengths --------------------------------------------------------------------- */

/* Every boundary of the three length forms, with its unmasked header
 * (binary, FIN) written out by hand from RFC 6455 §5.2. */
struct boundary {
    uint64_t length;
    unsigned char head[10];
    size_t head_len;
};

static const struct boundary BOUNDARIES[] = {
    {0, {0x82, 0x00}, 2},
    {1, {0x82, 0x01}, 2},
    {125, {0x82, 0x7D}, 2},
    {126, {0x82, 0x7E, 0x00, 0x7E}, 4},
    {127, {0x82, 0x7E, 0x00, 0x7F}, 4},
    {128, {0x82, 0x7E, 0x00, 0x80}, 4},
    {256, {0x82, 0x7E, 0x01, 0x00}, 4},
    {65535, {0x82, 0x7E, 0xFF, 0xFF}, 4},
    {65536, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}, 10},
    {16777216, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}, 10},
    {4294967301ull, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05}, 10},
    {0x0102030405060708ull, {0x82, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, 10},
    {0x7FFFFFFFFFFFFFFFull, {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 10},
};
#define NBOUNDARIES (sizeof BOUNDARIES / sizeof BOUNDARIES[0])

static const unsigned char KEY[4] = {0xA1, 0x5E, 0x03, 0xC4};

/* The boundary's header, masked with KEY if asked: the MASK bit set in the
 * second byte and the key appended. */
static size_t boundary_header(const struct boundary *b, bool masked, unsigned char *out) {
    memcpy(out, b->head, b->head_len);
    if (!masked) return b->head_len;
    out[1] |= 0x80;
    memcpy(out + b->head_len, KEY, 4);
    return b->head_len + 4;
}

TEST(length_boundaries, .id = "3.1.3", .points = 3,
     .title = "every length boundary (0, 125, 126, 127, 65535, 65536, 2^32+5, 2^63-1), masked "
              "and not, is written in its shortest form and parsed back",
     .hint = HINT_WRITE "; " HINT_PARSE) {
    for (size_t i = 0; i < NBOUNDARIES; i++) {
        for (int masked = 0; masked <= 1; masked++) {
            const struct boundary *b = &BOUNDARIES[i];
            unsigned char want[16], out[FRAME_MAX_HEADER + 4];
            size_t want_len = boundary_header(b, masked, want);
            set_case("length %llu, %s", (unsigned long long)b->length,
                     masked ? "masked with a1 5e 03 c4" : "unmasked");
            memset(out, 0xEE, sizeof out);
            size_t n = frame_write(out, true, WS_OP_BINARY, b->length, masked ? KEY : NULL);
            CASE_MEM(out, n, want, want_len);
            CASE_INT(out[n], 0xEE);

            /* Parsed with payload bytes after it, the header is read alone. */
            unsigned char in[32];
            memcpy(in, want, want_len);
            memset(in + want_len, 0x5A, sizeof in - want_len);
            struct frame_header h;
            memset(&h, 0xAB, sizeof h);
            CASE_INT(frame_parse(in, sizeof in, &h), FRAME_OK);
            CASE_INT(h.length, b->length);
            CASE_INT(h.header_len, want_len);
            CASE_INT(h.masked, masked);
            CASE_INT(h.fin, 1);
            CASE_INT(h.opcode, WS_OP_BINARY);
            CASE_INT(h.rsv, 0);
            if (masked) CASE_MEM(h.mask, 4, KEY, 4);
        }
    }
}

TEST(need_more, .id = "3.1.4", .points = 2,
     .title = "every proper prefix of a header (each length form, masked and not) is "
              "FRAME_NEED_MORE; the whole header is FRAME_OK",
     .hint = HINT_PARSE "; frame.h: FRAME_NEED_MORE until all 2 to 14 header bytes are there "
                        "(never read past len)") {
    for (size_t i = 0; i < NBOUNDARIES; i++) {
        for (int masked = 0; masked <= 1; masked++) {
            const struct boundary *b = &BOUNDARIES[i];
            unsigned char want[16];
            size_t want_len = boundary_header(b, masked, want);
            for (size_t k = 0; k <= want_len; k++) {
                /* Exactly k bytes on the heap: reading past them is caught by
                 * the sanitizers (make test SAN=1). */
                unsigned char *in = malloc(k ? k : 1);
                memcpy(in, want, k);
                set_case("the first %zu of the %zu header bytes \"%s\" (length %llu, %s)", k,
                         want_len, t_escape(want, want_len, 80), (unsigned long long)b->length,
                         masked ? "masked" : "unmasked");
                struct frame_header h;
                CASE_INT(frame_parse(in, k, &h), k < want_len ? FRAME_NEED_MORE : FRAME_OK);
                free(in);
            }
        }
    }
}

TEST(non_minimal, .id = "3.1.5", .points = 2,
     .title = "a length not in its shortest form, or with the 64-bit top bit set, is FRAME_BAD; "
              "its neighbours in the right form are FRAME_OK",
     .hint = HINT_MINIMAL) {
    static const struct {
        unsigned char head[10];
        size_t len;
        int want;
        const char *why;
    } cases[] = {
        {{0x82, 0x7E, 0x00, 0x00}, 4, FRAME_BAD, "0 in the 16-bit form"},
        {{0x82, 0x7E, 0x00, 0x05}, 4, FRAME_BAD, "5 in the 16-bit form"},
        {{0x82, 0x7E, 0x00, 0x7D}, 4, FRAME_BAD, "125 in the 16-bit form"},
        {{0x82, 0x7E, 0x00, 0x7E}, 4, FRAME_OK, "126 in the 16-bit form"},
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x00}, 10, FRAME_BAD, "0 in the 64-bit form"},
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x7D}, 10, FRAME_BAD, "125 in the 64-bit form"},
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x7E}, 10, FRAME_BAD, "126 in the 64-bit form"},
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 10, FRAME_BAD, "65535 in the 64-bit form"},
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0x00, 0x00}, 10, FRAME_OK, "65536 in the 64-bit form"},
        {{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, FRAME_BAD, "2^63 (the top bit)"},
        {{0x82, 0x7F, 0x80, 0, 0, 0, 0, 1, 0, 0}, 10, FRAME_BAD, "2^63 + 65536 (the top bit)"},
        {{0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
         10,
         FRAME_BAD,
         "2^64 - 1 (the top bit)"},
        {{0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
         10,
         FRAME_OK,
         "2^63 - 1 (the largest length)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int masked = 0; masked <= 1; masked++) {
            unsigned char in[16];
            memcpy(in, cases[i].head, cases[i].len);
            size_t len = cases[i].len;
            if (masked) {
                in[1] |= 0x80;
                memcpy(in + len, KEY, 4);
                len += 4;
            }
            set_case("%s, %s: \"%s\"", cases[i].why, masked ? "masked" : "unmasked",
                     t_escape(in, len, 80));
            struct frame_header h;
            CASE_INT(frame_parse(in, len, &h), cases[i].want);
        }
    }
}

TEST(first_byte, .id = "3.1.6", .points = 1,
     .title = "every first byte (FIN, RSV1-3, opcode 0-15) and the MASK bit are read as sent, "
              "even values the protocol forbids (that is ws's business)",
     .hint = HINT_PARSE "; frame.h (rsv: RSV1 = 4, RSV2 = 2, RSV3 = 1; opcode 0..15 as sent)") {
    for (unsigned b0 = 0; b0 < 256; b0++) {
        for (int masked = 0; masked <= 1; masked++) {
            unsigned char in[] = {(unsigned char)b0,
                                  (unsigned char)(masked ? 0x83 : 0x03),
                                  0x11,
                                  0x22,
                                  0x33,
                                  0x44,
                                  'a',
                                  'b',
                                  'c'};
            set_case("first byte %02x, second byte %02x", b0, in[1]);
            struct frame_header h;
            CASE_INT(frame_parse(in, sizeof in, &h), FRAME_OK);
            CASE_INT(h.fin, b0 >> 7);
            CASE_INT(h.rsv, (b0 >> 4) & 7);
            CASE_INT(h.opcode, b0 & 15);
            CASE_INT(h.masked, masked);
            CASE_INT(h.length, 3);
            CASE_INT(h.header_len, masked ? 6 : 2);
        }
    }
}

TEST(write_fields, .id = "3.1.7", .points = 1,
     .title = "frame_write sets FIN and the opcode as asked (fragments, continuations, control "
              "frames) and returns the header's size",
     .hint = HINT_WRITE) {
    static const struct {
        bool fin;
        unsigned opcode;
        uint64_t length;
        bool masked;
        unsigned char want[14];
        size_t want_len;
    } cases[] = {
        {false, 0x1, 3, false, {0x01, 0x03}, 2},
        {false, 0x0, 0, false, {0x00, 0x00}, 2},
        {true, 0x0, 2, false, {0x80, 0x02}, 2},
        {true, 0x8, 2, false, {0x88, 0x02}, 2},
        {true, 0x9, 0, true, {0x89, 0x80, 0xA1, 0x5E, 0x03, 0xC4}, 6},
        {true, 0xA, 125, true, {0x8A, 0xFD, 0xA1, 0x5E, 0x03, 0xC4}, 6},
        {false, 0x2, 300, true, {0x02, 0xFE, 0x01, 0x2C, 0xA1, 0x5E, 0x03, 0xC4}, 8},
        {false, 0x0, 65536, true, {0x00, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 0xA1, 0x5E, 0x03, 0xC4}, 14},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_case("fin %d, opcode %u, length %llu, %s", cases[i].fin, cases[i].opcode,
                 (unsigned long long)cases[i].length, cases[i].masked ? "masked" : "unmasked");
        unsigned char out[FRAME_MAX_HEADER];
        size_t n = frame_write(out, cases[i].fin, cases[i].opcode, cases[i].length,
                               cases[i].masked ? KEY : NULL);
        CASE_INT(n, cases[i].want_len);
        CASE_MEM(out, n, cases[i].want, cases[i].want_len);
    }
}

/* ---- masking --------------------------------------------------------------------- */

/* A 4-byte key at an odd address: frame_mask may not assume alignment. */
static const unsigned char *odd_key(unsigned char storage[8]) {
    static const unsigned char key[4] = {0x9C, 0x21, 0xF7, 0x4B};
    memcpy(storage + 1, key, 4);
    return storage + 1;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 31 + seed * 7 + (i >> 5));
}

TEST(mask_offsets, .id = "3.1.8", .points = 3,
     .title = "frame_mask equals a byte-by-byte XOR at every key offset, every length 0-70 and "
              "every alignment 0-7, and writes nothing outside the data",
     .hint = HINT_MASK) {
    static const uint64_t offsets[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 13, 4294967297ull, 4294967298ull, 0xFFFFFFFFFFFFFFFFull};
    unsigned char key_storage[8];
    const unsigned char *key = odd_key(key_storage);
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
        for (size_t len = 0; len <= 70; len++) {
            for (size_t align = 0; align < 8; align++) {
                unsigned char got[96], want[96];
                fill(got, sizeof got, (unsigned)(len + align));
                memcpy(want, got, sizeof got);
                naive_mask(want + 8 + align, len, key, offsets[o]);
                frame_mask(got + 8 + align, len, key, offsets[o]);
                if (memcmp(got, want, sizeof got) != 0) {
                    set_case("offset %llu, %zu bytes at an address %zu bytes past 8-aligned "
                             "(the data is bytes 8+%zu..8+%zu of the buffer shown)",
                             (unsigned long long)offsets[o], len, align, align, align + len);
                    CASE_MEM(got, sizeof got, want, sizeof want);
                }
            }
        }
    }
}

TEST(mask_pieces, .id = "3.1.9", .points = 2,
     .title = "masking a payload in pieces (each with its offset) equals masking it whole, and "
              "masking twice gives the data back",
     .hint = HINT_MASK) {
    enum { N = 5000 };
    unsigned char *whole = malloc(N), *pieces = malloc(N + 1), *original = malloc(N);
    unsigned char key_storage[8];
    const unsigned char *key = odd_key(key_storage);
    unsigned rng = 12345;
    for (int round = 0; round < 40; round++) {
        fill(original, N, (unsigned)round);
        memcpy(whole, original, N);
        naive_mask(whole, N, key, 0);
        /* The pieces sit one byte past the malloc'd address: misaligned. */
        unsigned char *data = pieces + 1;
        memcpy(data, original, N);
        size_t at = 0, count = 0;
        while (at < N) {
            rng = rng * 1103515245u + 12345u;
            size_t piece = round < 4 ? (size_t)round + 1 : 1 + (rng >> 16) % 97;
            if (piece > N - at) piece = N - at;
            frame_mask(data + at, piece, key, at);
            at += piece;
            count++;
        }
        set_case("round %d: %zu pieces (%s)", round, count,
                 round < 4 ? "all of the same size" : "of random sizes 1-97");
        CASE_MEM(data, N, whole, N);
        frame_mask(data, N, key, 0);
        set_case("round %d: masking the masked data again, whole", round);
        CASE_MEM(data, N, original, N);
    }
    free(whole), free(pieces), free(original);
}

TEST(mask_big, .id = "3.1.10", .points = 1,
     .title = "frame_mask over 1 MiB + 3 bytes at an odd address, from offset 2, equals the "
              "byte-by-byte XOR",
     .hint = HINT_MASK) {
    size_t n = (1u << 20) + 3;
    unsigned char *got = malloc(n + 1), *want = malloc(n);
    fill(got + 1, n, 99);
    memcpy(want, got + 1, n);
    unsigned char key_storage[8];
    const unsigned char *key = odd_key(key_storage);
    naive_mask(want, n, key, 2);
    frame_mask(got + 1, n, key, 2);
    CHECK_MEM(got + 1, n, want, n);
    free(got), free(want);
}

TEST(random_mask, .id = "3.1.11", .points = 1,
     .title = "frame_random_mask returns 0 and sixteen calls give sixteen different keys",
     .hint = "TUTORIAL §3.2 \"Masking\"; RFC 6455 §5.3 (the key MUST be unpredictable: a fresh "
             "key from a strong source for each frame), §10.3; getrandom(2)") {
    uint32_t keys[16];
    for (int i = 0; i < 16; i++) {
        unsigned char key[4] = {0, 0, 0, 0};
        set_case("call %d", i + 1);
        CASE_INT(frame_random_mask(key), 0);
        keys[i] = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
        for (int j = 0; j < i; j++)
            if (keys[j] == keys[i])
                FAILF("expected: a fresh key on every call\n     got: %08x on calls %d and %d",
                      keys[i], j + 1, i + 1);
    }
}
