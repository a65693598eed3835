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

static const char *const method_names[] = {
    [HTTP_GET] = "GET",         [HTTP_HEAD] = "HEAD",     [HTTP_POST] = "POST",
    [HTTP_PUT] = "PUT",         [HTTP_DELETE] = "DELETE", [HTTP_CONNECT] = "CONNECT",
    [HTTP_OPTIONS] = "OPTIONS", [HTTP_TRACE] = "TRACE",   [HTTP_PATCH] = "PATCH",
};

#define NMETHODS (sizeof method_names / sizeof method_names[0])

const char *http_method_name(enum http_method m) {
    return (size_t)m < NMETHODS ? method_names[m] : "?";
}

/* The reason phrases of RFC 9110 §15. */
static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {426, "Upgrade Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *http_reason(int status) {
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status) return reasons[i].reason;
    return "Unknown";
}

static bool name_is(const struct http_header *h, const char *name) {
    size_t n = strlen(name);
    return h->name.len == n && strncasecmp(h->name.p, name, n) == 0;
}

const struct http_str *http_header(const struct http_request *req, const char *name) {
    for (size_t i = 0; i < req->nheaders; i++)
        if (name_is(&req->headers[i], name)) return &req->headers[i].value;
    return NULL;
}

size_t http_header_count(const struct http_request *req, const char *name) {
    size_t count = 0;
    for (size_t i = 0; i < req->nheaders; i++)
        if (name_is(&req->headers[i], name)) count++;
    return count;
}

/* ---- the parser ----------------------------------------------------------- */

/* Where the parser is in the request. An error is kept as a negative state
 * (the negated status), so that calling again returns it again. */
enum { ST_REQUEST_LINE, ST_HEADERS, ST_BODY };

/* RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t n) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i])) return false;
    return true;
}

/* Control characters: 0x00–0x1F and DEL. */
static bool is_ctl(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

static int fail(struct http_parser *p, int status) {
    p->state = -status;
    return -status;
}

/* Finds the CRLF that ends the line starting at p->line, resuming the scan at
 * p->pos. Only the first HTTP_MAX_HEAD bytes can belong to the head, so the
 * scan stops there. Returns 1 with *cr = the CR's offset, HTTP_NEED_MORE, or
 * -status. RFC 9112 §2.2: a line ends in CRLF; a CR or LF alone is refused. */
static int find_line_end(struct http_parser *p, const char *buf, size_t len, size_t *cr) {
    size_t limit = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
    size_t i = p->pos;
    for (; i < limit; i++) {
        if (buf[i] == '\n') return -400; /* a bare LF */
        if (buf[i] != '\r') continue;
        if (i + 1 == limit) break;           /* its LF is not here (yet) */
        if (buf[i + 1] != '\n') return -400; /* a bare CR */
        *cr = i;
        return 1;
    }
    p->pos = i; /* the next call starts here: no byte is scanned twice */
    /* More than HTTP_MAX_HEAD bytes and the head has not ended: it never
     * will within the limit, so say so now rather than wait. */
    return len > HTTP_MAX_HEAD ? -431 : HTTP_NEED_MORE;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). Returns the minor
 * version as the request is to be treated (1.x with x > 1 as 1.1), or
 * -status. */
static int parse_version(const char *v, size_t n) {
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.') return -400;
    if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return -400;
    if (v[5] != '1') return -505;
    return v[7] == '0' ? 0 : 1;
}

static int lookup_method(const char *s, size_t n) {
    for (size_t m = 0; m < NMETHODS; m++)
        if (strlen(method_names[m]) == n && memcmp(method_names[m], s, n) == 0) return (int)m;
    return -1; /* method names are case-sensitive: "get" is not GET */
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
 * Returns 0 or a status. */
static int parse_request_line(struct http_parser *p, const char *buf, size_t start, size_t end) {
    const char *line = buf + start, *stop = buf + end;
    const char *sp1 = memchr(line, ' ', (size_t)(stop - line));
    if (sp1 == NULL) return 400;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(stop - target));
    if (sp2 == NULL) return 400;
    size_t method_len = (size_t)(sp1 - line), target_len = (size_t)(sp2 - target);

    if (!is_token(line, method_len) || target_len == 0) return 400;
    for (size_t i = 0; i < target_len; i++)
        if (is_ctl((unsigned char)target[i])) return 400; /* no CTL; SP ended it */
    int minor = parse_version(sp2 + 1, (size_t)(stop - sp2 - 1));
    if (minor < 0) return -minor;

    int method = lookup_method(line, method_len);
    if (method < 0) return 501; /* a well-formed method we do not know */
    /* origin-form ("/path?query"), or "*" for a server-wide OPTIONS (§3.2). */
    bool asterisk = method == HTTP_OPTIONS && target_len == 1 && target[0] == '*';
    if (target[0] != '/' && !asterisk) return 400;

    p->method = method;
    p->target_off = (size_t)(target - buf);
    p->target_len = target_len;
    p->version_minor = minor;
    return 0;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). Returns 0 or
 * a status. */
static int parse_header_line(struct http_parser *p, const char *buf, size_t start, size_t end) {
    /* A line that starts with whitespace continues the previous field
     * ("obs-fold"): obsolete, and refused (§5.2). */
    if (buf[start] == ' ' || buf[start] == '\t') return 400;
    const char *colon = memchr(buf + start, ':', end - start);
    if (colon == NULL) return 400;
    size_t name_end = (size_t)(colon - buf);
    /* The name is a token: this also refuses an empty name and whitespace
     * before the colon (§5.1 says that must get 400). */
    if (!is_token(buf + start, name_end - start)) return 400;

    size_t v = name_end + 1, v_end = end;
    for (size_t i = v; i < v_end; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (is_ctl(c) && c != '\t') return 400;
    }
    while (v < v_end && (buf[v] == ' ' || buf[v] == '\t')) v++;
    while (v_end > v && (buf[v_end - 1] == ' ' || buf[v_end - 1] == '\t')) v_end--;

    if (p->nheaders == HTTP_MAX_HEADERS) return 431;
    size_t *h = p->hdr_off[p->nheaders++];
    h[0] = start;
    h[1] = name_end - start;
    h[2] = v;
    h[3] = v_end - v;
    return 0;
}

/* Points req at what the parser found in buf. */
static void fill_request(const struct http_parser *p, const char *buf, struct http_request *req) {
    req->method = (enum http_method)p->method;
    req->target = (struct http_str){buf + p->target_off, p->target_len};
    req->version_minor = p->version_minor;
    req->nheaders = p->nheaders;
    for (size_t i = 0; i < p->nheaders; i++) {
        const size_t *h = p->hdr_off[i];
        req->headers[i].name = (struct http_str){buf + h[0], h[1]};
        req->headers[i].value = (struct http_str){buf + h[2], h[3]};
    }
    req->body = (struct http_str){buf + p->body_start, p->body_len};
    /* RFC 9112 §9.3: HTTP/1.1 stays open unless "close"; HTTP/1.0 closes
     * unless "keep-alive". */
    if (http_header_has_token(req, "Connection", "close"))
        req->keep_alive = false;
    else
        req->keep_alive =
            req->version_minor >= 1 || http_header_has_token(req, "Connection", "keep-alive");
}

/* Reads every Content-Length field into *len (0 if there is none). Returns 0,
 * or 400 for a value that is not all digits, too big to hold, or different
 * from another Content-Length field (RFC 9112 §6.3, point 5). */
static int content_length(const struct http_request *req, size_t *len) {
    bool seen = false;
    *len = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!name_is(&req->headers[i], "Content-Length")) continue;
        const struct http_str *v = &req->headers[i].value;
        if (v->len == 0) return 400;
        size_t n = 0;
        for (size_t k = 0; k < v->len; k++) {
            unsigned d = (unsigned)(v->p[k] - '0');
            if (d > 9 || n > (SIZE_MAX - d) / 10) return 400;
            n = n * 10 + d;
        }
        if (seen && n != *len) return 400;
        *len = n;
        seen = true;
    }
    return 0;
}

/* The head is complete: check what only the whole head can tell, and find
 * out how long the body is. Returns 0 or a status. */
