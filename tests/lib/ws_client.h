/*
 * ws_client — the tests' own WebSocket client, for every lab from Lab 3 on.
 *
 * Framing written from RFC 6455 §5.2–§5.3 and sharing no code with any lab
 * (frame.c, ws.c, hub.c, ...): a frame writer (client frames, masked byte by
 * byte), a header parser that insists on what a server must send (no mask,
 * the shortest length form, no RSV bits), a UTF-8 check written from the
 * table of RFC 3629 §4, and a client over the harness's raw connections
 * (harness.h). The handshake uses the sample key of RFC 6455 §1.3, whose
 * accept the RFC prints, so no SHA-1 is needed here.
 *
 * Its names carry no lab prefix (ws_, frame_, utf8_ ... belong to the labs);
 * the two that would read like a lab's are t_ws_request and t_ws_connect.
 */
#ifndef WSLAB_WS_CLIENT_H
#define WSLAB_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* RFC 6455 §1.3: the sample key and the accept the RFC gives for it. */
#define SAMPLE_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* The first byte of a frame: FIN, RSV1-3, opcode (RFC 6455 §5.2). */
#define FIN       0x80u
#define RSV1      0x40u
#define RSV2      0x20u
#define RSV3      0x10u
#define OP_CONT   0x0u
#define OP_TEXT   0x1u
#define OP_BINARY 0x2u
#define OP_CLOSE  0x8u
#define OP_PING   0x9u
#define OP_PONG   0xAu

/* How long a test waits for an answer it expects: generous, and shorter than
 * a test's own 5 s, so that a missing answer is reported as such. */
#define IO_MS 3000

/* A string literal and its length. */
#define S(lit) lit, sizeof lit - 1

/* ---- bytes --------------------------------------------------------------------- */

/* A growing byte string (starts zeroed). */
struct bytes {
    unsigned char *p;
    size_t len, cap;
};

void bytes_put(struct bytes *b, const void *data, size_t n);
void bytes_free(struct bytes *b);

/* n bytes of printable ASCII / of every byte value, different for each seed
 * (malloc'd). */
unsigned char *ascii_pattern(size_t n, unsigned seed);
unsigned char *binary_pattern(size_t n, unsigned seed);

/* ---- framing ----------------------------------------------------------------------- */

/* XORs data[0..len) with key, data[0] being byte `offset` of the payload,
 * one byte at a time: the oracle for frame_mask (RFC 6455 §5.3). */
void naive_mask(unsigned char *data, size_t len, const unsigned char key[4], uint64_t offset);

/* Appends a frame whose first byte is b0 (FIN | RSV | opcode), with the
 * shortest length form, masked with key (NULL: unmasked). */
void put_frame(struct bytes *out, unsigned b0, const unsigned char *key, const void *payload,
               size_t len);

/* Appends a close frame (FIN) carrying code and reason; code 0: empty payload. */
void put_close(struct bytes *out, const unsigned char *key, unsigned code, const void *reason,
               size_t reason_len);

/* A frame header as this parser read it. */
struct tframe {
    bool fin;
    unsigned rsv; /* RSV1 = 4, RSV2 = 2, RSV3 = 1 */
    unsigned opcode;
    bool masked;
    unsigned char key[4];
    uint64_t len;
    size_t header_len;
};

/* Reads the header at buf[0..len): returns its length, 0 if incomplete, or
 * -1 with *why set if the length is not in its shortest form. */
int tframe_parse(const unsigned char *buf, size_t len, struct tframe *f, const char **why);

/* Is p[0..n) valid UTF-8 (RFC 3629 §4, checked byte by byte)? */
bool naive_utf8(const unsigned char *p, size_t n);

/* "text", "binary", "close", "ping", "pong", "continuation" or "opcode N". */
const char *opcode_name(unsigned opcode);

/* ---- a client over the harness's connections ------------------------------------ */

/* The upgrade request for path (and query) with the sample key. Returns its
 * length. */
size_t t_ws_request(char *out, size_t cap, int port, const char *path);

/* Expects exactly the 101 that answers the sample key. */
void expect_101(struct t_conn *c);

/* Connects to path ("/echo", "/chat/room?name=ann") and completes the
 * handshake. */
struct t_conn *t_ws_connect(int port, const char *path);

/* Sends one frame (b0 = FIN | RSV | opcode), masked with a fresh key. */
void send_frame(struct t_conn *c, unsigned b0, const void *payload, size_t len);
/* Sends a masked close with code (0: empty) and reason. */
void send_close(struct t_conn *c, unsigned code, const void *reason, size_t reason_len);
/* Appends a masked frame / close to out, for sending several in one write. */
void add_frame(struct bytes *out, unsigned b0, const void *payload, size_t len);
void add_close(struct bytes *out, unsigned code, const void *reason, size_t reason_len);

/* A frame from the server. */
struct rframe {
    struct tframe h;
    unsigned char *payload; /* malloc'd, NUL-terminated */
};

/* Reads one frame from the server; fails unless it is well formed for a
 * server (unmasked, shortest length, RSV 0). `what` says what the test
 * expects, for the failure message. */
struct rframe read_frame(struct t_conn *c, const char *what, int timeout_ms);
void rframe_free(struct rframe *f);

/* A one-line description of a frame ("a text frame of 5 bytes \"hello\"",
 * "a close frame with code 1000"), for failure messages. Static buffer. */
const char *rframe_describe(const struct rframe *f);

/* Expects one whole message frame (FIN) with this opcode and payload. */
void expect_message(struct t_conn *c, unsigned opcode, const void *payload, size_t len);
void expect_text(struct t_conn *c, const char *text);
void expect_pong(struct t_conn *c, const void *payload, size_t len);

/* Expects a close frame with code (0: an empty close), any valid UTF-8
 * reason; returns nothing. */
void expect_close(struct t_conn *c, unsigned code);

/* "Fail the WebSocket connection" (RFC 6455 §7.1.7): a close with code,
 * then the server closes TCP without waiting for our answer. Frees c. */
void expect_fail(struct t_conn *c, unsigned code);

/* The normal end: we send close 1000, the server answers 1000 and closes
 * TCP first (§7.1.1). Frees c. */
void close_cleanly(struct t_conn *c);

#endif
