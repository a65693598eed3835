/*
 * wsserver — a single-threaded WebSocket server on the event loop (see
 * wsserver.h).
 *
 * Every connection goes through two phases, each with its own callbacks on
 * the same struct conn:
 *
 *   accept ─► HTTP phase (struct http_conn)
 *               bytes ─► http_parse ─► GET/HEAD: a file from the root, keep-alive
 *                                  ─► other methods: 405; errors: their status
 *                                  ─► Upgrade: app.on_upgrade, handshake_respond
 *                                        │ 101
 *             WebSocket phase (struct client) ◄──┘ the HTTP state is freed
 *               bytes ─► ws_feed ─► app.on_message
 *               ws and app ─► conn_send / conn_send_shared ─► the queue
 *
 * Nothing here ever waits. Where the threads of Labs 1–3 blocked (for the
 * rest of a request, for a close to be answered, for a slow client to read)
 * there is now a timer or a piece of state, and the loop carries on with the
 * other connections:
 *
 *   request timeout   a timer per HTTP connection: 408, then closed;
 *   close timeout     a timer per client, started when its ws is CLOSING;
 *   a flood           the sender's queue over half the mark: stop reading
 *                     it (conn_set_reading) until its queue drains;
 *   a slow reader     a send refused at the mark: close 1013 and let go;
 *   no descriptors    the listener is ignored for ACCEPT_PAUSE_MS.
 *
 * Memory: an idle client costs its struct client (with Lab 3's struct ws
 * inside) and its struct conn — no buffers. The HTTP phase needs a parser
 * and an input buffer, but only until the handshake.
 *
 * Given code. Read: TUTORIAL §4.6–§4.9.
 */
#include "wsserver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"
#include "static.h"

#define MAX_BODY               4096             /* no route takes a request body */
#define HANDSHAKE_RESPONSE_MAX 1024             /* a 101 or a refusal fits easily */
#define TEXT_RESPONSE_MAX      (PATH_MAX + 512) /* a short answer, Location included */
#define FILE_MAX               (4u << 20)       /* the largest file served (read whole) */
#define ACCEPT_BATCH           64               /* connections accepted per readiness */
#define ACCEPT_PAUSE_MS        100              /* out of descriptors: how long to stop accepting */
#define SMALL_FRAME            4096 /* client_send builds frames up to this on the stack */
#define FREE_ROUNDS            8    /* loop iterations wsserver_free gives aborts */
#define GOING_AWAY             "server shutting down"
#define TOO_SLOW               "too slow"

/* A connection still speaking HTTP: it reads requests until one upgrades. */
struct http_conn {
    struct wsserver *server;
    struct conn *conn;
    struct http_parser parser;
    char *in; /* bytes received and not yet answered (NULL while none) */
    size_t len, cap;
    struct loop_timer timer; /* the request timeout, or the wait for the next one */
    bool idle;               /* between requests: the timer closes without a 408 */
    bool paused;             /* reading paused until the queue drains */
    struct http_conn *prev, *next;
};

struct wsserver {
    struct wsserver_config cfg; /* defaults filled in */
    struct conn_config conn_cfg;
    struct loop *loop;
    int listen_fd;                  /* -1 once stopped */
    struct loop_timer accept_timer; /* the pause after EMFILE */
    struct loop_timer stop_timer;   /* the longest a stop waits */
    struct http_conn *http_conns;   /* connections in the HTTP phase */
    struct client *clients;         /* connections past the 101 */
    size_t nhttp, nclients;
    uint64_t clients_opened; /* for the next client's id */
    bool stopping;
    bool freeing;
};

static const struct conn_callbacks http_callbacks;
static const struct conn_callbacks client_callbacks;

/* ---- the end of a connection -------------------------------------------- */

static void stop_loop(struct loop *loop, struct loop_timer *timer, void *arg) {
    (void)timer;
    (void)arg;
    loop_stop(loop);
}

/* Called after each connection's end: a stopping server is done when the
 * last one has gone. */
static void connection_ended(struct wsserver *s) {
    if (!s->stopping || s->freeing || s->nhttp + s->nclients > 0) return;
    loop_timer_stop(s->loop, &s->stop_timer);
    loop_stop(s->loop);
}

