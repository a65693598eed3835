/*
 * Lab 1, task 1 — the socket layer (net.c), tested function by function.
 *
 * Each test builds its own sockets with plain system calls (socketpair,
 * socket/bind/connect) so that it checks one function of net.c at a time, and
 * forces on purpose the cases that only show up under load: a signal that
 * interrupts a blocked call (EINTR), writes cut short by signals, a peer that
 * has gone away, a port still held by a connection in TIME_WAIT.
 *
 * Signals are sent with pthread_kill() to the thread that is blocked, from a
 * helper thread that first waits until the kernel reports that thread asleep
 * (/proc/self/task/TID/stat), so that the signal lands inside the call.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

#define HINT_SOCKETS "TUTORIAL §1.2 \"The socket API\"; man 2 bind, listen, accept, getsockname"
#define HINT_EINTR                                                                                  \
    "TUTORIAL §1.2 (EINTR, short writes); man 7 signal (\"Interruption of system calls\"), man 2 " \
    "read, man 2 write"

/* ---- plain sockets, made without net.c ---------------------------------- */

/* A socket listening on 127.0.0.1 at a free port, stored in *port. */
static int raw_listener(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        FAILF("test setup: a listening socket: %s", strerror(errno));
    *port = ntohs(a.sin_port);
    return fd;
}

/* A blocking connection to 127.0.0.1:port, or -1 with errno set. */
static int raw_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
    int saved = errno;
    if (fd >= 0) close(fd);
    errno = saved;
    return -1;
}

/* Reads exactly n bytes within timeout_ms; returns how many arrived. */
static size_t read_full(int fd, void *buf, size_t n, int timeout_ms) {
    size_t got = 0;
    long long deadline = t_now_ms() + timeout_ms;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long long left = deadline - t_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

/* Checks that bytes written on one end of a connection arrive at the other. */
static void expect_connected(int from, int to) {
    if (write(from, "ping", 4) != 4) FAILF("test: write on the connection: %s", strerror(errno));
    char got[4];
    size_t n = read_full(to, got, sizeof got, 2000);
    CHECK_MEM(got, n, "ping", 4);
}

/* ---- signals that interrupt a blocked call ------------------------------ */

static volatile sig_atomic_t signals_caught;

static void count_signal(int sig) {
    (void)sig;
    signals_caught++;
}

/* Installs a SIGUSR1 handler WITHOUT SA_RESTART: a blocked call it interrupts
 * fails with EINTR (or returns short) instead of being restarted. */
static void catch_sigusr1(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
}

static pid_t thread_id(void) {
    return (pid_t)syscall(SYS_gettid);
}

/* Waits (at most max_ms) until thread tid of this process is asleep in the
 * kernel, i.e. blocked in a system call. */
static void wait_until_blocked(pid_t tid, int max_ms) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    long long deadline = t_now_ms() + max_ms;
    nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    while (t_now_ms() < deadline) {
        char stat[512] = "";
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(stat, sizeof stat, f)) stat[0] = '\0';
            fclose(f);
        }
        const char *paren = strrchr(stat, ')');
        if (paren && paren[1] == ' ' && paren[2] == 'S') return;
        nanosleep(&(struct timespec){0, 1000000L}, NULL);
    }
}

/* A helper thread that interrupts `target` once it blocks, then (if fd >= 0)
 * writes `late` to fd once the handler has run. */
struct interrupter {
    pthread_t target;
    pid_t target_tid;
    int fd;
    const char *late;
};

static void *interrupt_then_write(void *arg) {
    struct interrupter *it = arg;
    wait_until_blocked(it->target_tid, 2000);
    pthread_kill(it->target, SIGUSR1);
    for (int i = 0; i < 2000 && signals_caught == 0; i++)
        nanosleep(&(struct timespec){0, 1000000L}, NULL);
    if (it->fd >= 0) {
        wait_until_blocked(it->target_tid, 200);
        if (write(it->fd, it->late, strlen(it->late)) < 0) return NULL;
    }
    return NULL;
}

static void start_interrupter(pthread_t *th, struct interrupter *it, int fd, const char *late) {
    it->target = pthread_self();
    it->target_tid = thread_id();
    it->fd = fd;
    it->late = late;
    catch_sigusr1();
    if (pthread_create(th, NULL, interrupt_then_write, it) != 0) FAILF("test: pthread_create");
}

/* ---- listen / accept / connect ------------------------------------------ */

