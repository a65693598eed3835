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
    char buf[16384];
    for (;;) {
        ssize_t n = net_read(fd, buf, sizeof buf);
        /* 0: the client shut down its sending side, and every byte before
         * that has been echoed by now. < 0: it vanished (reset). */
        if (n <= 0) break;
        if (net_write_all(fd, buf, (size_t)n) < 0) break;
    }
    /* Our FIN tells the client the echo is complete. */
    shutdown(fd, SHUT_WR);
    close(fd);
    return NULL;
}

/* Serves the client on fd from a new thread. Returns 0, or -1 (errno set). */
static int start_client(int fd) {
    pthread_attr_t attr;
    pthread_t thread;
    /* Detached: nobody joins it; its resources go back when it returns. */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&thread, &attr, serve_client, (void *)(intptr_t)fd);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* SIGINT/SIGTERM set a flag. Without SA_RESTART, a blocked poll() or accept()
 * fails with EINTR, so the loop in main() sees the flag at once. */
static void catch_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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

    /* A client that closes while we write to it would raise SIGPIPE, whose
     * default action kills the whole server. Ignored, the write fails with
     * EPIPE instead, and only that client's thread ends. */
    signal(SIGPIPE, SIG_IGN);
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
