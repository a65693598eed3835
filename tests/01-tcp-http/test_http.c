/*
 * Lab 1, task 2 — the HTTP/1.1 parser and response writer (http.c).
 *
 * The parser is sans-I/O, so most tests call it directly with byte strings.
 * Every request, valid or not, goes through parse_both(): it is parsed once
 * fed whole and once fed one byte at a time (the same buffer growing by one
 * byte per call, as a slow network would deliver it), and both runs must
 * give the same answer — the same status, the same byte count, the same
 * fields. While the buffer grows, the bytes not yet "received" hold junk, so
 * a parser that peeks past the length it was given is caught too.
 *
 * Invalid inputs come with a valid twin that differs in one place: a parser
 * that rejects everything fails as surely as one that accepts everything.
 * The expectations come from RFC 9112 and RFC 9110 and from http.h.
 *
 * The last tests drive the parser inside the board program (through the
 * given httpd.c): keep-alive, pipelining, a dribbled request, 405 and 408.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "http.h"
#include "support.h"

#define HINT_PARSE  "TUTORIAL §1.3 \"HTTP/1.1 on the wire\"; RFC 9112 §2-§5"
#define HINT_FIELDS "TUTORIAL §1.3 (header fields); RFC 9110 §5.1-§5.6, RFC 9112 §5"
#define HINT_BODY   "TUTORIAL §1.3 (the body, pipelining); RFC 9112 §6.2-§6.3, RFC 9110 §8.6"
#define HINT_WRITER "TUTORIAL §1.3; RFC 9112 §4 (status line), RFC 9110 §15 (reason phrases)"
#define HINT_SERVER "TUTORIAL §1.3 (keep-alive, pipelining, timeouts); RFC 9112 §9.3"

#define MAX_BODY 65536
/* A string literal and its length (it may hold NUL bytes). */
#define S(lit) lit, sizeof lit - 1

/* ---- parsing whole and one byte at a time -------------------------------- */

static const char *describe(int result) {
    static char text[2][64];
    static int k;
    k = !k;
    if (result == HTTP_NEED_MORE)
        snprintf(text[k], sizeof text[k], "need more (0)");
    else if (result > 0)
        snprintf(text[k], sizeof text[k], "complete after %d bytes", result);
    else
        snprintf(text[k], sizeof text[k], "error %d", -result);
    return text[k];
}

/* Fails at file:line with a message that ends with the request's bytes. */
static void __attribute__((noreturn))
fail_request(const char *file, int line, const char *raw, size_t len, const char *message) {
    t_failf(file, line, "%s\n request: \"%s\" (%zu bytes)", message, t_escape(raw, len, 400), len);
}

static bool same_str(struct http_str a, struct http_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Compares what the two runs filled in; returns the first difference or NULL. */
static const char *request_difference(const struct http_request *a, const struct http_request *b) {
    if (a->method != b->method) return "method";
    if (!same_str(a->target, b->target)) return "target";
    if (a->version_minor != b->version_minor) return "version_minor";
    if (a->nheaders != b->nheaders) return "nheaders";
    for (size_t i = 0; i < a->nheaders && i < HTTP_MAX_HEADERS; i++)
        if (!same_str(a->headers[i].name, b->headers[i].name) ||
            !same_str(a->headers[i].value, b->headers[i].value))
            return "a header";
    if (!same_str(a->body, b->body)) return "body";
    if (a->keep_alive != b->keep_alive) return "keep_alive";
    return NULL;
}

/* Parses raw[0..len) fed whole (into *req, pointing into raw) and fed one
 * byte at a time; fails unless both runs agree. Returns http_parse's answer. */
static int parse_both_at(const char *file, int line, const char *raw, size_t len, size_t max_body,
                         struct http_request *req) {
    struct http_parser p;
    memset(req, 0, sizeof *req);
    http_parser_init(&p, max_body);
    int whole = http_parse(&p, raw, len, req);
    if (whole > (int)len) {
        char msg[256];
        snprintf(msg, sizeof msg, "expected: at most the %zu bytes given to be used\n     got: %s",
                 len, describe(whole));
        fail_request(file, line, raw, len, msg);
    }

    /* The same bytes arriving one by one; what has not arrived yet is junk. */
    char *grow = malloc(len + 1);
    memset(grow, 0xA5, len + 1);
    static struct http_request slow;
    memset(&slow, 0, sizeof slow);
    http_parser_init(&p, max_body);
    int dribbled = HTTP_NEED_MORE;
    size_t fed = 0;
    while (fed < len && dribbled == HTTP_NEED_MORE) {
        grow[fed] = raw[fed];
        fed++;
        dribbled = http_parse(&p, grow, fed, &slow);
    }
    const char *diff = dribbled == whole && whole > 0 ? request_difference(req, &slow) : NULL;
    free(grow);
    if (dribbled != whole || diff) {
        char msg[512];
        if (diff)
            snprintf(msg, sizeof msg,
                     "expected: the same request fed whole and fed one byte at a time\n     got: "
                     "both %s, but %s differs",
                     describe(whole), diff);
        else
            snprintf(msg, sizeof msg,
                     "expected: the same answer fed whole and fed one byte at a time\n     got: "
                     "fed whole: %s; fed one byte at a time: %s after byte %zu of %zu",
                     describe(whole), describe(dribbled), fed, len);
        fail_request(file, line, raw, len, msg);
    }
    return whole;
}

/* Expects raw to be one complete request of `used` bytes. */
static void expect_complete_at(const char *file, int line, const char *raw, size_t len, size_t used,
                               size_t max_body, struct http_request *req) {
    int r = parse_both_at(file, line, raw, len, max_body, req);
    if (r != (int)used) {
        char msg[256];
        snprintf(msg, sizeof msg, "expected: complete after %zu bytes\n     got: %s", used,
                 describe(r));
        fail_request(file, line, raw, len, msg);
    }
}

/* Expects raw to be refused with `status`. */
static void expect_error_at(const char *file, int line, const char *raw, size_t len,
                            size_t max_body, int status) {
    struct http_request req;
    int r = parse_both_at(file, line, raw, len, max_body, &req);
    if (r != -status) {
        char msg[256];
        snprintf(msg, sizeof msg, "expected: error %d (http_parse returns -%d)\n     got: %s",
                 status, status, describe(r));
        fail_request(file, line, raw, len, msg);
    }
}

#define PARSE_BOTH(raw, len, req) parse_both_at(__FILE__, __LINE__, raw, len, MAX_BODY, req)
#define EXPECT_COMPLETE(raw, len, req)                                                             \
    expect_complete_at(__FILE__, __LINE__, raw, len, len, MAX_BODY, req)
#define EXPECT_ERROR(raw, len, status)                                                             \
    expect_error_at(__FILE__, __LINE__, raw, len, MAX_BODY, status)

/* One line of a table of requests: status 0 means "valid, complete". */
struct request_case {
    const char *raw;
    size_t len;
    int status;
};
#define VALID(lit)                                                                                 \
    { S(lit), 0 }
#define REFUSED(lit, status)                                                                       \
    { S(lit), status }

static void run_cases_at(const char *file, int line, const struct request_case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        struct http_request req;
        if (cases[i].status == 0)
            expect_complete_at(file, line, cases[i].raw, cases[i].len, cases[i].len, MAX_BODY,
                               &req);
        else
            expect_error_at(file, line, cases[i].raw, cases[i].len, MAX_BODY, cases[i].status);
    }
}
#define RUN_CASES(cases) run_cases_at(__FILE__, __LINE__, cases, sizeof cases / sizeof cases[0])

