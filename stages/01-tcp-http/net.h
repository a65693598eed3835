/*
 * net — the socket layer.
 *
 * Everything above this file sees a connection as a file descriptor and two
 * promises: net_read() returns what one read returned, and net_write_all()
 * writes all of it or fails. The socket API breaks both promises in ways that
 * only show up under load: a read can be cut short, a write can accept fewer
 * bytes than asked, and a signal can interrupt either (EINTR). These functions
 * are where that is handled, once.
 *
 * Lab 1, task 1. Read: TUTORIAL §1.2 "The socket API"; man 2 socket, bind,
 * listen, accept, read, write; man 7 tcp; man 7 signal (SIGPIPE).
 */
#ifndef WSLAB_NET_H
#define WSLAB_NET_H

#include <stddef.h>
#include <sys/types.h>

/* Opens a TCP socket listening on host:port (IPv4 dotted quad or "localhost";
 * port 0 picks a free port), with SO_REUSEADDR set so a restarted server can
 * bind again at once. Stores the port actually bound in *bound_port if it is
 * not NULL. Returns the listening fd, or -1 with errno set. */
int net_listen(const char *host, int port, int *bound_port);

/* Accepts one connection, retrying when a client left before it was accepted
 * (ECONNABORTED). Returns the connected fd, or -1 with errno set; EINTR is
 * returned, not retried, so that a server can check whether a signal asked it
 * to stop. */
int net_accept(int listen_fd);

/* Connects to host:port, giving up after timeout_ms. Returns the connected fd,
 * or -1 with errno set (ETIMEDOUT on a timeout). */
int net_connect(const char *host, int port, int timeout_ms);

/* Reads at most len bytes: one read(2), retried on EINTR. Returns the number
 * read (which may be less than len), 0 at end of stream, -1 on error. */
ssize_t net_read(int fd, void *buf, size_t len);

/* Writes all len bytes, looping over short writes and retrying on EINTR.
 * Returns 0 when everything was written, -1 on error (errno set; EPIPE when
 * the peer has gone — which needs SIGPIPE ignored, see tcpecho.c). */
int net_write_all(int fd, const void *buf, size_t len);

#endif