static int end_of_head(struct http_parser *p, const struct http_request *req, size_t body_start) {
    /* RFC 9112 §3.2: a 1.1 request has exactly one Host; none in 1.0 is fine. */
    size_t hosts = http_header_count(req, "Host");
    if (hosts > 1 || (hosts == 0 && req->version_minor >= 1)) return 400;

    size_t body_len;
    if (content_length(req, &body_len) != 0) return 400;
    /* Transfer-Encoding (chunked) is not supported. With a Content-Length as
     * well the framing is ambiguous — the classic smuggling vector (§6.1). */
    if (http_header_count(req, "Transfer-Encoding") > 0)
        return http_header_count(req, "Content-Length") > 0 ? 400 : 501;
    /* Decided now, before any body byte: nobody has to receive it first.
     * The second bound keeps the byte count http_parse returns in an int. */
    if (body_len > p->max_body || body_len > (size_t)INT_MAX - HTTP_MAX_HEAD) return 413;

    p->body_start = body_start;
    p->body_len = body_len;
    p->state = ST_BODY;
    return 0;
}

int http_parse(struct http_parser *p, const char *buf, size_t len, struct http_request *req) {
    if (p->state < 0) return p->state; /* it failed before: same answer */
    while (p->state != ST_BODY) {
        size_t cr;
        int found = find_line_end(p, buf, len, &cr);
        if (found < 0) return fail(p, -found);
        if (found == HTTP_NEED_MORE) return HTTP_NEED_MORE;

        size_t start = p->line;
        p->pos = p->line = cr + 2; /* past the CRLF */
        int status;
        if (p->state == ST_REQUEST_LINE) {
            status = parse_request_line(p, buf, start, cr);
            p->state = ST_HEADERS;
        } else if (cr > start) {
            status = parse_header_line(p, buf, start, cr);
        } else {
            fill_request(p, buf, req); /* the empty line: the head is whole */
            status = end_of_head(p, req, p->pos);
        }
        if (status != 0) return fail(p, status);
    }
    size_t total = p->body_start + p->body_len;
    if (len < total) return HTTP_NEED_MORE;
    fill_request(p, buf, req); /* again: buf may have moved since the head */
    return (int)total;
}

bool http_list_next(struct http_str *list, struct http_str *item) {
    while (list->len > 0) {
        /* #element lists (RFC 9110 §5.6.1): elements separated by commas,
         * each with optional whitespace around it; empty ones are allowed. */
        const char *comma = memchr(list->p, ',', list->len);
        size_t len = comma != NULL ? (size_t)(comma - list->p) : list->len;
        const char *a = list->p, *b = list->p + len;
        list->p += len + (comma != NULL);
        list->len -= len + (comma != NULL);
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (b > a) {
            *item = (struct http_str){a, (size_t)(b - a)};
            return true;
        }
    }
    return false;
}

bool http_header_has_token(const struct http_request *req, const char *name, const char *token) {
    size_t token_len = strlen(token);
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!name_is(&req->headers[i], name)) continue;
        struct http_str list = req->headers[i].value, item;
        while (http_list_next(&list, &item))
            if (item.len == token_len && strncasecmp(item.p, token, token_len) == 0) return true;
    }
    return false;
}

/* ---- the response writer -------------------------------------------------- */

int http_response_start(struct buf *out, int status, const char *content_type,
                        long long content_length, bool keep_alive) {
    int r = buf_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
    if (content_type != NULL) r |= buf_printf(out, "Content-Type: %s\r\n", content_type);
    if (content_length >= 0) r |= buf_printf(out, "Content-Length: %lld\r\n", content_length);
    r |= buf_printf(out, "Connection: %s\r\n", keep_alive ? "keep-alive" : "close");
    return r != 0 ? -1 : 0;
}

int http_response_end(struct buf *out) {
    return buf_puts(out, "\r\n");
}

int http_response_text(struct buf *out, int status, const char *body, bool keep_alive) {
    size_t n = strlen(body);
    int r = http_response_start(out, status, "text/plain; charset=utf-8", (long long)n, keep_alive);
    r |= http_response_end(out);
    r |= buf_append(out, body, n);
    return r != 0 ? -1 : 0;
}
