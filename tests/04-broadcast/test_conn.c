/*
 * Lab 4, task 2 — buffered non-blocking connections (conn.c) and rcbuf.
 *
 * Each test puts a conn on one end of a socket pair (or a loopback TCP
 * pair) and plays the peer on the other end itself, with plain reads and
 * writes, stepping the loop in between. The callbacks record what they get;
 * a flag set around every conn_* call the test makes shows whether on_close
 * came from inside that call (it must always come from the loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "harness.h"
#include "loop.h"
#include "support.h"

#define HINT_RCBUF                                                                                 \
    "TUTORIAL §4.7 \"Reference counting\"; conn.h (rcbuf: refs, len, cap; the last unref "        \
    "frees it)"
#define HINT_READ                                                                                  \
    "TUTORIAL §4.5 \"Reading into one shared buffer\"; conn.h (one read per readiness into "      \
    "the loop's shared 64 KiB buffer, handed to on_data at once; the peer's EOF or an error "      \
    "ends the connection)"
#define HINT_WRITE                                                                                 \
    "TUTORIAL §4.5 \"The outbound queue\", \"One flush per iteration\", \"LOOP_WRITE only "       \
    "when bytes remain\"; conn.h (conn_send queues; one deferred flush per iteration does a "      \
    "writev of up to CONN_IOV_MAX segments; LOOP_WRITE only while bytes remain); man 2 writev"
#define HINT_MARK                                                                                  \
    "TUTORIAL §4.6 \"The high-water mark\"; conn.h (refuse once the queue already holds "         \
    "high_water bytes or more; conn_over stays true; one message larger than the mark still "      \
    "goes on an empty queue)"
#define HINT_CLOSE                                                                                 \
    "TUTORIAL §4.5 \"Closing gracefully\"; conn.h (conn_close: queue the last bytes whatever "    \
    "the mark, stop reading, flush, shutdown(SHUT_WR), drain input until EOF or linger_ms, "       \
    "close; on_close from the loop, never inside a conn_* call); man 2 shutdown"

/* ---- one end of a pair, recorded ---------------------------------------------------- */

struct side {
    struct conn *c;
    int fd;
    struct bytes in; /* what on_data got */
    int datas;       /* on_data calls */
    size_t biggest;  /* the largest piece on_data got */
    int drains, closes;
    bool in_call;        /* the test is inside a conn_* call */
    bool closed_in_call; /* on_close came from inside one */
    bool fd_open_at_close;
    struct conn_stats final;   /* the stats when on_close came */
    const char *close_on_data; /* if set, on_data calls conn_close with it */
};

static void on_data(struct conn *c, const unsigned char *data, size_t len, void *arg) {
    struct side *s = arg;
    (void)c;
    bytes_put(&s->in, data, len);
    s->datas++;
    if (len > s->biggest) s->biggest = len;
    if (s->close_on_data) {
        s->in_call = true;
        conn_close(c, s->close_on_data, strlen(s->close_on_data));
        s->in_call = false;
    }
}

static void on_drain(struct conn *c, void *arg) {
    (void)c;
    ((struct side *)arg)->drains++;
}

static void on_close(struct conn *c, void *arg) {
    struct side *s = arg;
    s->closes++;
    if (s->in_call) s->closed_in_call = true;
    s->fd_open_at_close = fd_is_open(s->fd);
    s->final = *conn_stats(c);
    s->c = NULL; /* it frees itself when this returns */
}

static const struct conn_callbacks callbacks = {on_data, on_drain, on_close};

static struct loop *new_loop(void) {
    struct loop *loop = loop_new(NULL);
    if (!loop) FAILF("expected: loop_new(NULL) to return a loop (task 1)\n     got: NULL");
    return loop;
}

/* A conn over fd recording into s. */
static void open_side(struct loop *loop, struct side *s, int fd, size_t high_water, int linger) {
    *s = (struct side){.fd = fd};
    struct conn_config cfg = {.high_water = high_water, .linger_ms = linger};
    t_waiting("conn_new");
    s->c = conn_new(loop, fd, &cfg, &callbacks, s);
    if (!s->c) FAILF("expected: conn_new to return a connection\n     got: NULL");
}

static int step(struct loop *loop, int timeout_ms) {
    int r = loop_run_once(loop, timeout_ms);
    if (r < 0) FAILF("expected: loop_run_once to succeed\n     got: -1");
    return r;
}

