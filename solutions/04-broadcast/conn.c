/*
 * conn — a non-blocking, buffered connection over the loop (see conn.h).
 *
 * A connection lives through four states:
 *
 *   OPEN ──conn_close──► CLOSING ──queue written: shutdown(SHUT_WR)──► DRAINING
 *    │                      │                                           │
 *    │ EOF, error,          │ error, linger_ms over                     │ EOF, error,
 *    │ conn_abort           │                                           │ linger_ms over
 *    └──────────────────────┴───────────────► DONE ◄────────────────────┘
 *                            fd closed, queue freed; a task calls on_close and frees the conn
 *
 * The outbound queue is a list of segments, each holding one reference to
 * an rcbuf and how much of it has been written:
 *
 *   head ─► [broadcast frame, shared, off 1200] ─► [4 KiB of small copies] ◄─ tail
 *
 * conn_send() copies into the tail's buffer when only this queue holds it
 * (refs == 1) and it has room, so that many small sends fill one buffer; a
 * shared buffer is queued as it is, without a copy. A buffer is freed (or
 * loses this queue's reference) as soon as its last byte is written, so an
 * idle connection holds nothing but its struct.
 *
 * The flush runs as a deferred task, queued when bytes are queued: however
 * many sends an iteration makes, they leave together, in one writev() of up
 * to CONN_IOV_MAX segments (more writev()s only while the socket takes
 * everything). Only if the socket is full does the connection ask for
 * LOOP_WRITE, and it drops that interest once the queue is empty: asking
 * for it with nothing to write would wake the loop at once, every time.
 *
 * Every way to DONE goes through end(), which queues the one task that
 * calls on_close. No conn_* function ever calls on_close itself, so an
 * owner walking a list of connections may end any of them and go on.
 *
 * Lab 4, task 2. Read: TUTORIAL §4.5–§4.6; man 2 writev, man 2 shutdown,
 * man 7 tcp.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define COPY_BUF_SIZE 4096 /* the smallest buffer conn_send() allocates */
#define PEER_MAX      56   /* "[IPv6 address]:port" and its NUL */

enum conn_state { CONN_OPEN, CONN_CLOSING, CONN_DRAINING, CONN_DONE };

struct segment {
    struct segment *next;
    struct rcbuf *buf; /* one reference */
    size_t off;        /* bytes of buf already written */
};

struct conn {
    struct loop *loop;
    int fd; /* -1 once closed */
    enum conn_state state;
    const struct conn_callbacks *cb;
    void *arg;
    struct segment *head, *tail; /* the outbound queue */
    size_t queued;               /* its bytes not yet written */
    size_t high_water;
    int linger_ms;
    bool reading;             /* the owner wants input (conn_set_reading) */
    bool blocked;             /* the socket was full: waiting for LOOP_WRITE */
    bool over;                /* a send was refused at the mark */
    struct loop_task task;    /* the flush; in DONE, the call to on_close */
    struct loop_timer linger; /* from conn_close: the limit of closing */
    struct conn_stats stats;
    char peer[PEER_MAX];
};

/* Input, for every connection: bytes are handed to on_data as soon as they
 * are read, so one buffer serves them all (the loop runs on one thread). */
static unsigned char input[CONN_READ_CHUNK];

/* ---- reference-counted buffers ------------------------------------------------- */

struct rcbuf *rcbuf_new(size_t cap) {
    if (cap > SIZE_MAX - sizeof(struct rcbuf)) return NULL;
    struct rcbuf *b = malloc(sizeof *b + cap);
    if (b == NULL) return NULL;
    b->refs = 1;
    b->len = 0;
    b->cap = cap;
    return b;
}

struct rcbuf *rcbuf_ref(struct rcbuf *b) {
    b->refs++;
    return b;
}

void rcbuf_unref(struct rcbuf *b) {
    if (b != NULL && --b->refs == 0) free(b);
}

/* ---- the end ------------------------------------------------------------------ */

static void drop_head(struct conn *c) {
    struct segment *s = c->head;
    c->head = s->next;
    if (c->head == NULL) c->tail = NULL;
    rcbuf_unref(s->buf);
    free(s);
}

/* The last task: on_close, then the connection is freed. */
static void finish(struct loop *loop, struct loop_task *task, void *arg) {
    (void)loop;
    (void)task;
    struct conn *c = arg;
    if (c->cb->on_close != NULL) c->cb->on_close(c, c->arg);
    free(c);
}

/* The connection is over: the socket is closed now (unwatched first, as
 * the loop asks), what was queued is dropped, and on_close is queued. */
static void end(struct conn *c) {
    if (c->state == CONN_DONE) return;
    c->state = CONN_DONE;
    loop_timer_stop(c->loop, &c->linger);
    loop_unwatch(c->loop, c->fd);
    close(c->fd);
    c->fd = -1;
    while (c->head != NULL) drop_head(c);
    c->queued = 0;
    loop_cancel(c->loop, &c->task); /* a flush, if one was queued */
    loop_defer(c->loop, &c->task, finish, c);
}

