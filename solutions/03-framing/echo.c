/*
 * echo — the echo program's routes (see echo.h).
 *
 * httpd hands over each request. /inspect, /echo and any other request
 * that asks for an Upgrade run the handshake (Lab 2) and, after a 101, take
 * the connection over for good:
 *
 *   socket ──read──► ws_feed() ──events──► on_event()
 *     ▲                  │                   │ text/binary: ws_send() it back
 *     └──net_write_all───┴── cfg.write ◄─────┘ (pongs and closes: ws itself)
 *
 * The loop ends when ws says CLOSED (the closing handshake is done) or
 * FAILED (it sent its 1002/1007/1009), when the peer goes away, or when the
 * close the server sent is not answered within close_timeout_ms. Returning
 * HTTPD_CLOSE lets httpd close the TCP connection — the server closes first
 * (§7.1.1) — after a half-close and a short drain, so that the last close
 * frame reaches the client instead of being destroyed by a reset.
 *
 * One trap, as in Lab 2: the client's first frames may have arrived with its
 * handshake; httpd keeps them in c->extra, and they go to ws_feed() first.
 *
 * Stopping: httpd shuts down the reading side of every connection, so a
 * blocked read returns end-of-stream; if the server is stopping, the
 * WebSocket then says goodbye with close 1001 "going away" (§7.4.1) before
 * the connection is closed. No polling, no timers.
 *
 * Lab 3, task 4. Read: TUTORIAL §3.8; RFC 6455 §5.5 (control frames), §5.6
 * (data frames), §7 (closing).
 */
#include "echo.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "net.h"

/* The response to a handshake: a 101 or a short refusal fits easily. */
#define HANDSHAKE_RESPONSE_MAX 1024
/* Bytes read from the socket at a time; on the thread's stack, so an idle
 * connection costs nothing but its ws state. */
#define READ_CHUNK 16384
/* One /inspect description: ~130 bytes of JSON plus two hex strings of
 * WS_INSPECT_BYTES bytes each. */
#define DESCRIPTION_MAX (160 + 4 * WS_INSPECT_BYTES)
#define GOING_AWAY      "server shutting down"
#define IDLE            "idle"

/* ---- /inspect's frame descriptions ----------------------------------------- */

static int append_hex(struct buf *out, const unsigned char *bytes, size_t n) {
    static const char digits[] = "0123456789abcdef";
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        char pair[2] = {digits[bytes[i] >> 4], digits[bytes[i] & 15]};
        r |= buf_append(out, pair, 2);
    }
    return r;
}

int echo_describe_frame(struct buf *out, const struct frame_header *h,
                        const unsigned char *first_bytes, size_t n) {
    if (n > WS_INSPECT_BYTES) n = WS_INSPECT_BYTES;
    /* The bytes as the client sent them, and unmasked: byte i of the payload
     * was XORed with mask[i % 4] (§5.3). No mask: both are the same. */
    unsigned char clear[WS_INSPECT_BYTES];
    for (size_t i = 0; i < n; i++)
        clear[i] = h->masked ? first_bytes[i] ^ h->mask[i % 4] : first_bytes[i];

    int r = buf_printf(out, "{\"fin\":%s,\"rsv\":%u,\"opcode\":%u,\"masked\":%s,\"mask\":\"",
                       h->fin ? "true" : "false", h->rsv, h->opcode, h->masked ? "true" : "false");
    if (h->masked) r |= append_hex(out, h->mask, 4);
    r |= buf_printf(out, "\",\"length\":%" PRIu64 ",\"masked_hex\":\"", h->length);
    r |= append_hex(out, first_bytes, n);
    r |= buf_puts(out, "\",\"payload_hex\":\"");
    r |= append_hex(out, clear, n);
    r |= buf_puts(out, "\"}");
    return r == 0 ? 0 : -1;
}

/* ---- one WebSocket connection ---------------------------------------------- */

struct session {
    struct httpd_conn *conn;
    struct ws ws;
    bool broken; /* a write failed: the peer is gone */
};

/* cfg.write: everything ws sends goes straight to the socket. */
static int write_to_peer(void *arg, const void *data, size_t len) {
    struct session *s = arg;
    if (s->broken || net_write_all(s->conn->fd, data, len) < 0) {
        s->broken = true;
        return -1;
    }
    return 0;
}

/* /inspect: the frame as it arrived, as a text message of its own. */
static void describe(struct ws *ws, const struct ws_event *ev) {
    char storage[DESCRIPTION_MAX];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    if (echo_describe_frame(&out, ev->frame, ev->first_bytes, ev->first_len) == 0)
        ws_send(ws, WS_OP_TEXT, out.data, out.len);
}