/* Steps the loop (and runs `also`, e.g. the peer reading) until cond holds. */
#define SPIN_UNTIL(loop, cond, ms, what, also)                                                     \
    do {                                                                                           \
        long long deadline_ = t_now_ms() + (ms);                                                   \
        t_waiting("%s", what);                                                                     \
        while (!(cond)) {                                                                          \
            if (t_now_ms() > deadline_)                                                            \
                FAILF("expected: %s within %d ms\n     got: not after %d ms (%s is false)", what,  \
                      (int)(ms), (int)(ms), #cond);                                                \
            step(loop, 5);                                                                         \
            also;                                                                                  \
        }                                                                                          \
    } while (0)

/* Writes as much of data[*off..len) to fd as it takes now. */
static void push(int fd, const unsigned char *data, size_t len, size_t *off) {
    while (*off < len) {
        ssize_t n = write(fd, data + *off, len - *off);
        if (n <= 0) return;
        *off += (size_t)n;
    }
}

/* Expects what the peer received to equal want[0..len). */
static void expect_bytes(const struct bytes *got, const void *want, size_t len, const char *what) {
    if (got->len != len || memcmp(got->p, want, len) != 0) {
        size_t at = 0;
        while (at < got->len && at < len && got->p[at] == ((const unsigned char *)want)[at]) at++;
        FAILF("expected: %s: %zu bytes%s%s%s\n     got: %zu bytes, the first difference at byte "
              "%zu%s%s%s",
              what, len, len <= 80 ? " \"" : "", len <= 80 ? t_escape(want, len, 80) : "",
              len <= 80 ? "\"" : "", got->len, at, got->len <= 80 ? " (\"" : "",
              got->len <= 80 ? t_escape(got->p, got->len, 80) : "", got->len <= 80 ? "\")" : "");
    }
}

/* Ends a conn still open and waits for its on_close. */
static void finish(struct loop *loop, struct side *s) {
    if (s->c && !s->closes) {
        conn_abort(s->c);
        SPIN_UNTIL(loop, s->closes > 0, 2000, "on_close after conn_abort", (void)0);
    }
    bytes_free(&s->in);
}

/* ---- rcbuf -------------------------------------------------------------------------- */

TEST(rcbuf, .id = "4.2.1", .points = 1,
     .title = "rcbuf_new(100): one reference, len 0, room for 100 bytes; rcbuf_ref counts up and "
              "returns it; the last rcbuf_unref frees it; rcbuf_unref(NULL) is harmless",
     .hint = HINT_RCBUF) {
    struct rcbuf *b = rcbuf_new(100);
    if (!b) FAILF("expected: rcbuf_new(100) to return a buffer\n     got: NULL");
    CHECK_INT(b->refs, 1);
    CHECK_INT(b->len, 0);
    CHECK(b->cap >= 100);
    memset(b->data, 'x', 100);
    CHECK(rcbuf_ref(b) == b);
    CHECK_INT(b->refs, 2);
    rcbuf_unref(b);
    CHECK_INT(b->refs, 1);
    rcbuf_unref(b);
    rcbuf_unref(NULL);
    expect_no_leaks("after the last rcbuf_unref");
}

/* ---- reading ------------------------------------------------------------------------ */

TEST(conn_new_state, .id = "4.2.2", .points = 1,
     .title = "conn_new makes the fd non-blocking and watches it for reading; nothing queued, "
              "not over, not closing; conn_fd and conn_loop",
     .hint = HINT_READ "; man 2 fcntl (O_NONBLOCK)") {
    struct loop *loop = new_loop();
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0) FAILF("socketpair failed");
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    if (!(fcntl(s[0], F_GETFL) & O_NONBLOCK))
        FAILF("expected: conn_new to make the socket non-blocking\n     got: O_NONBLOCK not set");
    CHECK_INT(loop_interest(loop, s[0]), LOOP_READ);
    CHECK_INT(conn_fd(a.c), s[0]);
    CHECK(conn_loop(a.c) == loop);
    CHECK_INT(conn_queued(a.c), 0);
    CHECK(!conn_over(a.c));
    CHECK(!conn_closing(a.c));
    const struct conn_stats *st = conn_stats(a.c);
    CHECK(st != NULL);
    CHECK_INT(st->bytes_in + st->bytes_out + st->reads + st->writes, 0);
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
}

