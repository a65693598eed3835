/*
 * Lab 4, task 1 — the event loop (loop.c) and its poll backend (loop_poll.c).
 *
 * Each test makes a loop and drives it over pipes and socket pairs, with
 * loop_run_once() to take one step at a time, or loop_run() when the test
 * knows the loop will find nothing left to do (so it returns by itself).
 * Callbacks record what they were called with; timers record the order in
 * which they fire. Nothing here sleeps to hope something happened: a step
 * waits for readiness, and the test's own timeout bounds a loop that never
 * returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "loop.h"
#include "support.h"

#define HINT_FD                                                                                    \
    "TUTORIAL §4.4 \"The loop\", §4.3 (poll is level-triggered); loop.h (loop_watch, "           \
    "loop_set_interest, loop_unwatch; a callback gets only the events it is interested in); "      \
    "man 2 poll"
#define HINT_HUP                                                                                   \
    "TUTORIAL §4.3 \"poll\"; loop.h (\"an error or a hang-up is reported as whatever the fd "     \
    "is interested in\"); man 2 poll (POLLHUP and POLLERR come even when not asked for)"
#define HINT_TIMER                                                                                 \
    "TUTORIAL §4.4 \"Timers in a min-heap\", \"Timers the caller owns\"; loop.h (timers: a "      \
    "binary min-heap ordered by due time, then start order; `slot` says where a timer is in "      \
    "it, 0 when stopped)"
#define HINT_TASK                                                                                  \
    "TUTORIAL §4.4 \"Deferred tasks\"; loop.h (loop_defer: once, before the loop waits again; "   \
    "queued twice runs once; tasks queued by a task run in the same pass)"
#define HINT_RUN                                                                                   \
    "TUTORIAL §4.4 \"One iteration\", \"The monotonic clock\"; loop.h (loop_run: until "          \
    "loop_stop or nothing left to wait for; each iteration: tasks, wait, fd callbacks, due "       \
    "timers)"
#define HINT_BACKEND                                                                               \
    "TUTORIAL §4.3 \"poll\", \"Why the loop has a backend interface\"; loop.h (struct "           \
    "loop_backend); loop_poll.c: a pollfd array, an fd -> index map, swap-remove; man 2 poll"

/* ---- recording callbacks ------------------------------------------------------------ */

#define MAX_HITS 64

/* What an fd callback was called with. */
struct hits {
    int n;
    int fd[MAX_HITS];
    unsigned ev[MAX_HITS];
    struct loop *loop;
};

static void on_fd(struct loop *loop, int fd, unsigned events, void *arg) {
    struct hits *h = arg;
    if (h->n < MAX_HITS) h->fd[h->n] = fd, h->ev[h->n] = events;
    h->n++;
    h->loop = loop;
}

static const char *ev_name(unsigned ev) {
    switch (ev) {
    case 0:
        return "0";
    case LOOP_READ:
        return "LOOP_READ";
    case LOOP_WRITE:
        return "LOOP_WRITE";
    case LOOP_READ | LOOP_WRITE:
        return "LOOP_READ|LOOP_WRITE";
    default:
        return "bits outside LOOP_READ|LOOP_WRITE";
    }
}

static struct loop *new_loop(void) {
    t_waiting("loop_new(NULL)");
    struct loop *loop = loop_new(NULL);
    if (!loop)
        FAILF("expected: loop_new(NULL) to return a loop over the poll backend\n     got: NULL");
    return loop;
}

/* One step; fails if the loop reports an error. */
static int step(struct loop *loop, int timeout_ms) {
    t_waiting("loop_run_once(loop, %d) to return", timeout_ms);
    int r = loop_run_once(loop, timeout_ms);
    if (r < 0)
        FAILF("expected: loop_run_once(loop, %d) to return how many callbacks ran\n     got: -1",
              timeout_ms);
    return r;
}

static void run(struct loop *loop) {
    t_waiting("loop_run() to return (nothing left to wait for, or loop_stop)");
    int r = loop_run(loop);
    if (r != 0) FAILF("expected: loop_run() to return 0\n     got: %d", r);
}

/* Expects call i of h to have been for fd with events ev. */
static void expect_hit(const struct hits *h, int i, int fd, unsigned ev, const char *when) {
    if (h->n <= i)
        FAILF("expected: %s: the callback called (call %d) for fd %d with %s\n     got: %d "
              "call(s)",
              when, i + 1, fd, ev_name(ev), h->n);
    if (h->fd[i] != fd || h->ev[i] != ev)
        FAILF("expected: %s: the callback called for fd %d with %s\n     got: fd %d with %s (%u)",
              when, fd, ev_name(ev), h->fd[i], ev_name(h->ev[i]), h->ev[i]);
}

static void expect_calls(const struct hits *h, int n, const char *when) {
    if (h->n != n)
        FAILF("expected: %s: %d call(s) of the callback\n     got: %d%s%s", when, n, h->n,
              h->n ? ", the first with " : "", h->n ? ev_name(h->ev[0]) : "");
}

static void put_byte(int fd) {
    if (write(fd, "x", 1) != 1) FAILF("test setup: write: %s", strerror(errno));
}

/* ---- descriptors -------------------------------------------------------------------- */

TEST(loop_basics, .id = "4.1.1", .points = 1,
     .title = "loop_new(NULL) makes a loop over the poll backend (loop_backend_name \"poll\"), "
              "nothing watched, no timers; loop_run on it returns 0 at once",
     .hint = HINT_RUN) {
    CHECK_STR(loop_poll_backend.name, "poll");
    struct loop *loop = new_loop();
    CHECK_STR(loop_backend_name(loop), "poll");
    CHECK_INT(loop_watched(loop), 0);
    CHECK_INT(loop_timers(loop), 0);
    t_note("loop_run on a loop with nothing to wait for must return 0 at once");
    run(loop);
    loop_free(loop);
    expect_no_leaks("after loop_free");
}

