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

#include <errno.h>
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
    if (capacity == 0) return NULL;
    struct board *b = calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    b->ring = calloc(capacity, sizeof *b->ring);
    if (b->ring == NULL) {
        free(b);
        return NULL;
    }
    b->capacity = capacity;
    b->heartbeat_ms = heartbeat_ms;
    pthread_mutex_init(&b->lock, NULL);
    /* Timed waits measure against CLOCK_MONOTONIC: the wall clock can jump
     * (NTP, a user setting the time), which would stretch or cut a wait. */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->changed, &attr);
    pthread_condattr_destroy(&attr);
    return b;
}

void board_free(struct board *b) {
    if (b == NULL) return;
    for (size_t i = 0; i < b->capacity; i++) free(b->ring[i].text);
    free(b->ring);
    pthread_cond_destroy(&b->changed);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* ---- the store ------------------------------------------------------------ */

static long long clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long board_post(struct board *b, const char *text, size_t len) {
    if (len == 0 || len > BOARD_MAX_TEXT) return -1;
    char *copy = malloc(len); /* outside the lock: nobody waits for malloc */
    if (copy == NULL) return -1;
    memcpy(copy, text, len);

    pthread_mutex_lock(&b->lock);
    long long id = ++b->last_id;
    struct message *m = &b->ring[(size_t)(id - 1) % b->capacity];
    char *old = m->text; /* the message that falls off, if the ring is full */
    *m = (struct message){.id = id, .time_ms = clock_ms(CLOCK_REALTIME), .text = copy, .len = len};
    pthread_cond_broadcast(&b->changed); /* every waiter, not just one */
    pthread_mutex_unlock(&b->lock);
    free(old);
    return id;
}

long long board_last_id(struct board *b) {
    pthread_mutex_lock(&b->lock);
    long long id = b->last_id;
    pthread_mutex_unlock(&b->lock);
    return id;
}

size_t board_since(struct board *b, long long since, size_t max, board_visit_fn visit, void *arg) {
    pthread_mutex_lock(&b->lock);
    long long capacity = (long long)b->capacity;
    long long oldest = b->last_id > capacity ? b->last_id - capacity + 1 : 1;
    /* id: the last message not to visit. Older ones have been overwritten. */
    long long id = since >= oldest ? since : oldest - 1;
    size_t count = 0;
    for (; id < b->last_id && count < max; count++) {
        id++;
        const struct message *m = &b->ring[(size_t)(id - 1) % b->capacity];
        visit(arg, m->id, m->time_ms, m->text, m->len);
    }
    pthread_mutex_unlock(&b->lock);
    return count;
}

bool board_wait(struct board *b, long long since, int timeout_ms) {
    long long deadline = clock_ms(CLOCK_MONOTONIC) + timeout_ms;
    pthread_mutex_lock(&b->lock);
    /* A loop, not an if: a wait can end without a post (a timeout, or a
     * spurious wakeup), and the condition is what counts. */
    struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    while (b->last_id <= since && !b->closed)
        if (pthread_cond_timedwait(&b->changed, &b->lock, &ts) == ETIMEDOUT) break;
    bool found = b->last_id > since;
    pthread_mutex_unlock(&b->lock);
    return found;
}

void board_close(struct board *b) {
    pthread_mutex_lock(&b->lock);
    b->closed = true;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

/* ---- JSON and events ------------------------------------------------------ */

/* {"id":N,"time":T,"text":"..."} */
static void append_message(struct buf *out, long long id, long long time_ms, const char *text,
                           size_t len) {
    buf_printf(out, "{\"id\":%lld,\"time\":%lld,\"text\":\"", id, time_ms);
    buf_json_escape(out, text, len); /* RFC 8259 §7 */
    buf_puts(out, "\"}");
}

/* What the visitors below fill, with the board locked. */
struct batch {
    struct buf *out;
    size_t count;      /* messages added so far */
    long long last_id; /* the id of the last one */
};

/* A visitor: the message as one more element of a JSON array. */
static void add_to_array(void *arg, long long id, long long time_ms, const char *text, size_t len) {
    struct batch *batch = arg;
    if (batch->count++ > 0) buf_puts(batch->out, ",");
    append_message(batch->out, id, time_ms, text, len);
    batch->last_id = id;
}

/* A visitor: the message as one server-sent event. The JSON has no raw line
 * break in it, so it fits on one "data:" line. */
static void add_event(void *arg, long long id, long long time_ms, const char *text, size_t len) {
    struct batch *batch = arg;
    buf_printf(batch->out, "id: %lld\ndata: ", id);
    append_message(batch->out, id, time_ms, text, len);
    buf_puts(batch->out, "\n\n");
    batch->last_id = id;
}

/* ---- the routes ----------------------------------------------------------- */

/* Parses a whole decimal number, digits only: no sign, no space, no
 * overflow. Returns 0, or -1. */
static int parse_id(const char *s, size_t n, long long *out) {
    if (n == 0) return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (v > (LLONG_MAX - (s[i] - '0')) / 10) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Looks for name=VALUE in a query ("since=3&wait=10"). Returns 1 and the
 * number in *out, 0 if the name is absent, -1 if its value is not a number. */
static int query_number(struct http_str query, const char *name, long long *out) {
    size_t name_len = strlen(name);
    const char *p = query.p, *end = query.p + query.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp != NULL ? amp : end;
        if ((size_t)(pair_end - p) > name_len && memcmp(p, name, name_len) == 0 &&
            p[name_len] == '=') {
            const char *value = p + name_len + 1;
            return parse_id(value, (size_t)(pair_end - value), out) == 0 ? 1 : -1;
        }
        p = pair_end + (amp != NULL);
    }
    return 0;
}

/* Sends a response with body as its content, of the given type. */
static int send_body(struct httpd_conn *c, int status, const char *type, const struct buf *body,
                     bool keep_alive) {
    char storage[256];
    struct buf head;
    buf_init(&head, storage, sizeof storage);
    if (http_response_start(&head, status, type, (long long)body->len, keep_alive) < 0 ||
        http_response_end(&head) < 0)
        return -1;
    if (httpd_send(c, head.data, head.len) < 0) return -1;
    return httpd_send(c, body->data, body->len);
}

static enum httpd_result done(int sent, bool keep_alive) {
    return sent == 0 && keep_alive ? HTTPD_DONE : HTTPD_CLOSE;
}

static enum httpd_result send_error(struct httpd_conn *c, int status, const char *text,
                                    bool keep_alive) {
    return done(httpd_send_text(c, status, text, keep_alive), keep_alive);
}

/* 405 must list the methods the resource has (RFC 9110 §15.5.6). A HEAD
 * request gets the same head and no body (§9.3.2). */
static enum httpd_result send_405(struct httpd_conn *c, const struct http_request *req,
                                  const char *allow) {
    static const char body[] = "method not allowed\n";
    char storage[512];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    int r = http_response_start(&out, 405, "text/plain; charset=utf-8", sizeof body - 1,
                                req->keep_alive);
    r |= buf_printf(&out, "Allow: %s\r\n", allow);
    r |= http_response_end(&out);
    if (req->method != HTTP_HEAD) r |= buf_puts(&out, body);
    return done(r == 0 ? httpd_send(c, out.data, out.len) : -1, req->keep_alive);
}

/* POST /messages: the body is the text. */
static enum httpd_result post_message(struct board *b, struct httpd_conn *c,
                                      const struct http_request *req) {
    /* The parser has read exactly Content-Length bytes of body. */
    if (req->body.len > BOARD_MAX_TEXT)
        return send_error(c, 413, "message over 4096 bytes\n", req->keep_alive);
    long long id = board_post(b, req->body.p, req->body.len);
    if (id < 0) return send_error(c, 400, "empty message\n", req->keep_alive);

    char storage[64];
    struct buf body;
    buf_init(&body, storage, sizeof storage);
    buf_printf(&body, "{\"id\":%lld}", id);
    return done(send_body(c, 201, "application/json", &body, req->keep_alive), req->keep_alive);
}

/* GET /messages?since=ID[&wait=S]: short poll, or long poll with wait. */
static enum httpd_result get_messages(struct board *b, struct httpd_conn *c,
                                      const struct http_request *req, struct http_str query) {
    long long since = 0, wait = 0;
    int has_since = query_number(query, "since", &since);
    int has_wait = query_number(query, "wait", &wait);
    if (has_since < 0 || has_wait < 0)
        return send_error(c, 400, "since and wait must be whole numbers\n", req->keep_alive);
    if (wait > BOARD_MAX_WAIT) wait = BOARD_MAX_WAIT;
    if (wait > 0) board_wait(b, since, (int)wait * 1000); /* returns at once if news */

    struct buf body;
    if (buf_alloc(&body, BOARD_MAX_BATCH * (JSON_MESSAGE_MAX + 1) + 32) < 0)
        return send_error(c, 503, "out of memory\n", false);
    struct batch batch = {.out = &body};
    buf_puts(&body, "{\"messages\":[");
    board_since(b, since, BOARD_MAX_BATCH, add_to_array, &batch);
    buf_puts(&body, "]}");
    int sent = send_body(c, 200, "application/json", &body, req->keep_alive);
    buf_free(&body);
    return done(sent, req->keep_alive);
}

/* Where an event stream starts: after the Last-Event-ID a reconnecting
 * EventSource sends, else after ?since=, else from the oldest message.
 * Returns 0, or -1 if the one given is not a number. */
static int stream_start(const struct http_request *req, struct http_str query, long long *since) {
    const struct http_str *last = http_header(req, "Last-Event-ID");
    *since = 0;
    if (last != NULL) return parse_id(last->p, last->len, since);
    return query_number(query, "since", since) < 0 ? -1 : 0;
}

/* GET /events: one endless response, one event per message. */
static enum httpd_result stream_events(struct board *b, struct httpd_conn *c,
                                       const struct http_request *req, struct http_str query) {
    long long since;
    if (stream_start(req, query, &since) < 0)
        return send_error(c, 400, "Last-Event-ID and since must be whole numbers\n",
                          req->keep_alive);
    struct buf out;
    if (buf_alloc(&out, BOARD_MAX_BATCH * (JSON_MESSAGE_MAX + 32)) < 0)
        return send_error(c, 503, "out of memory\n", false);

    /* No Content-Length: the body ends when the connection does. */
    http_response_start(&out, 200, "text/event-stream", -1, false);
    buf_puts(&out, "Cache-Control: no-cache\r\n");
    http_response_end(&out);
    buf_puts(&out, "retry: 1000\n\n"); /* how long EventSource waits to reconnect */
    int sent = httpd_send(c, out.data, out.len);

    while (sent == 0 && !httpd_stopping()) {
        buf_reset(&out);
        struct batch batch = {.out = &out};
        if (board_since(b, since, BOARD_MAX_BATCH, add_event, &batch) > 0) {
            sent = httpd_send(c, out.data, out.len);
            since = batch.last_id;
        } else if (!board_wait(b, since, b->heartbeat_ms) && !httpd_stopping()) {
            /* A comment line: EventSource ignores it, but writing it tells
             * us whether the client is still there, and keeps proxies from
             * closing an idle connection. */
            sent = httpd_send(c, ": heartbeat\n\n", 13);
        }
    }
    buf_free(&out);
    return HTTPD_CLOSE;
}

enum httpd_result board_handle(struct httpd_conn *c, const struct http_request *req, void *arg) {
    struct board *b = arg;
    /* Split the target into path and query at the first "?". */
    const char *q = memchr(req->target.p, '?', req->target.len);
    size_t path_len = q != NULL ? (size_t)(q - req->target.p) : req->target.len;
    struct http_str query = {q != NULL ? q + 1 : "",
                             q != NULL ? req->target.len - path_len - 1 : 0};

    if (path_len == 9 && memcmp(req->target.p, "/messages", 9) == 0) {
        if (req->method == HTTP_POST) return post_message(b, c, req);
        if (req->method == HTTP_GET) return get_messages(b, c, req, query);
        return send_405(c, req, "GET, POST");
    }
    if (path_len == 7 && memcmp(req->target.p, "/events", 7) == 0) {
        if (req->method == HTTP_GET) return stream_events(b, c, req, query);
        return send_405(c, req, "GET");
    }
    return HTTPD_PASS; /* everything else is a file */
}