TEST(data_arrives, .id = "4.2.3", .points = 2,
     .title = "the peer's bytes reach on_data: \"hello\", then 150000 bytes in order, at most "
              "CONN_READ_CHUNK per call and one read per step; stats count them",
     .hint = HINT_READ) {
    struct loop *loop = new_loop();
    int s[2];
    make_tcp_pair(&s[0], &s[1]);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    if (write(s[1], "hello", 5) != 5) FAILF("test setup: write failed");
    SPIN_UNTIL(loop, a.in.len >= 5, 2000, "on_data with \"hello\"", (void)0);
    expect_bytes(&a.in, "hello", 5, "on_data");
    CHECK_INT(conn_stats(a.c)->bytes_in, 5);
    CHECK_INT(conn_stats(a.c)->reads, 1);
    enum { BIG = 150000 };
    unsigned char *big = binary_pattern(BIG, 4);
    size_t off = 0;
    push(s[1], big, BIG, &off);
    t_note("pushed %zu of %d bytes before the first step", off, BIG);
    a.in.len = 0;
    int datas = a.datas;
    step(loop, 1000);
    if (a.datas != datas + 1)
        FAILF("expected: one on_data per step (one read per readiness)\n     got: %d calls",
              a.datas - datas);
    SPIN_UNTIL(loop, a.in.len >= BIG, 3000, "all 150000 bytes at on_data",
               push(s[1], big, BIG, &off));
    expect_bytes(&a.in, big, BIG, "on_data, all together");
    if (a.biggest > CONN_READ_CHUNK)
        FAILF("expected: at most CONN_READ_CHUNK (%d) bytes per on_data\n     got: %zu",
              CONN_READ_CHUNK, a.biggest);
    CHECK_INT(conn_stats(a.c)->bytes_in, BIG + 5);
    CHECK(conn_stats(a.c)->reads >= 3);
    free(big);
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
}

TEST(peer_close, .id = "4.2.4", .points = 2,
     .title = "the peer sends \"bye\" and closes: on_data \"bye\", then on_close exactly once, "
              "from the loop, with the socket already closed and unwatched",
     .hint = HINT_READ "; conn.h (on_close: the socket is closed; conn frees itself after it)") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    if (write(s[1], "bye", 3) != 3) FAILF("test setup: write failed");
    close(s[1]);
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close after the peer closed", (void)0);
    expect_bytes(&a.in, "bye", 3, "on_data before on_close");
    for (int i = 0; i < 3; i++) step(loop, 0);
    CHECK_INT(a.closes, 1);
    if (a.fd_open_at_close)
        FAILF("expected: the socket closed when on_close is called\n     got: fd %d still open",
              s[0]);
    CHECK_INT(loop_watched(loop), 0);
    CHECK_INT(a.final.bytes_in, 3);
    loop_free(loop);
    bytes_free(&a.in);
    expect_no_leaks("after on_close (conn frees itself) and loop_free");
}

/* ---- writing ------------------------------------------------------------------------ */

TEST(coalesced, .id = "4.2.5", .points = 3,
     .title = "ten conn_send calls write nothing at once; the next step sends them all with ONE "
              "writev, in order; no LOOP_WRITE interest left once the queue is empty",
     .hint = HINT_WRITE) {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    struct bytes want = {0}, got = {0};
    for (int i = 0; i < 10; i++) {
        char piece[32];
        int n = snprintf(piece, sizeof piece, "piece %d;", i);
        CHECK_INT(conn_send(a.c, piece, (size_t)n), 0);
        bytes_put(&want, piece, (size_t)n);
    }
    CHECK_INT(conn_queued(a.c), want.len);
    char tmp[8];
    if (read(s[1], tmp, sizeof tmp) > 0)
        FAILF("expected: conn_send to queue only (the flush runs once per iteration)\n     got: "
              "bytes at the peer right away");
    CHECK_INT(conn_stats(a.c)->writes, 0);
    SPIN_UNTIL(loop, got.len >= want.len, 2000, "the ten pieces at the peer", drain_fd(s[1], &got));
    expect_bytes(&got, want.p, want.len, "the peer");
    if (conn_stats(a.c)->writes != 1)
        FAILF("expected: one writev for everything sent during an iteration\n     got: %llu writes",
              (unsigned long long)conn_stats(a.c)->writes);
    CHECK_INT(conn_stats(a.c)->bytes_out, want.len);
    CHECK_INT(conn_queued(a.c), 0);
    CHECK_INT(loop_interest(loop, s[0]), LOOP_READ);
    bytes_free(&want), bytes_free(&got);
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
}