TEST(read_ready, .id = "4.1.2", .points = 2,
     .title = "a watched pipe: no call while empty; a byte arrives -> one call with LOOP_READ, "
              "its fd and arg; still unread -> called again on the next step (level-triggered)",
     .hint = HINT_FD) {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    struct hits h = {0};
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd, &h), 0);
    CHECK_INT(loop_watched(loop), 1);
    CHECK_INT(loop_interest(loop, p[0]), LOOP_READ);
    CHECK_INT(step(loop, 0), 0);
    expect_calls(&h, 0, "nothing written yet");
    put_byte(p[1]);
    CHECK_INT(step(loop, 1000), 1);
    expect_calls(&h, 1, "one byte written");
    expect_hit(&h, 0, p[0], LOOP_READ, "one byte written");
    CHECK(h.loop == loop);
    t_note("the byte was not read: poll reports the fd again (level-triggered), and conn relies "
           "on that to read a busy socket one chunk per iteration");
    CHECK_INT(step(loop, 1000), 1);
    expect_hit(&h, 1, p[0], LOOP_READ, "the byte still unread");
    loop_free(loop);
    close(p[0]), close(p[1]);
    expect_no_leaks("after loop_free");
}

TEST(write_ready, .id = "4.1.3", .points = 2,
     .title = "LOOP_WRITE on an empty socket is reported at once; events hold only the "
              "interest: READ|WRITE with data -> both, then READ alone, then WRITE alone",
     .hint = HINT_FD) {
    struct loop *loop = new_loop();
    int s[2];
    make_socketpair(s);
    struct hits h = {0};
    CHECK_INT(loop_watch(loop, s[0], LOOP_READ | LOOP_WRITE, on_fd, &h), 0);
    CHECK_INT(step(loop, 1000), 1);
    expect_hit(&h, 0, s[0], LOOP_WRITE, "an empty socket with room to write");
    put_byte(s[1]);
    step(loop, 1000);
    expect_hit(&h, 1, s[0], LOOP_READ | LOOP_WRITE, "a byte to read and room to write");
    CHECK_INT(loop_set_interest(loop, s[0], LOOP_READ), 0);
    CHECK_INT(loop_interest(loop, s[0]), LOOP_READ);
    step(loop, 1000);
    expect_hit(&h, 2, s[0], LOOP_READ, "interest LOOP_READ only");
    CHECK_INT(loop_set_interest(loop, s[0], LOOP_WRITE), 0);
    step(loop, 1000);
    expect_hit(&h, 3, s[0], LOOP_WRITE, "interest LOOP_WRITE only (a byte still unread)");
    expect_calls(&h, 4, "four steps");
    loop_free(loop);
    close(s[0]), close(s[1]);
}

TEST(idle_interest, .id = "4.1.4", .points = 2,
     .title = "an fd watched with interest 0 is never called, even readable; loop_set_interest "
              "turns it on; unwatched fds: loop_set_interest -1, loop_interest 0; loop_watch(-1) "
              "fails",
     .hint = HINT_FD) {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    put_byte(p[1]);
    struct hits h = {0};
    CHECK_INT(loop_watch(loop, p[0], 0, on_fd, &h), 0);
    CHECK_INT(loop_watched(loop), 1);
    CHECK_INT(loop_interest(loop, p[0]), 0);
    CHECK_INT(step(loop, 30), 0);
    expect_calls(&h, 0, "readable, but watched with interest 0");
    CHECK_INT(loop_set_interest(loop, p[0], LOOP_READ), 0);
    CHECK_INT(step(loop, 1000), 1);
    expect_hit(&h, 0, p[0], LOOP_READ, "after loop_set_interest(LOOP_READ)");
    CHECK_INT(loop_set_interest(loop, p[0], 0), 0);
    CHECK_INT(step(loop, 30), 0);
    expect_calls(&h, 1, "interest back to 0");
    CHECK_INT(loop_set_interest(loop, p[1], LOOP_WRITE), -1);
    CHECK_INT(loop_interest(loop, p[1]), 0);
    CHECK_INT(loop_interest(loop, 900), 0);
    CHECK_INT(loop_watch(loop, -1, LOOP_READ, on_fd, &h), -1);
    CHECK_INT(loop_watched(loop), 1);
    loop_free(loop);
    close(p[0]), close(p[1]);
}

TEST(rewatch_replaces, .id = "4.1.5", .points = 1,
     .title = "loop_watch on an fd already watched replaces its interest, callback and arg (still "
              "one fd watched)",
     .hint = HINT_FD) {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    put_byte(p[1]);
    struct hits first = {0}, second = {0};
    CHECK_INT(loop_watch(loop, p[0], 0, on_fd, &first), 0);
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd, &second), 0);
    CHECK_INT(loop_watched(loop), 1);
    CHECK_INT(loop_interest(loop, p[0]), LOOP_READ);
    CHECK_INT(step(loop, 1000), 1);
    expect_calls(&first, 0, "the first registration (replaced)");
    expect_hit(&second, 0, p[0], LOOP_READ, "the second registration");
    loop_free(loop);
    close(p[0]), close(p[1]);
}

