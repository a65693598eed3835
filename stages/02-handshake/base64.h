/*
 * base64 — binary to text and back (RFC 4648 §4, the standard alphabet).
 *
 * Three bytes become four characters from A–Z a–z 0–9 + /, and "=" pads the
 * last group to four. The decoder is strict, because it guards a protocol
 * field (Sec-WebSocket-Key): it accepts only canonical encodings and says why
 * it refuses anything else.
 *
 * Lab 2, task 2. Read: TUTORIAL §2.3 "SHA-1 and base64"; RFC 4648 §3.3
 * (characters outside the alphabet), §3.5 (canonical encoding), §4, §10
 * (test vectors).
 */
#ifndef WSLAB_BASE64_H
#define WSLAB_BASE64_H

#include <stddef.h>

/* Characters in the encoding of n bytes (without the NUL). */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* The most bytes that len characters can decode to. */
#define BASE64_DECODED_MAX(len) (((len) / 4) * 3)

enum base64_status {
    BASE64_OK = 0,
    BASE64_BAD_CHAR = -1,    /* a character outside the alphabet (spaces too) */
    BASE64_BAD_PADDING = -2, /* "=" anywhere but the end, too many, or pad bits not zero */
    BASE64_BAD_LENGTH = -3,  /* the length is not a multiple of 4 */
    BASE64_NO_ROOM = -4,     /* the output buffer is too small */
};

/* Encodes in[0..len) into out, which must hold BASE64_ENCODED_LEN(len) + 1
 * bytes; writes a NUL after the text. Returns the number of characters. */
size_t base64_encode(const void *in, size_t len, char *out);

/* Decodes text[0..len) into out[0..cap) and stores the byte count in
 * *out_len. Returns BASE64_OK or the first problem found (out is then
 * unspecified). "" decodes to 0 bytes. */
int base64_decode(const char *text, size_t len, unsigned char *out, size_t cap, size_t *out_len);

/* A short English description of a status ("a character outside the
 * base64 alphabet"). */
const char *base64_strerror(int status);

#endif