/* ---- the HTTP phase: answers ---------------------------------------------- */

/* Lets the connection end once everything queued is written. */
static void http_close(struct http_conn *h, const void *last, size_t len) {
    loop_timer_stop(h->server->loop, &h->timer);
    conn_close(h->conn, last, len);
}

/* A response with a short text/plain body (for HEAD, its head alone);
 * extra is NULL or more header lines. Returns 0, or -1 if not queued. */
static int send_text(struct http_conn *h, int status, const char *body, const char *extra,
                     bool head_only, bool keep_alive) {
    char storage[TEXT_RESPONSE_MAX];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    size_t n = strlen(body);
    int r =
        http_response_start(&out, status, "text/plain; charset=utf-8", (long long)n, keep_alive);
    if (extra != NULL) r |= buf_puts(&out, extra);
    r |= http_response_end(&out);
    if (!head_only) r |= buf_append(&out, body, n);
    if (r != 0) return -1;
    if (keep_alive) return conn_send(h->conn, out.data, out.len);
    http_close(h, out.data, out.len); /* Connection: close means it */
    return 0;
}

/* A request that cannot be answered normally: its status, the reason
 * phrase as body, and the end of the connection (after a malformed request,
 * where the next one would start is unknown). */
static void http_fail(struct http_conn *h, int status) {
    if (status < 400 || status > 599) status = 500; /* a parser bug */
    char body[64];
    snprintf(body, sizeof body, "%s\n", http_reason(status));
    if (send_text(h, status, body, NULL, false, false) < 0) http_close(h, NULL, 0);
}

/* A file, read whole into one buffer with its head in front: one buffer in
 * the queue, one writev. Files are small (web/); a bigger one is refused
 * rather than held in memory. The read blocks the loop for the moment a
 * local file takes — fine here, and what sendfile(2) would avoid. */
static void send_file(struct http_conn *h, const char *path, bool head_only, bool keep_alive) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        bool denied = errno == EACCES;
        send_text(h, denied ? 403 : 404, denied ? "forbidden\n" : "not found\n", NULL, head_only,
                  keep_alive);
        return;
    }
    struct stat st; /* the size of what we opened, not of what path named before */
    if (fstat(fd, &st) < 0 || st.st_size > (off_t)FILE_MAX) {
        close(fd);
        send_text(h, 500, "file too large to serve\n", NULL, head_only, keep_alive);
        return;
    }
    size_t size = (size_t)st.st_size, body = head_only ? 0 : size;
    char head[512];
    struct buf out;
    buf_init(&out, head, sizeof head);
    int r = http_response_start(&out, 200, static_content_type(path), (long long)size, keep_alive);
    r |= http_response_end(&out);
    struct rcbuf *b = r == 0 ? rcbuf_new(out.len + body) : NULL;
    if (b != NULL) {
        memcpy(b->data, out.data, out.len);
        b->len = out.len;
        /* The file may shrink while we read it: then it is an error, as
         * the head already promises size bytes. */
        while (b->len < b->cap) {
            ssize_t n = net_read(fd, b->data + b->len, b->cap - b->len);
            if (n <= 0) break;
            b->len += (size_t)n;
        }
    }
    close(fd);
    if (b == NULL || b->len < b->cap) {
        http_fail(h, 500);
    } else if (conn_send_shared(h->conn, b) < 0) {
        http_close(h, NULL, 0);
    } else if (!keep_alive) {
        http_close(h, NULL, 0);
    }
    rcbuf_unref(b);
}

/* GET and HEAD: a file from the web root (static.h). */
static void serve_static(struct http_conn *h, const struct http_request *req) {
    char path[PATH_MAX];
    bool head_only = req->method == HTTP_HEAD;
    int status =
        static_resolve(h->server->cfg.root, req->target.p, req->target.len, path, sizeof path);
    if (status == 200) {
        send_file(h, path, head_only, req->keep_alive);
    } else if (status == 301) {
        char location[PATH_MAX + 16];
        snprintf(location, sizeof location, "Location: %s\r\n", path);
        send_text(h, 301, "moved\n", location, head_only, req->keep_alive);
    } else {
        const char *body = status == 400   ? "bad request\n"
                           : status == 403 ? "forbidden\n"
                                           : "not found\n";
        send_text(h, status, body, NULL, head_only, req->keep_alive);
    }
}

