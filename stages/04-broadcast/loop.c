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

/* ---- descriptors ----------------------------------------------------------------- */

static struct watch *watch_of(const struct loop *loop, int fd) {
    if (fd < 0 || (size_t)fd >= loop->fds_cap || !loop->fds[fd].watched) return NULL;
    return &loop->fds[fd];
}

int loop_watch(struct loop *loop, int fd, unsigned interest, loop_fd_fn fn, void *arg) {
    /* TODO(handout step 1.1): the fd table. -1 if fd < 0. Grow loop->fds
     * (realloc, doubling from FIRST_FDS) until fds[fd] exists, zeroing the
     * new entries: the kernel hands out the lowest free numbers, so a table
     * indexed by fd stays dense. Then tell the backend: add() the first time
     * the fd has a non-zero interest (never add with 0: an fd watched with 0
     * is only in the table), modify() once it has been added (remember which
     * in in_backend); if the backend refuses, return -1 and leave the entry
     * as it was. Watching an fd already watched replaces its interest, fn and
     * arg. Keep loop->watched and loop->interested (fds with an interest)
     * right: loop_run() stops when nothing is interested in anything.
     * TUTORIAL §4.4. */
    (void)loop;
    (void)fd;
    (void)interest;
    (void)fn;
    (void)arg;
    return -1;
}

int loop_set_interest(struct loop *loop, int fd, unsigned interest) {
    /* TODO(handout step 1.1): -1 if fd is not watched (watch_of); else as
     * in loop_watch — add() or modify() as needed, then the new interest and
     * the counts. Share that part with loop_watch in a helper of yours. */
    (void)loop;
    (void)fd;
    (void)interest;
    return -1;
}

unsigned loop_interest(const struct loop *loop, int fd) {
    const struct watch *w = watch_of(loop, fd);
    return w != NULL ? w->interest : 0;
}

void loop_unwatch(struct loop *loop, int fd) {
    /* TODO(handout step 1.1): nothing if fd is not watched. Else remove()
     * it from the backend if it was added, fix the counts, and zero the
     * entry: its callback must never be called again, not even for
     * readiness already collected in this iteration (step 1.3 checks the
     * table before each call). */
    (void)loop;
    (void)fd;
}

size_t loop_watched(const struct loop *loop) {
    return loop->watched;
}

/* ---- timers ---------------------------------------------------------------------- */

int loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t after_ms,
                     uint64_t repeat_ms, loop_timer_fn fn, void *arg) {
    /* TODO(handout step 1.4): a binary min-heap of timer pointers in
     * loop->heap[1..timers] (heap[0] unused: the children of slot i are 2i
     * and 2i+1, its parent i/2), ordered by due_ms and, for equal due
     * times, by order — so timers due together fire in the order they were
     * started. Make room first (realloc, doubling from FIRST_TIMERS; -1 if
     * that fails, with the timer untouched), then stop the timer if it is
     * running (a restart), fill it in: due_ms = loop_now_ms() + after_ms
     * (saturating: UINT64_MAX means never), order = ++loop->last_order; put
     * it last and sift it up. Keep timer->slot = its index at every move:
     * it is how loop_timer_stop finds it without a search. O(log n).
     * TUTORIAL §4.4. */
    (void)loop;
    (void)timer;
    (void)after_ms;
    (void)repeat_ms;
    (void)fn;
    (void)arg;
    return -1;
}

void loop_timer_stop(struct loop *loop, struct loop_timer *timer) {
    /* TODO(handout step 1.4): nothing unless the timer is in the heap
     * (1 <= slot <= timers and heap[slot] == timer: a timer that was never
     * zeroed may hold any slot). Move the last timer into its slot, and sift
     * that one up or down, whichever it needs; set the stopped timer's slot
     * to 0. It may be stopping itself from its own callback. */
    (void)loop;
    (void)timer;
}

bool loop_timer_active(const struct loop_timer *timer) {
    return timer->slot != 0;
}

size_t loop_timers(const struct loop *loop) {
    return loop->timers;
}

/* ---- deferred tasks --------------------------------------------------------------- */

