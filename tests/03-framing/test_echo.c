/*
 * Lab 3, task 4 — the `echo` program (echo.c over the given httpd).
 *
 * Each test starts the program on an ephemeral port and speaks WebSocket to
 * it over raw sockets on 127.0.0.1 with the tests' own client (support.c):
 * the handshake uses the sample key of RFC 6455 §1.3, the frames are masked
 * by the test's own loop, and every frame the server sends is checked byte
 * for byte (unmasked, shortest length, the same opcode and payload back).
 * The /inspect descriptions are compared with JSON written out here from
 * echo.h, for frames whose masked bytes were computed by hand (the RFC's
 * "Hello") or by Python.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "buf.h"
#include "echo.h"
#include "harness.h"
#include "support.h"

#define HINT_ECHO                                                                                  \
    "TUTORIAL §3.8 \"The echo server\"; echo.h; RFC 6455 §5.6 (text stays text, binary stays "   \
    "binary), §5.1 (a server never masks)"
#define HINT_EXTRA                                                                                 \
    "TUTORIAL §3.8; httpd.h: c->extra holds the bytes that came after the request in the same "   \
    "read — feed them to ws_feed before reading the socket; RFC 6455 §4.1 (a client may send "  \
    "frames right after its handshake)"
#define HINT_INSPECT                                                                               \
    "TUTORIAL §3.8; echo.h (echo_describe_frame: one line of JSON, keys in that order, no "       \
    "spaces, lowercase hex, at most WS_INSPECT_BYTES bytes in each hex string); ws.h "             \
    "(report_frames, WS_EV_FRAME)"
#define HINT_CLOSING                                                                                 \
    "TUTORIAL §3.7 \"Closing\"; RFC 6455 §7.1.1 (the server closes TCP first), §7.1.2, §5.5.1; " \
    "echo.h; return HTTPD_CLOSE once ws says WS_CLOSED or WS_FAILED"
#define HINT_STOP                                                                                  \
    "TUTORIAL §3.7, §3.8; RFC 6455 §7.4.1 (1001: going away); echo.h; the handout (on SIGTERM " \
    "every open WebSocket gets a close 1001, a peer that does not answer within "                  \
    "close_timeout_ms is dropped, then exit 0)"

/* ---- echoes ------------------------------------------------------------------ */