/* Any request but an upgrade. */
static void respond(struct http_conn *h, const struct http_request *req) {
    if (req->method == HTTP_GET || req->method == HTTP_HEAD)
        serve_static(h, req);
    else /* 405 must list the methods there are (RFC 9110 §15.5.6) */
        send_text(h, 405, "method not allowed\n", "Allow: GET, HEAD\r\n", false, req->keep_alive);
}

/* ---- the HTTP phase: timing ----------------------------------------------- */

static void http_timed_out(struct loop *loop, struct loop_timer *timer, void *arg) {
    (void)loop;
    (void)timer;
    struct http_conn *h = arg;
    if (h->idle)
        http_close(h, NULL, 0); /* a keep-alive connection nobody uses any more */
    else
        http_fail(h, 408); /* a request that did not arrive whole in time */
}

/* (Re)starts the clock: request_timeout_ms for a request to arrive whole,
 * or, between requests, for the next one to begin. */
static void http_wait(struct http_conn *h, bool idle) {
    h->idle = idle;
    struct wsserver *s = h->server;
    loop_timer_start(s->loop, &h->timer, (uint64_t)s->cfg.request_timeout_ms, 0, http_timed_out, h);
}

/* ---- the upgrade ---------------------------------------------------------- */

static void client_feed(struct client *c, const void *data, size_t len);
static void client_open(struct client *c);

static void client_link(struct wsserver *s, struct client *c) {
    c->next = s->clients;
    if (s->clients != NULL) s->clients->prev = c;
    s->clients = c;
    s->nclients++;
}

static void client_unlink(struct wsserver *s, struct client *c) {
    if (c->prev != NULL) c->prev->next = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
    if (s->clients == c) s->clients = c->next;
    s->nclients--;
}

static void http_link(struct wsserver *s, struct http_conn *h) {
    h->next = s->http_conns;
    if (s->http_conns != NULL) s->http_conns->prev = h;
    s->http_conns = h;
    s->nhttp++;
}

static void http_unlink(struct wsserver *s, struct http_conn *h) {
    if (h->prev != NULL) h->prev->next = h->next;
    if (h->next != NULL) h->next->prev = h->prev;
    if (s->http_conns == h) s->http_conns = h->next;
    s->nhttp--;
}

/* The client was accepted by on_upgrade, but will not open after all (the
 * handshake failed): on_close lets the application undo on_upgrade. */
static void client_abandon(struct client *c) {
    struct wsserver_app *app = &c->server->cfg.app;
    if (app->on_close != NULL) app->on_close(app->arg, c);
    free(c);
}

/* Asks the application, then Lab 2's handshake_respond(). Returns the client
 * whose 101 is queued, or NULL after queuing a refusal. */
static struct client *handshake(struct http_conn *h, const struct http_request *req) {
    struct wsserver *s = h->server;
    struct client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        http_fail(h, 500);
        return NULL;
    }
    *c = (struct client){.server = s, .conn = h->conn, .id = s->clients_opened + 1};
    const char *why = NULL;
    int status = s->cfg.app.on_upgrade ? s->cfg.app.on_upgrade(s->cfg.app.arg, c, req, &why) : 0;
    if (status != 0) {
        free(c);
        char body[128];
        snprintf(body, sizeof body, "%s\n", why != NULL ? why : http_reason(status));
        if (send_text(h, status, body, NULL, false, false) < 0) http_fail(h, status);
        return NULL;
    }
    char storage[HANDSHAKE_RESPONSE_MAX];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    struct handshake_result res;
    status = handshake_respond(&s->cfg.handshake, req, &out, &res);
    if (status == 101 && conn_send(h->conn, out.data, out.len) == 0) return c;
    client_abandon(c);
    if (status > 101)
        http_close(h, out.data, out.len); /* the refusal, as the handshake wrote it */
    else
        http_fail(h, 500); /* did not fit, or the 101 could not be queued */
    return NULL;
}

