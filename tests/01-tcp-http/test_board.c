/*
 * Lab 1, task 4 — the message board (board.c): the store, then the routes.
 *
 * The store tests call board.c directly, with threads where waiting is the
 * point (board_wait woken by a post from another thread; one post waking
 * every waiter). The route tests talk to the board program over raw sockets
 * and check the API the handout documents: POST /messages, short and long
 * polls, Server-Sent Events with resume, and a board that keeps serving
 * everyone while some clients misbehave.
 *
 * The answers are parsed strictly but minimally, following the documented
 * format {"id":N,"time":MS,"text":"..."} field by field. Texts are compared
 * in their JSON-escaped form, so the tests see exactly what the board wrote.
 */
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "board.h"
#include "harness.h"
#include "support.h"

#define HINT_STORE                                                                                 \
    "TUTORIAL §1.5 \"The server side: waiting for news with a condition variable\"; board.h"
#define HINT_WAIT                                                                                  \
    "TUTORIAL §1.5 (condition variable: predicate under the mutex, while, broadcast, one "        \
    "deadline); man 3 pthread_cond_timedwait"
#define HINT_POST "TUTORIAL §1.5; board.h (POST /messages); RFC 9110 §15.3.2 (201)"
#define HINT_POLL "TUTORIAL §1.5 \"Short polling\"; board.h; RFC 8259 §7 (JSON strings)"
#define HINT_LONG "TUTORIAL §1.5 \"Long polling\"; RFC 6202 §2; man 3 pthread_cond_timedwait"
#define HINT_SSE                                                                                   \
    "TUTORIAL §1.5 \"Server-Sent Events\"; the HTML standard §9.2 (event stream format, "        \
    "Last-Event-ID)"