/* ---- checking fields ----------------------------------------------------- */

#define CHECK_HSTR(s, want) t_check_mem(__FILE__, __LINE__, #s, (s).p, (s).len, want, strlen(want))

/* http_header(req, name) must be `want` (NULL: no such header). */
static void check_header_at(const char *file, int line, const struct http_request *req,
                            const char *name, const char *want) {
    const struct http_str *v = http_header(req, name);
    char expr[128];
    snprintf(expr, sizeof expr, "http_header(req, \"%s\")", name);
    if (!want && v)
        t_failf(file, line, "expected: %s == NULL\n     got: \"%s\"", expr,
                t_escape(v->p, v->len, 200));
    if (want && !v) t_failf(file, line, "expected: %s == \"%s\"\n     got: NULL", expr, want);
    if (want) t_check_mem(file, line, expr, v->p, v->len, want, strlen(want));
}
#define CHECK_HEADER(req, name, want) check_header_at(__FILE__, __LINE__, req, name, want)

/* ---- the request line and header fields ---------------------------------- */

TEST(simple_get, .id = "1.2.1", .points = 2,
     .title = "a simple GET parses: method, target, version, headers, no body",
     .hint = HINT_PARSE) {
    static const char raw[] = "GET /index.html?x=1 HTTP/1.1\r\n"
                              "Host: example.test\r\n"
                              "User-Agent: wslab-test\r\n"
                              "\r\n";
    struct http_request req;
    EXPECT_COMPLETE(raw, sizeof raw - 1, &req);
    CHECK_INT(req.method, HTTP_GET);
    CHECK_HSTR(req.target, "/index.html?x=1");
    CHECK_INT(req.version_minor, 1);
    CHECK_INT(req.nheaders, 2);
    CHECK_HSTR(req.headers[0].name, "Host");
    CHECK_HSTR(req.headers[0].value, "example.test");
    CHECK_HSTR(req.headers[1].name, "User-Agent");
    CHECK_HSTR(req.headers[1].value, "wslab-test");
    CHECK_INT(req.body.len, 0);
    CHECK(req.keep_alive);

    static const char old[] = "HEAD /a/b.css HTTP/1.0\r\n\r\n";
    EXPECT_COMPLETE(old, sizeof old - 1, &req);
    CHECK_INT(req.method, HTTP_HEAD);
    CHECK_HSTR(req.target, "/a/b.css");
    CHECK_INT(req.version_minor, 0);
    CHECK_INT(req.nheaders, 0);
}

