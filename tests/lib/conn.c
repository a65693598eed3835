/*
 * conn.c — raw TCP connections for tests, every byte recorded.
 *
 * Each connection keeps the first bytes it sent and the last bytes in each
 * direction in the shared page, so that any failure — even a timeout the
 * runner had to kill — can show what crossed the wire, with offsets, and a
 * printf | nc command that replays what the test sent.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct t_conn {
    int fd;
    int idx; /* its record in the shared page */
    int port;
    char *pending; /* bytes read but not yet returned (after a delimiter) */
    size_t npending, cap;
};

void t_record(int idx, bool sent, const void *data, size_t len) {
    if (idx < 0 || idx >= T_MAX_CONNS) return;
    struct t_conn_record *r = &t_sh->conns[idx];
    const unsigned char *p = data;
    unsigned long long *total = sent ? &r->sent_total : &r->recv_total;
    char *tail = sent ? r->sent_tail : r->recv_tail;
    for (size_t i = 0; i < len; i++) {
        if (sent && *total < T_HEAD_KEPT) r->sent_head[*total] = (char)p[i];
        tail[*total % T_TAIL] = (char)p[i];
        (*total)++;
    }
}

/* Connects within 2 s; returns the fd or -1. */
static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t el = sizeof err;
    if (poll(&p, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

struct t_conn *t_conn_try_open(int port) {
    int fd = connect_loopback(port);
    if (fd < 0) return NULL;
    struct t_conn *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->port = port;
    c->idx = t_sh->nconns < T_MAX_CONNS ? t_sh->nconns++ : -1;
    if (c->idx >= 0) {
        t_sh->conns[c->idx].port = port;
        t_sh->conns[c->idx].used = true;
    }
    return c;
}

struct t_conn *t_conn_open(int port) {
    t_waiting("a TCP connection to 127.0.0.1:%d", port);
    struct t_conn *c = t_conn_try_open(port);
    if (!c)
        FAILF("expected: a TCP connection to 127.0.0.1:%d\n     got: %s", port,
              errno ? strerror(errno) : "no answer within 2 s");
    return c;
}

int t_conn_fd(struct t_conn *c) {
    return c->fd;
}

void t_conn_close(struct t_conn *c) {
    if (!c) return;
    close(c->fd);
    free(c->pending);
    free(c);
}

void t_conn_abort(struct t_conn *c) {
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    t_conn_close(c);
}

void t_conn_shutdown_write(struct t_conn *c) {
    shutdown(c->fd, SHUT_WR);
}

bool t_try_send(struct t_conn *c, const void *data, size_t len) {
    const char *p = data;
    long long deadline = t_now_ms() + 5000;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            t_record(c->idx, true, p, (size_t)n);
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            long long left = deadline - t_now_ms();
            struct pollfd pf = {.fd = c->fd, .events = POLLOUT};
            if (left <= 0 || poll(&pf, 1, (int)left) <= 0) return false;
            continue;
        }
        return false;
    }
    return true;
}

void t_send(struct t_conn *c, const void *data, size_t len) {
    t_waiting("the server to accept %zu bytes we were sending (it stopped reading?)", len);
    if (!t_try_send(c, data, len))
        FAILF("expected: to send %zu bytes to the server\n     got: %s", len,
              errno == EAGAIN ? "the server stopped reading for 5 s" : strerror(errno));
}

void t_send_str(struct t_conn *c, const char *s) {
    t_send(c, s, strlen(s));
}

void t_send_dribble(struct t_conn *c, const void *data, size_t len, size_t chunk, int pause_ms) {
    const char *p = data;
    for (size_t off = 0; off < len; off += chunk) {
        t_send(c, p + off, len - off < chunk ? len - off : chunk);
        if (pause_ms > 0) nanosleep(&(struct timespec){0, pause_ms * 1000000L}, NULL);
    }
}

/* Waits up to timeout_ms and reads once into the pending buffer.
 * Returns bytes read, 0 at EOF, -1 on timeout, -2 on error (errno). */
static ssize_t fill(struct t_conn *c, long long deadline) {
    for (;;) {
        long long left = deadline - t_now_ms();
        if (left < 0) left = 0;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return -1;
        if (r < 0) return -2;
        if (c->npending + 65536 > c->cap) {
            c->cap = c->cap * 2 + 65536;
            c->pending = realloc(c->pending, c->cap);
        }
        ssize_t n = recv(c->fd, c->pending + c->npending, c->cap - c->npending, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) return errno == ECONNRESET ? 0 : -2;
        t_record(c->idx, false, c->pending + c->npending, (size_t)n);
        c->npending += (size_t)n;
        return n;
    }
}