TEST(unwatch, .id = "4.1.6", .points = 1,
     .title = "loop_unwatch: the fd is no longer called, loop_watched drops; unwatching twice or "
              "an fd never watched is harmless; it can be watched again",
     .hint = HINT_FD) {
    struct loop *loop = new_loop();
    int a[2], b[2];
    make_pipe(a), make_pipe(b);
    struct hits ha = {0}, hb = {0};
    CHECK_INT(loop_watch(loop, a[0], LOOP_READ, on_fd, &ha), 0);
    CHECK_INT(loop_watch(loop, b[0], LOOP_READ, on_fd, &hb), 0);
    CHECK_INT(loop_watched(loop), 2);
    loop_unwatch(loop, a[0]);
    loop_unwatch(loop, a[0]);
    loop_unwatch(loop, b[1]);
    CHECK_INT(loop_watched(loop), 1);
    CHECK_INT(loop_interest(loop, a[0]), 0);
    put_byte(a[1]), put_byte(b[1]);
    CHECK_INT(step(loop, 1000), 1);
    expect_calls(&ha, 0, "a: unwatched");
    expect_hit(&hb, 0, b[0], LOOP_READ, "b: still watched");
    CHECK_INT(loop_watch(loop, a[0], LOOP_READ, on_fd, &ha), 0);
    CHECK_INT(step(loop, 1000), 2);
    expect_hit(&ha, 0, a[0], LOOP_READ, "a: watched again");
    loop_free(loop);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

/* Two readable fds whose callbacks each unwatch the other one. */
struct rivals {
    struct loop *loop;
    int fd[2];
    int calls[2];
};

static void on_rival(struct loop *loop, int fd, unsigned events, void *arg) {
    struct rivals *r = arg;
    (void)events;
    int me = fd == r->fd[1];
    r->calls[me]++;
    loop_unwatch(loop, r->fd[!me]);
}

TEST(unwatch_in_callback, .id = "4.1.7", .points = 2,
     .title = "two fds ready in the same step, each callback unwatches the other: only the first "
              "runs (readiness already collected is dropped with the watch)",
     .hint = HINT_FD "; loop.h (loop_unwatch: not called again, even for readiness already "
                     "collected); a conn may free another conn from a callback") {
    struct loop *loop = new_loop();
    int a[2], b[2];
    make_pipe(a), make_pipe(b);
    struct rivals r = {.loop = loop, .fd = {a[0], b[0]}};
    CHECK_INT(loop_watch(loop, a[0], LOOP_READ, on_rival, &r), 0);
    CHECK_INT(loop_watch(loop, b[0], LOOP_READ, on_rival, &r), 0);
    put_byte(a[1]), put_byte(b[1]);
    t_note("both pipes readable before the step; calls: a %d, b %d", r.calls[0], r.calls[1]);
    CHECK_INT(step(loop, 1000), 1);
    if (r.calls[0] + r.calls[1] != 1)
        FAILF("expected: one callback (the first unwatches the other)\n     got: a called %d "
              "time(s), b %d",
              r.calls[0], r.calls[1]);
    CHECK_INT(loop_watched(loop), 1);
    loop_free(loop);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

TEST(hangup, .id = "4.1.8", .points = 2,
     .title = "hang-ups and errors: a socket whose peer closed and a pipe with no writer -> "
              "LOOP_READ; a pipe with no reader -> its interest (WRITE, or READ|WRITE); with "
              "interest 0 -> no call",
     .hint = HINT_HUP) {
    struct loop *loop = new_loop();
    int s[2], p[2], q[2], z[2];
    make_socketpair(s), make_pipe(p), make_pipe(q), make_pipe(z);
    close(s[1]), close(p[1]), close(q[0]), close(z[1]);
    struct hits hs = {0}, hp = {0}, hq = {0}, hz = {0};
    CHECK_INT(loop_watch(loop, s[0], LOOP_READ, on_fd, &hs), 0);
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd, &hp), 0);
    CHECK_INT(loop_watch(loop, q[1], LOOP_WRITE, on_fd, &hq), 0);
    CHECK_INT(loop_watch(loop, z[0], 0, on_fd, &hz), 0);
    step(loop, 1000);
    expect_hit(&hs, 0, s[0], LOOP_READ, "a socket whose peer has closed (read returns 0)");
    char c;
    CHECK_INT(read(s[0], &c, 1), 0);
    expect_hit(&hp, 0, p[0], LOOP_READ, "a pipe whose write end is closed (POLLHUP only)");
    expect_hit(&hq, 0, q[1], LOOP_WRITE, "a pipe whose read end is closed (POLLERR)");
    expect_calls(&hz, 0, "a pipe with no writer, watched with interest 0");
    CHECK_INT(loop_set_interest(loop, q[1], LOOP_READ | LOOP_WRITE), 0);
    loop_unwatch(loop, s[0]), loop_unwatch(loop, p[0]);
    step(loop, 1000);
    expect_hit(&hq, 1, q[1], LOOP_READ | LOOP_WRITE,
               "the pipe with no reader, now interested in READ|WRITE (an error is reported as "
               "the interest)");
    expect_calls(&hz, 0, "a pipe with no writer, watched with interest 0");
    loop_free(loop);
    close(s[0]), close(p[0]), close(q[1]), close(z[0]);
}

/* ---- timers ------------------------------------------------------------------------- */

#define MAX_FIRED 512

/* The order in which timers fired: each records its index. */
struct fired {
    int n;
    int who[MAX_FIRED];
    uint64_t now[MAX_FIRED];
};

/* A timer with its index and the log it writes to. */
struct ttimer {
    struct loop_timer t;
    int index;
    struct fired *log;
    struct ttimer *victim; /* stopped by this one's callback, if set */
    int stop_after;        /* a repeating timer stops itself after this many */
    int count;
};

static void on_timer(struct loop *loop, struct loop_timer *t, void *arg) {
    struct ttimer *tt = arg;
    if (t != &tt->t) FAILF("expected: the timer callback's timer argument to be the timer started");
    if (tt->log->n < MAX_FIRED) {
        tt->log->who[tt->log->n] = tt->index;
        tt->log->now[tt->log->n] = loop_now_ms(loop);
    }
    tt->log->n++;
    tt->count++;
    if (tt->victim) loop_timer_stop(loop, &tt->victim->t);
    if (tt->stop_after && tt->count >= tt->stop_after) loop_timer_stop(loop, t);
}

