/*
 * client — the client side of the opening handshake (RFC 6455 §4.1).
 *
 * The mirror of Lab 2: the client makes a random 16-byte key, sends the
 * upgrade request, and must check the server's answer before it speaks
 * WebSocket: status 101, "Upgrade: websocket", "Connection: Upgrade", the
 * Sec-WebSocket-Accept that only a server that read the key can compute,
 * and no subprotocol or extension it did not offer (§4.1, "the client MUST
 * Fail the WebSocket Connection" if any of these is wrong).
 *
 * Lab 3, task 5. Read: TUTORIAL §3.9 "A client"; RFC 6455 §4.1 (client
 * requirements), §3 (ws:// URIs).
 */
#ifndef WSLAB_CLIENT_H
#define WSLAB_CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "handshake.h"

struct ws_url {
    char host[256];
    int port;        /* 80 if the URI gives none */
    char path[1024]; /* path and query, "/" if none */
};

/* Parses "ws://HOST[:PORT][/PATH]". Returns 0, or -1 (wss:// and any other
 * scheme are refused: TLS comes in Lab 7). */
int client_parse_url(const char *url, struct ws_url *out);

/* A fresh Sec-WebSocket-Key: the base64 of 16 random bytes (getrandom).
 * Returns 0, or -1. */
int client_make_key(char key[25]);

/* Writes the upgrade request for url with key, offering `protocols` (a
 * comma-separated list, or NULL for none). Returns 0, or -1 if out is full. */
int client_request(struct buf *out, const struct ws_url *url, const char *key,
                   const char *protocols);

/* The result of reading the server's answer. */
struct client_answer {
    int status;                                /* the status code, 0 if unreadable */
    char status_line[128];                     /* as received, for error messages */
    char protocol[HANDSHAKE_PROTOCOL_MAX + 1]; /* the subprotocol chosen, or "" */
    const char *error;                         /* why it is refused, or NULL */
};

/* Reads the server's answer from buf[0..len). Returns 0 while the head is
 * not complete; the head's length n > 0 once it is, with *ans filled
 * (ans->error NULL if the handshake succeeded: the bytes after n are the
 * first WebSocket frames); -1 if the head is malformed or over 8 KiB. */
int client_answer(const char *buf, size_t len, const char *key, const char *protocols,
                  struct client_answer *ans);

#endif