/* An upgrade request, n bytes long, at the start of h->in: after the 101
 * the connection belongs to a client, and the HTTP state goes. The bytes
 * behind the request are the client's first frames. */
static void upgrade(struct http_conn *h, const struct http_request *req, size_t n) {
    struct client *c = handshake(h, req);
    if (c == NULL) return;
    struct wsserver *s = h->server;
    loop_timer_stop(s->loop, &h->timer);
    http_unlink(s, h);
    conn_set_callbacks(h->conn, &client_callbacks, c);
    client_open(c);
    if (h->len > n) client_feed(c, h->in + n, h->len - n);
    free(h->in);
    free(h);
}

/* ---- the HTTP phase: reading ---------------------------------------------- */

/* Keeps data behind what is already there. The buffer only ever holds one
 * unfinished request (the parser refuses any longer than HTTP_MAX_HEAD +
 * MAX_BODY) plus, with pipelining, requests waiting for the queue to drain:
 * reading is paused then, so that is at most one read's worth. */
static int http_take(struct http_conn *h, const unsigned char *data, size_t len) {
    if (h->len + len > h->cap) {
        size_t cap = h->len + len > 1024 ? h->len + len : 1024;
        char *bigger = realloc(h->in, cap);
        if (bigger == NULL) return -1;
        h->in = bigger;
        h->cap = cap;
    }
    memcpy(h->in + h->len, data, len);
    h->len += len;
    return 0;
}

/* Removes the n bytes of the request just answered. */
static void http_consume(struct http_conn *h, size_t n) {
    h->len -= n;
    if (h->len > 0) {
        memmove(h->in, h->in + n, h->len);
    } else { /* an idle keep-alive connection keeps no buffer */
        free(h->in);
        h->in = NULL;
        h->cap = 0;
    }
    http_parser_init(&h->parser, MAX_BODY);
}

/* Answers the whole requests in the buffer, in order (pipelining), while
 * the client reads the answers: once its queue holds half the mark, reading
 * and answering wait for on_drain. */
static void http_serve(struct http_conn *h) {
    struct wsserver *s = h->server;
    while (!conn_closing(h->conn)) {
        if (conn_queued(h->conn) > s->cfg.high_water / 2) {
            h->paused = true;
            conn_set_reading(h->conn, false);
            return;
        }
        struct http_request req;
        int n = http_parse(&h->parser, h->in, h->len, &req);
        if (n == HTTP_NEED_MORE) return;
        if (n < 0) {
            http_fail(h, -n);
            return;
        }
        if (http_header(&req, "Upgrade") != NULL) {
            upgrade(h, &req, (size_t)n); /* h is gone or closing */
            return;
        }
        respond(h, &req);
        http_consume(h, (size_t)n);
        if (!conn_closing(h->conn)) http_wait(h, h->len == 0);
    }
}

static void http_on_data(struct conn *conn, const unsigned char *data, size_t len, void *arg) {
    (void)conn;
    struct http_conn *h = arg;
    if (h->idle) http_wait(h, false); /* a new request begins: its clock starts */
    if (http_take(h, data, len) < 0)
        http_fail(h, 500);
    else
        http_serve(h);
}

static void http_on_drain(struct conn *conn, void *arg) {
    struct http_conn *h = arg;
    if (conn_closing(conn)) return;
    if (h->idle) http_wait(h, true); /* idle from the end of the last answer */
    if (h->paused) {
        h->paused = false;
        conn_set_reading(conn, true);
        http_serve(h);
    }
}

static void http_on_close(struct conn *conn, void *arg) {
    (void)conn;
    struct http_conn *h = arg;
    struct wsserver *s = h->server;
    loop_timer_stop(s->loop, &h->timer);
    http_unlink(s, h);
    free(h->in);
    free(h);
    connection_ended(s);
}

static const struct conn_callbacks http_callbacks = {
    .on_data = http_on_data,
    .on_drain = http_on_drain,
    .on_close = http_on_close,
};

/* ---- accepting ---------------------------------------------------------- */

