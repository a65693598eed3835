/*
 * Lab 3, task 5 — the client side: client.c (URL, key, request, checking
 * the 101) and the `wsc` program.
 *
 * client.c is tested with byte strings: requests are read back line by
 * line, answers are written out here from RFC 6455 §4.1-§4.2.2 with the
 * sample key and accept of §1.3. `wsc` runs against `echo`, and against a
 * small fake server on a thread of the test: it answers the handshake with
 * whatever the test wants (computing the accept with this file's own SHA-1
 * and base64, FIPS 180-4 and RFC 4648, checked on the RFC's sample first),
 * records every frame wsc sends — which must all be masked, each with a
 * new key — and answers pings and closes only if the test says so.
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "harness.h"
#include "support.h"

#define HINT_URL                                                                                   \
    "TUTORIAL §3.9 \"A client\"; RFC 6455 §3 (ws-URI = \"ws:\" \"//\" host [\":\" port] path "   \
    "[\"?\" query]; port 80 by default; no fragment); client.h"
#define HINT_REQUEST                                                                               \
    "TUTORIAL §3.9; RFC 6455 §4.1 (the request: GET, Host with the port unless it is 80, "       \
    "Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version: 13, the protocols offered); "  \
    "client.h"
#define HINT_ANSWER                                                                                \
    "TUTORIAL §3.9; RFC 6455 §4.1 (\"If the status code received from the server is not 101 "    \
    "...\": the client checks the status, Upgrade, Connection, Sec-WebSocket-Accept, and fails "   \
    "on an extension or a subprotocol it did not offer), §4.2.2; client.h (client_answer)"
#define HINT_WSC                                                                                   \
    "TUTORIAL §3.9; the handout (wsc: one text message per stdin line; one stdout line per "      \
    "event: the text, \"binary: HEX\", \"pong: TEXT\", \"close: CODE REASON\"; at the end of "     \
    "stdin wait for the last echoes, then close and wait for the server's close; exit 0)"
#define HINT_EXIT                                                                                  \
    "the handout (wsc's exit status: 0 the closing handshake completed, 1 the opening "            \
    "handshake refused or invalid — \"wsc: handshake failed: \" and the status line on stderr, " \
    "2 a bad URL or no connection, 3 anything else)"

/* ---- client_parse_url ------------------------------------------------------------- */

struct url_case {
    const char *url, *host;
    int port;
    const char *path;
};

static void expect_url(const struct url_case *u) {
    struct ws_url out;
    memset(&out, 0x55, sizeof out);
    set_case("client_parse_url(\"%s\")", t_escape(u->url, strlen(u->url), 200));
    CASE_INT(client_parse_url(u->url, &out), 0);
    out.host[sizeof out.host - 1] = out.path[sizeof out.path - 1] = '\0';
    if (strcasecmp(out.host, u->host) != 0 || out.port != u->port || strcmp(out.path, u->path)) {
        note_case();
        FAILF("expected: host \"%s\", port %d, path \"%s\"\n     got: host \"%s\", port %d, path "
              "\"%s\"",
              u->host, u->port, u->path, t_escape(out.host, strlen(out.host), 100), out.port,
              t_escape(out.path, strlen(out.path), 100));
    }
}