/* cfg.on_event. Pings were answered and closes handled by ws itself. */
static void on_event(void *arg, struct ws *ws, const struct ws_event *ev) {
    (void)arg;
    switch (ev->type) {
    case WS_EV_TEXT:
        ws_send(ws, WS_OP_TEXT, ev->data, ev->len);
        break;
    case WS_EV_BINARY:
        ws_send(ws, WS_OP_BINARY, ev->data, ev->len);
        break;
    case WS_EV_FRAME:
        describe(ws, ev);
        break;
    case WS_EV_PING:
    case WS_EV_PONG:
    case WS_EV_CLOSE:
        break;
    }
}

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads and feeds until the WebSocket connection is over. */
static void run(struct session *s, int close_timeout_ms, int idle_timeout_ms) {
    struct ws *ws = &s->ws;
    int fd = s->conn->fd;
    /* First the bytes that came in behind the handshake. */
    if (s->conn->extra_len > 0) ws_feed(ws, s->conn->extra, s->conn->extra_len);

    char in[READ_CHUNK];
    long long close_deadline = -1; /* set once we have sent a close */
    while (!s->broken && (ws_state(ws) == WS_OPEN || ws_state(ws) == WS_CLOSING)) {
        /* While open: as long as it takes, or until the client has been
         * idle too long. */
        int wait = idle_timeout_ms > 0 ? idle_timeout_ms : -1;
        if (ws_state(ws) == WS_CLOSING) {
            /* A peer that never answers our close must not hold the thread. */
            if (close_deadline < 0) close_deadline = monotonic_ms() + close_timeout_ms;
            long long left = close_deadline - monotonic_ms();
            if (left <= 0) break;
            wait = (int)left;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, wait);
        if (ready < 0 && errno != EINTR) break;
        if (ready == 0 && ws_state(ws) == WS_OPEN)
            ws_close(ws, WS_CLOSE_GOING_AWAY, IDLE, strlen(IDLE)); /* silent too long */
        if (ready <= 0) continue;
        ssize_t n = net_read(fd, in, sizeof in);
        if (n <= 0) {
            /* The peer went away, or httpd shut our reading side because the
             * server is stopping: then say goodbye while we still can. */
            if (httpd_stopping() && ws_state(ws) == WS_OPEN)
                ws_close(ws, WS_CLOSE_GOING_AWAY, GOING_AWAY, strlen(GOING_AWAY));
            break;
        }
        ws_feed(ws, in, (size_t)n);
    }
}

/* After the 101: the echo, until the connection is over. */
static void serve_websocket(struct httpd_conn *c, const struct echo_config *cfg, bool inspect) {
    int close_timeout_ms = cfg->close_timeout_ms > 0 ? cfg->close_timeout_ms : 5000;
    struct session s = {.conn = c};
    struct ws_config wcfg = {
        .role = WS_SERVER,
        .max_message = cfg->max_message,
        .close_timeout_ms = close_timeout_ms,
        .report_frames = inspect,
        .on_event = on_event,
        .write = write_to_peer,
        .arg = &s,
    };
    ws_init(&s.ws, &wcfg);
    run(&s, close_timeout_ms, cfg->idle_timeout_ms);
    ws_free(&s.ws);
}

/* ---- the routes ------------------------------------------------------------ */

static bool path_is(const struct http_request *req, const char *path) {
    const char *q = memchr(req->target.p, '?', req->target.len);
    size_t len = q != NULL ? (size_t)(q - req->target.p) : req->target.len;
    return len == strlen(path) && memcmp(req->target.p, path, len) == 0;
}

/* The handshake; a refusal ends the connection, a 101 starts the echo. */
static enum httpd_result websocket(struct httpd_conn *c, const struct http_request *req,
                                   const struct echo_config *cfg, bool inspect) {
    char storage[HANDSHAKE_RESPONSE_MAX];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    struct handshake_result res;
    int status = handshake_respond(&cfg->handshake, req, &out, &res);
    if (status < 0) {
        httpd_send_text(c, 500, "the handshake response did not fit\n", false);
        return HTTPD_CLOSE;
    }
    if (httpd_send(c, out.data, out.len) == 0 && status == 101) serve_websocket(c, cfg, inspect);
    return HTTPD_CLOSE;
}

enum httpd_result echo_handle(struct httpd_conn *c, const struct http_request *req, void *arg) {
    /* Any method: the handshake refuses what is not GET, with its reason. */
    if (path_is(req, "/inspect")) return websocket(c, req, arg, true);
    /* The echo answers at /echo and at any URL a client asks to upgrade. */
    if (path_is(req, "/echo") || http_header(req, "Upgrade") != NULL)
        return websocket(c, req, arg, false);
    return HTTPD_PASS; /* everything else is a file */
}
