/*
 * Lab 2, task 2 — base64 (base64.c).
 *
 * The expected texts come from RFC 4648 §10 and from vectors/vectors.h,
 * computed by Python's base64 module (see vectors/gen_vectors.py). The
 * decoder is strict (base64.h): every way of refusing is checked with its
 * exact status, each beside valid texts that must still decode, so a decoder
 * that refuses everything fails as surely as one that accepts everything.
 * Output buffers carry a few guard bytes past what the function may write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "harness.h"
#include "support.h"
#include "vectors/vectors.h"

#define HINT_ENCODE                                                                                \
    "TUTORIAL §2.3 \"SHA-1 and base64\"; RFC 4648 §4 (3 bytes -> 4 characters, \"=\" pads the "  \
    "last group), §10 (test vectors)"
#define HINT_DECODE "TUTORIAL §2.3; RFC 4648 §4 (the alphabet and padding), §10 (test vectors)"
#define HINT_STRICT                                                                                \
    "TUTORIAL §2.3 (why the decoder is strict); base64.h; RFC 4648 §3.3 (characters outside "    \
    "the alphabet), §3.5 (canonical encoding: pad bits are zero)"

/* A string literal and its length (it may hold NUL bytes). */
#define S(lit) lit, sizeof lit - 1
#define GUARD  0xEE

static const char *status_name(int status) {
    switch (status) {
    case BASE64_OK:
        return "BASE64_OK (0)";
    case BASE64_BAD_CHAR:
        return "BASE64_BAD_CHAR (-1)";
    case BASE64_BAD_PADDING:
        return "BASE64_BAD_PADDING (-2)";
    case BASE64_BAD_LENGTH:
        return "BASE64_BAD_LENGTH (-3)";
    case BASE64_NO_ROOM:
        return "BASE64_NO_ROOM (-4)";
    default:
        return "a status base64.h does not define";
    }
}

/* ---- checks ---------------------------------------------------------------- */

static void check_encode_at(const char *file, int line, const void *data, size_t len,
                            const char *want) {
    size_t room = BASE64_ENCODED_LEN(len) + 1;
    char *out = malloc(room + 4);
    memset(out, GUARD, room + 4);
    size_t n = base64_encode(data, len, out);
    const char *input = t_escape(data, len, 24);
    char call[160];
    snprintf(call, sizeof call, "base64_encode(\"%s\", %zu)", input, len);
    if (n != strlen(want))
        t_failf(file, line, "expected: %s to return %zu (characters written)\n     got: %zu", call,
                strlen(want), n);
    if (memcmp(out, want, n) != 0)
        t_failf(file, line, "expected: %s to write \"%s\"\n     got: \"%s\"", call, want,
                t_escape(out, n, 200));
    if (out[n] != '\0')
        t_failf(file, line, "expected: %s to end the text with a NUL\n     got: byte 0x%02x", call,
                (unsigned char)out[n]);
    for (size_t i = room; i < room + 4; i++)
        if ((unsigned char)out[i] != GUARD)
            t_failf(file, line,
                    "expected: %s to write at most BASE64_ENCODED_LEN(%zu) + 1 = %zu "
                    "bytes\n     got: byte %zu was written",
                    call, len, room, i);
    free(out);
}
#define CHECK_ENCODE(data, len, want) check_encode_at(__FILE__, __LINE__, data, len, want)

/* Decodes text[0..len) into a buffer of cap bytes (with guard bytes after
 * it); returns the status, the bytes in out and their count in *out_len. */
static int decode_at(const char *file, int line, const char *text, size_t len, size_t cap,
                     unsigned char *out, size_t *out_len) {
    memset(out, GUARD, cap + 4);
    *out_len = 0xBADC0DE;
    int st = base64_decode(text, len, out, cap, out_len);
    for (size_t i = cap; i < cap + 4; i++)
        if (out[i] != GUARD)
            t_failf(file, line,
                    "expected: base64_decode(\"%s\", %zu, out, cap %zu) to write "
                    "nothing past out[cap - 1]\n     got: out[%zu] was written (%s)",
                    t_escape(text, len, 60), len, cap, i, status_name(st));
    return st;
}

static void check_decode_at(const char *file, int line, const char *text, size_t len,
                            const void *want, size_t want_len, size_t cap) {
    unsigned char *out = malloc(cap + 4);
    size_t out_len;
    int st = decode_at(file, line, text, len, cap, out, &out_len);
    char call[200];
    snprintf(call, sizeof call, "base64_decode(\"%s\", %zu, out, cap %zu, &out_len)",
             t_escape(text, len, 80), len, cap);
    if (st != BASE64_OK)
        t_failf(file, line, "expected: %s to return BASE64_OK (0)\n     got: %s", call,
                status_name(st));
    if (out_len != want_len)
        t_failf(file, line, "expected: %s to set out_len = %zu\n     got: %zu", call, want_len,
                out_len);
    if (want_len && memcmp(out, want, want_len) != 0) {
        char got[600];
        snprintf(got, sizeof got, "%s", t_escape(out, out_len, 120));
        t_failf(file, line, "expected: %s to give \"%s\"\n     got: \"%s\"", call,
                t_escape(want, want_len, 120), got);
    }
    free(out);
}
#define CHECK_DECODE(text, len, want, want_len)                                                    \
    check_decode_at(__FILE__, __LINE__, text, len, want, want_len, BASE64_DECODED_MAX(len) + 1)
