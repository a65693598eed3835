/*
 * frame — the WebSocket frame header, and masking (see frame.h).
 *
 * A header is 2 to 14 bytes. The first two always say how long the rest
 * is: the 7-bit length is the payload length itself (0..125), or 126 ("the
 * next 2 bytes hold it"), or 127 ("the next 8 bytes hold it"); the MASK bit
 * adds a 4-byte key. Multi-byte lengths are big-endian ("network byte
 * order", RFC 6455 §5.2).
 *
 *   81 05 48 65 6c 6c 6f                  FIN, text, 5 bytes: "Hello"
 *   82 7e 01 00 ...                       binary, 126 → 16-bit length 256
 *   82 7f 00 00 00 00 00 01 00 00 ...     binary, 127 → 64-bit length 65536
 *   81 85 37 fa 21 3d 7f 9f 4d 51 58      masked: key 37 fa 21 3d
 *
 * Every length has exactly one spelling: the shortest. So 126 may not carry
 * a length under 126, nor 127 one under 65536 — a parser that accepted them
 * would let two peers (or a peer and a proxy) disagree about where a frame
 * ends.
 *
 * Masking XORs payload byte i with key byte i % 4 (§5.3). Done a byte at a
 * time it is the slowest step of a WebSocket server; done 8 bytes at a time,
 * with the key repeated into a 64-bit word, it runs near memory speed.
 *
 * Lab 3, task 1. Read: TUTORIAL §3.1, §3.2; RFC 6455 §5.2, §5.3, §5.7.
 */
#include "frame.h"

#include <string.h>
#include <sys/random.h>

enum frame_status frame_parse(const unsigned char *buf, size_t len, struct frame_header *h) {
    /* TODO(handout step 1.1): bytes 0 and 1 say how long the header is: 2,
     * plus 2 if the 7-bit length is 126 or 8 if it is 127, plus 4 if the
     * MASK bit is set. Until len covers all of it — extended length and key
     * included — return FRAME_NEED_MORE. Then fill *h: FIN (bit 7 of byte
     * 0), RSV1-3 (bits 6-4, as one number 0..7), the opcode (bits 3-0), MASK
     * (bit 7 of byte 1), the length (the extended forms are big-endian:
     * assemble them byte by byte), the key, header_len; return FRAME_OK.
     * FRAME_BAD for a length not in its shortest form (126 with a length
     * under 126, 127 with one under 65536) or a 64-bit length with its top
     * bit set. Check nothing else: which bits and opcodes are allowed is
     * ws's business. RFC 6455 §5.2; the examples of §5.7. */
    (void)buf;
    (void)len;
    memset(h, 0, sizeof *h);
    return FRAME_BAD;
}

size_t frame_write(unsigned char *out, bool fin, unsigned opcode, uint64_t length,
                   const unsigned char mask[4]) {
    /* TODO(handout step 1.2): the reverse of step 1.1. Byte 0: FIN and the
     * opcode; byte 1: MASK (if mask is not NULL) and the 7-bit length — the
     * length itself under 126, else 126 and 2 bytes, or (over 65535) 127 and
     * 8 bytes, big-endian; then the 4 key bytes if masked. Return the
     * header's size. RFC 6455 §5.2; §5.7's examples must come out byte for
     * byte. */
    (void)out;
    (void)fin;
    (void)opcode;
    (void)length;
    (void)mask;
    return 0;
}

void frame_mask(unsigned char *data, size_t len, const unsigned char mask[4], uint64_t offset) {
    /* TODO(handout step 1.3): data[i] ^= mask[(offset + i) % 4] is right,
     * and slow: make it a word at a time. Build 8 key bytes lined up with
     * data[0] (key[j] = mask[(offset + j) % 4]); read data 8 bytes at a
     * time into a uint64_t with memcpy (a pointer cast is undefined
     * behaviour at an odd address, and data may start anywhere), XOR, store
     * back with memcpy; finish the last bytes one at a time. Any offset,
     * any length, any alignment. The bench wants at least half of memcpy's
     * speed. RFC 6455 §5.3. */
    (void)data;
    (void)len;
    (void)mask;
    (void)offset;
}

int frame_random_mask(unsigned char mask[4]) {
    /* TODO(handout step 1.4): 4 bytes from getrandom(2) (<sys/random.h>);
     * 0 if it gave all 4, else -1. The key must be unpredictable to the
     * page that sends the data: RFC 6455 §5.3, §10.3. */
    memset(mask, 0, 4);
    return -1;
}