static void start(struct loop *loop, struct ttimer *tt, uint64_t after, uint64_t repeat) {
    if (loop_timer_start(loop, &tt->t, after, repeat, on_timer, tt) != 0)
        FAILF("expected: loop_timer_start to return 0\n     got: -1");
}

/* A heap block holding a timer whose callback frees the block. */
static void on_timer_free(struct loop *loop, struct loop_timer *t, void *arg) {
    (void)loop;
    *(int *)arg += 1;
    free(t);
}

TEST(timer_once, .id = "4.1.9", .points = 2,
     .title = "a 30 ms one-shot timer fires once, not before its due time, with its timer and "
              "arg; then it is inactive, loop_timers is 0 and loop_run returns 0",
     .hint = HINT_TIMER) {
    struct loop *loop = new_loop();
    struct fired log = {0};
    struct ttimer tt = {.index = 1, .log = &log};
    uint64_t t0 = loop_now_ms(loop);
    start(loop, &tt, 30, 0);
    CHECK(loop_timer_active(&tt.t));
    CHECK_INT(loop_timers(loop), 1);
    uint64_t due = tt.t.due_ms;
    if (due < t0 + 30)
        FAILF("expected: due_ms >= loop_now_ms() + 30\n     got: %llu < %llu",
              (unsigned long long)due, (unsigned long long)t0 + 30);
    t_note("a timer in memory the callback frees must not be touched after its callback");
    int freed = 0;
    struct loop_timer *heap_timer = calloc(1, sizeof *heap_timer);
    CHECK_INT(loop_timer_start(loop, heap_timer, 5, 0, on_timer_free, &freed), 0);
    long long wall0 = t_now_ms();
    run(loop);
    CHECK_INT(freed, 1);
    if (log.n != 1) FAILF("expected: the timer to fire once\n     got: %d times", log.n);
    if (log.now[0] < due)
        FAILF("expected: loop_now_ms() in the callback >= the due time %llu\n     got: %llu (fired "
              "early)",
              (unsigned long long)due, (unsigned long long)log.now[0]);
    if (t_now_ms() - wall0 < 25)
        FAILF("expected: the 30 ms timer to fire after about 30 ms\n     got: after %lld ms",
              t_now_ms() - wall0);
    CHECK(!loop_timer_active(&tt.t));
    CHECK_INT(loop_timers(loop), 0);
    loop_free(loop);
    expect_no_leaks("after loop_free");
}

TEST(timer_order, .id = "4.1.10", .points = 3,
     .title = "300 timers with delays 0-40 ms, a third stopped before they fire: the rest fire "
              "once each, by due time, ties in start order (the heap survives removals)",
     .hint = HINT_TIMER "; stopping a timer in the middle of the heap: move the last one into "
                        "its slot, then sift it up or down") {
    struct loop *loop = new_loop();
    enum { N = 300 };
    static struct ttimer tt[N];
    struct fired log = {0};
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        tt[i] = (struct ttimer){.index = i, .log = &log};
        start(loop, &tt[i], (seed >> 16) % 41, 0);
    }
    CHECK_INT(loop_timers(loop), N);
    int expected_n = 0;
    for (int i = 0; i < N; i++) {
        if (i % 3 == 1) {
            loop_timer_stop(loop, &tt[i].t);
            if (loop_timer_active(&tt[i].t))
                FAILF("expected: timer %d inactive after loop_timer_stop\n     got: active", i);
        } else {
            expected_n++;
        }
    }
    CHECK_INT(loop_timers(loop), expected_n);
    run(loop);
    if (log.n != expected_n)
        FAILF("expected: %d timers to fire (100 of 300 were stopped)\n     got: %d", expected_n,
              log.n);
    for (int k = 0; k < log.n; k++) {
        int i = log.who[k];
        if (i % 3 == 1) FAILF("expected: stopped timers never fire\n     got: timer %d fired", i);
        if (k > 0) {
            const struct ttimer *a = &tt[log.who[k - 1]], *b = &tt[i];
            bool in_order =
                a->t.due_ms < b->t.due_ms || (a->t.due_ms == b->t.due_ms && a->index < b->index);
            if (!in_order)
                FAILF("expected: timers in order of due time, then start order\n     got: timer "
                      "%d (due %llu) fired before timer %d (due %llu), firing %d of %d",
                      a->index, (unsigned long long)a->t.due_ms, b->index,
                      (unsigned long long)b->t.due_ms, k, log.n);
        }
    }
    loop_free(loop);
}

