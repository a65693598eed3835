/*
 * Lab 2, task 3 — the handshake rules (handshake.c).
 *
 * handshake_respond() is sans-I/O, so each rule is tested with a byte string:
 * a request is written out, parsed by Lab 1's http_parse() (the reference
 * parser is linked in), and the answer written into a buf is checked byte by
 * byte. The expected bytes come from RFC 6455 §4.2.2 and the handout: the 101
 * is compared whole (support.c writes it out), and every refusal must be a
 * well-formed HTTP response — status line, Content-Type text/plain,
 * Content-Length equal to its body, Connection: close, and for 426 the
 * Sec-WebSocket-Version and Upgrade headers.
 *
 * Accept values come from RFC 6455 §1.3 and from vectors/vectors.h (Python's
 * hashlib and base64). Every refusal is tested beside a request that differs
 * in one place and must succeed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "handshake.h"
#include "harness.h"
#include "http.h"
#include "support.h"
#include "vectors/vectors.h"

#define HINT_ACCEPT                                                                                 \
    "TUTORIAL §2.3 \"SHA-1 and base64\"; RFC 6455 §4.2.2 step 5.4 (base64 of the SHA-1 of key + " \
    "GUID), §1.3 (the sample)"
#define HINT_101                                                                                   \
    "TUTORIAL §2.1 \"The Upgrade mechanism\"; RFC 6455 §4.2.2 step 5 (the 101 and its header "   \
    "fields), §1.3 (the sample response); handshake.h"
#define HINT_REQUEST                                                                                \
    "TUTORIAL §2.2 \"The client's request\"; RFC 6455 §4.2.1 items 1-4; handshake.h (400 with a " \
    "text/plain reason)"
#define HINT_TOKENS                                                                                \
    "TUTORIAL §2.2; RFC 6455 §4.2.1 items 3-4 (case-insensitive); RFC 9110 §5.6.1 (comma "      \
    "lists), §7.6.1 (Connection); Lab 1's http_header_has_token"
#define HINT_KEY                                                                                    \
    "TUTORIAL §2.2, §2.3; RFC 6455 §4.2.1 item 5 (base64 of 16 bytes), §4.1 (how clients make " \
    "it), §11.3.1; decode it with your strict base64_decode"
#define HINT_VERSION                                                                               \
    "TUTORIAL §2.2; RFC 6455 §4.2.1 item 6, §4.2.2 and §4.4 (426 with Sec-WebSocket-Version: " \
    "13), §11.3.5; RFC 9110 §15.5.22 (a 426 carries Upgrade)"
#define HINT_ORIGIN                                                                                  \
    "TUTORIAL §2.4 \"Origin\"; RFC 6455 §4.2.2 item 4 (403), §10.2; RFC 6454 §6 (how an origin " \
    "is written); handshake.h (struct handshake_config)"
#define HINT_PROTOCOL                                                                              \
    "TUTORIAL §2.5 \"Subprotocols and extensions\"; RFC 6455 §4.2.2 step 5.5 (/subprotocol/), "  \
    "§11.3.4; handshake.h (struct handshake_config, protocols)"
#define HINT_EXTENSIONS                                                                            \
    "TUTORIAL §2.5; RFC 6455 §4.2.2 step 5.5 (/extensions/: only those the server uses), §9.1"

/* A string literal and its length. */
#define S(lit) lit, sizeof lit - 1

/* The pieces of a good request; a test leaves one out or changes it. */
#define GET_CHAT   "GET /chat HTTP/1.1\r\n"
#define HOST       "Host: server.example.com\r\n"
#define UPGRADE    "Upgrade: websocket\r\n"
#define CONNECTION "Connection: Upgrade\r\n"
#define KEY        "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
#define VERSION    "Sec-WebSocket-Version: 13\r\n"
#define END        "\r\n"
#define GOOD       GET_CHAT HOST UPGRADE CONNECTION KEY VERSION END

/* The client's handshake of RFC 6455 §1.3, as the RFC prints it. */
#define RFC_SAMPLE                                                                                 \
    "GET /chat HTTP/1.1\r\n"                                                                       \
    "Host: server.example.com\r\n"                                                                 \
    "Upgrade: websocket\r\n"                                                                       \
    "Connection: Upgrade\r\n"                                                                      \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                                              \
    "Origin: http://example.com\r\n"                                                               \
    "Sec-WebSocket-Protocol: chat, superchat\r\n"                                                  \
    "Sec-WebSocket-Version: 13\r\n"                                                                \
    "\r\n"

