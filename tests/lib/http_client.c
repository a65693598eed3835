/*
 * http_client.c — a small, independent HTTP/1.1 client for tests.
 *
 * It reads responses the simple, strict way (a head up to the empty line,
 * then a Content-Length body or a body up to EOF) and shares no code with the
 * parser students write: a test must not agree with a bug by construction.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX 65536
#define BODY_MAX (64u << 20)

static void parse_head(struct t_response *r) {
    char *line = r->head;
    char *end = strstr(line, "\r\n");
    if (strncmp(line, "HTTP/1.", 7) != 0 || !end || end - line < 12 || line[8] != ' ')
        FAILF("expected: a status line \"HTTP/1.1 NNN Reason\"\n     got: \"%s\"",
              t_escape(line, end ? (size_t)(end - line) : strlen(line), 200));
    r->status = atoi(line + 9);
    size_t status_len = (size_t)(end - line);
    r->reason = status_len > 13 ? strndup(line + 13, status_len - 13) : strdup("");
    for (line = end + 2; strncmp(line, "\r\n", 2) != 0 && r->nheaders < 64;) {
        end = strstr(line, "\r\n");
        char *colon = memchr(line, ':', (size_t)(end - line));
        if (!colon)
            FAILF("expected: a header line \"Name: value\"\n     got: \"%s\"",
                  t_escape(line, (size_t)(end - line), 200));
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        char *ve = end;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        r->headers[r->nheaders].name = strndup(line, (size_t)(colon - line));
        r->headers[r->nheaders].value = strndup(v, (size_t)(ve - v));
        r->nheaders++;
        line = end + 2;
    }
}

const char *t_http_header(const struct t_response *r, const char *name) {
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

struct t_response *t_http_read_head(struct t_conn *c, int timeout_ms) {
    struct t_response *r = calloc(1, sizeof *r);
    size_t len;
    r->head = t_read_until(c, "\r\n\r\n", HEAD_MAX, timeout_ms, &len);
    parse_head(r);
    r->body = calloc(1, 1);
    return r;
}

struct t_response *t_http_read(struct t_conn *c, bool head_only, int timeout_ms) {
    struct t_response *r = t_http_read_head(c, timeout_ms);
    if (head_only || r->status == 204 || r->status == 304 || r->status / 100 == 1) return r;
    const char *cl = t_http_header(r, "Content-Length");
    free(r->body);
    if (cl) {
        char *e;
        unsigned long long n = strtoull(cl, &e, 10);
        if (*e || n > BODY_MAX)
            FAILF("expected: a Content-Length of digits\n     got: \"%s\"",
                  t_escape(cl, strlen(cl), 80));
        t_waiting("the %llu-byte body of a %d response", n, r->status);
        r->body = t_read_exact(c, (size_t)n, timeout_ms);
        r->body_len = (size_t)n;
    } else {
        r->body = t_read_to_eof(c, BODY_MAX, timeout_ms, &r->body_len);
    }
    return r;
}

struct t_response *t_http(struct t_conn *c, const char *method, const char *target,
                          const char *extra_headers, const char *body, int timeout_ms) {
    char head[8192];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method, target,
                     extra_headers ? extra_headers : "");
    if (body) n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", blen);
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    t_send(c, head, (size_t)n);
    if (blen) t_send(c, body, blen);
    return t_http_read(c, strcmp(method, "HEAD") == 0, timeout_ms);
}

struct t_response *t_http_once(int port, const char *method, const char *target,
                               const char *extra_headers, const char *body, int timeout_ms) {
    char hdrs[4096];
    snprintf(hdrs, sizeof hdrs, "Connection: close\r\n%s", extra_headers ? extra_headers : "");
    struct t_conn *c = t_conn_open(port);
    struct t_response *r = t_http(c, method, target, hdrs, body, timeout_ms);
    t_conn_close(c);
    return r;
}

void t_expect_status(const struct t_response *r, int status) {
    if (r->status == status) return;
    FAILF("expected: status %d\n     got: status %d, head:\n%s", status, r->status,
          t_escape(r->head, strlen(r->head), 600));
}

void t_response_free(struct t_response *r) {
    if (!r) return;
    for (int i = 0; i < r->nheaders; i++) free(r->headers[i].name), free(r->headers[i].value);
    free(r->reason), free(r->head), free(r->body), free(r);
}