TEST(every_method, .id = "1.2.2",
     .title = "every method of http.h parses to its enum value and has its name",
     .hint = "TUTORIAL §1.3 (the request line); RFC 9110 §9.1-§9.3, RFC 5789") {
    static const struct {
        const char *name;
        enum http_method m;
    } methods[] = {
        {"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
        {"PUT", HTTP_PUT},         {"DELETE", HTTP_DELETE}, {"CONNECT", HTTP_CONNECT},
        {"OPTIONS", HTTP_OPTIONS}, {"TRACE", HTTP_TRACE},   {"PATCH", HTTP_PATCH},
    };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        CHECK_STR(http_method_name(methods[i].m), methods[i].name);
        if (methods[i].m == HTTP_CONNECT) continue; /* its target has a form of its own */
        char raw[128];
        int n = snprintf(raw, sizeof raw, "%s /m HTTP/1.1\r\nHost: t\r\n\r\n", methods[i].name);
        struct http_request req;
        EXPECT_COMPLETE(raw, (size_t)n, &req);
        t_note("method %s", methods[i].name);
        CHECK_INT(req.method, methods[i].m);
    }
}

TEST(header_lookup, .id = "1.2.3",
     .title = "header names match case-insensitively and values are trimmed of spaces and tabs",
     .hint = HINT_FIELDS) {
    static const char raw[] = "GET /h HTTP/1.1\r\n"
                              "Host: example.test\r\n"
                              "X-Padded:  \t padded value \t \r\n"
                              "x-tight:tight\r\n"
                              "X-Inner: a  b\t c\r\n"
                              "X-Empty:\r\n"
                              "X-Utf8: caf\xc3\xa9\r\n"
                              "\r\n";
    struct http_request req;
    EXPECT_COMPLETE(raw, sizeof raw - 1, &req);
    CHECK_INT(req.nheaders, 6);
    CHECK_HEADER(&req, "host", "example.test");
    CHECK_HEADER(&req, "HOST", "example.test");
    CHECK_HEADER(&req, "x-padded", "padded value");
    CHECK_HEADER(&req, "X-TIGHT", "tight");
    CHECK_HEADER(&req, "X-Inner", "a  b\t c");
    CHECK_HEADER(&req, "X-Empty", "");
    CHECK_HEADER(&req, "X-Utf8", "caf\xc3\xa9");
    CHECK_HEADER(&req, "Hos", NULL);
    CHECK_HEADER(&req, "Host2", NULL);
    CHECK_HEADER(&req, "X-Missing", NULL);
    CHECK_HSTR(req.headers[2].name, "x-tight"); /* names are kept as sent */
}

TEST(repeated_headers, .id = "1.2.4",
     .title = "a repeated header: lookup gives the first value, and the count says how many",
     .hint = HINT_FIELDS) {
    static const char raw[] = "GET / HTTP/1.1\r\n"
                              "Accept: text/html\r\n"
                              "Host: t\r\n"
                              "ACCEPT: application/json\r\n"
                              "accept: */*\r\n"
                              "\r\n";
    struct http_request req;
    EXPECT_COMPLETE(raw, sizeof raw - 1, &req);
    CHECK_HEADER(&req, "Accept", "text/html");
    CHECK_INT(http_header_count(&req, "accept"), 3);
    CHECK_INT(http_header_count(&req, "Host"), 1);
    CHECK_INT(http_header_count(&req, "Accep"), 0);
    CHECK_INT(http_header_count(&req, "Cookie"), 0);
}

TEST(header_tokens, .id = "1.2.5",
     .title = "http_list_next walks a comma list; http_header_has_token finds a token in comma "
              "lists, across repeated headers",
     .hint = "TUTORIAL §1.3 (lists); RFC 9110 §5.6.1, §7.6.1 (Connection)") {
    static const char raw[] = "GET / HTTP/1.1\r\n"
                              "Host: t\r\n"
                              "Connection: keep-alive, Upgrade\r\n"
                              "Upgrade: websocket\r\n"
                              "X-List: alpha ,\tbeta,gamma , \r\n"
                              "X-Near: upgrade-insecure, notbeta\r\n"
                              "X-Rep: one\r\n"
                              "X-Rep: two, three\r\n"
                              "\r\n";
    struct http_request req;
    EXPECT_COMPLETE(raw, sizeof raw - 1, &req);
    static const struct {
        const char *name, *token;
        bool has;
    } cases[] = {
        {"Connection", "upgrade", true}, {"connection", "Keep-Alive", true},
        {"Connection", "close", false},  {"Upgrade", "WebSocket", true},
        {"X-List", "alpha", true},       {"X-List", "beta", true},
        {"X-List", "gamma", true},       {"X-List", "alph", false},
        {"X-Near", "upgrade", false},    {"X-Near", "beta", false},
        {"X-Rep", "one", true},          {"X-Rep", "three", true},
        {"X-Missing", "one", false},     {"Host", "t", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = http_header_has_token(&req, cases[i].name, cases[i].token);
        if (got != cases[i].has)
            FAILF("expected: http_header_has_token(req, \"%s\", \"%s\") == %s\n     got: %s",
                  cases[i].name, cases[i].token, cases[i].has ? "true" : "false",
                  got ? "true" : "false");
    }
    /* The list walker itself: trimmed elements, empty ones skipped. */
    static const char text[] = " a ,\tb c,, ,d\t";
    static const char *const want[] = {"a", "b c", "d"};
    struct http_str list = {text, sizeof text - 1}, item;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        t_note("element %zu of \"%s\"", i + 1, t_escape(text, sizeof text - 1, 40));
        if (!http_list_next(&list, &item))
            FAILF("expected: the element \"%s\"\n     got: false", want[i]);
        CHECK_MEM(item.p, item.len, want[i], strlen(want[i]));
    }
    CHECK(!http_list_next(&list, &item));
    struct http_str empty = {" , ,", 4};
    CHECK(!http_list_next(&empty, &item));
}