/* Takes n bytes from the front of pending as a malloc'd NUL-terminated copy. */
static char *take(struct t_conn *c, size_t n) {
    char *out = malloc(n + 1);
    out[n] = '\0';
    if (n == 0) return out;
    memcpy(out, c->pending, n);
    memmove(c->pending, c->pending + n, c->npending - n);
    c->npending -= n;
    return out;
}

static void fail_read(struct t_conn *c, ssize_t r, const char *what, int timeout_ms) {
    const char *pre = c->npending ? t_escape(c->pending, c->npending, 300) : "";
    if (r == -1)
        FAILF("expected: %s within %d ms\n     got: %s%s%s", what, timeout_ms,
              c->npending ? "only \"" : "nothing", pre, c->npending ? "\", then silence" : "");
    if (r == 0)
        FAILF("expected: %s\n     got: %s%s%sthe server closed the connection", what,
              c->npending ? "\"" : "", pre, c->npending ? "\", then " : "");
    FAILF("expected: %s\n     got: error %s", what, strerror(errno));
}

char *t_read_exact(struct t_conn *c, size_t n, int timeout_ms) {
    char what[128];
    snprintf(what, sizeof what, "%zu bytes from the server", n);
    t_waiting("%s", what);
    long long deadline = t_now_ms() + timeout_ms;
    while (c->npending < n) {
        ssize_t r = fill(c, deadline);
        if (r <= 0) fail_read(c, r, what, timeout_ms);
    }
    return take(c, n);
}

char *t_read_until(struct t_conn *c, const char *delim, size_t max, int timeout_ms, size_t *len) {
    char what[256];
    snprintf(what, sizeof what, "bytes ending with \"%s\"", t_escape(delim, strlen(delim), 60));
    t_waiting("%s", what);
    long long deadline = t_now_ms() + timeout_ms;
    size_t dl = strlen(delim);
    for (;;) {
        char *at = c->npending ? memmem(c->pending, c->npending, delim, dl) : NULL;
        if (at) {
            size_t n = (size_t)(at - c->pending) + dl;
            if (len) *len = n;
            return take(c, n);
        }
        if (c->npending > max)
            FAILF("expected: %s within %zu bytes\n     got: %zu bytes without it: \"%s\"", what,
                  max, c->npending, t_escape(c->pending, c->npending, 300));
        ssize_t r = fill(c, deadline);
        if (r <= 0) fail_read(c, r, what, timeout_ms);
    }
}

char *t_read_to_eof(struct t_conn *c, size_t max, int timeout_ms, size_t *len) {
    t_waiting("the server to close the connection");
    long long deadline = t_now_ms() + timeout_ms;
    for (;;) {
        if (c->npending > max)
            FAILF("expected: the server to close after at most %zu bytes\n     got: %zu bytes "
                  "and still open",
                  max, c->npending);
        ssize_t r = fill(c, deadline);
        if (r == 0) break;
        if (r < 0) fail_read(c, r, "the server to close the connection", timeout_ms);
    }
    if (len) *len = c->npending;
    return take(c, c->npending);
}

ssize_t t_read_some(struct t_conn *c, void *buf, size_t max, int timeout_ms) {
    t_waiting("any bytes from the server");
    if (c->npending == 0) {
        ssize_t r = fill(c, t_now_ms() + timeout_ms);
        if (r == 0) return -1;
        if (r < 0) return 0;
    }
    size_t n = c->npending < max ? c->npending : max;
    char *p = take(c, n);
    memcpy(buf, p, n);
    free(p);
    return (ssize_t)n;
}

void t_expect_closed(struct t_conn *c, int timeout_ms) {
    t_waiting("the server to close the connection");
    if (c->npending)
        FAILF("expected: the server to close the connection\n     got: more bytes first: \"%s\"",
              t_escape(c->pending, c->npending, 300));
    ssize_t r = fill(c, t_now_ms() + timeout_ms);
    if (r == 0) return;
    if (r > 0)
        FAILF("expected: the server to close the connection\n     got: more bytes: \"%s\"",
              t_escape(c->pending, c->npending, 300));
    if (r == -2 && (errno == ECONNRESET || errno == EPIPE)) return;
    FAILF("expected: the server to close the connection within %d ms\n     got: %s", timeout_ms,
          r == -1 ? "it stayed open" : strerror(errno));
}

void t_expect_silence(struct t_conn *c, int ms) {
    if (c->npending)
        FAILF("expected: nothing from the server\n     got: \"%s\"",
              t_escape(c->pending, c->npending, 300));
    ssize_t r = fill(c, t_now_ms() + ms);
    if (r == -1) return;
    if (r == 0) FAILF("expected: the connection to stay open and silent\n     got: it was closed");
    FAILF("expected: nothing from the server for %d ms\n     got: \"%s\"", ms,
          t_escape(c->pending, c->npending, 300));
}

