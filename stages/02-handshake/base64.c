/*
 * base64 — binary to text and back, strictly (see base64.h).
 *
 * Three bytes are 24 bits; base64 cuts them into four 6-bit numbers and
 * writes each as one character of a 64-character alphabet (RFC 4648 §4):
 *
 *   bytes    01001101 01100001 01101110        "Man"
 *   6 bits   010011 010110 000101 101110
 *   chars      T      W      F      u          "TWFu"
 *
 * A last group of one or two bytes is padded with zero bits to a whole
 * character, and with "=" to four characters: "M" → "TQ==", "Ma" → "TWE=".
 *
 * Decoding runs it backwards through a 256-entry table that gives every byte
 * its 6-bit value or marks it as not base64. It is strict (RFC 4648 §3.3,
 * §3.5): a decoder that let "TQ=x" or "TR==" through would accept several
 * spellings of the same bytes, and a field that guards a protocol should have
 * exactly one.
 *
 * Lab 2, task 2. Read: TUTORIAL §2.3; RFC 4648 §3.3, §3.5, §4, §10.
 */
#include "base64.h"

#include <stdbool.h>
#include <stdint.h>

size_t base64_encode(const void *in, size_t len, char *out) {
    /* TODO(handout step 2.1): each group of 3 bytes is 24 bits, written as
     * four 6-bit numbers, each as a character of the alphabet "A-Z a-z 0-9 +
     * /" (RFC 4648 §4, Table 1). A last group of 1 or 2 bytes is filled with
     * zero bits to 2 or 3 characters and padded with "=" to 4. Then a NUL;
     * return the number of characters. */
    (void)in;
    (void)len;
    out[0] = '\0';
    return 0;
}

int base64_decode(const char *text, size_t len, unsigned char *out, size_t cap, size_t *out_len) {
    /* TODO(handout step 2.2): a table of 256 entries that gives each byte
     * its 6-bit value, or marks it as not base64, makes this fast and
     * simple. Refuse, in this order: a length that is not a multiple of 4
     * (BASE64_BAD_LENGTH); a character outside the alphabet — spaces and
     * line breaks too (BASE64_BAD_CHAR, RFC 4648 §3.3); "=" anywhere but as
     * the last one or two characters (BASE64_BAD_PADDING); a last character
     * before the "=" whose unused bits are not zero (BASE64_BAD_PADDING,
     * §3.5: "TR==" must not decode like "TQ=="). Then more bytes than cap →
     * BASE64_NO_ROOM. Only then decode: 4 characters → 3 bytes, fewer in a
     * padded last group. */
    (void)text;
    (void)len;
    (void)out;
    (void)cap;
    *out_len = 0;
    return BASE64_BAD_CHAR;
}

const char *base64_strerror(int status) {
    switch (status) {
    case BASE64_OK:
        return "no error";
    case BASE64_BAD_CHAR:
        return "a character outside the base64 alphabet";
    case BASE64_BAD_PADDING:
        return "misplaced \"=\" padding, or padding bits that are not zero";
    case BASE64_BAD_LENGTH:
        return "a length that is not a multiple of 4";
    case BASE64_NO_ROOM:
        return "the output buffer is too small";
    default:
        return "unknown base64 status";
    }
}