TEST(shared, .id = "4.2.6", .points = 2,
     .title = "conn_send_shared queues the same rcbuf on two conns (refs 3 while queued, 1 "
              "once written), in order with copies around it; a copy is never packed into a "
              "shared buffer",
     .hint = HINT_WRITE "; conn.h (pack small copies into the tail rcbuf only if it is private: "
                        "refs == 1)") {
    struct loop *loop = new_loop();
    int s[2], t[2];
    make_socketpair(s), make_socketpair(t);
    struct side a, b;
    open_side(loop, &a, s[0], 0, 0);
    open_side(loop, &b, t[0], 0, 0);
    struct rcbuf *buf = rcbuf_new(64);
    if (!buf) FAILF("expected: rcbuf_new(64)\n     got: NULL");
    memcpy(buf->data, "SHARED", 6);
    buf->len = 6;
    CHECK_INT(conn_send(a.c, "a", 1), 0);
    CHECK_INT(conn_send_shared(a.c, buf), 0);
    CHECK_INT(conn_send(a.c, "c", 1), 0);
    CHECK_INT(conn_send_shared(b.c, buf), 0);
    CHECK_INT(buf->refs, 3);
    if (buf->len != 6 || memcmp(buf->data, "SHARED", 6) != 0)
        FAILF("expected: the shared buffer untouched by a later conn_send (it is shared: refs "
              "%u)\n     got: len %zu \"%s\"",
              buf->refs, buf->len, t_escape(buf->data, buf->len, 60));
    CHECK_INT(conn_queued(a.c), 8);
    CHECK_INT(conn_queued(b.c), 6);
    struct bytes got_a = {0}, got_b = {0};
    SPIN_UNTIL(loop, got_a.len >= 8 && got_b.len >= 6, 2000, "both peers to receive their bytes",
               (drain_fd(s[1], &got_a), drain_fd(t[1], &got_b)));
    expect_bytes(&got_a, "aSHAREDc", 8, "peer a");
    expect_bytes(&got_b, "SHARED", 6, "peer b");
    if (buf->refs != 1)
        FAILF("expected: both queues to drop their reference once written (refs 1)\n     got: "
              "refs %u",
              buf->refs);
    rcbuf_unref(buf);
    bytes_free(&got_a), bytes_free(&got_b);
    finish(loop, &a), finish(loop, &b);
    loop_free(loop);
    close(s[1]), close(t[1]);
    expect_no_leaks("after the connections ended");
}

TEST(partial_writes, .id = "4.2.7", .points = 3,
     .title = "4 MiB queued to a peer that does not read: the rest waits with LOOP_WRITE "
              "interest; as the peer reads, every byte arrives in order, then on_drain once and "
              "LOOP_READ only",
     .hint = HINT_WRITE "; a short writev: keep the offset into the first segment, drop the "
                        "segments written, want LOOP_WRITE") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 64u << 20, 0);
    enum { TOTAL = 4 << 20, PIECE = 65536 };
    unsigned char *data = binary_pattern(TOTAL, 9);
    for (size_t off = 0; off < TOTAL; off += PIECE) CHECK_INT(conn_send(a.c, data + off, PIECE), 0);
    for (int i = 0; i < 3; i++) step(loop, 0);
    t_note("after three steps with the peer not reading: %zu bytes still queued", conn_queued(a.c));
    if (conn_queued(a.c) == 0) FAILF("test setup: the socket took 4 MiB at once");
    if (!(loop_interest(loop, s[0]) & LOOP_WRITE))
        FAILF("expected: LOOP_WRITE interest while bytes remain\n     got: interest %u",
              loop_interest(loop, s[0]));
    CHECK_INT(a.drains, 0);
    struct bytes got = {0};
    SPIN_UNTIL(loop, got.len >= TOTAL && conn_queued(a.c) == 0, 5000,
               "all 4 MiB at the peer as it reads", drain_fd(s[1], &got));
    expect_bytes(&got, data, TOTAL, "the peer");
    step(loop, 0);
    CHECK_INT(a.drains, 1);
    CHECK_INT(loop_interest(loop, s[0]), LOOP_READ);
    CHECK_INT(conn_stats(a.c)->bytes_out, TOTAL);
    free(data);
    bytes_free(&got);
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
}

