/*
 * Lab 3, task 2 — the incremental UTF-8 validator (utf8.c).
 *
 * Every input comes with its answer: valid, cut inside a character, or the
 * index of the first byte that no valid text could have there — where a
 * fail-fast validator must say false, and not one byte earlier. The answers
 * come from the table of RFC 3629 §4 (the vectors written out in this file)
 * and from vectors/utf8_vectors.h, made by Python's strict UTF-8 decoder and
 * checked there against the RFC's table. Each input is fed whole, byte by
 * byte, and split at every position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "support.h"
#include "utf8.h"
#include "vectors/utf8_vectors.h"

#define HINT_TABLE                                                                                 \
    "TUTORIAL §3.6 \"Text must be UTF-8\"; RFC 3629 §4 (the table: C0, C1 and F5-FF never "      \
    "appear; after E0 comes A0-BF, after ED 80-9F, after F0 90-BF, after F4 80-8F; every other "   \
    "continuation byte is 80-BF)"
#define HINT_FAST                                                                                   \
    "TUTORIAL §3.6; RFC 6455 §8.1 (fail as soon as the bytes cannot be valid UTF-8); utf8.h: "    \
    "utf8_feed returns false at the first impossible byte — not at the end of the character — " \
    "and stays false"
#define HINT_SPLIT                                                                                 \
    "TUTORIAL §3.6; utf8.h: the state carries a character cut between two calls (what must "      \
    "come next, including the narrower range of the second byte after E0, ED, F0, F4)"

/* ---- checking one input ------------------------------------------------------------ */

static const char *answer_text(int answer) {
    static char text[64];
    if (answer == UTF8_VEC_VALID) return "valid";
    if (answer == UTF8_VEC_CUT) return "valid so far, but cut inside a character";
    snprintf(text, sizeof text, "invalid from byte %d", answer);
    return text;
}

/* Would feeding bytes [0, end) still be acceptable (no impossible byte)? */
static bool ok_upto(int answer, size_t end) {
    return answer < 0 || (size_t)answer >= end;
}

/* Fed whole: utf8_feed, utf8_complete and utf8_valid. */
static void check_whole(const unsigned char *p, size_t len, int answer) {
    set_case("\"%s\" (%zu bytes, %s) fed in one call", t_escape(p, len, 60), len,
             answer_text(answer));
    struct utf8_state s;
    utf8_init(&s);
    CASE_INT(utf8_feed(&s, p, len), answer < 0);
    CASE_INT(utf8_complete(&s), answer == UTF8_VEC_VALID);
    set_case("\"%s\" (%zu bytes, %s) given to utf8_valid", t_escape(p, len, 60), len,
             answer_text(answer));
    CASE_INT(utf8_valid(p, len), answer == UTF8_VEC_VALID);
}

/* Fed one byte per call: false exactly from the first impossible byte on. */
static void check_bytes(const unsigned char *p, size_t len, int answer) {
    struct utf8_state s;
    utf8_init(&s);
    for (size_t i = 0; i < len; i++) {
        set_case("\"%s\" (%zu bytes, %s) fed one byte per call: the call with byte %zu (%02x)",
                 t_escape(p, len, 60), len, answer_text(answer), i, p[i]);
        CASE_INT(utf8_feed(&s, p + i, 1), ok_upto(answer, i + 1));
    }
    set_case("\"%s\" (%zu bytes, %s) fed one byte per call, then utf8_complete",
             t_escape(p, len, 60), len, answer_text(answer));
    CASE_INT(utf8_complete(&s), answer == UTF8_VEC_VALID);
}

/* Split in two at every position. */
static void check_splits(const unsigned char *p, size_t len, int answer) {
    for (size_t k = 0; k <= len; k++) {
        set_case("\"%s\" (%zu bytes, %s) fed as bytes 0..%zu then the rest", t_escape(p, len, 60),
                 len, answer_text(answer), k);
        struct utf8_state s;
        utf8_init(&s);
        CASE_INT(utf8_feed(&s, p, k), ok_upto(answer, k));
        CASE_INT(utf8_feed(&s, p + k, len - k), answer < 0);
        CASE_INT(utf8_complete(&s), answer == UTF8_VEC_VALID);
    }
}

