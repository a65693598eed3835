/*
 * Lab 1, task 1 — the tcpecho program, tested over real connections.
 *
 * An echo server sends back every byte it receives, so the oracle is simple:
 * what comes back must equal what was sent, byte for byte. The tests push on
 * what makes that hard: payloads larger than any socket buffer (the server
 * must keep reading and writing at once), bytes in many small pieces, a
 * half-close, many clients at once, and clients that vanish mid-transfer.
 *
 * Large payloads are sent from a helper thread while the test reads, because
 * a client that writes 1 MiB before reading would deadlock against any echo
 * server once both directions' buffers are full.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define HINT_ECHO "TUTORIAL §1.2 \"The socket API\" (one thread per client); man 2 read, write"

/* len bytes that differ from one seed to another and along the stream. */
static char *payload(size_t len, unsigned seed) {
    char *p = malloc(len);
    unsigned x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (char)(x >> 16);
    }
    return p;
}

/* Sends bytes on a raw fd from a helper thread, then half-closes if asked. */
struct sender {
    int fd;
    const char *data;
    size_t len;
    bool half_close;
    pthread_t thread;
    int err; /* errno of a failed send, else 0 */
};

static void *send_all(void *arg) {
    struct sender *s = arg;
    size_t off = 0;
    while (off < s->len) {
        ssize_t n = send(s->fd, s->data + off, s->len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            s->err = errno;
            return NULL;
        }
        off += (size_t)n;
    }
    if (s->half_close) shutdown(s->fd, SHUT_WR);
    return NULL;
}

static void start_sender(struct sender *s, struct t_conn *c, const char *data, size_t len,
                         bool half_close) {
    *s = (struct sender){.fd = t_conn_fd(c), .data = data, .len = len, .half_close = half_close};
    if (pthread_create(&s->thread, NULL, send_all, s) != 0) FAILF("test: pthread_create");
}

static void join_sender(struct sender *s) {
    pthread_join(s->thread, NULL);
    if (s->err)
        FAILF("expected: to send %zu bytes to tcpecho\n     got: %s", s->len, strerror(s->err));
}

/* Sends msg and expects it back exactly. */
static void expect_echo(struct t_conn *c, const char *msg) {
    size_t len = strlen(msg);
    t_send(c, msg, len);
    char *back = t_read_exact(c, len, 3000);
    CHECK_MEM(back, len, msg, len);
    free(back);
}

TEST(echo_small, .id = "1.1.8", .title = "tcpecho sends a short message back exactly",
     .hint = HINT_ECHO) {
    struct t_server *s = t_server_start("tcpecho", NULL);
    struct t_conn *c = t_conn_open(s->port);
    expect_echo(c, "hello, echo\n");
    expect_echo(c, "and a second line on the same connection\n");
    t_conn_close(c);
}

TEST(echo_one_mib, .id = "1.1.9",
     .title = "a 1 MiB payload comes back byte for byte (while it is still being sent)",
     .timeout = 10, .hint = HINT_ECHO) {
    enum { LEN = 1 << 20 };
    struct t_server *s = t_server_start("tcpecho", NULL);
    struct t_conn *c = t_conn_open(s->port);
    char *data = payload(LEN, 1);
    struct sender snd;
    start_sender(&snd, c, data, LEN, false);
    char *back = t_read_exact(c, LEN, 5000);
    join_sender(&snd);
    CHECK_MEM(back, LEN, data, LEN);
    free(back), free(data);
    t_conn_close(c);
}

TEST(echo_dribble, .id = "1.1.10", .title = "a message sent in many 1-byte writes comes back whole",
     .hint = HINT_ECHO) {
    struct t_server *s = t_server_start("tcpecho", NULL);
    struct t_conn *c = t_conn_open(s->port);
    const char *msg = "dribbled one byte at a time, with pauses\n";
    size_t len = strlen(msg);
    t_send_dribble(c, msg, len, 1, 2);
    char *back = t_read_exact(c, len, 3000);
    CHECK_MEM(back, len, msg, len);
    free(back);
    t_conn_close(c);
}

TEST(echo_half_close, .id = "1.1.11",
     .title = "after a half-close (shutdown SHUT_WR) every byte is still echoed, then EOF",
     .timeout = 10,
     .hint = "TUTORIAL §1.2 (half-close); man 2 shutdown; a read of 0 means the client is done "
             "sending, not that it stopped listening") {
    enum { LEN = 256 * 1024 };
    struct t_server *s = t_server_start("tcpecho", NULL);
    struct t_conn *c = t_conn_open(s->port);
    char *data = payload(LEN, 2);
    struct sender snd;
    start_sender(&snd, c, data, LEN, true);
    size_t got;
    char *back = t_read_to_eof(c, 2 * LEN, 5000, &got);
    join_sender(&snd);
    CHECK_MEM(back, got, data, LEN);
    free(back), free(data);

    struct t_conn *c2 = t_conn_open(s->port);
    t_send_str(c2, "bye");
    t_conn_shutdown_write(c2);
    back = t_read_to_eof(c2, 100, 3000, &got);
    CHECK_MEM(back, got, "bye", 3);
    free(back);
    t_conn_close(c2);
    t_conn_close(c);
}

