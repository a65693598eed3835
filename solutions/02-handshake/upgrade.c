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

static bool path_is(const struct http_request *req, const char *path) {
    const char *q = memchr(req->target.p, '?', req->target.len);
    size_t len = q != NULL ? (size_t)(q - req->target.p) : req->target.len;
    return len == strlen(path) && memcmp(req->target.p, path, len) == 0;
}

/* After the 101: counts what the client sends until it closes (or the server
 * stops, which shuts the socket down and ends the read). A close frame as
 * the very first thing is answered with a close frame (§5.5.1), which ends
 * the WebSocket connection at once. Returns the bytes received. */
static long long hold_connection(struct httpd_conn *c) {
    long long received = 0;
    /* First the bytes that came in with the request. */
    if (c->extra_len > 0) {
        received = (long long)c->extra_len;
        if ((unsigned char)c->extra[0] == 0x88) {
            httpd_send(c, UPGRADE_CLOSE_FRAME, UPGRADE_CLOSE_FRAME_LEN);
            return received;
        }
    }
    char in[4096];
    ssize_t n;
    while (!httpd_stopping() && (n = net_read(c->fd, in, sizeof in)) > 0) {
        bool first = received == 0;
        received += n;
        if (first && (unsigned char)in[0] == 0x88) {
            httpd_send(c, UPGRADE_CLOSE_FRAME, UPGRADE_CLOSE_FRAME_LEN);
            break;
        }
    }
    return received;
}

/* GET /ws (or any method there: the handshake refuses what is not GET). */
static enum httpd_result websocket(struct httpd_conn *c, const struct http_request *req,
                                   const struct handshake_config *cfg) {
    char storage[HANDSHAKE_RESPONSE_MAX + UPGRADE_HELLO_FRAME_LEN + 1];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    struct handshake_result res;
    int status = handshake_respond(cfg, req, &out, &res);
    if (status < 0) {
        httpd_send_text(c, 500, "the handshake response did not fit\n", false);
        return HTTPD_CLOSE;
    }
    long long id =
        hslog_add(c->peer, c->request, c->request_len, out.data, out.len, status, res.protocol);
    if (status != 101) {
        httpd_send(c, out.data, out.len);
        return HTTPD_CLOSE; /* a refusal ends the connection */
    }

    /* The 101 and the first frame in one write. */
    buf_append(&out, UPGRADE_HELLO_FRAME, UPGRADE_HELLO_FRAME_LEN);
    long long after = 0;
    if (httpd_send(c, out.data, out.len) == 0) after = hold_connection(c);
    hslog_closed(id, after);
    return HTTPD_CLOSE;
}

/* GET /handshakes: the log, as JSON. Never cached: it changes all the time. */
static enum httpd_result handshakes(struct httpd_conn *c, const struct http_request *req) {
    struct buf body;
    if (buf_alloc(&body, HANDSHAKES_JSON_MAX) < 0) {
        httpd_send_text(c, 503, "out of memory\n", false);
        return HTTPD_CLOSE;
    }
    char storage[256];
    struct buf head;
    buf_init(&head, storage, sizeof storage);
    int r = hslog_json(&body);
    r |= http_response_start(&head, 200, "application/json", (long long)body.len, req->keep_alive);
    r |= buf_puts(&head, "Cache-Control: no-store\r\n");
    r |= http_response_end(&head);
    if (r == 0) r = httpd_send(c, head.data, head.len);
    if (r == 0) r = httpd_send(c, body.data, body.len);
    buf_free(&body);
    return r == 0 && req->keep_alive ? HTTPD_DONE : HTTPD_CLOSE;
}

/* 405 names the methods the resource has (RFC 9110 §15.5.6). */
static enum httpd_result method_not_allowed(struct httpd_conn *c, const struct http_request *req) {
    static const char body[] = "method not allowed\n";
    char storage[256];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    int r = http_response_start(&out, 405, "text/plain; charset=utf-8", sizeof body - 1,
                                req->keep_alive);
    r |= buf_puts(&out, "Allow: GET\r\n");
    r |= http_response_end(&out);
    if (req->method != HTTP_HEAD) r |= buf_puts(&out, body);
    if (r == 0) r = httpd_send(c, out.data, out.len);
    return r == 0 && req->keep_alive ? HTTPD_DONE : HTTPD_CLOSE;
}

enum httpd_result upgrade_handle(struct httpd_conn *c, const struct http_request *req, void *arg) {
    if (path_is(req, "/ws")) return websocket(c, req, arg);
    if (path_is(req, "/handshakes"))
        return req->method == HTTP_GET ? handshakes(c, req) : method_not_allowed(c, req);
    return HTTPD_PASS; /* everything else is a file */
}
