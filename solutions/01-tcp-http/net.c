/*
 * net — the socket layer (see net.h).
 *
 * A TCP server's life in system calls: socket() makes an endpoint, bind()
 * gives it an address, listen() turns it into a queue of incoming
 * connections, and accept() takes one connection off that queue as a new fd.
 * A client calls socket() and connect(). After that both sides just read()
 * and write() a stream of bytes — with the catches that net.h lists, which
 * are handled here so that no other file has to think about them.
 *
 * Lab 1, task 1. Read: TUTORIAL §1.2; man 2 socket, bind, listen, accept,
 * connect, poll; man 7 ip, tcp, socket.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How many finished handshakes the kernel may queue before we accept() them;
 * the kernel caps it at net.core.somaxconn. */
#define LISTEN_BACKLOG 511

/* Fills *addr with host:port. The kit only ever talks over loopback, so a
 * host is an IPv4 dotted quad or "localhost" — no DNS lookup needed.
 * Returns 0, or -1 with errno = EINVAL. */
static int ipv4_address(const char *host, int port, struct sockaddr_in *addr) {
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
    if (port < 0 || port > 65535 || inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    addr->sin_port = htons((unsigned short)port); /* network byte order */
    return 0;
}

/* Closes fd without letting close() overwrite the errno we want to report. */
static int close_keeping_errno(int fd) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int net_listen(const char *host, int port, int *bound_port) {
    struct sockaddr_in addr;
    if (ipv4_address(host, port, &addr) < 0) return -1;

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    /* Without SO_REUSEADDR, a restarted server could not bind for about a
     * minute while the old connections sit in TIME_WAIT. */
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return close_keeping_errno(fd);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return close_keeping_errno(fd);
    if (listen(fd, LISTEN_BACKLOG) < 0) return close_keeping_errno(fd);

    if (bound_port != NULL) {
        /* With port 0 the kernel chose the port at bind(); ask which. */
        socklen_t len = sizeof addr;
        if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) return close_keeping_errno(fd);
        *bound_port = ntohs(addr.sin_port);
    }
    return fd;
}

int net_accept(int listen_fd) {
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        /* ECONNABORTED: that client gave up while queued; take the next. */
        if (fd >= 0 || errno != ECONNABORTED) return fd;
    }
}

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

/* Waits until the non-blocking connect on fd has finished, at most until
 * deadline (monotonic ms). Returns 0 when connected, -1 with errno set. */
static int finish_connect(int fd, long long deadline) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    for (;;) {
        long long left = deadline - monotonic_ms();
        if (left < 0) left = 0;
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR) continue; /* recompute what is left */
        if (n < 0) return -1;
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        break;
    }
    /* Writable means "finished", not "succeeded": SO_ERROR says which. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int net_connect(const char *host, int port, int timeout_ms) {
    struct sockaddr_in addr;
    if (ipv4_address(host, port, &addr) < 0) return -1;

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    /* A blocking connect() waits as long as the kernel likes (minutes for an
     * address that does not answer). Non-blocking, it returns EINPROGRESS at
     * once and poll() waits for the outcome with our own timeout. */
    long long deadline = monotonic_ms() + timeout_ms;
    if (set_nonblocking(fd, 1) < 0) return close_keeping_errno(fd);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        if (errno != EINPROGRESS) return close_keeping_errno(fd);
        if (finish_connect(fd, deadline) < 0) return close_keeping_errno(fd);
    }
    /* The rest of the kit expects blocking reads and writes. */
    if (set_nonblocking(fd, 0) < 0) return close_keeping_errno(fd);
    return fd;
}

ssize_t net_read(int fd, void *buf, size_t len) {
    for (;;) {
        ssize_t n = read(fd, buf, len);
        /* EINTR: a signal arrived before any byte did; nothing was lost. */
        if (n >= 0 || errno != EINTR) return n;
    }
}

int net_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        /* A short write is not an error: the kernel took what fit in the
         * socket's send buffer. Send the rest. */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
