/*
 * loop — a single-threaded event loop: file descriptors, timers, deferred
 * tasks.
 *
 * One thread serves every client by never blocking: it asks the kernel
 * which descriptors are ready (poll, epoll, ...), calls the callback of each
 * ready one, runs the timers that are due, and asks again.
 *
 *   loop_run():  ┌─► run deferred tasks ─► backend->wait(until the next timer)
 *                │        │                          │ ready fds
 *                │        ▼                          ▼
 *                └── run due timers ◄──────── call each fd's callback
 *
 * Callbacks must never block: a read or write that would wait returns
 * EAGAIN on a non-blocking socket, and the loop calls again when the
 * descriptor is ready. They may watch, unwatch, start and stop anything,
 * including their own descriptor or timer, and should tolerate being
 * called for readiness that has already gone (another callback may have
 * consumed it first): a read that says EAGAIN is not an error.
 *
 * How the kernel is asked is a backend behind a small interface, as in
 * Redis's ae: poll() here (loop_poll.c), epoll in Lab 7, kqueue on a BSD.
 *
 * Time is the monotonic clock (it never jumps back when the wall clock is
 * set), in milliseconds, read once per iteration (loop_now_ms).
 *
 * Timers and tasks live in memory the caller owns (a struct inside a
 * connection, say): starting one allocates nothing, and stopping one is safe
 * at any time, even after it fired or if it was never started.
 *
 * Lab 4, task 1. Read: TUTORIAL §4.1–§4.4; man 2 poll, man 7 epoll, man 2
 * clock_gettime.
 */
#ifndef WSLAB_LOOP_H
#define WSLAB_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Interest in, and readiness of, a descriptor. */
#define LOOP_READ  1u /* readable, end of stream, or an error to collect */
#define LOOP_WRITE 2u /* writable, or an error to collect */

struct loop;

/* Called when fd is ready: events holds LOOP_READ and/or LOOP_WRITE, only
 * among those it is interested in. An error or a hang-up is reported as
 * whatever the fd is interested in, so that the read or write that follows
 * finds it. */
typedef void (*loop_fd_fn)(struct loop *loop, int fd, unsigned events, void *arg);

/* ---- backends ---------------------------------------------------------------- */

/* One ready descriptor, as a backend reports it. */
struct loop_ready {
    int fd;
    unsigned events; /* LOOP_READ | LOOP_WRITE */
};

/* How a loop asks the kernel. Each function gets the state made by create.
 * The loop calls add once per fd before any modify or remove, never with
 * interest 0 on add, and remove before the fd is closed. */
struct loop_backend {
    const char *name;      /* "poll" */
    void *(*create)(void); /* NULL if it fails */
    void (*destroy)(void *state);
    int (*add)(void *state, int fd, unsigned interest);    /* 0, or -1 */
    int (*modify)(void *state, int fd, unsigned interest); /* 0, or -1; interest may be 0 */
    void (*remove)(void *state, int fd);
    /* Waits at most timeout_ms (-1: no limit) for readiness; stores at most
     * max descriptors in ready[]. Returns how many, 0 on a timeout or a
     * signal (EINTR), -1 on another error. */
    int (*wait)(void *state, int timeout_ms, struct loop_ready *ready, int max);
};

/* poll(2): portable, and fine for a few thousand descriptors; the cost of
 * each wait grows with the number watched, ready or not. */
extern const struct loop_backend loop_poll_backend;

/* ---- the loop ------------------------------------------------------------------- */

/* Makes a loop over backend (NULL: loop_poll_backend). Returns NULL if
 * memory runs out or the backend fails. */
struct loop *loop_new(const struct loop_backend *backend);

/* Frees the loop (not the timers and tasks, which are the caller's; the
 * descriptors are not closed). */
void loop_free(struct loop *loop);

/* The backend's name. */
const char *loop_backend_name(const struct loop *loop);

/* Watches fd with interest LOOP_READ and/or LOOP_WRITE (0: watched but
 * idle), calling fn(loop, fd, events, arg) when it is ready. Watching an fd
 * that is already watched replaces its interest, fn and arg. Returns 0, or
 * -1 (fd < 0, out of memory, the backend refused). */