static const char *const CHAT_SUPERCHAT[] = {"chat", "superchat", NULL};
static const struct handshake_config ANY = {0}; /* any origin, no subprotocol */

/* ---- running handshake_respond -------------------------------------------- */

struct answer {
    int ret;
    struct handshake_result res;
    char bytes[4096];
    size_t len;
    const char *raw; /* the request, for failure messages */
    size_t raw_len;
};

static void __attribute__((noreturn))
fail_answer(const char *file, int line, const struct answer *a, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_answer(const char *file, int line, const struct answer *a, const char *fmt, ...) {
    char message[1024], response[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(response, sizeof response, "%s", a->len ? t_escape(a->bytes, a->len, 600) : "");
    t_failf(file, line, "%s\n request: \"%s\"\nresponse: \"%s\" (handshake_respond returned %d)",
            message, t_escape(a->raw, a->raw_len, 600), response, a->ret);
}

/* Parses raw with Lab 1's parser: the whole of it must be one request. */
static void parse_at(const char *file, int line, const char *raw, size_t len,
                     struct http_request *req) {
    struct http_parser p;
    http_parser_init(&p, 65536);
    memset(req, 0, sizeof *req);
    int n = http_parse(&p, raw, len, req);
    if (n != (int)len)
        t_failf(file, line,
                "test setup: Lab 1's http_parse should take this request whole (%zu "
                "bytes)\n     got: %d\n request: \"%s\"",
                len, n, t_escape(raw, len, 600));
}

/* Answers an already parsed request into a 4 KiB buf. */
static void answer_parsed(const struct handshake_config *cfg, const struct http_request *req,
                          struct answer *a) {
    struct buf out;
    buf_init(&out, a->bytes, sizeof a->bytes);
    memset(&a->res, 0, sizeof a->res);
    a->ret = handshake_respond(cfg, req, &out, &a->res);
    a->len = out.len;
}

static struct answer *answer_at(const char *file, int line, const struct handshake_config *cfg,
                                const char *raw, size_t len) {
    static struct answer a;
    static struct http_request req;
    parse_at(file, line, raw, len, &req);
    a.raw = raw;
    a.raw_len = len;
    answer_parsed(cfg, &req, &a);
    return &a;
}

/* ---- what a 101 and a refusal must look like --------------------------------- */

static void check_101_at(const char *file, int line, const struct answer *a, const char *accept,
                         const char *protocol) {
    char want[512];
    size_t want_len = expected_101(want, sizeof want, accept, protocol);
    if (a->ret != 101) fail_answer(file, line, a, "expected: 101 Switching Protocols");
    if (a->res.status != 101)
        fail_answer(file, line, a, "expected: res->status = 101\n     got: %d", a->res.status);
    if (a->len != want_len || memcmp(a->bytes, want, want_len) != 0)
        fail_answer(file, line, a, "expected: exactly \"%s\"", t_escape(want, want_len, 600));
    if (strcmp(a->res.accept, accept) != 0)
        fail_answer(file, line, a, "expected: res->accept = \"%s\"\n     got: \"%s\"", accept,
                    t_escape(a->res.accept, strnlen(a->res.accept, sizeof a->res.accept), 40));
    const char *p = protocol ? protocol : "";
    if (strcmp(a->res.protocol, p) != 0)
        fail_answer(
            file, line, a, "expected: res->protocol = \"%s\"\n     got: \"%s\"", p,
            t_escape(a->res.protocol, strnlen(a->res.protocol, sizeof a->res.protocol), 80));
}

/* The value of header `name` in head[0..len) (after the status line), or
 * NULL; *count says how many such lines there are. */
static const char *head_field(const char *head, size_t len, const char *name, int *count) {
    static char value[256];
    const char *found = NULL;
    *count = 0;
    const char *p = memchr(head, '\n', len);
    size_t nlen = strlen(name);
    while (p && (size_t)(p + 1 - head) < len) {
        const char *start = p + 1;
        const char *eol = memchr(start, '\n', len - (size_t)(start - head));
        if (!eol) break;
        if ((size_t)(eol - start) > nlen && start[nlen] == ':' &&
            strncasecmp(start, name, nlen) == 0) {
            const char *v = start + nlen + 1, *e = eol;
            if (e > v && e[-1] == '\r') e--;
            while (v < e && (*v == ' ' || *v == '\t')) v++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
            if (!found) snprintf(value, sizeof value, "%.*s", (int)(e - v), v);
            found = value;
            (*count)++;
        }
        p = eol;
    }
    return found;
}

static void check_field_at(const char *file, int line, const struct answer *a, size_t head_len,
                           const char *name, const char *want) {
    int count;
    const char *got = head_field(a->bytes, head_len, name, &count);
    if (!got) fail_answer(file, line, a, "expected: a header line \"%s: %s\"", name, want);
    if (count != 1)
        fail_answer(file, line, a, "expected: one %s header\n     got: %d", name, count);
    if (strcmp(got, want) != 0)
        fail_answer(file, line, a, "expected: %s: %s\n     got: %s: %s", name, want, name, got);
}

static void check_refusal_at(const char *file, int line, const struct answer *a, int status) {
    if (a->ret != status)
        fail_answer(file, line, a, "expected: a refusal with %d %s", status,
                    refusal_reason(status));
    if (a->res.status != status)
        fail_answer(file, line, a, "expected: res->status = %d\n     got: %d", status,
                    a->res.status);
    if (!a->res.reason || !a->res.reason[0])
        fail_answer(file, line, a, "expected: res->reason saying why\n     got: %s",
                    a->res.reason ? "\"\"" : "NULL");
    char status_line[64];
    snprintf(status_line, sizeof status_line, "HTTP/1.1 %d %s\r\n", status, refusal_reason(status));
    if (a->len < strlen(status_line) || memcmp(a->bytes, status_line, strlen(status_line)) != 0)
        fail_answer(file, line, a, "expected: the response to start with \"%s\"",
                    t_escape(status_line, strlen(status_line), 80));
    const char *end = NULL;
    for (size_t i = 0; i + 4 <= a->len && !end; i++)
        if (memcmp(a->bytes + i, "\r\n\r\n", 4) == 0) end = a->bytes + i;
    if (!end)
        fail_answer(file, line, a, "expected: a head that ends with an empty line (CRLF CRLF)");
    size_t head_len = (size_t)(end - a->bytes) + 2;
    size_t body_len = a->len - head_len - 2;
    const char *body = end + 4;

    check_field_at(file, line, a, head_len, "Content-Type", "text/plain; charset=utf-8");
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", body_len);
    check_field_at(file, line, a, head_len, "Content-Length", cl);
    check_field_at(file, line, a, head_len, "Connection", "close");
    int count;
    if (head_field(a->bytes, head_len, "Sec-WebSocket-Accept", &count))
        fail_answer(file, line, a, "expected: no Sec-WebSocket-Accept in a refusal");
    if (status == 426) {
        check_field_at(file, line, a, head_len, "Sec-WebSocket-Version", "13");
        check_field_at(file, line, a, head_len, "Upgrade", "websocket");
    }
    if (body_len == 0 || body[body_len - 1] != '\n')
        fail_answer(file, line, a, "expected: a short reason ending with a newline as the body");
}

#define EXPECT_101(cfg, raw, accept, protocol)                                                     \
    check_101_at(__FILE__, __LINE__, answer_at(__FILE__, __LINE__, cfg, S(raw)), accept, protocol)
#define EXPECT_REFUSED(cfg, raw, status)                                                           \
    check_refusal_at(__FILE__, __LINE__, answer_at(__FILE__, __LINE__, cfg, S(raw)), status)
/* The same for a request in a char array. */
#define EXPECT_101_TEXT(cfg, raw, accept, protocol)                                                \
    check_101_at(__FILE__, __LINE__, answer_at(__FILE__, __LINE__, cfg, raw, strlen(raw)), accept, \
                 protocol)

/* ---- Sec-WebSocket-Accept ------------------------------------------------------ */

static void check_accept_at(const char *file, int line, const char *key, size_t key_len,
                            const char *want) {
    char out[HANDSHAKE_ACCEPT_LEN + 1 + 4];
    memset(out, 'Z', sizeof out);
    handshake_accept(key, key_len, out);
    if (memcmp(out, want, HANDSHAKE_ACCEPT_LEN + 1) != 0)
        t_failf(file, line, "expected: handshake_accept(\"%s\", %zu) = \"%s\"\n     got: \"%s\"",
                t_escape(key, key_len, 80), key_len, want,
                t_escape(out, strnlen(out, HANDSHAKE_ACCEPT_LEN + 1), 40));
    for (size_t i = HANDSHAKE_ACCEPT_LEN + 1; i < sizeof out; i++)
        if (out[i] != 'Z')
            t_failf(file, line,
                    "expected: handshake_accept to write 28 characters and a NUL\n"
                    "     got: byte %zu was written too",
                    i);
}

TEST(accept_sample, .id = "2.3.1", .points = 2,
     .title = "the RFC 6455 sample: key dGhlIHNhbXBsZSBub25jZQ== -> "
              "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
     .hint = HINT_ACCEPT) {
    check_accept_at(__FILE__, __LINE__, S(SAMPLE_KEY), SAMPLE_ACCEPT);
    t_note("the key is key[0..key_len), not up to a NUL");
    check_accept_at(__FILE__, __LINE__, SAMPLE_KEY "garbage", strlen(SAMPLE_KEY), SAMPLE_ACCEPT);
}

TEST(accept_table, .id = "2.3.2", .points = 2,
     .title = "37 keys give the accepts Python computed (random nonces and odd strings)",
     .hint = HINT_ACCEPT) {
    for (size_t i = 0; i < VEC_COUNT(vec_accept); i++)
        check_accept_at(__FILE__, __LINE__, vec_accept[i].key, strlen(vec_accept[i].key),
                        vec_accept[i].accept);
}

/* ---- the 101 ---------------------------------------------------------------------- */

TEST(sample_101, .id = "2.3.3", .points = 3,
     .title = "the RFC 6455 §1.3 sample request gets exactly the sample 101 (with and without "
              "subprotocols configured)",
     .hint = HINT_101) {
    static const char *const example[] = {"http://example.com", NULL};
    struct handshake_config cfg = {.origins = example, .protocols = CHAT_SUPERCHAT};
    t_note("config: origins {\"http://example.com\"}, protocols {\"chat\", \"superchat\"}");
    EXPECT_101(&cfg, RFC_SAMPLE, SAMPLE_ACCEPT, "chat");
    t_note("config: all zero (any origin, no subprotocols)");
    EXPECT_101(&ANY, RFC_SAMPLE, SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY, GOOD, SAMPLE_ACCEPT, NULL);
}

TEST(method_and_version, .id = "2.3.4", .points = 2,
     .title = "a method other than GET, or HTTP/1.0, gets 400 (HTTP/1.1 and later are fine)",
     .hint = HINT_REQUEST " (a GET, HTTP/1.1 or higher)") {
    EXPECT_101(&ANY, GOOD, SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY, "GET /chat HTTP/1.2\r\n" HOST UPGRADE CONNECTION KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&ANY, "POST /chat HTTP/1.1\r\n" HOST UPGRADE CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, "HEAD /chat HTTP/1.1\r\n" HOST UPGRADE CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, "PUT /chat HTTP/1.1\r\n" HOST UPGRADE CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, "OPTIONS /chat HTTP/1.1\r\n" HOST UPGRADE CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, "GET /chat HTTP/1.0\r\n" HOST UPGRADE CONNECTION KEY VERSION END, 400);
}

TEST(no_host, .id = "2.3.5", .points = 1, .title = "a request without Host gets 400",
     .hint = HINT_REQUEST " (item 2: a Host header field)") {
    EXPECT_101(&ANY, GOOD, SAMPLE_ACCEPT, NULL);
    static const char raw[] = GOOD;
    static struct http_request req;
    static struct answer a;
    parse_at(__FILE__, __LINE__, S(raw), &req);
    for (size_t i = 0; i < req.nheaders; i++)
        if (req.headers[i].name.len == 4 && strncasecmp(req.headers[i].name.p, "Host", 4) == 0) {
            memmove(&req.headers[i], &req.headers[i + 1],
                    (req.nheaders - i - 1) * sizeof req.headers[0]);
            req.nheaders--;
            break;
        }
    t_note("Lab 1's parser already refuses an HTTP/1.1 request without Host, so the test parsed "
           "this request and then removed Host from the struct http_request: handshake_respond "
           "must check it itself");
    a.raw = raw;
    a.raw_len = sizeof raw - 1;
    answer_parsed(&ANY, &req, &a);
    check_refusal_at(__FILE__, __LINE__, &a, 400);
}

TEST(upgrade_header, .id = "2.3.6", .points = 2,
     .title = "Upgrade must hold the token websocket (any case, in a list); else 400",
     .hint = HINT_TOKENS) {
    EXPECT_101(&ANY, GET_CHAT HOST "Upgrade: WebSocket\r\n" CONNECTION KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY, GET_CHAT HOST "Upgrade: WEBSOCKET\r\n" CONNECTION KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY, GET_CHAT HOST "Upgrade: h2c, websocket\r\n" CONNECTION KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST "Upgrade: h2c\r\n" CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST "Upgrade: websockets\r\n" CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST "Upgrade: xwebsocket\r\n" CONNECTION KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST "Upgrade: web socket\r\n" CONNECTION KEY VERSION END, 400);
}

TEST(connection_header, .id = "2.3.7", .points = 2,
     .title = "Connection must hold the token Upgrade: \"keep-alive, Upgrade\" is accepted, "
              "\"keep-alive\" is not",
     .hint = HINT_TOKENS) {
    EXPECT_101(&ANY, GET_CHAT HOST UPGRADE "Connection: keep-alive, Upgrade\r\n" KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY, GET_CHAT HOST UPGRADE "Connection: upgrade\r\n" KEY VERSION END, SAMPLE_ACCEPT,
               NULL);
    EXPECT_101(&ANY, GET_CHAT HOST UPGRADE "Connection: Upgrade,keep-alive\r\n" KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY,
               GET_CHAT HOST UPGRADE
               "Connection: keep-alive\r\nConnection: Upgrade\r\n" KEY VERSION END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE "Connection: keep-alive\r\n" KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE "Connection: close\r\n" KEY VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE "Connection: Upgraded\r\n" KEY VERSION END, 400);
}

/* ---- Sec-WebSocket-Key and Sec-WebSocket-Version ------------------------------------ */

#define KEY_LINE(k) "Sec-WebSocket-Key: " k "\r\n"

TEST(key_present_once, .id = "2.3.8", .points = 2,
     .title = "Sec-WebSocket-Key missing or repeated gets 400", .hint = HINT_KEY) {
    EXPECT_101(&ANY, GOOD, SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION VERSION END, 400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY KEY VERSION END, 400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY KEY_LINE("AAAAAAAAAAAAAAAAAAAAAA==") VERSION END,
        400);
}

TEST(key_base64_16, .id = "2.3.9", .points = 2,
     .title = "a key that is not the strict base64 of exactly 16 bytes gets 400 (15 or 17 "
              "bytes, bad characters, non-canonical)",
     .hint = HINT_KEY) {
    char raw[512];
    for (size_t i = 0; i < 4; i++) {
        snprintf(raw, sizeof raw, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("%s") VERSION END,
                 vec_accept[i].key);
        EXPECT_101_TEXT(&ANY, raw, vec_accept[i].accept, NULL);
    }
    t_note("15 bytes, 17 bytes, 18 bytes");
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBsZSBub25j") VERSION END, 400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBsZSBub25jZSE=") VERSION END,
        400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBsZSBub25jZSEh") VERSION END,
        400);
    t_note("not base64, or not strictly");
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("!!!!!!!!!!!!!!!!!!!!!!!!") VERSION END,
        400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBsZSBub25jZQ") VERSION END, 400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBsZSBub25jZR==") VERSION END,
        400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBs ZSBub25jZQ==") VERSION END,
        400);
    EXPECT_REFUSED(
        &ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("dGhlIHNhbXBs-_Bub25jZQ==") VERSION END,
        400);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY_LINE("") VERSION END, 400);
}