TEST(high_water, .id = "4.2.8", .points = 3,
     .title = "high_water 1000: 999 then 10 bytes are queued (1009), the next send is refused and "
              "conn_over turns true; on an empty queue one 5000-byte message is accepted",
     .hint = HINT_MARK) {
    struct loop *loop = new_loop();
    int s[2], t[2];
    make_socketpair(s), make_socketpair(t);
    struct side a, b;
    open_side(loop, &a, s[0], 1000, 0);
    open_side(loop, &b, t[0], 1000, 0);
    unsigned char *data = ascii_pattern(5000, 1);
    CHECK_INT(conn_send(a.c, data, 999), 0);
    CHECK(!conn_over(a.c));
    t_note("999 queued, below the mark: the next send is accepted");
    CHECK_INT(conn_send(a.c, data, 10), 0);
    CHECK_INT(conn_queued(a.c), 1009);
    t_note("1009 queued, at or over the mark: refused");
    CHECK_INT(conn_send(a.c, data, 1), -1);
    CHECK(conn_over(a.c));
    CHECK_INT(conn_queued(a.c), 1009);
    struct rcbuf *buf = rcbuf_new(16);
    if (!buf) FAILF("expected: rcbuf_new(16)\n     got: NULL");
    buf->len = 16;
    memset(buf->data, 'z', 16);
    CHECK_INT(conn_send_shared(a.c, buf), -1);
    CHECK_INT(buf->refs, 1);
    t_note("a second conn, mark 1000, empty queue: one 5000-byte message goes");
    CHECK_INT(conn_send(b.c, data, 5000), 0);
    CHECK(!conn_over(b.c));
    CHECK_INT(conn_send(b.c, data, 1), -1);
    CHECK(conn_over(b.c));
    struct bytes got_a = {0}, got_b = {0};
    SPIN_UNTIL(loop, got_a.len >= 1009 && got_b.len >= 5000, 2000, "the queued bytes at the peers",
               (drain_fd(s[1], &got_a), drain_fd(t[1], &got_b)));
    CHECK_INT(got_a.len, 1009);
    expect_bytes(&got_b, data, 5000, "peer b");
    CHECK(conn_over(a.c));
    rcbuf_unref(buf);
    free(data);
    bytes_free(&got_a), bytes_free(&got_b);
    finish(loop, &a), finish(loop, &b);
    loop_free(loop);
    close(s[1]), close(t[1]);
}

TEST(drain_called, .id = "4.2.9", .points = 1,
     .title = "on_drain is called once when a queue becomes empty, even when one writev sent it "
              "all",
     .hint = HINT_WRITE "; conn.h (on_drain: the queue has just become empty — the server "
                        "resumes reading a paused client there)") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    CHECK_INT(conn_send(a.c, "x", 1), 0);
    struct bytes got = {0};
    SPIN_UNTIL(loop, got.len >= 1, 2000, "the byte at the peer", drain_fd(s[1], &got));
    step(loop, 0);
    CHECK_INT(a.drains, 1);
    step(loop, 0);
    CHECK_INT(a.drains, 1);
    bytes_free(&got);
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
}

TEST(pause_reading, .id = "4.2.10", .points = 2,
     .title = "conn_set_reading(false): the peer's bytes stay in the socket (no on_data, no "
              "LOOP_READ interest); conn_set_reading(true) delivers them",
     .hint = HINT_READ "; conn.h (conn_set_reading: TCP's own back-pressure)") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    conn_set_reading(a.c, false);
    if (write(s[1], "abc", 3) != 3) FAILF("test setup: write failed");
    step(loop, 30);
    step(loop, 30);
    CHECK_INT(a.datas, 0);
    CHECK_INT(loop_interest(loop, s[0]) & LOOP_READ, 0);
    char peek[8];
    CHECK_INT(recv(s[0], peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT), 3);
    conn_set_reading(a.c, true);
    SPIN_UNTIL(loop, a.in.len >= 3, 2000, "on_data \"abc\" after resuming", (void)0);
    expect_bytes(&a.in, "abc", 3, "on_data");
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
}

/* ---- closing ------------------------------------------------------------------------ */

TEST(close_delivers, .id = "4.2.11", .points = 3,
     .title = "conn_close(\"LAST\") past the mark: the peer gets the queue, LAST, then EOF; "
              "later input is discarded; on_close once the peer closes, never inside the call",
     .hint = HINT_CLOSE) {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 100, 2000);
    unsigned char *data = ascii_pattern(150, 2);
    CHECK_INT(conn_send(a.c, data, 150), 0);
    CHECK_INT(conn_send(a.c, data, 10), -1);
    a.in_call = true;
    conn_close(a.c, "LAST", 4);
    conn_close(a.c, "AGAIN", 5);
    a.in_call = false;
    CHECK(conn_closing(a.c));
    CHECK_INT(conn_send(a.c, "more", 4), -1);
    if (a.closes)
        FAILF("expected: on_close later, from the loop\n     got: called inside conn_close");
    struct bytes got = {0};
    bool eof = false;
    SPIN_UNTIL(loop, eof, 2000, "the queue, \"LAST\", then EOF at the peer",
               eof = drain_fd(s[1], &got) < 0);
    struct bytes want = {0};
    bytes_put(&want, data, 150);
    bytes_put(&want, "LAST", 4);
    expect_bytes(&got, want.p, want.len, "the peer, before EOF");
    if (write(s[1], "ignored", 7) != 7) FAILF("test setup: write failed");
    step(loop, 10);
    close(s[1]);
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close after the peer closed too", (void)0);
    CHECK_INT(a.datas, 0);
    CHECK(!a.closed_in_call);
    CHECK(!a.fd_open_at_close);
    for (int i = 0; i < 3; i++) step(loop, 0);
    CHECK_INT(a.closes, 1);
    free(data);
    bytes_free(&got), bytes_free(&want), bytes_free(&a.in);
    loop_free(loop);
    expect_no_leaks("after on_close and loop_free");
}