static void pause_ms(int ms) {
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/* ---- the store, called directly -------------------------------------------- */

/* What board_since showed the visitor. */
struct seen {
    size_t n;
    long long id[16], time[16];
    char text[16][64];
    size_t len[16];
};

static void remember(void *arg, long long id, long long time_ms, const char *text, size_t len) {
    struct seen *s = arg;
    if (s->n < 16) {
        s->id[s->n] = id;
        s->time[s->n] = time_ms;
        memcpy(s->text[s->n], text, len < 64 ? len : 64);
        s->len[s->n] = len;
    }
    s->n++;
}

/* board_since(b, since, max) must visit exactly the ids first..last. */
static void expect_since_at(const char *file, int line, struct board *b, long long since,
                            size_t max, long long first, long long last) {
    struct seen s = {0};
    size_t r = board_since(b, since, max, remember, &s);
    size_t want = last >= first ? (size_t)(last - first + 1) : 0;
    char call[96];
    snprintf(call, sizeof call, "board_since(b, %lld, %zu)", since, max);
    if (r != s.n)
        t_failf(file, line,
                "expected: %s to return how many messages it visited (%zu)\n     got: %zu", call,
                s.n, r);
    if (s.n != want)
        t_failf(file, line, "expected: %s to visit %zu messages (ids %lld..%lld)\n     got: %zu",
                call, want, first, last, s.n);
    for (size_t i = 0; i < want && i < 16; i++)
        if (s.id[i] != first + (long long)i)
            t_failf(file, line,
                    "expected: %s to visit id %lld as message %zu (oldest first)\n     "
                    "got: id %lld",
                    call, first + (long long)i, i + 1, s.id[i]);
}
#define EXPECT_SINCE(b, since, max, first, last)                                                   \
    expect_since_at(__FILE__, __LINE__, b, since, max, first, last)

static struct board *new_board(size_t capacity) {
    struct board *b = board_new(capacity, 15000);
    if (!b) FAILF("expected: board_new(%zu, 15000) to return a board\n     got: NULL", capacity);
    return b;
}

TEST(store_ids, .id = "1.4.1",
     .title = "board_post numbers messages 1, 2, 3, ... and refuses empty or oversized texts",
     .hint = HINT_STORE) {
    struct board *b = new_board(10);
    CHECK_INT(board_last_id(b), 0);
    CHECK_INT(board_post(b, "one", 3), 1);
    CHECK_INT(board_post(b, "two", 3), 2);
    CHECK_INT(board_post(b, "three", 5), 3);
    CHECK_INT(board_last_id(b), 3);
    static char big[BOARD_MAX_TEXT + 1];
    memset(big, 'x', sizeof big);
    CHECK_INT(board_post(b, "", 0), -1);
    CHECK_INT(board_post(b, big, BOARD_MAX_TEXT + 1), -1);
    CHECK_INT(board_last_id(b), 3);
    CHECK_INT(board_post(b, big, BOARD_MAX_TEXT), 4);
    CHECK_INT(board_last_id(b), 4);
    board_free(b);
}

TEST(store_since, .id = "1.4.2",
     .title = "board_since visits the messages after `since`, oldest first, at most `max`, with "
              "their text and time",
     .hint = HINT_STORE) {
    struct board *b = new_board(10);
    long long before = wall_ms();
    char text[8] = "alpha";
    CHECK_INT(board_post(b, text, 5), 1);
    strcpy(text, "XXXXX"); /* the board keeps its own copy */
    CHECK_INT(board_post(b, "bravo", 5), 2);
    CHECK_INT(board_post(b, "a\0b", 3), 3);
    CHECK_INT(board_post(b, "delta", 5), 4);
    CHECK_INT(board_post(b, "echo", 4), 5);
    long long after = wall_ms();

    struct seen s = {0};
    CHECK_INT(board_since(b, 0, 100, remember, &s), 5);
    CHECK_MEM(s.text[0], s.len[0], "alpha", 5);
    CHECK_MEM(s.text[1], s.len[1], "bravo", 5);
    CHECK_MEM(s.text[2], s.len[2], "a\0b", 3);
    CHECK_MEM(s.text[4], s.len[4], "echo", 4);
    for (size_t i = 0; i < 5; i++) {
        t_note("message %zu: time %lld; the wall clock read %lld before posting, %lld after", i + 1,
               s.time[i], before, after);
        CHECK(s.time[i] >= before - 1000 && s.time[i] <= after + 1000);
    }
    EXPECT_SINCE(b, 0, 100, 1, 5);
    EXPECT_SINCE(b, 2, 100, 3, 5);
    EXPECT_SINCE(b, 5, 100, 1, 0);
    EXPECT_SINCE(b, 99, 100, 1, 0);
    EXPECT_SINCE(b, 0, 2, 1, 2);
    EXPECT_SINCE(b, 3, 1, 4, 4);
    board_free(b);
}

TEST(store_ring, .id = "1.4.3",
     .title = "a full board drops its oldest messages and keeps numbering",
     .hint = "TUTORIAL §1.5 (the store is a ring); board.h (board_new's capacity)") {
    struct board *b = new_board(3);
    const char *texts[] = {"m1", "m2", "m3", "m4", "m5"};
    for (int i = 0; i < 5; i++) CHECK_INT(board_post(b, texts[i], 2), i + 1);
    CHECK_INT(board_last_id(b), 5);
    struct seen s = {0};
    CHECK_INT(board_since(b, 0, 100, remember, &s), 3);
    CHECK_MEM(s.text[0], s.len[0], "m3", 2);
    CHECK_MEM(s.text[2], s.len[2], "m5", 2);
    EXPECT_SINCE(b, 0, 100, 3, 5);
    EXPECT_SINCE(b, 1, 100, 3, 5);
    EXPECT_SINCE(b, 4, 100, 5, 5);
    CHECK_INT(board_post(b, "m6", 2), 6);
    EXPECT_SINCE(b, 0, 100, 4, 6);
    board_free(b);
}

struct delayed_post {
    struct board *b;
    int delay_ms;
};

static void *post_later(void *arg) {
    struct delayed_post *d = arg;
    pause_ms(d->delay_ms);
    board_post(d->b, "later", 5);
    return NULL;
}

TEST(store_wait, .id = "1.4.4", .points = 2,
     .title = "board_wait times out with false, returns true at once if a message is newer, and "
              "wakes when another thread posts",
     .timeout = 10, .hint = HINT_WAIT) {
    struct board *b = new_board(10);
    long long t0 = t_now_ms();
    t_waiting("board_wait(b, 0, 200) on an empty board");
    bool got = board_wait(b, 0, 200);
    long long took = t_now_ms() - t0;
    t_note("board_wait(b, 0, 200) on an empty board took %lld ms", took);
    CHECK(!got);
    CHECK(took >= 150 && took < 2000);

    CHECK_INT(board_post(b, "x", 1), 1);
    t0 = t_now_ms();
    CHECK(board_wait(b, 0, 5000));
    took = t_now_ms() - t0;
    t_note("board_wait(b, 0, 5000) with message 1 stored took %lld ms", took);
    CHECK(took < 1000);

    struct delayed_post d = {b, 100};
    pthread_t th;
    pthread_create(&th, NULL, post_later, &d);
    t0 = t_now_ms();
    t_waiting("board_wait(b, 1, 5000) to wake when another thread posts after 100 ms");
    got = board_wait(b, 1, 5000);
    took = t_now_ms() - t0;
    pthread_join(th, NULL);
    t_note("board_wait(b, 1, 5000), with a post from another thread after 100 ms, took %lld ms",
           took);
    CHECK(got);
    CHECK(took < 3000);
    CHECK_INT(board_last_id(b), 2);
    board_free(b);
}

struct waiter {
    struct board *b;
    atomic_int *started;
    bool result;
    long long woke_at; /* t_now_ms() when board_wait returned */
};

static void *wait_for_news(void *arg) {
    struct waiter *w = arg;
    atomic_fetch_add(w->started, 1);
    w->result = board_wait(w->b, 0, 5000);
    w->woke_at = t_now_ms();
    return NULL;
}

TEST(store_wakes_all, .id = "1.4.5", .points = 2,
     .title = "one post wakes every thread waiting in board_wait (broadcast, not signal)",
     .timeout = 10, .hint = HINT_WAIT) {
    enum { N = 8 };
    struct board *b = new_board(10);
    atomic_int started;
    atomic_init(&started, 0);
    struct waiter w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct waiter){.b = b, .started = &started};
        pthread_create(&th[i], NULL, wait_for_news, &w[i]);
    }
    for (int i = 0; i < 2000 && atomic_load(&started) < N; i++) pause_ms(1);
    pause_ms(30); /* let them all reach the wait */
    long long posted_at = t_now_ms();
    CHECK_INT(board_post(b, "news", 4), 1);
    t_waiting("all %d waiting threads to wake after one post", N);
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    /* A waiter that was not woken only notices the post when its own 5 s
     * timed wait ends: that shows as a wake-up seconds late. */
    for (int i = 0; i < N; i++) {
        t_note("waiter %d: board_wait returned %s, %lld ms after the post", i + 1,
               w[i].result ? "true" : "false", w[i].woke_at - posted_at);
        CHECK(w[i].result);
        CHECK(w[i].woke_at - posted_at < 2500);
    }
    board_free(b);
}