/* ---- bodies, pipelining, incomplete requests ----------------------------- */

TEST(content_length_body, .id = "1.2.6",
     .title = "a Content-Length body is exactly that many bytes, whatever they contain",
     .hint = HINT_BODY) {
    static const char post[] = "POST /messages HTTP/1.1\r\n"
                               "Host: t\r\n"
                               "Content-Length: 5\r\n"
                               "\r\n"
                               "hello";
    struct http_request req;
    EXPECT_COMPLETE(post, sizeof post - 1, &req);
    CHECK_INT(req.method, HTTP_POST);
    CHECK_HSTR(req.body, "hello");

    /* A body that looks like a head, with a NUL in it. */
    static const char tricky[] = "PUT /x HTTP/1.1\r\n"
                                 "Host: t\r\n"
                                 "content-length: 12\r\n"
                                 "\r\n"
                                 "a\r\n\r\nb\0c\r\nX:";
    EXPECT_COMPLETE(tricky, sizeof tricky - 1, &req);
    CHECK_MEM(req.body.p, req.body.len, "a\r\n\r\nb\0c\r\nX:", 12);

    static const char zero[] = "POST /m HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
    EXPECT_COMPLETE(zero, sizeof zero - 1, &req);
    CHECK_INT(req.body.len, 0);

    /* No Content-Length: no body (RFC 9112 §6.3), the next bytes are not its. */
    static const char none[] = "POST /m HTTP/1.1\r\nHost: t\r\n\r\nGET";
    expect_complete_at(__FILE__, __LINE__, none, sizeof none - 1, sizeof none - 4, MAX_BODY, &req);
    CHECK_INT(req.body.len, 0);
}

TEST(pipelined_not_consumed, .id = "1.2.7", .points = 2,
     .title = "bytes after a complete request (a pipelined request) are not consumed",
     .hint = HINT_BODY) {
    static const char two[] = "GET /first HTTP/1.1\r\nHost: t\r\n\r\n"
                              "GET /second HTTP/1.1\r\nHost: t\r\n\r\n";
    size_t first_len = strlen("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
    struct http_request req;
    expect_complete_at(__FILE__, __LINE__, two, sizeof two - 1, first_len, MAX_BODY, &req);
    CHECK_HSTR(req.target, "/first");
    EXPECT_COMPLETE(two + first_len, sizeof two - 1 - first_len, &req);
    CHECK_HSTR(req.target, "/second");

    static const char with_body[] = "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                                    "GET /q HTTP/1.1\r\nHost: t\r\n\r\n";
    size_t post_len = strlen("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    expect_complete_at(__FILE__, __LINE__, with_body, sizeof with_body - 1, post_len, MAX_BODY,
                       &req);
    CHECK_HSTR(req.body, "abc");
    EXPECT_COMPLETE(with_body + post_len, sizeof with_body - 1 - post_len, &req);
    CHECK_HSTR(req.target, "/q");

    /* The first is complete even though the second is not. */
    static const char partial[] = "GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HT";
    expect_complete_at(__FILE__, __LINE__, partial, sizeof partial - 1,
                       strlen("GET /a HTTP/1.1\r\nHost: t\r\n\r\n"), MAX_BODY, &req);
}

TEST(incomplete_needs_more, .id = "1.2.8",
     .title = "an unfinished head or body is \"need more\", and completes when the rest arrives",
     .hint = HINT_BODY) {
    static const char full[] = "POST /m HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd";
    size_t head_len = sizeof full - 1 - 4;
    struct http_request req;
    /* Every proper prefix needs more: the head without its empty line, the
     * head alone, the body short of a byte. */
    size_t cuts[] = {1, 17, head_len - 2, head_len - 1, head_len, head_len + 3};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        int r = PARSE_BOTH(full, cuts[i], &req);
        if (r != HTTP_NEED_MORE)
            FAILF("expected: need more (0) for the first %zu of %zu bytes\n     got: %s\n "
                  "request: \"%s\"",
                  cuts[i], sizeof full - 1, describe(r), t_escape(full, cuts[i], 300));
    }
    EXPECT_COMPLETE(full, sizeof full - 1, &req);
    CHECK_HSTR(req.body, "abcd");

    /* The same parser, called again as bytes arrive (what httpd.c does). */
    struct http_parser p;
    http_parser_init(&p, MAX_BODY);
    CHECK_INT(http_parse(&p, full, head_len - 1, &req), HTTP_NEED_MORE);
    CHECK_INT(http_parse(&p, full, head_len + 2, &req), HTTP_NEED_MORE);
    CHECK_INT(http_parse(&p, full, sizeof full - 1, &req), sizeof full - 1);
    CHECK_HSTR(req.body, "abcd");
}