#define VERSION_LINE(v) "Sec-WebSocket-Version: " v "\r\n"

TEST(version_426, .id = "2.3.10", .points = 3,
     .title = "Sec-WebSocket-Version missing, not 13, or repeated gets 426 with "
              "Sec-WebSocket-Version: 13 and Upgrade: websocket",
     .hint = HINT_VERSION) {
    EXPECT_101(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("13") END, SAMPLE_ACCEPT,
               NULL);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("8") END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("12") END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("14") END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("130") END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("13, 8") END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION VERSION END, 426);
    EXPECT_REFUSED(&ANY, GET_CHAT HOST UPGRADE CONNECTION KEY VERSION VERSION_LINE("8") END, 426);
}

/* ---- Origin ----------------------------------------------------------------------- */

#define ORIGIN(o)  "Origin: " o "\r\n"
#define LOCAL_HOST "Host: 127.0.0.1:8002\r\n"
#define FROM(o)    GET_CHAT LOCAL_HOST UPGRADE CONNECTION KEY VERSION ORIGIN(o) END
#define NO_ORIGIN  GET_CHAT LOCAL_HOST UPGRADE CONNECTION KEY VERSION END

static const char *const LOCAL_ORIGINS[] = {"http://localhost:8002", "http://127.0.0.1:8002", NULL};