TEST(linger_unread, .id = "4.2.12", .points = 2,
     .title = "conn_close with 8 MiB queued to a peer that never reads: closed anyway after "
              "linger_ms (200): on_close within 2 s, the socket closed",
     .hint = HINT_CLOSE "; a timer of linger_ms started by conn_close bounds the whole close") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 64u << 20, 200);
    enum { TOTAL = 8 << 20 };
    unsigned char *data = calloc(1, TOTAL);
    CHECK_INT(conn_send(a.c, data, TOTAL), 0);
    step(loop, 0);
    long long t0 = t_now_ms();
    conn_close(a.c, NULL, 0);
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close after linger_ms with the peer not reading",
               (void)0);
    long long took = t_now_ms() - t0;
    if (took < 150)
        FAILF("expected: conn_close to wait about linger_ms (200) for the peer\n     got: "
              "on_close after %lld ms",
              took);
    CHECK(!a.fd_open_at_close);
    free(data);
    loop_free(loop);
    close(s[1]);
    expect_no_leaks("after on_close and loop_free");
}

TEST(linger_open, .id = "4.2.13", .points = 1,
     .title = "conn_close: a peer that reads everything (and gets EOF) but never closes is "
              "waited for linger_ms (300), then closed",
     .hint = HINT_CLOSE) {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 300);
    CHECK_INT(conn_send(a.c, "data", 4), 0);
    long long t0 = t_now_ms();
    conn_close(a.c, "end", 3);
    struct bytes got = {0};
    bool eof = false;
    SPIN_UNTIL(loop, eof, 2000, "\"dataend\" then EOF at the peer", eof = drain_fd(s[1], &got) < 0);
    expect_bytes(&got, "dataend", 7, "the peer");
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close after linger_ms", (void)0);
    long long took = t_now_ms() - t0;
    if (took < 200)
        FAILF("expected: the conn to wait for the peer's EOF up to linger_ms (300)\n     got: "
              "on_close after %lld ms",
              took);
    bytes_free(&got);
    loop_free(loop);
    close(s[1]);
}

TEST(abort_discards, .id = "4.2.14", .points = 2,
     .title = "conn_abort discards the queue: the peer gets EOF and no byte; on_close once, "
              "from the loop; sends refused from then on",
     .hint = HINT_CLOSE "; conn.h (conn_abort: now, the queue discarded, on_close from the "
                        "loop)") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    CHECK_INT(conn_send(a.c, "never sent", 10), 0);
    a.in_call = true;
    conn_abort(a.c);
    a.in_call = false;
    if (a.closes)
        FAILF("expected: on_close later, from the loop\n     got: called inside conn_abort");
    CHECK(conn_closing(a.c));
    CHECK_INT(conn_send(a.c, "x", 1), -1);
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close after conn_abort", (void)0);
    struct bytes got = {0};
    ssize_t r = drain_fd(s[1], &got);
    if (r != -1)
        FAILF("expected: EOF and no byte at the peer\n     got: %zd bytes \"%s\"", r,
              t_escape(got.p, got.len, 60));
    for (int i = 0; i < 3; i++) step(loop, 0);
    CHECK_INT(a.closes, 1);
    loop_free(loop);
    close(s[1]);
    expect_no_leaks("after on_close and loop_free");
}