/* ---- reading the board's answers ----------------------------------------------- */

struct msg {
    long long id, time;
    char text[512]; /* as the board wrote it: JSON-escaped */
    size_t len;
};

static bool literal(const char **p, const char *end, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0) return false;
    *p += n;
    return true;
}

static bool number(const char **p, const char *end, long long *out) {
    const char *start = *p;
    long long v = 0;
    while (*p < end && isdigit((unsigned char)**p) && *p - start < 18) v = v * 10 + (*(*p)++ - '0');
    *out = v;
    return *p > start;
}

/* The characters of a JSON string up to its closing quote, kept escaped. */
static bool string_body(const char **p, const char *end, char *out, size_t cap, size_t *len) {
    size_t n = 0;
    while (*p < end && **p != '"') {
        size_t k = **p == '\\' ? 2 : 1;
        if ((size_t)(end - *p) < k || n + k >= cap) return false;
        memcpy(out + n, *p, k);
        n += k;
        *p += k;
    }
    if (*p >= end) return false;
    (*p)++;
    out[n] = '\0';
    *len = n;
    return true;
}

/* One message object, exactly {"id":N,"time":T,"text":"..."}. */
static bool message_object(const char **p, const char *end, struct msg *m) {
    return literal(p, end, "{\"id\":") && number(p, end, &m->id) && literal(p, end, ",\"time\":") &&
           number(p, end, &m->time) && literal(p, end, ",\"text\":\"") &&
           string_body(p, end, m->text, sizeof m->text, &m->len) && literal(p, end, "}");
}

#define POLL_FORMAT "{\"messages\":[{\"id\":N,\"time\":MS,\"text\":\"...\"},...]}"

/* Parses a poll answer into out[0..max); returns how many messages. */
static size_t parse_messages(const char *body, size_t len, struct msg *out, size_t max) {
    const char *p = body, *end = body + len;
    while (end > p && isspace((unsigned char)end[-1])) end--;
    size_t n = 0;
    if (!literal(&p, end, "{\"messages\":[")) goto bad;
    if (literal(&p, end, "]}")) {
        if (p == end) return 0;
        goto bad;
    }
    for (;;) {
        if (n == max || !message_object(&p, end, &out[n])) goto bad;
        n++;
        if (literal(&p, end, ",")) continue;
        if (literal(&p, end, "]}") && p == end) return n;
        goto bad;
    }
bad:
    FAILF("expected: a body %s (at most %zu messages)\n     got (%zu bytes, problem at offset "
          "%zu): \"%s\"",
          POLL_FORMAT, max, len, (size_t)(p - body), t_escape(body, len, 600));
}

/* The answer to a GET of a /messages URL, checked and parsed. */
static size_t read_poll(struct t_response *r, struct msg *out, size_t max) {
    t_expect_status(r, 200);
    const char *type = t_http_header(r, "Content-Type");
    if (!type || strncmp(type, "application/json", 16) != 0)
        FAILF("expected: Content-Type: application/json\n     got: %s", type ? type : "none");
    size_t n = parse_messages(r->body, r->body_len, out, max);
    t_response_free(r);
    return n;
}

static size_t poll_messages(struct t_conn *c, const char *target, struct msg *out, size_t max,
                            int timeout_ms) {
    return read_poll(t_http(c, "GET", target, NULL, NULL, timeout_ms), out, max);
}

/* Posts text; expects 201 and {"id":N}; returns N. */
static long long post(struct t_conn *c, const char *text) {
    struct t_response *r =
        t_http(c, "POST", "/messages", "Content-Type: text/plain\r\n", text, 3000);
    t_expect_status(r, 201);
    const char *p = r->body, *end = r->body + r->body_len;
    while (end > p && isspace((unsigned char)end[-1])) end--;
    long long id = 0;
    if (!literal(&p, end, "{\"id\":") || !number(&p, end, &id) || !literal(&p, end, "}") ||
        p != end)
        FAILF("expected: the body {\"id\":N}\n     got: \"%s\"",
              t_escape(r->body, r->body_len, 200));
    const char *type = t_http_header(r, "Content-Type");
    if (!type || strncmp(type, "application/json", 16) != 0)
        FAILF("expected: Content-Type: application/json\n     got: %s", type ? type : "none");
    t_response_free(r);
    return id;
}

/* m must be message `id` with the (unescaped-safe) text `text`. */
static void expect_msg_at(const char *file, int line, const struct msg *m, long long id,
                          const char *text) {
    if (m->id != id || m->len != strlen(text) || memcmp(m->text, text, m->len) != 0)
        t_failf(file, line,
                "expected: message {\"id\":%lld,...,\"text\":\"%s\"}\n     got: {\"id\":%lld,...,"
                "\"text\":\"%s\"}",
                id, text, m->id, m->text);
}
#define EXPECT_MSG(m, id, text) expect_msg_at(__FILE__, __LINE__, m, id, text)

/* ---- Server-Sent Events ------------------------------------------------------------ */

struct sse_event {
    bool has_id, has_data, heartbeat, retry;
    long long id;
    char data[4096];
};

