/*
 * hslog — the last handshakes the server saw, for the Lab 2 page.
 *
 * A browser's JavaScript never sees the raw handshake (the WebSocket API hides
 * it), so the server keeps the newest HSLOG_KEEP handshakes — request and
 * response bytes as they crossed the wire — and serves them as JSON at
 * /handshakes. Thread-safe: connections record from their own threads.
 *
 * Given code.
 */
#ifndef WSLAB_HSLOG_H
#define WSLAB_HSLOG_H

#include <stddef.h>

#include "buf.h"

#define HSLOG_KEEP 20

/* Records a handshake; returns its id (1, 2, …) for hslog_closed. The
 * request and response are copied (each cut at 8 KiB). */
long long hslog_add(const char *peer, const char *request, size_t request_len, const char *response,
                    size_t response_len, int status, const char *protocol);

/* Notes that connection `id` ended after the client sent bytes_after bytes
 * following its handshake. */
void hslog_closed(long long id, long long bytes_after);

/* Writes {"handshakes":[{"id":N,"time":MS,"peer":"…","status":101,
 * "protocol":"…","request":"…","response":"…","open":true,
 * "bytes_after":N},…]}, oldest first. Returns 0, or -1 if out is full. */
int hslog_json(struct buf *out);

#endif
