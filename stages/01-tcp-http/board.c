/*
 * board — a message board, and three ways to push its messages over plain
 * HTTP (see board.h).
 *
 * The store is a ring of `capacity` slots: message N lives in slot
 * (N - 1) % capacity, so posting never moves anything and the oldest message
 * is overwritten when the ring is full. One mutex guards the ring; one
 * condition variable is broadcast on every post, waking every thread that
 * waits for news — a held long poll or an event stream.
 *
 * The three ways to get news, from the cheapest to write to the cheapest to
 * run:
 *   short poll   GET /messages?since=ID: answer at once; the client asks
 *                again and again, mostly to hear "nothing new";
 *   long poll    GET /messages?since=ID&wait=S: hold the request until there
 *                is news or S seconds pass; one round trip per batch of news;
 *   event stream GET /events: one response that never ends; each message is
 *                written as an event the moment it is posted.
 *
 * Lab 1, task 4. Read: TUTORIAL §1.5; the HTML standard, "Server-sent
 * events"; RFC 8259 §7 (JSON strings); man 3 pthread_cond_timedwait,
 * pthread_condattr_setclock.
 */
#include "board.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

/* The longest a message can grow as JSON: every byte escaped as \u00XX,
 * plus the id, the time and the punctuation around them. */
#define JSON_MESSAGE_MAX (BOARD_MAX_TEXT * 6 + 96)

struct message {
    long long id;
    long long time_ms;
    char *text; /* malloc'd copy of the text (no NUL), or NULL if unused */
    size_t len;
};

struct board {
    pthread_mutex_t lock;   /* guards everything below */
    pthread_cond_t changed; /* broadcast on every post; waits use CLOCK_MONOTONIC */
    struct message *ring;   /* capacity slots: id N lives in slot (N - 1) % capacity */
    size_t capacity;
    long long last_id; /* the newest id, 0 before the first post */
    bool closed;       /* the server is stopping: no more waiting */
    int heartbeat_ms;
};

struct board *board_new(size_t capacity, int heartbeat_ms) {
    /* TODO(handout step 4.1): allocate the board and a ring of `capacity`
     * messages (NULL if capacity is 0 or memory runs out); initialise the
     * mutex, and the condition variable with a pthread_condattr_t set to
     * CLOCK_MONOTONIC (pthread_condattr_setclock), so that timed waits ignore
     * changes to the wall clock. Until then: an empty board, enough for the
     * server to run during tasks 1–3. man 3 pthread_cond_init. */
    (void)capacity;
    (void)heartbeat_ms;
    return calloc(1, sizeof(struct board));
}

void board_free(struct board *b) {
    /* TODO(handout step 4.1): free every message's text and the ring, destroy
     * the mutex and the condition variable. b may be NULL. */
    free(b);
}

/* ---- the store ------------------------------------------------------------ */

long long board_post(struct board *b, const char *text, size_t len) {
    /* TODO(handout step 4.1): refuse len 0 or over BOARD_MAX_TEXT (-1). Copy
     * the text (malloc), then with the lock held: take the next id, put the
     * message in its slot (free the one it replaces — after unlocking), stamp
     * it with clock_gettime(CLOCK_REALTIME) in ms, and wake every waiter
     * (pthread_cond_broadcast). man 3 pthread_mutex_lock. */
    (void)b;
    (void)text;
    (void)len;
    return -1;
}

long long board_last_id(struct board *b) {
    /* TODO(handout step 4.1): b->last_id, read with the lock held. */
    (void)b;
    return 0;
}

size_t board_since(struct board *b, long long since, size_t max, board_visit_fn visit, void *arg) {
    /* TODO(handout step 4.1): with the lock held, call visit() for ids
     * since+1 .. last_id, oldest first, at most max of them — but not for ids
     * the ring has already overwritten (older than last_id - capacity + 1).
     * Return how many were visited. */
    (void)b;
    (void)since;
    (void)max;
    (void)visit;
    (void)arg;
    return 0;
}

bool board_wait(struct board *b, long long since, int timeout_ms) {
    /* TODO(handout step 4.2): with the lock held, loop while nothing is newer
     * than since and the board is not closed: pthread_cond_timedwait() until
     * the deadline (CLOCK_MONOTONIC, the clock b->changed was made with; a
     * loop, because a wait may end without a post). Return whether a newer
     * message exists. man 3 pthread_cond_timedwait. */
    (void)b;
    (void)since;
    (void)timeout_ms;
    return false;
}

void board_close(struct board *b) {
    /* TODO(handout step 4.2): with the lock held, mark the board closed and
     * wake every waiter (board_main.c calls this when the server stops). */
    (void)b;
}

/* ---- the routes ----------------------------------------------------------- */

enum httpd_result board_handle(struct httpd_conn *c, const struct http_request *req, void *arg) {
    /* TODO(handout step 4.3): route on the target's path (up to any "?") and
     * the method. POST /messages: the body is the text; empty → 400, over
     * BOARD_MAX_TEXT → 413, else board_post() and 201 application/json
     * {"id":N}. */
    /* TODO(handout step 4.4): GET /messages?since=ID: up to BOARD_MAX_BATCH
     * messages newer than ID (board_since) as 200 application/json
     * {"messages":[{"id":N,"time":T,"text":"..."},...]}, the text escaped
     * for JSON with buf_json_escape() (buf.h; RFC 8259 §7). since and wait:
     * digits only, else 400. */
    /* TODO(handout step 4.5): long poll: with &wait=S (at most BOARD_MAX_WAIT),
     * board_wait() before answering, then answer as in step 4.4. */
    /* TODO(handout step 4.6): GET /events: the event-stream head (no
     * Content-Length, Connection: close), "retry: 1000\n\n", then loop:
     * send "id: N\ndata: JSON\n\n" for each new message, or after
     * heartbeat_ms idle ": heartbeat\n\n"; stop when a write fails or
     * httpd_stopping(). Resume after Last-Event-ID or ?since=. HTML standard,
     * "Server-sent events". */
    /* TODO(handout step 4.7): another method on /messages → 405 with "Allow:
     * GET, POST", on /events → 405 with "Allow: GET"; any other path →
     * HTTPD_PASS (httpd serves it from the web root). RFC 9110 §15.5.6. */
    (void)c;
    (void)req;
    (void)arg;
    return HTTPD_PASS;
}
