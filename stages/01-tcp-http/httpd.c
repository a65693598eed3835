/*
 * httpd — a thread-per-connection HTTP/1.1 server around the parser
 * (see httpd.h).
 *
 * The main thread only accepts. Each connection gets a thread that loops:
 *
 *   read bytes ──► http_parse() ──► need more? read again (until the deadline)
 *                       │
 *                       ├── error  ──► send that status, close
 *                       └── request ─► handler, or web root, or 405
 *                                      keep-alive? keep any bytes after the
 *                                      request (pipelining) and loop
 *
 * Limits keep one client from hurting the others: each request must arrive
 * whole within request_timeout_ms (a client that trickles bytes forever —
 * "slowloris" — gets 408), a request is at most HTTP_MAX_HEAD + max_body
 * bytes, and at most max_conns connections are served at once.
 *
 * Stopping: SIGINT/SIGTERM set a flag. The main thread stops accepting and
 * calls cfg->on_stop (which wakes handlers that wait: long polls, event
 * streams), then shuts down the reading side of every live connection, which
 * wakes its thread from poll() or read() with end-of-stream while it can
 * still write a goodbye (see end_connections).
 *
 * Given code: read it to see how the pieces of Lab 1 fit together.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"
#include "static.h"

#define STOP_GRACE_MS 2000        /* how long a stop waits for connections to end */
#define LINGER_MS     1000        /* how long a closing connection drains the client */
#define LINGER_BYTES  (32u << 20) /* and how much it drains at most */

/* One connection and its thread's state. */
struct worker {
    struct httpd_conn conn;
    char peer[INET_ADDRSTRLEN + 8];
    int slot;              /* index in server.fds */
    long long accepted_ms; /* when the connection was accepted (monotonic) */
    char *in;              /* bytes received and not yet handled */
    size_t in_len, in_cap;
};

/* The server's state: one server per process, as signals are per process. */
static struct {
    struct httpd_config cfg;
    pthread_mutex_t lock; /* guards fds and live */
    pthread_cond_t ended; /* signalled when a connection ends */
    int *fds;             /* max_conns slots: a live connection's fd, or -1 */
    int live;             /* connections being served */
} server;

static atomic_int stop_requested; /* set by the signal handler */

bool httpd_stopping(void) {
    return atomic_load(&stop_requested) != 0;
}

static void on_stop_signal(int sig) {
    (void)sig;
    atomic_store(&stop_requested, 1);
}

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable, at most timeout_ms. Returns 1 if readable (or
 * at end of stream, or in error: the read that follows will say), 0 on
 * timeout. */
static int wait_readable(int fd, long long timeout_ms) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    long long deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - monotonic_ms();
        int n = poll(&pfd, 1, left > 0 ? (int)left : 0);
        if (n >= 0 || errno != EINTR) return n != 0;
    }
}

/* ---- sending ------------------------------------------------------------- */

int httpd_send(struct httpd_conn *c, const void *data, size_t len) {
    return net_write_all(c->fd, data, len);
}

int httpd_send_text(struct httpd_conn *c, int status, const char *body, bool keep_alive) {
    struct buf out;
    if (buf_alloc(&out, strlen(body) + 256) < 0) return -1;
    int r = http_response_text(&out, status, body, keep_alive);
    if (r == 0) r = httpd_send(c, out.data, out.len);
    buf_free(&out);
    return r;
}

/* 405 must say which methods the resource has (RFC 9110 §15.5.6). */
static int send_405(struct httpd_conn *c, const char *allow, bool keep_alive) {
    static const char body[] = "method not allowed\n";
    char storage[512];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    int r =
        http_response_start(&out, 405, "text/plain; charset=utf-8", sizeof body - 1, keep_alive);
    r |= buf_printf(&out, "Allow: %s\r\n", allow);
    r |= http_response_end(&out);
    r |= buf_puts(&out, body);
    return r == 0 ? httpd_send(c, out.data, out.len) : -1;
}

/* The answer to a request that could not be read: its status, the reason
 * phrase as body, and "Connection: close" (after a framing error, where the
 * next request would start is unknown). */