TEST(listen_port_zero, .id = "1.1.1", .points = 2,
     .title = "net_listen on port 0 binds 127.0.0.1, reports the port it got, and accepts clients",
     .hint = HINT_SOCKETS) {
    int port = -1;
    int lfd = net_listen("127.0.0.1", 0, &port);
    if (lfd < 0)
        FAILF("expected: net_listen(\"127.0.0.1\", 0, &port) to return a listening fd\n     got: "
              "-1 (%s)",
              strerror(errno));
    t_note("net_listen returned fd %d and port %d", lfd, port);
    CHECK(port > 0 && port < 65536);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    CHECK_INT(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    CHECK_INT(ntohs(a.sin_port), port);
    CHECK_INT(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK);

    int cfd = raw_connect(port);
    if (cfd < 0)
        FAILF("expected: a client can connect to port %d\n     got: %s", port, strerror(errno));
    t_waiting("net_accept to return the client that connected");
    int afd = net_accept(lfd);
    if (afd < 0)
        FAILF("expected: net_accept to return a connected fd\n     got: -1 (%s)", strerror(errno));
    expect_connected(cfd, afd);
    expect_connected(afd, cfd);
    close(afd), close(cfd), close(lfd);

    int lfd2 = net_listen("localhost", 0, NULL);
    if (lfd2 < 0)
        FAILF("expected: net_listen(\"localhost\", 0, NULL) to work (\"localhost\" is "
              "127.0.0.1; bound_port may be NULL)\n     got: -1 (%s)",
              strerror(errno));
    close(lfd2);
}

TEST(listen_reuseaddr, .id = "1.1.2",
     .title = "net_listen sets SO_REUSEADDR: a port can be bound again right after its server "
              "closed a connection",
     .hint = "TUTORIAL §1.2 (SO_REUSEADDR, TIME_WAIT); man 7 socket; RFC 9293 §3.6") {
    int port = -1;
    int lfd = net_listen("127.0.0.1", 0, &port);
    if (lfd < 0)
        FAILF("expected: a listening fd from net_listen\n     got: -1 (%s)", strerror(errno));
    int on = 0;
    socklen_t len = sizeof on;
    getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, &len);
    t_note("getsockopt(SO_REUSEADDR) on the listening socket gave %d", on);
    CHECK(on != 0);

    /* While it listens, the port is taken. */
    int busy = net_listen("127.0.0.1", port, NULL);
    if (busy >= 0)
        FAILF("expected: net_listen on port %d to fail while another socket listens on it\n     "
              "got: fd %d (SO_REUSEPORT set by mistake?)",
              port, busy);

    /* The server closes first, so its end of the connection lingers in
     * TIME_WAIT: without SO_REUSEADDR the next bind fails with EADDRINUSE. */
    int cfd = raw_connect(port);
    int afd = net_accept(lfd);
    CHECK(cfd >= 0 && afd >= 0);
    close(afd);
    char byte;
    CHECK_INT(read_full(cfd, &byte, 1, 2000), 0); /* its FIN arrived */
    close(cfd);
    close(lfd);
    int port2 = -1;
    int again = net_listen("127.0.0.1", port, &port2);
    if (again < 0)
        FAILF("expected: net_listen(\"127.0.0.1\", %d) right after the old server closed\n     "
              "got: -1 (%s)",
              port, strerror(errno));
    CHECK_INT(port2, port);
    close(again);
}

TEST(connect_works_and_refuses, .id = "1.1.3",
     .title = "net_connect reaches a listening port and reports ECONNREFUSED for a closed one",
     .hint = "TUTORIAL §1.2 (connect with a timeout); man 2 connect, man 2 poll") {
    int port;
    int lfd = raw_listener(&port);
    int cfd = net_connect("127.0.0.1", port, 2000);
    if (cfd < 0)
        FAILF("expected: net_connect(\"127.0.0.1\", %d, 2000) to return a connected fd\n     got: "
              "-1 (%s)",
              port, strerror(errno));
    int afd = accept(lfd, NULL, NULL);
    CHECK(afd >= 0);
    expect_connected(cfd, afd);
    expect_connected(afd, cfd);
    close(afd), close(cfd), close(lfd);

    errno = 0;
    int none = net_connect("127.0.0.1", port, 2000);
    if (none >= 0 || errno != ECONNREFUSED)
        FAILF("expected: net_connect to a port nobody listens on to return -1 with errno "
              "ECONNREFUSED\n     got: %d (errno: %s)",
              none, strerror(errno));
}

TEST(accept_returns_eintr, .id = "1.1.4",
     .title = "net_accept returns -1/EINTR when a signal interrupts it, so a server can stop",
     .hint = "TUTORIAL §1.2 (EINTR, stopping cleanly); net.h; man 2 accept") {
    int port;
    int lfd = raw_listener(&port);
    int cfd = raw_connect(port);
    int afd = net_accept(lfd);
    if (afd < 0)
        FAILF("expected: net_accept to return a connected fd\n     got: -1 (%s)", strerror(errno));
    close(afd), close(cfd);

    pthread_t th;
    struct interrupter it;
    start_interrupter(&th, &it, -1, NULL);
    t_waiting("net_accept to return after a signal interrupted it (does it retry on EINTR?)");
    errno = 0;
    int r = net_accept(lfd);
    int saved = errno;
    pthread_join(th, NULL);
    if (r != -1 || saved != EINTR)
        FAILF("expected: net_accept to return -1 with errno EINTR after a signal\n     got: %d "
              "(errno: %s)",
              r, strerror(saved));
    close(lfd);
}

/* ---- read and write ------------------------------------------------------ */