/* Sends GET target (with extra header lines) and checks the event stream's head. */
static struct t_conn *sse_open(int port, const char *target, const char *extra) {
    struct t_conn *c = t_conn_open(port);
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n%s\r\n",
             target, extra ? extra : "");
    t_send_str(c, req);
    struct t_response *r = t_http_read_head(c, 3000);
    t_expect_status(r, 200);
    const char *type = t_http_header(r, "Content-Type");
    if (!type || strncmp(type, "text/event-stream", 17) != 0)
        FAILF("expected: Content-Type: text/event-stream\n     got: %s", type ? type : "none");
    t_response_free(r);
    return c;
}

/* Reads one block of the stream (up to its blank line) and parses its lines. */
static void sse_read_block(struct t_conn *c, struct sse_event *ev, int timeout_ms) {
    memset(ev, 0, sizeof *ev);
    size_t n;
    char *block = t_read_until(c, "\n\n", 65536, timeout_ms, &n);
    block[n - 1] = '\0';
    for (char *line = block, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (line[0] == ':') {
            ev->heartbeat = ev->heartbeat || strcmp(line, ": heartbeat") == 0;
            continue;
        }
        char *value = strchr(line, ':');
        if (!value)
            FAILF("expected: event stream lines \"field: value\"\n     got: \"%s\"",
                  t_escape(line, strlen(line), 200));
        *value++ = '\0';
        if (*value == ' ') value++;
        if (!strcmp(line, "id")) {
            char *e;
            ev->id = strtoll(value, &e, 10);
            ev->has_id = *value && !*e;
        } else if (!strcmp(line, "data")) {
            size_t used = strlen(ev->data);
            snprintf(ev->data + used, sizeof ev->data - used, "%s%s", used ? "\n" : "", value);
            ev->has_data = true;
        } else if (!strcmp(line, "retry")) {
            ev->retry = true;
        }
    }
    free(block);
}

/* Reads blocks until one carries a message; checks that its id line and the
 * id in its data agree. */
static void sse_read_message(struct t_conn *c, struct msg *m, int timeout_ms) {
    struct sse_event ev;
    long long deadline = t_now_ms() + timeout_ms;
    for (int i = 0; i < 1000; i++) {
        long long left = deadline - t_now_ms();
        sse_read_block(c, &ev, left > 0 ? (int)left : 1);
        if (!ev.has_data) continue;
        const char *p = ev.data, *end = ev.data + strlen(ev.data);
        if (!message_object(&p, end, m) || p != end)
            FAILF("expected: an event \"data: {\"id\":N,\"time\":MS,\"text\":\"...\"}\"\n     got: "
                  "data \"%s\"",
                  t_escape(ev.data, strlen(ev.data), 300));
        if (!ev.has_id || ev.id != m->id)
            FAILF("expected: the event of message %lld to carry \"id: %lld\"\n     got: %s", m->id,
                  m->id, ev.has_id ? "another id" : "no id line");
        return;
    }
    FAILF("expected: a message event\n     got: only comments and retry lines");
}

/* ---- POST and short poll -------------------------------------------------------------- */

TEST(post_created, .id = "1.4.6",
     .title = "POST /messages answers 201 with {\"id\":N}, ids counting 1, 2, 3",
     .hint = HINT_POST) {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    CHECK_INT(post(c, "first"), 1);
    CHECK_INT(post(c, "second"), 2);
    struct t_conn *c2 = t_conn_open(s->port);
    CHECK_INT(post(c2, "third, from another client"), 3);
    t_conn_close(c), t_conn_close(c2);
}

TEST(post_limits, .id = "1.4.7",
     .title = "a 4096-byte message is taken; 4097 bytes get 413 and an empty one 400",
     .hint = "board.h (BOARD_MAX_TEXT); RFC 9110 §15.5.14 (413), §15.5.1 (400)") {
    struct t_server *s = board_start(NULL, NULL);
    static char text[BOARD_MAX_TEXT + 2];
    memset(text, 'x', BOARD_MAX_TEXT + 1);
    struct t_conn *c = t_conn_open(s->port);
    struct t_response *r = t_http(c, "POST", "/messages", NULL, text, 3000);
    t_note("a POST of %d bytes", BOARD_MAX_TEXT + 1);
    t_expect_status(r, 413);
    t_response_free(r);
    t_conn_close(c);

    r = t_http_once(s->port, "POST", "/messages", NULL, "", 3000);
    t_note("a POST with an empty body");
    t_expect_status(r, 400);
    t_response_free(r);

    text[BOARD_MAX_TEXT] = '\0';
    c = t_conn_open(s->port);
    t_note("a POST of %d bytes", BOARD_MAX_TEXT);
    CHECK_INT(post(c, text), 1);
    t_conn_close(c);
}

TEST(short_poll, .id = "1.4.8", .points = 2,
     .title = "GET /messages?since=ID returns exactly the messages after ID, oldest first, as "
              "documented",
     .hint = HINT_POLL) {
    static struct msg m[8];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    CHECK_INT(poll_messages(c, "/messages?since=0", m, 8, 3000), 0);
    long long before = wall_ms();
    post(c, "one");
    post(c, "two");
    post(c, "three");
    long long after = wall_ms();

    CHECK_INT(poll_messages(c, "/messages?since=0", m, 8, 3000), 3);
    EXPECT_MSG(&m[0], 1, "one");
    EXPECT_MSG(&m[1], 2, "two");
    EXPECT_MSG(&m[2], 3, "three");
    for (int i = 0; i < 3; i++) {
        t_note("message %d: time %lld; the wall clock read %lld before posting, %lld after", i + 1,
               m[i].time, before, after);
        CHECK(m[i].time >= before - 1000 && m[i].time <= after + 1000);
    }
    CHECK_INT(poll_messages(c, "/messages", m, 8, 3000), 3);
    CHECK_INT(poll_messages(c, "/messages?since=1", m, 8, 3000), 2);
    EXPECT_MSG(&m[0], 2, "two");
    EXPECT_MSG(&m[1], 3, "three");
    CHECK_INT(poll_messages(c, "/messages?since=3", m, 8, 3000), 0);
    CHECK_INT(poll_messages(c, "/messages?since=99", m, 8, 3000), 0);
    t_conn_close(c);
}

