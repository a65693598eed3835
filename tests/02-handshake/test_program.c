/*
 * Lab 2, task 4 — the `handshake` program (upgrade.c, over the given httpd).
 *
 * Each test starts the program on an ephemeral port with a fresh web root
 * and talks to it over raw sockets on 127.0.0.1, byte for byte: the 101 must
 * be exactly the bytes RFC 6455 §4.2.2 and the handout describe, followed by
 * exactly the 18-byte hello frame; refusals are complete HTTP responses and
 * the connection then closes. The bytes a client sends after its handshake
 * belong to the WebSocket stream — even when they arrive in the same read as
 * the request — and /handshakes must report them.
 *
 * Accept values come from RFC 6455 §1.3 and vectors/vectors.h (Python).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "support.h"
#include "vectors/vectors.h"

#define HINT_UPGRADE                                                                               \
    "TUTORIAL §2.6 \"After the 101\"; upgrade.h; RFC 6455 §4.2.2 (the 101), §5.2 (the frame "   \
    "that follows)"
#define HINT_REFUSE                                                                                \
    "TUTORIAL §2.2 \"The client's request\", §2.6; RFC 6455 §4.2.1, §4.2.2 (400, 403, 426); "  \
    "upgrade.h: send the refusal handshake_respond wrote, then close"
#define HINT_EXTRA                                                                                 \
    "TUTORIAL §2.6 (bytes that came with the request); httpd.h: c->extra holds what arrived "     \
    "after the request in the same read — use it before reading the socket; RFC 6455 §4.1 "     \
    "(the client may send frames right after its handshake), §5.5.1 (close)"
#define HINT_ORIGIN_OPT                                                                             \
    "TUTORIAL §2.4 \"Origin\"; RFC 6455 §10.2; the handout (--origin, --require-origin; default " \
    "same: Origin = \"http://\" + Host)"
#define HINT_PROTOCOL_OPT                                                                          \
    "TUTORIAL §2.5 \"Subprotocols and extensions\"; RFC 6455 §4.2.2 step 5.5; the handout "      \
    "(--protocol, default chat,superchat)"
#define HINT_LOG                                                                                   \
    "TUTORIAL §2.6; hslog.h: hslog_add(peer, the request's bytes (c->request, request_len), the " \
    "response's bytes, status, protocol) when answered, hslog_closed(id, bytes after the "         \
    "handshake) at the end"

#define IO_MS 3000

/* ---- requests and answers ------------------------------------------------------ */

/* A handshake request for /ws on the server at port, with more header lines
 * (may be ""). Returns its length. */
static size_t ws_request(char *out, size_t cap, int port, const char *key, const char *extra) {
    int n = snprintf(out, cap,
                     "GET /ws HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "%s"
                     "\r\n",
                     port, key, extra);
    if (n < 0 || (size_t)n >= cap) FAILF("test bug: ws_request needs more than %zu bytes", cap);
    return (size_t)n;
}

/* Expects exactly the 101 for accept (and protocol, or none), then exactly
 * the hello frame. */
static void expect_upgraded(struct t_conn *c, const char *accept, const char *protocol) {
    char want[512];
    size_t want_len = expected_101(want, sizeof want, accept, protocol);
    t_waiting("the 101 Switching Protocols response");
    size_t len;
    char *head = t_read_until(c, "\r\n\r\n", 8192, IO_MS, &len);
    if (len != want_len || memcmp(head, want, len) != 0) {
        char got[2048];
        snprintf(got, sizeof got, "%s", t_escape(head, len, 800));
        FAILF("expected: exactly \"%s\"\n     got: \"%s\"", t_escape(want, want_len, 800), got);
    }
    free(head);
    t_waiting("the 18-byte hello frame after the 101");
    char *frame = t_read_exact(c, HELLO_FRAME_LEN, IO_MS);
    if (memcmp(frame, HELLO_FRAME, HELLO_FRAME_LEN) != 0) {
        char got[256];
        snprintf(got, sizeof got, "%s", t_escape(frame, HELLO_FRAME_LEN, 100));
        FAILF("expected: the hello frame \"%s\" right after the 101\n     got: \"%s\"",
              t_escape(HELLO_FRAME, HELLO_FRAME_LEN, 100), got);
    }
    free(frame);
}

/* Opens a connection, sends a handshake with `extra` header lines and
 * expects the upgrade. */
