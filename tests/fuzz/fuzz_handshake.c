/*
 * fuzz_handshake — libFuzzer target for the handshake path: http_parse, then
 * handshake_respond.
 *
 * lab: 02-handshake
 *
 * The input is the bytes of a request. When http_parse finds a complete
 * one, handshake_respond answers it under each of a few server
 * configurations (any origin / same origin / an allow-list with Origin
 * required; no subprotocols / two / three), and every answer must keep the
 * promises of handshake.h and RFC 6455 §4.2.2:
 *
 *   - the status is 101, 400, 403 or 426, and the return value says so;
 *   - the response starts "HTTP/1.1 <status> " and its head ends with an
 *     empty line; a refusal says "Connection: close", its Content-Length is
 *     its body's, and a 426 names version 13;
 *   - a 101 only for a GET of HTTP/1.1 or later with one Sec-WebSocket-Key
 *     of 24 characters and one Sec-WebSocket-Version of "13", an Origin the
 *     configuration allows; its Sec-WebSocket-Accept is recomputed here
 *     from the key (sha1 + base64_encode of the key and the GUID, which the
 *     published test vectors of Lab 2's tests pin down);
 *   - the subprotocol chosen is the first of the server's list that the
 *     client offered (tokens split here independently), or none, and the
 *     response names it exactly when there is one; no extension is ever
 *     answered;
 *   - into a buffer too small, the answer is -1 or the same bytes, never an
 *     overrun (AddressSanitizer watches).
 *
 * Any broken promise calls abort(), which libFuzzer reports as a crash and
 * saves the input. Seeds: corpus/handshake/. Build: see tests/fuzz/README.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "handshake.h"
#include "http.h"
#include "sha1.h"

#define RESPONSE_MAX 2048

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_handshake: %s:%d: broken promise: %s\n", __FILE__, __LINE__,     \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const two_protocols[] = {"chat", "superchat", NULL};
static const char *const three_protocols[] = {"superchat", "chat", "v2.json", NULL};
static const char *const allowed[] = {"http://localhost:8002", "http://127.0.0.1:8002", NULL};

static const struct handshake_config configs[] = {
    {.origins = NULL, .same_origin = false, .require_origin = false, .protocols = NULL},
    {.origins = NULL, .same_origin = true, .require_origin = false, .protocols = two_protocols},
    {.origins = allowed,
     .same_origin = false,
     .require_origin = true,
     .protocols = three_protocols},
};

/* ---- independent readings of the request ---------------------------------- */

static bool name_is(struct http_str name, const char *want) {
    return name.len == strlen(want) && strncasecmp(name.p, want, name.len) == 0;
}

static size_t count(const struct http_request *req, const char *name) {
    size_t n = 0;
    for (size_t i = 0; i < req->nheaders; i++) n += name_is(req->headers[i].name, name);
    return n;
}

static const struct http_str *first(const struct http_request *req, const char *name) {
    for (size_t i = 0; i < req->nheaders; i++)
        if (name_is(req->headers[i].name, name)) return &req->headers[i].value;
    return NULL;
}

/* Is token an element of some field called name? Elements are split at
 * commas and trimmed of spaces and tabs; compared exactly, or ignoring case. */
static bool has_element(const struct http_request *req, const char *name, const char *token,
                        bool ignore_case) {
    size_t n = strlen(token);
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!name_is(req->headers[i].name, name)) continue;
        const char *p = req->headers[i].value.p, *end = p + req->headers[i].value.len;
        while (p <= end) {
            const char *q = p;
            while (q < end && *q != ',') q++;
            const char *a = p, *b = q;
            while (a < b && (*a == ' ' || *a == '\t')) a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
            if ((size_t)(b - a) == n &&
                (ignore_case ? strncasecmp(a, token, n) : memcmp(a, token, n)) == 0)
                return true;
            p = q + 1;
        }
    }
    return false;
}

/* The protocol the server must choose: the first of its list offered. */
static const char *expected_protocol(const struct handshake_config *cfg,
                                     const struct http_request *req) {
    for (const char *const *p = cfg->protocols; p != NULL && *p != NULL; p++)
        if (has_element(req, "Sec-WebSocket-Protocol", *p, false)) return *p;
    return "";
}

static bool origin_allowed(const struct handshake_config *cfg, const struct http_request *req) {
    const struct http_str *origin = first(req, "Origin");
    if (origin == NULL) return !cfg->require_origin;
    if (cfg->origins != NULL) {
        for (const char *const *o = cfg->origins; *o != NULL; o++)
            if (name_is(*origin, *o)) return true;
        return false;
    }
    if (!cfg->same_origin) return true;
    const struct http_str *host = first(req, "Host");
    return host != NULL && origin->len == 7 + host->len &&
           strncasecmp(origin->p, "http://", 7) == 0 &&
           strncasecmp(origin->p + 7, host->p, host->len) == 0;
}

/* base64(SHA-1(key + GUID)), computed over one concatenated buffer. */
static void expected_accept(struct http_str key, char accept[HANDSHAKE_ACCEPT_LEN + 1]) {
    static char joined[HTTP_MAX_HEAD + 64];
    size_t guid_len = strlen(WS_GUID);
    MUST(key.len + guid_len <= sizeof joined);
    memcpy(joined, key.p, key.len);
    memcpy(joined + key.len, WS_GUID, guid_len);
    unsigned char digest[SHA1_DIGEST_LEN];
    sha1(joined, key.len + guid_len, digest);
    MUST(base64_encode(digest, sizeof digest, accept) == HANDSHAKE_ACCEPT_LEN);
}

