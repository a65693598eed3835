/*
 * fuzz_utf8 — libFuzzer target for the incremental UTF-8 validator.
 *
 * lab: 03-framing
 *
 * The validator is compared with a second one written here, as plainly as
 * possible, from the table of well-formed sequences in RFC 3629 §4:
 *
 *   UTF8-1 = 00-7F
 *   UTF8-2 = C2-DF tail
 *   UTF8-3 = E0 A0-BF tail / E1-EC tail tail / ED 80-9F tail / EE-EF tail tail
 *   UTF8-4 = F0 90-BF tail tail / F1-F3 tail tail tail / F4 80-8F tail tail
 *   tail   = 80-BF
 *
 * Input: byte 0 is where to put the text in memory (its low 3 bits: the
 * address alignment, which a word-at-a-time fast path must not care about),
 * byte 1 where to cut it in two; the rest is the text. Promises (utf8.h):
 *
 *   - utf8_valid(text) is true exactly when the reference finds the text
 *     well-formed, at every alignment;
 *   - fed one byte at a time, utf8_feed returns false from the first byte
 *     after which no continuation could make the text valid, never before
 *     (fail fast, RFC 6455 §8.1), and stays false;
 *   - fed in two pieces cut anywhere (inside a character too), the answers
 *     are those for the first piece and for the whole, and utf8_complete
 *     then says whether the whole is valid: the same as one call;
 *   - an empty feed changes nothing.
 * The text is copied to a buffer exactly its size, so AddressSanitizer
 * catches a fast path that reads past the end.
 *
 * Any broken promise calls abort(), which libFuzzer reports as a crash and
 * saves the input. Seeds: corpus/utf8/. Build: see tests/fuzz/README.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_utf8: %s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* ---- the reference: RFC 3629 §4, row by row ------------------------------- */

/* For a lead byte: how many tail bytes follow, and the range the first of
 * them must be in (the later ones are always 80-BF). False if b cannot
 * start a character. */
static bool lead(unsigned char b, int *tails, unsigned char *low, unsigned char *high) {
    *low = 0x80;
    *high = 0xbf;
    if (b <= 0x7f)
        *tails = 0;
    else if (b >= 0xc2 && b <= 0xdf)
        *tails = 1;
    else if (b == 0xe0)
        *tails = 2, *low = 0xa0;
    else if (b >= 0xe1 && b <= 0xec)
        *tails = 2;
    else if (b == 0xed)
        *tails = 2, *high = 0x9f;
    else if (b >= 0xee && b <= 0xef)
        *tails = 2;
    else if (b == 0xf0)
        *tails = 3, *low = 0x90;
    else if (b >= 0xf1 && b <= 0xf3)
        *tails = 3;
    else if (b == 0xf4)
        *tails = 3, *high = 0x8f;
    else
        return false;
    return true;
}

/* Scans s[0..n). Returns the index of the first byte that no valid text
 * could have there, or n if there is none; *whole says whether s ends
 * between characters. */
static size_t reference(const unsigned char *s, size_t n, bool *whole) {
    size_t i = 0;
    *whole = true;
    while (i < n) {
        int tails;
        unsigned char low, high;
        if (!lead(s[i], &tails, &low, &high)) return i;
        for (int k = 1; k <= tails; k++) {
            if (i + k == n) {
                *whole = false; /* cut short: fine until the text ends */
                return n;
            }
            unsigned char b = s[i + k];
            if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xbf)) return i + k;
        }
        i += 1 + (size_t)tails;
    }
    return n;
}

/* ---- the checks ------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t align = data[0] & 7, n = size - 2;
    size_t cut = n ? ((size_t)data[1] * (n + 1)) / 256 : 0;
    /* Two copies of the text, each ending exactly where its allocation ends
     * (a zero-length text gets one spare byte): one at the start of its
     * block, one `align` bytes in. */
    unsigned char *exact = malloc(n ? n : 1), *area = malloc(align + (n ? n : 1));
    MUST(exact != NULL && area != NULL);
    unsigned char *text = area + align;
    memcpy(exact, data + 2, n);
    memcpy(text, data + 2, n);

    bool whole;
    size_t bad = reference(exact, n, &whole);
    bool valid = bad == n && whole;

    MUST(utf8_valid(exact, n) == valid);
    MUST(utf8_valid(text, n) == valid);

    /* Byte by byte: false exactly from byte `bad` on. */
    struct utf8_state s;
    utf8_init(&s);
    MUST(utf8_complete(&s));
    for (size_t i = 0; i < n; i++) {
        bool ok = utf8_feed(&s, exact + i, 1);
        MUST(ok == (i < bad));
        MUST(utf8_feed(&s, exact + i, 0) == ok);
    }
    MUST(utf8_complete(&s) == valid);

    /* In two pieces. */
    utf8_init(&s);
    MUST(utf8_feed(&s, exact, cut) == (cut <= bad));
    MUST(utf8_feed(&s, exact + cut, n - cut) == (bad == n));
    MUST(utf8_complete(&s) == valid);

    free(exact);
    free(area);
    return 0;
}