TEST(close_from_on_data, .id = "4.2.15", .points = 1,
     .title = "conn_close called from on_data: the peer gets the answer then EOF; on_close comes "
              "later from the loop, once",
     .hint = HINT_CLOSE) {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 0, 0);
    a.close_on_data = "goodbye";
    if (write(s[1], "hi", 2) != 2) FAILF("test setup: write failed");
    struct bytes got = {0};
    bool eof = false;
    SPIN_UNTIL(loop, eof, 2000, "\"goodbye\" then EOF at the peer", eof = drain_fd(s[1], &got) < 0);
    expect_bytes(&got, "goodbye", 7, "the peer");
    close(s[1]);
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close", (void)0);
    CHECK(!a.closed_in_call);
    CHECK_INT(a.closes, 1);
    bytes_free(&got), bytes_free(&a.in);
    loop_free(loop);
}

TEST(set_callbacks, .id = "4.2.16", .points = 1,
     .title = "conn_set_callbacks hands the connection over: later bytes and the close go to "
              "the new callbacks and arg",
     .hint = HINT_READ "; conn.h (conn_set_callbacks)") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a, b = {.fd = s[0]};
    open_side(loop, &a, s[0], 0, 0);
    if (write(s[1], "one", 3) != 3) FAILF("test setup: write failed");
    SPIN_UNTIL(loop, a.in.len >= 3, 2000, "\"one\" at the first callbacks", (void)0);
    b.c = a.c;
    conn_set_callbacks(a.c, &callbacks, &b);
    if (write(s[1], "two", 3) != 3) FAILF("test setup: write failed");
    close(s[1]);
    SPIN_UNTIL(loop, b.closes > 0, 2000, "on_close at the new callbacks", (void)0);
    expect_bytes(&a.in, "one", 3, "the first arg's on_data");
    expect_bytes(&b.in, "two", 3, "the new arg's on_data");
    CHECK_INT(a.closes, 0);
    bytes_free(&a.in), bytes_free(&b.in);
    loop_free(loop);
}

TEST(peer_name, .id = "4.2.17", .points = 1,
     .title = "conn_peer over TCP is \"127.0.0.1:PORT\", the peer's port",
     .hint = HINT_READ "; man 2 getpeername, man 3 inet_ntop") {
    struct loop *loop = new_loop();
    int a_fd, b_fd;
    make_tcp_pair(&a_fd, &b_fd);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    getsockname(b_fd, (struct sockaddr *)&addr, &len);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u", ntohs(addr.sin_port));
    struct side a;
    open_side(loop, &a, a_fd, 0, 0);
    CHECK_STR(conn_peer(a.c), want);
    finish(loop, &a);
    loop_free(loop);
    close(b_fd);
}

TEST(peer_reset, .id = "4.2.18", .points = 1,
     .title = "a peer that resets the connection (RST) while bytes are queued: on_close once, "
              "nothing else",
     .hint = HINT_READ "; a writev or read may fail with ECONNRESET or EPIPE: that ends the "
                       "connection too") {
    struct loop *loop = new_loop();
    int a_fd, b_fd;
    make_tcp_pair(&a_fd, &b_fd);
    struct side a;
    open_side(loop, &a, a_fd, 64u << 20, 0);
    if (write(b_fd, "x", 1) != 1) FAILF("test setup: write failed");
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(b_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(b_fd);
    unsigned char *data = calloc(1, 1 << 20);
    CHECK_INT(conn_send(a.c, data, 1 << 20), 0);
    SPIN_UNTIL(loop, a.closes > 0, 2000, "on_close after the peer's reset", (void)0);
    for (int i = 0; i < 3; i++) step(loop, 0);
    CHECK_INT(a.closes, 1);
    free(data);
    bytes_free(&a.in);
    loop_free(loop);
}

TEST(many_segments, .id = "4.2.19", .points = 1,
     .title = "300 shared buffers with copies between them (more segments than CONN_IOV_MAX) "
              "arrive whole and in order",
     .hint = HINT_WRITE "; at most CONN_IOV_MAX segments per writev: the rest in the next "
                        "one") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 64u << 20, 0);
    struct bytes want = {0}, got = {0};
    for (int i = 0; i < 300; i++) {
        struct rcbuf *buf = rcbuf_new(32);
        if (!buf) FAILF("expected: rcbuf_new(32)\n     got: NULL");
        buf->len = (size_t)snprintf((char *)buf->data, 32, "<shared %d>", i);
        CHECK_INT(conn_send_shared(a.c, buf), 0);
        bytes_put(&want, buf->data, buf->len);
        rcbuf_unref(buf);
        char copy[32];
        int n = snprintf(copy, sizeof copy, "(copy %d)", i);
        CHECK_INT(conn_send(a.c, copy, (size_t)n), 0);
        bytes_put(&want, copy, (size_t)n);
    }
    SPIN_UNTIL(loop, got.len >= want.len, 2000, "every segment at the peer", drain_fd(s[1], &got));
    expect_bytes(&got, want.p, want.len, "the peer");
    bytes_free(&want), bytes_free(&got);
    finish(loop, &a);
    loop_free(loop);
    close(s[1]);
    expect_no_leaks("after the shared buffers were written and the conn ended");
}