static void linger_over(struct loop *loop, struct loop_timer *timer, void *arg) {
    (void)loop;
    (void)timer;
    end(arg);
}

/* Asks the loop for what the state calls for: input while open and
 * reading, or while draining; LOOP_WRITE while the socket is full. */
static void update_interest(struct conn *c) {
    unsigned want = c->blocked ? LOOP_WRITE : 0;
    if ((c->state == CONN_OPEN && c->reading) || c->state == CONN_DRAINING) want |= LOOP_READ;
    if (loop_interest(c->loop, c->fd) != want && loop_set_interest(c->loop, c->fd, want) < 0)
        end(c);
}

/* ---- writing --------------------------------------------------------------------- */

/* Forgets the first n bytes of the queue, which the socket has taken. */
static void written(struct conn *c, size_t n) {
    c->queued -= n;
    while (n > 0) {
        struct segment *s = c->head;
        size_t left = s->buf->len - s->off;
        if (n < left) {
            s->off += n;
            return;
        }
        n -= left;
        drop_head(c);
    }
}

/* Writes as much of the queue as the socket takes; then, if the queue was
 * emptied, a closing connection half-closes and an open one tells the
 * owner (on_drain, last: it may send or close). */
static void flush(struct conn *c) {
    bool had_bytes = c->head != NULL;
    while (c->head != NULL) {
        struct iovec iov[CONN_IOV_MAX];
        int count = 0;
        size_t want = 0;
        for (struct segment *s = c->head; s != NULL && count < CONN_IOV_MAX; s = s->next) {
            iov[count].iov_base = s->buf->data + s->off;
            iov[count].iov_len = s->buf->len - s->off;
            want += iov[count++].iov_len;
        }
        ssize_t n = writev(c->fd, iov, count);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) { /* EPIPE, ECONNRESET: nobody is there to read it */
            end(c);
            return;
        }
        c->stats.writes++;
        c->stats.bytes_out += (uint64_t)n;
        written(c, (size_t)n);
        if ((size_t)n < want) break; /* the socket is full */
    }
    c->blocked = c->head != NULL;
    if (!c->blocked && c->state == CONN_CLOSING) {
        /* Our FIN follows the last byte; the peer's answer is awaited. */
        if (shutdown(c->fd, SHUT_WR) < 0) {
            end(c);
            return;
        }
        c->state = CONN_DRAINING;
    }
    update_interest(c);
    if (had_bytes && !c->blocked && c->state == CONN_OPEN && c->cb->on_drain != NULL)
        c->cb->on_drain(c, c->arg);
}

static void flush_task(struct loop *loop, struct loop_task *task, void *arg) {
    (void)loop;
    (void)task;
    flush(arg);
}

/* Bytes were queued: they leave before the loop next waits, unless the
 * socket is full, and then LOOP_WRITE will bring the flush. */
static void want_flush(struct conn *c) {
    if (!c->blocked) loop_defer(c->loop, &c->task, flush_task, c);
}

/* Appends a segment holding b (whose reference it takes over). */
static int push(struct conn *c, struct rcbuf *b) {
    struct segment *s = malloc(sizeof *s);
    if (s == NULL) return -1;
    *s = (struct segment){.next = NULL, .buf = b, .off = 0};
    if (c->tail != NULL)
        c->tail->next = s;
    else
        c->head = s;
    c->tail = s;
    return 0;
}

/* Queues a copy of data[0..len): what fits into the tail's buffer, if that
 * is this queue's alone, and the rest into a new buffer. All or nothing. */
static int queue_copy(struct conn *c, const unsigned char *data, size_t len) {
    struct rcbuf *tail = c->tail != NULL && c->tail->buf->refs == 1 ? c->tail->buf : NULL;
    size_t room = tail != NULL ? tail->cap - tail->len : 0;
    size_t first = len < room ? len : room;
    size_t rest = len - first;
    if (rest > 0) {
        struct rcbuf *b = rcbuf_new(rest > COPY_BUF_SIZE ? rest : COPY_BUF_SIZE);
        if (b == NULL || push(c, b) < 0) {
            rcbuf_unref(b);
            return -1;
        }
        memcpy(b->data, data + first, rest);
        b->len = rest;
    }
    if (first > 0) {
        memcpy(tail->data + tail->len, data, first);
        tail->len += first;
    }
    c->queued += len;
    want_flush(c);
    return 0;
}

/* Must a send be refused? Once closing, yes; and while the queue holds
 * high_water bytes or more, which conn_over() remembers. The mark is checked
 * before the bytes are added, so that a message larger than the mark can
 * still go to a client that keeps up. */