/* A new connection starts in the HTTP phase, with the request clock
 * running from now: a client that connects and says nothing gets a 408. */
static void http_start(struct wsserver *s, int fd) {
    struct http_conn *h = calloc(1, sizeof *h);
    if (h == NULL || (h->conn = conn_new(s->loop, fd, &s->conn_cfg, &http_callbacks, h)) == NULL) {
        free(h);
        close(fd);
        return;
    }
    h->server = s;
    http_parser_init(&h->parser, MAX_BODY);
    http_link(s, h);
    http_wait(h, false);
}

static void accept_resume(struct loop *loop, struct loop_timer *timer, void *arg) {
    (void)timer;
    struct wsserver *s = arg;
    if (s->listen_fd >= 0) loop_set_interest(loop, s->listen_fd, LOOP_READ);
}

/* The listener is readable: accept what is waiting (a batch at a time, so
 * that a storm of connections cannot starve the clients already here). */
static void on_accept(struct loop *loop, int fd, unsigned events, void *arg) {
    (void)events;
    struct wsserver *s = arg;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int client = net_accept(fd);
        if (client < 0) {
            /* Out of descriptors (or memory): the connection stays in the
             * backlog and the listener stays readable, so accepting again
             * at once would spin. Look away for a moment instead. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                loop_set_interest(loop, fd, 0);
                loop_timer_start(loop, &s->accept_timer, ACCEPT_PAUSE_MS, 0, accept_resume, s);
            }
            return; /* EAGAIN: none left; anything else: try at the next readiness */
        }
        http_start(s, client);
    }
}

/* ---- the WebSocket phase -------------------------------------------------- */

/* A slow consumer: its queue reached the mark. It gets a close 1013 behind
 * what is queued (past the mark: conn_close takes it anyway) and is let go
 * without waiting for an answer. From now on conn_closing() is true, so
 * client_is_open() says no and sends to it fail. */
static void client_drop(struct client *c) {
    if (conn_closing(c->conn)) return;
    unsigned char frame[FRAME_MAX_HEADER + 2 + sizeof TOO_SLOW];
    size_t reason = sizeof TOO_SLOW - 1;
    size_t n = frame_write(frame, true, WS_OP_CLOSE, 2 + reason, NULL);
    frame[n++] = WS_CLOSE_TRY_AGAIN >> 8;
    frame[n++] = WS_CLOSE_TRY_AGAIN & 0xff;
    memcpy(frame + n, TOO_SLOW, reason);
    conn_close(c->conn, frame, n + reason);
}

/* ws's cfg.write: whatever ws sends (pongs, closes) goes to the queue. */
static int client_write(void *arg, const void *data, size_t len) {
    struct client *c = arg;
    if (conn_send(c->conn, data, len) == 0) return 0;
    if (conn_over(c->conn)) client_drop(c);
    return -1;
}

static void close_timed_out(struct loop *loop, struct loop_timer *timer, void *arg) {
    (void)loop;
    (void)timer;
    struct client *c = arg;
    conn_close(c->conn, NULL, 0); /* the peer never answered our close */
}

/* Does what ws's state asks of the connection, after anything that may have
 * changed it: CLOSED or FAILED, the server closes TCP (first, RFC 6455
 * §7.1.1); CLOSING, the peer has close_timeout_ms to answer. */
static void client_settle(struct client *c) {
    struct loop *loop = c->server->loop;
    switch (ws_state(&c->ws)) {
    case WS_OPEN:
        break;
    case WS_CLOSING:
        if (!loop_timer_active(&c->timer))
            loop_timer_start(loop, &c->timer, (uint64_t)c->server->cfg.close_timeout_ms, 0,
                             close_timed_out, c);
        break;
    case WS_CLOSED:
    case WS_FAILED:
        loop_timer_stop(loop, &c->timer);
        conn_close(c->conn, NULL, 0); /* what ws queued last goes out first */
        break;
    }
}

/* ws's cfg.on_event: messages go to the application; ws has answered pings
 * and closes itself, and client_settle() acts on the state. */
