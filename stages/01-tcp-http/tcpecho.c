/*
 * tcpecho — a TCP echo server: every byte a client sends comes back to it.
 *
 *   tcpecho [--host H] [--port P]        (default 127.0.0.1:7001)
 *
 * Small as it is, it meets the three facts of TCP that every later lab
 * depends on:
 *   - a connection is a byte stream, not a sequence of messages: one read
 *     may return part of what the peer wrote, or several writes at once;
 *   - each direction closes on its own: a client may send everything, shut
 *     down its sending side (a "half-close"), and still wait for the echo —
 *     read() returning 0 means "no more bytes from you", not "hang up";
 *   - writing to a connection the peer has closed raises SIGPIPE, which kills
 *     the process unless it is ignored.
 * Each client gets its own thread, so a slow client does not stall the others.
 *
 * Lab 1, task 1. Read: TUTORIAL §1.2; man 2 shutdown; man 7 tcp; man 7
 * signal; man 3 pthread_create.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"

static volatile sig_atomic_t stop_requested; /* set by SIGINT and SIGTERM */

/* Echoes until the client has sent everything, then closes our side too. */
static void *serve_client(void *arg) {
    int fd = (int)(intptr_t)arg;
    /* TODO(handout step 1.7): loop: net_read() up to a buffer's worth and
     * net_write_all() exactly the bytes read. Stop when net_read returns 0
     * (the client half-closed: everything it sent is echoed by now) or fails
     * (it vanished), or when a write fails. Then shutdown(fd, SHUT_WR) so the
     * client sees the end of the echo, and close(fd).
     * man 2 shutdown; TUTORIAL §1.2. */
    close(fd);
    return NULL;
}

/* Serves the client on fd from a new thread. Returns 0, or -1 (errno set). */
static int start_client(int fd) {
    /* TODO(handout step 1.6): run serve_client on a new detached thread
     * (pthread_attr_setdetachstate, then pthread_create with the fd itself as
     * the argument: (void *)(intptr_t)fd). pthread_create returns an error
     * number instead of setting errno: put it in errno and return -1.
     * Until then, clients are served one at a time, on this thread.
     * man 3 pthread_create, pthread_attr_init. */
    serve_client((void *)(intptr_t)fd);
    return 0;
}

/* SIGINT/SIGTERM set a flag. Without SA_RESTART, a blocked poll() or accept()
 * fails with EINTR, so the loop in main() sees the flag at once. */
static void catch_stop_signals(void) {
    /* TODO(handout step 1.5): write a handler that only sets stop_requested
     * (a handler may do little else safely), and install it for SIGINT and
     * SIGTERM with sigaction(), sa_flags without SA_RESTART.
     * man 2 sigaction, man 7 signal-safety. */
}

/* Prints why a net_* call failed, pointing at the TODO if it is a stub. */
static void report(const char *what) {
    if (errno == ENOSYS)
        fprintf(stderr, "tcpecho: %s: not implemented yet (TODO in net.c)\n", what);
    else
        fprintf(stderr, "tcpecho: %s: %s\n", what, strerror(errno));
}

/* Waits up to 500 ms for a connection to accept. Polling with a timeout
 * closes a race: a signal that lands after the loop checked stop_requested
 * but before it blocked would otherwise go unnoticed until the next client. */
static int client_waiting(int listen_fd) {
    struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
    return poll(&pfd, 1, 500) > 0;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 7001;
    const struct cli_option opts[] = {
        {"--host", CLI_STR, &host, "address to listen on (default 127.0.0.1)"},
        {"--port", CLI_INT, &port, "port to listen on (default 7001; 0: any free port)"},
        {NULL, CLI_FLAG, NULL, NULL},
    };
    int rest = cli_parse(argc, argv, opts, "tcpecho [--host H] [--port P]");
    if (rest < argc) {
        fprintf(stderr, "tcpecho: unexpected argument '%s'\n", argv[rest]);
        return 2;
    }

    /* TODO(handout step 1.5): ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)). A
     * client that closes while we write to it raises SIGPIPE, whose default
     * action kills the whole server; ignored, the write fails with EPIPE and
     * only that client's thread ends. man 7 signal, man 2 write (EPIPE). */
    catch_stop_signals();

    int listen_fd = net_listen(host, port, &port);
    if (listen_fd < 0) {
        report("net_listen");
        return 1;
    }
    cli_announce(host, port);

    /* The client threads block SIGINT and SIGTERM (they inherit the mask in
     * force at pthread_create), so the signals reach this thread's poll(). */
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);

    int status = 0;
    while (!stop_requested) {
        if (!client_waiting(listen_fd)) continue;
        int fd = net_accept(listen_fd);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of file descriptors: wait for clients to finish. */
                poll(NULL, 0, 100);
                continue;
            }
            report("net_accept");
            status = 1;
            break;
        }
        pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
        int started = start_client(fd);
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        if (started < 0) {
            fprintf(stderr, "tcpecho: cannot start a thread: %s\n", strerror(errno));
            close(fd);
        }
    }
    /* Client threads still running end with the process. */
    close(listen_fd);
    return status;
}