static void check_all_ways(const unsigned char *p, size_t len, int answer) {
    check_whole(p, len, answer);
    check_bytes(p, len, answer);
    check_splits(p, len, answer);
}

/* ---- RFC 3629, by hand ------------------------------------------------------------ */

struct vec {
    const char *bytes;
    int answer;
    const char *what;
};

#define V(lit, answer, what)                                                                       \
    { lit, answer, what }

/* Written out from the table of RFC 3629 §4. The length is strlen, so the
 * only NUL vector is tested apart. */
static const struct vec HAND[] = {
    V("", UTF8_VEC_VALID, "the empty text"),
    V("\x7f", UTF8_VEC_VALID, "U+007F, the last 1-byte code point"),
    V("\xc2\x80", UTF8_VEC_VALID, "U+0080, the first 2-byte code point"),
    V("\xdf\xbf", UTF8_VEC_VALID, "U+07FF, the last 2-byte code point"),
    V("\xe0\xa0\x80", UTF8_VEC_VALID, "U+0800, the first 3-byte code point"),
    V("\xe1\x80\x80", UTF8_VEC_VALID, "U+1000"),
    V("\xec\xbf\xbf", UTF8_VEC_VALID, "U+CFFF"),
    V("\xed\x80\x80", UTF8_VEC_VALID, "U+D000"),
    V("\xed\x9f\xbf", UTF8_VEC_VALID, "U+D7FF, just below the surrogates"),
    V("\xee\x80\x80", UTF8_VEC_VALID, "U+E000, just above the surrogates"),
    V("\xef\xbf\xbd", UTF8_VEC_VALID, "U+FFFD"),
    V("\xef\xbf\xbf", UTF8_VEC_VALID, "U+FFFF, the last 3-byte code point"),
    V("\xf0\x90\x80\x80", UTF8_VEC_VALID, "U+10000, the first 4-byte code point"),
    V("\xf0\xbf\xbf\xbf", UTF8_VEC_VALID, "U+3FFFF"),
    V("\xf1\x80\x80\x80", UTF8_VEC_VALID, "U+40000"),
    V("\xf3\xbf\xbf\xbf", UTF8_VEC_VALID, "U+FFFFF"),
    V("\xf4\x80\x80\x80", UTF8_VEC_VALID, "U+100000"),
    V("\xf4\x8f\xbf\xbf", UTF8_VEC_VALID, "U+10FFFF, the largest code point"),
    V("fa\xc3\xa7"
      "ade \xe2\x98\x83 \xf0\x9d\x84\x9e!",
      UTF8_VEC_VALID, "a text mixing 1-, 2-, 3- and 4-byte characters"),
    V("\xc0\x80", 0, "C0 80, an overlong U+0000 (C0 never appears)"),
    V("\xc1\xbf", 0, "C1 BF, an overlong U+007F (C1 never appears)"),
    V("\xe0\x80\x80", 1, "E0 80 80, an overlong U+0000 (after E0 comes A0-BF)"),
    V("\xe0\x9f\xbf", 1, "E0 9F BF, an overlong U+07FF"),
    V("\xf0\x80\x80\x80", 1, "F0 80 80 80, an overlong U+0000 (after F0 comes 90-BF)"),
    V("\xf0\x8f\xbf\xbf", 1, "F0 8F BF BF, an overlong U+FFFF"),
    V("\xed\xa0\x80", 1, "ED A0 80, the surrogate U+D800 (after ED comes 80-9F)"),
    V("\xed\xbf\xbf", 1, "ED BF BF, the surrogate U+DFFF"),
    V("\xed\xa0\x80\xed\xb0\x80", 1, "a surrogate pair (U+D800 U+DC00) as CESU-8"),
    V("\xf4\x90\x80\x80", 1, "F4 90 80 80, U+110000 (after F4 comes 80-8F)"),
    V("\xf5\x80\x80\x80", 0, "F5 80 80 80 (F5 never appears)"),
    V("\xf7\xbf\xbf\xbf", 0, "F7 BF BF BF, U+1FFFFF"),
    V("\xf8\x88\x80\x80\x80", 0, "a 5-byte form (F8 never appears)"),
    V("\xfc\x84\x80\x80\x80\x80", 0, "a 6-byte form (FC never appears)"),
    V("\xfe", 0, "FE"),
    V("\xff", 0, "FF"),
    V("\x80", 0, "a lone continuation byte 80"),
    V("\xbf", 0, "a lone continuation byte BF"),
    V("ab\x80"
      "cd",
      2, "a continuation byte after ASCII"),
    V("\xc2\x80\x80", 2, "one continuation byte too many"),
    V("\xc2\x41", 1, "C2 then ASCII: the character is cut"),
    V("\xc2\xc2\x80", 1, "C2 then a new lead byte"),
    V("\xe1\x80\x41", 2, "E1 80 then ASCII"),
    V("\xf1\x80\x80\x41", 3, "F1 80 80 then ASCII"),
    V("\xf4\x8f\xbf\xc0", 3, "F4 8F BF then C0"),
    V("\xc2", UTF8_VEC_CUT, "C2 alone"),
    V("\xe0\xa0", UTF8_VEC_CUT, "E0 A0 (2 of 3 bytes)"),
    V("\xe1", UTF8_VEC_CUT, "E1 alone"),
    V("\xf0\x90\x80", UTF8_VEC_CUT, "F0 90 80 (3 of 4 bytes)"),
    V("\xf4\x8f\xbf", UTF8_VEC_CUT, "F4 8F BF (3 of 4 bytes)"),
    V("abc\xf0", UTF8_VEC_CUT, "ASCII then F0"),
};
#define NHAND (sizeof HAND / sizeof HAND[0])

