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

static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* What a character means to the decoder: its value 0..63, PAD for "=", or
 * BAD for anything else. */
#define BAD 0xff
#define PAD 0xfe
#define XX  BAD

/* Indexed by the byte, 16 bytes per row. */
/* clang-format off */
static const uint8_t decode_table[256] = {
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0x00 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0x10 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  62,  XX,  XX,  XX,  63, /* 0x20: + / */
    52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  XX,  XX,  XX, PAD,  XX,  XX, /* 0x30: 0-9 = */
    XX,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14, /* 0x40: A-O */
    15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  XX,  XX,  XX,  XX,  XX, /* 0x50: P-Z */
    XX,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40, /* 0x60: a-o */
    41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  XX,  XX,  XX,  XX,  XX, /* 0x70: p-z */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0x80 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0x90 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0xa0 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0xb0 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0xc0 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0xd0 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0xe0 */
    XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX,  XX, /* 0xf0 */
};
/* clang-format on */

#undef XX

size_t base64_encode(const void *in, size_t len, char *out) {
    const unsigned char *p = in;
    char *o = out;
    /* Whole groups: 3 bytes → 24 bits → 4 characters. */
    for (; len >= 3; len -= 3, p += 3) {
        uint32_t bits = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        *o++ = alphabet[bits >> 18];
        *o++ = alphabet[(bits >> 12) & 63];
        *o++ = alphabet[(bits >> 6) & 63];
        *o++ = alphabet[bits & 63];
    }
    /* A last group of 1 or 2 bytes: zero bits up to a whole character, then
     * "=" up to four characters. */
    if (len > 0) {
        uint32_t bits = (uint32_t)p[0] << 16 | (len == 2 ? (uint32_t)p[1] << 8 : 0);
        *o++ = alphabet[bits >> 18];
        *o++ = alphabet[(bits >> 12) & 63];
        *o++ = len == 2 ? alphabet[(bits >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* The value of character c, or BAD / PAD. */
static unsigned value_of(char c) {
    return decode_table[(unsigned char)c];
}

/* Checks that text[0..len) is the canonical base64 of some bytes; counts
 * the "=" at its end into *pad. Returns BASE64_OK or the first problem, in
 * the order: length, then characters, then pad bits. */
static int validate(const char *text, size_t len, size_t *pad) {
    if (len % 4 != 0) return BASE64_BAD_LENGTH;
    /* One or two "=" may end the text; any other "=" is misplaced. */
    *pad = 0;
    if (len > 0 && text[len - 1] == '=') *pad = text[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - *pad; i++) {
        unsigned v = value_of(text[i]);
        if (v == PAD) return BASE64_BAD_PADDING;
        if (v == BAD) return BASE64_BAD_CHAR;
    }
    /* The bits after the last whole byte must be zero (§3.5): "TQ==" is
     * "M", and so would "TR==" be if its stray bits were ignored. With two
     * "=", the last character carries 2 data bits and 4 spare; with one, 4
     * data bits and 2 spare. */
    if (*pad == 2 && (value_of(text[len - 3]) & 0x0f) != 0) return BASE64_BAD_PADDING;
    if (*pad == 1 && (value_of(text[len - 2]) & 0x03) != 0) return BASE64_BAD_PADDING;
    return BASE64_OK;
}

int base64_decode(const char *text, size_t len, unsigned char *out, size_t cap, size_t *out_len) {
    size_t pad;
    int status = validate(text, len, &pad);
    if (status != BASE64_OK) return status;
    size_t n = len / 4 * 3 - pad;
    if (n > cap) return BASE64_NO_ROOM;

    /* Every character is known good now. Whole groups: 4 characters → 24
     * bits → 3 bytes; a padded last group gives 1 or 2. */
    unsigned char *o = out;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t bits = value_of(text[i]) << 18 | value_of(text[i + 1]) << 12;
        bool last = i + 4 == len;
        *o++ = (unsigned char)(bits >> 16);
        if (last && pad == 2) break;
        bits |= value_of(text[i + 2]) << 6;
        *o++ = (unsigned char)(bits >> 8);
        if (last && pad == 1) break;
        bits |= value_of(text[i + 3]);
        *o++ = (unsigned char)bits;
    }
    *out_len = n;
    return BASE64_OK;
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