/* Lower-cases the hex digits of \u escapes, so that \u001F and \u001f compare equal. */
static void normalize_escapes(char *s) {
    for (; *s; s++) {
        if (*s != '\\' || !s[1]) continue;
        s++;
        if (*s == 'u')
            for (int i = 1; i <= 4 && s[i]; i++) s[i] = (char)tolower((unsigned char)s[i]);
    }
}

TEST(json_escaping, .id = "1.4.9",
     .title = "message texts are JSON-escaped: quote, backslash, newline, CR, tab, control bytes",
     .hint = "TUTORIAL §1.5; board.h; RFC 8259 §7 (strings)") {
    static const char text[] = "say \"hi\"\\ back\nnew\ttab\rcr\x01"
                               "ctl\x1f"
                               " caf\xc3\xa9";
    static const char escaped[] = "say \\\"hi\\\"\\\\ back\\nnew\\ttab\\rcr\\u0001"
                                  "ctl\\u001f"
                                  " caf\xc3\xa9";
    static struct msg m[2];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    CHECK_INT(post(c, text), 1);
    CHECK_INT(poll_messages(c, "/messages?since=0", m, 2, 3000), 1);
    normalize_escapes(m[0].text);
    t_note("in the poll answer");
    CHECK_MEM(m[0].text, m[0].len, escaped, sizeof escaped - 1);

    struct t_conn *events = sse_open(s->port, "/events?since=0", NULL);
    sse_read_message(events, &m[1], 3000);
    normalize_escapes(m[1].text);
    t_note("in the event stream");
    CHECK_MEM(m[1].text, m[1].len, escaped, sizeof escaped - 1);
    t_conn_close(events), t_conn_close(c);
}

TEST(poll_batches, .id = "1.4.10",
     .title = "a poll returns at most 100 messages; polling again from the last id gets the rest",
     .hint = "board.h (BOARD_MAX_BATCH); TUTORIAL §1.5 (the cursor)") {
    static struct msg m[160];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    char text[32];
    for (int i = 1; i <= 150; i++) {
        snprintf(text, sizeof text, "msg %d", i);
        CHECK_INT(post(c, text), i);
    }
    CHECK_INT(poll_messages(c, "/messages?since=0", m, 160, 3000), BOARD_MAX_BATCH);
    for (int i = 0; i < BOARD_MAX_BATCH; i++) {
        snprintf(text, sizeof text, "msg %d", i + 1);
        EXPECT_MSG(&m[i], i + 1, text);
    }
    CHECK_INT(poll_messages(c, "/messages?since=100", m, 160, 3000), 50);
    EXPECT_MSG(&m[0], 101, "msg 101");
    EXPECT_MSG(&m[49], 150, "msg 150");
    t_conn_close(c);
}

/* ---- long polling -------------------------------------------------------------------- */

TEST(long_poll_immediate, .id = "1.4.11",
     .title = "a long poll answers at once when a message newer than `since` exists",
     .hint = HINT_LONG) {
    static struct msg m[4];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    post(c, "already here");
    long long t0 = t_now_ms();
    CHECK_INT(poll_messages(c, "/messages?since=0&wait=20", m, 4, 3000), 1);
    long long took = t_now_ms() - t0;
    EXPECT_MSG(&m[0], 1, "already here");
    t_note("the long poll took %lld ms", took);
    CHECK(took < 2000);
    t_conn_close(c);
}

TEST(long_poll_released, .id = "1.4.12", .points = 2,
     .title = "a long poll with nothing new is held, and answered as soon as a message is posted",
     .timeout = 10, .hint = HINT_LONG) {
    static struct msg m[4];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *poster = t_conn_open(s->port);
    post(poster, "old");
    struct t_conn *lp = t_conn_open(s->port);
    t_send_str(lp, "GET /messages?since=1&wait=10 HTTP/1.1\r\nHost: t\r\n\r\n");
    t_note("a long poll since=1&wait=10 must be held while nothing is newer");
    t_expect_silence(lp, 400);
    long long t0 = t_now_ms();
    post(poster, "wake up");
    t_note("then message 2 was posted");
    CHECK_INT(read_poll(t_http_read(lp, false, 3000), m, 4), 1);
    long long took = t_now_ms() - t0;
    EXPECT_MSG(&m[0], 2, "wake up");
    t_note("the held poll was answered %lld ms after the post", took);
    CHECK(took < 2000);
    t_conn_close(lp), t_conn_close(poster);
}

TEST(long_poll_timeout, .id = "1.4.13",
     .title = "a long poll with nothing new answers {\"messages\":[]} after `wait` seconds",
     .timeout = 10, .hint = HINT_LONG) {
    static struct msg m[4];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    long long t0 = t_now_ms();
    CHECK_INT(poll_messages(c, "/messages?since=0&wait=1", m, 4, 4000), 0);
    long long took = t_now_ms() - t0;
    t_note("GET /messages?since=0&wait=1 on an empty board took %lld ms", took);
    CHECK(took >= 800 && took < 3000);
    t_conn_close(c);
}