TEST(timer_stop, .id = "4.1.11", .points = 2,
     .title = "loop_timer_stop before it fires, and from another timer's callback in the same "
              "pass (both due now): the stopped ones never fire; stopping an idle timer is "
              "harmless",
     .hint = HINT_TIMER "; a timer stopped by a callback of the same pass must not run: take "
                        "timers off the heap one at a time, never collect them all first") {
    struct loop *loop = new_loop();
    struct fired log = {0};
    struct ttimer a = {.index = 1, .log = &log}, b = {.index = 2, .log = &log},
                  c = {.index = 3, .log = &log}, d = {.index = 4, .log = &log},
                  idle = {.index = 5, .log = &log};
    a.victim = &b;
    start(loop, &a, 5, 0);
    start(loop, &b, 5, 0); /* due with a, after it: a stops it */
    start(loop, &c, 10, 0);
    start(loop, &d, 20, 0);
    loop_timer_stop(loop, &c.t);
    loop_timer_stop(loop, &c.t);
    loop_timer_stop(loop, &idle.t);
    CHECK_INT(loop_timers(loop), 3);
    run(loop);
    char got[128] = "";
    for (int k = 0; k < log.n && k < 8; k++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%d", k ? " " : "", log.who[k]);
    if (log.n != 2 || log.who[0] != 1 || log.who[1] != 4)
        FAILF("expected: timers 1 and 4 fire (2 stopped by 1's callback, 3 stopped before)\n     "
              "got: fired in order [%s]",
              got);
    CHECK_INT(loop_timers(loop), 0);
    loop_free(loop);
}

/* A one-shot timer that starts itself again from its callback, twice. */
static void on_rearm(struct loop *loop, struct loop_timer *t, void *arg) {
    int *count = arg;
    if (++*count < 3) loop_timer_start(loop, t, 1, 0, on_rearm, arg);
}

TEST(timer_restart, .id = "4.1.12", .points = 1,
     .title = "restarting a running timer moves it (it fires once, at the new time); a one-shot "
              "timer restarted from its own callback fires again",
     .hint = HINT_TIMER "; loop.h (loop_timer_start on a started timer restarts it)") {
    struct loop *loop = new_loop();
    struct fired log = {0};
    struct ttimer tt = {.index = 1, .log = &log};
    start(loop, &tt, 3000, 0);
    start(loop, &tt, 10, 0);
    CHECK_INT(loop_timers(loop), 1);
    long long t0 = t_now_ms();
    run(loop);
    CHECK_INT(log.n, 1);
    if (t_now_ms() - t0 > 2000)
        FAILF("expected: the restarted timer to fire after 10 ms\n     got: %lld ms",
              t_now_ms() - t0);
    struct loop_timer re = {0};
    int count = 0;
    CHECK_INT(loop_timer_start(loop, &re, 1, 0, on_rearm, &count), 0);
    run(loop);
    CHECK_INT(count, 3);
    CHECK_INT(loop_timers(loop), 0);
    loop_free(loop);
}

TEST(timer_repeat, .id = "4.1.13", .points = 2,
     .title = "a repeating timer (after 1 ms, every 2 ms) fires again and again until its "
              "callback stops it at the fifth; loop_run then returns",
     .hint = HINT_TIMER "; loop.h (repeat_ms; a repeating timer may stop itself from its "
                        "callback: re-arm it before calling back, or check it was not stopped)") {
    struct loop *loop = new_loop();
    struct fired log = {0};
    struct ttimer tt = {.index = 1, .log = &log, .stop_after = 5};
    uint64_t t0 = loop_now_ms(loop);
    start(loop, &tt, 1, 2);
    run(loop);
    if (log.n != 5) FAILF("expected: 5 firings, then the callback stops it\n     got: %d", log.n);
    if (log.now[4] < t0 + 9)
        FAILF("expected: the fifth firing at least 1 + 4 * 2 ms after the start\n     got: %llu "
              "ms",
              (unsigned long long)(log.now[4] - t0));
    CHECK(!loop_timer_active(&tt.t));
    CHECK_INT(loop_timers(loop), 0);
    loop_free(loop);
}

/* Starts a 0 ms timer from an fd callback. */
struct zero_from_fd {
    struct ttimer tt;
    int fd_calls;
};

static void on_fd_start_zero(struct loop *loop, int fd, unsigned events, void *arg) {
    struct zero_from_fd *z = arg;
    (void)events;
    z->fd_calls++;
    loop_unwatch(loop, fd);
    start(loop, &z->tt, 0, 0);
}

TEST(timer_zero, .id = "4.1.14", .points = 2,
     .title = "a 0 ms timer runs in this step's timer pass: started before a step it fires "
              "without waiting for the step's timeout; started by an fd callback it fires in the "
              "same step",
     .hint = HINT_TIMER "; loop.h (after_ms 0: in this iteration's timer pass; the wait is no "
                        "longer than the next timer)") {
    struct loop *loop = new_loop();
    struct fired log = {0};
    struct ttimer tt = {.index = 1, .log = &log};
    start(loop, &tt, 0, 0);
    long long t0 = t_now_ms();
    CHECK_INT(step(loop, 2000), 1);
    CHECK_INT(log.n, 1);
    if (t_now_ms() - t0 > 1000)
        FAILF("expected: a due timer to cut the wait short\n     got: the step took %lld ms",
              t_now_ms() - t0);
    int p[2];
    make_pipe(p);
    put_byte(p[1]);
    struct zero_from_fd z = {.tt = {.index = 2, .log = &log}};
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd_start_zero, &z), 0);
    int r = step(loop, 1000);
    CHECK_INT(z.fd_calls, 1);
    if (log.n != 2 || r != 2)
        FAILF("expected: the fd callback and the 0 ms timer it started, in one step (returns "
              "2)\n     got: %d timer firing(s) in all, the step returned %d",
              log.n, r);
    loop_free(loop);
    close(p[0]), close(p[1]);
}

TEST(timer_count, .id = "4.1.15", .points = 1,
     .title = "loop_timers and loop_timer_active follow starts, firings and stops; a zeroed "
              "timer is inactive",
     .hint = HINT_TIMER) {
    struct loop *loop = new_loop();
    struct fired log = {0};
    struct ttimer a = {.index = 1, .log = &log}, b = {.index = 2, .log = &log},
                  c = {.index = 3, .log = &log};
    CHECK(!loop_timer_active(&a.t));
    start(loop, &a, 0, 0);
    start(loop, &b, 60000, 0);
    start(loop, &c, 60000, 0);
    CHECK_INT(loop_timers(loop), 3);
    CHECK(loop_timer_active(&a.t) && loop_timer_active(&b.t) && loop_timer_active(&c.t));
    step(loop, 0);
    CHECK_INT(log.n, 1);
    CHECK(!loop_timer_active(&a.t));
    CHECK_INT(loop_timers(loop), 2);
    loop_timer_stop(loop, &b.t);
    CHECK(!loop_timer_active(&b.t));
    CHECK_INT(loop_timers(loop), 1);
    loop_timer_stop(loop, &c.t);
    CHECK_INT(loop_timers(loop), 0);
    loop_free(loop);
}

