/*
 * utf8 — an incremental UTF-8 validator (see utf8.h).
 *
 * RFC 3629 §4 lists every well-formed byte sequence:
 *
 *   code points          byte 1   byte 2   byte 3   byte 4
 *   U+0000..U+007F       00..7F
 *   U+0080..U+07FF       C2..DF   80..BF
 *   U+0800..U+0FFF       E0       A0..BF   80..BF
 *   U+1000..U+CFFF       E1..EC   80..BF   80..BF
 *   U+D000..U+D7FF       ED       80..9F   80..BF
 *   U+E000..U+FFFF       EE..EF   80..BF   80..BF
 *   U+10000..U+3FFFF     F0       90..BF   80..BF   80..BF
 *   U+40000..U+FFFFF     F1..F3   80..BF   80..BF   80..BF
 *   U+100000..U+10FFFF   F4       80..8F   80..BF   80..BF
 *
 * The narrow second-byte ranges are the interesting part: E0 80..9F and
 * F0 80..8F would be overlong (a shorter form exists), ED A0..BF would be a
 * UTF-16 surrogate, F4 90.. would pass U+10FFFF; C0, C1 and F5..FF never
 * start anything.
 *
 * The validator is a finite automaton whose states say what the next byte
 * must be. Between characters (ACCEPT), a lead byte picks the state from the
 * table's first column; inside a character, each state allows one range of
 * continuation bytes — the table's narrow ranges for the second byte of E0,
 * ED, F0 and F4, 80..BF otherwise — and names the state after it:
 *
 *   ACCEPT ─C2..DF─► TAIL1 ─80..BF─► ACCEPT
 *   ACCEPT ─E0─► AFTER_E0 ─A0..BF─► TAIL1 ─80..BF─► ACCEPT
 *   ACCEPT ─F4─► AFTER_F4 ─80..8F─► TAIL2 ─80..BF─► TAIL1 ─80..BF─► ACCEPT
 *
 * Any other byte leads to REJECT, which never leaves: the first impossible
 * byte fails the text at once. Between calls the state is all we keep,
 * which is what lets a character straddle two fragments.
 *
 * Most text is mostly ASCII, with here and there a 2-byte letter (é, ß,
 * ж). Between characters the validator first skips such text 16 or 8 bytes
 * at a time with word-wide bit tests; the automaton only runs over the
 * rest: longer characters, errors, the ends of the buffer.
 *
 * Lab 3, task 2. Read: TUTORIAL §3.6; RFC 3629 §3, §4, §10; RFC 6455 §8.1.
 */
#include "utf8.h"

#include <string.h>

void utf8_init(struct utf8_state *s) {
    s->state = 0; /* between characters (utf8.h) */
}

bool utf8_feed(struct utf8_state *s, const unsigned char *data, size_t len) {
    /* TODO(handout step 2.1): the automaton. Choose its states — what the
     * next byte must be; 0 between characters, as utf8.h says, and one state
     * for "failed" that never leaves — and write the step from a state and a
     * byte to the next state, straight from RFC 3629 §4's table (copied in
     * the comment above). Run every byte through it, keep the state in s
     * for the next call, and return false as soon as it is "failed" (later
     * calls then return false at once). Watch the narrow second bytes:
     * E0 A0..BF, ED 80..9F, F0 90..BF, F4 80..8F; C0, C1 and F5..FF start
     * nothing; 80..BF between characters is an error. RFC 3629 §3–§4, §10;
     * RFC 6455 §8.1. */
    /* TODO(handout step 2.2): the ASCII fast path. Between characters,
     * skip 8 bytes at a time while none has its high bit set (load a
     * uint64_t with memcpy and test it against 0x8080808080808080); only the
     * other characters need the automaton. The bench wants a quarter of
     * memcpy's speed on mostly-ASCII text. Going further: text with an
     * accented letter every few words leaves that path too often; the
     * reference also skips words of ASCII and 2-byte letters with bit
     * tests. */
    (void)s;
    (void)data;
    (void)len;
    return false;
}

bool utf8_complete(const struct utf8_state *s) {
    /* TODO(handout step 2.1): true if nothing failed and the last character
     * is finished (the state is back between characters). */
    (void)s;
    return false;
}

bool utf8_valid(const unsigned char *data, size_t len) {
    struct utf8_state s;
    utf8_init(&s);
    return utf8_feed(&s, data, len) && utf8_complete(&s);
}