#define CHECK_DECODE_CAP(text, len, want, want_len, cap)                                           \
    check_decode_at(__FILE__, __LINE__, text, len, want, want_len, cap)

static void check_refused_at(const char *file, int line, const char *text, size_t len, size_t cap,
                             int status) {
    unsigned char out[256 + 4];
    size_t out_len;
    int st = decode_at(file, line, text, len, cap, out, &out_len);
    if (st != status)
        t_failf(file, line,
                "expected: base64_decode(\"%s\", %zu, out, cap %zu) to return %s\n"
                "     got: %s",
                t_escape(text, len, 80), len, cap, status_name(status), status_name(st));
    const char *why = base64_strerror(st);
    if (!why || !*why)
        t_failf(file, line, "expected: base64_strerror(%d) to describe %s\n     got: %s", st,
                status_name(st), why ? "\"\"" : "NULL");
}
/* text is a string literal (it may hold NUL bytes); out has room to spare. */
#define CHECK_REFUSED(lit, status) check_refused_at(__FILE__, __LINE__, S(lit), 256, status)
#define CHECK_NO_ROOM(lit, cap)    check_refused_at(__FILE__, __LINE__, S(lit), cap, BASE64_NO_ROOM)

/* ---- RFC 4648 §10 ------------------------------------------------------------- */

static const struct {
    const char *data, *text;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(rfc_encode, .id = "2.2.1", .points = 2,
     .title = "encodes the RFC 4648 §10 vectors: \"f\" -> \"Zg==\" ... \"foobar\" -> \"Zm9vYmFy\"",
     .hint = HINT_ENCODE) {
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++)
        CHECK_ENCODE(rfc4648[i].data, strlen(rfc4648[i].data), rfc4648[i].text);
}

TEST(rfc_decode, .id = "2.2.2", .points = 2,
     .title = "decodes the RFC 4648 §10 vectors, reading exactly len characters",
     .hint = HINT_DECODE) {
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++)
        CHECK_DECODE(rfc4648[i].text, strlen(rfc4648[i].text), rfc4648[i].data,
                     strlen(rfc4648[i].data));
    t_note("the text is not NUL-terminated: only text[0..len) counts");
    CHECK_DECODE("Zm9vYmFy", 4, "foo", 3);
    CHECK_DECODE("Zm9vYmFy", 0, "", 0);
    CHECK_DECODE("Zg==!!!!", 4, "f", 1);
}

TEST(table_both_ways, .id = "2.2.3", .points = 2,
     .title = "51 byte strings (all 256 byte values among them) encode to Python's texts and "
              "decode back",
     .hint = HINT_ENCODE " — every 6-bit value maps to one character: A-Z a-z 0-9 + /") {
    for (size_t i = 0; i < VEC_COUNT(vec_base64); i++) {
        CHECK_ENCODE(vec_base64[i].data, vec_base64[i].len, vec_base64[i].text);
        CHECK_DECODE(vec_base64[i].text, strlen(vec_base64[i].text), vec_base64[i].data,
                     vec_base64[i].len);
    }
}

