/*
 * support — what the Lab 2 tests share.
 *
 * The bytes a server must send after a good handshake, written out from
 * RFC 6455 §4.2.2 and the handout (never produced by the code under test);
 * a tiny web root and a launcher for the `handshake` program; and small
 * helpers for hex, JSON strings and byte searches.
 */
#ifndef LAB2_SUPPORT_H
#define LAB2_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* RFC 6455 §1.3: the sample key and the accept the RFC gives for it. */
#define SAMPLE_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* The frames of the handout (upgrade.h), written out byte by byte. */
#define HELLO_FRAME     "\x81\x10hello, websocket"
#define HELLO_FRAME_LEN 18
#define CLOSE_REPLY     "\x88\x02\x03\xe8"
#define CLOSE_REPLY_LEN 4
/* A client's close frame with no payload: FIN + opcode 8, MASK bit + length
 * 0, then the 4-byte masking key (RFC 6455 §5.2, §5.3). */
#define CLIENT_CLOSE     "\x88\x80\x1a\x2b\x3c\x4d"
#define CLIENT_CLOSE_LEN 6

/* Writes into out the exact 101 response for `accept`, with a
 * Sec-WebSocket-Protocol line if protocol is not NULL or "". Returns its
 * length. */
size_t expected_101(char *out, size_t cap, const char *accept, const char *protocol);

/* The reason phrase every refusal of this lab uses (RFC 9110 §15). */
const char *refusal_reason(int status);

/* Appends s[0..n) JSON-escaped (RFC 8259 §7, as hslog.h promises: \" \\ \r
 * \n \t, other control bytes as \u00xx) to out (NUL-terminated, capacity
 * cap). */
void json_escape_into(char *out, size_t cap, const char *s, size_t n);

/* The web root made for this test: index.html (INDEX_HTML) and hello.txt. */
#define INDEX_HTML "<!doctype html><title>lab 2 test root</title>\n"
const char *test_root(void);

/* Starts `handshake` on the test root, with one more option (and its value)
 * if opt is not NULL. */
struct t_server *handshake_start(const char *opt, const char *value);

#endif