TEST(origin_list, .id = "2.3.11", .points = 3,
     .title = "an Origin not in the allow-list gets 403; listed ones (any case) pass",
     .hint = HINT_ORIGIN) {
    struct handshake_config cfg = {.origins = LOCAL_ORIGINS};
    t_note("config: origins {\"http://localhost:8002\", \"http://127.0.0.1:8002\"}");
    EXPECT_101(&cfg, FROM("http://127.0.0.1:8002"), SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg, FROM("http://localhost:8002"), SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg, FROM("HTTP://LocalHost:8002"), SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg, NO_ORIGIN, SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&cfg, FROM("http://evil.example"), 403);
    EXPECT_REFUSED(&cfg, FROM("http://127.0.0.1:8002.evil.example"), 403);
    EXPECT_REFUSED(&cfg, FROM("http://127.0.0.1:800"), 403);
    EXPECT_REFUSED(&cfg, FROM("http://localhost:8002/"), 403);
    EXPECT_REFUSED(&cfg, FROM("https://localhost:8002"), 403);
    EXPECT_REFUSED(&cfg, FROM("null"), 403);
}

TEST(same_origin, .id = "2.3.12", .points = 2,
     .title = "same_origin: only Origin = \"http://\" + Host passes; other origins get 403",
     .hint = HINT_ORIGIN " (same_origin)") {
    struct handshake_config cfg = {.same_origin = true};
    t_note("config: same_origin (Host: 127.0.0.1:8002)");
    EXPECT_101(&cfg, FROM("http://127.0.0.1:8002"), SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg, NO_ORIGIN, SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&cfg, FROM("http://127.0.0.1:8003"), 403);
    EXPECT_REFUSED(&cfg, FROM("http://localhost:8002"), 403);
    EXPECT_REFUSED(&cfg, FROM("http://127.0.0.1:8002.evil.example"), 403);
    EXPECT_REFUSED(&cfg, FROM("http://evil.example"), 403);
    t_note("config: same_origin (Host: server.example.com)");
    EXPECT_101(&cfg,
               GET_CHAT HOST UPGRADE CONNECTION KEY VERSION ORIGIN("http://server.example.com") END,
               SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&cfg,
                   GET_CHAT HOST UPGRADE CONNECTION KEY VERSION ORIGIN("http://127.0.0.1:8002") END,
                   403);
}