TEST(text_binary_echo, .id = "3.4.1", .points = 3,
     .title = "/echo: after the 101, the RFC's masked \"Hello\" comes back as 81 05 \"Hello\"; a "
              "256-byte binary message as 82 7E 01 00 + the bytes; then a clean close",
     .hint = HINT_ECHO) {
    struct t_server *s = echo_start(NULL);
    struct t_conn *c = t_ws_connect(s->port, "/echo");
    t_note("sent the frame of RFC 6455 §5.7: 81 85 37 fa 21 3d 7f 9f 4d 51 58 (\"Hello\")");
    t_send(c, S("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"));
    t_waiting("the echo 81 05 48 65 6c 6c 6f");
    char *got = t_read_exact(c, 7, IO_MS);
    CHECK_MEM(got, 7, "\x81\x05Hello", 7);
    free(got);
    unsigned char *bin = binary_pattern(256, 1);
    send_frame(c, FIN | OP_BINARY, bin, 256);
    got = t_read_exact(c, 4 + 256, IO_MS);
    CHECK_MEM(got, 4, "\x82\x7e\x01\x00", 4);
    CHECK_MEM(got + 4, 256, bin, 256);
    free(got), free(bin);
    send_frame(c, FIN | OP_TEXT, S("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));
    expect_text(c, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    close_cleanly(c);
}

TEST(extra_bytes, .id = "3.4.2", .points = 3,
     .title = "frames sent in the same write as the handshake are not lost: 101, then the echo, "
              "the pong and the close answer",
     .hint = HINT_EXTRA) {
    struct t_server *s = echo_start(NULL);
    char req[1024];
    size_t len = t_ws_request(req, sizeof req, s->port, "/echo");
    struct bytes all = {0};
    bytes_put(&all, req, len);
    add_frame(&all, FIN | OP_TEXT, S("first"));
    add_frame(&all, FIN | OP_PING, S("p"));
    add_close(&all, 1000, NULL, 0);
    struct t_conn *c = t_conn_open(s->port);
    t_note("sent in one write: the request, a text \"first\", a ping \"p\", a close 1000");
    t_send(c, all.p, all.len);
    expect_101(c);
    expect_text(c, "first");
    expect_pong(c, S("p"));
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&all);
}

TEST(many_clients, .id = "3.4.3", .points = 3, .timeout = 20,
     .title = "twenty clients at once, interleaved over five rounds: each gets exactly its own "
              "echoes, then each closes cleanly",
     .hint = HINT_ECHO "; a thread per connection (httpd's): one client's wait must not block "
                       "another; no state shared between connections") {
    struct t_server *s = echo_start(NULL);
    enum { N = 20 };
    struct t_conn *c[N];
    for (int i = 0; i < N; i++) c[i] = t_ws_connect(s->port, "/echo");
    for (int round = 0; round < 5; round++) {
        for (int i = N - 1; i >= 0; i--) {
            char msg[64];
            snprintf(msg, sizeof msg, "client %d, round %d", i, round);
            send_frame(c[i], FIN | OP_TEXT, msg, strlen(msg));
        }
        for (int i = 0; i < N; i++) {
            char msg[64];
            snprintf(msg, sizeof msg, "client %d, round %d", i, round);
            expect_text(c[i], msg);
        }
    }
    for (int i = 0; i < N; i++) close_cleanly(c[i]);
}

/* A client on its own thread: 30 round trips of its own binary messages. */
static void *round_trips(void *arg) {
    struct t_conn *c = arg;
    unsigned seed = (unsigned)(size_t)t_conn_fd(c);
    for (int i = 0; i < 30; i++) {
        size_t n = 1 + (seed * 31 + (unsigned)i * 97) % 3000;
        unsigned char *p = binary_pattern(n, seed + (unsigned)i);
        struct bytes b = {0};
        unsigned char key[4] = {(unsigned char)seed, (unsigned char)i, 0x5a, 0xa5};
        put_frame(&b, FIN | OP_BINARY, key, p, n);
        t_send(c, b.p, b.len);
        expect_message(c, OP_BINARY, p, n);
        bytes_free(&b);
        free(p);
    }
    return NULL;
}

TEST(threads, .id = "3.4.4", .points = 2, .timeout = 20,
     .title = "eight clients on eight threads, 30 binary round trips each, all at the same time",
     .hint = HINT_ECHO "; a thread per connection; no state shared between connections") {
    struct t_server *s = echo_start(NULL);
    enum { N = 8 };
    struct t_conn *c[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) c[i] = t_ws_connect(s->port, "/echo");
    for (int i = 0; i < N; i++) pthread_create(&th[i], NULL, round_trips, c[i]);
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) close_cleanly(c[i]);
}

TEST(big_message, .id = "3.4.5", .points = 3, .timeout = 40,
     .title = "a 16 MiB binary message (the default limit) in one frame comes back whole: 82 7F "
              "00 00 00 00 01 00 00 00 and the bytes",
     .hint = HINT_ECHO "; TUTORIAL §3.10 (16 MiB is allowed: over it is 1009); keep reading "
                       "while the message grows; write all of the echo (short writes)") {
    struct t_server *s = echo_start(NULL);
    struct t_conn *c = t_ws_connect(s->port, "/echo");
    size_t n = 16u << 20;
    unsigned char *p = binary_pattern(n, 3);
    send_frame(c, FIN | OP_BINARY, p, n);
    expect_message(c, OP_BINARY, p, n);
    free(p);
    close_cleanly(c);
}

/* ---- /inspect ------------------------------------------------------------------- */

/* Reads a text message that must be exactly json. */
static void expect_json(struct t_conn *c, const char *json) {
    char what[600];
    snprintf(what, sizeof what, "the description (a text frame) %s", json);
    struct rframe f = read_frame(c, what, IO_MS);
    if (f.h.opcode != OP_TEXT || !f.h.fin || f.h.len != strlen(json) ||
        memcmp(f.payload, json, strlen(json)) != 0)
        FAILF("expected: %s\n     got: a %s frame (FIN %d) \"%s\"", what, opcode_name(f.h.opcode),
              f.h.fin, t_escape(f.payload, (size_t)f.h.len, 400));
    rframe_free(&f);
}

/* /inspect describes the close frame too, before answering it. */
static void close_inspected(struct t_conn *c) {
    static const unsigned char key[4] = {0x01, 0x02, 0x03, 0x04};
    struct bytes b = {0};
    put_close(&b, key, 1000, NULL, 0);
    t_send(c, b.p, b.len);
    bytes_free(&b);
    expect_json(c, "{\"fin\":true,\"rsv\":0,\"opcode\":8,\"masked\":true,\"mask\":\"01020304\","
                   "\"length\":2,\"masked_hex\":\"02ea\",\"payload_hex\":\"03e8\"}");
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
}

#define HELLO_JSON                                                                                 \
    "{\"fin\":true,\"rsv\":0,\"opcode\":1,\"masked\":true,\"mask\":\"37fa213d\",\"length\":5,"     \
    "\"masked_hex\":\"7f9f4d5158\",\"payload_hex\":\"48656c6c6f\"}"

TEST(inspect_hello, .id = "3.4.6", .points = 3,
     .title = "/inspect: the RFC's masked \"Hello\" is described exactly as echo.h shows, then "
              "echoed; the close is described, then answered",
     .hint = HINT_INSPECT) {
    struct t_server *s = echo_start(NULL);
    struct t_conn *c = t_ws_connect(s->port, "/inspect");
    t_send(c, S("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"));
    expect_json(c, HELLO_JSON);
    expect_text(c, "Hello");
    close_inspected(c);
}

TEST(inspect_fragments, .id = "3.4.7", .points = 2,
     .title = "/inspect: each fragment is described (FIN, opcode, 16 bytes at most in the hex), "
              "a ping and a close too; the message is echoed once complete",
     .hint = HINT_INSPECT) {
    struct t_server *s = echo_start(NULL);
    struct t_conn *c = t_ws_connect(s->port, "/inspect");
    static const unsigned char k1[4] = {0x01, 0x02, 0x03, 0x04}, k2[4] = {0xa0, 0xb0, 0xc0, 0xd0};
    struct bytes b = {0};
    put_frame(&b, OP_BINARY, k1, "0123456789abcdefghij", 20);
    put_frame(&b, FIN | OP_CONT, k2, "\x00\xff", 2);
    t_send(c, b.p, b.len);
    /* Masked bytes computed by Python: bytes(x ^ k[i % 4] ...). */
    expect_json(c, "{\"fin\":false,\"rsv\":0,\"opcode\":2,\"masked\":true,\"mask\":\"01020304\","
                   "\"length\":20,\"masked_hex\":\"3133313735373533393b626662666662\","
                   "\"payload_hex\":\"30313233343536373839616263646566\"}");
    expect_json(c, "{\"fin\":true,\"rsv\":0,\"opcode\":0,\"masked\":true,\"mask\":\"a0b0c0d0\","
                   "\"length\":2,\"masked_hex\":\"a04f\",\"payload_hex\":\"00ff\"}");
    expect_message(c, OP_BINARY, "0123456789abcdefghij\x00\xff", 22);
    b.len = 0;
    put_frame(&b, FIN | OP_PING, k1, "ab", 2);
    t_send(c, b.p, b.len);
    /* The description and the pong, in either order. */
    static const char ping_json[] =
        "{\"fin\":true,\"rsv\":0,\"opcode\":9,\"masked\":true,\"mask\":\"01020304\",\"length\":2,"
        "\"masked_hex\":\"6060\",\"payload_hex\":\"6162\"}";
    bool seen_json = false, seen_pong = false;
    for (int i = 0; i < 2; i++) {
        struct rframe f = read_frame(c, "the description of the ping and the pong \"ab\"", IO_MS);
        if (f.h.opcode == OP_PONG && f.h.len == 2 && !memcmp(f.payload, "ab", 2) && !seen_pong)
            seen_pong = true;
        else if (f.h.opcode == OP_TEXT && f.h.len == strlen(ping_json) &&
                 !memcmp(f.payload, ping_json, f.h.len) && !seen_json)
            seen_json = true;
        else
            FAILF("expected: the description %s and a pong \"ab\"\n     got: a %s frame \"%s\"",
                  ping_json, opcode_name(f.h.opcode), t_escape(f.payload, (size_t)f.h.len, 300));
        rframe_free(&f);
    }
    bytes_free(&b);
    close_inspected(c);
}

TEST(describe_frame, .id = "3.4.8", .points = 1,
     .title = "echo_describe_frame writes the JSON of echo.h exactly (FIN false, RSV 5, opcode "
              "9, at most 16 bytes of hex) and -1 when the buf is too small",
     .hint = HINT_INSPECT) {
    char storage[512];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    struct frame_header h = {.fin = true,
                             .rsv = 0,
                             .opcode = 1,
                             .masked = true,
                             .mask = {0x37, 0xfa, 0x21, 0x3d},
                             .length = 5,
                             .header_len = 6};
    CHECK_INT(echo_describe_frame(&out, &h, (const unsigned char *)"\x7f\x9f\x4d\x51\x58", 5), 0);
    CHECK_STR(out.data, HELLO_JSON);
    buf_reset(&out);
    struct frame_header g = {.fin = false,
                             .rsv = 5,
                             .opcode = 9,
                             .masked = true,
                             .mask = {0xff, 0x00, 0x0f, 0xf0},
                             .length = 300,
                             .header_len = 8};
    unsigned char first[16];
    for (int i = 0; i < 16; i++) first[i] = (unsigned char)(i * 17);
    CHECK_INT(echo_describe_frame(&out, &g, first, 16), 0);
    CHECK_STR(out.data,
              "{\"fin\":false,\"rsv\":5,\"opcode\":9,\"masked\":true,\"mask\":\"ff000ff0\","
              "\"length\":300,\"masked_hex\":\"00112233445566778899aabbccddeeff\","
              "\"payload_hex\":\"ff112dc3bb5569877799a54b33dde10f\"}");
    char tiny[40];
    buf_init(&out, tiny, sizeof tiny);
    CHECK_INT(echo_describe_frame(&out, &g, first, 16), -1);
}

/* ---- closing --------------------------------------------------------------------- */

TEST(client_closes, .id = "3.4.9", .points = 3,
     .title = "a client's close 1000 \"bye\" is answered with 88 02 03 e8 (a reason allowed) and "
              "the server closes TCP first; an empty close gets 88 00",
     .hint = HINT_CLOSING) {
    struct t_server *s = echo_start(NULL);
    struct t_conn *c = t_ws_connect(s->port, "/echo");
    send_frame(c, FIN | OP_TEXT, S("last words"));
    expect_text(c, "last words");
    send_close(c, 1000, S("bye"));
    expect_close(c, 1000);
    t_note("the client does not close: the server must close TCP first (RFC 6455 §7.1.1)");
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    c = t_ws_connect(s->port, "/echo");
    send_close(c, 0, NULL, 0);
    t_waiting("the empty close 88 00");
    char *got = t_read_exact(c, 2, IO_MS);
    CHECK_MEM(got, 2, "\x88\x00", 2);
    free(got);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
}

/* Sends SIGTERM without waiting for the exit. */
static void terminate(struct t_server *s) {
    kill(s->pid, SIGTERM);
}

static void expect_exit_0(struct t_server *s) {
    int status = t_server_signal_wait(s, 0, 5000);
    if (status == -1)
        FAILF("expected: echo to exit within 5 s of SIGTERM\n     got: still running");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAILF("expected: echo to exit with status 0 after SIGTERM\n     got: %s %d",
              WIFEXITED(status) ? "exit status" : "killed by signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

TEST(server_closes, .id = "3.4.10", .points = 3, .timeout = 10,
     .title = "SIGTERM: each open WebSocket gets a close 1001, the server closes TCP once "
              "answered, and exits 0",
     .hint = HINT_STOP) {
    struct t_server *s = echo_start(NULL);
    struct t_conn *a = t_ws_connect(s->port, "/echo");
    struct t_conn *b = t_ws_connect(s->port, "/inspect");
    struct t_conn *idle = t_conn_open(s->port); /* an HTTP connection, no request yet */
    send_frame(a, FIN | OP_TEXT, S("still here"));
    expect_text(a, "still here");
    terminate(s);
    expect_close(a, 1001);
    expect_close(b, 1001);
    send_close(a, 1001, NULL, 0);
    send_close(b, 1001, NULL, 0);
    t_expect_closed(a, IO_MS);
    t_expect_closed(b, IO_MS);
    expect_exit_0(s);
    t_conn_close(a), t_conn_close(b), t_conn_close(idle);
}

TEST(close_timeout, .id = "3.4.11", .points = 2, .timeout = 10,
     .title = "an idle client gets close 1001; if it never answers, it is dropped after "
              "--close-timeout-ms, and one that answers is closed at once",
     .hint = HINT_STOP "; ws.h (close_timeout_ms: how long the owner waits in WS_CLOSING); "
                       "echo.h (idle_timeout_ms)") {
    struct t_server *s = echo_start("--idle-timeout-ms", "200", "--close-timeout-ms", "1000", NULL);
    struct t_conn *silent = t_ws_connect(s->port, "/echo");
    struct t_conn *polite = t_ws_connect(s->port, "/echo");
    send_frame(silent, FIN | OP_TEXT, S("hi"));
    expect_text(silent, "hi");
    expect_close(polite, 1001);
    send_frame(polite, FIN | OP_CLOSE, "\x03\xe9", 2);
    t_note("the client answered the server's close 1001 with its own");
    t_expect_closed(polite, 2000);
    expect_close(silent, 1001);
    long long sent_at = t_now_ms();
    t_note("the client never answers the server's close");
    t_expect_silence(silent, 600);
    t_expect_closed(silent, 3000);
    t_note("closed %lld ms after the close was received", t_now_ms() - sent_at);
    t_conn_close(silent), t_conn_close(polite);
    terminate(s);
    expect_exit_0(s);
}

TEST(vanishing_client, .id = "3.4.12", .points = 2,
     .title = "clients that vanish (reset mid-frame, EOF without a close) cost nothing: the "
              "server keeps echoing and holds no more file descriptors than before",
     .hint = HINT_ECHO "; a read of 0 (EOF) or an error ends the connection: return "
                       "HTTPD_CLOSE and free the ws state") {
    struct t_server *s = echo_start(NULL);
    int base = t_server_fd_count(s);
    for (int i = 0; i < 10; i++) {
        struct t_conn *c = t_ws_connect(s->port, "/echo");
        send_frame(c, FIN | OP_TEXT, S("x"));
        expect_text(c, "x");
        t_send(c, "\x81\x85\x01", 3); /* half a header */
        if (i % 2)
            t_conn_abort(c);
        else
            t_conn_close(c);
    }
    struct t_conn *c = t_ws_connect(s->port, "/echo");
    send_frame(c, FIN | OP_TEXT, S("still echoing"));
    expect_text(c, "still echoing");
    close_cleanly(c);
    /* The server may still be finishing the last connections: give it 3 s. */
    long long until = t_now_ms() + 3000;
    int now = t_server_fd_count(s);
    while (now > base && t_now_ms() < until) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        now = t_server_fd_count(s);
    }
    if (now > base)
        FAILF("expected: %d open file descriptors (as before any client) once the clients "
              "left\n     got: %d",
              base, now);
}

TEST(any_path, .id = "3.4.13", .points = 2,
     .title = "the echo answers a WebSocket handshake at /, /echo and any other path, while a "
              "plain GET / still gets the page",
     .hint = HINT_ECHO "; echo.h (any path asked for with an Upgrade header is the echo: a "
                       "client such as a conformance suite connects to the URL it was given)") {
    struct t_server *s = echo_start(NULL);
    static const char *paths[] = {"/", "/echo", "/some/path?x=1"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        t_note("handshake at %s", paths[i]);
        struct t_conn *c = t_ws_connect(s->port, paths[i]);
        send_frame(c, FIN | OP_TEXT, S("anywhere"));
        expect_text(c, "anywhere");
        close_cleanly(c);
    }
    struct t_response *r = t_http_once(s->port, "GET", "/", NULL, NULL, 3000);
    t_expect_status(r, 200);
    t_response_free(r);
}
