/*
 * conn — a non-blocking, buffered connection over the event loop.
 *
 * Reading: when the socket is readable, conn reads what is there (one
 * read per readiness, so that one busy client cannot starve the others)
 * and hands the bytes to the owner's on_data. It keeps no input buffer of
 * its own: bytes are read into one buffer shared by every connection of the
 * loop and handed on at once, so an idle connection costs only its struct.
 *
 * Writing: conn_send() never blocks and never fails for lack of socket
 * space; the bytes go to an outbound queue of reference-counted buffers,
 * and the queue is flushed once per loop iteration (a deferred task) with
 * writev(), so that everything sent to a connection during an iteration
 * leaves in as few system calls as the socket allows. What the socket does
 * not take waits for LOOP_WRITE. Writing to a peer that has gone raises
 * SIGPIPE, which kills a process by default: a program using conn ignores
 * it (sigwatch_start does), and the write fails with EPIPE instead.
 *
 *   conn_send(bytes) ──copy──┐
 *   conn_send_shared(rcbuf) ─┴─► queue: [rcbuf,off] → [rcbuf] → ... ──writev──► socket
 *                                         │ already high_water bytes queued?
 *                                         └──► refused: the owner drops the client
 *
 * Back-pressure: a client that reads slower than we send makes its queue
 * grow. Once it reaches the high-water mark (default 1 MiB) conn_send refuses, so the
 * owner can drop that one client (WebSocket close 1008 or 1013) instead of
 * letting one slow consumer hold the server's memory hostage.
 *
 * Closing: conn_close() queues the last bytes (a close frame, an error
 * response) even past the mark, stops reading, flushes, half-closes
 * (shutdown SHUT_WR), discards what the peer still sends until it closes
 * too or linger_ms pass, and closes the socket: so the last bytes arrive
 * instead of being destroyed by a reset. The owner hears of the end once,
 * through on_close, always from the loop, never from inside a conn_* call
 * (so a broadcast loop can drop members without tripping over itself).
 *
 * Lab 4, task 2. Read: TUTORIAL §4.5–§4.6; man 2 writev, man 2 shutdown,
 * man 7 socket (SO_LINGER), man 7 tcp.
 */
#ifndef WSLAB_CONN_H
#define WSLAB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define CONN_DEFAULT_HIGH_WATER (1u << 20) /* 1 MiB */
#define CONN_DEFAULT_LINGER_MS  2000
#define CONN_READ_CHUNK         65536 /* bytes read at a time, into the shared buffer */
#define CONN_IOV_MAX            64    /* buffers written by one writev() */

/* ---- reference-counted buffers ---------------------------------------------- */

/* Bytes shared by several queues: a broadcast frame is serialized once and
 * queued on every member's connection; the last one to send it frees it. */
struct rcbuf {
    unsigned refs;
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated in data */
    unsigned char data[];
};

/* A buffer with room for cap bytes, len 0, one reference. NULL if out of
 * memory. */
struct rcbuf *rcbuf_new(size_t cap);

/* Takes one more reference; returns b. */
struct rcbuf *rcbuf_ref(struct rcbuf *b);

/* Drops one reference, freeing b with the last. Harmless on NULL. */
void rcbuf_unref(struct rcbuf *b);

/* ---- connections -------------------------------------------------------------- */

struct conn;

struct conn_callbacks {
    /* Bytes arrived (valid only during the call). The owner may call any
     * conn_* function from here, conn_close included. */
    void (*on_data)(struct conn *c, const unsigned char *data, size_t len, void *arg);
    /* The queue has just become empty (optional): the owner may resume
     * reading, or send more. */
    void (*on_drain)(struct conn *c, void *arg);
    /* The connection is over (the peer closed, an error, or conn_close
     * finished) and its socket is closed: the last call; conn frees itself
     * when it returns. */
    void (*on_close)(struct conn *c, void *arg);
};

struct conn_config {
    size_t high_water; /* bytes queued at most; 0: CONN_DEFAULT_HIGH_WATER */
    int linger_ms;     /* conn_close's wait for the peer; 0: CONN_DEFAULT_LINGER_MS */
};

/* What one connection has done (for tests, benchmarks and pages). */
struct conn_stats {
    uint64_t bytes_in, bytes_out; /* payload bytes read / written */
    uint64_t reads, writes;       /* read() and writev() calls that moved bytes */
};

/* Takes over fd (made non-blocking here), watches it for reading and
 * returns the connection; arg is passed to every callback (cb is kept, not
 * copied; cfg may be NULL: the defaults). On failure returns NULL and
 * leaves fd open (the caller closes it). */
struct conn *conn_new(struct loop *loop, int fd, const struct conn_config *cfg,
                      const struct conn_callbacks *cb, void *arg);

/* Queues a copy of data[0..len) (small pieces are packed together).
 * Returns 0; -1, queuing nothing, if the connection is closing or closed,
 * or if its queue already holds high_water bytes or more (then conn_over()
 * is true from now on). So the queue never holds more than high_water plus
 * one message, and a single message larger than the mark still goes to a
 * client that keeps up. */
int conn_send(struct conn *c, const void *data, size_t len);

/* Queues all of b (one more reference; no copy). Returns 0, or -1 as
 * conn_send does. */
int conn_send_shared(struct conn *c, struct rcbuf *b);

/* Bytes queued and not yet written. */
size_t conn_queued(const struct conn *c);

/* Has a send been refused for the high-water mark? (It stays true.) */
bool conn_over(const struct conn *c);

/* Stops (false) or resumes (true) reading: a paused connection's peer
 * fills its socket buffer and then waits — TCP's own back-pressure. */
void conn_set_reading(struct conn *c, bool reading);

/* (When the peer ends its side of the stream while bytes are still queued
 * for it, conn acts as if conn_close(c, NULL, 0) had been called: a client
 * that half-closes after its request still gets the answer.)
 *
 * Ends the connection gracefully: queues last[0..len) (may be NULL, 0)
 * whatever the mark, stops reading, and once the queue is written
 * half-closes, discards input until the peer closes or linger_ms pass, and
 * closes; then on_close. A connection whose queue cannot be written within
 * linger_ms either is closed anyway. Calling it again does nothing. */
void conn_close(struct conn *c, const void *last, size_t len);

/* Ends the connection now, discarding the queue; then on_close (from the
 * loop). */
void conn_abort(struct conn *c);

/* Is the connection closing (conn_close or conn_abort was called, or the
 * peer has gone)? Sends are refused from then on. */
bool conn_closing(const struct conn *c);

/* The socket (-1 once closed), "127.0.0.1:53122" ("local" if not an
 * Internet socket), the loop, the stats. */
int conn_fd(const struct conn *c);
const char *conn_peer(const struct conn *c);
struct loop *conn_loop(const struct conn *c);
const struct conn_stats *conn_stats(const struct conn *c);

/* Hands the connection to new callbacks (cb is kept, not copied): from
 * the HTTP phase to a WebSocket client, say. */
void conn_set_callbacks(struct conn *c, const struct conn_callbacks *cb, void *arg);

#endif