static bool refuse(struct conn *c) {
    if (c->state != CONN_OPEN) return true;
    if (c->queued < c->high_water) return false;
    c->over = true;
    return true;
}

int conn_send(struct conn *c, const void *data, size_t len) {
    if (refuse(c)) return -1;
    return len > 0 ? queue_copy(c, data, len) : 0;
}

int conn_send_shared(struct conn *c, struct rcbuf *b) {
    if (refuse(c)) return -1;
    if (b->len == 0) return 0;
    if (push(c, rcbuf_ref(b)) < 0) {
        rcbuf_unref(b);
        return -1;
    }
    c->queued += b->len;
    want_flush(c);
    return 0;
}

/* ---- reading --------------------------------------------------------------------- */

/* One read() into the shared buffer. Returns how many bytes came, or 0:
 * none yet, or the connection has ended (EOF, or an error such as
 * ECONNRESET). */
static size_t read_input(struct conn *c) {
    ssize_t n = read(c->fd, input, sizeof input);
    if (n > 0) {
        c->stats.reads++;
        c->stats.bytes_in += (uint64_t)n;
        return (size_t)n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    if (n == 0 && c->state == CONN_OPEN && c->head != NULL) {
        /* The peer has finished sending but may still be reading (a client
         * that half-closes after its request): what we owe it leaves first. */
        conn_close(c, NULL, 0);
        return 0;
    }
    end(c);
    return 0;
}

/* The socket is ready. One read per readiness, however much is waiting:
 * the loop then serves the others, and comes back while bytes remain. */
static void on_ready(struct loop *loop, int fd, unsigned events, void *arg) {
    (void)loop;
    (void)fd;
    struct conn *c = arg;
    if (events & LOOP_WRITE) flush(c);
    if (!(events & LOOP_READ)) return;
    if (c->state == CONN_OPEN && c->reading) {
        size_t n = read_input(c);
        if (n > 0) c->cb->on_data(c, input, n, c->arg);
    } else if (c->state == CONN_DRAINING) {
        read_input(c); /* discarded: only the peer's EOF matters now */
    }
}

/* ---- the connection ---------------------------------------------------------------- */

/* "IP:PORT" for an Internet socket, else "local" (a socketpair, say). */
static void describe_peer(struct conn *c, const struct sockaddr_storage *sa) {
    char ip[INET6_ADDRSTRLEN];
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(c->peer, sizeof c->peer, "local");
    }
}

struct conn *conn_new(struct loop *loop, int fd, const struct conn_config *cfg,
                      const struct conn_callbacks *cb, void *arg) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return NULL;
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->loop = loop;
    c->fd = fd;
    c->state = CONN_OPEN;
    c->cb = cb;
    c->arg = arg;
    c->reading = true;
    c->high_water = cfg != NULL && cfg->high_water > 0 ? cfg->high_water : CONN_DEFAULT_HIGH_WATER;
    c->linger_ms = cfg != NULL && cfg->linger_ms > 0 ? cfg->linger_ms : CONN_DEFAULT_LINGER_MS;

    struct sockaddr_storage sa = {0};
    socklen_t sa_len = sizeof sa;
    if (getpeername(fd, (struct sockaddr *)&sa, &sa_len) < 0) sa.ss_family = AF_UNSPEC;
    describe_peer(c, &sa);
    if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6) {
        /* We gather small writes ourselves (one writev per iteration), so
         * Nagle's algorithm would only hold them back, waiting for ACKs. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    if (loop_watch(loop, fd, LOOP_READ, on_ready, c) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

size_t conn_queued(const struct conn *c) {
    return c->queued;
}

bool conn_over(const struct conn *c) {
    return c->over;
}

void conn_set_reading(struct conn *c, bool reading) {
    c->reading = reading;
    if (c->state == CONN_OPEN) update_interest(c);
}

void conn_close(struct conn *c, const void *last, size_t len) {
    if (c->state != CONN_OPEN) return;
    if (len > 0) queue_copy(c, last, len); /* out of memory: no goodbye, still a close */
    c->state = CONN_CLOSING;
    if (loop_timer_start(c->loop, &c->linger, (uint64_t)c->linger_ms, 0, linger_over, c) < 0) {
        end(c);
        return;
    }
    want_flush(c); /* even with nothing queued: the flush half-closes */
    update_interest(c);
}

void conn_abort(struct conn *c) {
    end(c);
}

bool conn_closing(const struct conn *c) {
    return c->state != CONN_OPEN;
}

int conn_fd(const struct conn *c) {
    return c->fd;
}

const char *conn_peer(const struct conn *c) {
    return c->peer;
}

struct loop *conn_loop(const struct conn *c) {
    return c->loop;
}

const struct conn_stats *conn_stats(const struct conn *c) {
    return &c->stats;
}

void conn_set_callbacks(struct conn *c, const struct conn_callbacks *cb, void *arg) {
    c->cb = cb;
    c->arg = arg;
}