static bool all_closed(const struct side *a, int n) {
    for (int i = 0; i < n; i++)
        if (!a[i].closes) return false;
    return true;
}

TEST(idle_memory, .id = "4.2.20", .points = 1,
     .title = "an idle conn costs its struct alone (under 1 KiB, with its share of the loop's "
              "tables), and reading keeps no buffer: 99 conns that read 100 bytes each hold "
              "under 8 KiB more heap in all",
     .hint = HINT_READ "; conn.h (no input buffer per connection: one shared by the loop; no "
                       "output buffer until something is sent)") {
    struct loop *loop = new_loop();
    enum { N = 100 };
    static int s[N][2];
    static struct side a[N];
    for (int i = 0; i < N; i++) make_socketpair(s[i]);
    open_side(loop, &a[0], s[0][0], 0, 0); /* the loop's tables and buffers, made once */
    if (write(s[0][1], "x", 1) != 1) FAILF("test setup: write failed");
    SPIN_UNTIL(loop, a[0].in.len >= 1, 2000, "the first byte at on_data", (void)0);
    size_t before = heap_in_use();
    for (int i = 1; i < N; i++) open_side(loop, &a[i], s[i][0], 0, 0);
    size_t idle = heap_in_use();
    t_note("heap in use: %zu bytes before, %zu with %d more idle conns", before, idle, N - 1);
    if (idle > before + (N - 1) * 1024)
        FAILF("expected: under 1 KiB per idle conn\n     got: %zu bytes",
              (idle - before) / (N - 1));
    char data[100];
    memset(data, 'd', sizeof data);
    for (int i = 1; i < N; i++)
        if (write(s[i][1], data, sizeof data) != sizeof data) FAILF("test setup: write failed");
    for (int i = 1; i < N; i++) {
        SPIN_UNTIL(loop, a[i].in.len >= 100, 2000, "100 bytes at each conn's on_data", (void)0);
        bytes_free(&a[i].in); /* the test's own record of it */
    }
    size_t after = heap_in_use();
    t_note("heap in use: %zu bytes after every conn read 100 bytes", after);
    if (after > idle + 8192) /* the loop may grow an array or two */
        FAILF("expected: no memory kept after reading (the bytes go to on_data from a buffer "
              "shared by the loop)\n     got: %zu bytes more for %d conns",
              after - idle, N - 1);
    for (int i = 0; i < N; i++) conn_abort(a[i].c), close(s[i][1]);
    SPIN_UNTIL(loop, all_closed(a, N), 2000, "every on_close after conn_abort", (void)0);
    bytes_free(&a[0].in);
    loop_free(loop);
}

TEST(half_close_flushes, .id = "4.2.21", .points = 1,
     .title = "a peer that half-closes (shutdown SHUT_WR) while 4 MiB are queued for it still "
              "gets all 4 MiB, then EOF; on_close once",
     .hint = HINT_CLOSE "; the peer's EOF with bytes still queued acts as conn_close(c, NULL, 0): "
                        "a client that half-closes after its request still reads the answer") {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct side a;
    open_side(loop, &a, s[0], 64u << 20, 2000);
    enum { TOTAL = 4 << 20 };
    unsigned char *data = ascii_pattern(TOTAL, 7);
    CHECK_INT(conn_send(a.c, data, TOTAL), 0);
    step(loop, 0); /* the socket takes part of it; the rest waits in the queue */
    if (write(s[1], "bye", 3) != 3 || shutdown(s[1], SHUT_WR) < 0)
        FAILF("test setup: write or shutdown failed");
    struct bytes got = {0};
    bool eof = false;
    SPIN_UNTIL(loop, eof, 4000, "all 4 MiB, then EOF at the peer", eof = drain_fd(s[1], &got) < 0);
    expect_bytes(&got, data, TOTAL, "the peer, before EOF");
    close(s[1]);
    SPIN_UNTIL(loop, a.closes > 0, 3000, "on_close", (void)0);
    for (int i = 0; i < 3; i++) step(loop, 0);
    CHECK_INT(a.closes, 1);
    free(data);
    bytes_free(&got), bytes_free(&a.in);
    loop_free(loop);
    expect_no_leaks("after on_close and loop_free");
}