static void send_error(struct httpd_conn *c, int status) {
    if (status < 400 || status > 599) status = 500; /* a parser bug */
    char body[64];
    snprintf(body, sizeof body, "%s\n", http_reason(status));
    httpd_send_text(c, status, body, false);
}

/* ---- one connection ------------------------------------------------------ */

/* Reads until http_parse() has a whole request or an error. Returns the
 * request's length (> 0), a negated status to answer with, or 0 to close
 * without a word (the client left, or stayed idle between requests).
 *
 * The clock: a request must be whole within request_timeout_ms of its start.
 * It starts at the first byte of the request — or, for the first request of
 * a connection, when the connection was accepted (a client that connects and
 * sends nothing gets 408, not a free thread). */
static int read_request(struct worker *w, struct http_parser *parser, struct http_request *req,
                        bool first) {
    long long timeout = server.cfg.request_timeout_ms;
    long long deadline = first ? w->accepted_ms + timeout : -1; /* -1: not started */
    for (;;) {
        if (deadline < 0 && w->in_len > 0) deadline = monotonic_ms() + timeout;
        int n = http_parse(parser, w->in, w->in_len, req);
        /* Two answers only a broken parser gives: a request longer than the
         * bytes it was shown, or "need more" when HTTP_MAX_HEAD + max_body
         * bytes, enough for any request it may accept, are already here. */
        if (n > 0 && (size_t)n > w->in_len) return -500;
        if (n != HTTP_NEED_MORE) return n;
        if (w->in_len == w->in_cap) return -500;

        long long wait = deadline < 0 ? timeout : deadline - monotonic_ms();
        if (!wait_readable(w->conn.fd, wait)) return deadline < 0 ? 0 : -408;
        ssize_t got = net_read(w->conn.fd, w->in + w->in_len, w->in_cap - w->in_len);
        if (got <= 0) return 0;
        w->in_len += (size_t)got;
    }
}

/* Hands a request to the handler, then to the web root, then says 405. */
static enum httpd_result dispatch(struct worker *w, const struct http_request *req) {
    const struct httpd_config *cfg = &server.cfg;
    if (cfg->handler != NULL) {
        enum httpd_result r = cfg->handler(&w->conn, req, cfg->arg);
        if (r != HTTPD_PASS) return r;
    }
    int sent;
    if (req->method == HTTP_GET || req->method == HTTP_HEAD)
        sent = static_serve(w->conn.fd, w->conn.root, req, req->keep_alive);
    else
        sent = send_405(&w->conn, "GET, HEAD", req->keep_alive);
    return sent == 0 ? HTTPD_DONE : HTTPD_CLOSE;
}

static void serve_connection(struct worker *w) {
    for (bool first = true; !httpd_stopping(); first = false) {
        struct http_parser parser;
        struct http_request req;
        http_parser_init(&parser, server.cfg.max_body);
        int n = read_request(w, &parser, &req, first);
        if (n == 0) return;
        if (n < 0) {
            send_error(&w->conn, -n);
            return;
        }
        w->conn.request = w->in;
        w->conn.request_len = (size_t)n;
        w->conn.extra = w->in + n;
        w->conn.extra_len = w->in_len - (size_t)n;
        if (dispatch(w, &req) != HTTPD_DONE || !req.keep_alive) return;
        /* Pipelining: the bytes after this request start the next one. */
        memmove(w->in, w->in + n, w->in_len - (size_t)n);
        w->in_len -= (size_t)n;
    }
}

/* Ends our side of a connection without losing the last response. Closing a
 * socket that still has unread bytes from the client makes the kernel send a
 * reset, and a reset can destroy our response before the client has read it.
 * So first send our FIN (the client sees end of stream after the response),
 * then read and drop what the client still sends, for a moment at most,
 * until it closes too (RFC 9112 §9.6). */
