/*
 * support.c — the Lab 4 tests' shared helpers. See support.h.
 */
#define _GNU_SOURCE /* pipe2, accept4 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/lsan_interface.h>
size_t __sanitizer_get_current_allocated_bytes(void); /* sanitizer/allocator_interface.h */
#else
#include <malloc.h>
#endif

/* ---- descriptors -------------------------------------------------------------------- */

static void nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        FAILF("test setup: fcntl: %s", strerror(errno));
}

void make_pipe(int fds[2]) {
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) FAILF("test setup: pipe: %s", strerror(errno));
}

void make_socketpair(int fds[2]) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
        FAILF("test setup: socketpair: %s", strerror(errno));
}

void make_tcp_pair(int *a, int *b) {
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1) < 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &len) < 0)
        FAILF("test setup: a listening socket on 127.0.0.1: %s", strerror(errno));
    *b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*b < 0 || connect(*b, (struct sockaddr *)&addr, sizeof addr) < 0)
        FAILF("test setup: connect to 127.0.0.1: %s", strerror(errno));
    *a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (*a < 0) FAILF("test setup: accept: %s", strerror(errno));
    close(lfd);
    nonblocking(*a);
    nonblocking(*b);
    int one = 1;
    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool fd_is_open(int fd) {
    return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

ssize_t drain_fd(int fd, struct bytes *out) {
    unsigned char buf[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            bytes_put(out, buf, (size_t)n);
            total += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return total ? (ssize_t)total : -1;
        return (ssize_t)total; /* EAGAIN */
    }
}

size_t tcp_send_buffer_max(void) {
    unsigned long min, def, max = 0;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f) {
        if (fscanf(f, "%lu %lu %lu", &min, &def, &max) != 3) max = 0;
        fclose(f);
    }
    return max ? (size_t)max : 4u << 20;
}

long raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

/* ---- under sanitizers --------------------------------------------------------------- */

bool under_asan(void) {
#ifdef HAVE_ASAN
    return true;
#else
    return false;
#endif
}

size_t heap_in_use(void) {
#ifdef HAVE_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

void expect_no_leaks(const char *what) {
#ifdef HAVE_ASAN
    if (__lsan_do_recoverable_leak_check())
        FAILF("expected: %s, nothing left allocated\n     got: LeakSanitizer found memory "
              "nobody points to any more (its report is above)",
              what);
#else
    (void)what;
#endif
}

/* ---- the chat program --------------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len)
        FAILF("test setup: cannot write %s: %s", path, strerror(errno));
    close(fd);
}

const char *chat_root(void) {
    static char root[512];
    if (root[0]) return root;
    snprintf(root, sizeof root, "%s/www", t_tmpdir());
    if (mkdir(root, 0755) != 0) FAILF("test setup: mkdir %s: %s", root, strerror(errno));
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", root);
    write_file(path, INDEX_HTML, sizeof INDEX_HTML - 1);
    unsigned char *big = binary_pattern(BIG_FILE_SIZE, 7);
    snprintf(path, sizeof path, "%s/big.bin", root);
    write_file(path, big, BIG_FILE_SIZE);
    free(big);
    return root;
}

struct t_server *chat_start(const char *opt, ...) {
    va_list ap;
    va_start(ap, opt);
    struct t_server *s = t_server_start_root("chat", chat_root(), opt, ap);
    va_end(ap);
    return s;
}

struct t_conn *chat_join(int port, const char *path, const char *members) {
    struct t_conn *c = t_ws_connect(port, path);
    if (members) {
        char what[512];
        snprintf(what, sizeof what, "the first message after the 101 to %s: \"%s\"", path, members);
        struct rframe f = read_frame(c, what, IO_MS);
        if (!f.h.fin || f.h.opcode != OP_TEXT || strcmp((char *)f.payload, members) != 0 ||
            f.h.len != strlen(members))
            FAILF("expected: %s\n     got: %s", what, rframe_describe(&f));
        rframe_free(&f);
    }
    return c;
}

void say(struct t_conn *c, const char *text) {
    send_frame(c, FIN | OP_TEXT, text, strlen(text));
}

long server_rss_kib(struct t_server *s) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    fclose(f);
    return kib;
}

/* ---- reading many connections at once ----------------------------------------------- */

void rx_init(struct rx *r, struct t_conn *c, const char *label) {
    *r = (struct rx){.c = c, .label = label, .close_code = -1};
}

void rx_free(struct rx *r) {
    for (size_t i = 0; i < r->nmsgs; i++) free(r->msgs[i]);
    if (r->discard) {
        if (r->last != r->first) free(r->last);
        free(r->first);
    }
    free(r->msgs);
    bytes_free(&r->in);
    r->msgs = NULL;
    r->first = r->last = NULL;
    r->nmsgs = r->cap = r->count = 0;
}

static void rx_keep(struct rx *r, const unsigned char *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) FAILF("test setup: out of memory");
    memcpy(s, p, n);
    s[n] = '\0';
    r->count++;
    if (!r->first) r->first = s;
    if (r->discard) {
        if (r->last != r->first) free(r->last);
        r->last = s;
        return;
    }
    if (r->nmsgs == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->msgs = realloc(r->msgs, r->cap * sizeof *r->msgs);
        if (!r->msgs) FAILF("test setup: out of memory");
    }
    r->msgs[r->nmsgs++] = r->last = s;
}