/* ---- tasks -------------------------------------------------------------------------- */

struct ttask {
    struct loop_task task;
    int runs;
    struct ttask *next_to_queue; /* queued by this one's callback */
    long long ran_at;
};

static void on_task(struct loop *loop, struct loop_task *task, void *arg) {
    struct ttask *t = arg;
    if (task != &t->task) FAILF("expected: the task callback's task argument to be the task");
    t->runs++;
    t->ran_at = t_now_ms();
    if (t->next_to_queue) loop_defer(loop, &t->next_to_queue->task, on_task, t->next_to_queue);
}

TEST(tasks, .id = "4.1.16", .points = 2,
     .title = "loop_defer: a task runs once in the next step, even if queued twice; a task "
              "queued by a task runs in the same pass; a cancelled task never runs",
     .hint = HINT_TASK) {
    struct loop *loop = new_loop();
    struct ttask a = {0}, b = {0}, c = {0}, d = {0};
    a.next_to_queue = &b;
    loop_defer(loop, &a.task, on_task, &a);
    loop_defer(loop, &a.task, on_task, &a);
    loop_defer(loop, &c.task, on_task, &c);
    loop_cancel(loop, &c.task);
    loop_cancel(loop, &c.task);
    loop_cancel(loop, &d.task);
    step(loop, 0);
    if (a.runs != 1) FAILF("expected: a task queued twice runs once\n     got: %d runs", a.runs);
    if (b.runs != 1)
        FAILF("expected: a task queued by a task runs in the same pass\n     got: %d runs after "
              "one step",
              b.runs);
    CHECK_INT(c.runs, 0);
    step(loop, 0);
    CHECK_INT(a.runs, 1);
    CHECK_INT(b.runs, 1);
    loop_defer(loop, &a.task, on_task, &a);
    a.next_to_queue = NULL;
    step(loop, 0);
    if (a.runs != 2) FAILF("expected: a task runs again when queued again\n     got: %d", a.runs);
    loop_free(loop);
}

/* An fd callback that defers a task and stops watching. */
struct defer_from_fd {
    struct ttask t;
    struct loop_timer guard;
};

static void on_guard(struct loop *loop, struct loop_timer *t, void *arg) {
    (void)t, (void)arg;
    loop_stop(loop);
}

static void on_task_stop_guard(struct loop *loop, struct loop_task *task, void *arg) {
    struct defer_from_fd *d = arg;
    on_task(loop, task, &d->t);
    loop_timer_stop(loop, &d->guard);
}

static void on_fd_defer(struct loop *loop, int fd, unsigned events, void *arg) {
    struct defer_from_fd *d = arg;
    (void)events;
    loop_unwatch(loop, fd);
    loop_defer(loop, &d->t.task, on_task_stop_guard, d);
}

TEST(task_before_wait, .id = "4.1.17", .points = 2,
     .title = "a task deferred by an fd callback runs before the loop waits again (not after a "
              "3 s timer); once it has run and stopped the timer, loop_run returns",
     .hint = HINT_TASK "; this is how conn flushes everything written during an iteration once, "
                       "before poll()") {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    put_byte(p[1]);
    struct defer_from_fd d = {0};
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd_defer, &d), 0);
    CHECK_INT(loop_timer_start(loop, &d.guard, 3000, 0, on_guard, NULL), 0);
    long long t0 = t_now_ms();
    run(loop);
    if (d.t.runs != 1)
        FAILF("expected: the deferred task to run once\n     got: %d runs", d.t.runs);
    if (d.t.ran_at - t0 > 1500)
        FAILF("expected: the task to run before the loop waits again\n     got: it ran after "
              "%lld ms (after the wait for the 3 s timer?)",
              d.t.ran_at - t0);
    loop_free(loop);
    close(p[0]), close(p[1]);
}

/* ---- running ------------------------------------------------------------------------ */

TEST(run_until_empty, .id = "4.1.18", .points = 1,
     .title = "loop_run returns 0 when nothing can call back: fds watched with interest 0 only, "
              "after the last timer fired, after the last task ran",
     .hint = HINT_RUN) {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    struct hits h = {0};
    CHECK_INT(loop_watch(loop, p[0], 0, on_fd, &h), 0);
    t_note("one fd watched with interest 0, nothing else");
    run(loop);
    struct fired log = {0};
    struct ttimer tt = {.index = 1, .log = &log};
    start(loop, &tt, 2, 0);
    t_note("then: and a 2 ms timer");
    run(loop);
    CHECK_INT(log.n, 1);
    struct ttask task = {0};
    loop_defer(loop, &task.task, on_task, &task);
    t_note("then: and a task");
    run(loop);
    CHECK_INT(task.runs, 1);
    CHECK_INT(loop_watched(loop), 1);
    loop_free(loop);
    close(p[0]), close(p[1]);
}

/* Calls loop_stop on the n-th call. */
struct stopper {
    int calls, stop_at;
};

static void on_fd_stop(struct loop *loop, int fd, unsigned events, void *arg) {
    struct stopper *s = arg;
    (void)fd, (void)events;
    if (++s->calls == s->stop_at) loop_stop(loop);
}

