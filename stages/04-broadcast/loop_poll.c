/*
 * loop_poll — the loop's poll(2) backend (see loop.h).
 *
 * poll() takes an array of struct pollfd {fd, events, revents}: the
 * descriptors and what we wait for; it fills in revents with what happened.
 * That array is this backend's whole state. Every wait hands all of it to
 * the kernel, which looks at every entry, ready or not: the cost that grows
 * with the number of descriptors, and that epoll (Lab 7) removes by keeping
 * the set inside the kernel.
 *
 * Removing an entry must not leave a hole, so the last entry moves into its
 * place (swap-remove), and a map from fd to position finds any entry at
 * once:
 *
 *   pfds   [ fd 5 | fd 9 | fd 7 ]      remove fd 5 →   [ fd 7 | fd 9 ]
 *   where  where[5] = 0, [9] = 1, [7] = 2              where[7] = 0, [9] = 1
 *
 * poll reports errors and hang-ups (POLLERR, POLLHUP, POLLNVAL) whether
 * asked or not. So a descriptor with no interest stays in the array with
 * its number negated (~fd), which poll skips: otherwise a hang-up that
 * nobody is listening for would make every wait return at once.
 *
 * Lab 4, task 1. Read: TUTORIAL §4.3; man 2 poll.
 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#define FIRST_SIZE 64

struct poll_state {
    struct pollfd *pfds; /* pfds[0..n) */
    size_t n, cap;
    int *where; /* where[fd]: fd's index in pfds, -1 if none */
    size_t where_cap;
};

static void *poll_create(void) {
    return calloc(1, sizeof(struct poll_state));
}

static void poll_destroy(void *state) {
    struct poll_state *ps = state;
    free(ps->pfds);
    free(ps->where);
    free(ps);
}

static int poll_add(void *state, int fd, unsigned interest) {
    /* TODO(handout step 1.2): append a struct pollfd for fd — grow pfds
     * (realloc, doubling from FIRST_SIZE), and grow where[] to cover fd,
     * new slots -1 — and record where[fd]. The entry: POLLIN for LOOP_READ,
     * POLLOUT for LOOP_WRITE; with no interest at all, store ~fd instead of
     * fd (poll skips negative descriptors, see above). -1 if memory runs
     * out. man 2 poll. */
    (void)state;
    (void)fd;
    (void)interest;
    return -1;
}

static int poll_modify(void *state, int fd, unsigned interest) {
    /* TODO(handout step 1.2): find fd's entry through where[] (-1 if it has
     * none) and rewrite it as poll_add does: events, and fd or ~fd. */
    (void)state;
    (void)fd;
    (void)interest;
    return -1;
}

static void poll_remove(void *state, int fd) {
    /* TODO(handout step 1.2): swap-remove: move the last entry into fd's
     * place, update where[] for the entry that moved (its fd may be stored
     * as ~fd), and set where[fd] to -1. Mind the case where fd's entry is
     * the last one. */
    (void)state;
    (void)fd;
}

static int poll_wait(void *state, int timeout_ms, struct loop_ready *ready, int max) {
    /* TODO(handout step 1.2): poll() the whole array; -1 on an error, 0 on
     * EINTR (a signal: the loop goes round and sees what its handler did).
     * poll returns how many entries have revents set: walk the array until
     * you have seen that many (or filled max), and report each as an fd and
     * LOOP_READ / LOOP_WRITE: POLLIN → read, POLLOUT → write, and POLLERR,
     * POLLHUP or POLLNVAL → everything the entry asked for (its events), so
     * that the read or write that follows finds the error or the end. */
    (void)state;
    (void)timeout_ms;
    (void)ready;
    (void)max;
    return -1;
}

const struct loop_backend loop_poll_backend = {
    .name = "poll",
    .create = poll_create,
    .destroy = poll_destroy,
    .add = poll_add,
    .modify = poll_modify,
    .remove = poll_remove,
    .wait = poll_wait,
};
