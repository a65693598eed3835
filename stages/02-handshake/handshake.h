/*
 * handshake — the server side of the WebSocket opening handshake.
 *
 * A WebSocket connection starts as an HTTP/1.1 GET that asks to switch
 * protocols. This module takes that request, already parsed by Lab 1's
 * http_parse(), checks every rule of RFC 6455 §4.2.1, and writes the answer
 * into a buffer: "101 Switching Protocols" with Sec-WebSocket-Accept, or a
 * refusal that says why. It never touches a socket (sans-I/O), so each rule
 * can be tested with a byte string.
 *
 * Lab 2, task 3. Read: TUTORIAL §2.1–§2.5; RFC 6455 §1.3 (the handshake),
 * §4.2.1 (reading the client's handshake), §4.2.2 (the server's answer),
 * §10.2 (Origin), §11.3 (the header fields); RFC 9110 §7.8 (Upgrade).
 */
#ifndef WSLAB_HANDSHAKE_H
#define WSLAB_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "http.h"

/* The GUID that every WebSocket server appends to the key (RFC 6455 §1.3). */
#define WS_GUID                "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HANDSHAKE_ACCEPT_LEN   28 /* base64 of a 20-byte SHA-1 digest */
#define HANDSHAKE_PROTOCOL_MAX 64

struct handshake_config {
    /* Origins allowed to connect ("http://localhost:8002"), compared
     * case-insensitively; a NULL-terminated array. NULL allows any origin,
     * unless same_origin is set. */
    const char *const *origins;
    /* With origins NULL: allow only the server's own pages, an Origin equal
     * to "http://" + the request's Host (the usual defence against
     * cross-site WebSocket hijacking, TUTORIAL §2.4). */
    bool same_origin;
    /* Refuse requests without an Origin header (browsers always send one;
     * other clients usually do not). */
    bool require_origin;
    /* The subprotocols this server speaks, most preferred first; a
     * NULL-terminated array, or NULL for none. */
    const char *const *protocols;
};

struct handshake_result {
    int status;                                /* 101, or the refusal's status */
    char accept[HANDSHAKE_ACCEPT_LEN + 1];     /* Sec-WebSocket-Accept, on 101 */
    char protocol[HANDSHAKE_PROTOCOL_MAX + 1]; /* the subprotocol chosen, or "" */
    const char *reason;                        /* on a refusal: why, in a few words */
};

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + WS_GUID)), RFC 6455
 * §4.2.2 step 5.4. Writes 28 characters and a NUL. */
void handshake_accept(const char *key, size_t key_len, char accept[HANDSHAKE_ACCEPT_LEN + 1]);

/* Checks req and writes the whole response into out:
 *   101  every rule holds: Upgrade, Connection, Sec-WebSocket-Accept and, if
 *        one was chosen, Sec-WebSocket-Protocol (never an extension);
 *   400  not GET, not HTTP/1.1, no Host, Upgrade without "websocket",
 *        Connection without "Upgrade", Sec-WebSocket-Key missing, repeated,
 *        or not the base64 of 16 bytes — text/plain body giving the reason;
 *   403  an Origin not allowed (or none, if required);
 *   426  Sec-WebSocket-Version missing or not 13, with
 *        "Sec-WebSocket-Version: 13" and "Upgrade: websocket".
 * Refusals carry Content-Length and "Connection: close". The checks run in
 * the order of RFC 6455 §4.2.1 — method and version, Host, Upgrade,
 * Connection, Sec-WebSocket-Key, Sec-WebSocket-Version, Origin — and the
 * first that fails decides the answer. Fills *res and returns res->status,
 * or -1 if out is too small. */
int handshake_respond(const struct handshake_config *cfg, const struct http_request *req,
                      struct buf *out, struct handshake_result *res);

#endif