int loop_watch(struct loop *loop, int fd, unsigned interest, loop_fd_fn fn, void *arg);

/* Changes a watched fd's interest. Returns 0, or -1 if fd is not watched. */
int loop_set_interest(struct loop *loop, int fd, unsigned interest);

/* The interest of fd, or 0 if it is not watched. */
unsigned loop_interest(const struct loop *loop, int fd);

/* Stops watching fd (call it before closing fd). Harmless if not watched.
 * Its callback is not called again, even for readiness already collected. */
void loop_unwatch(struct loop *loop, int fd);

/* How many descriptors are watched. */
size_t loop_watched(const struct loop *loop);

/* ---- timers ---------------------------------------------------------------- */

struct loop_timer;
typedef void (*loop_timer_fn)(struct loop *loop, struct loop_timer *timer, void *arg);

/* A timer. Zero it (or let loop_timer_start fill it); its fields are the
 * loop's. */
struct loop_timer {
    uint64_t due_ms;    /* loop_now_ms() at which it fires */
    uint64_t repeat_ms; /* 0: once */
    loop_timer_fn fn;
    void *arg;
    size_t slot;    /* where it is in the loop's heap; 0: not started */
    uint64_t order; /* start order: timers due at the same time fire in it */
};

/* Starts (or restarts) timer to call fn(loop, timer, arg) after after_ms
 * milliseconds (0: in this iteration's timer pass, or the next one if
 * started by a timer's callback), then every repeat_ms if repeat_ms > 0.
 * Timers due at the same time fire in the order they were started. Returns
 * 0, or -1 if memory runs out. */
int loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t after_ms,
                     uint64_t repeat_ms, loop_timer_fn fn, void *arg);

/* Stops timer; harmless if it is not running. A repeating timer may stop
 * itself from its callback. */
void loop_timer_stop(struct loop *loop, struct loop_timer *timer);

/* Is timer started and not yet fired (or repeating)? */
bool loop_timer_active(const struct loop_timer *timer);

/* How many timers are running. */
size_t loop_timers(const struct loop *loop);

/* ---- deferred tasks ---------------------------------------------------------- */

struct loop_task;
typedef void (*loop_task_fn)(struct loop *loop, struct loop_task *task, void *arg);

/* Work to do once, before the loop next waits. Zero it; its fields are the
 * loop's. */
struct loop_task {
    loop_task_fn fn;
    void *arg;
    struct loop_task *prev, *next;
    bool queued;
};

/* Queues task to run fn(loop, task, arg) once, in this iteration, after the
 * callbacks and timers and before the loop waits again (tasks queued by a
 * task run in the same pass). Queuing a task already queued does nothing:
 * this is how a connection asks for one flush of everything written to it
 * during an iteration (Redis calls this "before sleep"). */
void loop_defer(struct loop *loop, struct loop_task *task, loop_task_fn fn, void *arg);

/* Takes task off the queue; harmless if it is not queued. */
void loop_cancel(struct loop *loop, struct loop_task *task);

/* ---- running ---------------------------------------------------------------- */

/* Runs until loop_stop(), or until nothing is left that could ever call
 * back: no fd watched with a non-zero interest, no timer, no task. Each
 * iteration: deferred tasks, then a wait for readiness no longer than the
 * next timer, then the fd callbacks, then the due timers. Returns 0, or -1
 * if the backend failed. */
int loop_run(struct loop *loop);

/* Runs one iteration, waiting at most timeout_ms for readiness (-1: until
 * the next timer, or forever if there is none; not at all if no fd has an
 * interest and no timer runs), and ends with the tasks its callbacks
 * queued. Returns the number of fd callbacks and timers run, or -1 if the
 * backend failed. For tests, and for programs that own their main loop. */
int loop_run_once(struct loop *loop, int timeout_ms);

/* Makes loop_run() return at the end of this iteration. */
void loop_stop(struct loop *loop);

/* The monotonic clock in ms, as read at the start of this iteration (or by
 * loop_update_time). Always the same within one callback, so deadlines
 * computed from it agree. */
uint64_t loop_now_ms(const struct loop *loop);

/* Reads the clock again (after a long computation). */
void loop_update_time(struct loop *loop);

#endif
