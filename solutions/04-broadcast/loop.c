/*
 * loop — one thread, many descriptors: the event loop (see loop.h).
 *
 * Three kinds of things call back, each kept in the structure that suits
 * how it is looked up:
 *
 *   descriptors  a table indexed by the fd itself: the kernel hands out the
 *                lowest free number, so the table stays dense and every
 *                lookup is one array access
 *   timers       a binary min-heap of the caller's struct loop_timer,
 *                ordered by (due time, start order): the next one due is
 *                always heap[1], and starting or stopping one is O(log n)
 *   tasks        a FIFO list threaded through the caller's struct
 *                loop_task: queuing and cancelling are O(1), and nothing is
 *                allocated
 *
 * The heap lives in an array, 1-indexed so that the arithmetic is short:
 *
 *            heap[1]             the children of heap[i] are heap[2i] and
 *           /       \            heap[2i+1], its parent heap[i/2]; every
 *      heap[2]     heap[3]       timer is due no later than its children;
 *      /    \                    timer->slot is where the timer is, so
 *   heap[4] heap[5]              stopping one needs no search
 *
 * One iteration runs the deferred tasks, waits (no longer than until the
 * next timer), calls back the ready descriptors, runs the due timers, and
 * runs the tasks those queued, so that none is left behind when the loop
 * stops.
 *
 * Readiness is collected first and dispatched after. A callback may unwatch
 * (and close) any descriptor, even one further down the list, or change its
 * interest, so every entry is checked against the table just before its
 * call. (If a callback closes a descriptor and the next accept() gets the
 * same number, the new one may be called for the old one's readiness: a
 * read that finds nothing says EAGAIN, which every callback tolerates.)
 *
 * Lab 4, task 1. Read: TUTORIAL §4.1–§4.4; man 2 poll, man 2 clock_gettime.
 */
#include "loop.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIRST_FDS    64 /* first sizes of the growing arrays */
#define FIRST_READY  64
#define FIRST_TIMERS 16

/* What the loop knows of one descriptor. */
struct watch {
    loop_fd_fn fn;
    void *arg;
    unsigned interest;
    bool watched;
    bool in_backend; /* added to the backend (it is, once it has had an interest) */
};

struct loop {
    const struct loop_backend *backend;
    void *state; /* the backend's */

    struct watch *fds; /* indexed by fd */
    size_t fds_cap;
    size_t watched;    /* descriptors watched */
    size_t interested; /* ... with a non-zero interest */

    struct loop_ready *ready; /* one wait's readiness */
    size_t ready_cap;

    struct loop_timer **heap; /* heap[1..timers]; heap[0] unused */
    size_t timers, heap_cap;
    uint64_t last_order; /* the order given to the last timer started */

    struct loop_task *first, *last; /* deferred tasks, oldest first */

    uint64_t now_ms;
    bool stopping;
};

static uint64_t add_ms(uint64_t a, uint64_t b) {
    return b > UINT64_MAX - a ? UINT64_MAX : a + b; /* "never" rather than the past */
}

/* ---- descriptors ----------------------------------------------------------------- */

static struct watch *watch_of(const struct loop *loop, int fd) {
    if (fd < 0 || (size_t)fd >= loop->fds_cap || !loop->fds[fd].watched) return NULL;
    return &loop->fds[fd];
}

/* Makes the table long enough for fd (doubling it), new entries unwatched. */
static int reserve_fd(struct loop *loop, int fd) {
    size_t need = (size_t)fd + 1;
    if (need <= loop->fds_cap) return 0;
    size_t cap = loop->fds_cap > 0 ? loop->fds_cap : FIRST_FDS;
    while (cap < need) cap *= 2;
    struct watch *fds = realloc(loop->fds, cap * sizeof *fds);
    if (fds == NULL) return -1;
    memset(fds + loop->fds_cap, 0, (cap - loop->fds_cap) * sizeof *fds);
    loop->fds = fds;
    loop->fds_cap = cap;
    return 0;
}

/* Gives fd (watched as w) a new interest, telling the backend: add the
 * first time there is an interest, modify after that. */
static int change_interest(struct loop *loop, int fd, struct watch *w, unsigned interest) {
    interest &= LOOP_READ | LOOP_WRITE;
    if (w->in_backend) {
        if (interest != w->interest && loop->backend->modify(loop->state, fd, interest) < 0)
            return -1;
    } else if (interest != 0) {
        if (loop->backend->add(loop->state, fd, interest) < 0) return -1;
        w->in_backend = true;
    }
    if (w->interest == 0 && interest != 0) loop->interested++;
    if (w->interest != 0 && interest == 0) loop->interested--;
    w->interest = interest;
    return 0;
}

int loop_watch(struct loop *loop, int fd, unsigned interest, loop_fd_fn fn, void *arg) {
    if (fd < 0 || reserve_fd(loop, fd) < 0) return -1;
    struct watch *w = &loop->fds[fd];
    if (change_interest(loop, fd, w, interest) < 0) return -1;
    if (!w->watched) loop->watched++;
    w->watched = true;
    w->fn = fn;
    w->arg = arg;
    return 0;
}

