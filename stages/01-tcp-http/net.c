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

int net_listen(const char *host, int port, int *bound_port) {
    struct sockaddr_in addr;
    if (ipv4_address(host, port, &addr) < 0) return -1;

    /* TODO(handout step 1.1): make a TCP socket (socket(AF_INET, SOCK_STREAM,
     * 0)), set SO_REUSEADDR on it (setsockopt), bind it to addr, and listen()
     * with LISTEN_BACKLOG. If bound_port is not NULL, ask getsockname() which
     * port was bound (port 0 lets the kernel choose). On any failure close the
     * socket and return -1 with errno from the failed call.
     * man 2 socket, setsockopt, bind, listen, getsockname; man 7 socket. */
    (void)bound_port;
    errno = ENOSYS;
    return -1;
}

int net_accept(int listen_fd) {
    /* TODO(handout step 1.2): accept() one connection. Retry when it fails
     * with ECONNABORTED (the client left while queued); return any other
     * failure, EINTR included, so that the caller can check for a stop.
     * man 2 accept (ERRORS). */
    (void)listen_fd;
    errno = ENOSYS;
    return -1;
}

int net_connect(const char *host, int port, int timeout_ms) {
    struct sockaddr_in addr;
    if (ipv4_address(host, port, &addr) < 0) return -1;

    /* TODO(handout step 1.4): socket(), make it non-blocking (fcntl
     * O_NONBLOCK), connect(); on EINPROGRESS poll() for POLLOUT until
     * timeout_ms has passed (ETIMEDOUT), then read the outcome with
     * getsockopt(SO_ERROR). Make the socket blocking again before returning it.
     * man 2 connect (EINPROGRESS), man 2 poll, man 2 fcntl. */
    (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

ssize_t net_read(int fd, void *buf, size_t len) {
    /* TODO(handout step 1.3): one read(), repeated only while it fails with
     * EINTR (a signal came before any byte did). man 2 read, man 7 signal. */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

int net_write_all(int fd, const void *buf, size_t len) {
    /* TODO(handout step 1.3): write() until all len bytes are out. A write
     * may take fewer bytes than asked (continue after them) or fail with
     * EINTR (try again); any other failure returns -1. man 2 write. */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}
