/*
 * fuzz_base64 — libFuzzer target for the strict base64 decoder.
 *
 * lab: 02-handshake
 *
 * Strict decoding means one spelling per byte string (base64.h, RFC 4648
 * §3.5). So, for any input text:
 *
 *   - base64_decode returns BASE64_OK or one of the four errors, never
 *     writes past cap bytes (AddressSanitizer watches a buffer of exactly
 *     cap bytes), and with OK gives at most BASE64_DECODED_MAX(len) bytes;
 *   - a successful decode encodes back to exactly the same text: nothing was
 *     ignored, nothing was guessed;
 *   - a cap of one byte fewer than that gives BASE64_NO_ROOM;
 *   - and, the other way round, the input taken as bytes encodes to text of
 *     BASE64_ENCODED_LEN characters that decodes back to those bytes.
 *
 * Any broken promise calls abort(), which libFuzzer reports as a crash and
 * saves the input. Seeds: corpus/base64/. Build: see tests/fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_base64: %s:%d: broken promise: %s\n", __FILE__, __LINE__,        \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Decodes text into a heap buffer of exactly cap bytes. */
static int decode(const char *text, size_t len, size_t cap, unsigned char **out, size_t *out_len) {
    *out = malloc(cap > 0 ? cap : 1);
    if (*out == NULL) abort();
    *out_len = (size_t)-1;
    return base64_decode(text, len, *out, cap, out_len);
}

/* The input as text: decode, and a success must re-encode to the same text. */
static void text_round_trip(const char *text, size_t len) {
    unsigned char *bytes;
    size_t n;
    int status = decode(text, len, BASE64_DECODED_MAX(len), &bytes, &n);
    MUST(status == BASE64_OK || status == BASE64_BAD_CHAR || status == BASE64_BAD_PADDING ||
         status == BASE64_BAD_LENGTH);
    MUST(base64_strerror(status) != NULL);
    if (status == BASE64_OK) {
        MUST(n <= BASE64_DECODED_MAX(len));
        char *again = malloc(BASE64_ENCODED_LEN(n) + 1);
        if (again == NULL) abort();
        MUST(base64_encode(bytes, n, again) == len);
        MUST(memcmp(again, text, len) == 0);
        free(again);
        if (n > 0) {
            unsigned char *small;
            size_t small_n;
            MUST(decode(text, len, n - 1, &small, &small_n) == BASE64_NO_ROOM);
            free(small);
        }
    }
    free(bytes);
}

/* The input as bytes: encode, and the text must decode to the same bytes. */
static void bytes_round_trip(const unsigned char *data, size_t size) {
    char *text = malloc(BASE64_ENCODED_LEN(size) + 1);
    if (text == NULL) abort();
    size_t len = base64_encode(data, size, text);
    MUST(len == BASE64_ENCODED_LEN(size) && text[len] == '\0');
    unsigned char *bytes;
    size_t n;
    MUST(decode(text, len, size, &bytes, &n) == BASE64_OK);
    MUST(n == size && (size == 0 || memcmp(bytes, data, size) == 0));
    free(bytes);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, so that reading past the end is caught. */
    char *text = malloc(size > 0 ? size : 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text_round_trip(text, size);
    bytes_round_trip(data, size);
    free(text);
    return 0;
}