/* Parses every whole frame in r->in. */
static void rx_parse(struct rx *r) {
    size_t at = 0;
    while (at < r->in.len) {
        struct tframe f;
        const char *why = NULL;
        int hl = tframe_parse(r->in.p + at, r->in.len - at, &f, &why);
        if (hl == 0) break;
        if (hl < 0)
            FAILF("expected: well-formed frames from the server on %s\n     got: %s (RFC 6455 "
                  "§5.2)",
                  r->label, why);
        if (f.masked || f.rsv || !f.fin)
            FAILF("expected: whole, unmasked frames without RSV bits from the server on %s\n     "
                  "got: a %s frame with FIN %d, RSV %u, MASK %d (RFC 6455 §5.1-§5.2)",
                  r->label, opcode_name(f.opcode), f.fin, f.rsv, f.masked);
        if (r->in.len - at - (size_t)hl < f.len) break;
        const unsigned char *payload = r->in.p + at + hl;
        if (r->close_code >= 0)
            FAILF("expected: nothing from the server on %s after its close frame (RFC 6455 "
                  "§5.5.1)\n     got: a %s frame",
                  r->label, opcode_name(f.opcode));
        if (f.opcode == OP_TEXT) {
            rx_keep(r, payload, (size_t)f.len);
        } else if (f.opcode == OP_CLOSE) {
            r->close_code = f.len >= 2 ? payload[0] << 8 | payload[1] : 0;
        } else if (f.opcode == OP_PONG) {
            r->pongs++;
        } else {
            char what[64];
            snprintf(what, sizeof what, "<%s %llu bytes>", opcode_name(f.opcode),
                     (unsigned long long)f.len);
            rx_keep(r, (const unsigned char *)what, strlen(what));
        }
        at += (size_t)hl + (size_t)f.len;
    }
    if (at) {
        memmove(r->in.p, r->in.p + at, r->in.len - at);
        r->in.len -= at;
    }
}

/* Takes what the connection has now (or what the harness had buffered). */
static size_t rx_read(struct rx *r) {
    static unsigned char buf[1 << 20];
    ssize_t n = t_read_some(r->c, buf, sizeof buf, 0);
    r->primed = n < (ssize_t)sizeof buf; /* a full buffer: more may be waiting */
    if (n < 0) {
        r->eof = true;
        return 0;
    }
    bytes_put(&r->in, buf, (size_t)n);
    rx_parse(r);
    return (size_t)n;
}

size_t rx_poll(struct rx *rx, size_t n, int timeout_ms) {
    size_t total = 0;
    bool unprimed = false;
    for (size_t i = 0; i < n; i++)
        if (!rx[i].eof && !rx[i].primed) total += rx_read(&rx[i]), unprimed = true;
    if (unprimed && total) return total;
    struct pollfd *p = calloc(n, sizeof *p);
    if (!p) FAILF("test setup: out of memory");
    for (size_t i = 0; i < n; i++) {
        p[i].fd = rx[i].eof ? -1 : t_conn_fd(rx[i].c);
        p[i].events = POLLIN;
    }
    int ready = poll(p, (nfds_t)n, timeout_ms);
    for (size_t i = 0; ready > 0 && i < n; i++)
        if (p[i].revents) total += rx_read(&rx[i]);
    free(p);
    return total;
}

void rx_wait(struct rx *rx, size_t n, const size_t *want, size_t want_all, int timeout_ms,
             const char *what) {
    t_waiting("%s", what);
    long long deadline = t_now_ms() + timeout_ms;
    for (;;) {
        size_t missing = 0, first = 0;
        for (size_t i = 0; i < n; i++)
            if (rx[i].count < (want ? want[i] : want_all)) {
                if (missing++ == 0) first = i;
            }
        if (missing == 0) return;
        long long left = deadline - t_now_ms();
        bool stuck = true;
        for (size_t i = 0; i < n; i++)
            if (!rx[i].eof && rx[i].close_code < 0) stuck = false;
        if (left <= 0 || stuck) {
            const struct rx *r = &rx[first];
            size_t w = want ? want[first] : want_all;
            FAILF("expected: %s\n     got: %zu connection(s) short, the first %s with %zu of %zu "
                  "messages (last: \"%s\")%s%s",
                  what, missing, r->label, r->count, w,
                  r->last ? t_escape(r->last, strlen(r->last), 80) : "",
                  r->close_code >= 0 ? ", then a close frame"
                  : r->eof           ? ", then the server closed it"
                                     : ", then silence",
                  left <= 0 ? "" : " (every connection is closed)");
        }
        rx_poll(rx, n, left < 100 ? (int)left : 100);
    }
}

bool rx_wait_eof(struct rx *r, int timeout_ms) {
    long long deadline = t_now_ms() + timeout_ms;
    while (!r->eof) {
        long long left = deadline - t_now_ms();
        if (left <= 0) return false;
        rx_poll(r, 1, left < 100 ? (int)left : 100);
    }
    return true;
}

long rx_find(const struct rx *r, size_t from, const char *text) {
    for (size_t i = from; i < r->nmsgs; i++)
        if (strcmp(r->msgs[i], text) == 0) return (long)i;
    return -1;
}

void rx_wait_for(struct rx *r, size_t from, const char *text, int timeout_ms) {
    t_waiting("\"%s\" at %s", text, r->label);
    long long deadline = t_now_ms() + timeout_ms;
    while (rx_find(r, from, text) < 0) {
        long long left = deadline - t_now_ms();
        if (left <= 0 || r->eof || r->close_code >= 0)
            FAILF("expected: \"%s\" at %s\n     got: %s (the last message: \"%s\")", text, r->label,
                  r->eof               ? "the connection closed"
                  : r->close_code >= 0 ? "a close frame"
                                       : "nothing more",
                  r->last ? t_escape(r->last, strlen(r->last), 80) : "");
        rx_poll(r, 1, left < 100 ? (int)left : 100);
    }
}