TEST(origin_required, .id = "2.3.13", .points = 2,
     .title = "no Origin is allowed by default; with require_origin it gets 403",
     .hint = HINT_ORIGIN " (require_origin)") {
    t_note("config: all zero");
    EXPECT_101(&ANY, NO_ORIGIN, SAMPLE_ACCEPT, NULL);
    EXPECT_101(&ANY, FROM("http://evil.example"), SAMPLE_ACCEPT, NULL);
    struct handshake_config cfg = {.origins = LOCAL_ORIGINS, .require_origin = true};
    t_note("config: origins {\"http://localhost:8002\", \"http://127.0.0.1:8002\"}, "
           "require_origin");
    EXPECT_101(&cfg, FROM("http://localhost:8002"), SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&cfg, NO_ORIGIN, 403);
    cfg = (struct handshake_config){.same_origin = true, .require_origin = true};
    t_note("config: same_origin, require_origin");
    EXPECT_101(&cfg, FROM("http://127.0.0.1:8002"), SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&cfg, NO_ORIGIN, 403);
    cfg = (struct handshake_config){.require_origin = true};
    t_note("config: require_origin (any origin)");
    EXPECT_101(&cfg, FROM("http://evil.example"), SAMPLE_ACCEPT, NULL);
    EXPECT_REFUSED(&cfg, NO_ORIGIN, 403);
}