TEST(stop, .id = "4.1.19", .points = 2,
     .title = "loop_stop from a callback ends loop_run after that iteration (an fd that stays "
              "readable is called exactly 3 times); a second loop_run runs again",
     .hint = HINT_RUN "; loop.h (loop_stop: at the end of this iteration; clear the flag when "
                      "loop_run starts)") {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    put_byte(p[1]); /* never read: readable forever */
    struct stopper s = {.stop_at = 3};
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd_stop, &s), 0);
    run(loop);
    if (s.calls != 3)
        FAILF("expected: loop_run to return after the call that stopped it (3)\n     got: %d "
              "calls",
              s.calls);
    s.stop_at = 6;
    run(loop);
    if (s.calls != 6)
        FAILF("expected: a second loop_run to run until the next loop_stop (call 6)\n     got: "
              "%d calls",
              s.calls);
    loop_free(loop);
    close(p[0]), close(p[1]);
}

static uint64_t monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Checks loop_now_ms inside a callback that takes 20 ms. */
struct clock_check {
    uint64_t before, after, updated, mono;
};

static void on_timer_clock(struct loop *loop, struct loop_timer *t, void *arg) {
    struct clock_check *c = arg;
    (void)t;
    c->before = loop_now_ms(loop);
    nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL); /* a long computation */
    c->after = loop_now_ms(loop);
    loop_update_time(loop);
    c->updated = loop_now_ms(loop);
    c->mono = monotonic_ms();
}

TEST(now, .id = "4.1.20", .points = 2,
     .title = "loop_now_ms is CLOCK_MONOTONIC in ms, the same throughout a callback (even one "
              "that takes 20 ms), and re-read by loop_update_time; it never goes back",
     .hint = HINT_RUN "; loop.h (loop_now_ms: read once per iteration; man 3 clock_gettime)") {
    struct loop *loop = new_loop();
    struct clock_check c = {0};
    struct loop_timer t = {0};
    uint64_t first = loop_now_ms(loop);
    CHECK_INT(loop_timer_start(loop, &t, 0, 0, on_timer_clock, &c), 0);
    run(loop);
    if (c.after != c.before)
        FAILF("expected: loop_now_ms() unchanged within one callback\n     got: %llu, then %llu "
              "20 ms later",
              (unsigned long long)c.before, (unsigned long long)c.after);
    if (c.updated < c.before + 19)
        FAILF("expected: loop_update_time() to read the clock again (>= %llu)\n     got: %llu",
              (unsigned long long)c.before + 19, (unsigned long long)c.updated);
    if (c.updated + 50 < c.mono || c.updated > c.mono + 50)
        FAILF("expected: loop_now_ms() within 50 ms of CLOCK_MONOTONIC in ms (%llu)\n     got: "
              "%llu",
              (unsigned long long)c.mono, (unsigned long long)c.updated);
    CHECK(c.before >= first);
    loop_free(loop);
}

/* ---- the backend -------------------------------------------------------------------- */

/* Calls the backend's wait and fails if it reports an error. */
static int bwait(void *st, int timeout_ms, struct loop_ready *ready, int max) {
    t_waiting("loop_poll_backend.wait(state, %d, ready, %d)", timeout_ms, max);
    int n = loop_poll_backend.wait(st, timeout_ms, ready, max);
    if (n < 0) FAILF("expected: loop_poll_backend.wait to succeed\n     got: -1");
    return n;
}

/* The events reported for fd in ready[0..n), or -1 if it is not there. */
static int reported(const struct loop_ready *ready, int n, int fd) {
    int found = -1;
    for (int i = 0; i < n; i++)
        if (ready[i].fd == fd) {
            if (found >= 0) FAILF("expected: each fd reported once\n     got: fd %d twice", fd);
            found = (int)ready[i].events;
        }
    return found;
}

TEST(backend, .id = "4.1.21", .points = 3,
     .title = "the poll backend on its own: add/modify/remove/wait report exactly the ready fds "
              "and their events, respect max, time out (a hung-up fd with interest 0 does not "
              "wake it); 40 fds with every other removed still map right",
     .hint = HINT_BACKEND) {
    const struct loop_backend *b = &loop_poll_backend;
    void *st = b->create();
    if (!st) FAILF("expected: loop_poll_backend.create() to return its state\n     got: NULL");
    int p[2], q[2], s[2];
    make_pipe(p), make_pipe(q), make_socketpair(s);
    put_byte(p[1]);
    CHECK_INT(b->add(st, p[0], LOOP_READ), 0);
    CHECK_INT(b->add(st, q[0], LOOP_READ), 0);
    CHECK_INT(b->add(st, s[0], LOOP_WRITE), 0);
    struct loop_ready ready[64];
    int n = bwait(st, 1000, ready, 64);
    t_note("p readable, q empty, s writable");
    CHECK_INT(n, 2);
    CHECK_INT(reported(ready, n, p[0]), LOOP_READ);
    CHECK_INT(reported(ready, n, s[0]), LOOP_WRITE);
    CHECK_INT(reported(ready, n, q[0]), -1);
    t_note("max = 1: at most one stored");
    CHECK_INT(bwait(st, 0, ready, 1), 1);
    CHECK_INT(b->modify(st, p[0], 0), 0);
    CHECK_INT(b->modify(st, s[0], LOOP_READ), 0);
    int z[2];
    make_pipe(z);
    close(z[1]);
    CHECK_INT(b->add(st, z[0], LOOP_READ), 0);
    CHECK_INT(b->modify(st, z[0], 0), 0);
    t_note("p modified to interest 0, s to LOOP_READ (nothing to read), z (a pipe with no "
           "writer: POLLHUP) added, then modified to interest 0: nothing ready; a 30 ms wait "
           "times out");
    long long t0 = t_now_ms();
    CHECK_INT(bwait(st, 30, ready, 64), 0);
    if (t_now_ms() - t0 < 20)
        FAILF("expected: wait(30) to wait\n     got: returned at once (poll reports a hang-up "
              "even when no events are asked for: an entry with interest 0 must be left out, "
              "e.g. with a negative fd)");
    b->remove(st, z[0]);
    close(z[0]);
    put_byte(q[1]);
    n = bwait(st, 1000, ready, 64);
    CHECK_INT(n, 1);
    CHECK_INT(reported(ready, n, q[0]), LOOP_READ);
    b->remove(st, q[0]);
    CHECK_INT(b->modify(st, p[0], LOOP_READ), 0);
    n = bwait(st, 1000, ready, 64);
    t_note("q removed, p back to LOOP_READ");
    CHECK_INT(n, 1);
    CHECK_INT(reported(ready, n, p[0]), LOOP_READ);
    b->remove(st, p[0]);
    b->remove(st, s[0]);
    enum { M = 40 };
    int many[M][2];
    for (int i = 0; i < M; i++) {
        make_pipe(many[i]);
        put_byte(many[i][1]);
        CHECK_INT(b->add(st, many[i][0], LOOP_READ), 0);
    }
    for (int i = 0; i < M; i += 2) b->remove(st, many[i][0]);
    n = bwait(st, 1000, ready, 64);
    t_note("40 readable pipes added, the even ones removed");
    CHECK_INT(n, M / 2);
    for (int i = 0; i < M; i++)
        if (reported(ready, n, many[i][0]) != (i % 2 ? (int)LOOP_READ : -1))
            FAILF("expected: pipe %d (fd %d) %s\n     got: the opposite", i, many[i][0],
                  i % 2 ? "reported readable" : "not reported (removed)");
    for (int i = 1; i < M; i += 2) CHECK_INT(b->modify(st, many[i][0], LOOP_READ), 0);
    b->destroy(st);
    for (int i = 0; i < M; i++) close(many[i][0]), close(many[i][1]);
    close(p[0]), close(p[1]), close(q[0]), close(q[1]), close(s[0]), close(s[1]);
    expect_no_leaks("after destroy");
}

