/*
 * utf8 — an incremental UTF-8 validator (RFC 3629).
 *
 * A text message may arrive in fragments, and a character may be cut between
 * two of them, so the validator keeps its state between calls. It fails as
 * early as possible: the first byte that no valid text could continue with
 * (an overlong form, a surrogate, a code point above U+10FFFF, a stray
 * continuation byte) is an error at once, even mid-message (RFC 6455 §8.1).
 * Only at the end of the message does an unfinished character count.
 *
 * Lab 3, task 2. Read: TUTORIAL §3.6 "Text must be UTF-8"; RFC 3629 §3–§4
 * (the table of well-formed byte sequences); RFC 6455 §8.1.
 */
#ifndef WSLAB_UTF8_H
#define WSLAB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct utf8_state {
    uint32_t state; /* 0 between characters; otherwise what must come next */
};

/* Starts a new text. */
void utf8_init(struct utf8_state *s);

/* Feeds the next len bytes. Returns false as soon as the bytes so far can
 * never be the start of valid UTF-8 (and stays failed); true otherwise. */
bool utf8_feed(struct utf8_state *s, const unsigned char *data, size_t len);

/* True if everything fed so far is valid and ends between characters. */
bool utf8_complete(const struct utf8_state *s);

/* Validates a whole text in one call. */
bool utf8_valid(const unsigned char *data, size_t len);

#endif