TEST(long_poll_fifty, .id = "1.4.14", .points = 2,
     .title = "50 long polls held at once are all released by a single POST", .timeout = 15,
     .hint = HINT_WAIT) {
    enum { N = 50 };
    static struct msg m[4];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *lp[N];
    for (int i = 0; i < N; i++) {
        lp[i] = t_conn_open(s->port);
        t_send_str(lp[i], "GET /messages?since=0&wait=20 HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    t_expect_silence(lp[N - 1], 300);
    struct t_conn *poster = t_conn_open(s->port);
    post(poster, "for everyone");
    long long posted_at = t_now_ms();
    for (int i = 0; i < N; i++) {
        CHECK_INT(read_poll(t_http_read(lp[i], false, 3000), m, 4), 1);
        EXPECT_MSG(&m[0], 1, "for everyone");
        t_conn_close(lp[i]);
    }
    long long took = t_now_ms() - posted_at;
    t_note("all %d answers arrived within %lld ms of the post", N, took);
    CHECK(took < 5000);
    t_conn_close(poster);
}

/* ---- Server-Sent Events ------------------------------------------------------------ */

TEST(sse_stream, .id = "1.4.15", .points = 2,
     .title = "GET /events streams each new message as \"id: N\" + \"data: JSON\" with the "
              "documented head",
     .hint = HINT_SSE) {
    static struct msg m[2];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    t_send_str(c, "GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n");
    struct t_response *r = t_http_read_head(c, 3000);
    t_expect_status(r, 200);
    const char *type = t_http_header(r, "Content-Type");
    if (!type || strncmp(type, "text/event-stream", 17) != 0)
        FAILF("expected: Content-Type: text/event-stream\n     got: %s", type ? type : "none");
    expect_header(r, "Cache-Control", "no-cache");
    expect_header(r, "Connection", "close");
    if (t_http_header(r, "Content-Length") || t_http_header(r, "Transfer-Encoding"))
        FAILF("expected: no Content-Length and no Transfer-Encoding (the stream ends when the "
              "connection does)\n     got: head:\n%s",
              t_escape(r->head, strlen(r->head), 600));
    t_response_free(r);
    size_t n;
    char *first = t_read_until(c, "\n\n", 4096, 3000, &n);
    CHECK_MEM(first, n, "retry: 1000\n\n", 13);
    free(first);

    struct t_conn *poster = t_conn_open(s->port);
    post(poster, "one");
    char *event = t_read_until(c, "\n\n", 4096, 3000, &n);
    const char *head = "id: 1\ndata: {\"id\":1,\"time\":", *tail = ",\"text\":\"one\"}\n\n";
    t_note("the first event, byte for byte: \"%s\"", t_escape(event, n, 200));
    CHECK(n > strlen(head) + strlen(tail));
    CHECK_MEM(event, strlen(head), head, strlen(head));
    CHECK_MEM(event + n - strlen(tail), strlen(tail), tail, strlen(tail));
    free(event);
    post(poster, "two");
    sse_read_message(c, &m[0], 3000);
    EXPECT_MSG(&m[0], 2, "two");
    t_conn_close(poster), t_conn_close(c);
}

TEST(sse_in_order, .id = "1.4.16",
     .title = "an event stream delivers every message exactly once, in order", .timeout = 10,
     .hint = HINT_SSE) {
    static struct msg m;
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *events = sse_open(s->port, "/events", NULL);
    struct t_conn *poster = t_conn_open(s->port);
    char text[32];
    for (int i = 1; i <= 30; i++) {
        snprintf(text, sizeof text, "burst %d", i);
        post(poster, text);
    }
    for (int i = 1; i <= 30; i++) {
        snprintf(text, sizeof text, "burst %d", i);
        sse_read_message(events, &m, 3000);
        EXPECT_MSG(&m, i, text);
    }
    post(poster, "after the burst");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 31, "after the burst");
    t_conn_close(poster), t_conn_close(events);
}

TEST(sse_resume, .id = "1.4.17", .points = 2,
     .title = "a stream reopened with Last-Event-ID (or ?since=) gets exactly what it missed",
     .timeout = 10,
     .hint = "TUTORIAL §1.5 (SSE reconnects and resumes); HTML standard §9.2.4 (Last-Event-ID)") {
    static struct msg m;
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *poster = t_conn_open(s->port);
    struct t_conn *events = sse_open(s->port, "/events", NULL);
    post(poster, "m1"), post(poster, "m2"), post(poster, "m3");
    for (int i = 1; i <= 3; i++) sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 3, "m3");
    t_conn_close(events);

    post(poster, "m4"), post(poster, "m5");
    t_note("reconnecting with Last-Event-ID: 3 after m4 and m5 were posted");
    events = sse_open(s->port, "/events", "Last-Event-ID: 3\r\n");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 4, "m4");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 5, "m5");
    post(poster, "m6");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 6, "m6");
    t_conn_close(events);

    t_note("reconnecting with ?since=5");
    events = sse_open(s->port, "/events?since=5", NULL);
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 6, "m6");
    post(poster, "m7");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 7, "m7");
    t_conn_close(events), t_conn_close(poster);
}

