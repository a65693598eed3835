/*
 * frame — the WebSocket frame header, and masking.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| payload len |    extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |        (16 or 64 bits)        |
 *   |N|V|V|V|       |S|             |  (if payload len is 126/127)  |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               | masking key, if MASK is set   |
 *   +-------------------------------+-------------------------------+
 *   | masking key (continued)       |          payload data ...     |
 *   +-------------------------------+-------------------------------+
 *                                  (RFC 6455 §5.2)
 *
 * This module only reads and writes headers and applies masks: which frames
 * are allowed when is the protocol's business (ws.h).
 *
 * Lab 3, task 1. Read: TUTORIAL §3.1 "The frame", §3.2 "Masking"; RFC 6455
 * §5.2 (base framing), §5.3 (masking), §5.7 (examples).
 */
#ifndef WSLAB_FRAME_H
#define WSLAB_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OP_CONTINUATION = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

#define FRAME_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (mask key) */

struct frame_header {
    bool fin;
    unsigned rsv;    /* the three reserved bits: RSV1 = 4, RSV2 = 2, RSV3 = 1 */
    unsigned opcode; /* 0..15, as sent */
    bool masked;
    unsigned char mask[4];
    uint64_t length;   /* payload bytes */
    size_t header_len; /* bytes of header: 2 to 14 */
};

enum frame_status {
    FRAME_NEED_MORE = 0, /* the header is not complete yet */
    FRAME_OK = 1,        /* *h is filled; the payload starts at buf + h->header_len */
    FRAME_BAD = -1,      /* a length not in its shortest form, or over 2^63 - 1 */
};

/* Parses the frame header at the start of buf[0..len). Checks only what is
 * wrong with the header as bytes (§5.2: "the minimal number of bytes MUST be
 * used to encode the length"; the 64-bit length's top bit must be 0). */
enum frame_status frame_parse(const unsigned char *buf, size_t len, struct frame_header *h);

/* Writes a header for a payload of `length` bytes into out (room for
 * FRAME_MAX_HEADER bytes), in the shortest length form; masked with `mask`
 * unless mask is NULL (a server's frames are never masked, §5.1). Returns
 * the header's size. */
size_t frame_write(unsigned char *out, bool fin, unsigned opcode, uint64_t length,
                   const unsigned char mask[4]);

/* XORs data[0..len) with the mask, where data[0] is byte `offset` of the
 * payload (so a payload can be masked or unmasked in pieces). Masking and
 * unmasking are the same operation (§5.3). Fast: a word at a time, safe for
 * any alignment. */
void frame_mask(unsigned char *data, size_t len, const unsigned char mask[4], uint64_t offset);

/* Fills mask with 4 unpredictable bytes (getrandom). Returns 0, or -1. */
int frame_random_mask(unsigned char mask[4]);

#endif
