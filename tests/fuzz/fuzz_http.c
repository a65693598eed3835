/*
 * fuzz_http — libFuzzer target for the incremental HTTP request parser.
 *
 * The parser's promise (http.h) is that bytes fed whole or in pieces give the
 * same answer, and that a complete request points only into the caller's
 * buffer. Both are checked here on arbitrary input:
 *
 * The first input byte chooses how the request is cut; the rest is the bytes
 * of one or more requests.
 *
 *   1. parse the request bytes whole;
 *   2. parse them again from a fresh parser, fed prefixes of increasing length
 *      (step = first byte + 1, so a 0 means byte-at-a-time). The bytes
 *      past each prefix are poisoned for AddressSanitizer, so a parser that
 *      peeks past `len` is caught even though the memory exists;
 *   3. the two answers must be equal; a complete request must fit in the
 *      input, every http_str in it must lie inside the request's bytes, and
 *      an error must be one of the statuses http.h lists;
 *   4. http_header, http_header_count and http_header_has_token must agree
 *      with the parsed fields.
 * After a complete request the rest of the input is parsed as the next one
 * (pipelining), a few times at most.
 *
 * Any broken promise calls abort(), which libFuzzer reports as a crash and
 * saves the input. Build: see tests/fuzz/README.md.
 *
 * lab: 01-tcp-http
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if __has_feature(address_sanitizer) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size)   ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define MAX_BODY      1024 /* small, so that 413 is reachable */
#define MAX_PIPELINED 8    /* requests parsed from one input */
#define MAX_STR_COPY  8192 /* header names and tokens copied for lookups */

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http: %s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Parses buf[0..len) fed as prefixes step, 2*step, ... len, with the bytes
 * beyond each prefix made unreadable. Returns the first answer that is not
 * "need more" (or "need more" if the whole of it is not enough). */
static int parse_in_steps(const char *buf, size_t len, size_t step, struct http_request *req) {
    struct http_parser p;
    http_parser_init(&p, MAX_BODY);
    for (size_t have = step < len ? step : len;; have = have + step < len ? have + step : len) {
        ASAN_POISON_MEMORY_REGION(buf + have, len - have);
        int r = http_parse(&p, buf, have, req);
        ASAN_UNPOISON_MEMORY_REGION(buf + have, len - have);
        if (r != HTTP_NEED_MORE || have == len) return r;
    }
}