TEST(round_trips, .id = "2.2.4", .points = 2,
     .title = "every length 0..300: the text is BASE64_ENCODED_LEN long and decodes to the "
              "same bytes",
     .hint = HINT_ENCODE "; base64.h (BASE64_ENCODED_LEN)") {
    enum { MAX = 300 };
    unsigned char data[MAX];
    char text[BASE64_ENCODED_LEN(MAX) + 2] = {0}; /* a NUL stays at the end, whatever happens */
    unsigned int x = 7;
    for (size_t i = 0; i < MAX; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    for (size_t len = 0; len <= MAX; len++) {
        size_t n = base64_encode(data, len, text);
        if (n != BASE64_ENCODED_LEN(len) || strlen(text) != n)
            FAILF("expected: base64_encode of %zu bytes to write and return "
                  "BASE64_ENCODED_LEN(%zu) = %zu characters\n     got: returned %zu, wrote %zu",
                  len, len, (size_t)BASE64_ENCODED_LEN(len), n, strlen(text));
        CHECK_DECODE_CAP(text, n, data, len, len);
    }
}

/* ---- refusals ----------------------------------------------------------------- */

TEST(bad_char, .id = "2.2.5", .points = 2,
     .title = "a character outside the alphabet (space, tab, CR LF, \"-\", \"_\", \".\", NUL, "
              "UTF-8) -> BASE64_BAD_CHAR",
     .hint = HINT_STRICT " — decode with a 256-entry table where every other byte is invalid") {
    CHECK_DECODE("Zm9vYmFy", 8, "foobar", 6);
    CHECK_DECODE("+/+/", 4, "\xfb\xff\xbf", 3);
    CHECK_REFUSED("Zm 9", BASE64_BAD_CHAR);
    CHECK_REFUSED(" Zm9", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9vYmF ", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9v\tYmE", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9v\r\nYm", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm-v", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm_v", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm.v", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9*", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9v\0mFy", BASE64_BAD_CHAR);
    CHECK_REFUSED("\xc3\xa9m9", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9v\x80mFy", BASE64_BAD_CHAR);
    CHECK_REFUSED("Zm9\x7f", BASE64_BAD_CHAR);
}

TEST(bad_padding, .id = "2.2.6", .points = 3,
     .title = "\"=\" in the middle, \"===\", padding where none belongs, non-zero pad bits -> "
              "BASE64_BAD_PADDING",
     .hint = HINT_STRICT " — \"=\" only as the last one or two characters; in \"QR==\" the 4 "
                         "bits left over from R are not zero") {
    CHECK_DECODE("QQ==", 4, "A", 1);
    CHECK_DECODE("QUI=", 4, "AB", 2);
    CHECK_DECODE("Zg==", 4, "f", 1);
    CHECK_DECODE("dGhlIHNhbXBsZSBub25jZQ==", 24, "the sample nonce", 16);
    t_note("\"=\" before the end");
    CHECK_REFUSED("Zm=v", BASE64_BAD_PADDING);
    CHECK_REFUSED("Z=9v", BASE64_BAD_PADDING);
    CHECK_REFUSED("=m9v", BASE64_BAD_PADDING);
    CHECK_REFUSED("Zg=a", BASE64_BAD_PADDING);
    CHECK_REFUSED("Zg==Zm9v", BASE64_BAD_PADDING);
    t_note("too much padding, or padding where none belongs");
    CHECK_REFUSED("Z===", BASE64_BAD_PADDING);
    CHECK_REFUSED("A===", BASE64_BAD_PADDING);
    CHECK_REFUSED("====", BASE64_BAD_PADDING);
    CHECK_REFUSED("Zm9v====", BASE64_BAD_PADDING);
    CHECK_REFUSED("Zm9vYmFy====", BASE64_BAD_PADDING);
    t_note("pad bits that are not zero (a non-canonical encoding, RFC 4648 §3.5)");
    CHECK_REFUSED("QR==", BASE64_BAD_PADDING);
    CHECK_REFUSED("QUJ=", BASE64_BAD_PADDING);
    CHECK_REFUSED("Zh==", BASE64_BAD_PADDING);
    CHECK_REFUSED("Zm9=", BASE64_BAD_PADDING);
    CHECK_REFUSED("dGhlIHNhbXBsZSBub25jZR==", BASE64_BAD_PADDING);
}

TEST(bad_length, .id = "2.2.7", .points = 1,
     .title = "a length that is not a multiple of 4 (unpadded text too) -> BASE64_BAD_LENGTH",
     .hint = HINT_STRICT "; RFC 4648 §4: the text is always whole groups of 4") {
    CHECK_DECODE("Zm9vYmFy", 8, "foobar", 6);
    CHECK_REFUSED("Z", BASE64_BAD_LENGTH);
    CHECK_REFUSED("Zg", BASE64_BAD_LENGTH);
    CHECK_REFUSED("Zm9", BASE64_BAD_LENGTH);
    CHECK_REFUSED("Zm9vY", BASE64_BAD_LENGTH);
    CHECK_REFUSED("Zm9vYg", BASE64_BAD_LENGTH);
    CHECK_REFUSED("Zm9vYmE", BASE64_BAD_LENGTH);
    CHECK_REFUSED("Zm9vYmFyZ", BASE64_BAD_LENGTH);
    CHECK_REFUSED("dGhlIHNhbXBsZSBub25jZQ", BASE64_BAD_LENGTH);
}

TEST(no_room, .id = "2.2.8", .points = 2,
     .title = "an output buffer too small -> BASE64_NO_ROOM, nothing written past it; an exact "
              "fit decodes",
     .hint = "base64.h: out holds cap bytes; count the real output (padding makes it shorter "
             "than BASE64_DECODED_MAX) and never write out[cap]") {
    CHECK_DECODE_CAP("Zm9vYmFy", 8, "foobar", 6, 6);
    CHECK_NO_ROOM("Zm9vYmFy", 5);
    CHECK_NO_ROOM("Zm9vYmFy", 0);
    CHECK_DECODE_CAP("Zm9vYg==", 8, "foob", 4, 4);
    CHECK_NO_ROOM("Zm9vYg==", 3);
    CHECK_DECODE_CAP("Zm9vYmE=", 8, "fooba", 5, 5);
    CHECK_NO_ROOM("Zm9vYmE=", 4);
    CHECK_DECODE_CAP("dGhlIHNhbXBsZSBub25jZQ==", 24, "the sample nonce", 16, 16);
    CHECK_NO_ROOM("dGhlIHNhbXBsZSBub25jZQ==", 15);
    CHECK_DECODE_CAP("", 0, "", 0, 0);
}
