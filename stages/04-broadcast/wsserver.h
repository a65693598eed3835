/*
 * wsserver — a single-threaded WebSocket server on the event loop.
 *
 * It puts the earlier labs together on one thread: it accepts connections
 * (non-blocking), reads each request with Lab 1's http_parse(), serves
 * plain GETs from the web root, and answers upgrade requests with Lab 2's
 * handshake_respond(). After a 101 every connection is a `struct client`:
 * its bytes go to Lab 3's ws_feed(), whose messages go to the application
 * (chat.c), and whatever ws or the application sends goes out through the
 * connection's queue (conn.c).
 *
 *   listen fd ─accept─► conn (HTTP phase) ─http_parse─► GET: a file from web/
 *                                 │ Upgrade
 *                       app.on_upgrade? ─ no ─► 404 / 400
 *                                 │ yes: handshake_respond ─► 101
 *                                 ▼
 *                       client: conn ─bytes─► ws_feed ─message─► app.on_message
 *                               conn ◄─frames── ws_send / client_send_frame
 *
 * The policies that keep one client from hurting the others live here:
 *  - a request must arrive whole within request_timeout_ms (else 408);
 *  - back-pressure on a sender: while a client's queue holds more than half
 *    the high-water mark, the server stops reading from it (it resumes when
 *    the queue drains), so a client cannot flood faster than it reads;
 *  - a slow consumer is dropped: once a client's queue has reached the
 *    high-water mark, sends to it are refused, and the client gets a close
 *    1013 "too slow" behind what is queued and is disconnected (conn_close),
 *    without waiting for an answer — the others never wait for it;
 *  - a close the peer does not answer within close_timeout_ms ends the
 *    connection anyway;
 *  - when descriptors run out (EMFILE), accepting pauses for a moment
 *    instead of spinning.
 * Stopping (wsserver_stop): the listener closes, every client gets a close
 * 1001 "server shutting down", and once every connection is over (or
 * close_timeout_ms have passed) the loop is stopped.
 *
 * Given code: read it to see how the loop, conn, ws and the handshake fit
 * together. Labs 5–7 run on it.
 */
#ifndef WSLAB_WSSERVER_H
#define WSLAB_WSSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "handshake.h"
#include "http.h"
#include "loop.h"
#include "ws.h"

struct wsserver;

/* One WebSocket connection, from its 101 to its end. */
struct client {
    struct wsserver *server;
    struct conn *conn;
    struct ws ws;
    uint64_t id; /* 1, 2, 3, ... in the order of their handshakes (a refused one takes none) */
    void *app;   /* the application's, per client (set in on_upgrade) */
    struct loop_timer timer; /* the wait for the answer to our close */
    bool opened;             /* on_open was called */
    bool paused;             /* reading paused until the queue drains (back-pressure) */
    struct client *prev, *next;
};

/* What the application does with clients. Every callback gets app.arg. */
struct wsserver_app {
    /* A request asks to upgrade to req->target. Return 0 to go on with the
     * handshake (the application may set c->app), or an HTTP status to
     * refuse with (404: no such endpoint; 400: a bad parameter), with *why a
     * short reason for the body. A client refused here is freed without
     * further calls; once accepted here, on_close is sure to come, even if
     * the handshake then fails (c->opened is then false), so that it can
     * free what on_upgrade set up. */
    int (*on_upgrade)(void *arg, struct client *c, const struct http_request *req,
                      const char **why);
    /* The 101 has been queued: the client is open. */
    void (*on_open)(void *arg, struct client *c);
    /* A whole message (WS_OP_TEXT with valid UTF-8, or WS_OP_BINARY). */
    void (*on_message)(void *arg, struct client *c, unsigned opcode, const unsigned char *data,
                       size_t len);
    /* The client is gone (for any reason), or its handshake failed after
     * on_upgrade accepted it; c is freed when this returns. */
    void (*on_close)(void *arg, struct client *c);
    void *arg;
};

struct wsserver_config {
    const char *host; /* default "127.0.0.1" */
    int port;         /* 0: any free port */
    const char *root; /* web root; default cli_default_root() */
    struct handshake_config handshake;
    size_t max_message;     /* ws's limit; 0: WS_DEFAULT_MAX_MESSAGE */
    int close_timeout_ms;   /* 0: 5000 */
    int request_timeout_ms; /* 0: 10000 */
    size_t high_water;      /* per connection (conn.h); 0: CONN_DEFAULT_HIGH_WATER */
    struct wsserver_app app;
};

/* Listens, prints "listening on HOST:PORT" and starts accepting on loop.
 * Returns the server, or NULL (with a message on stderr) if it cannot
 * listen. Zero fields of cfg take the defaults above. */
struct wsserver *wsserver_start(struct loop *loop, const struct wsserver_config *cfg);

/* Stops accepting and says goodbye: close 1001 to every client, HTTP
 * connections closed; calls loop_stop() once all are gone or after
 * close_timeout_ms. Safe to call twice. */
void wsserver_stop(struct wsserver *s);

/* Frees the server; any connection still open is aborted (its on_close
 * called). */
void wsserver_free(struct wsserver *s);

/* Connections: WebSocket clients open now; every connection (HTTP ones
 * too). */
size_t wsserver_clients(const struct wsserver *s);
size_t wsserver_connections(const struct wsserver *s);

/* Sends a whole message (WS_OP_TEXT or WS_OP_BINARY) to c, serialized for c
 * alone. Returns 0; -1 if c is not open or was dropped for being too slow. */
int client_send(struct client *c, unsigned opcode, const void *data, size_t len);

/* Queues a frame serialized once for many clients (see hub_frame); the
 * queue takes a reference. Returns 0; -1 as client_send. */
int client_send_frame(struct client *c, struct rcbuf *frame);

/* Starts the closing handshake (code, reason as in ws_close); the client
 * is disconnected when the peer answers or after close_timeout_ms. */
void client_close(struct client *c, uint16_t code, const char *reason);

/* Is the client open for messages (not closing, not dropped)? */
bool client_is_open(const struct client *c);

/* "127.0.0.1:53122" */
const char *client_peer(const struct client *c);

#endif