TEST(rfc3629_table, .id = "3.2.1", .points = 3,
     .title = "RFC 3629 §4 by hand: the first and last code point of each length are valid; "
              "overlongs, surrogates, U+110000+, C0/C1/F5-FF, stray and cut sequences are not",
     .hint = HINT_TABLE) {
    for (size_t i = 0; i < NHAND; i++)
        check_whole((const unsigned char *)HAND[i].bytes, strlen(HAND[i].bytes), HAND[i].answer);
    check_whole((const unsigned char *)"\0", 1, UTF8_VEC_VALID); /* U+0000 */
    check_whole((const unsigned char *)"a\0b", 3, UTF8_VEC_VALID);
}

TEST(rfc3629_fail_fast, .id = "3.2.2", .points = 3,
     .title = "fail fast, byte by byte: utf8_feed says false exactly at the first impossible "
              "byte (E0 80: at the 80) and stays false; cut sequences stay true",
     .hint = HINT_FAST) {
    for (size_t i = 0; i < NHAND; i++)
        check_bytes((const unsigned char *)HAND[i].bytes, strlen(HAND[i].bytes), HAND[i].answer);
    /* Once failed, even valid bytes do not bring it back. */
    struct utf8_state s;
    utf8_init(&s);
    CHECK_INT(utf8_feed(&s, (const unsigned char *)"ok", 2), true);
    CHECK_INT(utf8_feed(&s, (const unsigned char *)"\xff", 1), false);
    CHECK_INT(utf8_feed(&s, (const unsigned char *)"fine", 4), false);
    CHECK_INT(utf8_complete(&s), false);
    /* utf8_init starts afresh. */
    utf8_init(&s);
    CHECK_INT(utf8_feed(&s, (const unsigned char *)"fine", 4), true);
    CHECK_INT(utf8_complete(&s), true);
}

