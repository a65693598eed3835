/*
 * upgrade — the handshake program's routes (see upgrade.h).
 *
 * httpd reads a request and hands it here. For GET /ws this module runs the
 * handshake, sends the answer and — on 101 — takes the connection over: from
 * that moment the bytes on it are WebSocket frames, not HTTP, so the
 * handler never returns to httpd's request loop; it returns HTTPD_CLOSE
 * when the WebSocket connection is over.
 *
 *   client                                server
 *     │ GET /ws  Upgrade: websocket ...     │
 *     │────────────────────────────────────►│ handshake_respond()
 *     │◄────────────────────────────────────│ 101 + the hello frame
 *     │ frames (counted, not decoded yet)   │
 *     │────────────────────────────────────►│
 *     │ close frame (0x88 ...) or EOF       │
 *     │────────────────────────────────────►│ close frame back, or just close
 *
 * One trap: the client may send its first frame right behind its handshake,
 * in the same TCP segment. httpd has then already read those bytes along
 * with the request; they wait in c->extra and must be used before the
 * socket is read again.
 *
 * Lab 2, task 4. Read: TUTORIAL §2.6; RFC 6455 §4.2.2, §5.2, §5.5.1.
 */
#include "upgrade.h"

#include <string.h>

#include "hslog.h"
#include "net.h"

/* The response to a handshake: a 101 or a short refusal fits easily. */
#define HANDSHAKE_RESPONSE_MAX 1024
/* /handshakes at its largest: HSLOG_KEEP entries whose request and response
 * (8 KiB each) are all control bytes, each escaped as six (\u00XX). */
#define HANDSHAKES_JSON_MAX (HSLOG_KEEP * (2 * 8192 * 6 + 1024))

enum httpd_result upgrade_handle(struct httpd_conn *c, const struct http_request *req, void *arg) {
    /* TODO(handout step 4.1): route on the target's path (up to any "?").
     * /ws, whatever the method → the handshake (steps 4.2, 4.3; arg is the
     * struct handshake_config). GET /handshakes → 200 application/json with
     * hslog_json() as the body (in a buf_alloc'd buffer of
     * HANDSHAKES_JSON_MAX bytes) and "Cache-Control: no-store"; another
     * method there → 405 with "Allow: GET" (RFC 9110 §15.5.6). Any other
     * path → HTTPD_PASS: httpd serves it from the web root. */
    /* TODO(handout step 4.2): /ws: handshake_respond() into a buf of
     * HANDSHAKE_RESPONSE_MAX bytes (-1 → a 500 and HTTPD_CLOSE). Record it
     * with hslog_add(c->peer, c->request, c->request_len, the response,
     * status, protocol) before sending it. A refusal: send it, return
     * HTTPD_CLOSE. RFC 6455 §4.2.2. */
    /* TODO(handout step 4.3): after a 101: send the response and then
     * UPGRADE_HELLO_FRAME. From now on the bytes are WebSocket frames: count
     * them — FIRST the c->extra_len bytes at c->extra (they arrived with the
     * request), then what net_read() brings, until it returns 0 or less or
     * httpd_stopping(). If the very first byte is 0x88 (a close frame), send
     * UPGRADE_CLOSE_FRAME and stop (RFC 6455 §5.5.1). Then
     * hslog_closed(id, count) and return HTTPD_CLOSE. */
    (void)c;
    (void)req;
    (void)arg;
    return HTTPD_PASS;
}