static void client_on_event(void *arg, struct ws *ws, const struct ws_event *ev) {
    (void)ws;
    struct client *c = arg;
    struct wsserver_app *app = &c->server->cfg.app;
    if (app->on_message == NULL) return;
    if (ev->type == WS_EV_TEXT)
        app->on_message(app->arg, c, WS_OP_TEXT, ev->data, ev->len);
    else if (ev->type == WS_EV_BINARY)
        app->on_message(app->arg, c, WS_OP_BINARY, ev->data, ev->len);
}

/* Bytes from the peer. A client that sends faster than it reads what we
 * answer has a growing queue: past half the mark we stop reading it, and
 * TCP makes it wait (back-pressure) until it has read its answers. */
static void client_feed(struct client *c, const void *data, size_t len) {
    ws_feed(&c->ws, data, len);
    client_settle(c);
    if (!conn_closing(c->conn) && conn_queued(c->conn) > c->server->cfg.high_water / 2) {
        c->paused = true;
        conn_set_reading(c->conn, false);
    }
}

/* After the 101: the protocol starts, and the application hears of it. */
static void client_open(struct client *c) {
    struct wsserver *s = c->server;
    struct ws_config wcfg = {
        .role = WS_SERVER,
        .max_message = s->cfg.max_message,
        .close_timeout_ms = s->cfg.close_timeout_ms,
        .on_event = client_on_event,
        .write = client_write,
        .arg = c,
    };
    ws_init(&c->ws, &wcfg);
    s->clients_opened++;
    client_link(s, c);
    c->opened = true;
    if (s->cfg.app.on_open != NULL) s->cfg.app.on_open(s->cfg.app.arg, c);
}

static void client_on_data(struct conn *conn, const unsigned char *data, size_t len, void *arg) {
    (void)conn;
    client_feed(arg, data, len);
}

static void client_on_drain(struct conn *conn, void *arg) {
    struct client *c = arg;
    if (c->paused && !conn_closing(conn)) {
        c->paused = false;
        conn_set_reading(conn, true);
    }
}

static void client_on_close(struct conn *conn, void *arg) {
    (void)conn;
    struct client *c = arg;
    struct wsserver *s = c->server;
    loop_timer_stop(s->loop, &c->timer);
    if (s->cfg.app.on_close != NULL) s->cfg.app.on_close(s->cfg.app.arg, c);
    client_unlink(s, c);
    ws_free(&c->ws);
    free(c);
    connection_ended(s);
}

static const struct conn_callbacks client_callbacks = {
    .on_data = client_on_data,
    .on_drain = client_on_drain,
    .on_close = client_on_close,
};

/* ---- what the application calls ------------------------------------------- */

bool client_is_open(const struct client *c) {
    return ws_state(&c->ws) == WS_OPEN && !conn_closing(c->conn);
}

/* The frame is built here rather than by ws_send(), so that it reaches
 * conn in one call: queued whole or refused whole, never a header without
 * its payload. A small frame is assembled on the stack and copied into the
 * queue's packed buffer (no allocation of its own); a large one gets a
 * buffer of its own, queued without a second copy. */
int client_send(struct client *c, unsigned opcode, const void *data, size_t len) {
    if (!client_is_open(c) || (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY)) return -1;
    unsigned char head[FRAME_MAX_HEADER];
    size_t n = frame_write(head, true, opcode, len, NULL); /* a server never masks (§5.1) */
    int r;
    if (n + len <= SMALL_FRAME) {
        unsigned char frame[SMALL_FRAME];
        memcpy(frame, head, n);
        if (len > 0) memcpy(frame + n, data, len);
        r = conn_send(c->conn, frame, n + len);
    } else {
        struct rcbuf *b = rcbuf_new(n + len);
        if (b == NULL) return -1;
        memcpy(b->data, head, n);
        memcpy(b->data + n, data, len);
        b->len = n + len;
        r = conn_send_shared(c->conn, b);
        rcbuf_unref(b);
    }
    if (r < 0 && conn_over(c->conn)) client_drop(c);
    return r;
}

int client_send_frame(struct client *c, struct rcbuf *frame) {
    if (!client_is_open(c)) return -1;
    if (conn_send_shared(c->conn, frame) == 0) return 0;
    if (conn_over(c->conn)) client_drop(c);
    return -1;
}

