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

/* The descriptor of an entry, negated or not. */
static int entry_fd(const struct pollfd *p) {
    return p->fd >= 0 ? p->fd : ~p->fd;
}

static void set_entry(struct pollfd *p, int fd, unsigned interest) {
    p->fd = interest != 0 ? fd : ~fd;
    p->events =
        (short)((interest & LOOP_READ ? POLLIN : 0) | (interest & LOOP_WRITE ? POLLOUT : 0));
    p->revents = 0;
}

static int index_of(const struct poll_state *ps, int fd) {
    return fd >= 0 && (size_t)fd < ps->where_cap ? ps->where[fd] : -1;
}

/* Room for one more entry, with fd in the map. */
static int reserve(struct poll_state *ps, int fd) {
    if (ps->n == ps->cap) {
        size_t cap = ps->cap > 0 ? 2 * ps->cap : FIRST_SIZE;
        struct pollfd *pfds = realloc(ps->pfds, cap * sizeof *pfds);
        if (pfds == NULL) return -1;
        ps->pfds = pfds;
        ps->cap = cap;
    }
    if ((size_t)fd >= ps->where_cap) {
        size_t cap = ps->where_cap > 0 ? ps->where_cap : FIRST_SIZE;
        while (cap <= (size_t)fd) cap *= 2;
        int *where = realloc(ps->where, cap * sizeof *where);
        if (where == NULL) return -1;
        for (size_t i = ps->where_cap; i < cap; i++) where[i] = -1;
        ps->where = where;
        ps->where_cap = cap;
    }
    return 0;
}

static int poll_add(void *state, int fd, unsigned interest) {
    struct poll_state *ps = state;
    if (fd < 0 || reserve(ps, fd) < 0) return -1;
    ps->where[fd] = (int)ps->n;
    set_entry(&ps->pfds[ps->n++], fd, interest);
    return 0;
}

static int poll_modify(void *state, int fd, unsigned interest) {
    struct poll_state *ps = state;
    int i = index_of(ps, fd);
    if (i < 0) return -1;
    set_entry(&ps->pfds[i], fd, interest);
    return 0;
}

static void poll_remove(void *state, int fd) {
    struct poll_state *ps = state;
    int i = index_of(ps, fd);
    if (i < 0) return;
    ps->pfds[i] = ps->pfds[--ps->n];
    ps->where[entry_fd(&ps->pfds[i])] = i; /* harmless when fd was the last */
    ps->where[fd] = -1;
}

/* What poll said of one entry, in the loop's terms. An error or hang-up is
 * reported as the entry's whole interest: the read or write that follows
 * collects it (0 and EOF, or ECONNRESET, EPIPE). */
static unsigned ready_events(const struct pollfd *p) {
    unsigned events = 0;
    if (p->revents & POLLIN) events |= LOOP_READ;
    if (p->revents & POLLOUT) events |= LOOP_WRITE;
    if (p->revents & (POLLERR | POLLHUP | POLLNVAL)) {
        if (p->events & POLLIN) events |= LOOP_READ;
        if (p->events & POLLOUT) events |= LOOP_WRITE;
    }
    return events;
}

static int poll_wait(void *state, int timeout_ms, struct loop_ready *ready, int max) {
    struct poll_state *ps = state;
    int n = poll(ps->pfds, (nfds_t)ps->n, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;

    /* n entries have revents set: stop looking once they are all found. */
    int found = 0, count = 0;
    for (size_t i = 0; i < ps->n && found < n && count < max; i++) {
        const struct pollfd *p = &ps->pfds[i];
        if (p->revents == 0) continue;
        found++;
        unsigned events = ready_events(p);
        if (events != 0) ready[count++] = (struct loop_ready){.fd = p->fd, .events = events};
    }
    return count;
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