bool t_peer_closed(struct t_conn *c, int timeout_ms) {
    long long deadline = t_now_ms() + timeout_ms;
    for (;;) {
        ssize_t r = fill(c, deadline);
        if (r == 0) return true;
        if (r == -2) return errno == ECONNRESET || errno == EPIPE;
        if (r == -1) return false;
        c->npending = 0; /* data before the close is not what we are asking about */
    }
}

/* ---- printing what happened --------------------------------------------- */

/* Prints the last bytes of one direction: "[from..to) "escaped"". */
static void print_tail(FILE *f, const char *label, const char *ring, unsigned long long total) {
    if (total == 0) {
        fprintf(f, "      %s: nothing\n", label);
        return;
    }
    unsigned long long from = total > T_TAIL ? total - T_TAIL : 0;
    char buf[T_TAIL];
    size_t n = 0;
    for (unsigned long long i = from; i < total; i++) buf[n++] = ring[i % T_TAIL];
    fprintf(f, "      %s [%llu..%llu): \"%s\"\n", label, from, total, t_escape(buf, n, T_TAIL));
}

/* Writes bytes as a shell printf format: printable ASCII as is, the rest as
 * octal escapes (portable printf), % doubled, ' closed and reopened. */
static void print_printf_arg(FILE *f, const char *p, size_t n) {
    fputc('\'', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\'')
            fputs("'\\''", f);
        else if (ch == '%')
            fputs("%%", f);
        else if (ch == '\\')
            fputs("\\\\", f);
        else if (ch == '\r')
            fputs("\\r", f);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(f, "\\%03o", ch);
        else
            fputc(ch, f);
    }
    fputc('\'', f);
}

static void print_repro(FILE *f, const struct t_shared *sh) {
    if (sh->repro[0]) {
        fprintf(f, "  reproduce by hand:\n    %s\n", sh->repro);
        return;
    }
    /* Replay the last connection that sent something, if it was short. */
    for (int i = sh->nconns - 1; i >= 0; i--) {
        const struct t_conn_record *r = &sh->conns[i];
        if (r->sent_total == 0) continue;
        if (r->sent_total > T_HEAD_KEPT) return;
        const char *cmd = "";
        for (int s = sh->nservers - 1; s >= 0; s--)
            if (sh->servers[s].cmdline[0]) {
                cmd = sh->servers[s].cmdline;
                break;
            }
        fprintf(f, "  reproduce by hand (two terminals):\n");
        if (cmd[0]) fprintf(f, "    $ %s --port 9999\n", cmd);
        fprintf(f, "    $ printf ");
        print_printf_arg(f, r->sent_head, (size_t)r->sent_total);
        fprintf(f, " | nc -q 3 127.0.0.1 %s\n", cmd[0] ? "9999" : "PORT");
        return;
    }
}

void t_print_tail(FILE *f, const char *path, int lines, const char *indent) {
    FILE *in = fopen(path, "r");
    if (!in) return;
    char *ring[64] = {0};
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    if (lines > 64) lines = 64;
    while (getline(&line, &cap, in) > 0) {
        free(ring[n % lines]);
        ring[n % lines] = strdup(line);
        n++;
    }
    free(line);
    fclose(in);
    int from = n > lines ? n - lines : 0;
    for (int i = from; i < n; i++) {
        char *l = ring[i % lines];
        l[strcspn(l, "\n")] = '\0';
        fprintf(f, "%s%s\n", indent, t_escape(l, strlen(l), 300));
    }
    for (int i = 0; i < lines; i++) free(ring[i]);
}

void t_print_context(FILE *f, const struct t_shared *sh) {
    if (sh->notes[0]) {
        fprintf(f, "  context:\n");
        const char *p = sh->notes;
        while (*p) {
            size_t n = strcspn(p, "\n");
            fprintf(f, "    %.*s\n", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    for (int i = 0; i < sh->nconns; i++) {
        const struct t_conn_record *r = &sh->conns[i];
        if (sh->nconns > 4 && i < sh->nconns - 4) continue; /* the last four tell the story */
        fprintf(f, "  connection %d to 127.0.0.1:%d: sent %llu bytes, received %llu bytes\n", i + 1,
                r->port, r->sent_total, r->recv_total);
        print_tail(f, "sent", r->sent_tail, r->sent_total);
        print_tail(f, "received", r->recv_tail, r->recv_total);
    }
    print_repro(f, sh);
    for (int i = 0; i < sh->nservers; i++) {
        fprintf(f, "  last lines of %s's output (%s):\n", sh->servers[i].name,
                sh->servers[i].running ? "running" : "stopped");
        t_print_tail(f, sh->servers[i].log, 10, "    | ");
    }
}