void client_close(struct client *c, uint16_t code, const char *reason) {
    if (!client_is_open(c)) return;
    ws_close(&c->ws, code, reason, reason != NULL ? strlen(reason) : 0);
    client_settle(c);
}

const char *client_peer(const struct client *c) {
    return conn_peer(c->conn);
}

/* ---- the server ------------------------------------------------------------ */

struct wsserver *wsserver_start(struct loop *loop, const struct wsserver_config *cfg) {
    struct wsserver *s = calloc(1, sizeof *s);
    if (s == NULL) {
        fprintf(stderr, "wsserver: out of memory\n");
        return NULL;
    }
    s->cfg = *cfg;
    struct wsserver_config *c = &s->cfg;
    if (c->host == NULL) c->host = "127.0.0.1";
    if (c->root == NULL) c->root = cli_default_root();
    if (c->close_timeout_ms <= 0) c->close_timeout_ms = 5000;
    if (c->request_timeout_ms <= 0) c->request_timeout_ms = 10000;
    if (c->high_water == 0) c->high_water = CONN_DEFAULT_HIGH_WATER;
    s->conn_cfg.high_water = c->high_water;
    s->loop = loop;

    int port = c->port;
    s->listen_fd = net_listen(c->host, port, &port);
    if (s->listen_fd < 0) {
        fprintf(stderr, "wsserver: cannot listen on %s:%d: %s\n", c->host, c->port,
                strerror(errno));
        free(s);
        return NULL;
    }
    /* Non-blocking, so that accepting until EAGAIN empties the backlog and
     * a client that gave up before we accepted it cannot block us. */
    int flags = fcntl(s->listen_fd, F_GETFL);
    if (flags < 0 || fcntl(s->listen_fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        loop_watch(loop, s->listen_fd, LOOP_READ, on_accept, s) < 0) {
        fprintf(stderr, "wsserver: cannot watch the listening socket\n");
        close(s->listen_fd);
        free(s);
        return NULL;
    }
    cli_announce(c->host, port);
    return s;
}

static void close_listener(struct wsserver *s) {
    loop_timer_stop(s->loop, &s->accept_timer);
    if (s->listen_fd < 0) return;
    loop_unwatch(s->loop, s->listen_fd);
    close(s->listen_fd);
    s->listen_fd = -1;
}

void wsserver_stop(struct wsserver *s) {
    if (s->stopping) return;
    s->stopping = true;
    close_listener(s);
    /* Neither call frees anything now (on_close comes from the loop), so
     * the lists stay intact while we walk them. */
    for (struct client *c = s->clients; c != NULL; c = c->next)
        client_close(c, WS_CLOSE_GOING_AWAY, GOING_AWAY);
    for (struct http_conn *h = s->http_conns; h != NULL; h = h->next) http_close(h, NULL, 0);
    if (s->nhttp + s->nclients == 0)
        loop_stop(s->loop);
    else
        loop_timer_start(s->loop, &s->stop_timer, (uint64_t)s->cfg.close_timeout_ms, 0, stop_loop,
                         s);
}

void wsserver_free(struct wsserver *s) {
    if (s == NULL) return;
    s->freeing = s->stopping = true;
    close_listener(s);
    loop_timer_stop(s->loop, &s->stop_timer);
    for (struct http_conn *h = s->http_conns; h != NULL; h = h->next) conn_abort(h->conn);
    for (struct client *c = s->clients; c != NULL; c = c->next) conn_abort(c->conn);
    /* conn reports each end from the loop (a deferred task): let it run
     * until every on_close has come, which frees every connection. */
    for (int i = 0; i < FREE_ROUNDS && s->nhttp + s->nclients > 0; i++) loop_run_once(s->loop, 0);
    if (s->nhttp + s->nclients > 0)
        fprintf(stderr, "wsserver: %zu connection(s) did not end\n", s->nhttp + s->nclients);
    free(s);
}

size_t wsserver_clients(const struct wsserver *s) {
    return s->nclients;
}

size_t wsserver_connections(const struct wsserver *s) {
    return s->nhttp + s->nclients;
}