TEST(sse_heartbeat, .id = "1.4.18",
     .title = "an idle event stream sends the \": heartbeat\" comment every heartbeat-ms",
     .timeout = 10,
     .hint = "TUTORIAL §1.5 (SSE: comments as heartbeats); board.h; HTML standard §9.2.7") {
    static struct msg m;
    struct t_server *s = board_start("--heartbeat-ms", "200");
    struct t_conn *events = sse_open(s->port, "/events", NULL);
    struct sse_event ev;
    int heartbeats = 0;
    for (int i = 0; i < 10 && heartbeats < 2; i++) {
        sse_read_block(events, &ev, 3000);
        if (ev.has_data) FAILF("expected: only heartbeats on an idle board\n     got: an event");
        heartbeats += ev.heartbeat;
    }
    t_note("heartbeat-ms is 200");
    CHECK_INT(heartbeats, 2);
    struct t_conn *poster = t_conn_open(s->port);
    post(poster, "after the heartbeats");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 1, "after the heartbeats");
    t_conn_close(poster), t_conn_close(events);
}

/* ---- all transports together -------------------------------------------------------- */

/* A client's view of the board: the messages it got, checked as they come. */
struct reader {
    const char *name;
    long long last;
};

static void take(struct reader *r, const struct msg *m) {
    char text[32];
    snprintf(text, sizeof text, "r%lld", r->last + 1);
    if (m->id != r->last + 1)
        FAILF("expected: the %s client to get message %lld next (every message exactly once, in "
              "order)\n     got: message %lld",
              r->name, r->last + 1, m->id);
    EXPECT_MSG(m, r->last + 1, text);
    r->last = m->id;
}

static void catch_up_by_poll(struct t_conn *c, struct reader *r, long long target, int wait) {
    static struct msg m[BOARD_MAX_BATCH];
    for (int tries = 0; tries < 20 && r->last < target; tries++) {
        char url[96];
        snprintf(url, sizeof url, wait ? "/messages?since=%lld&wait=%d" : "/messages?since=%lld",
                 r->last, wait);
        size_t n = poll_messages(c, url, m, BOARD_MAX_BATCH, 3000 + wait * 1000);
        for (size_t i = 0; i < n; i++) take(r, &m[i]);
    }
}

TEST(every_transport_exactly_once, .id = "1.4.19", .points = 3,
     .title = "short poll, long poll and SSE each get every message exactly once, in order, "
              "across reconnects",
     .timeout = 20,
     .hint = "TUTORIAL §1.5 (the cursor: since and Last-Event-ID); a gap or a repeat means the "
             "cursor is off by one") {
    static struct msg m[BOARD_MAX_BATCH];
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *poster = t_conn_open(s->port);
    struct t_conn *sp = t_conn_open(s->port), *lp = t_conn_open(s->port);
    struct reader shortp = {"short-poll", 0}, longp = {"long-poll", 0}, sse = {"SSE", 0};
    struct t_conn *events = sse_open(s->port, "/events?since=0", NULL);
    long long posted = 0;
    for (int round = 0; round < 6; round++) {
        bool held = round % 2 == 1;
        if (held) {
            char req[128];
            snprintf(req, sizeof req, "GET /messages?since=%lld&wait=5 HTTP/1.1\r\nHost: t\r\n\r\n",
                     longp.last);
            t_send_str(lp, req);
            t_expect_silence(lp, 100);
        }
        for (int i = 0; i < 10; i++) {
            char text[32];
            snprintf(text, sizeof text, "r%lld", posted + 1);
            CHECK_INT(post(poster, text), ++posted);
        }
        catch_up_by_poll(sp, &shortp, posted, 0);
        if (held) {
            size_t n = read_poll(t_http_read(lp, false, 3000), m, BOARD_MAX_BATCH);
            for (size_t i = 0; i < n; i++) take(&longp, &m[i]);
        }
        catch_up_by_poll(lp, &longp, posted, 2);
        while (sse.last < posted) {
            sse_read_message(events, &m[0], 3000);
            take(&sse, &m[0]);
        }
        /* Reconnect the stream, as a browser does after a drop. */
        t_conn_close(events);
        char last[64];
        snprintf(last, sizeof last, "Last-Event-ID: %lld\r\n", sse.last);
        events = sse_open(s->port, "/events", last);
    }
    CHECK_INT(shortp.last, 60);
    CHECK_INT(longp.last, 60);
    CHECK_INT(sse.last, 60);
    t_conn_close(events), t_conn_close(sp), t_conn_close(lp), t_conn_close(poster);
}

/* ---- robustness and the API's edges ---------------------------------------------------- */

/* A request that must be answered with `status` and the connection closed. */
static void expect_refused_and_closed(int port, const char *bytes, size_t len, int status) {
    struct t_conn *c = t_conn_open(port);
    t_try_send(c, bytes, len);
    struct t_response *r = t_http_read(c, false, 3000);
    t_expect_status(r, status);
    expect_header(r, "Connection", "close");
    t_expect_closed(c, 2000);
    t_response_free(r);
    t_conn_close(c);
}

/* Another client must still be served. */
static void expect_board_serves(int port) {
    struct t_response *r = t_http_once(port, "GET", "/messages?since=0", NULL, NULL, 3000);
    t_note("then another client's GET /messages?since=0");
    t_expect_status(r, 200);
    t_response_free(r);
}