TEST(rfc3629_splits, .id = "3.2.3", .points = 3,
     .title = "every vector split in two at every position, and in three at every pair of "
              "positions, gives the same answers (characters cut across calls)",
     .hint = HINT_SPLIT) {
    for (size_t i = 0; i < NHAND; i++)
        check_splits((const unsigned char *)HAND[i].bytes, strlen(HAND[i].bytes), HAND[i].answer);
    for (size_t v = 0; v < NHAND; v++) {
        const unsigned char *p = (const unsigned char *)HAND[v].bytes;
        size_t len = strlen(HAND[v].bytes);
        int answer = HAND[v].answer;
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b++) {
                set_case("\"%s\" (%s) fed as [0,%zu) [%zu,%zu) [%zu,%zu)", t_escape(p, len, 60),
                         answer_text(answer), a, a, b, b, len);
                struct utf8_state s;
                utf8_init(&s);
                CASE_INT(utf8_feed(&s, p, a), ok_upto(answer, a));
                CASE_INT(utf8_feed(&s, p + a, b - a), ok_upto(answer, b));
                CASE_INT(utf8_feed(&s, p + b, len - b), answer < 0);
                CASE_INT(utf8_complete(&s), answer == UTF8_VEC_VALID);
            }
        }
    }
}

TEST(complete_cut, .id = "3.2.4", .points = 1,
     .title = "utf8_complete is false while a character is cut (each proper prefix of a 2-, 3- "
              "and 4-byte character) and true once it is finished",
     .hint = HINT_SPLIT "; utf8.h (utf8_complete: ends between characters)") {
    static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xed\x9f\xbf",
                                        "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof chars / sizeof chars[0]; i++) {
        size_t len = strlen(chars[i]);
        for (size_t k = 0; k <= len; k++) {
            set_case("\"x%s\" cut after %zu of its %zu bytes", t_escape(chars[i], len, 20), k, len);
            struct utf8_state s;
            utf8_init(&s);
            CASE_INT(utf8_feed(&s, (const unsigned char *)"x", 1), true);
            CASE_INT(utf8_feed(&s, (const unsigned char *)chars[i], k), true);
            CASE_INT(utf8_complete(&s), k == 0 || k == len);
            CASE_INT(utf8_feed(&s, (const unsigned char *)chars[i] + k, len - k), true);
            CASE_INT(utf8_complete(&s), true);
        }
    }
}

/* ---- Python's table ---------------------------------------------------------------- */

TEST(python_vectors, .id = "3.2.5", .points = 3,
     .title = "1474 generated vectors (vectors/utf8_vectors.h, Python's strict decoder): whole, "
              "byte by byte and split at every position",
     .hint = HINT_FAST "; " HINT_TABLE) {
    for (size_t i = 0; i < sizeof utf8_vecs / sizeof utf8_vecs[0]; i++) {
        const unsigned char *p = (const unsigned char *)utf8_vecs[i].bytes;
        check_all_ways(p, utf8_vecs[i].len, utf8_vecs[i].answer);
    }
}

TEST(python_pairs, .id = "3.2.6", .points = 2,
     .title = "all 65536 two-byte strings: the answer of Python's decoder, fed whole and byte "
              "by byte",
     .hint = HINT_FAST "; " HINT_TABLE) {
    static const int answers[4] = {0, 1, UTF8_VEC_VALID, UTF8_VEC_CUT};
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            char digits[3] = {utf8_pairs[a][2 * (b / 4)], utf8_pairs[a][2 * (b / 4) + 1], 0};
            unsigned code = ((unsigned)strtoul(digits, NULL, 16) >> (2 * (b % 4))) & 3;
            unsigned char p[2] = {(unsigned char)a, (unsigned char)b};
            check_whole(p, 2, answers[code]);
            check_bytes(p, 2, answers[code]);
        }
    }
}

/* ---- every code point -------------------------------------------------------------- */

/* The test's own encoder (RFC 3629 §3), without any range check: it also
 * encodes surrogates and values over U+10FFFF, which must then be refused. */