TEST(keep_alive_rules, .id = "1.2.9",
     .title = "keep_alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with keep-alive",
     .hint = "TUTORIAL §1.3 (keep-alive); RFC 9112 §9.3, RFC 9110 §7.6.1") {
    static const struct {
        const char *raw;
        bool keep;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: t\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: t\r\nConnection: closed\r\n\r\n", true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.9\r\nHost: t\r\n\r\n", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_request req;
        size_t len = strlen(cases[i].raw);
        EXPECT_COMPLETE(cases[i].raw, len, &req);
        if (req.keep_alive != cases[i].keep)
            FAILF("expected: keep_alive == %s\n     got: %s\n request: \"%s\"",
                  cases[i].keep ? "true" : "false", req.keep_alive ? "true" : "false",
                  t_escape(cases[i].raw, len, 300));
    }
    static const char minor9[] = "GET / HTTP/1.9\r\nHost: t\r\n\r\n";
    struct http_request req;
    EXPECT_COMPLETE(minor9, sizeof minor9 - 1, &req);
    t_note("HTTP/1.9 is treated as HTTP/1.1 (RFC 9112 §2.3)");
    CHECK_INT(req.version_minor, 1);
}

/* ---- requests that must be refused ----------------------------------------- */

TEST(bad_line_endings, .id = "1.2.10",
     .title = "lines ending in a bare LF or a bare CR are refused with 400",
     .hint = "TUTORIAL §1.3 (line endings, smuggling); RFC 9112 §2.2; this lab accepts CRLF only") {
    static const struct request_case cases[] = {
        VALID("GET / HTTP/1.1\r\nHost: t\r\n\r\n"),
        REFUSED("GET / HTTP/1.1\nHost: t\n\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\n\n", 400),
        REFUSED("GET / HTTP/1.1\rHost: t\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400),
    };
    RUN_CASES(cases);
}

TEST(bad_header_lines, .id = "1.2.11",
     .title = "malformed header lines are refused with 400: space before the colon, obs-fold, "
              "no colon, bad name",
     .hint = HINT_FIELDS) {
    static const struct request_case cases[] = {
        VALID("GET / HTTP/1.1\r\nHost: t\r\nX_Y-z.1~!#$%&'*+^`|: ok\r\n\r\n"),
        VALID("GET / HTTP/1.1\r\nHost:t\r\nX-A:\tv\t\r\n\r\n"),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nX-A : v\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nX-A\t: v\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n\tb\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\n Host: t\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\n: empty-name\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nBad(Name: v\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: t\r\nBad Name: v\r\n\r\n", 400),
    };
    RUN_CASES(cases);
}

TEST(bad_request_line, .id = "1.2.12",
     .title = "a malformed request line is refused with 400: no version, bad version, control "
              "bytes or spaces in the target",
     .hint = "TUTORIAL §1.3 (the request line); RFC 9112 §3, §2.3") {
    static const struct request_case cases[] = {
        VALID("GET /a%20b?c=d HTTP/1.1\r\nHost: t\r\n\r\n"),
        REFUSED("GET /\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET / \r\nHost: t\r\n\r\n", 400),
        REFUSED("GET\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET  HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET /a\x01z HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET /a\x7f HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET /a\tb HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET / http/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET / HTTP/1\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.x\r\nHost: t\r\n\r\n", 400),
        REFUSED("GET / HTTPS/1.1\r\nHost: t\r\n\r\n", 400),
        REFUSED("G(T / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    };
    RUN_CASES(cases);
}

TEST(bad_content_length, .id = "1.2.13",
     .title = "a Content-Length that is not one plain number is refused with 400",
     .hint = "TUTORIAL §1.3 (the body, smuggling); RFC 9112 §6.3, RFC 9110 §8.6") {
    static const struct request_case cases[] = {
        VALID("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"),
        VALID("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 003\r\n\r\nabc"),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3 3\r\n\r\nabc", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 0x3\r\n\r\nabc", 400),
        REFUSED("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
                "abcd",
                400),
    };
    RUN_CASES(cases);
}

TEST(host_rules, .id = "1.2.14",
     .title = "HTTP/1.1 needs exactly one Host header (400 without, 400 with two)",
     .hint = "TUTORIAL §1.3 (Host); RFC 9112 §3.2") {
    static const struct request_case cases[] = {
        VALID("GET / HTTP/1.1\r\nHost: t\r\n\r\n"),
        VALID("GET / HTTP/1.1\r\nhOST: t\r\n\r\n"),
        VALID("GET / HTTP/1.0\r\n\r\n"),
        REFUSED("GET / HTTP/1.1\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", 400),
        REFUSED("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    };
    RUN_CASES(cases);
}

/* A request whose head is exactly head_len bytes (padding one header), with
 * or without its final empty line. Returns its length. */
static size_t padded_request(char *out, size_t head_len, bool finished) {
    const char *start = "GET / HTTP/1.1\r\nHost: t\r\nX-Pad: ";
    size_t n = strlen(start);
    memcpy(out, start, n);
    size_t pad = head_len - n - 4;
    memset(out + n, 'a', pad);
    n += pad;
    memcpy(out + n, finished ? "\r\n\r\n" : "aaaa", 4);
    return n + 4;
}

/* A request with `count` header fields in all (Host included). */
static size_t many_headers(char *out, size_t cap, int count) {
    size_t n = (size_t)snprintf(out, cap, "GET / HTTP/1.1\r\nHost: t\r\n");
    for (int i = 1; i < count; i++) n += (size_t)snprintf(out + n, cap - n, "X-%d: v\r\n", i);
    n += (size_t)snprintf(out + n, cap - n, "\r\n");
    return n;
}

TEST(too_large_head, .id = "1.2.15", .points = 2,
     .title = "a head over 8 KiB or over 64 fields is refused with 431, without waiting for its "
              "end",
     .hint = "TUTORIAL §1.3 (limits); http.h HTTP_MAX_HEAD / HTTP_MAX_HEADERS; RFC 6585 §5") {
    static char raw[16384];
    struct http_request req;
    size_t n = padded_request(raw, HTTP_MAX_HEAD, true);
    t_note("a head of exactly %d bytes, its empty line included, is allowed", HTTP_MAX_HEAD);
    EXPECT_COMPLETE(raw, n, &req);
    n = padded_request(raw, HTTP_MAX_HEAD + 1, true);
    t_note("a head of %d bytes is one too many", HTTP_MAX_HEAD + 1);
    EXPECT_ERROR(raw, n, 431);
    n = padded_request(raw, 12000, false);
    t_note("12000 bytes of head that never ends: answer at once, do not wait for more");
    EXPECT_ERROR(raw, n, 431);

    n = many_headers(raw, sizeof raw, HTTP_MAX_HEADERS);
    t_note("%d header fields are allowed", HTTP_MAX_HEADERS);
    EXPECT_COMPLETE(raw, n, &req);
    CHECK_INT(req.nheaders, HTTP_MAX_HEADERS);
    CHECK_HEADER(&req, "X-63", "v");
    n = many_headers(raw, sizeof raw, HTTP_MAX_HEADERS + 1);
    t_note("%d header fields are too many", HTTP_MAX_HEADERS + 1);
    EXPECT_ERROR(raw, n, 431);
}

TEST(not_implemented, .id = "1.2.16",
     .title = "an unknown method and a Transfer-Encoding are refused with 501",
     .hint = "TUTORIAL §1.3 (methods; the body); RFC 9110 §9.1, §15.6.2; RFC 9112 §6.1") {
    static const struct request_case cases[] = {
        VALID("GET /pot HTTP/1.1\r\nHost: t\r\n\r\n"),
        REFUSED("BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501),
        REFUSED("get /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501),
        REFUSED("GETS /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501),
        REFUSED("POST /m HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3\r\nabc\r\n0\r\n\r\n",
                501),
        REFUSED("POST /m HTTP/1.1\r\nHost: t\r\ntransfer-encoding: gzip, chunked\r\n\r\n", 501),
    };
    RUN_CASES(cases);
}

TEST(version_not_supported, .id = "1.2.17",
     .title = "an HTTP major version other than 1 is refused with 505",
     .hint = "TUTORIAL §1.3 (the version); RFC 9112 §2.3, RFC 9110 §15.6.6") {
    static const struct request_case cases[] = {
        VALID("GET / HTTP/1.1\r\nHost: t\r\n\r\n"),
        VALID("GET / HTTP/1.0\r\nHost: t\r\n\r\n"),
        REFUSED("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        REFUSED("GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505),
        REFUSED("GET / HTTP/0.9\r\nHost: t\r\n\r\n", 505),
    };
    RUN_CASES(cases);
}

TEST(body_too_large, .id = "1.2.18",
     .title = "a Content-Length over max_body is refused with 413 as soon as the head ends",
     .hint = "TUTORIAL §1.3 (limits: decided before a byte of the body); RFC 9110 §15.5.14") {
    struct http_request req;
    static const char fits[] =
        "POST /m HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789";
    expect_complete_at(__FILE__, __LINE__, S(fits), sizeof fits - 1, 10, &req);
    CHECK_HSTR(req.body, "0123456789");
    static const char over[] = "POST /m HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n";
    t_note("max_body is 10; no byte of the body has been sent");
    expect_error_at(__FILE__, __LINE__, S(over), 10, 413);
    static const char huge[] = "POST /m HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\n";
    expect_error_at(__FILE__, __LINE__, S(huge), MAX_BODY, 413);
}

/* ---- the response writer --------------------------------------------------- */

/* Expects the buffer to hold exactly `want`. */
#define CHECK_BUF(b, want) CHECK_MEM((b).data, (b).len, want, strlen(want))

TEST(response_head_bytes, .id = "1.2.19", .points = 2,
     .title = "http_response_start + http_response_end write the exact bytes of a response head",
     .hint = HINT_WRITER) {
    char storage[512];
    struct buf b;
    buf_init(&b, storage, sizeof storage);
    CHECK_INT(http_response_start(&b, 200, "text/plain", 5, true), 0);
    CHECK_INT(http_response_end(&b), 0);
    CHECK_BUF(b, "HTTP/1.1 200 OK\r\n"
                 "Content-Type: text/plain\r\n"
                 "Content-Length: 5\r\n"
                 "Connection: keep-alive\r\n"
                 "\r\n");

    buf_init(&b, storage, sizeof storage);
    CHECK_INT(http_response_start(&b, 404, NULL, -1, false), 0);
    CHECK_INT(buf_puts(&b, "X-Extra: 1\r\n"), 0);
    CHECK_INT(http_response_end(&b), 0);
    CHECK_BUF(b, "HTTP/1.1 404 Not Found\r\n"
                 "Connection: close\r\n"
                 "X-Extra: 1\r\n"
                 "\r\n");

    buf_init(&b, storage, sizeof storage);
    CHECK_INT(http_response_start(&b, 201, "application/json", 8, true), 0);
    CHECK_INT(http_response_end(&b), 0);
    CHECK_BUF(b, "HTTP/1.1 201 Created\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: 8\r\n"
                 "Connection: keep-alive\r\n"
                 "\r\n");

    buf_init(&b, storage, sizeof storage);
    CHECK_INT(http_response_start(&b, 200, NULL, 0, false), 0);
    CHECK_INT(http_response_end(&b), 0);
    CHECK_BUF(b, "HTTP/1.1 200 OK\r\n"
                 "Content-Length: 0\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

TEST(reason_phrases, .id = "1.2.20",
     .title = "http_reason gives the RFC reason phrase of each status the kit uses",
     .hint = "TUTORIAL §1.3 (the status codes of Lab 1); RFC 9110 §15, RFC 6585 §5") {
    static const struct {
        int status;
        const char *reason;
    } table[] = {
        {101, "Switching Protocols"},
        {200, "OK"},
        {201, "Created"},
        {301, "Moved Permanently"},
        {400, "Bad Request"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {413, "Content Too Large"},
        {426, "Upgrade Required"},
        {431, "Request Header Fields Too Large"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
        {299, "Unknown"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        t_note("status %d", table[i].status);
        CHECK_STR(http_reason(table[i].status), table[i].reason);
    }
}

TEST(response_text, .id = "1.2.21",
     .title = "http_response_text writes a whole text/plain response with the right length",
     .hint = HINT_WRITER) {
    char storage[512];
    struct buf b;
    buf_init(&b, storage, sizeof storage);
    CHECK_INT(http_response_text(&b, 404, "not found\n", false), 0);
    const char *end = strstr(b.data, "\r\n\r\n");
    CHECK(end != NULL);
    size_t head_len = (size_t)(end - b.data) + 4;
    const char *status_line = "HTTP/1.1 404 Not Found\r\n";
    CHECK_MEM(b.data, strlen(status_line), status_line, strlen(status_line));
    CHECK_CONTAINS(b.data, head_len, "\r\nContent-Type: text/plain");
    CHECK_CONTAINS(b.data, head_len, "\r\nContent-Length: 10\r\n");
    CHECK_CONTAINS(b.data, head_len, "\r\nConnection: close\r\n");
    CHECK_MEM(b.data + head_len, b.len - head_len, "not found\n", 10);

    buf_init(&b, storage, sizeof storage);
    CHECK_INT(http_response_text(&b, 400, "bad\n", true), 0);
    CHECK_CONTAINS(b.data, b.len, "HTTP/1.1 400 Bad Request\r\n");
    CHECK_CONTAINS(b.data, b.len, "\r\nConnection: keep-alive\r\n");
    CHECK_CONTAINS(b.data, b.len, "\r\nContent-Length: 4\r\n");
}

TEST(writer_overflow, .id = "1.2.22",
     .title = "the writer returns -1 when the buffer is too small (and 0 when it fits)",
     .hint = "http.h and buf.h: every append can fail; buf_printf() returns -1 when full") {
    char big[256], tiny[24];
    struct buf b;
    buf_init(&b, big, sizeof big);
    CHECK_INT(http_response_start(&b, 200, "text/plain", 5, true), 0);
    buf_init(&b, tiny, sizeof tiny);
    CHECK_INT(http_response_start(&b, 200, "text/plain", 5, true), -1);

    buf_init(&b, tiny, sizeof tiny);
    CHECK_INT(buf_puts(&b, "0123456789012345678901"), 0); /* one byte of room left */
    CHECK_INT(http_response_end(&b), -1);

    buf_init(&b, big, sizeof big);
    CHECK_INT(http_response_text(&b, 404, "not found\n", true), 0);
    char body[300];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    buf_init(&b, big, sizeof big);
    CHECK_INT(http_response_text(&b, 200, body, true), -1);
}

/* ---- through the server ---------------------------------------------------- */

/* Expects r to be 200 with the bytes of the web root's file `name`. */
static void expect_file(const struct t_response *r, const char *name) {
    const struct web_file *f = web_file(name);
    t_expect_status(r, 200);
    CHECK_MEM(r->body, r->body_len, f->data, f->len);
}

TEST(server_405_allow, .id = "1.2.23",
     .title = "a known method the resource does not support gets 405 with an Allow header",
     .hint = "TUTORIAL §1.3 (405 and Allow); RFC 9110 §15.5.6, §10.2.1") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_response *r = t_http_once(s->port, "PUT", "/a.txt", NULL, "new", 3000);
    expect_405_allow(r, "GET, HEAD");
    t_response_free(r);
    r = t_http_once(s->port, "DELETE", "/", NULL, NULL, 3000);
    expect_405_allow(r, "GET, HEAD");
    t_response_free(r);
}

TEST(server_408_stalled, .id = "1.2.24", .points = 2,
     .title = "a request stalled half-way gets 408 and is closed, while other clients are served",
     .timeout = 10,
     .hint = "TUTORIAL §1.3 (408, Slowloris); RFC 9110 §15.5.9; httpd.c's request timeout needs "
             "your parser to say \"need more\" for a partial head") {
    struct t_server *s = board_start("--request-timeout-ms", "300");
    struct t_conn *slow = t_conn_open(s->port);
    t_send_str(slow, "GET /a.txt HTTP/1.1\r\nHost: t\r\n");
    struct t_conn *other = t_conn_open(s->port);
    struct t_response *r = t_http(other, "GET", "/b.txt", NULL, NULL, 3000);
    t_note("another client asked for /b.txt while the first one stalled");
    expect_file(r, "b.txt");
    t_response_free(r);

    t_note("the stalled client (request timeout 300 ms)");
    r = t_http_read(slow, false, 3000);
    t_expect_status(r, 408);
    expect_header(r, "Connection", "close");
    t_expect_closed(slow, 2000);
    t_response_free(r);
    t_conn_close(slow);

    t_conn_close(other);
    t_note("a new client after the 408");
    r = t_http_once(s->port, "GET", "/a.txt", NULL, NULL, 3000);
    expect_file(r, "a.txt");
    t_response_free(r);
}

TEST(server_keep_alive, .id = "1.2.25",
     .title = "HTTP/1.1 keeps the connection for the next request; Connection: close ends it",
     .hint = HINT_SERVER) {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    struct t_response *r = t_http(c, "GET", "/a.txt", NULL, NULL, 3000);
    expect_file(r, "a.txt");
    expect_header(r, "Connection", "keep-alive");
    t_response_free(r);
    r = t_http(c, "GET", "/b.txt", NULL, NULL, 3000);
    t_note("the second request on the same connection");
    expect_file(r, "b.txt");
    t_response_free(r);
    r = t_http(c, "GET", "/a.txt", "Connection: close\r\n", NULL, 3000);
    t_note("the third request, with Connection: close");
    expect_file(r, "a.txt");
    expect_header(r, "Connection", "close");
    t_expect_closed(c, 2000);
    t_response_free(r);
    t_conn_close(c);
}

TEST(server_http10, .id = "1.2.26",
     .title = "HTTP/1.0 is closed after the response, unless it asks for keep-alive",
     .hint = HINT_SERVER) {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    t_send_str(c, "GET /a.txt HTTP/1.0\r\n\r\n");
    struct t_response *r = t_http_read(c, false, 3000);
    expect_file(r, "a.txt");
    expect_header(r, "Connection", "close");
    t_expect_closed(c, 2000);
    t_response_free(r);
    t_conn_close(c);

    c = t_conn_open(s->port);
    t_send_str(c, "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = t_http_read(c, false, 3000);
    expect_file(r, "a.txt");
    expect_header(r, "Connection", "keep-alive");
    t_response_free(r);
    t_send_str(c, "GET /b.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = t_http_read(c, false, 3000);
    expect_file(r, "b.txt");
    t_response_free(r);
    t_conn_close(c);
}

TEST(server_pipelined, .id = "1.2.27",
     .title = "three pipelined requests sent at once get three responses, in order",
     .hint = "TUTORIAL §1.3 (pipelining); RFC 9112 §9.3.2; http_parse returns how many bytes the "
             "request used") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    t_send_str(c, "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /b.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /notes.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    static const char *order[] = {"a.txt", "b.txt", "notes.txt"};
    for (int i = 0; i < 3; i++) {
        t_note("response %d of 3", i + 1);
        struct t_response *r = t_http_read(c, false, 3000);
        expect_file(r, order[i]);
        t_response_free(r);
    }
    t_expect_closed(c, 2000);
    t_conn_close(c);
}

TEST(server_dribbled, .id = "1.2.28",
     .title = "a request dribbled one byte at a time gets the same response as one sent whole",
     .hint = "TUTORIAL §1.3 (why the parser is incremental); the parser's state must survive "
             "between calls") {
    static const char req[] = "GET /notes.txt?x=1 HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n"
                              "User-Agent: dribbler\r\n"
                              "Accept: */*\r\n"
                              "\r\n";
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *whole = t_conn_open(s->port);
    t_send_str(whole, req);
    struct t_response *a = t_http_read(whole, false, 3000);
    expect_file(a, "notes.txt");
    struct t_conn *slow = t_conn_open(s->port);
    t_send_dribble(slow, req, sizeof req - 1, 1, 1);
    struct t_response *b = t_http_read(slow, false, 3000);
    t_expect_status(b, a->status);
    CHECK_MEM(b->body, b->body_len, a->body, a->body_len);
    expect_header(b, "Content-Type", t_http_header(a, "Content-Type"));
    t_response_free(a), t_response_free(b);
    t_conn_close(whole), t_conn_close(slow);
}