TEST(robust_bad_requests, .id = "1.4.20", .points = 2,
     .title = "malformed, oversized and stalled requests get 400/431/501/505/408 while the "
              "board keeps serving everyone else",
     .timeout = 20,
     .hint = "TUTORIAL §1.3 (limits, 408); httpd.c; the parser's error statuses (http.h)") {
    static const struct {
        const char *what, *bytes;
        int status;
    } cases[] = {
        {"a space before the colon", "GET /messages HTTP/1.1\r\nHost : t\r\n\r\n", 400},
        {"a bad Content-Length",
         "POST /messages HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\nhi", 400},
        {"an unknown method", "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501},
        {"HTTP/2.0 as text", "GET /messages HTTP/2.0\r\nHost: t\r\n\r\n", 505},
    };
    static struct msg m;
    struct t_server *s = board_start("--request-timeout-ms", "300");
    struct t_conn *events = sse_open(s->port, "/events", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_note("%s", cases[i].what);
        expect_refused_and_closed(s->port, cases[i].bytes, strlen(cases[i].bytes), cases[i].status);
        expect_board_serves(s->port);
    }
    static char huge[12000];
    size_t n = (size_t)snprintf(huge, sizeof huge, "GET /messages HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(huge + n, 'a', 10000);
    memcpy(huge + n + 10000, "\r\n\r\n", 4);
    t_note("a head of %zu bytes", n + 10004);
    expect_refused_and_closed(s->port, huge, n + 10004, 431);
    expect_board_serves(s->port);

    static const char stalled[] = "POST /messages HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n"
                                  "\r\nhalf";
    t_note("a request that stops half-way through its body (request timeout 300 ms)");
    expect_refused_and_closed(s->port, stalled, sizeof stalled - 1, 408);
    expect_board_serves(s->port);

    t_note("and the event stream opened before all this");
    struct t_conn *poster = t_conn_open(s->port);
    post(poster, "still serving");
    sse_read_message(events, &m, 3000);
    EXPECT_MSG(&m, 1, "still serving");
    t_conn_close(poster), t_conn_close(events);
}

TEST(bad_query, .id = "1.4.21", .title = "a since or wait that is not a whole number >= 0 gets 400",
     .hint = "board.h; TUTORIAL §1.5; the handout's \"Common bugs\" (atoi)") {
    static const char *targets[] = {
        "/messages?since=abc",         "/messages?since=-1",        "/messages?since=1x",
        "/messages?since=0&wait=soon", "/messages?since=0&wait=-1", "/messages?wait=2.5",
    };
    struct t_server *s = board_start(NULL, NULL);
    struct t_response *r =
        t_http_once(s->port, "GET", "/messages?since=0&wait=0", NULL, NULL, 3000);
    t_expect_status(r, 200);
    t_response_free(r);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        r = t_http_once(s->port, "GET", targets[i], NULL, NULL, 3000);
        t_note("GET %s", targets[i]);
        t_expect_status(r, 400);
        t_response_free(r);
    }
}

TEST(board_405, .id = "1.4.22",
     .title = "a wrong method on /messages or /events gets 405 with the right Allow header",
     .hint = "board.h; RFC 9110 §15.5.6 (405 MUST carry Allow)") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_response *r = t_http_once(s->port, "DELETE", "/messages", NULL, NULL, 3000);
    expect_405_allow(r, "GET, POST");
    t_response_free(r);
    r = t_http_once(s->port, "PUT", "/messages?since=0", NULL, "x", 3000);
    expect_405_allow(r, "GET, POST");
    t_response_free(r);
    r = t_http_once(s->port, "POST", "/events", NULL, "x", 3000);
    expect_405_allow(r, "GET");
    t_response_free(r);
}

/* Sends SIGTERM and expects exit status 0 within 3 s. */
static void expect_clean_exit(struct t_server *s) {
    int status = t_server_signal_wait(s, SIGTERM, 3000);
    if (status == -1)
        FAILF("expected: board to exit within 3 s of SIGTERM\n     got: still running");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAILF("expected: exit status 0 after SIGTERM\n     got: %s %d",
              WIFEXITED(status) ? "exit status" : "killed by signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    /* httpd gives handlers 2 s to notice the stop, then gives up on them and
     * says so: a handler still waiting then was never woken. */
    char *out = t_server_output(s);
    if (strstr(out, "did not end in time"))
        FAILF("expected: every connection's thread to end when the server stops\n     got: %s",
              strstr(out, "httpd:") ? strstr(out, "httpd:") : out);
    free(out);
}

TEST(sigterm_idle, .id = "1.4.23", .title = "SIGTERM stops the board with exit status 0",
     .hint = "TUTORIAL §1.2 \"Stopping cleanly\"; httpd.h (httpd_stopping)") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    post(c, "before the end");
    t_conn_close(c);
    expect_clean_exit(s);
}

TEST(sigterm_busy, .id = "1.4.24",
     .title = "SIGTERM stops the board promptly even while a long poll and an event stream are "
              "held",
     .timeout = 10,
     .hint = "TUTORIAL §1.5 (stopping is news too); the handout, step 4.2 and task 4 hint 3: "
             "board_close() must set closed and broadcast") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *events = sse_open(s->port, "/events", NULL);
    struct t_conn *lp = t_conn_open(s->port);
    t_send_str(lp, "GET /messages?since=0&wait=30 HTTP/1.1\r\nHost: t\r\n\r\n");
    t_expect_silence(lp, 200);
    expect_clean_exit(s);
    t_conn_close(lp), t_conn_close(events);
}
