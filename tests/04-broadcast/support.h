/*
 * support — what the Lab 4 tests share.
 *
 * Unit tests (loop, conn, hub) drive the lab's modules directly and need
 * only a few helpers here: pipes and socket pairs, and a bounded way to run
 * the loop until something has happened. Tests of the `chat` program speak
 * WebSocket to it with the tests' own client (ws_client.h), and read many
 * connections at once with `struct rx`: a frame reader that collects every
 * message of a connection without ever blocking on one of them.
 */
#ifndef LAB4_SUPPORT_H
#define LAB4_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "ws_client.h"

/* ---- descriptors -------------------------------------------------------------------- */

/* A non-blocking pipe / AF_UNIX stream socket pair (close-on-exec). */
void make_pipe(int fds[2]);
void make_socketpair(int fds[2]);
/* A connected TCP pair on 127.0.0.1: *a is the accepted side, *b the one that
 * connected; both non-blocking. */
void make_tcp_pair(int *a, int *b);
/* Is fd an open descriptor? */
bool fd_is_open(int fd);
/* Reads whatever fd has now into out; returns bytes read, 0 if none, -1 at
 * EOF (or a reset) with nothing read. */
ssize_t drain_fd(int fd, struct bytes *out);

/* The most a TCP socket's send buffer may grow to (tcp_wmem's maximum,
 * 4 MiB by default): what the kernel can hold for a client that does not
 * read before the server's own queue starts to grow. */
size_t tcp_send_buffer_max(void);

/* Raises this process's RLIMIT_NOFILE soft limit to the hard limit; returns
 * the new soft limit. */
long raise_fd_limit(void);

/* ---- under sanitizers --------------------------------------------------------------- */

/* With LeakSanitizer: fails if memory allocated so far is unreachable (the
 * test freed what it owns, so anything left is the lab's). Without: nothing. */
void expect_no_leaks(const char *what);

/* Is this build instrumented with AddressSanitizer? */
bool under_asan(void);

/* Bytes of heap in use by this process now (malloc'd and not freed). */
size_t heap_in_use(void);

/* ---- the chat program --------------------------------------------------------------- */

/* The web root made for this test: index.html and big.bin (BIG_FILE_SIZE
 * bytes of binary_pattern(…, 7)). */
#define BIG_FILE_SIZE 300000
const char *chat_root(void);
#define INDEX_HTML "<!doctype html><title>lab 4 test root</title>\n"

/* Starts `chat` on the test root with more options (NULL-terminated). */
struct t_server *chat_start(const char *opt, ...);

/* Connects to path and completes the handshake; if members is not NULL,
 * expects the first message to be exactly that text ("members ann"). */
struct t_conn *chat_join(int port, const char *path, const char *members);

/* Sends one text message. */
void say(struct t_conn *c, const char *text);

/* The server's resident memory (VmRSS) in KiB, or -1. */
long server_rss_kib(struct t_server *s);

/* ---- reading many connections at once ----------------------------------------------- */

/* One connection's incoming frames, parsed as they arrive. Text messages are
 * kept (in order); a close frame ends them; anything a server may not send
 * (a masked frame, RSV bits, a fragment, a non-shortest length) fails the
 * test at once. */
struct rx {
    struct t_conn *c;
    const char *label; /* for failures: "client 3" */
    struct bytes in;   /* received, not yet parsed */
    char **msgs;       /* the text messages kept, NUL-terminated */
    size_t nmsgs, cap; /* (other frames are kept as "<binary 3 bytes>") */
    size_t count;      /* messages received, kept or not */
    char *first;       /* the first one (kept even when discarding) */
    char *last;        /* the last one (owned here when not kept) */
    bool discard;      /* count the messages, keep only the last */
    int close_code;    /* the close frame's code: -1 none yet, 0 empty */
    bool eof;          /* the server closed (or reset) the connection */
    bool primed;       /* bytes the harness had buffered were taken */
    unsigned long long pongs;
};

void rx_init(struct rx *r, struct t_conn *c, const char *label);
void rx_free(struct rx *r); /* frees the messages, not the connection */

/* One round: waits up to timeout_ms for any of the n connections to have
 * bytes, reads what each has and parses it. Returns the number of bytes
 * read in total. */
size_t rx_poll(struct rx *rx, size_t n, int timeout_ms);

/* Reads until every connection i has received at least want[i] (or
 * want_all when want is NULL) messages (count), failing after timeout_ms with `what` and who was
 * missing what. */
void rx_wait(struct rx *rx, size_t n, const size_t *want, size_t want_all, int timeout_ms,
             const char *what);

/* Reads one connection until the server closes it (EOF) or timeout_ms pass;
 * false on timeout. */
bool rx_wait_eof(struct rx *r, int timeout_ms);

/* The index of the first message equal to text at or after `from`, or -1. */
long rx_find(const struct rx *r, size_t from, const char *text);

/* Reads one connection until a message equal to text has come at or after
 * index `from`, failing after timeout_ms. */
void rx_wait_for(struct rx *r, size_t from, const char *text, int timeout_ms);

#endif