static struct t_conn *upgrade(int port, const char *key, const char *accept, const char *extra,
                              const char *protocol) {
    char req[1024];
    struct t_conn *c = t_conn_open(port);
    t_send(c, req, ws_request(req, sizeof req, port, key, extra));
    expect_upgraded(c, accept, protocol);
    return c;
}

static void expect_header(const struct t_response *r, const char *name, const char *value) {
    const char *got = t_http_header(r, name);
    if (!got || strcmp(got, value) != 0)
        FAILF("expected: %s: %s\n     got: %s%s%s; head:\n%s", name, value, got ? name : "",
              got ? ": " : "no such header", got ? got : "",
              t_escape(r->head, strlen(r->head), 600));
}

/* Expects a complete refusal with `status`, then the server closing. */
static void expect_refused(struct t_conn *c, int status) {
    struct t_response *r = t_http_read(c, false, IO_MS);
    t_expect_status(r, status);
    if (strcmp(r->reason, refusal_reason(status)) != 0)
        FAILF("expected: the status line \"HTTP/1.1 %d %s\"\n     got: reason \"%s\"", status,
              refusal_reason(status), r->reason);
    expect_header(r, "Connection", "close");
    expect_header(r, "Content-Type", "text/plain; charset=utf-8");
    if (!t_http_header(r, "Content-Length") || r->body_len == 0)
        FAILF("expected: a Content-Length and a short reason as the body\n     got: head:\n%s",
              t_escape(r->head, strlen(r->head), 600));
    if (status == 426) {
        expect_header(r, "Sec-WebSocket-Version", "13");
        expect_header(r, "Upgrade", "websocket");
    }
    t_response_free(r);
    t_expect_closed(c, 2000);
}

/* Sends req on a new connection and expects the refusal `status` (a
 * failure shows the bytes of the last connections). */
static void refused_on_new_conn(int port, const char *req, int status) {
    struct t_conn *c = t_conn_open(port);
    t_send_str(c, req);
    expect_refused(c, status);
    t_conn_close(c);
}

#define SAMPLE_PROTOCOLS "Sec-WebSocket-Protocol: chat, superchat\r\n"

/* ---- the 101 and what follows ------------------------------------------------------ */

TEST(sample_over_socket, .id = "2.4.1", .points = 3,
     .title = "GET /ws: exactly the sample 101 (with Sec-WebSocket-Protocol: chat), then exactly "
              "the hello frame 81 10 \"hello, websocket\"; held open until the client leaves",
     .hint = HINT_UPGRADE) {
    struct t_server *s = handshake_start(NULL, NULL);
    struct t_conn *c = upgrade(s->port, SAMPLE_KEY, SAMPLE_ACCEPT, SAMPLE_PROTOCOLS, "chat");
    t_note("after the hello frame the server waits for the client's frames");
    t_expect_silence(c, 250);
    t_note("the client half-closed its side: the server should close too");
    t_conn_shutdown_write(c);
    t_expect_closed(c, 2000);
    t_conn_close(c);
}

TEST(keys_over_socket, .id = "2.4.2", .points = 2,
     .title = "eight clients at once each get the accept of their own key",
     .hint = HINT_UPGRADE "; TUTORIAL §2.3 (the accept)") {
    struct t_server *s = handshake_start(NULL, NULL);
    struct t_conn *c[8];
    char req[1024];
    for (int i = 0; i < 8; i++) {
        c[i] = t_conn_open(s->port);
        t_send(c[i], req, ws_request(req, sizeof req, s->port, vec_accept[i].key, ""));
    }
    for (int i = 0; i < 8; i++) {
        t_note("client %d, key %s", i + 1, vec_accept[i].key);
        expect_upgraded(c[i], vec_accept[i].accept, NULL);
    }
    for (int i = 0; i < 8; i++) t_conn_close(c[i]);
}