void loop_defer(struct loop *loop, struct loop_task *task, loop_task_fn fn, void *arg) {
    /* TODO(handout step 1.5): a FIFO list threaded through the tasks
     * themselves (prev, next), from loop->first to loop->last: nothing to
     * allocate, O(1) both ways. Nothing if the task is queued already (so a
     * connection written to ten times in an iteration flushes once); else
     * set fn and arg, append it, mark it queued. TUTORIAL §4.4. */
    (void)loop;
    (void)task;
    (void)fn;
    (void)arg;
}

void loop_cancel(struct loop *loop, struct loop_task *task) {
    /* TODO(handout step 1.5): nothing unless queued; unlink it (mind the
     * first and the last), mark it not queued. */
    (void)loop;
    (void)task;
}

/* ---- running ------------------------------------------------------------------------ */

struct loop *loop_new(const struct loop_backend *backend) {
    /* TODO(handout step 1.1): calloc the loop; the backend (NULL:
     * &loop_poll_backend) and its state from create() (NULL: failed); a
     * ready array of FIRST_READY entries; the time (step 1.3:
     * loop_update_time). Anything failed → free what was made, NULL. */
    (void)backend;
    return NULL;
}

void loop_free(struct loop *loop) {
    /* TODO(handout step 1.1): harmless on NULL. destroy() the backend's
     * state, free the arrays and the loop — not the timers, tasks or
     * descriptors, which are the caller's. */
    (void)loop;
}

const char *loop_backend_name(const struct loop *loop) {
    return loop->backend->name;
}

int loop_run_once(struct loop *loop, int timeout_ms) {
    /* TODO(handout step 1.3): one iteration.
     *  1. Run the deferred tasks (step 1.5).
     *  2. loop_update_time(), so that the wait below is measured from now.
     *     Wait: loop->backend->wait() into loop->ready (grow it first to
     *     hold every watched fd; if that fails, keep the smaller array: the
     *     rest stay ready for the next wait). How long: 0 after loop_stop(),
     *     and 0 if no fd has an interest and no timer runs (nothing could
     *     end the wait); else timeout_ms (-1: no limit), but never past the
     *     next timer, heap[1] (step 1.4). -1 from wait → return -1.
     *  3. loop_update_time(): callbacks must see the time after the wait.
     *  4. Dispatch: for each ready fd, look it up in the table again — an
     *     earlier callback may have unwatched it (skip it) or changed its
     *     interest (pass only events & interest; skip if none) — and call
     *     fn(loop, fd, events, arg). Don't keep a pointer into the table
     *     across a call: a callback that watches a new fd may move it.
     *  5. The due timers (step 1.4): while heap[1] is due (due_ms <=
     *     now) and was started before this pass began (its order is at most
     *     last_order as it was when the pass began: a timer restarting
     *     itself with 0 must not keep the loop here forever), take it off
     *     — or, if it repeats, move its due time on by repeat_ms from when
     *     it was due (no drift), or to now + repeat_ms if that is still
     *     past, give it a new order and sift it down — then call it. Don't
     *     touch a timer after its callback: it may have freed it.
     *  6. Run the tasks the callbacks queued (step 1.5), so none is left
     *     behind when loop_run() returns.
     * Return how many fd callbacks and timers ran. TUTORIAL §4.3–§4.4. */
    (void)loop;
    (void)timeout_ms;
    return -1;
}

int loop_run(struct loop *loop) {
    /* TODO(handout step 1.3): loop_run_once(loop, -1) until loop_stop()
     * was called, or nothing could ever call back: no fd with an interest,
     * no timer, no task queued. Return 0, or -1 if an iteration failed.
     * Clear loop->stopping before returning, so the loop can run again. */
    (void)loop;
    return -1;
}

void loop_stop(struct loop *loop) {
    loop->stopping = true;
}

uint64_t loop_now_ms(const struct loop *loop) {
    return loop->now_ms;
}

void loop_update_time(struct loop *loop) {
    /* TODO(handout step 1.3): clock_gettime(CLOCK_MONOTONIC) into
     * loop->now_ms, in milliseconds. Monotonic: it never jumps back when
     * someone sets the wall clock, and only differences between readings
     * mean anything. man 2 clock_gettime. */
    (void)loop;
}