/* An fd callback that drains what it can read and counts. */
static void on_fd_drain(struct loop *loop, int fd, unsigned events, void *arg) {
    char buf[64];
    (void)loop, (void)events;
    while (read(fd, buf, sizeof buf) > 0) continue;
    ((struct hits *)arg)->n++;
}

TEST(many_fds, .id = "4.1.22", .points = 2,
     .title = "200 socket pairs: exactly the ones written to are called, each with its own arg; "
              "after unwatching every other one, only the rest",
     .hint = HINT_FD "; " HINT_BACKEND) {
    raise_fd_limit();
    struct loop *loop = new_loop();
    enum { N = 200 };
    static int s[N][2];
    static struct hits h[N];
    for (int i = 0; i < N; i++) {
        make_socketpair(s[i]);
        CHECK_INT(loop_watch(loop, s[i][0], LOOP_READ, on_fd_drain, &h[i]), 0);
    }
    CHECK_INT(loop_watched(loop), N);
    for (int round = 0; round < 2; round++) {
        int want = 0;
        for (int i = 0; i < N; i++) {
            h[i].n = 0;
            if (round == 1 || i % 3 == 0) put_byte(s[i][1]);
            want += round == 0 ? i % 3 == 0 : i % 2 == 1;
        }
        int got = 0;
        for (int k = 0; k < 20 && got < want; k++) got += step(loop, k == 0 ? 1000 : 0);
        for (int i = 0; i < N; i++) {
            bool wanted = round == 0 ? i % 3 == 0 : i % 2 == 1;
            if (h[i].n != (wanted ? 1 : 0))
                FAILF("expected: pair %d (fd %d) called %d time(s) (round %d: %s)\n     got: %d", i,
                      s[i][0], wanted, round + 1,
                      round == 0 ? "every third written to" : "all written to, even ones unwatched",
                      h[i].n);
        }
        if (round == 0) {
            for (int i = 0; i < N; i += 2) loop_unwatch(loop, s[i][0]);
            CHECK_INT(loop_watched(loop), N / 2);
        }
    }
    loop_free(loop);
    for (int i = 0; i < N; i++) close(s[i][0]), close(s[i][1]);
}

/* ---- tasks queued during an iteration ----------------------------------------------- */

/* An fd callback that stops watching and queues the task it was given. */
static void on_fd_queue(struct loop *loop, int fd, unsigned events, void *arg) {
    struct ttask *t = arg;
    (void)events;
    loop_unwatch(loop, fd);
    loop_defer(loop, &t->task, on_task, t);
}

TEST(tasks_in_same_step, .id = "4.1.23", .points = 2,
     .title = "one loop_run_once: an fd callback queues task a, a queues task b; when it returns "
              "both have run, once each (not left for the next iteration)",
     .hint = HINT_TASK "; loop.h (loop_run_once \"ends with the tasks its callbacks queued\": "
                       "run the queue until it is empty, not only what it held when the pass "
                       "began); a program that owns its main loop may wait on its own after "
                       "loop_run_once, and conn's flush must be out by then") {
    struct loop *loop = new_loop();
    int p[2];
    make_pipe(p);
    put_byte(p[1]);
    struct ttask a = {0}, b = {0};
    a.next_to_queue = &b;
    CHECK_INT(loop_watch(loop, p[0], LOOP_READ, on_fd_queue, &a), 0);
    CHECK_INT(step(loop, 0), 1);
    if (a.runs != 1 || b.runs != 1)
        FAILF("expected: after one loop_run_once(loop, 0), task a (queued by the fd callback) "
              "and task b (queued by a) run once each\n     got: a ran %d time(s), b %d",
              a.runs, b.runs);
    CHECK_INT(step(loop, 0), 0);
    CHECK_INT(a.runs, 1);
    CHECK_INT(b.runs, 1);
    loop_free(loop);
    close(p[0]), close(p[1]);
}