static size_t encode(uint32_t cp, unsigned char *out) {
    if (cp < 0x80) return out[0] = (unsigned char)cp, 1;
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

TEST(every_code_point, .id = "3.2.7", .points = 2,
     .title = "every code point U+0000-U+10FFFF but the surrogates is valid (4.3 MB fed in "
              "pieces of 7 bytes); each surrogate, and values from U+110000 to U+1FFFFF, fail",
     .hint = HINT_TABLE " (surrogates D800-DFFF and values above U+10FFFF are not characters)") {
    size_t cap = 0x110000 * 4, len = 0;
    unsigned char *all = malloc(cap);
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if (cp < 0xD800 || cp > 0xDFFF) len += encode(cp, all + len);
    set_case("U+0000 to U+10FFFF without the surrogates, %zu bytes, in pieces of 7", len);
    struct utf8_state s;
    utf8_init(&s);
    for (size_t at = 0; at < len; at += 7)
        if (!utf8_feed(&s, all + at, len - at < 7 ? len - at : 7))
            FAILF("expected: every code point valid\n     got: false at the piece starting at "
                  "byte %zu: \"%s\"",
                  at, t_escape(all + at, 7, 7));
    CASE_INT(utf8_complete(&s), true);
    CASE_INT(utf8_valid(all, len), true);
    free(all);
    for (uint32_t cp = 0xD800; cp <= 0xDFFF; cp++) {
        unsigned char p[4];
        size_t n = encode(cp, p);
        set_case("the surrogate U+%04X encoded as \"%s\"", cp, t_escape(p, n, 8));
        CASE_INT(utf8_valid(p, n), false);
        check_bytes(p, n, 1);
    }
    for (uint32_t cp = 0x110000; cp < 0x200000; cp += 0x101) {
        unsigned char p[4];
        size_t n = encode(cp, p);
        check_bytes(p, n, p[0] == 0xF4 ? 1 : 0);
    }
}

TEST(ascii_fast_path, .id = "3.2.8", .points = 2,
     .title = "long ASCII texts: valid at every length and alignment, and one bad byte (80, "
              "C0, FF, or a cut E2 82) at any position of a 300-byte text is found",
     .hint = HINT_FAST "; TUTORIAL §3.6 (an ASCII fast path must still look at every byte, and "
                       "a character may start in the last bytes of a word)") {
    unsigned char *buf = malloc(4096 + 16);
    for (size_t align = 0; align < 8; align++) {
        unsigned char *p = buf + align;
        for (size_t i = 0; i < 4096; i++) p[i] = (unsigned char)('a' + i % 26);
        for (size_t len = 0; len <= 300; len++) {
            set_case("%zu ASCII bytes at alignment %zu", len, align);
            CASE_INT(utf8_valid(p, len), true);
        }
        static const unsigned char bad[] = {0x80, 0xC0, 0xFF};
        for (size_t b = 0; b < sizeof bad; b++) {
            for (size_t at = 0; at < 300; at++) {
                p[at] = bad[b];
                set_case("300 ASCII bytes at alignment %zu with %02x at byte %zu", align, bad[b],
                         at);
                CASE_INT(utf8_valid(p, 300), false);
                struct utf8_state s;
                utf8_init(&s);
                CASE_INT(utf8_feed(&s, p, at), true);
                CASE_INT(utf8_feed(&s, p + at, 300 - at), false);
                p[at] = (unsigned char)('a' + at % 26);
            }
        }
        /* A 3-byte character at every position: valid whole, cut at the end. */
        for (size_t at = 0; at + 3 <= 300; at++) {
            memcpy(p + at, "\xe2\x82\xac", 3);
            set_case("300 bytes at alignment %zu with E2 82 AC at byte %zu", align, at);
            CASE_INT(utf8_valid(p, 300), true);
            CASE_INT(utf8_valid(p, at + 2), false);
            for (size_t k = 0; k < 3; k++) p[at + k] = (unsigned char)('a' + (at + k) % 26);
        }
    }
    free(buf);
}