static bool is_tchar(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* s lies within [start, start + len); an empty s may also be NULL. */
static bool inside(struct http_str s, const char *start, size_t len) {
    if (s.len == 0 && s.p == NULL) return true;
    return s.p >= start && s.len <= len && (size_t)(s.p - start) <= len - s.len;
}

static bool same_str(struct http_str a, struct http_str b) {
    return a.len == b.len && (a.len == 0 || a.p == b.p);
}

/* Both parses read the same buffer, so equal requests have equal pointers. */
static void must_agree(const struct http_request *a, const struct http_request *b) {
    MUST(a->method == b->method);
    MUST(same_str(a->target, b->target));
    MUST(a->version_minor == b->version_minor);
    MUST(a->nheaders == b->nheaders);
    for (size_t i = 0; i < a->nheaders; i++) {
        MUST(same_str(a->headers[i].name, b->headers[i].name));
        MUST(same_str(a->headers[i].value, b->headers[i].value));
    }
    MUST(same_str(a->body, b->body));
    MUST(a->keep_alive == b->keep_alive);
}

/* Copies s into a NUL-terminated string (s holds no NUL: checked before). */
static const char *cstr(struct http_str s, char *out) {
    size_t n = s.len < MAX_STR_COPY - 1 ? s.len : MAX_STR_COPY - 1;
    memcpy(out, s.p, n);
    out[n] = '\0';
    return out;
}

/* The first comma-separated element of v, without spaces and tabs around it. */
static struct http_str first_element(struct http_str v) {
    size_t start = 0, end = 0;
    while (end < v.len && v.p[end] != ',') end++;
    while (start < end && (v.p[start] == ' ' || v.p[start] == '\t')) start++;
    while (end > start && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t')) end--;
    return (struct http_str){v.p + start, end - start};
}

static char ascii_lower(char ch) {
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* The index of the first header named like headers[i] (case-insensitively). */
static size_t first_named(const struct http_request *req, size_t i) {
    struct http_str want = req->headers[i].name;
    for (size_t j = 0;; j++) {
        struct http_str name = req->headers[j].name;
        bool same = name.len == want.len;
        for (size_t k = 0; same && k < name.len; k++)
            same = ascii_lower(name.p[k]) == ascii_lower(want.p[k]);
        if (same) return j;
    }
}

/* The lookups must agree with the headers the parser found. */
static void check_lookups(const struct http_request *req) {
    static char name[MAX_STR_COPY], token[MAX_STR_COPY];
    static const char *fixed[] = {"Host", "Connection", "Content-Length", "Transfer-Encoding"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const struct http_str *v = http_header(req, fixed[i]);
        size_t count = http_header_count(req, fixed[i]);
        MUST((v != NULL) == (count > 0));
        MUST(count <= req->nheaders);
        if (http_header_has_token(req, fixed[i], "close") ||
            http_header_has_token(req, fixed[i], "keep-alive"))
            MUST(v != NULL);
    }
    for (size_t i = 0; i < req->nheaders && i < 8; i++) {
        const struct http_header *h = &req->headers[i];
        size_t first = first_named(req, i);
        cstr(h->name, name);
        const struct http_str *v = http_header(req, name);
        MUST(v != NULL && same_str(*v, req->headers[first].value));
        MUST(http_header_count(req, name) >= 1);
        struct http_str tok = first_element(h->value);
        bool plain = tok.len > 0 && tok.len < MAX_STR_COPY;
        for (size_t k = 0; plain && k < tok.len; k++) plain = is_tchar(tok.p[k]);
        if (plain) MUST(http_header_has_token(req, name, cstr(tok, token)));
    }
    MUST(http_header(req, "X-Not-Sent-By-The-Fuzzer-\x01") == NULL);
}

/* What a complete request must look like. */
static void check_request(const struct http_request *req, const char *buf, size_t n) {
    MUST((int)req->method >= HTTP_GET && (int)req->method <= HTTP_PATCH);
    MUST(http_method_name(req->method) != NULL);
    MUST(req->version_minor >= 0);
    MUST(req->target.len > 0 && inside(req->target, buf, n));
    for (size_t i = 0; i < req->target.len; i++)
        MUST(req->target.p[i] != ' ' && req->target.p[i] != '\r' && req->target.p[i] != '\n');
    MUST(req->nheaders <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < req->nheaders; i++) {
        struct http_str name = req->headers[i].name, value = req->headers[i].value;
        MUST(name.len > 0 && inside(name, buf, n) && inside(value, buf, n));
        for (size_t k = 0; k < name.len; k++) MUST(is_tchar(name.p[k]));
        for (size_t k = 0; k < value.len; k++)
            MUST(value.p[k] != '\r' && value.p[k] != '\n' && value.p[k] != '\0');
        if (value.len > 0) {
            MUST(value.p[0] != ' ' && value.p[0] != '\t');
            MUST(value.p[value.len - 1] != ' ' && value.p[value.len - 1] != '\t');
        }
    }
    MUST(inside(req->body, buf, n) && req->body.len <= MAX_BODY);
    if (req->body.len > 0) MUST(req->body.p + req->body.len == buf + n);
    check_lookups(req);
}

/* Parses the request at the start of buf[0..len) both ways and checks it.
 * Returns the bytes it took, or 0 if there is no complete request. */
static size_t check_one(const char *buf, size_t len, size_t step) {
    static struct http_request whole, steps;
    struct http_parser p;
    memset(&whole, 0, sizeof whole);
    memset(&steps, 0, sizeof steps);
    http_parser_init(&p, MAX_BODY);
    int a = http_parse(&p, buf, len, &whole);
    int b = parse_in_steps(buf, len, step, &steps);
    if (a != b) fprintf(stderr, "fuzz_http: whole: %d, in steps of %zu: %d\n", a, step, b);
    MUST(a == b);
    if (a < 0) MUST(a == -400 || a == -413 || a == -431 || a == -501 || a == -505);
    if (a <= 0) return 0;
    MUST((size_t)a <= len);
    check_request(&whole, buf, (size_t)a);
    must_agree(&whole, &steps);
    return (size_t)a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t step = (size_t)data[0] + 1;
    data++;
    size--;
    /* A private copy, so the parser's view ends exactly at the input's end. */
    char *buf = malloc(size);
    if (!buf) return 0;
    memcpy(buf, data, size);
    size_t off = 0;
    for (int i = 0; i < MAX_PIPELINED && off < size; i++) {
        size_t used = check_one(buf + off, size - off, step);
        if (used == 0) break;
        off += used;
    }
    free(buf);
    return 0;
}