/* ---- how the fields are written -------------------------------------------------- */

TEST(case_and_spaces, .id = "2.3.14", .points = 2,
     .title = "header names in any case and spaces or tabs around values (upgrade:   "
              "WebSocket  ) still get the 101",
     .hint = HINT_TOKENS "; RFC 9110 §5.1 (names are case-insensitive), §5.5 (whitespace "
                         "around values is not part of them)") {
    struct handshake_config cfg = {.protocols = CHAT_SUPERCHAT};
    EXPECT_101(&cfg,
               "GET /chat HTTP/1.1\r\n"
               "host: server.example.com\r\n"
               "upgrade:   WebSocket  \r\n"
               "CONNECTION:\tkeep-alive ,  UPGRADE\t\r\n"
               "sec-websocket-key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n"
               "SEC-WEBSOCKET-VERSION:  13 \r\n"
               "sec-websocket-protocol:  superchat ,chat  \r\n"
               "\r\n",
               SAMPLE_ACCEPT, "chat");
    EXPECT_101(&cfg,
               "GET /chat HTTP/1.1\r\n"
               "HOST:server.example.com\r\n"
               "UPGRADE:websocket\r\n"
               "connection:upgrade\r\n"
               "SEC-WEBSOCKET-KEY:dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "sec-websocket-version:13\r\n"
               "SEC-WEBSOCKET-PROTOCOL:superchat\r\n"
               "\r\n",
               SAMPLE_ACCEPT, "superchat");
}