int loop_set_interest(struct loop *loop, int fd, unsigned interest) {
    struct watch *w = watch_of(loop, fd);
    return w != NULL ? change_interest(loop, fd, w, interest) : -1;
}

unsigned loop_interest(const struct loop *loop, int fd) {
    const struct watch *w = watch_of(loop, fd);
    return w != NULL ? w->interest : 0;
}

void loop_unwatch(struct loop *loop, int fd) {
    struct watch *w = watch_of(loop, fd);
    if (w == NULL) return;
    if (w->in_backend) loop->backend->remove(loop->state, fd);
    if (w->interest != 0) loop->interested--;
    loop->watched--;
    memset(w, 0, sizeof *w);
}

size_t loop_watched(const struct loop *loop) {
    return loop->watched;
}

/* Room for every watched descriptor to be ready at once. If memory runs
 * out, a wait reports fewer, and the rest are still ready at the next. */
static void reserve_ready(struct loop *loop) {
    if (loop->watched <= loop->ready_cap) return;
    size_t cap = loop->ready_cap;
    while (cap < loop->watched) cap *= 2;
    struct loop_ready *ready = realloc(loop->ready, cap * sizeof *ready);
    if (ready == NULL) return;
    loop->ready = ready;
    loop->ready_cap = cap;
}

/* Calls back the n descriptors of loop->ready that are still watched, with
 * the events still of interest. */
static int dispatch(struct loop *loop, int n) {
    int calls = 0;
    for (int i = 0; i < n; i++) {
        int fd = loop->ready[i].fd;
        const struct watch *w = watch_of(loop, fd);
        if (w == NULL) continue; /* unwatched by an earlier callback */
        unsigned events = loop->ready[i].events & w->interest;
        if (events == 0) continue;
        w->fn(loop, fd, events, w->arg); /* w may move: the table can grow */
        calls++;
    }
    return calls;
}

/* ---- timers ---------------------------------------------------------------------- */

static bool earlier(const struct loop_timer *a, const struct loop_timer *b) {
    if (a->due_ms != b->due_ms) return a->due_ms < b->due_ms;
    return a->order < b->order;
}

static void place(struct loop *loop, size_t slot, struct loop_timer *t) {
    loop->heap[slot] = t;
    t->slot = slot;
}

/* Moves the timer at slot up while it is due before its parent. */
static void sift_up(struct loop *loop, size_t slot) {
    struct loop_timer *t = loop->heap[slot];
    while (slot > 1 && earlier(t, loop->heap[slot / 2])) {
        place(loop, slot, loop->heap[slot / 2]);
        slot /= 2;
    }
    place(loop, slot, t);
}

/* Moves the timer at slot down while a child is due before it. */
static void sift_down(struct loop *loop, size_t slot) {
    struct loop_timer *t = loop->heap[slot];
    for (;;) {
        size_t child = 2 * slot;
        if (child > loop->timers) break;
        if (child < loop->timers && earlier(loop->heap[child + 1], loop->heap[child])) child++;
        if (!earlier(loop->heap[child], t)) break;
        place(loop, slot, loop->heap[child]);
        slot = child;
    }
    place(loop, slot, t);
}

/* Room for one more timer (heap[0] is unused). */
static int reserve_timer(struct loop *loop) {
    if (loop->timers + 1 < loop->heap_cap) return 0;
    size_t cap = loop->heap_cap > 0 ? 2 * loop->heap_cap : FIRST_TIMERS;
    struct loop_timer **heap = realloc(loop->heap, cap * sizeof *heap);
    if (heap == NULL) return -1;
    loop->heap = heap;
    loop->heap_cap = cap;
    return 0;
}

/* Is t in this loop's heap? (A timer that was never zeroed may hold any
 * slot: only the heap itself can say.) */
static bool in_heap(const struct loop *loop, const struct loop_timer *t) {
    return t->slot >= 1 && t->slot <= loop->timers && loop->heap[t->slot] == t;
}

int loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t after_ms,
                     uint64_t repeat_ms, loop_timer_fn fn, void *arg) {
    if (reserve_timer(loop) < 0) return -1;
    loop_timer_stop(loop, timer);
    timer->due_ms = add_ms(loop->now_ms, after_ms);
    timer->repeat_ms = repeat_ms;
    timer->fn = fn;
    timer->arg = arg;
    timer->order = ++loop->last_order;
    place(loop, ++loop->timers, timer);
    sift_up(loop, loop->timers);
    return 0;
}

/* The last timer fills the hole, then moves up or down to where it
 * belongs (only one of the two moves it). */
void loop_timer_stop(struct loop *loop, struct loop_timer *timer) {
    if (!in_heap(loop, timer)) {
        timer->slot = 0;
        return;
    }
    size_t slot = timer->slot;
    struct loop_timer *last = loop->heap[loop->timers--];
    timer->slot = 0;
    if (last == timer) return;
    place(loop, slot, last);
    sift_up(loop, slot);
    sift_down(loop, last->slot);
}

bool loop_timer_active(const struct loop_timer *timer) {
    return timer->slot != 0;
}

size_t loop_timers(const struct loop *loop) {
    return loop->timers;
}

