/*
 * board — a message board, and the three ways HTTP can push its messages.
 *
 * The store keeps the newest messages (a bounded ring: old ones fall off),
 * numbers them 1, 2, 3, … and lets any number of threads wait for a message
 * newer than the one they have: a mutex guards the store and a condition
 * variable wakes every waiter when a message is posted.
 *
 * Over it, the HTTP routes (board_handle):
 *   POST /messages                  body = the text (1..4096 bytes, else 400 /
 *                                   413) → 201 {"id":N}
 *   GET  /messages?since=ID         short poll: at once, the messages newer
 *                                   than ID (at most BOARD_MAX_BATCH)
 *   GET  /messages?since=ID&wait=S  long poll: the same, but held until there
 *                                   is one or S seconds (at most 30) pass
 *        → 200 {"messages":[{"id":N,"time":MS,"text":"..."},...]}
 *   GET  /events                    Server-Sent Events: "id: N" + "data: JSON"
 *                                   per message, resuming after the
 *                                   Last-Event-ID header (or ?since=ID), with a
 *                                   ": heartbeat" comment when idle
 * time is the server's clock when the message was posted, in milliseconds
 * since 1970 (so a client on the same machine can measure delivery latency).
 *
 * Lab 1, task 4. Read: TUTORIAL §1.5 "Real time over plain HTTP"; the HTML
 * standard's "Server-sent events" section; man 3 pthread_cond_timedwait.
 */
#ifndef WSLAB_BOARD_H
#define WSLAB_BOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "httpd.h"

#define BOARD_MAX_TEXT  4096 /* bytes in one message */
#define BOARD_MAX_BATCH 100  /* messages in one poll response */
#define BOARD_MAX_WAIT  30   /* seconds a long poll may be held */

struct board;

/* A board keeping the newest `capacity` messages, whose event streams send a
 * heartbeat comment after heartbeat_ms without a message. NULL if out of
 * memory. */
struct board *board_new(size_t capacity, int heartbeat_ms);
void board_free(struct board *b);

/* Appends a message (a copy of text[0..len)). Returns its id (1 for the
 * first, then 2, 3, …), or -1 if len is 0 or over BOARD_MAX_TEXT. Wakes every
 * thread waiting in board_wait. */
long long board_post(struct board *b, const char *text, size_t len);

/* The id of the newest message, 0 if none was ever posted. */
long long board_last_id(struct board *b);

/* Called for each message by board_since, with the board locked: copy what
 * you need, do not call back into the board. */
typedef void (*board_visit_fn)(void *arg, long long id, long long time_ms, const char *text,
                               size_t len);

/* Visits, oldest first, the messages with an id greater than `since` that
 * are still stored, at most max of them. Returns how many were visited. */
size_t board_since(struct board *b, long long since, size_t max, board_visit_fn visit, void *arg);

/* Waits until a message newer than `since` exists, at most timeout_ms.
 * Returns true if one exists, false on timeout or once the board is closed. */
bool board_wait(struct board *b, long long since, int timeout_ms);

/* Closes the board when the server stops: wakes every thread in board_wait,
 * and makes later waits return at once. */
void board_close(struct board *b);

/* The httpd handler for the routes above; arg is the struct board. */
enum httpd_result board_handle(struct httpd_conn *c, const struct http_request *req, void *arg);

#endif
