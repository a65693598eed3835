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

/* The states: what the next byte must be. Those after REJECT are inside a
 * character. */
enum {
    ACCEPT,   /* between characters (0, as utf8.h promises) */
    REJECT,   /* not UTF-8, whatever follows */
    TAIL1,    /* one more 80..BF */
    TAIL2,    /* two more */
    TAIL3,    /* three more */
    AFTER_E0, /* A0..BF, then one more: no overlong 3-byte form */
    AFTER_ED, /* 80..9F, then one more: no surrogate (U+D800..U+DFFF) */
    AFTER_F0, /* 90..BF, then two more: no overlong 4-byte form */
    AFTER_F4, /* 80..8F, then two more: nothing above U+10FFFF */
};

/* Inside a character: the range the next byte must be in, and the state
 * that follows it. */
struct continuation {
    unsigned char low, high, next;
};

/* clang-format off */
static const struct continuation continuations[] = {
    /*             low   high  next */
    [TAIL1]    = {0x80, 0xbf, ACCEPT},
    [TAIL2]    = {0x80, 0xbf, TAIL1},
    [TAIL3]    = {0x80, 0xbf, TAIL2},
    [AFTER_E0] = {0xa0, 0xbf, TAIL1},
    [AFTER_ED] = {0x80, 0x9f, TAIL1},
    [AFTER_F0] = {0x90, 0xbf, TAIL2},
    [AFTER_F4] = {0x80, 0x8f, TAIL2},
};
/* clang-format on */

/* Between characters: the state after byte b, the first column of the
 * table. 80..BF would continue a character that never started; C0 and C1
 * could only start overlong 2-byte forms; F5..FF would pass U+10FFFF. */
static unsigned after_lead(unsigned char b) {
    if (b <= 0x7f) return ACCEPT;
    if (b <= 0xc1) return REJECT;
    if (b <= 0xdf) return TAIL1;
    if (b == 0xe0) return AFTER_E0;
    if (b == 0xed) return AFTER_ED;
    if (b <= 0xef) return TAIL2;
    if (b == 0xf0) return AFTER_F0;
    if (b <= 0xf3) return TAIL3;
    if (b == 0xf4) return AFTER_F4;
    return REJECT;
}

/* Inside a character: the state after continuation byte b. */
static unsigned after_continuation(unsigned state, unsigned char b) {
    const struct continuation *c = &continuations[state];
    return b >= c->low && b <= c->high ? c->next : REJECT;
}

/* ---- the fast path ---------------------------------------------------- */

#define HIGH_BITS 0x8080808080808080u /* bit 7 of each of 8 bytes */

/* 8 bytes as one number, byte k in bits 8k..8k+7 on any machine, so that
 * "the next byte" is always "8 bits up". Compilers make this one load. */
static uint64_t load_le64(const unsigned char *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* The index of the first byte whose bit 7 is set in x (which has only bits
 * 7 set, not all clear): x & -x keeps the lowest, 1 << (8k + 7); shifted to
 * 1 << 8k, it multiplies 0x0001020304050607 up by k bytes, which brings the
 * byte holding k to the top. Branch-free, unlike a loop over the bytes. */
static size_t first_marked(uint64_t x) {
    uint64_t lowest = x & (~x + 1);
    return (size_t)(((lowest >> 7) * 0x0001020304050607u) >> 56);
}

/* Skips 16 bytes at a time while none has its high bit set: pure ASCII. */
static size_t skip_ascii(const unsigned char *data, size_t i, size_t len) {
    for (; len - i >= 16; i += 16) {
        uint64_t a, b;
        memcpy(&a, data + i, sizeof a); /* any alignment, see frame.c */
        memcpy(&b, data + i + 8, sizeof b);
        if (((a | b) & HIGH_BITS) != 0) break;
    }
    return i;
}

/* Skips 8 bytes at a time while they hold only ASCII and whole 2-byte
 * characters (C2..DF 80..BF: the accented letters of mostly-ASCII text,
 * Greek, Cyrillic...). Each test works on all 8 bytes at once, on bit 7
 * of each byte ("SIMD within a register"):
 *   high   bytes 80..FF
 *   lead   of those, the ones with bit 6 set too: 11xxxxxx
 *   cont   the others: 10xxxxxx
 * The word is fine if every lead is followed by a continuation and every
 * continuation follows a lead (cont is lead moved up one byte), and no lead
 * is 111xxxxx (a longer character) or C0/C1 (overlong). A lead in the last
 * byte carries over: the next word must open with its continuation. No
 * branch depends on where the letters fall, so none is mispredicted. */
static size_t skip_two_byte(const unsigned char *data, size_t i, size_t len) {
    const uint64_t low_bits = 0x1e1e1e1e1e1e1e1eu, no_carry = 0x7f7f7f7f7f7f7f7fu;
    uint64_t carry = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t w = load_le64(data + i);
        uint64_t high = w & HIGH_BITS;
        uint64_t lead = high & w << 1; /* bit 6 moved to bit 7 */
        uint64_t cont = high ^ lead;
        uint64_t wrong = cont ^ (lead << 8 | carry);
        wrong |= lead & w << 2; /* bit 5 set: 111xxxxx */
        /* C0, C1: bits 4..1 all zero; adding 7F sets bit 7 unless they are. */
        wrong |= lead & ~((w & low_bits) + no_carry);
        if (wrong != 0) return carry != 0 ? i - 1 : i + first_marked(high);
        carry = lead >> 63 << 7; /* a lead in byte 7 */
    }
    return carry != 0 ? i - 1 : i; /* leave a pending lead to the automaton */
}

/* From data[i], skips what leaves the state at ACCEPT: ASCII and 2-byte
 * characters, a word at a time while it can, then single ASCII bytes.
 * Returns the index of the first byte not skipped, or len. */
static size_t skip_simple(const unsigned char *data, size_t i, size_t len) {
    i = skip_ascii(data, i, len);
    i = skip_two_byte(data, i, len);
    while (i < len && data[i] <= 0x7f) i++;
    return i;
}

void utf8_init(struct utf8_state *s) {
    s->state = ACCEPT;
}

/* RFC 3629 §4, RFC 6455 §8.1. */
bool utf8_feed(struct utf8_state *s, const unsigned char *data, size_t len) {
    unsigned state = s->state;
    size_t i = 0;
    for (;;) {
        /* The rest of a character, maybe begun in an earlier call. */
        while (state > REJECT && i < len) state = after_continuation(state, data[i++]);
        if (state == REJECT || i == len) break;
        /* Between characters: skip what the fast path can, then a lead. A
         * long character right after another (a word of CJK) skips nothing. */
        if (data[i] <= 0x7f) i = skip_simple(data, i, len);
        if (i == len) break;
        state = after_lead(data[i++]);
    }
    s->state = state;
    return state != REJECT;
}

bool utf8_complete(const struct utf8_state *s) {
    return s->state == ACCEPT;
}

bool utf8_valid(const unsigned char *data, size_t len) {
    struct utf8_state s;
    utf8_init(&s);
    return utf8_feed(&s, data, len) && utf8_complete(&s);
}