/* Runs the timers that are due, earliest first. A repeating timer is put
 * back before its callback (which may stop it), due one period after it
 * was due, so that lateness does not add up; but one late by more than a
 * period fires once, not once per period missed. Timers started during the
 * pass wait for the next one: a timer that restarts itself with 0 cannot
 * keep the loop here forever. */
static int run_timers(struct loop *loop) {
    uint64_t last_before = loop->last_order;
    int calls = 0;
    while (loop->timers > 0) {
        struct loop_timer *t = loop->heap[1];
        if (t->due_ms > loop->now_ms || t->order > last_before) break;
        if (t->repeat_ms > 0) {
            t->due_ms = add_ms(t->due_ms, t->repeat_ms);
            if (t->due_ms <= loop->now_ms) t->due_ms = add_ms(loop->now_ms, t->repeat_ms);
            t->order = ++loop->last_order;
            sift_down(loop, 1);
        } else {
            loop_timer_stop(loop, t);
        }
        t->fn(loop, t, t->arg); /* t may be freed by its callback: not touched after */
        calls++;
    }
    return calls;
}

/* How long a wait may last: until the next timer, and no more than
 * timeout_ms (-1: no limit). Not at all once loop_stop() was called, nor
 * when nothing could end the wait (no interest, no timer). */
static int wait_timeout(const struct loop *loop, int timeout_ms) {
    if (loop->stopping || (loop->interested == 0 && loop->timers == 0)) return 0;
    if (loop->timers == 0) return timeout_ms;
    uint64_t due = loop->heap[1]->due_ms;
    uint64_t until = due > loop->now_ms ? due - loop->now_ms : 0;
    if (until > INT_MAX) until = INT_MAX;
    if (timeout_ms >= 0 && (uint64_t)timeout_ms < until) return timeout_ms;
    return (int)until;
}

/* ---- deferred tasks --------------------------------------------------------------- */

void loop_defer(struct loop *loop, struct loop_task *task, loop_task_fn fn, void *arg) {
    if (task->queued) return;
    task->fn = fn;
    task->arg = arg;
    task->prev = loop->last;
    task->next = NULL;
    if (loop->last != NULL)
        loop->last->next = task;
    else
        loop->first = task;
    loop->last = task;
    task->queued = true;
}

void loop_cancel(struct loop *loop, struct loop_task *task) {
    if (!task->queued) return;
    if (task->prev != NULL)
        task->prev->next = task->next;
    else
        loop->first = task->next;
    if (task->next != NULL)
        task->next->prev = task->prev;
    else
        loop->last = task->prev;
    task->prev = task->next = NULL;
    task->queued = false;
}

/* Runs the queue until it is empty, tasks queued meanwhile included. Each
 * task leaves the queue before it runs, so that it may queue itself again,
 * or free itself. */
static void run_tasks(struct loop *loop) {
    while (loop->first != NULL) {
        struct loop_task *task = loop->first;
        loop_cancel(loop, task);
        task->fn(loop, task, task->arg);
    }
}

/* ---- running ------------------------------------------------------------------------ */

struct loop *loop_new(const struct loop_backend *backend) {
    struct loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL) return NULL;
    loop->backend = backend != NULL ? backend : &loop_poll_backend;
    loop->state = loop->backend->create();
    loop->ready = malloc(FIRST_READY * sizeof *loop->ready);
    loop->ready_cap = FIRST_READY;
    if (loop->state == NULL || loop->ready == NULL) {
        loop_free(loop);
        return NULL;
    }
    loop_update_time(loop);
    return loop;
}

void loop_free(struct loop *loop) {
    if (loop == NULL) return;
    if (loop->state != NULL) loop->backend->destroy(loop->state);
    free(loop->fds);
    free(loop->ready);
    free(loop->heap);
    free(loop);
}

const char *loop_backend_name(const struct loop *loop) {
    return loop->backend->name;
}

int loop_run_once(struct loop *loop, int timeout_ms) {
    run_tasks(loop);
    loop_update_time(loop);
    reserve_ready(loop);
    int max = loop->ready_cap < INT_MAX ? (int)loop->ready_cap : INT_MAX;
    int n = loop->backend->wait(loop->state, wait_timeout(loop, timeout_ms), loop->ready, max);
    if (n < 0) return -1;
    loop_update_time(loop);
    int calls = dispatch(loop, n);
    calls += run_timers(loop);
    run_tasks(loop);
    return calls;
}

int loop_run(struct loop *loop) {
    int result = 0;
    while (!loop->stopping && (loop->interested > 0 || loop->timers > 0 || loop->first != NULL)) {
        if (loop_run_once(loop, -1) < 0) {
            result = -1;
            break;
        }
    }
    loop->stopping = false; /* the loop may be run again */
    return result;
}

void loop_stop(struct loop *loop) {
    loop->stopping = true;
}

uint64_t loop_now_ms(const struct loop *loop) {
    return loop->now_ms;
}

/* CLOCK_MONOTONIC counts from an arbitrary start (often the boot) and never
 * jumps: only differences between its readings mean anything. */
void loop_update_time(struct loop *loop) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    loop->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