TEST(refusals_over_socket, .id = "2.4.3", .points = 3,
     .title = "each bad handshake gets its refusal (400, 426, 403) and the connection closes",
     .hint = HINT_REFUSE) {
    struct t_server *s = handshake_start(NULL, NULL);
    int port = s->port;
    struct t_conn *good = upgrade(port, SAMPLE_KEY, SAMPLE_ACCEPT, "", NULL);
    t_conn_close(good);
    char req[1024];
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
             port);
    refused_on_new_conn(port, req, 400);
    ws_request(req, sizeof req, port, "dGhlIHNhbXBsZSBub25j", "");
    refused_on_new_conn(port, req, 400);
    snprintf(req, sizeof req,
             "POST /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nContent-Length: "
             "0\r\n\r\n",
             port, SAMPLE_KEY);
    refused_on_new_conn(port, req, 400);
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
             port, SAMPLE_KEY);
    refused_on_new_conn(port, req, 400);
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 8\r\n\r\n",
             port, SAMPLE_KEY);
    refused_on_new_conn(port, req, 426);
    ws_request(req, sizeof req, port, SAMPLE_KEY, "Origin: http://evil.example\r\n");
    refused_on_new_conn(port, req, 403);
}

TEST(dribbled, .id = "2.4.4", .points = 2,
     .title = "a handshake dribbled one byte at a time still gets the 101 and the hello frame",
     .hint = HINT_UPGRADE "; the request reaches upgrade_handle only once it is complete (httpd "
                          "and your Lab 1 parser)") {
    struct t_server *s = handshake_start(NULL, NULL);
    char req[1024];
    size_t len = ws_request(req, sizeof req, s->port, vec_accept[5].key, SAMPLE_PROTOCOLS);
    struct t_conn *c = t_conn_open(s->port);
    t_send_dribble(c, req, len, 1, 1);
    expect_upgraded(c, vec_accept[5].accept, "chat");
    t_conn_close(c);
}

/* ---- the bytes after the handshake --------------------------------------------------- */

TEST(close_in_same_write, .id = "2.4.5", .points = 3,
     .title = "a close frame sent in the same write as the request is not lost: 101, hello, "
              "then 88 02 03 e8 and the close",
     .hint = HINT_EXTRA) {
    struct t_server *s = handshake_start(NULL, NULL);
    char req[1024];
    size_t len = ws_request(req, sizeof req, s->port, SAMPLE_KEY, "");
    memcpy(req + len, CLIENT_CLOSE, CLIENT_CLOSE_LEN);
    struct t_conn *c = t_conn_open(s->port);
    t_note("sent in one write: the request, then a masked close frame 88 80 1a 2b 3c 4d");
    t_send(c, req, len + CLIENT_CLOSE_LEN);
    expect_upgraded(c, SAMPLE_ACCEPT, NULL);
    t_waiting("the close frame 88 02 03 e8 answering the client's close");
    char *reply = t_read_exact(c, CLOSE_REPLY_LEN, IO_MS);
    CHECK_MEM(reply, CLOSE_REPLY_LEN, CLOSE_REPLY, CLOSE_REPLY_LEN);
    free(reply);
    t_expect_closed(c, 2000);
    t_conn_close(c);
}

TEST(close_later, .id = "2.4.6", .points = 2,
     .title = "a close frame sent later is answered with 88 02 03 e8 and the connection closes",
     .hint = "TUTORIAL §2.6 \"After the 101\"; upgrade.h; RFC 6455 §5.5.1 (close)") {
    struct t_server *s = handshake_start(NULL, NULL);
    struct t_conn *c = upgrade(s->port, vec_accept[3].key, vec_accept[3].accept, "", NULL);
    t_expect_silence(c, 200);
    t_note("the client sent a masked close frame 88 80 1a 2b 3c 4d, in two pieces");
    t_send(c, CLIENT_CLOSE, 2);
    t_send(c, &CLIENT_CLOSE[2], CLIENT_CLOSE_LEN - 2);
    t_waiting("the close frame 88 02 03 e8 answering the client's close");
    char *reply = t_read_exact(c, CLOSE_REPLY_LEN, IO_MS);
    CHECK_MEM(reply, CLOSE_REPLY_LEN, CLOSE_REPLY, CLOSE_REPLY_LEN);
    free(reply);
    t_expect_closed(c, 2000);
    t_conn_close(c);
}

/* ---- options --------------------------------------------------------------------- */

