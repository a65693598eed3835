/*
 * sigwatch — SIGINT and SIGTERM as events of the loop (see sigwatch.h).
 *
 *   signal ─► handler: write(pipe[1], 1 byte) ─► poll() wakes: pipe[0] readable
 *                                              ─► on_pipe: empty the pipe, fn(arg)
 *
 * The handler does the one thing that is safe anywhere: write(2) is
 * async-signal-safe, and a non-blocking pipe never makes it wait (if the
 * pipe were full, a byte is already waiting, which is all that matters). It
 * saves and restores errno, since it may interrupt code that is about to
 * read it.
 *
 * Signals belong to the process, so the watcher's state is one static
 * struct: there can only be one.
 *
 * Given code. Read: TUTORIAL §4.4; man 7 signal-safety, man 2 pipe.
 */
#include "sigwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define DRAIN_CHUNK 64

static struct {
    int pipe[2]; /* [0] read by the loop, [1] written by the handler; -1 if closed */
    void (*fn)(void *arg);
    void *arg;
    struct sigaction old_int, old_term, old_pipe; /* restored by sigwatch_stop */
} watch = {.pipe = {-1, -1}};

static void on_signal(int sig) {
    (void)sig;
    int saved = errno;
    ssize_t n = write(watch.pipe[1], "!", 1);
    (void)n; /* nothing to do if it fails: a byte is waiting already */
    errno = saved;
}

/* The pipe is readable: one or more signals came. However many, the work
 * is done once, here, outside the handler. */
static void on_pipe(struct loop *loop, int fd, unsigned events, void *arg) {
    (void)loop;
    (void)events;
    (void)arg;
    char sink[DRAIN_CHUNK];
    while (read(fd, sink, sizeof sink) > 0) {
    } /* the pipe holds at most a few bytes, and is non-blocking */
    watch.fn(watch.arg);
}

static int set_flags(int fd) {
    int fl = fcntl(fd, F_GETFL);
    int fd_fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fd_fl < 0) return -1;
    if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    return fcntl(fd, F_SETFD, fd_fl | FD_CLOEXEC); /* not inherited by programs we run */
}

static void close_pipe(void) {
    for (int i = 0; i < 2; i++) {
        if (watch.pipe[i] >= 0) close(watch.pipe[i]);
        watch.pipe[i] = -1;
    }
}

int sigwatch_start(struct loop *loop, void (*fn)(void *arg), void *arg) {
    if (watch.pipe[0] >= 0) return -1; /* one watcher per process */
    if (pipe(watch.pipe) < 0) {
        watch.pipe[0] = watch.pipe[1] = -1;
        return -1;
    }
    if (set_flags(watch.pipe[0]) < 0 || set_flags(watch.pipe[1]) < 0 ||
        loop_watch(loop, watch.pipe[0], LOOP_READ, on_pipe, NULL) < 0) {
        close_pipe();
        return -1;
    }
    watch.fn = fn;
    watch.arg = arg;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a read or write the signal interrupts resumes instead of
     * failing with EINTR. poll() is never restarted, and need not be: the
     * byte in the pipe wakes it. */
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &watch.old_int);
    sigaction(SIGTERM, &sa, &watch.old_term);
    /* A write to a connection the peer has closed fails with EPIPE, which
     * conn handles, instead of killing the whole server. */
    sa.sa_flags = 0;
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &watch.old_pipe);
    return 0;
}

void sigwatch_stop(struct loop *loop) {
    if (watch.pipe[0] < 0) return;
    /* Handlers first: none may write to the pipe once it is closed. */
    sigaction(SIGINT, &watch.old_int, NULL);
    sigaction(SIGTERM, &watch.old_term, NULL);
    sigaction(SIGPIPE, &watch.old_pipe, NULL);
    loop_unwatch(loop, watch.pipe[0]);
    close_pipe();
}
