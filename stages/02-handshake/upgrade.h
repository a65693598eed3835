/*
 * upgrade — the handshake program's routes.
 *
 *   GET /ws          the WebSocket handshake (handshake_respond). On 101 the
 *                    server sends one text frame, UPGRADE_HELLO_FRAME, then
 *                    holds the connection until the client closes it. The
 *                    bytes the client sends after its handshake are WebSocket
 *                    frames that Lab 3 will decode; here they are only
 *                    counted — except that a close frame as the client's first
 *                    frame (first byte 0x88) is answered with the close frame
 *                    UPGRADE_CLOSE_FRAME and the connection is closed, so that
 *                    a browser's ws.close() ends at once.
 *   GET /handshakes  the last handshakes as JSON (hslog_json).
 * Everything else is a file from the web root.
 *
 * Lab 2, task 4. Read: TUTORIAL §2.6 "After the 101"; RFC 6455 §5.2 (the
 * frame the server sends), §5.5.1 (close).
 */
#ifndef WSLAB_UPGRADE_H
#define WSLAB_UPGRADE_H

#include "handshake.h"
#include "httpd.h"

/* The text frame sent after the 101: FIN + opcode 1 (text), unmasked,
 * length 16, "hello, websocket" (RFC 6455 §5.2, §5.6). */
#define UPGRADE_HELLO_FRAME     "\x81\x10hello, websocket"
#define UPGRADE_HELLO_FRAME_LEN 18

/* The close frame the server answers a client's close with: FIN + opcode 8,
 * length 2, status 1000 "normal closure" in network byte order (§5.5.1, §7.4). */
#define UPGRADE_CLOSE_FRAME     "\x88\x02\x03\xe8"
#define UPGRADE_CLOSE_FRAME_LEN 4

/* The httpd handler for /ws and /handshakes; arg is a struct handshake_config. */
enum httpd_result upgrade_handle(struct httpd_conn *c, const struct http_request *req, void *arg);

#endif