TEST(echo_ten_clients, .id = "1.1.12", .points = 2,
     .title = "10 clients connected at once each get exactly their own bytes back", .timeout = 10,
     .hint = "TUTORIAL §1.2 \"One thread per client\": a server that serves one client at a time "
             "makes the others wait; man 3 pthread_create") {
    enum { N = 10, LEN = 8000 };
    struct t_server *s = t_server_start("tcpecho", NULL);
    struct t_conn *c[N];
    char *data[N];
    for (int i = 0; i < N; i++) c[i] = t_conn_open(s->port);
    for (int i = 0; i < N; i++) {
        data[i] = payload(LEN, 100 + (unsigned)i);
        t_send(c[i], data[i], LEN);
    }
    /* Read the last client first: its echo must not wait for the others. */
    for (int i = N - 1; i >= 0; i--) {
        t_note("reading the echo of client %d (all %d are connected and have sent)", i + 1, N);
        char *back = t_read_exact(c[i], LEN, 3000);
        CHECK_MEM(back, LEN, data[i], LEN);
        free(back), free(data[i]);
    }
    for (int i = 0; i < N; i++) t_conn_close(c[i]);
}

/* Sends without reading until the server stops taking bytes (it is then
 * blocked writing its echo to us), at most max bytes. Returns bytes sent. */
static size_t send_until_stuck(struct t_conn *c, size_t max) {
    int fd = t_conn_fd(c);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    char *chunk = payload(65536, 7);
    size_t sent = 0;
    while (sent < max) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 300) <= 0) break; /* the server stopped reading */
        ssize_t n = send(fd, chunk, 65536, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) break;
        sent += (size_t)n;
    }
    free(chunk);
    return sent;
}

TEST(echo_client_vanishes, .id = "1.1.13", .points = 2,
     .title = "clients that vanish mid-transfer (reset while the server writes) do not take "
              "tcpecho down",
     .timeout = 15,
     .hint = "TUTORIAL §1.2 (SIGPIPE, ECONNRESET): ignore SIGPIPE at start-up, and end only that "
             "client's thread when a write fails") {
    struct t_server *s = t_server_start("tcpecho", NULL);
    for (int round = 1; round <= 3; round++) {
        struct t_conn *c = t_conn_open(s->port);
        size_t sent = send_until_stuck(c, 64u << 20);
        t_note("round %d: sent %zu bytes without reading the echo, then reset the connection",
               round, sent);
        t_conn_abort(c);

        /* And one that reads part of its echo and closes with the rest
         * unread, which also makes its end send a reset. */
        struct t_conn *d = t_conn_open(s->port);
        char *data = payload(50000, (unsigned)round);
        t_send(d, data, 50000);
        char *part = t_read_exact(d, 1000, 3000);
        free(part), free(data);
        t_conn_close(d);
    }
    /* Clients that half-close, then reset while their echo is on its way:
     * the server's next write fails with EPIPE (and raises SIGPIPE). */
    char *data = payload(32768, 9);
    for (int i = 0; i < 20; i++) {
        struct t_conn *c = t_conn_open(s->port);
        t_send(c, data, 32768);
        t_conn_shutdown_write(c);
        t_conn_abort(c);
    }
    free(data);
    t_note("then 20 clients each sent 32 KiB, half-closed and reset at once");
    struct t_conn *c = t_conn_open(s->port);
    expect_echo(c, "still there?\n");
    t_conn_close(c);
}

TEST(echo_no_fd_leak, .id = "1.1.14",
     .title = "tcpecho closes its end when a client leaves (no file descriptors left behind)",
     .timeout = 10,
     .hint = "TUTORIAL §1.2 \"One thread per client\": the thread owns the connection and must "
             "close it; man 2 close") {
    struct t_server *s = t_server_start("tcpecho", NULL);
    int before = t_server_fd_count(s);
    for (int i = 0; i < 8; i++) {
        struct t_conn *c = t_conn_open(s->port);
        expect_echo(c, "x");
        if (i % 2)
            t_conn_close(c);
        else
            t_conn_abort(c);
    }
    int now = t_server_fd_count(s);
    for (long long until = t_now_ms() + 3000; now > before && t_now_ms() < until;) {
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
        now = t_server_fd_count(s);
    }
    t_note("tcpecho had %d open fds when it started listening; 8 clients came and went", before);
    CHECK_INT(now, before);
}

TEST(echo_sigterm, .id = "1.1.15",
     .title = "SIGTERM stops tcpecho with exit status 0, even with a client connected",
     .hint = "TUTORIAL §1.2 \"Stopping cleanly\"; man 2 sigaction (no SA_RESTART), man 2 accept "
             "(EINTR)") {
    struct t_server *s = t_server_start("tcpecho", NULL);
    struct t_conn *c = t_conn_open(s->port);
    expect_echo(c, "hi\n");
    int status = t_server_signal_wait(s, SIGTERM, 3000);
    if (status == -1)
        FAILF("expected: tcpecho to exit within 3 s of SIGTERM\n     got: still running");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAILF("expected: exit status 0 after SIGTERM\n     got: %s %d",
              WIFEXITED(status) ? "exit status" : "killed by signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    t_conn_close(c);
}