TEST(read_survives_eintr, .id = "1.1.5",
     .title = "net_read retries after a signal (EINTR) and returns the data sent later",
     .hint = HINT_EINTR) {
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t th;
    struct interrupter it;
    start_interrupter(&th, &it, sv[1], "late data");
    t_waiting("net_read to return the 9 bytes written after the signal");
    char buf[64];
    ssize_t n = net_read(sv[0], buf, sizeof buf);
    int saved = errno;
    pthread_join(th, NULL);
    t_note("%d signal(s) interrupted net_read", (int)signals_caught);
    if (n < 0)
        FAILF("expected: net_read to retry after EINTR and return \"late data\"\n     got: -1 "
              "(%s)",
              strerror(saved));
    CHECK(signals_caught > 0);
    CHECK_MEM(buf, (size_t)n, "late data", 9);

    /* One read(2): what is there, not a full buffer. */
    CHECK_INT(write(sv[1], "abc", 3), 3);
    t_waiting("net_read to return the 3 bytes available (does it wait to fill the buffer?)");
    n = net_read(sv[0], buf, sizeof buf);
    CHECK_MEM(buf, n > 0 ? (size_t)n : 0, "abc", 3);
    close(sv[1]);
    CHECK_INT(net_read(sv[0], buf, sizeof buf), 0); /* end of stream */
    close(sv[0]);
}

/* Every byte of the stream, by position: a lost, repeated or reordered piece
 * shows as a mismatch. */
static unsigned char stream_byte(size_t i) {
    return (unsigned char)((i * 2654435761u) >> 13);
}

struct drain {
    int fd;
    size_t got;
    size_t first_bad; /* offset of the first wrong byte, or SIZE_MAX */
};

static void *drain_and_check(void *arg) {
    struct drain *d = arg;
    unsigned char buf[997];
    d->first_bad = SIZE_MAX;
    for (;;) {
        ssize_t n = read(d->fd, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t k = 0; k < n; k++)
            if (d->first_bad == SIZE_MAX && buf[k] != stream_byte(d->got + (size_t)k))
                d->first_bad = d->got + (size_t)k;
        d->got += (size_t)n;
    }
    return NULL;
}

struct pester {
    pthread_t target;
    atomic_bool stop;
    int sent;
};

static void *pester_target(void *arg) {
    struct pester *p = arg;
    while (!atomic_load(&p->stop)) {
        pthread_kill(p->target, SIGUSR1);
        p->sent++;
        nanosleep(&(struct timespec){0, 200 * 1000L}, NULL);
    }
    return NULL;
}

TEST(write_all_short_writes, .id = "1.1.6", .points = 2,
     .title = "net_write_all delivers every byte in order when signals cut its writes short",
     .timeout = 10, .hint = HINT_EINTR) {
    enum { TOTAL = 2 << 20 };
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    unsigned char *data = malloc(TOTAL);
    for (size_t i = 0; i < TOTAL; i++) data[i] = stream_byte(i);

    struct drain d = {.fd = sv[1]};
    struct pester p = {.target = pthread_self()};
    atomic_init(&p.stop, false);
    catch_sigusr1();
    pthread_t reader, pest;
    if (pthread_create(&reader, NULL, drain_and_check, &d) != 0 ||
        pthread_create(&pest, NULL, pester_target, &p) != 0)
        FAILF("test: pthread_create");
    t_waiting("net_write_all to write 2 MiB through a 4 KiB socket buffer");
    int rc = net_write_all(sv[0], data, TOTAL);
    int saved = errno;
    atomic_store(&p.stop, true);
    pthread_join(pest, NULL);
    close(sv[0]);
    pthread_join(reader, NULL);
    close(sv[1]);
    free(data);
    t_note("%d signals were sent while net_write_all ran; %d were caught", p.sent,
           (int)signals_caught);
    if (rc != 0)
        FAILF("expected: net_write_all to return 0 (a signal is no reason to give up)\n     got: "
              "%d (%s)",
              rc, strerror(saved));
    if (d.got != TOTAL)
        FAILF("expected: the reader to receive all %d bytes\n     got: %zu bytes (short writes "
              "not continued, or repeated?)",
              TOTAL, d.got);
    if (d.first_bad != SIZE_MAX)
        FAILF("expected: the bytes to arrive in the order written\n     got: a wrong byte at "
              "offset %zu (after a short write, continue from where it stopped)",
              d.first_bad);
}

TEST(write_all_epipe, .id = "1.1.7",
     .title = "net_write_all returns -1 with EPIPE once the peer has gone (SIGPIPE ignored)",
     .hint = "TUTORIAL §1.2 (SIGPIPE); man 7 signal; man 2 write (EPIPE)") {
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_INT(net_write_all(sv[0], "hello", 5), 0);
    char got[5];
    size_t n = read_full(sv[1], got, 5, 2000);
    CHECK_MEM(got, n, "hello", 5);
    close(sv[1]);
    errno = 0;
    int rc = net_write_all(sv[0], "more", 4);
    if (rc != -1 || errno != EPIPE)
        FAILF("expected: -1 with errno EPIPE when writing to a connection whose peer closed\n     "
              "got: %d (errno: %s)",
              rc, strerror(errno));
    close(sv[0]);
}