TEST(protocol_option, .id = "2.4.7", .points = 2,
     .title = "--protocol sets the server's subprotocols in order (default chat,superchat; '' "
              "for none)",
     .hint = HINT_PROTOCOL_OPT) {
    struct t_server *dflt = handshake_start(NULL, NULL);
    struct t_server *pref = handshake_start("--protocol", "superchat,chat");
    struct t_server *none = handshake_start("--protocol", "");
    t_note("default server (chat,superchat)");
    t_conn_close(upgrade(dflt->port, SAMPLE_KEY, SAMPLE_ACCEPT,
                         "Sec-WebSocket-Protocol: superchat\r\n", "superchat"));
    t_conn_close(upgrade(dflt->port, SAMPLE_KEY, SAMPLE_ACCEPT,
                         "Sec-WebSocket-Protocol: superchat, chat\r\n", "chat"));
    t_conn_close(
        upgrade(dflt->port, SAMPLE_KEY, SAMPLE_ACCEPT, "Sec-WebSocket-Protocol: mqtt\r\n", NULL));
    t_note("--protocol superchat,chat");
    t_conn_close(upgrade(pref->port, SAMPLE_KEY, SAMPLE_ACCEPT, SAMPLE_PROTOCOLS, "superchat"));
    t_conn_close(upgrade(pref->port, SAMPLE_KEY, SAMPLE_ACCEPT,
                         "Sec-WebSocket-Protocol: mqtt, chat\r\n", "chat"));
    t_note("--protocol ''");
    t_conn_close(upgrade(none->port, SAMPLE_KEY, SAMPLE_ACCEPT, SAMPLE_PROTOCOLS, NULL));
}

TEST(origin_option, .id = "2.4.8", .points = 3,
     .title = "--origin: by default only the server's own origin (http:// + Host); a list; "
              "'*'; --require-origin",
     .hint = HINT_ORIGIN_OPT) {
    char own[64], line[128];
    struct t_server *dflt = handshake_start(NULL, NULL);
    int port = dflt->port;
    t_note("default (same origin), Host: 127.0.0.1:%d", port);
    snprintf(own, sizeof own, "http://127.0.0.1:%d", port);
    snprintf(line, sizeof line, "Origin: %s\r\n", own);
    t_conn_close(upgrade(port, SAMPLE_KEY, SAMPLE_ACCEPT, line, NULL));
    t_conn_close(upgrade(port, SAMPLE_KEY, SAMPLE_ACCEPT, "", NULL));
    char req[1024];
    ws_request(req, sizeof req, port, SAMPLE_KEY, "Origin: http://evil.example\r\n");
    refused_on_new_conn(port, req, 403);

    struct t_server *list = handshake_start("--origin", "http://good.example,http://also.example");
    t_note("--origin http://good.example,http://also.example");
    t_conn_close(
        upgrade(list->port, SAMPLE_KEY, SAMPLE_ACCEPT, "Origin: http://also.example\r\n", NULL));
    t_conn_close(
        upgrade(list->port, SAMPLE_KEY, SAMPLE_ACCEPT, "Origin: http://good.example\r\n", NULL));
    snprintf(line, sizeof line, "Origin: http://127.0.0.1:%d\r\n", list->port);
    ws_request(req, sizeof req, list->port, SAMPLE_KEY, line);
    refused_on_new_conn(list->port, req, 403);
    ws_request(req, sizeof req, list->port, SAMPLE_KEY, "Origin: http://evil.example\r\n");
    refused_on_new_conn(list->port, req, 403);

    struct t_server *any = handshake_start("--origin", "*");
    t_note("--origin '*'");
    t_conn_close(
        upgrade(any->port, SAMPLE_KEY, SAMPLE_ACCEPT, "Origin: http://evil.example\r\n", NULL));

    struct t_server *req_origin = handshake_start("--require-origin", NULL);
    t_note("--require-origin (same origin)");
    snprintf(line, sizeof line, "Origin: http://127.0.0.1:%d\r\n", req_origin->port);
    t_conn_close(upgrade(req_origin->port, SAMPLE_KEY, SAMPLE_ACCEPT, line, NULL));
    ws_request(req, sizeof req, req_origin->port, SAMPLE_KEY, "");
    refused_on_new_conn(req_origin->port, req, 403);
}

/* ---- /handshakes -------------------------------------------------------------------- */