static void linger(int fd) {
    shutdown(fd, SHUT_WR);
    long long deadline = monotonic_ms() + LINGER_MS;
    char sink[16384];
    /* Bounded twice: by time, and by bytes (enough to swallow the rest of a
     * 16 MiB message that was refused while it was still arriving). */
    for (size_t drained = 0; drained < LINGER_BYTES;) {
        long long left = deadline - monotonic_ms();
        if (left <= 0 || !wait_readable(fd, left)) break;
        ssize_t n = net_read(fd, sink, sizeof sink);
        if (n <= 0) break;
        drained += (size_t)n;
    }
}

static void release_slot(int slot) {
    pthread_mutex_lock(&server.lock);
    server.fds[slot] = -1;
    server.live--;
    pthread_cond_signal(&server.ended);
    pthread_mutex_unlock(&server.lock);
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    int one = 1;
    /* Responses go out as a head and a body in separate writes; without
     * TCP_NODELAY, Nagle's algorithm holds the second one back until the
     * first is acknowledged, which the client may delay by up to 40 ms. */
    setsockopt(w->conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve_connection(w);
    linger(w->conn.fd);
    /* Release the slot before closing: a stopping server shuts down the fds
     * in the slots, and must not touch one that is closed (its number may
     * already belong to a new file). */
    release_slot(w->slot);
    close(w->conn.fd);
    free(w->in);
    free(w);
    return NULL;
}

/* ---- accepting ----------------------------------------------------------- */

static void describe_peer(int fd, char *out, size_t cap) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    char ip[INET_ADDRSTRLEN] = "?";
    int port = 0;
    if (getpeername(fd, (struct sockaddr *)&addr, &len) == 0 && addr.sin_family == AF_INET) {
        inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
        port = ntohs(addr.sin_port);
    }
    snprintf(out, cap, "%s:%d", ip, port);
}

/* Takes a free slot for fd. Returns its index, or -1 if max_conns are live. */
static int take_slot(int fd) {
    int slot = -1;
    pthread_mutex_lock(&server.lock);
    for (int i = 0; i < server.cfg.max_conns && slot < 0; i++)
        if (server.fds[i] < 0) slot = i;
    if (slot >= 0) {
        server.fds[slot] = fd;
        server.live++;
    }
    pthread_mutex_unlock(&server.lock);
    return slot;
}

static struct worker *new_worker(int fd, int slot) {
    struct worker *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->in_cap = HTTP_MAX_HEAD + server.cfg.max_body;
    w->in = malloc(w->in_cap);
    if (w->in == NULL) {
        free(w);
        return NULL;
    }
    describe_peer(fd, w->peer, sizeof w->peer);
    w->conn = (struct httpd_conn){.fd = fd, .peer = w->peer, .root = server.cfg.root};
    w->slot = slot;
    w->accepted_ms = monotonic_ms();
    return w;
}

/* Starts a thread for the connection on fd, or answers 503 and closes it. */
static void start_worker(int fd) {
    int slot = take_slot(fd);
    struct httpd_conn c = {.fd = fd};
    if (slot < 0) {
        send_error(&c, 503);
        close(fd);
        return;
    }
    struct worker *w = new_worker(fd, slot);
    int err = ENOMEM;
    if (w != NULL) {
        /* Workers block SIGINT and SIGTERM (a new thread inherits the mask in
         * force at pthread_create), so that the signals reach the main
         * thread and wake its poll(). */
        sigset_t stop_signals, old_mask;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_attr_t attr;
        pthread_t thread;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
        err = pthread_create(&thread, &attr, worker_main, w);
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        pthread_attr_destroy(&attr);
    }
    if (err != 0) {
        fprintf(stderr, "httpd: cannot serve a connection: %s\n", strerror(err));
        send_error(&c, 503);
        release_slot(slot);
        close(fd);
        if (w != NULL) free(w->in);
        free(w);
    }
}