/* ---- the checks ------------------------------------------------------------ */

/* Does the head (up to and with its empty line) contain this exact line? */
static bool has_line(const char *head, size_t head_len, const char *line) {
    size_t n = strlen(line);
    for (size_t i = 0; i + n <= head_len; i++)
        if ((i == 0 || head[i - 1] == '\n') && memcmp(head + i, line, n) == 0) return true;
    return false;
}

static bool has_field(const char *head, size_t head_len, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i + n <= head_len; i++)
        if (i > 0 && head[i - 1] == '\n' && strncasecmp(head + i, name, n) == 0) return true;
    return false;
}

static void check_101(const struct handshake_config *cfg, const struct http_request *req,
                      const struct handshake_result *res, const char *head, size_t head_len) {
    MUST(req->method == HTTP_GET && req->version_minor >= 1);
    MUST(count(req, "Host") >= 1);
    MUST(has_element(req, "Upgrade", "websocket", true));
    MUST(has_element(req, "Connection", "upgrade", true));
    MUST(count(req, "Sec-WebSocket-Key") == 1 && count(req, "Sec-WebSocket-Version") == 1);
    const struct http_str *key = first(req, "Sec-WebSocket-Key");
    const struct http_str *version = first(req, "Sec-WebSocket-Version");
    MUST(key->len == 24 && key->p[22] == '=' && key->p[23] == '=');
    MUST(version->len == 2 && memcmp(version->p, "13", 2) == 0);
    MUST(origin_allowed(cfg, req));

    char accept[HANDSHAKE_ACCEPT_LEN + 1], line[128];
    expected_accept(*key, accept);
    MUST(strcmp(res->accept, accept) == 0);
    snprintf(line, sizeof line, "Sec-WebSocket-Accept: %s\r\n", accept);
    MUST(has_line(head, head_len, line));
    MUST(has_line(head, head_len, "Upgrade: websocket\r\n"));
    MUST(has_line(head, head_len, "Connection: Upgrade\r\n"));

    const char *want = expected_protocol(cfg, req);
    MUST(strcmp(res->protocol, want) == 0);
    if (want[0] != '\0') {
        snprintf(line, sizeof line, "Sec-WebSocket-Protocol: %s\r\n", want);
        MUST(has_line(head, head_len, line));
    } else {
        MUST(!has_field(head, head_len, "Sec-WebSocket-Protocol"));
    }
    MUST(!has_field(head, head_len, "Sec-WebSocket-Extensions"));
}

static void check_refusal(const struct handshake_result *res, const char *response, size_t len,
                          size_t head_len) {
    MUST(res->reason != NULL && res->reason[0] != '\0');
    MUST(has_line(response, head_len, "Connection: close\r\n"));
    char line[64];
    snprintf(line, sizeof line, "Content-Length: %zu\r\n", len - head_len);
    MUST(has_line(response, head_len, line));
    if (res->status == 426) {
        MUST(has_line(response, head_len, "Sec-WebSocket-Version: 13\r\n"));
        MUST(has_line(response, head_len, "Upgrade: websocket\r\n"));
    }
    MUST(!has_field(response, head_len, "Sec-WebSocket-Accept"));
}

/* Answers req under cfg and checks the answer; then again into a buffer of
 * small_cap bytes. */
static void check_config(const struct handshake_config *cfg, const struct http_request *req,
                         size_t small_cap) {
    static char storage[RESPONSE_MAX + 1], small_storage[RESPONSE_MAX + 1];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    struct handshake_result res;
    int status = handshake_respond(cfg, req, &out, &res);
    MUST(status == res.status);
    MUST(status == 101 || status == 400 || status == 403 || status == 426);

    char start[32];
    int start_len = snprintf(start, sizeof start, "HTTP/1.1 %d ", status);
    MUST(out.len >= (size_t)start_len && memcmp(out.data, start, (size_t)start_len) == 0);
    const char *end = NULL;
    for (size_t i = 0; end == NULL && i + 4 <= out.len; i++)
        if (memcmp(out.data + i, "\r\n\r\n", 4) == 0) end = out.data + i + 4;
    MUST(end != NULL);
    size_t head_len = (size_t)(end - out.data);
    if (status == 101) {
        MUST(head_len == out.len); /* no body after a 101 */
        check_101(cfg, req, &res, out.data, head_len);
    } else {
        check_refusal(&res, out.data, out.len, head_len);
    }

    struct buf small;
    buf_init(&small, small_storage, small_cap + 1);
    struct handshake_result small_res;
    int small_status = handshake_respond(cfg, req, &small, &small_res);
    MUST(small_status == -1 || small_status == status);
    if (small_status == status)
        MUST(small.len == out.len && !memcmp(small.data, out.data, out.len));
    if (small_cap >= out.len) MUST(small_status == status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, so that the request ends exactly at the input's end. */
    char *buf = malloc(size + 1);
    if (buf == NULL) return 0;
    memcpy(buf, data, size);
    static struct http_request req;
    struct http_parser parser;
    http_parser_init(&parser, 1024);
    int n = http_parse(&parser, buf, size, &req);
    if (n > 0) {
        for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
            check_config(&configs[i], &req, size % 256);
    }
    free(buf);
    return 0;
}