/* ---- subprotocols and extensions -------------------------------------------------- */

#define PROTOCOL(p) "Sec-WebSocket-Protocol: " p "\r\n"
#define OFFERING(p) GET_CHAT HOST UPGRADE CONNECTION KEY VERSION p END

TEST(protocol_preference, .id = "2.3.15", .points = 3,
     .title = "the server answers its own first preference among the subprotocols offered, even "
              "when the client lists it second",
     .hint = HINT_PROTOCOL) {
    struct handshake_config cfg = {.protocols = CHAT_SUPERCHAT};
    t_note("config: protocols {\"chat\", \"superchat\"}");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("chat")), SAMPLE_ACCEPT, "chat");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("superchat, chat")), SAMPLE_ACCEPT, "chat");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("superchat")), SAMPLE_ACCEPT, "superchat");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("mqtt, superchat")), SAMPLE_ACCEPT, "superchat");
    t_note("the header may be repeated: its lines form one list (RFC 9110 §5.3)");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("mqtt") PROTOCOL("superchat, chat")), SAMPLE_ACCEPT, "chat");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("superchat") PROTOCOL("chat")), SAMPLE_ACCEPT, "chat");
    static const char *const other_order[] = {"superchat", "chat", NULL};
    cfg.protocols = other_order;
    t_note("config: protocols {\"superchat\", \"chat\"}");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("chat, superchat")), SAMPLE_ACCEPT, "superchat");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("chat")), SAMPLE_ACCEPT, "chat");
}

TEST(protocol_never_unoffered, .id = "2.3.16", .points = 2,
     .title = "no subprotocol in common, none offered, or none configured: no "
              "Sec-WebSocket-Protocol at all",
     .hint = HINT_PROTOCOL " — compare whole list items, not prefixes or substrings") {
    struct handshake_config cfg = {.protocols = CHAT_SUPERCHAT};
    t_note("config: protocols {\"chat\", \"superchat\"}");
    EXPECT_101(&cfg, OFFERING(""), SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg, OFFERING(PROTOCOL("mqtt, stomp")), SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg, OFFERING(PROTOCOL("chatty, superchat2, xchat, cha, super")), SAMPLE_ACCEPT,
               NULL);
    t_note("config: no protocols (NULL)");
    EXPECT_101(&ANY, OFFERING(PROTOCOL("chat, superchat")), SAMPLE_ACCEPT, NULL);
    static const char *const none[] = {NULL};
    cfg.protocols = none;
    t_note("config: protocols {} (an empty list)");
    EXPECT_101(&cfg, OFFERING(PROTOCOL("chat")), SAMPLE_ACCEPT, NULL);
}

