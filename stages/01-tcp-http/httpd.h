/*
 * httpd — a thread-per-connection HTTP/1.1 server around the parser.
 *
 * It accepts connections, gives each one a thread, reads requests with
 * http_parse(), and hands each complete request to the program's handler. It
 * enforces the limits that keep one client from hurting the others: a request
 * must arrive whole within request_timeout_ms (else 408), a parse error gets
 * its status and the connection is closed, and at most max_conns connections
 * are served at once (others get 503). Requests the handler does not take are
 * answered from the web root (GET/HEAD) or with 405.
 *
 * Given code: read it to see how the pieces of Lab 1 fit together. Labs 2 and
 * 3 reuse it, taking over the connection after an Upgrade.
 */
#ifndef WSLAB_HTTPD_H
#define WSLAB_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* What a handler did with a request. */
enum httpd_result {
    HTTPD_PASS,  /* not mine: serve it from the web root */
    HTTPD_DONE,  /* I answered; keep the connection if req->keep_alive */
    HTTPD_CLOSE, /* I answered (or took the connection over): close it now */
};

struct httpd_conn {
    int fd;
    const char *peer; /* "127.0.0.1:53122" */
    const char *root; /* the web root */
    /* The current request's bytes as they arrived (head and body). */
    const char *request;
    size_t request_len;
    /* Bytes received after the current request (pipelined or, after an
     * Upgrade, the first bytes of the new protocol): a handler that takes the
     * connection over must use them before reading the socket. */
    const char *extra;
    size_t extra_len;
};

typedef enum httpd_result (*httpd_handler)(struct httpd_conn *c, const struct http_request *req,
                                           void *arg);

struct httpd_config {
    const char *host;       /* default "127.0.0.1" */
    int port;               /* 0: any free port */
    const char *root;       /* web root; default cli_default_root() */
    int request_timeout_ms; /* default 10000 */
    size_t max_body;        /* default 65536 */
    int max_conns;          /* default 512 */
    httpd_handler handler;  /* may be NULL: files only */
    void *arg;
    /* Called once, on the main thread, when a stop is asked and before live
     * connections are ended: wakes whatever handlers wait on (a board's
     * condition variable), so that nobody has to poll httpd_stopping(). */
    void (*on_stop)(void *arg);
};

/* Listens, announces "listening on HOST:PORT", and serves until SIGINT or
 * SIGTERM. Returns 0 after a clean stop, -1 if it could not listen (or
 * accept). On a stop, live connections are shut down; if one is still being
 * served 2 s later (a handler that ignores httpd_stopping()), the process
 * exits rather than return and let the caller free what that handler uses.
 * Zero fields of cfg take the defaults listed above. */
int httpd_run(const struct httpd_config *cfg);

/* Writes a whole short text/plain response on c. Returns 0, or -1. */
int httpd_send_text(struct httpd_conn *c, int status, const char *body, bool keep_alive);

/* Writes len bytes on c. Returns 0, or -1 if the connection broke. */
int httpd_send(struct httpd_conn *c, const void *data, size_t len);

/* True once SIGINT or SIGTERM asked the server to stop: long-running handlers
 * (a held long poll, an event stream) check it and return. */
bool httpd_stopping(void);

#endif
