/*
 * http — an incremental HTTP/1.1 request parser and a response writer
 * (see http.h).
 *
 * A request on the wire (RFC 9112):
 *
 *   GET /messages?since=3 HTTP/1.1\r\n      request line
 *   Host: 127.0.0.1:8001\r\n                header fields, one per line
 *   Content-Length: 5\r\n
 *   \r\n                                    an empty line ends the head
 *   hello                                   Content-Length bytes of body
 *
 * The parser works line by line. Each call resumes where the last one
 * stopped (p->pos), so bytes are examined once however they are split
 * across calls. It keeps offsets rather than pointers, because the caller's
 * buffer may move between calls; pointers are made only when the request is
 * complete, into the buffer of that last call.
 *
 * Strictness is a security feature here: when two programs (a proxy and a
 * server, say) read the same bytes as different requests, an attacker can
 * smuggle one past the other. So anything the RFC does not allow is refused,
 * never guessed at.
 *
 * Lab 1, task 2. Read: TUTORIAL §1.3; RFC 9112 §2–§6, §9.3 (persistence);
 * RFC 9110 §5.6 (tokens, lists), §9 (methods), §15 (status codes).
 */
#include "http.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

void http_parser_init(struct http_parser *p, size_t max_body) {
    memset(p, 0, sizeof *p);
    p->max_body = max_body;
}

const char *http_method_name(enum http_method m) {
    /* TODO(handout step 2.6): the method's name as sent on the wire: "GET",
     * "HEAD", "POST", ... (RFC 9110 §9). */
    (void)m;
    return "";
}

const char *http_reason(int status) {
    /* TODO(handout step 2.6): the reason phrase of RFC 9110 §15 for every
     * status the kit uses (101 "Switching Protocols", 200 "OK", 404 "Not
     * Found", 413 "Content Too Large", 426 "Upgrade Required", ...),
     * "Unknown" for the others. */
    (void)status;
    return "Unknown";
}

const struct http_str *http_header(const struct http_request *req, const char *name) {
    /* TODO(handout step 2.5): the value of the first header whose name is
     * `name`, compared case-insensitively (RFC 9110 §5.1), or NULL. */
    (void)req;
    (void)name;
    return NULL;
}

size_t http_header_count(const struct http_request *req, const char *name) {
    /* TODO(handout step 2.5): how many headers have that name. */
    (void)req;
    (void)name;
    return 0;
}

/* ---- the parser ----------------------------------------------------------- */

int http_parse(struct http_parser *p, const char *buf, size_t len, struct http_request *req) {
    /* TODO(handout step 2.1): the request line, METHOD SP target SP
     * HTTP/x.y CRLF (RFC 9112 §3). Resume at p->pos, never at 0; keep offsets
     * (target_off...), not pointers: buf may move between calls. Malformed →
     * 400; a valid token that is not in enum http_method → 501; a major
     * version other than 1 → 505; a target not starting with "/" (or "*" for
     * OPTIONS) → 400. */
    /* TODO(handout step 2.2): the header lines, "name: value" (RFC 9112 §5): the
     * name a token right before ":" (a space there → 400), no line starting
     * with SP/HT (obs-fold → 400), no control byte but HT in the value (400);
     * trim SP/HT around the value. More than HTTP_MAX_HEADERS → 431. */
    /* TODO(handout step 2.3): the empty line ends the head: one Host (none in
     * HTTP/1.1 → 400), Content-Length all digits and not conflicting (400),
     * Transfer-Encoding → 501 (with Content-Length too → 400), a body over
     * p->max_body → 413, all decided before the body comes (RFC 9112 §6.3).
     * Wait for the body, fill *req (keep_alive: §9.3), return head + body. */
    /* TODO(handout step 2.4): lines end in CRLF only: a bare CR or LF → 400
     * (§2.2). Past HTTP_MAX_HEAD bytes without the end of the head → 431 at
     * once, without waiting for more bytes. */
    (void)p;
    (void)buf;
    (void)len;
    (void)req;
    return -501;
}

bool http_list_next(struct http_str *list, struct http_str *item) {
    /* TODO(handout step 2.5): find the next comma (memchr) or the end of the
     * list; trim spaces and tabs around what lies before it; move *list past
     * the comma; return it in *item — or, if it is empty, go on with the
     * next one. Return false when nothing is left. RFC 9110 §5.6.1. */
    (void)list;
    (void)item;
    return false;
}

bool http_header_has_token(const struct http_request *req, const char *name, const char *token) {
    /* TODO(handout step 2.5): for every header named `name`, walk its value
     * with http_list_next() and compare each element with token
     * case-insensitively (strncasecmp). RFC 9110 §5.6.1. */
    (void)req;
    (void)name;
    (void)token;
    return false;
}

/* ---- the response writer -------------------------------------------------- */

int http_response_start(struct buf *out, int status, const char *content_type,
                        long long content_length, bool keep_alive) {
    /* TODO(handout step 2.6): append to out the status line "HTTP/1.1 200
     * OK\r\n" (http_reason gives the phrase), then the Content-Type,
     * Content-Length and Connection lines as http.h says, each ending in
     * CRLF (buf_printf). Return -1 if any append did not fit. RFC 9112 §4. */
    (void)out;
    (void)status;
    (void)content_type;
    (void)content_length;
    (void)keep_alive;
    return -1;
}

int http_response_end(struct buf *out) {
    /* TODO(handout step 2.6): the empty line that ends the head. */
    (void)out;
    return -1;
}

int http_response_text(struct buf *out, int status, const char *body, bool keep_alive) {
    /* TODO(handout step 2.6): a whole response: the head (Content-Type
     * "text/plain; charset=utf-8", Content-Length strlen(body)), its end,
     * then the body. */
    (void)out;
    (void)status;
    (void)body;
    (void)keep_alive;
    return -1;
}
