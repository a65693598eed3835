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

/* ---- reference-counted buffers ------------------------------------------------- */

struct rcbuf *rcbuf_new(size_t cap) {
    /* TODO(handout step 2.1): one malloc for the struct and its cap data
     * bytes (a flexible array member: sizeof(struct rcbuf) + cap — check
     * that the sum does not overflow), refs 1, len 0. NULL if out of memory.
     * TUTORIAL §4.5. */
    (void)cap;
    return NULL;
}

struct rcbuf *rcbuf_ref(struct rcbuf *b) {
    /* TODO(handout step 2.1): one more holder. */
    return b;
}

void rcbuf_unref(struct rcbuf *b) {
    /* TODO(handout step 2.1): one holder fewer; the last one frees it.
     * Harmless on NULL. */
    (void)b;
}

/* ---- writing --------------------------------------------------------------------- */

int conn_send(struct conn *c, const void *data, size_t len) {
    /* TODO(handout step 2.3): the outbound queue is a list of segments
     * (c->head ... c->tail), each holding one reference to an rcbuf and how
     * much of it is written (off). Copy data into the tail's buffer if only
     * this queue holds it (refs == 1) and as far as it has room; the rest
     * into a new rcbuf of at least COPY_BUF_SIZE bytes, in a new segment.
     * All or nothing: allocate before copying, -1 if that fails. Count the
     * bytes in c->queued. Then ask for a flush, unless the socket is full
     * (c->blocked: LOOP_WRITE will bring it): loop_defer() c->task with a
     * function of yours that writes the queue.
     *
     * The flush: writev() up to CONN_IOV_MAX segments at once (each from
     * buf->data + off to buf->len); free each segment, and drop its
     * reference, as soon as its last byte is written, so an idle connection
     * holds nothing; count stats.writes and stats.bytes_out. Go on while
     * the socket takes everything; EINTR: again; EAGAIN: the socket is
     * full; another error (EPIPE, ECONNRESET): the connection is over (step
     * 2.2's end). Afterwards, if bytes remain: c->blocked, and LOOP_WRITE
     * in the fd's interest (on_ready then flushes); if the queue is empty:
     * not blocked, no LOOP_WRITE (asking for it with nothing to write wakes
     * the loop at once, every time), and if it held bytes when the flush
     * began, on_drain — last, since the owner may send or close from it.
     * man 2 writev. TUTORIAL §4.5.
     *
     * TODO(handout step 2.4): the high-water mark, checked first. Refuse
     * (-1, nothing queued) once closing, and while c->queued >=
     * c->high_water: then set c->over too. Checked before the bytes are
     * added, so one message larger than the mark still goes to a client
     * that keeps up. TUTORIAL §4.6. */
    (void)c;
    (void)data;
    (void)len;
    return -1;
}

int conn_send_shared(struct conn *c, struct rcbuf *b) {
    /* TODO(handout step 2.3): as conn_send, refusals included (step 2.4),
     * but no copy: a new segment holding one more reference to b
     * (rcbuf_ref); nothing to do if b is empty. */
    (void)c;
    (void)b;
    return -1;
}

/* ---- the connection ---------------------------------------------------------------- */

struct conn *conn_new(struct loop *loop, int fd, const struct conn_config *cfg,
                      const struct conn_callbacks *cb, void *arg) {
    /* TODO(handout step 2.2): make fd non-blocking (fcntl: F_GETFL, then
     * F_SETFL with O_NONBLOCK added); calloc the conn: state CONN_OPEN,
     * reading, the config's high_water and linger_ms or their defaults (cfg
     * may be NULL). Name the peer with getpeername(): "IP:PORT" (inet_ntop;
     * "[IP]:PORT" for IPv6) or "local" for anything else, a socketpair say.
     * On a TCP socket (AF_INET, AF_INET6) set TCP_NODELAY: we gather small
     * writes ourselves, so Nagle's algorithm would only hold them back. Then
     * loop_watch() fd for LOOP_READ with a callback of yours (on_ready). On
     * failure free the conn and return NULL, leaving fd open.
     *
     * on_ready, reading: ONE read() per readiness (so that a busy client
     * cannot starve the others; the loop calls again while bytes remain) of
     * at most CONN_READ_CHUNK bytes, into ONE static buffer of that size
     * shared by every connection (on_data uses the bytes before anything
     * else is read: no connection needs a buffer of its own); count
     * stats.reads and stats.bytes_in and call on_data. Only while the state
     * is CONN_OPEN and c->reading. EAGAIN or EINTR: nothing this time. EOF
     * (0) with bytes still queued: the peer has only finished sending (it
     * may half-close after its request), so conn_close(c, NULL, 0) lets
     * them leave first (step 2.5). Otherwise EOF or an error: the
     * connection is over.
     *
     * Over: write the helper every ending goes through, end(c): state
     * CONN_DONE; stop the linger timer; loop_unwatch() THEN close() the fd,
     * c->fd = -1; free the queue; cancel c->task (a flush may be queued) and
     * loop_defer() it again with a function that calls on_close (if set) and
     * then frees the conn. Never call on_close from end() itself: end() runs
     * inside conn_* calls and on_data, and an owner walking a room's members
     * must be able to drop one without it vanishing under its feet.
     * TUTORIAL §4.5; man 2 read, man 7 tcp. */
    (void)loop;
    (void)fd;
    (void)cfg;
    (void)cb;
    (void)arg;
    return NULL;
}

size_t conn_queued(const struct conn *c) {
    return c->queued;
}

bool conn_over(const struct conn *c) {
    return c->over;
}

void conn_set_reading(struct conn *c, bool reading) {
    /* TODO(handout step 2.2): remember it; while open, set the fd's
     * interest: LOOP_READ if reading, plus LOOP_WRITE if blocked (step 2.3).
     * One helper that computes the interest from the state serves every
     * step. */
    (void)c;
    (void)reading;
}

void conn_close(struct conn *c, const void *last, size_t len) {
    /* TODO(handout step 2.5): only while CONN_OPEN. Queue last[0..len)
     * whatever the mark (a close frame must get out); state CONN_CLOSING
     * (sends refused, no more reading); start c->linger for linger_ms,
     * whose expiry ends the connection whatever it is doing then; ask for a
     * flush even if nothing is queued. When a flush finds the queue empty
     * in CONN_CLOSING: shutdown(fd, SHUT_WR) — our FIN follows the last
     * byte — and CONN_DRAINING: read (LOOP_READ) and discard until EOF or
     * an error, then end. Why not close() at once: closing a socket with
     * unread input makes the kernel send a reset, which can destroy the
     * last bytes before the peer reads them. man 2 shutdown. TUTORIAL
     * §4.6. */
    (void)c;
    (void)last;
    (void)len;
}

void conn_abort(struct conn *c) {
    /* TODO(handout step 2.2): end(c) (harmless if already ended). */
    (void)c;
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
