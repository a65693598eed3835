/*
 * http — an incremental HTTP/1.1 request parser and a response writer.
 *
 * The parser is sans-I/O: it never reads a socket. The caller keeps the bytes
 * received so far in one buffer and calls http_parse() each time more arrive;
 * the parser remembers how far it got and answers "need more", "complete
 * (this many bytes were the request)" or "error (send this status)". Because
 * it only looks at bytes, the same parser works under a thread per connection
 * (this lab), an event loop (Lab 4) and TLS (Lab 7), and it can be tested by
 * feeding it byte strings — whole, or one byte at a time.
 *
 * Lab 1, task 2. Read: TUTORIAL §1.3 "HTTP/1.1 on the wire"; RFC 9112 §2–§6
 * (message syntax), RFC 9110 §5 (fields), §9 (methods), §15 (status codes).
 */
#ifndef WSLAB_HTTP_H
#define WSLAB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define HTTP_MAX_HEAD    8192 /* request line + headers, bytes; over it: 431 */
#define HTTP_MAX_HEADERS 64   /* header fields; over it: 431 */

/* Results of http_parse() other than a byte count. */
#define HTTP_NEED_MORE 0

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_CONNECT,
    HTTP_OPTIONS,
    HTTP_TRACE,
    HTTP_PATCH,
};

/* A piece of the caller's buffer: not NUL-terminated. */
struct http_str {
    const char *p;
    size_t len;
};

struct http_header {
    struct http_str name;  /* as sent (compare case-insensitively) */
    struct http_str value; /* without leading and trailing spaces and tabs */
};

struct http_request {
    enum http_method method;
    struct http_str target; /* e.g. "/messages?since=3" */
    int version_minor;      /* 0 for HTTP/1.0, 1 for HTTP/1.1 (and 1.x, x > 1) */
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    struct http_str body; /* Content-Length bytes; empty without one */
    bool keep_alive;      /* may the connection carry another request? */
};

/* The parser's state between calls. Zero it (or call http_parser_init) before
 * the first byte of each request. The fields are the parser's own. */
struct http_parser {
    size_t max_body; /* largest Content-Length accepted; over it: 413 */
    int state;
    size_t pos;  /* bytes of the buffer already examined */
    size_t line; /* where the current line starts */
    size_t body_start;
    size_t body_len;
    size_t nheaders;
    size_t hdr_off[HTTP_MAX_HEADERS][4]; /* name off/len, value off/len */
    size_t target_off, target_len;
    int method;
    int version_minor;
};

/* Prepares p for a new request, accepting bodies of up to max_body bytes. */
void http_parser_init(struct http_parser *p, size_t max_body);

/* Parses the request at the start of buf[0..len). buf must hold every byte
 * of this request received so far (the caller appends, never drops, between
 * calls). Returns:
 *   HTTP_NEED_MORE (0)  the request is not complete yet;
 *   n > 0               the request is complete and is the first n bytes of
 *                       buf (bytes after n belong to the next request); *req
 *                       is filled and points into buf;
 *   -status < 0         the request is invalid; send that status and close:
 *                       400 malformed, 413 body over max_body, 431 head over
 *                       HTTP_MAX_HEAD bytes or HTTP_MAX_HEADERS fields,
 *                       501 unknown method or Transfer-Encoding,
 *                       505 an HTTP major version other than 1.
 * Fed the same bytes whole or one at a time, it gives the same result. */
int http_parse(struct http_parser *p, const char *buf, size_t len, struct http_request *req);

/* The value of the first header named `name` (case-insensitive), or NULL. */
const struct http_str *http_header(const struct http_request *req, const char *name);

/* How many headers named `name` the request has. */
size_t http_header_count(const struct http_request *req, const char *name);

/* True if some header named `name` holds `token` in its comma-separated list,
 * compared case-insensitively: ("Connection", "upgrade") matches
 * "Connection: keep-alive, Upgrade". RFC 9110 §5.6.1. */
bool http_header_has_token(const struct http_request *req, const char *name, const char *token);

/* Takes the next element of a comma-separated list (RFC 9110 §5.6.1):
 * stores it in *item without the spaces and tabs around it, moves *list
 * past it, and returns true; empty elements are skipped; false once the
 * list is used up. "a, b,,c" gives "a", "b", "c". */
bool http_list_next(struct http_str *list, struct http_str *item);

/* The method's name ("GET"). */
const char *http_method_name(enum http_method m);

/* The reason phrase of a status ("Not Found"), or "Unknown". */
const char *http_reason(int status);

/* Writes the status line and the headers every response has:
 *   HTTP/1.1 STATUS REASON
 *   Content-Type: TYPE              (if content_type is not NULL)
 *   Content-Length: N               (if content_length >= 0)
 *   Connection: keep-alive | close
 * The caller may append more header lines ("Name: value\r\n") and must end
 * the head with http_response_end(). Returns 0, or -1 if out is full. */
int http_response_start(struct buf *out, int status, const char *content_type,
                        long long content_length, bool keep_alive);

/* Ends the head with the empty line. Returns 0, or -1 if out is full. */
int http_response_end(struct buf *out);

/* A whole response with a short text/plain body (e.g. "not found\n").
 * Returns 0, or -1 if out is full. */
int http_response_text(struct buf *out, int status, const char *body, bool keep_alive);

#endif
