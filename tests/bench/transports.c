/*
 * transports — Lab 1's experiment: what does "real time" cost over plain HTTP?
 *
 * A poster thread sends one stream of messages to a running board (POST
 * /messages: M messages of S bytes, R per second) while three clients receive
 * that same stream at the same time, each the way a browser did before
 * WebSocket:
 *
 *   short-poll  GET /messages?since=ID every `interval` ms
 *   long-poll   GET /messages?since=ID&wait=25, again as soon as one returns
 *   sse         one GET /events held open; the server writes each message
 *
 * Each client counts the HTTP requests it made and every byte it wrote and
 * read on its sockets (request and response heads included: that is what the
 * network carries, apart from TCP/IP headers), and notes when each message
 * arrived. The poster notes the wall clock (in µs) just before it sends each
 * message, so latency = arrival - send, both read from this machine's clock.
 * Every message carries a run tag and a sequence number in its text, so a
 * client can check that it got each message once, in order and intact, and
 * can skip messages that somebody else posted meanwhile.
 *
 * The program shares no code with the lab: its small HTTP client is written
 * for this one job (keep-alive, Content-Length bodies, an event stream), so it
 * can judge a board without trusting it. It talks to 127.0.0.1 only, and
 * every wait in it is bounded.
 *
 * Usage: transports --port P [--host 127.0.0.1] [--messages 200] [--rate 20]
 *                   [--interval 1000] [--size 32] [--json]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BATCH              100  /* the most messages the board puts in one poll answer */
#define MAX_TEXT           4096 /* the longest message the board accepts */
#define LONG_POLL_WAIT_S   25   /* what the long-poll client asks the board to hold */
#define CONNECT_TIMEOUT_MS 3000
#define REPLY_TIMEOUT_MS   10000 /* an answer that is not held must come within this */
#define SSE_SILENCE_MS     60000 /* an event stream quiet this long (no heartbeat) is dead */
#define IO_SLICE_MS        100   /* how often a waiting thread checks whether to stop */
#define START_TIMEOUT_MS   10000 /* for the clients to connect before the poster starts */
#define GRACE_S            30    /* the run ends at most this long after the last post */
#define MAX_RESPONSE       (8u << 20)
#define MAX_HEAD           65536
#define MAX_CONNECTIONS    20 /* per client: more reconnects than this is a failure */
#define TAG_LEN            14 /* "tttttt:sssssss" = run tag, ':', sequence number */
#define ERR_LEN            200

/* ---- options and what the threads share ---------------------------------- */

static struct {
    const char *host;
    int port;
    int messages;
    int rate;
    int interval_ms;
    int size;
    bool json;
} opt = {"127.0.0.1", -1, 200, 20, 1000, 32, false};

static struct sockaddr_in board_addr;
static unsigned run_tag;           /* 24 bits that mark this run's messages */
static long long start_id;         /* the newest message before the run */
static _Atomic int64_t *sent_us;   /* per sequence number: wall clock when posted */
static atomic_bool stopping;       /* set by main: every thread returns soon */
static _Atomic int64_t go_mono_us; /* when the poster started; 0 before */

/* ---- clocks -------------------------------------------------------------- */