/* GET /handshakes; checks the head and returns the body. */
static struct t_response *get_log(int port) {
    struct t_response *r = t_http_once(port, "GET", "/handshakes", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    const char *type = t_http_header(r, "Content-Type");
    if (!type || strncmp(type, "application/json", 16) != 0)
        FAILF("expected: Content-Type: application/json\n     got: %s", type ? type : "none");
    expect_header(r, "Cache-Control", "no-store");
    return r;
}

/* The JSON that /handshakes must hold for a handshake (up to "bytes_after"
 * when closed_after >= 0). */
static void log_entry(char *out, size_t cap, int status, const char *protocol, const char *req,
                      size_t req_len, const char *resp, size_t resp_len, long closed_after) {
    snprintf(out, cap, "\"status\":%d,\"protocol\":\"%s\",\"request\":\"", status, protocol);
    json_escape_into(out, cap, req, req_len);
    strncat(out, "\",\"response\":\"", cap - strlen(out) - 1);
    json_escape_into(out, cap, resp, resp_len);
    if (closed_after >= 0) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "\",\"open\":false,\"bytes_after\":%ld}", closed_after);
    }
}

/* Polls /handshakes until it holds every needle (the server records the end
 * of a connection just after closing it), for at most 3 s. */
static struct t_response *wait_log(int port, const char *const needles[], size_t n) {
    long long deadline = t_now_ms() + 3000;
    for (;;) {
        struct t_response *r = get_log(port);
        size_t missing = n;
        for (size_t i = 0; i < n; i++)
            if (t_contains(r->body, r->body_len, needles[i])) missing--;
        if (missing == 0) return r;
        if (t_now_ms() > deadline) {
            for (size_t i = 0; i < n; i++)
                if (!t_contains(r->body, r->body_len, needles[i])) {
                    char want[4096];
                    snprintf(want, sizeof want, "%s",
                             t_escape(needles[i], strlen(needles[i]), 1500));
                    FAILF("expected: /handshakes to contain\n          %s\n     got: %s", want,
                          t_escape(r->body, r->body_len, 3000));
                }
        }
        t_response_free(r);
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

TEST(handshakes_log, .id = "2.4.9", .points = 3,
     .title = "/handshakes lists each handshake: raw request and response, status, protocol, "
              "and bytes_after",
     .hint = HINT_LOG) {
    struct t_server *s = handshake_start(NULL, NULL);
    int port = s->port;
    char resp[512];
    static char want_a[8192], want_b[8192], want_c[8192];

    t_note("client A: the request and a close frame in one write");
    char req_a[1024];
    size_t len_a = ws_request(req_a, sizeof req_a, port, SAMPLE_KEY, SAMPLE_PROTOCOLS);
    memcpy(req_a + len_a, CLIENT_CLOSE, CLIENT_CLOSE_LEN);
    struct t_conn *a = t_conn_open(port);
    t_send(a, req_a, len_a + CLIENT_CLOSE_LEN);
    expect_upgraded(a, SAMPLE_ACCEPT, "chat");
    free(t_read_exact(a, CLOSE_REPLY_LEN, IO_MS));
    t_expect_closed(a, 2000);
    t_conn_close(a);
    size_t resp_len = expected_101(resp, sizeof resp, SAMPLE_ACCEPT, "chat");
    log_entry(want_a, sizeof want_a, 101, "chat", req_a, len_a, resp, resp_len, 6);

    t_note("client B: the request and 5 bytes of a text frame in one write, 6 more bytes later, "
           "then end of stream");
    static const char frame[] = "\x81\x85\x01\x02\x03\x04"
                                "igohn"; /* "hello" masked with 01 02 03 04 */
    char req_b[1024];
    size_t len_b = ws_request(req_b, sizeof req_b, port, vec_accept[7].key, "");
    memcpy(req_b + len_b, frame, 5);
    struct t_conn *b = t_conn_open(port);
    t_send(b, req_b, len_b + 5);
    expect_upgraded(b, vec_accept[7].accept, NULL);
    t_send(b, frame + 5, 6);
    t_conn_shutdown_write(b);
    if (!t_peer_closed(b, 2000))
        FAILF("expected: the server to close the connection after the client's end of stream\n"
              "     got: it stayed open");
    t_conn_close(b);
    resp_len = expected_101(resp, sizeof resp, vec_accept[7].accept, NULL);
    log_entry(want_b, sizeof want_b, 101, "", req_b, len_b, resp, resp_len, 11);

    t_note("client C: refused (a foreign Origin)");
    char req_c[1024];
    size_t len_c =
        ws_request(req_c, sizeof req_c, port, SAMPLE_KEY, "Origin: http://evil.example\r\n");
    refused_on_new_conn(port, req_c, 403);
    log_entry(want_c, sizeof want_c, 403, "", req_c, len_c, "HTTP/1.1 403 Forbidden\r\n", 24, -1);

    const char *needles[] = {want_a, want_b, want_c, "\"peer\":\"127.0.0.1:"};
    struct t_response *r = wait_log(port, needles, 4);
    const char *pa = strstr(r->body, want_a), *pb = strstr(r->body, want_b);
    const char *pc = strstr(r->body, want_c);
    if (!(pa < pb && pb < pc))
        FAILF("expected: the handshakes oldest first (A, B, C)\n     got: %s",
              t_escape(r->body, r->body_len, 3000));
    t_response_free(r);
}

/* ---- the rest of the server ------------------------------------------------------------ */

TEST(static_and_routes, .id = "2.4.10", .points = 1,
     .title = "files are still served (/ -> index.html); other methods on /handshakes get 405 "
              "Allow: GET; a plain GET /ws gets 400",
     .hint = "the handout (The handshake program); upgrade.h; httpd.h (HTTPD_PASS lets the "
             "static files answer)") {
    struct t_server *s = handshake_start(NULL, NULL);
    t_conn_close(upgrade(s->port, SAMPLE_KEY, SAMPLE_ACCEPT, "", NULL));
    struct t_response *r = t_http_once(s->port, "GET", "/", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    CHECK_MEM(r->body, r->body_len, INDEX_HTML, strlen(INDEX_HTML));
    t_response_free(r);
    r = t_http_once(s->port, "GET", "/hello.txt", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    CHECK_MEM(r->body, r->body_len, "hello\n", 6);
    t_response_free(r);
    r = t_http_once(s->port, "POST", "/handshakes", NULL, "x", IO_MS);
    t_expect_status(r, 405);
    expect_header(r, "Allow", "GET");
    t_response_free(r);
    r = t_http_once(s->port, "GET", "/ws", NULL, NULL, IO_MS);
    t_expect_status(r, 400);
    t_response_free(r);
}

TEST(garbage_then_more, .id = "2.4.11", .points = 1,
     .title = "garbage gets 400 and a close, while the server keeps serving other clients",
     .hint = "httpd.h (a parse error gets its status); upgrade.h; TUTORIAL §2.6") {
    struct t_server *s = handshake_start(NULL, NULL);
    struct t_conn *held = upgrade(s->port, SAMPLE_KEY, SAMPLE_ACCEPT, "", NULL);
    struct t_conn *bad = t_conn_open(s->port);
    t_note("garbage: a TLS ClientHello's first bytes on a plain-text port");
    t_send(bad, "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 15);
    struct t_response *r = t_http_read(bad, false, IO_MS);
    t_expect_status(r, 400);
    t_response_free(r);
    t_expect_closed(bad, 2000);
    t_conn_close(bad);
    t_note("a new client after the garbage");
    t_conn_close(upgrade(s->port, vec_accept[2].key, vec_accept[2].accept, "", NULL));
    t_note("the client held open since before the garbage sends its close");
    t_send(held, CLIENT_CLOSE, CLIENT_CLOSE_LEN);
    char *reply = t_read_exact(held, CLOSE_REPLY_LEN, IO_MS);
    CHECK_MEM(reply, CLOSE_REPLY_LEN, CLOSE_REPLY, CLOSE_REPLY_LEN);
    free(reply);
    t_conn_close(held);
}

TEST(sigterm_while_open, .id = "2.4.12", .points = 2,
     .title = "SIGTERM while a /ws connection is held open: the server exits 0 promptly",
     .hint = "TUTORIAL §2.6; httpd.h (on a stop, live connections are shut down: your read "
             "returns 0 — end the handler then); the common handout rules (SIGTERM -> exit 0)") {
    struct t_server *s = handshake_start(NULL, NULL);
    struct t_conn *c = upgrade(s->port, SAMPLE_KEY, SAMPLE_ACCEPT, "", NULL);
    int status = t_server_signal_wait(s, SIGTERM, 1500);
    if (status == -1)
        FAILF("expected: the server to exit within 1.5 s of SIGTERM\n     got: still running "
              "(httpd gives a handler 2 s before it exits on its own)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAILF("expected: exit status 0 after SIGTERM\n     got: %s %d",
              WIFEXITED(status) ? "exit status" : "killed by signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    if (!t_peer_closed(c, 1000))
        FAILF("expected: the held connection to be closed when the server stopped\n     got: it "
              "stayed open");
    t_conn_close(c);
}