TEST(extensions_ignored, .id = "2.3.17", .points = 1,
     .title = "Sec-WebSocket-Extensions is never answered (the server implements none)",
     .hint = HINT_EXTENSIONS) {
    struct handshake_config cfg = {.protocols = CHAT_SUPERCHAT};
    EXPECT_101(&ANY,
               OFFERING("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
               SAMPLE_ACCEPT, NULL);
    EXPECT_101(&cfg,
               OFFERING("Sec-WebSocket-Extensions: permessage-deflate\r\n" PROTOCOL(
                   "chat") "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
               SAMPLE_ACCEPT, "chat");
}

/* ---- the order of the checks and the size of the buffer ------------------------------ */

TEST(first_rule_decides, .id = "2.3.18", .points = 2,
     .title = "with several faults, the first rule in RFC order decides (400 before 426 "
              "before 403)",
     .hint = "handshake.h: method and version, Host, Upgrade, Connection, Sec-WebSocket-Key, "
             "Sec-WebSocket-Version, Origin; RFC 6455 §4.2.1") {
    struct handshake_config cfg = {.same_origin = true};
    t_note("config: same_origin");
    EXPECT_REFUSED(&cfg, "POST /chat HTTP/1.1\r\n" LOCAL_HOST UPGRADE CONNECTION END, 400);
    EXPECT_REFUSED(&cfg,
                   "GET /chat HTTP/1.0\r\n" LOCAL_HOST UPGRADE CONNECTION KEY VERSION_LINE("8")
                       ORIGIN("http://evil.example") END,
                   400);
    EXPECT_REFUSED(&cfg, GET_CHAT LOCAL_HOST CONNECTION KEY VERSION_LINE("8") END, 400);
    EXPECT_REFUSED(&cfg, GET_CHAT LOCAL_HOST UPGRADE KEY VERSION_LINE("8") END, 400);
    EXPECT_REFUSED(&cfg, GET_CHAT LOCAL_HOST UPGRADE CONNECTION VERSION_LINE("8") END, 400);
    EXPECT_REFUSED(&cfg,
                   GET_CHAT LOCAL_HOST UPGRADE CONNECTION KEY_LINE("short") VERSION_LINE("8")
                       ORIGIN("http://evil.example") END,
                   400);
    EXPECT_REFUSED(&cfg,
                   GET_CHAT LOCAL_HOST UPGRADE CONNECTION KEY VERSION_LINE("8")
                       ORIGIN("http://evil.example") END,
                   426);
    EXPECT_REFUSED(
        &cfg, GET_CHAT LOCAL_HOST UPGRADE CONNECTION KEY ORIGIN("http://evil.example") END, 426);
    EXPECT_REFUSED(&cfg, FROM("http://evil.example"), 403);
}

TEST(buffer_too_small, .id = "2.3.19", .points = 2,
     .title = "a buf too small for the answer gives -1; one that fits exactly is enough",
     .hint = "handshake.h (returns -1 if out is too small); buf.h: every append can fail, "
             "check them all (or out->overflow at the end)") {
    static const char raw[] = GOOD;
    static struct http_request req;
    parse_at(__FILE__, __LINE__, S(raw), &req);
    char want[512];
    size_t want_len = expected_101(want, sizeof want, SAMPLE_ACCEPT, NULL);
    struct handshake_result res;
    struct buf out;
    char storage[512];

    buf_init(&out, storage, 16);
    int r = handshake_respond(&ANY, &req, &out, &res);
    if (r != -1) FAILF("expected: -1 for a 101 into a buf of capacity 15\n     got: %d", r);
    buf_init(&out, storage, want_len);
    r = handshake_respond(&ANY, &req, &out, &res);
    if (r != -1)
        FAILF("expected: -1 for a 101 of %zu bytes into a buf of capacity %zu\n     got: %d",
              want_len, want_len - 1, r);
    buf_init(&out, storage, want_len + 1);
    r = handshake_respond(&ANY, &req, &out, &res);
    if (r != 101 || out.len != want_len || memcmp(out.data, want, want_len) != 0)
        FAILF("expected: the %zu-byte 101 to fit a buf of capacity %zu: 101, \"%s\"\n     got: "
              "%d, \"%s\"",
              want_len, want_len, t_escape(want, want_len, 300), r,
              t_escape(out.data, out.len, 300));

    static const char refused[] = GET_CHAT HOST UPGRADE CONNECTION END;
    static const char old_version[] = GET_CHAT HOST UPGRADE CONNECTION KEY VERSION_LINE("8") END;
    parse_at(__FILE__, __LINE__, S(refused), &req);
    buf_init(&out, storage, 16);
    r = handshake_respond(&ANY, &req, &out, &res);
    if (r != -1) FAILF("expected: -1 for a 400 into a buf of capacity 15\n     got: %d", r);
    parse_at(__FILE__, __LINE__, S(old_version), &req);
    buf_init(&out, storage, 40);
    r = handshake_respond(&ANY, &req, &out, &res);
    if (r != -1) FAILF("expected: -1 for a 426 into a buf of capacity 39\n     got: %d", r);
    buf_init(&out, storage, sizeof storage);
    r = handshake_respond(&ANY, &req, &out, &res);
    if (r != 426) FAILF("expected: 426 for the same request with room to spare\n     got: %d", r);
}