static int64_t clock_us(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic time for schedules and timeouts (never jumps); wall time for
 * latency, because that is what the board's own `time` field uses too. */
static int64_t mono_us(void) {
    return clock_us(CLOCK_MONOTONIC);
}

static int64_t wall_us(void) {
    return clock_us(CLOCK_REALTIME);
}

/* Sleeps until the monotonic time `when`, waking now and then to check
 * `stopping`. Returns false if it was told to stop. */
static bool sleep_until(int64_t when) {
    for (;;) {
        if (atomic_load(&stopping)) return false;
        int64_t left = when - mono_us();
        if (left <= 0) return true;
        if (left > IO_SLICE_MS * 1000) left = IO_SLICE_MS * 1000;
        struct timespec ts = {0, (long)left * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- a connection: a socket, the bytes read but not used yet, counters ---- */

struct traffic {
    long requests;
    long connections;
    long long up;   /* bytes written */
    long long down; /* bytes read */
};

struct conn {
    int fd; /* -1 when closed */
    char *in;
    size_t len, cap;
    struct traffic *traffic;
    char err[ERR_LEN];
};

static int conn_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int conn_fail(struct conn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

static void conn_init(struct conn *c, struct traffic *t) {
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->traffic = t;
}

static void conn_close(struct conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void conn_free(struct conn *c) {
    conn_close(c);
    free(c->in);
    c->in = NULL;
    c->cap = 0;
}

/* Waits until fd is ready for `events`, in slices so that `stopping` is
 * noticed. Returns 0 when ready, -1 on timeout, stop or error. */
static int conn_wait(struct conn *c, short events, int64_t deadline) {
    for (;;) {
        if (atomic_load(&stopping)) return conn_fail(c, "stopped");
        int64_t left_ms = (deadline - mono_us()) / 1000;
        if (left_ms <= 0) return conn_fail(c, "timed out waiting for the board");
        struct pollfd pfd = {.fd = c->fd, .events = events};
        int n = poll(&pfd, 1, left_ms > IO_SLICE_MS ? IO_SLICE_MS : (int)left_ms);
        if (n > 0) return 0;
        if (n < 0 && errno != EINTR) return conn_fail(c, "poll: %s", strerror(errno));
    }
}

/* Connects to the board. The socket stays non-blocking: every read and write
 * goes through conn_wait, so no thread can block for longer than its
 * deadline. */
static int conn_open(struct conn *c) {
    if (c->traffic->connections >= MAX_CONNECTIONS)
        return conn_fail(c, "gave up after %d connections", MAX_CONNECTIONS);
    if (!c->in) {
        c->cap = 65536;
        c->in = malloc(c->cap);
        if (!c->in) return conn_fail(c, "out of memory");
    }
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) return conn_fail(c, "socket: %s", strerror(errno));
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    /* Each request goes out in one write; without Nagle it leaves at once. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->traffic->connections++;
    if (connect(c->fd, (struct sockaddr *)&board_addr, sizeof board_addr) < 0) {
        if (errno != EINPROGRESS) {
            conn_fail(c, "connect: %s", strerror(errno));
            conn_close(c);
            return -1;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (conn_wait(c, POLLOUT, mono_us() + CONNECT_TIMEOUT_MS * 1000LL) < 0 ||
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
            if (soerr) conn_fail(c, "connect: %s", strerror(soerr));
            conn_close(c);
            return -1;
        }
    }
    return 0;
}

static int conn_send(struct conn *c, const char *p, size_t len) {
    int64_t deadline = mono_us() + REPLY_TIMEOUT_MS * 1000LL;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            c->traffic->up += n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (conn_wait(c, POLLOUT, deadline) < 0) return -1;
        } else if (!(n < 0 && errno == EINTR)) {
            return conn_fail(c, "send: %s", strerror(errno));
        }
    }
    return 0;
}

/* Reads what has arrived (waiting for it until deadline) onto the end of
 * c->in. Returns the number of bytes read, 0 at end of stream, -1 on error. */
static ssize_t conn_fill(struct conn *c, int64_t deadline) {
    if (c->len == c->cap) {
        if (c->cap >= MAX_RESPONSE) return conn_fail(c, "answer over %u bytes", MAX_RESPONSE);
        char *bigger = realloc(c->in, c->cap * 2);
        if (!bigger) return conn_fail(c, "out of memory");
        c->in = bigger;
        c->cap *= 2;
    }
    for (;;) {
        if (conn_wait(c, POLLIN, deadline) < 0) return -1;
        ssize_t n = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
        if (n >= 0) {
            c->len += (size_t)n;
            c->traffic->down += n;
            return n;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return conn_fail(c, "recv: %s", strerror(errno));
    }
}

static void conn_consume(struct conn *c, size_t n) {
    memmove(c->in, c->in + n, c->len - n);
    c->len -= n;
}

/* An idle keep-alive connection that has become readable was given up by the
 * server (closed, maybe after a 408): browsers check before reusing one, and
 * so do we. What it sent is still counted. */
static bool conn_stale(struct conn *c) {
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0) return false;
    char scrap[4096];
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(c->fd, scrap, sizeof scrap, 0);
        if (n <= 0) break;
        c->traffic->down += n;
    }
    return true;
}

/* ---- HTTP responses ------------------------------------------------------- */

struct response {
    int status;
    bool keep_alive;
    bool event_stream;  /* Content-Type: text/event-stream */
    size_t head_len;    /* bytes up to and including the empty line */
    long long body_len; /* Content-Length, -1 without one */
};

/* Does the comma-separated header value v[0..n) hold `token`? */
static bool has_token(const char *v, size_t n, const char *token) {
    size_t tlen = strlen(token);
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t start = i;
        while (i < n && v[i] != ',') i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t')) end--;
        if (end - start == tlen && strncasecmp(v + start, token, tlen) == 0) return true;
    }
    return false;
}

/* Content-Length's value, or -2 if it is not a plain number (or too big). */
static long long parse_length(const char *v, size_t n) {
    long long len = 0;
    if (n == 0) return -2;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || len > MAX_RESPONSE) return -2;
        len = len * 10 + (v[i] - '0');
    }
    return len;
}

static void header_field(struct response *r, const char *name, size_t nlen, const char *v,
                         size_t vlen) {
    if (nlen == 14 && strncasecmp(name, "content-length", nlen) == 0) {
        r->body_len = parse_length(v, vlen);
    } else if (nlen == 10 && strncasecmp(name, "connection", nlen) == 0) {
        if (has_token(v, vlen, "close")) r->keep_alive = false;
        if (has_token(v, vlen, "keep-alive")) r->keep_alive = true;
    } else if (nlen == 12 && strncasecmp(name, "content-type", nlen) == 0) {
        r->event_stream = vlen >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
    }
}

/* Parses the status line and the fields this client cares about. */
static int parse_head(struct conn *c, struct response *r) {
    const char *p = c->in, *end = c->in + r->head_len - 2;
    if (r->head_len < 14 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
        return conn_fail(c, "not an HTTP/1.x status line: \"%.20s\"", p);
    r->keep_alive = p[7] != '0';
    r->status = atoi(p + 9);
    r->body_len = -1;
    /* The head ends "\r\n\r\n" and `end` is at its last "\r\n", so every line
     * before `end` has its '\n'. */
    p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon) return conn_fail(c, "a header line without ':'");
        const char *v = colon + 1, *vend = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        while (v < vend && (*v == ' ' || *v == '\t')) v++;
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
        header_field(r, p, (size_t)(colon - p), v, (size_t)(vend - v));
        p = eol + 1;
    }
    if (r->body_len < -1) return conn_fail(c, "a bad Content-Length");
    return 0;
}

/* Reads a response head into c->in (waiting until deadline) and parses it. */
static int read_head(struct conn *c, struct response *r, int64_t deadline) {
    memset(r, 0, sizeof *r);
    for (size_t scanned = 0;;) {
        for (; scanned + 4 <= c->len; scanned++) {
            if (memcmp(c->in + scanned, "\r\n\r\n", 4) == 0) {
                r->head_len = scanned + 4;
                return parse_head(c, r);
            }
        }
        if (c->len > MAX_HEAD) return conn_fail(c, "response head over %d bytes", MAX_HEAD);
        ssize_t n = conn_fill(c, deadline);
        if (n == 0) return conn_fail(c, "the board closed the connection");
        if (n < 0) return -1;
    }
}

/* Sends one request on c (opening it if needed) and reads the whole response:
 * head and Content-Length body, left at the front of c->in for the caller, who
 * then calls exchange_done(). */
static int exchange(struct conn *c, const char *req, size_t len, struct response *r,
                    int timeout_ms) {
    if (c->fd >= 0 && conn_stale(c)) conn_close(c);
    if (c->fd < 0 && conn_open(c) < 0) return -1;
    c->traffic->requests++;
    int64_t deadline = mono_us() + timeout_ms * 1000LL;
    if (conn_send(c, req, len) < 0 || read_head(c, r, deadline) < 0) return -1;
    if (r->body_len < 0) return conn_fail(c, "a %d response without Content-Length", r->status);
    while (c->len < r->head_len + (size_t)r->body_len) {
        ssize_t n = conn_fill(c, deadline);
        if (n == 0) return conn_fail(c, "the board closed the connection mid-body");
        if (n < 0) return -1;
    }
    return 0;
}

static void exchange_done(struct conn *c, const struct response *r) {
    conn_consume(c, r->head_len + (size_t)r->body_len);
    if (!r->keep_alive) conn_close(c);
}

/* ---- the board's JSON: {"messages":[{"id":N,"time":T,"text":"..."},...]} --- */

struct msg {
    long long id, time_ms;
    size_t len;
    char text[MAX_TEXT];
};

struct scan {
    const char *p, *end;
};

static void skip_ws(struct scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(struct scan *s, char ch) {
    skip_ws(s);
    if (s->p == s->end || *s->p != ch) return false;
    s->p++;
    return true;
}

static bool scan_int(struct scan *s, long long *v) {
    skip_ws(s);
    int digits = 0;
    for (*v = 0; s->p < s->end && *s->p >= '0' && *s->p <= '9' && digits < 18; digits++)
        *v = *v * 10 + (*s->p++ - '0');
    return digits > 0;
}

static int hex_value(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decodes one escape after a backslash into out; returns the bytes written
 * (a \uXXXX above 0x7f becomes UTF-8), or 0 if it is not valid JSON. */
static size_t scan_escape(struct scan *s, char out[3]) {
    if (s->p == s->end) return 0;
    char e = *s->p++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = strchr(from, e);
    if (e != 'u') {
        if (!hit || e == '\0') return 0;
        out[0] = to[hit - from];
        return 1;
    }
    unsigned code = 0;
    for (int i = 0; i < 4; i++) {
        int h = s->p < s->end ? hex_value(*s->p++) : -1;
        if (h < 0) return 0;
        code = code * 16 + (unsigned)h;
    }
    if (code < 0x80) {
        out[0] = (char)code;
        return 1;
    }
    if (code < 0x800) {
        out[0] = (char)(0xc0 | code >> 6);
        out[1] = (char)(0x80 | (code & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | code >> 12);
    out[1] = (char)(0x80 | ((code >> 6) & 0x3f));
    out[2] = (char)(0x80 | (code & 0x3f));
    return 3;
}

/* Reads a JSON string into out[0..cap), setting *len. */
static bool scan_string(struct scan *s, char *out, size_t cap, size_t *len) {
    if (!eat(s, '"')) return false;
    for (*len = 0; s->p < s->end && *s->p != '"';) {
        char bytes[3] = {*s->p++};
        size_t n = 1;
        if (bytes[0] == '\\')
            n = scan_escape(s, bytes);
        else if ((unsigned char)bytes[0] < 0x20)
            n = 0; /* must have been escaped */
        if (n == 0 || *len + n > cap) return false;
        memcpy(out + *len, bytes, n);
        *len += n;
    }
    return eat(s, '"');
}

/* Reads one message object; its three fields may come in any order. */
static bool scan_message(struct scan *s, struct msg *m) {
    bool have_id = false, have_time = false, have_text = false;
    if (!eat(s, '{')) return false;
    do {
        char key[8];
        size_t klen;
        if (!scan_string(s, key, sizeof key - 1, &klen) || !eat(s, ':')) return false;
        key[klen] = '\0';
        if (strcmp(key, "id") == 0 && !have_id)
            have_id = scan_int(s, &m->id);
        else if (strcmp(key, "time") == 0 && !have_time)
            have_time = scan_int(s, &m->time_ms);
        else if (strcmp(key, "text") == 0 && !have_text)
            have_text = scan_string(s, m->text, sizeof m->text, &m->len);
        else
            return false;
    } while (eat(s, ','));
    return eat(s, '}') && have_id && have_time && have_text;
}

typedef void (*msg_fn)(void *arg, const struct msg *m);

/* Calls fn for each message of a poll answer. Returns how many, or -1 if the
 * body is not the JSON the API promises. */
static int scan_batch(const char *body, size_t len, msg_fn fn, void *arg) {
    struct scan s = {body, body + len};
    struct msg m;
    char key[9];
    size_t klen;
    int count = 0;
    if (!eat(&s, '{') || !scan_string(&s, key, sizeof key - 1, &klen) || klen != 8 ||
        memcmp(key, "messages", 8) != 0 || !eat(&s, ':') || !eat(&s, '['))
        return -1;
    if (!eat(&s, ']')) {
        do {
            if (!scan_message(&s, &m)) return -1;
            fn(arg, &m);
            count++;
        } while (eat(&s, ','));
        if (!eat(&s, ']')) return -1;
    }
    if (!eat(&s, '}')) return -1;
    skip_ws(&s);
    return s.p == s.end ? count : -1;
}

/* ---- the messages of this run --------------------------------------------- */

/* Message seq's text: its tag, then letters up to opt.size bytes. */
static void make_text(char *out, int seq) {
    char tag[TAG_LEN + 1];
    snprintf(tag, sizeof tag, "%06x:%07d", run_tag, seq);
    memcpy(out, tag, TAG_LEN);
    for (int i = TAG_LEN; i < opt.size; i++) out[i] = (char)('a' + i % 26);
}

/* The sequence number of one of this run's messages, or -1 for a message
 * somebody else posted. */
static int run_seq(const struct msg *m) {
    char tag[8];
    snprintf(tag, sizeof tag, "%06x:", run_tag);
    if (m->len < TAG_LEN || memcmp(m->text, tag, 7) != 0) return -1;
    int seq = 0;
    for (int i = 7; i < TAG_LEN; i++) {
        if (m->text[i] < '0' || m->text[i] > '9') return -1;
        seq = seq * 10 + (m->text[i] - '0');
    }
    return seq < opt.messages ? seq : -1;
}

/* ---- a receiving client ---------------------------------------------------- */

enum kind { SHORT_POLL, LONG_POLL, SSE };

struct client {
    const char *name;
    enum kind kind;
    struct traffic traffic;
    long long last_id; /* newest id seen: where the next request resumes */
    int max_seq;       /* highest sequence number seen so far */
    int received;      /* distinct messages of this run */
    long dup, out_of_order, corrupt;
    unsigned char *seen;
    int64_t *latency_us;
    char error[ERR_LEN];
    atomic_bool ready;    /* connected: the poster may start */
    atomic_bool done;     /* has every message */
    atomic_bool finished; /* the thread has returned */
};

static bool client_has_all(struct client *cl) {
    return atomic_load(&cl->done);
}

/* Books one message as it arrives: exactly once, in order, intact. */
static void client_take(void *arg, const struct msg *m) {
    struct client *cl = arg;
    int64_t now = wall_us();
    if (m->id > cl->last_id) cl->last_id = m->id;
    int seq = run_seq(m);
    if (seq < 0) return;
    char expect[MAX_TEXT];
    make_text(expect, seq);
    if (m->len != (size_t)opt.size || memcmp(m->text, expect, m->len) != 0) cl->corrupt++;
    if (cl->seen[seq]) {
        cl->dup++;
        return;
    }
    cl->seen[seq] = 1;
    cl->received++;
    if (seq < cl->max_seq) cl->out_of_order++;
    if (seq > cl->max_seq) cl->max_seq = seq;
    cl->latency_us[seq] = now - atomic_load(&sent_us[seq]);
    if (cl->received == opt.messages) atomic_store(&cl->done, true);
}

/* One GET /messages (with wait_s > 0: a long poll). Returns the number of
 * messages it brought, -1 on error. */
static int poll_once(struct client *cl, struct conn *c, int wait_s) {
    char req[256], waitarg[32] = "";
    if (wait_s > 0) snprintf(waitarg, sizeof waitarg, "&wait=%d", wait_s);
    int n = snprintf(req, sizeof req, "GET /messages?since=%lld%s HTTP/1.1\r\nHost: %s:%d\r\n\r\n",
                     cl->last_id, waitarg, opt.host, opt.port);
    struct response r;
    if (exchange(c, req, (size_t)n, &r, REPLY_TIMEOUT_MS + wait_s * 1000) < 0) return -1;
    if (r.status != 200) return conn_fail(c, "GET /messages answered %d", r.status);
    int count = scan_batch(c->in + r.head_len, (size_t)r.body_len, client_take, cl);
    if (count < 0) return conn_fail(c, "GET /messages: the body is not {\"messages\":[...]}");
    exchange_done(c, &r);
    return count;
}

/* Short polling: ask on a fixed schedule, whether or not anything is new; a
 * full batch means more are waiting, so ask again at once. */
static void short_poll(struct client *cl, struct conn *c) {
    if (conn_open(c) < 0) return;
    atomic_store(&cl->ready, true);
    while (atomic_load(&go_mono_us) == 0)
        if (!sleep_until(mono_us() + 5000)) return;
    int64_t tick = atomic_load(&go_mono_us);
    while (!client_has_all(cl) && sleep_until(tick)) {
        int n;
        do n = poll_once(cl, c, 0);
        while (n == BATCH && !client_has_all(cl));
        if (n < 0) return;
        tick += opt.interval_ms * 1000LL;
    }
}

/* Long polling: always have one request parked at the board. */
static void long_poll(struct client *cl, struct conn *c) {
    if (conn_open(c) < 0) return;
    atomic_store(&cl->ready, true);
    while (!client_has_all(cl) && poll_once(cl, c, LONG_POLL_WAIT_S) >= 0) {
    }
}

/* ---- Server-Sent Events ---------------------------------------------------- */

struct sse_event {
    long long id; /* from the "id:" line; -1 without one */
    size_t len;
    char data[8 * MAX_TEXT]; /* "data:" lines, joined by '\n' */
};

/* Handles one line of the stream (without its line end). */
static int sse_line(struct client *cl, struct conn *c, struct sse_event *ev, const char *p,
                    size_t n) {
    if (n == 0) { /* blank line: the event is complete */
        struct msg m;
        struct scan s = {ev->data, ev->data + ev->len};
        if (ev->len > 0) {
            if (!scan_message(&s, &m)) return conn_fail(c, "an event's data is not a message");
            if (ev->id != m.id)
                return conn_fail(c, "event id %lld carries message %lld", ev->id, m.id);
            client_take(cl, &m);
        }
        ev->len = 0;
        ev->id = -1;
        return 0;
    }
    if (p[0] == ':') return 0; /* a comment: the heartbeat */
    const char *colon = memchr(p, ':', n);
    size_t nlen = colon ? (size_t)(colon - p) : n;
    const char *v = colon ? colon + 1 : p + n;
    if (v < p + n && *v == ' ') v++;
    size_t vlen = (size_t)(p + n - v);
    if (nlen == 4 && memcmp(p, "data", 4) == 0) {
        if (ev->len + vlen + 1 > sizeof ev->data) return conn_fail(c, "an event over 32 KiB");
        if (ev->len > 0) ev->data[ev->len++] = '\n';
        memcpy(ev->data + ev->len, v, vlen);
        ev->len += vlen;
    } else if (nlen == 2 && memcmp(p, "id", 2) == 0) {
        struct scan s = {v, v + vlen};
        if (!scan_int(&s, &ev->id) || s.p != s.end) return conn_fail(c, "a bad id: line");
    }
    return 0; /* retry: and unknown fields are not ours to act on */
}

/* Opens the stream, resuming after the newest message this client has. */
static int sse_open(struct client *cl, struct conn *c) {
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET /events HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
                     "Last-Event-ID: %lld\r\n\r\n",
                     opt.host, opt.port, cl->last_id);
    struct response r;
    conn_close(c);
    if (conn_open(c) < 0) return -1;
    c->traffic->requests++;
    if (conn_send(c, req, (size_t)n) < 0 ||
        read_head(c, &r, mono_us() + REPLY_TIMEOUT_MS * 1000LL) < 0)
        return -1;
    if (r.status != 200 || !r.event_stream)
        return conn_fail(c, "GET /events answered %d%s", r.status,
                         r.event_stream ? "" : " without Content-Type: text/event-stream");
    conn_consume(c, r.head_len);
    return 0;
}

/* Server-Sent Events: one request, then the server writes as things happen.
 * If the stream ends early, reconnect with Last-Event-ID as a browser does. */
static void sse(struct client *cl, struct conn *c) {
    struct sse_event ev = {.id = -1};
    if (sse_open(cl, c) < 0) return;
    atomic_store(&cl->ready, true);
    while (!client_has_all(cl)) {
        size_t start = 0;
        for (char *nl; (nl = memchr(c->in + start, '\n', c->len - start)) != NULL;) {
            size_t end = (size_t)(nl - c->in);
            size_t n = end > start && c->in[end - 1] == '\r' ? end - start - 1 : end - start;
            if (sse_line(cl, c, &ev, c->in + start, n) < 0) return;
            start = end + 1;
        }
        conn_consume(c, start);
        if (client_has_all(cl)) break;
        ssize_t got = conn_fill(c, mono_us() + SSE_SILENCE_MS * 1000LL);
        if (got < 0) return;
        if (got == 0 && sse_open(cl, c) < 0) return;
    }
}

static void *client_main(void *arg) {
    struct client *cl = arg;
    struct conn c;
    conn_init(&c, &cl->traffic);
    if (cl->kind == SHORT_POLL) short_poll(cl, &c);
    if (cl->kind == LONG_POLL) long_poll(cl, &c);
    if (cl->kind == SSE) sse(cl, &c);
    if (!client_has_all(cl) && !atomic_load(&stopping)) memcpy(cl->error, c.err, ERR_LEN);
    conn_free(&c);
    atomic_store(&cl->finished, true);
    return NULL;
}

/* ---- the poster -------------------------------------------------------------- */

struct poster {
    struct traffic traffic;
    int posted;
    int64_t elapsed_us;
    char error[ERR_LEN];
    atomic_bool finished;
};

/* Posts message seq on c; its send time is noted first, so a client can never
 * see a message whose time is not yet known. */
static int post_one(struct conn *c, int seq) {
    char req[MAX_TEXT + 256];
    int head = snprintf(req, sizeof req,
                        "POST /messages HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/plain\r\n"
                        "Content-Length: %d\r\n\r\n",
                        opt.host, opt.port, opt.size);
    make_text(req + head, seq);
    atomic_store(&sent_us[seq], wall_us());
    struct response r;
    if (exchange(c, req, (size_t)head + (size_t)opt.size, &r, REPLY_TIMEOUT_MS) < 0) return -1;
    if (r.status != 201) return conn_fail(c, "POST /messages answered %d", r.status);
    exchange_done(c, &r);
    return 0;
}

/* Posts message i at go + i/R seconds: a steady rate, not "as fast as it can". */
static void *poster_main(void *arg) {
    struct poster *p = arg;
    struct conn c;
    conn_init(&c, &p->traffic);
    int64_t go = atomic_load(&go_mono_us);
    for (int seq = 0; seq < opt.messages; seq++) {
        if (!sleep_until(go + (int64_t)seq * 1000000 / opt.rate)) break;
        if (post_one(&c, seq) < 0) {
            if (!atomic_load(&stopping)) memcpy(p->error, c.err, ERR_LEN);
            break;
        }
        p->posted++;
    }
    p->elapsed_us = mono_us() - go;
    conn_free(&c);
    atomic_store(&p->finished, true);
    return NULL;
}

/* ---- before the run: the newest id already on the board ------------------ */

static void note_id(void *arg, const struct msg *m) {
    long long *newest = arg;
    if (m->id > *newest) *newest = m->id;
}

/* Pages through GET /messages?since=... until a short page. Returns 0 or -1
 * with the reason in err. */
static int learn_start_id(char *err) {
    struct traffic t = {0};
    struct conn c;
    conn_init(&c, &t);
    int rc = -1;
    long long newest = 0;
    for (int page = 0; page < 10000; page++) {
        char req[256];
        int n =
            snprintf(req, sizeof req, "GET /messages?since=%lld HTTP/1.1\r\nHost: %s:%d\r\n\r\n",
                     newest, opt.host, opt.port);
        struct response r;
        if (exchange(&c, req, (size_t)n, &r, REPLY_TIMEOUT_MS) < 0) break;
        int count = r.status == 200
                        ? scan_batch(c.in + r.head_len, (size_t)r.body_len, note_id, &newest)
                        : -1;
        if (count < 0) {
            conn_fail(&c,
                      "GET /messages?since=%lld answered %d with a body that is not a message list",
                      newest, r.status);
            break;
        }
        exchange_done(&c, &r);
        if (count < BATCH) {
            rc = 0;
            break;
        }
    }
    start_id = newest;
    memcpy(err, c.err, ERR_LEN);
    conn_free(&c);
    return rc;
}

/* ---- the report -------------------------------------------------------------- */

struct row {
    double p50, p99, max; /* ms; negative when nothing arrived */
    long missing;
    double bytes_per_msg;
};

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted[0..n). */
static double percentile_ms(const int64_t *sorted, int n, double q) {
    int rank = (int)(q * n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1] / 1000.0;
}

static struct row summarize(const struct client *cl) {
    struct row row = {-1, -1, -1, opt.messages - cl->received, 0};
    int64_t *lat = malloc(sizeof *lat * (size_t)opt.messages);
    int n = 0;
    for (int i = 0; lat && i < opt.messages; i++)
        if (cl->seen[i]) lat[n++] = cl->latency_us[i];
    if (n > 0) {
        qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
        row.p50 = percentile_ms(lat, n, 0.50);
        row.p99 = percentile_ms(lat, n, 0.99);
        row.max = lat[n - 1] / 1000.0;
    }
    free(lat);
    row.bytes_per_msg = (double)(cl->traffic.up + cl->traffic.down) / opt.messages;
    return row;
}

static void print_ms(double ms, int width) {
    if (ms < 0)
        printf("  %*s", width, "-");
    else
        printf("  %*.1f", width, ms);
}

static void print_table(struct client *cls, int ncls, const struct poster *p) {
    printf("# M=%d messages, S=%d bytes, R=%d/s, interval=%d ms (short poll); board %s:%d\n",
           opt.messages, opt.size, opt.rate, opt.interval_ms, opt.host, opt.port);
    printf("# bytes: HTTP heads + bodies on each client's sockets (TCP/IP headers not "
           "counted); latency: arrival - POST sent\n");
    printf("%-10s  %8s  %8s  %10s  %9s  %14s  %14s  %14s  %7s  %3s\n", "transport", "requests",
           "bytes_up", "bytes_down", "bytes/msg", "latency_p50_ms", "latency_p99_ms",
           "latency_max_ms", "missing", "dup");
    for (int i = 0; i < ncls; i++) {
        struct row r = summarize(&cls[i]);
        printf("%-10s  %8ld  %8lld  %10lld  %9.0f", cls[i].name, cls[i].traffic.requests,
               cls[i].traffic.up, cls[i].traffic.down, r.bytes_per_msg);
        print_ms(r.p50, 14);
        print_ms(r.p99, 14);
        print_ms(r.max, 14);
        printf("  %7ld  %3ld\n", r.missing, cls[i].dup);
    }
    printf("# poster: %d POSTs in %.2f s, %lld bytes up, %lld bytes down\n", p->posted,
           p->elapsed_us / 1e6, p->traffic.up, p->traffic.down);
}

/* A JSON string from plain text (error messages). */
static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void print_json_ms(const char *name, double ms) {
    if (ms < 0)
        printf(",\"%s\":null", name);
    else
        printf(",\"%s\":%.3f", name, ms);
}

static void print_json(struct client *cls, int ncls, const struct poster *p, bool ok) {
    printf("{\"messages\":%d,\"size\":%d,\"rate\":%d,\"interval_ms\":%d,\"host\":\"%s\","
           "\"port\":%d,\"start_id\":%lld,",
           opt.messages, opt.size, opt.rate, opt.interval_ms, opt.host, opt.port, start_id);
    printf("\"poster\":{\"posted\":%d,\"seconds\":%.3f,\"requests\":%ld,\"bytes_up\":%lld,"
           "\"bytes_down\":%lld},\"transports\":[",
           p->posted, p->elapsed_us / 1e6, p->traffic.requests, p->traffic.up, p->traffic.down);
    for (int i = 0; i < ncls; i++) {
        const struct client *cl = &cls[i];
        struct row r = summarize(cl);
        printf("%s{\"transport\":\"%s\",\"requests\":%ld,\"connections\":%ld,\"bytes_up\":%lld,"
               "\"bytes_down\":%lld,\"bytes_per_msg\":%.1f",
               i ? "," : "", cl->name, cl->traffic.requests, cl->traffic.connections,
               cl->traffic.up, cl->traffic.down, r.bytes_per_msg);
        print_json_ms("latency_p50_ms", r.p50);
        print_json_ms("latency_p99_ms", r.p99);
        print_json_ms("latency_max_ms", r.max);
        printf(",\"missing\":%ld,\"dup\":%ld,\"out_of_order\":%ld,\"corrupt\":%ld,\"error\":",
               r.missing, cl->dup, cl->out_of_order, cl->corrupt);
        if (cl->error[0])
            print_json_string(cl->error);
        else
            printf("null");
        putchar('}');
    }
    printf("],\"ok\":%s}\n", ok ? "true" : "false");
}

/* Did every message reach every client exactly once, in order, intact?
 * With `say`, tells on stderr what went wrong. */
static bool judge(const struct client *cls, int ncls, const struct poster *p, bool say) {
    bool ok = p->error[0] == '\0' && p->posted == opt.messages;
    if (say && p->error[0]) fprintf(stderr, "transports: poster: %s\n", p->error);
    if (say && !p->error[0] && p->posted < opt.messages)
        fprintf(stderr, "transports: poster: posted only %d of %d\n", p->posted, opt.messages);
    for (int i = 0; i < ncls; i++) {
        const struct client *cl = &cls[i];
        long missing = opt.messages - cl->received;
        bool bad = missing || cl->dup || cl->out_of_order || cl->corrupt;
        if (say && cl->error[0]) fprintf(stderr, "transports: %s: %s\n", cl->name, cl->error);
        if (say && bad)
            fprintf(stderr,
                    "transports: %s: %ld missing, %ld duplicated, %ld out of order, %ld altered\n",
                    cl->name, missing, cl->dup, cl->out_of_order, cl->corrupt);
        ok = ok && !cl->error[0] && !bad;
    }
    return ok;
}

/* ---- options and main --------------------------------------------------------- */

static void usage(FILE *to) {
    fprintf(to, "usage: transports --port P [--host 127.0.0.1] [--messages 200] [--rate 20]\n"
                "                  [--interval 1000] [--size 32] [--json]\n"
                "Posts M messages of S bytes at R per second to a running board and\n"
                "receives them by short polling (every `interval` ms), long polling and\n"
                "Server-Sent Events at once; prints requests, bytes and latency of each.\n");
}

static int int_option(const char *name, const char *value, int lo, int hi) {
    char *end;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || *value == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "transports: %s wants a whole number from %d to %d\n", name, lo, hi);
        exit(2);
    }
    return (int)v;
}

static void parse_options(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *name = argv[i], *value = NULL, *eq = strchr(name, '=');
        if (eq) { /* --name=value */
            *eq = '\0';
            value = eq + 1;
        }
        bool flag = strcmp(name, "--json") == 0 || strcmp(name, "--help") == 0;
        if (!eq && !flag) value = i + 1 < argc ? argv[++i] : NULL;
        if (strcmp(name, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(name, "--json") == 0)
            opt.json = true;
        else if (strcmp(name, "--host") == 0 && value)
            opt.host = value;
        else if (strcmp(name, "--port") == 0)
            opt.port = int_option(name, value, 1, 65535);
        else if (strcmp(name, "--messages") == 0)
            opt.messages = int_option(name, value, 1, 100000);
        else if (strcmp(name, "--rate") == 0)
            opt.rate = int_option(name, value, 1, 10000);
        else if (strcmp(name, "--interval") == 0)
            opt.interval_ms = int_option(name, value, 10, 60000);
        else if (strcmp(name, "--size") == 0)
            opt.size = int_option(name, value, 16, MAX_TEXT);
        else {
            fprintf(stderr, "transports: unknown option or missing value: %s\n", name);
            usage(stderr);
            exit(2);
        }
    }
    if (opt.port < 0) {
        fprintf(stderr, "transports: --port is required (the port a board listens on)\n");
        exit(2);
    }
    /* This tool floods whatever it is pointed at: loopback only. */
    if (strcmp(opt.host, "localhost") == 0) opt.host = "127.0.0.1";
    if (strcmp(opt.host, "127.0.0.1") != 0) {
        fprintf(stderr, "transports: only 127.0.0.1 is allowed as --host\n");
        exit(2);
    }
    board_addr.sin_family = AF_INET;
    board_addr.sin_port = htons((uint16_t)opt.port);
    inet_pton(AF_INET, opt.host, &board_addr.sin_addr);
}

/* Waits until every client is connected (or has given up). */
static void wait_ready(struct client *cls, int ncls) {
    int64_t deadline = mono_us() + START_TIMEOUT_MS * 1000LL;
    for (int i = 0; i < ncls; i++)
        while (!atomic_load(&cls[i].ready) && !atomic_load(&cls[i].finished) &&
               mono_us() < deadline)
            sleep_until(mono_us() + 5000);
}

/* Waits until every client has returned (with all messages, or on an error),
 * the poster has failed, or the time is up: M/R seconds plus a grace. */
static void wait_run(struct client *cls, int ncls, struct poster *p) {
    int64_t deadline =
        atomic_load(&go_mono_us) + (int64_t)opt.messages * 1000000 / opt.rate + GRACE_S * 1000000LL;
    while (mono_us() < deadline) {
        bool all = true;
        for (int i = 0; i < ncls; i++) all = all && atomic_load(&cls[i].finished);
        if (all || (atomic_load(&p->finished) && p->error[0])) return;
        sleep_until(mono_us() + 20000);
    }
}

int main(int argc, char **argv) {
    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    run_tag = (unsigned)(getpid() ^ wall_us()) & 0xffffff;

    char err[ERR_LEN];
    if (learn_start_id(err) < 0) {
        fprintf(stderr,
                "transports: cannot use the board at %s:%d: %s\n"
                "  (is it running? e.g. build/ref/01-tcp-http/board --port %d)\n",
                opt.host, opt.port, err, opt.port);
        return 1;
    }

    struct client cls[3] = {{.name = "short-poll", .kind = SHORT_POLL},
                            {.name = "long-poll", .kind = LONG_POLL},
                            {.name = "sse", .kind = SSE}};
    struct poster poster = {0};
    pthread_t threads[3], poster_thread;
    sent_us = malloc(sizeof *sent_us * (size_t)opt.messages);
    for (int i = 0; sent_us && i < opt.messages; i++) atomic_init(&sent_us[i], 0);
    for (int i = 0; i < 3; i++) {
        cls[i].last_id = start_id;
        cls[i].max_seq = -1;
        cls[i].seen = calloc((size_t)opt.messages, 1);
        cls[i].latency_us = calloc((size_t)opt.messages, sizeof *cls[i].latency_us);
        if (!sent_us || !cls[i].seen || !cls[i].latency_us) {
            fprintf(stderr, "transports: out of memory\n");
            return 1;
        }
    }

    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, client_main, &cls[i]);
    wait_ready(cls, 3);
    atomic_store(&go_mono_us, mono_us());
    pthread_create(&poster_thread, NULL, poster_main, &poster);
    wait_run(cls, 3, &poster);
    atomic_store(&stopping, true);
    pthread_join(poster_thread, NULL);
    for (int i = 0; i < 3; i++) pthread_join(threads[i], NULL);

    bool ok = judge(cls, 3, &poster, false);
    if (opt.json)
        print_json(cls, 3, &poster, ok);
    else
        print_table(cls, 3, &poster);
    fflush(stdout);
    judge(cls, 3, &poster, true);
    for (int i = 0; i < 3; i++) {
        free(cls[i].seen);
        free(cls[i].latency_us);
    }
    free(sent_us);
    return ok ? 0 : 1;
}