TEST(parse_url, .id = "3.5.1", .points = 2,
     .title = "client_parse_url: host, port (80 if none) and path (\"/\" if none, query kept)",
     .hint = HINT_URL) {
    static const struct url_case cases[] = {
        {"ws://127.0.0.1:8003/echo", "127.0.0.1", 8003, "/echo"},
        {"ws://example.com", "example.com", 80, "/"},
        {"ws://example.com/", "example.com", 80, "/"},
        {"ws://example.com:9000/chat?room=1&x=2", "example.com", 9000, "/chat?room=1&x=2"},
        {"ws://example.com?x=1", "example.com", 80, "/?x=1"},
        {"ws://localhost:65535/a/b/c", "localhost", 65535, "/a/b/c"},
        {"ws://my-host.example.org:1/", "my-host.example.org", 1, "/"},
        {"WS://Example.COM:8080/Path", "Example.COM", 8080, "/Path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_url(&cases[i]);
}

TEST(parse_url_refused, .id = "3.5.2", .points = 1,
     .title = "client_parse_url refuses wss:// and other schemes, an empty host, a port out of "
              "1-65535 or not a number, a fragment, spaces and control bytes",
     .hint = HINT_URL " (wss:// needs TLS: Lab 7)") {
    static const char *const bad[] = {
        "wss://example.com/",
        "http://example.com/",
        "example.com/x",
        "ws:/example.com/",
        "ws://",
        "ws:///path",
        "ws://:80/",
        "ws://example.com:0/",
        "ws://example.com:65536/",
        "ws://example.com:8a/",
        "ws://example.com:-1/",
        "ws://example.com/#frag",
        "ws://example.com/a b",
        "ws://exa mple.com/",
        "ws://example.com/\r\nX: y",
        "ws://example.com/\x01",
    };
    /* First a good URL, so that refusing everything does not pass. */
    expect_url(&(struct url_case){"ws://example.com:8000/ok", "example.com", 8000, "/ok"});
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ws_url out;
        set_case("client_parse_url(\"%s\")", t_escape(bad[i], strlen(bad[i]), 100));
        CASE_INT(client_parse_url(bad[i], &out), -1);
    }
    char longhost[400] = "ws://";
    memset(longhost + 5, 'a', 300);
    strcpy(longhost + 305, "/");
    struct ws_url out;
    set_case("a host of 300 letters (over the 255 of struct ws_url)");
    CASE_INT(client_parse_url(longhost, &out), -1);
}

/* ---- the test's own base64 and SHA-1 ------------------------------------------------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 §4, with padding. */
static void b64_encode(const unsigned char *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    out[o] = '\0';
}

static uint32_t rol(uint32_t x, int n) {
    return x << n | x >> (32 - n);
}

/* FIPS 180-4 §6.1, for short messages (what a key and the GUID make). */
static void sha1(const unsigned char *msg, size_t len, unsigned char digest[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = (len + 9 + 63) / 64 * 64;
    unsigned char *m = calloc(1, total);
    memcpy(m, msg, len);
    m[len] = 0x80;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (unsigned char)((uint64_t)len * 8 >> (8 * i));
    for (size_t block = 0; block < total; block += 64) {
        uint32_t w[80];
        for (int t = 0; t < 16; t++)
            w[t] = (uint32_t)m[block + 4 * t] << 24 | (uint32_t)m[block + 4 * t + 1] << 16 |
                   (uint32_t)m[block + 4 * t + 2] << 8 | m[block + 4 * t + 3];
        for (int t = 16; t < 80; t++) w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int t = 0; t < 80; t++) {
            uint32_t f, k;
            if (t < 20)
                f = (b & c) | (~b & d), k = 0x5A827999;
            else if (t < 40)
                f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (t < 60)
                f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else
                f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t tmp = rol(a, 5) + f + e + k + w[t];
            e = d, d = c, c = rol(b, 30), b = a, a = tmp;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    free(m);
    for (int i = 0; i < 20; i++) digest[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Sec-WebSocket-Accept for key (RFC 6455 §4.2.2 step 5.4). */
static void accept_of(const char *key, char out[29]) {
    char text[128];
    snprintf(text, sizeof text, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned char digest[20];
    sha1((const unsigned char *)text, strlen(text), digest);
    b64_encode(digest, 20, out);
}

/* ---- client_make_key and client_request ---------------------------------------------- */

TEST(make_key, .id = "3.5.3", .points = 1,
     .title = "client_make_key: 24 characters of base64 for 16 random bytes, new each time",
     .hint = "TUTORIAL §3.9; RFC 6455 §4.1 (a nonce: 16 random bytes, base64-encoded; a new one "
             "for every connection), §10.3; RFC 4648 §4") {
    char keys[8][25];
    for (int i = 0; i < 8; i++) {
        set_case("call %d", i + 1);
        CASE_INT(client_make_key(keys[i]), 0);
        CASE_INT(strlen(keys[i]), 24);
        for (int k = 0; k < 22; k++) CASE_TRUE(strchr(B64, keys[i][k]) && keys[i][k]);
        /* 16 bytes leave 4 bits in the 22nd character: A, Q, g or w. */
        CASE_TRUE(strchr("AQgw", keys[i][21]) != NULL);
        CASE_TRUE(keys[i][22] == '=' && keys[i][23] == '=');
        for (int j = 0; j < i; j++)
            if (!strcmp(keys[i], keys[j]))
                FAILF("expected: a new key on every call\n     got: %s twice", keys[i]);
    }
}

/* Splits a request head into lines (without CRLF); fails unless it ends
 * with an empty line and every line with CRLF. Returns the count. */
static int request_lines(const char *head, size_t len, char lines[16][256]) {
    if (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0)
        FAILF("expected: a request head ending with an empty line (CRLF CRLF)\n     got: \"%s\"",
              t_escape(head, len, 600));
    int n = 0;
    const char *p = head, *end = head + len - 2;
    while (p < end) {
        const char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!crlf || n == 16 || crlf - p >= 256 || memchr(p, '\n', (size_t)(crlf - p)))
            FAILF("expected: lines ending with CRLF\n     got: \"%s\"", t_escape(head, len, 600));
        memcpy(lines[n], p, (size_t)(crlf - p));
        lines[n++][crlf - p] = '\0';
        p = crlf + 2;
    }
    return n;
}

/* The request for url must be exactly the request line, then these header
 * lines in any order (NULL-terminated). */
static void expect_request(const struct ws_url *url, const char *protocols, const char *line,
                           const char *const *headers) {
    char storage[4096];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    set_case("client_request for host \"%s\", port %d, path \"%s\", protocols %s%s%s", url->host,
             url->port, url->path, protocols ? "\"" : "", protocols ? protocols : "NULL",
             protocols ? "\"" : "");
    CASE_INT(client_request(&out, url, SAMPLE_KEY, protocols), 0);
    char lines[16][256];
    int n = request_lines(out.data, out.len, lines);
    if (strcmp(lines[0], line) != 0) {
        note_case();
        FAILF("expected: the request line \"%s\"\n     got: \"%s\"", line, lines[0]);
    }
    int want = 0;
    for (const char *const *h = headers; *h; h++, want++) {
        bool found = false;
        for (int i = 1; i < n; i++) found |= !strcmp(lines[i], *h);
        if (!found) {
            note_case();
            FAILF("expected: the header line \"%s\"\n     got: the request \"%s\"", *h,
                  t_escape(out.data, out.len, 600));
        }
    }
    if (n - 1 != want) {
        note_case();
        FAILF("expected: exactly %d header lines\n     got: %d: \"%s\"", want, n - 1,
              t_escape(out.data, out.len, 600));
    }
}

TEST(request, .id = "3.5.4", .points = 2,
     .title = "client_request: GET path HTTP/1.1, Host (with \":port\" unless it is 80), Upgrade, "
              "Connection, the key, version 13, and the protocols only when offered",
     .hint = HINT_REQUEST) {
    struct ws_url u = {.host = "127.0.0.1", .port = 8003, .path = "/echo"};
    expect_request(&u, NULL, "GET /echo HTTP/1.1",
                   (const char *const[]){"Host: 127.0.0.1:8003", "Upgrade: websocket",
                                         "Connection: Upgrade", "Sec-WebSocket-Key: " SAMPLE_KEY,
                                         "Sec-WebSocket-Version: 13", NULL});
    struct ws_url chat = {.host = "server.example.com", .port = 80, .path = "/chat?x=1"};
    expect_request(&chat, "chat, superchat", "GET /chat?x=1 HTTP/1.1",
                   (const char *const[]){"Host: server.example.com", "Upgrade: websocket",
                                         "Connection: Upgrade", "Sec-WebSocket-Key: " SAMPLE_KEY,
                                         "Sec-WebSocket-Version: 13",
                                         "Sec-WebSocket-Protocol: chat, superchat", NULL});
    expect_request(&u, "", "GET /echo HTTP/1.1",
                   (const char *const[]){"Host: 127.0.0.1:8003", "Upgrade: websocket",
                                         "Connection: Upgrade", "Sec-WebSocket-Key: " SAMPLE_KEY,
                                         "Sec-WebSocket-Version: 13", NULL});
    /* A full buffer is an error, not a cut request. */
    char small[64];
    struct buf out;
    buf_init(&out, small, sizeof small);
    set_case("client_request into a buf of 63 bytes");
    CASE_INT(client_request(&out, &u, SAMPLE_KEY, NULL), -1);
    buf_init(&out, (char[512]){0}, 512);
    set_case("protocols \"chat\\r\\nX-Evil: 1\" (a header injection)");
    CASE_INT(client_request(&out, &u, SAMPLE_KEY, "chat\r\nX-Evil: 1"), -1);
}

/* ---- client_answer ----------------------------------------------------------------- */

#define STATUS_101 "HTTP/1.1 101 Switching Protocols\r\n"
#define UPGRADE    "Upgrade: websocket\r\n"
#define CONNECTION "Connection: Upgrade\r\n"
#define ACCEPT     "Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"
#define GOOD_101   STATUS_101 UPGRADE CONNECTION ACCEPT "\r\n"

/* Runs client_answer on text (a C string) with the sample key. */
static int answer(const char *text, const char *protocols, struct client_answer *ans) {
    memset(ans, 0x55, sizeof *ans);
    return client_answer(text, strlen(text), SAMPLE_KEY, protocols, ans);
}

static void expect_accepted(const char *head, const char *protocols, const char *protocol) {
    struct client_answer ans;
    char text[2048];
    snprintf(text, sizeof text, "%s\x81\x02hi", head);
    set_case("the answer \"%s\" (then a frame), offering %s", t_escape(head, strlen(head), 600),
             protocols ? protocols : "no protocol");
    CASE_INT(answer(text, protocols, &ans), (long long)strlen(head));
    if (ans.error) {
        note_case();
        FAILF("expected: ans.error NULL (a good handshake)\n     got: \"%s\"", ans.error);
    }
    CASE_INT(ans.status, 101);
    ans.protocol[sizeof ans.protocol - 1] = '\0';
    if (strcmp(ans.protocol, protocol) != 0) {
        note_case();
        FAILF("expected: ans.protocol \"%s\"\n     got: \"%s\"", protocol,
              t_escape(ans.protocol, strlen(ans.protocol), 80));
    }
}

TEST(answer_accepts, .id = "3.5.5", .points = 2,
     .title = "client_answer: 0 until the head is complete (every prefix), then its length for "
              "a good 101 (any header case, token lists, other fields, a chosen protocol)",
     .hint = HINT_ANSWER) {
    struct client_answer ans;
    size_t len = strlen(GOOD_101);
    for (size_t k = 0; k < len; k++) {
        set_case("the first %zu bytes of \"%s\"", k, t_escape(GOOD_101, len, 300));
        memset(&ans, 0, sizeof ans);
        CASE_INT(client_answer(GOOD_101, k, SAMPLE_KEY, NULL, &ans), 0);
    }
    expect_accepted(GOOD_101, NULL, "");
    expect_accepted(STATUS_101 "upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
                               "sec-websocket-accept: " SAMPLE_ACCEPT "\r\nServer: x\r\n\r\n",
                    NULL, "");
    expect_accepted(STATUS_101 "Date: Fri, 22 Nov 2024 10:00:00 GMT\r\n" ACCEPT CONNECTION UPGRADE
                               "\r\n",
                    "", "");
    expect_accepted(STATUS_101 UPGRADE CONNECTION ACCEPT "Sec-WebSocket-Protocol: chat\r\n\r\n",
                    "chat, superchat", "chat");
    expect_accepted(STATUS_101 UPGRADE CONNECTION ACCEPT
                    "Sec-WebSocket-Protocol: superchat\r\n\r\n",
                    "chat,superchat", "superchat");
    expect_accepted(GOOD_101, "chat", ""); /* the server may choose none */
    /* The status line is kept. */
    answer(GOOD_101, NULL, &ans);
    ans.status_line[sizeof ans.status_line - 1] = '\0';
    CHECK_STR(ans.status_line, "HTTP/1.1 101 Switching Protocols");
}

static void expect_refused(const char *head, const char *protocols, const char *why) {
    struct client_answer ans;
    set_case("%s: \"%s\", offering %s", why, t_escape(head, strlen(head), 600),
             protocols ? protocols : "no protocol");
    CASE_INT(answer(head, protocols, &ans), (long long)strlen(head));
    CASE_TRUE(ans.error != NULL);
}

TEST(answer_refuses, .id = "3.5.6", .points = 3,
     .title = "client_answer refuses a wrong or missing accept, a missing or wrong Upgrade or "
              "Connection, a protocol not offered, any extension",
     .hint = HINT_ANSWER) {
    expect_accepted(GOOD_101, NULL, "");
    expect_refused(STATUS_101 UPGRADE CONNECTION
                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOQ=\r\n\r\n",
                   NULL, "a wrong accept");
    expect_refused(STATUS_101 UPGRADE CONNECTION "Sec-WebSocket-Accept: " SAMPLE_KEY "\r\n\r\n",
                   NULL, "the key itself as the accept");
    expect_refused(STATUS_101 UPGRADE CONNECTION "\r\n", NULL, "no accept");
    expect_refused(STATUS_101 CONNECTION ACCEPT "\r\n", NULL, "no Upgrade");
    expect_refused(STATUS_101 "Upgrade: h2c\r\n" CONNECTION ACCEPT "\r\n", NULL, "Upgrade: h2c");
    expect_refused(STATUS_101 UPGRADE ACCEPT "\r\n", NULL, "no Connection");
    expect_refused(STATUS_101 UPGRADE "Connection: keep-alive\r\n" ACCEPT "\r\n", NULL,
                   "Connection without the Upgrade token");
    expect_refused(STATUS_101 UPGRADE CONNECTION ACCEPT "Sec-WebSocket-Protocol: chat\r\n\r\n",
                   NULL, "a protocol when none was offered");
    expect_refused(STATUS_101 UPGRADE CONNECTION ACCEPT "Sec-WebSocket-Protocol: other\r\n\r\n",
                   "chat, superchat", "a protocol that was not offered");
    expect_refused(STATUS_101 UPGRADE CONNECTION ACCEPT
                   "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
                   NULL, "an extension (none was offered)");
}

TEST(answer_status, .id = "3.5.7", .points = 1,
     .title = "client_answer: a non-101 answer keeps its status and status line; an answer that "
              "is not HTTP, or 8 KiB without an end, is -1",
     .hint = HINT_ANSWER " (the status line goes into wsc's error message)") {
    expect_accepted(GOOD_101, NULL, "");
    static const struct {
        const char *head;
        int status;
        const char *line;
    } cases[] = {
        {"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 403, "HTTP/1.1 403 Forbidden"},
        {"HTTP/1.1 200 OK\r\n" UPGRADE CONNECTION ACCEPT "\r\n", 200, "HTTP/1.1 200 OK"},
        {"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n", 426,
         "HTTP/1.1 426 Upgrade Required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct client_answer ans;
        set_case("the answer \"%s\"", t_escape(cases[i].head, strlen(cases[i].head), 300));
        CASE_INT(answer(cases[i].head, NULL, &ans), (long long)strlen(cases[i].head));
        CASE_TRUE(ans.error != NULL);
        CASE_INT(ans.status, cases[i].status);
        ans.status_line[sizeof ans.status_line - 1] = '\0';
        if (strcmp(ans.status_line, cases[i].line) != 0) {
            note_case();
            FAILF("expected: ans.status_line \"%s\"\n     got: \"%s\"", cases[i].line,
                  t_escape(ans.status_line, strlen(ans.status_line), 200));
        }
    }
    struct client_answer ans;
    set_case("an SSH banner instead of HTTP");
    CASE_INT(answer("SSH-2.0-OpenSSH_9.2\r\n\r\n", NULL, &ans), -1);
    char *big = malloc(9001);
    memcpy(big, "HTTP/1.1 101 Switching Protocols\r\nX: ", 37);
    memset(big + 37, 'a', 9000 - 37);
    big[9000] = '\0';
    set_case("9000 bytes of head without its end");
    CASE_INT(answer(big, NULL, &ans), -1);
    free(big);
}

/* ---- wsc against echo ------------------------------------------------------------ */

static char *echo_url(const struct t_server *s, const char *path) {
    static char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d%s", s->port, path);
    return url;
}

static void show_run(const struct t_run *r) {
    t_note("wsc's stdout: \"%s\"", t_escape(r->out, r->out_len, 600));
    t_note("wsc's stderr: \"%s\"", t_escape(r->err, r->err_len, 600));
}

static void expect_status(const struct t_run *r, int code) {
    if (r->status == -1) {
        show_run(r);
        FAILF("expected: wsc to exit with status %d\n     got: it did not finish in time (killed)",
              code);
    }
    if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != code) {
        show_run(r);
        FAILF("expected: wsc to exit with status %d\n     got: %s %d", code,
              WIFEXITED(r->status) ? "exit status" : "death by signal",
              WIFEXITED(r->status) ? WEXITSTATUS(r->status) : WTERMSIG(r->status));
    }
}

/* stdout must be exactly `lines`, then a line starting with close_prefix. */
static void expect_output(const struct t_run *r, const char *lines, const char *close_prefix) {
    size_t n = strlen(lines);
    bool ok = r->out_len > n && !memcmp(r->out, lines, n) &&
              !strncmp(r->out + n, close_prefix, strlen(close_prefix)) &&
              r->out[r->out_len - 1] == '\n' && !memchr(r->out + n, '\n', r->out_len - n - 1);
    if (!ok) {
        show_run(r);
        char want[2048];
        snprintf(want, sizeof want, "%s", t_escape(lines, n, 600));
        FAILF("expected: stdout \"%s%s...\\n\" (the last line the server's close)\n     got: "
              "\"%s\"",
              want, close_prefix, t_escape(r->out, r->out_len, 600));
    }
}

static struct t_run run_wsc(char *const argv[], const char *input) {
    return t_run_program(argv, input, strlen(input), 10000);
}

TEST(wsc_echo, .id = "3.5.8", .points = 3, .timeout = 15,
     .title = "wsc against echo: each stdin line comes back as a line (UTF-8, empty lines, a "
              "last line without \\n), then \"close: 1000 \"; exit 0",
     .hint = HINT_WSC) {
    struct t_server *s = echo_start(NULL);
    static const char input[] = "hello\nworld\n\xc3\xa9t\xc3\xa9 \xe2\x82\xac\n\nlast";
    struct t_run r = run_wsc((char *[]){"wsc", echo_url(s, "/echo"), NULL}, input);
    expect_status(&r, 0);
    expect_output(&r, "hello\nworld\n\xc3\xa9t\xc3\xa9 \xe2\x82\xac\n\nlast\n", "close: 1000 ");
    /* Many lines at once: every echo arrives before the close. */
    struct bytes many = {0};
    for (int i = 0; i < 500; i++) {
        char line[64];
        snprintf(line, sizeof line, "line %d of 500\n", i);
        bytes_put(&many, line, strlen(line));
    }
    bytes_put(&many, "", 1);
    r = run_wsc((char *[]){"wsc", echo_url(s, "/echo"), NULL}, (char *)many.p);
    expect_status(&r, 0);
    expect_output(&r, (char *)many.p, "close: 1000 ");
    bytes_free(&many);
}

TEST(wsc_binary, .id = "3.5.9", .points = 1, .timeout = 15,
     .title = "wsc --binary: lines go out as binary messages and come back as \"binary: HEX\"",
     .hint = HINT_WSC) {
    struct t_server *s = echo_start(NULL);
    struct t_run r =
        run_wsc((char *[]){"wsc", "--binary", echo_url(s, "/echo"), NULL}, "hello\n\xff\x01z\n");
    expect_status(&r, 0);
    expect_output(&r, "binary: 68656c6c6f\nbinary: ff017a\n", "close: 1000 ");
}

TEST(wsc_ping, .id = "3.5.10", .points = 1, .timeout = 15,
     .title = "wsc --ping TEXT: \"pong: TEXT\" comes first, then the echoes",
     .hint = HINT_WSC " (--ping: a ping right after the handshake)") {
    struct t_server *s = echo_start(NULL);
    struct t_run r =
        run_wsc((char *[]){"wsc", "--ping", "are you there", echo_url(s, "/echo"), NULL}, "yes\n");
    expect_status(&r, 0);
    expect_output(&r, "pong: are you there\nyes\n", "close: 1000 ");
}

TEST(wsc_close_code, .id = "3.5.11", .points = 1, .timeout = 15,
     .title = "wsc --close 4000: the server answers with 4000 (\"close: 4000 \")",
     .hint = HINT_WSC " (--close CODE: the code of our close; the server echoes it)") {
    struct t_server *s = echo_start(NULL);
    struct t_run r =
        run_wsc((char *[]){"wsc", "--close", "4000", echo_url(s, "/echo"), NULL}, "a\n");
    expect_status(&r, 0);
    expect_output(&r, "a\n", "close: 4000 ");
}

/* ---- a fake server ------------------------------------------------------------------ */

struct fake {
    int lfd, port;
    int stop[2];          /* a pipe: fake_join writes to it when wsc has exited */
    const char *response; /* the handshake answer; %s: the accept of the client's key */
    struct bytes after;   /* sent right after the answer */
    bool pong;            /* answer pings */
    bool answer_close;    /* answer a close with the same payload */
    bool hold;            /* after a close, keep the connection open until wsc leaves */
    pthread_t thread;
    /* what the client did */
    char request[8192];
    size_t request_len;
    int nframes;
    struct tframe frames[64];
    unsigned char *payloads[64]; /* unmasked */
    char error[256];             /* a problem seen on the thread */
};

static void fake_send(int fd, const void *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* Reads more into buf; false at EOF, error or after 10 s of silence. */
static bool fake_read(int fd, struct bytes *in) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 10000) != 1) return false;
    char chunk[65536];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    bytes_put(in, chunk, (size_t)n);
    return true;
}

static void *fake_main(void *arg) {
    struct fake *f = arg;
    struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN}, {.fd = f->stop[0], .events = POLLIN}};
    if (poll(p, 2, 10000) < 1 || !(p[0].revents & POLLIN))
        return snprintf(f->error, sizeof f->error, "wsc never connected"), NULL;
    int fd = accept(f->lfd, NULL, NULL);
    struct bytes in = {0};
    char *end = NULL;
    while (!(end = in.len ? memmem(in.p, in.len, "\r\n\r\n", 4) : NULL))
        if (!fake_read(fd, &in)) {
            snprintf(f->error, sizeof f->error, "no complete request");
            close(fd);
            return NULL;
        }
    f->request_len = (size_t)(end + 4 - (char *)in.p);
    if (f->request_len >= sizeof f->request) f->request_len = sizeof f->request - 1;
    memcpy(f->request, in.p, f->request_len);
    memmove(in.p, in.p + f->request_len, in.len - f->request_len);
    in.len -= f->request_len;
    char key[64] = "", accept[32] = "", answer[2048];
    const char *k = strcasestr(f->request, "\r\nSec-WebSocket-Key:");
    if (k) sscanf(k + 20, " %63[^\r\n ]", key);
    accept_of(key, accept);
    int n = snprintf(answer, sizeof answer, f->response, accept);
    fake_send(fd, answer, (size_t)n);
    fake_send(fd, f->after.p, f->after.len);
    bool open = true;
    while (open) {
        struct tframe h;
        const char *why;
        int hl = tframe_parse(in.p, in.len, &h, &why);
        if (hl < 0) {
            snprintf(f->error, sizeof f->error, "a bad frame header from wsc: %s", why);
            break;
        }
        if (hl == 0 || in.len - (size_t)hl < h.len) {
            if (!fake_read(fd, &in)) break;
            continue;
        }
        unsigned char *payload = malloc(h.len + 1);
        memcpy(payload, in.p + hl, h.len);
        if (h.masked) naive_mask(payload, h.len, h.key, 0);
        memmove(in.p, in.p + hl + h.len, in.len - (size_t)hl - h.len);
        in.len -= (size_t)hl + h.len;
        if (f->nframes < 64) {
            f->frames[f->nframes] = h;
            f->payloads[f->nframes++] = payload;
        }
        struct bytes out = {0};
        if (h.opcode == OP_PING && f->pong) put_frame(&out, FIN | OP_PONG, NULL, payload, h.len);
        if (h.opcode == OP_CLOSE && f->answer_close)
            put_frame(&out, FIN | OP_CLOSE, NULL, payload, h.len);
        if (h.opcode == OP_CLOSE && !f->hold) open = false; /* the server closes TCP first */
        fake_send(fd, out.p, out.len);
        bytes_free(&out);
        if (f->nframes >= 64) free(payload);
    }
    bytes_free(&in);
    close(fd);
    return NULL;
}

static void fake_start(struct fake *f) {
    char check[32];
    accept_of(SAMPLE_KEY, check);
    if (strcmp(check, SAMPLE_ACCEPT) != 0) FAILF("test bug: the test's SHA-1 gives %s", check);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (pipe(f->stop) != 0) FAILF("test setup: pipe: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(f->lfd, (struct sockaddr *)&a, sizeof a) || listen(f->lfd, 4) ||
        getsockname(f->lfd, (struct sockaddr *)&a, &al))
        FAILF("test setup: fake server: %s", strerror(errno));
    f->port = ntohs(a.sin_port);
    pthread_create(&f->thread, NULL, fake_main, f);
}

/* Waits for the fake server's thread (call it once wsc has exited). */
static void fake_join(struct fake *f) {
    if (write(f->stop[1], "x", 1) != 1) FAILF("test setup: cannot stop the fake server");
    pthread_join(f->thread, NULL);
    close(f->lfd), close(f->stop[0]), close(f->stop[1]);
}

static char *fake_url(const struct fake *f) {
    static char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/fake", f->port);
    return url;
}

#define FAKE_101                                                                                   \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"            \
    "Sec-WebSocket-Accept: %s\r\n\r\n"

/* Every frame wsc sent must be masked, with a key no other frame used. */
static void expect_masked_frames(const struct fake *f) {
    for (int i = 0; i < f->nframes; i++) {
        if (!f->frames[i].masked)
            FAILF("expected: every frame from wsc masked (RFC 6455 §5.3)\n     got: frame %d (%s) "
                  "unmasked",
                  i + 1, opcode_name(f->frames[i].opcode));
        for (int j = 0; j < i; j++)
            if (!memcmp(f->frames[i].key, f->frames[j].key, 4))
                FAILF("expected: a new masking key for every frame (RFC 6455 §5.3)\n     got: "
                      "frames %d and %d both masked with %02x%02x%02x%02x",
                      j + 1, i + 1, f->frames[i].key[0], f->frames[i].key[1], f->frames[i].key[2],
                      f->frames[i].key[3]);
    }
}

static void expect_frame_at(const struct fake *f, int i, unsigned opcode, const void *payload,
                            size_t len) {
    if (i >= f->nframes)
        FAILF("expected: frame %d from wsc to be a %s \"%s\"\n     got: only %d frames", i + 1,
              opcode_name(opcode), t_escape(payload, len, 60), f->nframes);
    const struct tframe *h = &f->frames[i];
    if (!h->fin || h->opcode != opcode || h->len != len || memcmp(f->payloads[i], payload, len)) {
        char want[200];
        snprintf(want, sizeof want, "%s", t_escape(payload, len, 60));
        FAILF("expected: frame %d from wsc to be a %s (FIN) \"%s\"\n     got: a %s (FIN %d) \"%s\"",
              i + 1, opcode_name(opcode), want, opcode_name(h->opcode), h->fin,
              t_escape(f->payloads[i], (size_t)h->len, 60));
    }
}

/* Frame i from wsc must be a close with code (a UTF-8 reason allowed). */
static void expect_close_at(const struct fake *f, int i, unsigned code) {
    const struct tframe *h = &f->frames[i];
    const unsigned char *p = f->payloads[i];
    if (!h->fin || h->len < 2 || ((unsigned)p[0] << 8 | p[1]) != code ||
        !naive_utf8(p + 2, (size_t)h->len - 2))
        FAILF("expected: frame %d from wsc to be a close with code %u (and a UTF-8 reason, if "
              "any)\n     got: a close (FIN %d) \"%s\"",
              i + 1, code, h->fin, t_escape(p, (size_t)h->len, 60));
}

/* The index of the first close frame wsc sent, or fails. */
static int close_index(const struct fake *f) {
    for (int i = 0; i < f->nframes; i++)
        if (f->frames[i].opcode == OP_CLOSE) return i;
    FAILF("expected: a close frame from wsc\n     got: %d frames and no close", f->nframes);
}

TEST(wsc_masks, .id = "3.5.12", .points = 2, .timeout = 15,
     .title = "wsc masks every frame it sends, each with a new key: the texts, then a close "
              "1000 (a ping of its own before it is fine)",
     .hint = HINT_WSC "; RFC 6455 §5.3 (a client masks every frame, a fresh key each time)") {
    struct fake f = {.response = FAKE_101, .pong = true, .answer_close = true};
    fake_start(&f);
    struct t_run r = run_wsc((char *[]){"wsc", fake_url(&f), NULL}, "one\ntwo\n");
    fake_join(&f);
    expect_status(&r, 0);
    if (f.error[0]) FAILF("expected: a conversation with the fake server\n     got: %s", f.error);
    expect_masked_frames(&f);
    expect_frame_at(&f, 0, OP_TEXT, "one", 3);
    expect_frame_at(&f, 1, OP_TEXT, "two", 3);
    int c = close_index(&f);
    expect_close_at(&f, c, 1000);
    for (int i = 2; i < c; i++)
        if (f.frames[i].opcode != OP_PING)
            FAILF("expected: only pings between the texts and the close\n     got: a %s",
                  opcode_name(f.frames[i].opcode));
    CHECK_CONTAINS(f.request, f.request_len, "\r\nSec-WebSocket-Version: 13\r\n");
}

TEST(wsc_server_closes, .id = "3.5.13", .points = 2, .timeout = 15,
     .title = "a server that speaks first and then closes (1001 \"bye\"): wsc prints the text "
              "and \"close: 1001 bye\", answers 1001 and exits 0",
     .hint = HINT_WSC "; RFC 6455 §7.1 (answer a close with a close; a closing handshake the "
                      "server started counts too)") {
    struct fake f = {.response = FAKE_101, .pong = true};
    put_frame(&f.after, FIN | OP_TEXT, NULL, "welcome", 7);
    put_close(&f.after, NULL, 1001, "bye", 3);
    fake_start(&f);
    struct t_run r = run_wsc((char *[]){"wsc", fake_url(&f), NULL}, "");
    fake_join(&f);
    expect_status(&r, 0);
    if (r.out_len != strlen("welcome\nclose: 1001 bye\n") ||
        memcmp(r.out, "welcome\nclose: 1001 bye\n", r.out_len)) {
        show_run(&r);
        FAILF("expected: stdout \"welcome\\nclose: 1001 bye\\n\"\n     got: \"%s\"",
              t_escape(r.out, r.out_len, 300));
    }
    expect_masked_frames(&f);
    expect_close_at(&f, close_index(&f), 1001);
}

TEST(wsc_refused, .id = "3.5.14", .points = 2, .timeout = 15,
     .title = "a refused handshake (403 from echo, 403, a wrong accept, a protocol not offered) "
              "exits 1 with \"wsc: handshake failed: \" and the status line on stderr",
     .hint = HINT_EXIT "; " HINT_ANSWER) {
    /* wsc sends no Origin: an echo that requires one refuses it. */
    struct t_server *s = echo_start("--require-origin", NULL);
    struct t_run r = run_wsc((char *[]){"wsc", echo_url(s, "/echo"), NULL}, "");
    expect_status(&r, 1);
    CHECK_CONTAINS(r.err, r.err_len, "wsc: handshake failed: HTTP/1.1 403 Forbidden");
    static const struct {
        const char *response, *protocols, *stderr_has;
    } cases[] = {
        {"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", NULL,
         "wsc: handshake failed: HTTP/1.1 403 Forbidden"},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
         NULL, "wsc: handshake failed: "},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: other\r\n\r\n",
         "chat, superchat", "wsc: handshake failed: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake f = {.response = cases[i].response};
        fake_start(&f);
        t_note("case %zu: the fake server answers \"%s\"", i + 1,
               t_escape(cases[i].response, strlen(cases[i].response), 300));
        if (cases[i].protocols)
            r = run_wsc(
                (char *[]){"wsc", "--protocol", (char *)cases[i].protocols, fake_url(&f), NULL},
                "");
        else
            r = run_wsc((char *[]){"wsc", fake_url(&f), NULL}, "");
        fake_join(&f);
        expect_status(&r, 1);
        CHECK_CONTAINS(r.err, r.err_len, cases[i].stderr_has);
        if (cases[i].protocols)
            CHECK_CONTAINS(f.request, f.request_len,
                           "\r\nSec-WebSocket-Protocol: chat, superchat\r\n");
    }
}

TEST(wsc_usage, .id = "3.5.15", .points = 1, .timeout = 15,
     .title = "wss:// exits 2 with \"wss:// needs TLS (Lab 7)\"; a bad URL or a refused "
              "connection exits 2 with a message",
     .hint = HINT_EXIT) {
    struct t_run r = run_wsc((char *[]){"wsc", "wss://127.0.0.1:1/", NULL}, "");
    expect_status(&r, 2);
    CHECK_CONTAINS(r.err, r.err_len, "wss:// needs TLS (Lab 7)");
    static char *const bad[] = {"http://127.0.0.1/", "ws://", "ws://127.0.0.1:99999/",
                                "ws://127.0.0.1/#x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_note("the URL %s", bad[i]);
        r = run_wsc((char *[]){"wsc", bad[i], NULL}, "");
        expect_status(&r, 2);
        if (r.err_len == 0) FAILF("expected: a message on stderr\n     got: nothing");
    }
    /* A port nobody listens on: bind one, then close it. */
    struct fake f = {0};
    f.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(f.lfd, (struct sockaddr *)&a, sizeof a);
    getsockname(f.lfd, (struct sockaddr *)&a, &al);
    close(f.lfd);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", ntohs(a.sin_port));
    t_note("the URL %s (nobody listens there)", url);
    r = run_wsc((char *[]){"wsc", url, NULL}, "");
    expect_status(&r, 2);
    if (r.err_len == 0) FAILF("expected: a message on stderr\n     got: nothing");
}

TEST(wsc_no_close_answer, .id = "3.5.16", .points = 1, .timeout = 15,
     .title = "a server that never answers: wsc still sends its close 1000, gives up after "
              "--timeout-ms 300 and exits 3",
     .hint = HINT_EXIT "; --timeout-ms bounds each wait of the closing") {
    struct fake f = {.response = FAKE_101, .hold = true};
    fake_start(&f);
    long long start = t_now_ms();
    struct t_run r = run_wsc((char *[]){"wsc", "--timeout-ms", "300", fake_url(&f), NULL}, "x\n");
    long long took = t_now_ms() - start;
    fake_join(&f);
    expect_status(&r, 3);
    expect_masked_frames(&f);
    expect_frame_at(&f, 0, OP_TEXT, "x", 1);
    expect_close_at(&f, close_index(&f), 1000);
    if (took > 5000)
        FAILF("expected: wsc to give up within a few timeouts of 300 ms\n     got: %lld ms", took);
}

TEST(wsc_masked_server_frame, .id = "3.5.17", .points = 1, .timeout = 15,
     .title = "a server that masks its frames breaks the protocol: wsc sends close 1002 and "
              "exits 3",
     .hint = HINT_EXIT "; RFC 6455 §5.1 (a client MUST close on a masked frame), ws.h") {
    struct fake f = {.response = FAKE_101, .pong = true, .answer_close = true};
    static const unsigned char key[4] = {1, 2, 3, 4};
    put_frame(&f.after, FIN | OP_TEXT, key, "masked", 6);
    fake_start(&f);
    struct t_run r = run_wsc((char *[]){"wsc", "--timeout-ms", "2000", fake_url(&f), NULL}, "");
    fake_join(&f);
    expect_status(&r, 3);
    expect_masked_frames(&f);
    expect_close_at(&f, close_index(&f), 1002);
}
