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

int echo_describe_frame(struct buf *out, const struct frame_header *h,
                        const unsigned char *first_bytes, size_t n) {
    /* TODO(handout step 4.3): one line of JSON, keys in this order, no
     * spaces, hex in lowercase (echo.h has an example):
     *   {"fin":true,"rsv":0,"opcode":1,"masked":true,"mask":"37fa213d",
     *    "length":5,"masked_hex":"7f9f4d5158","payload_hex":"48656c6c6f"}
     * At most WS_INSPECT_BYTES of first_bytes (the payload as it arrived,
     * still masked) go into masked_hex; payload_hex is the same bytes
     * unmasked: byte i XOR mask[i % 4] (RFC 6455 §5.3). Without a mask,
     * "mask" is "" and both hex strings are the same. length is a
     * uint64_t: print it with PRIu64. -1 if out overflowed. */
    (void)out;
    (void)h;
    (void)first_bytes;
    (void)n;
    return -1;
}

enum httpd_result echo_handle(struct httpd_conn *c, const struct http_request *req, void *arg) {
    /* TODO(handout step 4.1): route on the target's path (up to any "?"):
     * /inspect, /echo, and any other path whose request has an Upgrade
     * header, whatever the method, → the handshake (it refuses what is not
     * GET); anything else → HTTPD_PASS, and httpd serves it from the web
     * root. The handshake: handshake_respond() with the policy
     * in ((struct echo_config *)arg)->handshake, into a buf of
     * HANDSHAKE_RESPONSE_MAX bytes (-1 → a 500 and HTTPD_CLOSE); send the
     * answer; a refusal ends there (HTTPD_CLOSE). RFC 6455 §4.2.2. */
    /* TODO(handout step 4.2): after a 101 the connection is yours until it
     * ends; then return HTTPD_CLOSE (httpd closes TCP: the server closes
     * first, §7.1.1). ws_init() a struct ws for WS_SERVER with the config's
     * max_message and close_timeout_ms (0: 5000), an on_event that
     * ws_send()s every WS_EV_TEXT / WS_EV_BINARY back with the same opcode
     * (pings and closes are answered by ws itself), and a write function
     * that net_write_all()s to c->fd and remembers when that fails (the
     * peer is gone). Feed c->extra FIRST: the c->extra_len bytes that came
     * in with the handshake. Then loop while the state is WS_OPEN or
     * WS_CLOSING: poll() the fd (while open, at most the config's
     * idle_timeout_ms if it is set: when that passes with nothing read,
     * ws_close() with WS_CLOSE_GOING_AWAY and IDLE), net_read() up to
     * READ_CHUNK bytes into a buffer on the stack, ws_feed() them. Stop
     * when a write failed or a read returns 0 or less — and if then
     * httpd_stopping() and the state is WS_OPEN (httpd shut our reading
     * side), first ws_close() with WS_CLOSE_GOING_AWAY and GOING_AWAY. In
     * WS_CLOSING, give up close_timeout_ms after the close was sent.
     * ws_free() at the end.
     * RFC 6455 §5.5, §5.6, §7.1. */
    /* TODO(handout step 4.3): for /inspect, set report_frames in the
     * ws_config, and on each WS_EV_FRAME send a text message of its own with
     * echo_describe_frame(ev->frame, ev->first_bytes, ev->first_len) (into
     * a buf of DESCRIPTION_MAX bytes on the stack) before anything else. */
    (void)c;
    (void)req;
    (void)arg;
    return HTTPD_PASS;
}