/* Accepts until a stop is asked (returns 0) or accepting fails (-1). */
static int accept_loop(int listen_fd) {
    struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
    while (!httpd_stopping()) {
        /* poll() with a timeout rather than a bare accept(): a signal that
         * lands between the check above and a blocking accept() would leave
         * us asleep until the next client. */
        if (poll(&pfd, 1, 500) <= 0) continue;
        int fd = net_accept(listen_fd);
        if (fd >= 0) {
            start_worker(fd);
        } else if (errno == EMFILE || errno == ENFILE) {
            poll(NULL, 0, 100); /* out of fds: let some connections end */
        } else if (errno != EINTR) {
            fprintf(stderr, "httpd: net_accept: %s\n",
                    errno == ENOSYS ? "not implemented yet (TODO in net.c)" : strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* ---- start and stop ------------------------------------------------------ */

static void catch_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocked poll() must fail with EINTR, not resume. */
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Writing to a connection the client closed fails with EPIPE instead of
     * killing the process. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static int setup(const struct httpd_config *cfg) {
    server.cfg = *cfg;
    struct httpd_config *c = &server.cfg;
    if (c->host == NULL) c->host = "127.0.0.1";
    if (c->root == NULL) c->root = cli_default_root();
    if (c->request_timeout_ms <= 0) c->request_timeout_ms = 10000;
    if (c->max_body == 0) c->max_body = 65536;
    if (c->max_conns <= 0) c->max_conns = 512;

    server.fds = malloc((size_t)c->max_conns * sizeof *server.fds);
    if (server.fds == NULL) return -1;
    for (int i = 0; i < c->max_conns; i++) server.fds[i] = -1;
    server.live = 0;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&server.ended, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&server.lock, NULL);
    return 0;
}

/* Shuts down every live connection and waits (a bounded time) for their
 * threads. Returns how many are still running. */
/* Shuts the live connections down in `how` and waits up to ms for their
 * threads to end. Returns how many are still running. Call with the lock. */
static int shut_and_wait(int how, int ms) {
    for (int i = 0; i < server.cfg.max_conns; i++)
        if (server.fds[i] >= 0) shutdown(server.fds[i], how);
    long long end = monotonic_ms() + ms;
    struct timespec deadline = {.tv_sec = end / 1000, .tv_nsec = (end % 1000) * 1000000};
    while (server.live > 0)
        if (pthread_cond_timedwait(&server.ended, &server.lock, &deadline) == ETIMEDOUT) break;
    return server.live;
}

/* Ends the live connections in two steps. First only their reading side:
 * a thread blocked in read() or poll() wakes with end-of-stream, and can
 * still write its goodbye (an HTTP answer, a WebSocket close 1001). Then,
 * for threads still stuck writing to a client that does not read, both. */
static int end_connections(void) {
    pthread_mutex_lock(&server.lock);
    int left = shut_and_wait(SHUT_RD, STOP_GRACE_MS);
    if (left > 0) left = shut_and_wait(SHUT_RDWR, STOP_GRACE_MS / 2);
    pthread_mutex_unlock(&server.lock);
    return left;
}

int httpd_run(const struct httpd_config *cfg) {
    atomic_store(&stop_requested, 0);
    if (setup(cfg) < 0) {
        fprintf(stderr, "httpd: out of memory\n");
        return -1;
    }
    catch_signals();
    int port = server.cfg.port, status = -1;
    int listen_fd = net_listen(server.cfg.host, port, &port);
    if (listen_fd >= 0) {
        cli_announce(server.cfg.host, port);
        status = accept_loop(listen_fd);
        close(listen_fd);
    } else if (errno == ENOSYS) {
        fprintf(stderr, "httpd: net_listen: not implemented yet (TODO in net.c)\n");
    } else {
        fprintf(stderr, "httpd: cannot listen on %s:%d: %s\n", server.cfg.host, server.cfg.port,
                strerror(errno));
    }
    if (server.cfg.on_stop) server.cfg.on_stop(server.cfg.arg);
    int left = end_connections();
    if (left > 0) {
        /* A handler ignores httpd_stopping(). Returning would let the caller
         * free what that handler still uses, so end the process here. */
        fprintf(stderr, "httpd: %d connection(s) did not end in time; exiting\n", left);
        exit(status == 0 ? 0 : 1);
    }
    pthread_mutex_destroy(&server.lock);
    pthread_cond_destroy(&server.ended);
    free(server.fds);
    server.fds = NULL;
    return status;
}
