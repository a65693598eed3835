/*
 * wsload — a load generator for WebSocket servers: echo servers (and, with
 * --raw, plain TCP echo servers, the machine's baseline), chat rooms
 * (--broadcast) and many idle connections (--idle).
 *
 *   wsload --port P [--host 127.0.0.1] [--path /echo] [--connections 50]
 *          [--depth 4] [--size 64] [--seconds 5] [--binary] [--raw]
 *          [--broadcast [--senders 4]] [--idle]
 *          [--threads 1] [--protocol LIST] [--origin URL] [--json]
 *
 * Echo (the default): it opens C connections (at most OPENING_MAX
 * handshakes under way at once), and once all are open, keeps D messages of
 * S bytes in flight on each for T seconds: it sends D, then one more each
 * time an echo comes back. Then it stops sending, waits for the echoes still
 * under way, and closes every connection politely (a WebSocket close 1000,
 * answered by the server, then the server's FIN; in --raw mode a half-close
 * answered by the server's FIN).
 *
 * It reports:
 *   - messages/s: echoes received whole and correct within the T seconds;
 *   - MB/s: the payload of those echoes (10^6 bytes/s, one direction: as
 *     many payload bytes went the other way, plus frame headers);
 *   - latency p50/p99/p99.9/max: from the moment a message was queued to
 *     the moment its echo was complete, in µs (exact below 1024 µs, within
 *     0.1% above);
 *   - connect+handshake time of each connection (socket() to a checked 101).
 *
 * It trusts nothing it is measuring: its WebSocket client is its own (it
 * shares no code with the labs), and it stops at once with exit status 1 and
 * a message on the first thing that is wrong — a refused handshake (not 101),
 * a wrong Sec-WebSocket-Accept (checked with OpenSSL's SHA-1), a masked or
 * malformed server frame, an echo that differs from what was sent (every
 * payload carries its connection, its sequence number and a pattern), a lost
 * echo, a close it did not ask for. So every figure it prints is made of
 * correct echoes only. Every frame it sends is masked, with keys from a fast
 * generator seeded by getrandom() (unpredictable enough for a benchmark; a
 * browser uses a cryptographic generator for each key).
 *
 * The echo is matched by order: an echo server answers the messages of one
 * connection in the order they came. In --raw mode a "message" is S bytes of
 * the stream and its echo is the next S bytes back.
 *
 * --broadcast: the C connections join one chat room (Lab 4's protocol, see
 * stages/04-broadcast/hub.h): --path names the room (default /chat/wsload)
 * and wsload adds "name=lID" to it, ID being the connection's number. Once
 * every connection has seen all C members (its "members" list, then "join"
 * notices), K of them (--senders, connections 0..K-1) keep D messages each
 * in flight for T seconds: a sender counts a message delivered when its own
 * copy comes back ("msg lID TEXT": the server sends to every member, the
 * sender included) and then sends the next. A message's text is S bytes:
 *
 *     SSSSSS QQQQQQQQQQ TTTTTTTTTTTTTTTT PATTERN...
 *     sender seq        sent at (CLOCK_MONOTONIC ns, this process), in hex
 *
 * Every connection parses every frame it receives and checks that each
 * "msg" is well formed, comes from a sender under the sender's name, and is
 * that sender's next message (no gap, no reordering). After T it waits until
 * every connection has received every message sent (or says how many are
 * missing, and fails), and checks that all C connections received them in
 * one and the same order (a running hash of who sent what, in the order it
 * came). It reports deliveries/s (messages received by all connections
 * within T, divided by T), MB/s of their text, and the delivery latency:
 * from the moment the sender queued a message to the moment a member
 * received it, over every member.
 *
 * --idle: opens C connections (handshake only), prints "ready C" once all
 * are open, holds them (reading and discarding whatever comes, answering
 * pings) until SIGINT or SIGTERM or T seconds, then closes them politely and
 * prints "closed C". For measuring what an idle connection costs a server.
 *
 * Design: non-blocking sockets and one epoll loop per thread (--threads N
 * splits the connections between N loops). In echo mode each connection
 * keeps only a frame header's worth of input: payload bytes are checked as
 * they arrive, so a connection costs little more than the messages it has in
 * flight; in broadcast mode a message is checked where it was read, and
 * copied only when it straddles two reads. It raises its own limit of open
 * files to fit C connections. Every wait is bounded; only loopback addresses
 * are accepted.
 *
 * Built by `make bench` for Labs 3 and 4 (tests/tools/bench.sh) as build/bench/wsload:
 *   cc -O2 -o wsload tests/bench/wsload.c -lcrypto -lpthread
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
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
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OPENING_MAX      256       /* handshakes under way at once, per thread */
#define CONNECT_BASE_MS  10000     /* opening all connections may take this long... */
#define CONNECT_PER_MS   10        /* ...plus this much per connection */
#define JOIN_PER_MS      40        /* ...and in a room this much more (each join is told to all) */
#define STALL_MS         5000      /* opening fails if no connection opens for this long */
#define DRAIN_MS         10000     /* after T: how long the last echoes may take */
#define CLOSE_MS         5000      /* how long the closing handshakes may take */
#define HEAD_MAX         8192      /* the longest handshake answer accepted */
#define SCRATCH          262144    /* bytes read at once */
#define MAX_EVENTS       256       /* epoll events handled per wait */
#define FRAME_HEADER_MAX 14        /* 2 + 8 (64-bit length) + 4 (mask key) */
#define CONTROL_MAX      125       /* a control frame's payload, RFC 6455 §5.5 */
#define TAG_LEN          16        /* hex digits of connection id and sequence number */
#define PATTERN_SHIFTS   251       /* the pattern starts at seq % 251 */
#define HIST_SUB         1024      /* exact µs below this; 1024 buckets per power of 2 above */
#define HIST_GROUPS      32        /* powers of 2 above HIST_SUB: up to 2^41 µs */
#define STAMP_LEN        35        /* --broadcast: "SSSSSS QQQQQQQQQQ TTTTTTTTTTTTTTTT " */
#define MESSAGE_MAX      (1 << 20) /* --broadcast: the longest message accepted */
#define IDLE_SLICE_MS    100       /* --idle: how often a signal is looked for */
#define WS_GUID          "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 §1.3 */

typedef unsigned long long ull; /* what printf's %llu takes */

enum { OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2 };
enum { OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA };
enum mode { ECHO, BROADCAST, IDLE };

/* ---- options -------------------------------------------------------------- */

static struct {
    const char *host;
    struct sockaddr_in addr;
    int port;
    const char *path;
    int connections;
    int depth;
    size_t size;
    double seconds;
    bool binary;
    bool raw; /* ECHO over plain TCP */
    enum mode mode;
    int senders; /* BROADCAST: connections 0..senders-1 send */
    bool json;
    int threads;
    const char *protocol; /* offered in Sec-WebSocket-Protocol, or NULL */
    const char *origin;   /* sent as Origin, or NULL */
} opt = {.host = "127.0.0.1",
         .port = -1,
         .connections = 50,
         .depth = 4,
         .size = 64,
         .seconds = 5.0,
         .senders = 4,
         .threads = 1}; /* .path: set by parse_options */

/* What every message's payload is made of, after its tag: S + PATTERN_SHIFTS
 * bytes, printable ASCII for text messages (so always valid UTF-8), any byte
 * for binary ones. Written once, before the threads start. */
static unsigned char *pattern;

/* --broadcast: how the senders ended, shared by the threads. A sender adds
 * its count to messages_sent, then counts itself in senders_finished; so once
 * senders_finished is opt.senders, messages_sent is the total. */
static atomic_ullong messages_sent;
static atomic_int senders_finished;

/* --idle: SIGINT or SIGTERM came. */
static volatile sig_atomic_t stop_requested;

/* ---- clock and failure ---------------------------------------------------- */

/* Every time in wsload is in ns on the monotonic clock; figures in µs. */
static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Something is wrong with the server (or the system): say what, and stop. A
 * load generator that carried on would print figures for a broken server. */
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    /* One thread reports and exits; another that fails meanwhile waits here. */
    static pthread_mutex_t failing = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&failing);
    va_list ap;
    va_start(ap, fmt);
    fputs("wsload: FAILED: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- latency histogram ---------------------------------------------------- */

/* Log-linear buckets: one per µs below 1024 µs, then 1024 per power of 2, so
 * every value is kept within 0.1% at a fixed cost (HDR histograms work so). */
struct hist {
    uint64_t count[HIST_SUB * (HIST_GROUPS + 1)];
    uint64_t n;
    int64_t max;
};

static size_t hist_bucket(int64_t v) {
    if (v < HIST_SUB) return v < 0 ? 0 : (size_t)v;
    int top = 63 - __builtin_clzll((unsigned long long)v); /* >= 10 */
    if (top - 9 > HIST_GROUPS) return HIST_SUB * (HIST_GROUPS + 1) - 1;
    return (size_t)(top - 9) * HIST_SUB + (size_t)((v >> (top - 10)) - HIST_SUB);
}

/* The smallest value that falls in bucket b. */
static int64_t hist_value(size_t b) {
    if (b < HIST_SUB) return (int64_t)b;
    size_t group = b / HIST_SUB, sub = b % HIST_SUB;
    return (int64_t)(HIST_SUB + sub) << (group - 1);
}

static void hist_add(struct hist *h, int64_t v) {
    h->count[hist_bucket(v)]++;
    h->n++;
    if (v > h->max) h->max = v;
}

static void hist_merge(struct hist *into, const struct hist *from) {
    for (size_t b = 0; b < sizeof into->count / sizeof into->count[0]; b++)
        into->count[b] += from->count[b];
    into->n += from->n;
    if (from->max > into->max) into->max = from->max;
}

/* The value at quantile q (0 < q <= 1): the smallest v with at least q of
 * the samples <= v. 0 without samples. */
static int64_t hist_quantile(const struct hist *h, double q) {
    if (h->n == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999), seen = 0;
    if (rank < 1) rank = 1;
    for (size_t b = 0; b < sizeof h->count / sizeof h->count[0]; b++) {
        seen += h->count[b];
        if (seen >= rank) return hist_value(b) < h->max ? hist_value(b) : h->max;
    }
    return h->max;
}

/* ---- a connection and a worker (one epoll loop) --------------------------- */

enum conn_state {
    CONNECTING,  /* connect() under way */
    HANDSHAKING, /* request sent, waiting for the 101 */
    OPEN,
    CLOSING, /* our close sent (raw: our side shut down) */
    CLOSED,  /* the server answered our close: waiting for its FIN */
    DONE,    /* socket closed */
};

enum phase { PH_CONNECT, PH_RUN, PH_DRAIN, PH_CLOSE };

struct worker;

struct conn {
    struct worker *w;
    int id; /* 0..C-1, carried in every payload */
    int fd;
    enum conn_state state;
    int64_t started; /* when connect() was called */
    char key[25];    /* our Sec-WebSocket-Key */
    char *head;      /* the handshake answer while it arrives */
    size_t head_len;
    /* bytes to send: out[out_sent..out_len) */
    unsigned char *out;
    size_t out_len, out_sent, out_cap;
    bool want_write; /* EPOLLOUT is in the interest set */
    /* messages: sent and echoed in order (--broadcast: sent, and the own
     * copies come back in order) */
    uint64_t tx_seq, rx_seq;
    int in_flight;
    int64_t *sent_at; /* ring of depth entries, indexed by seq % depth */
    size_t rx_off;    /* bytes of echo rx_seq checked so far */
    /* --broadcast: the room as this connection sees it */
    bool joined;        /* its "members" list came */
    int members;        /* how many members it knows of */
    uint64_t *next_seq; /* per sender: the seq of the next message due */
    uint64_t received;  /* "msg" messages received */
    uint64_t order;     /* a hash of who sent what, in the order received */
    unsigned char *msg; /* a message that straddles reads, gathered */
    size_t msg_len, msg_cap;
    const unsigned char *whole; /* or: the whole message, where it was read */
    size_t whole_len;
    /* the server frame being received */
    unsigned char hdr[FRAME_HEADER_MAX];
    size_t hdr_len;
    bool in_frame, frame_fin, in_message;
    unsigned frame_op;
    uint64_t frame_left;
    unsigned char ctl[CONTROL_MAX];
    size_t ctl_len;
};

struct worker {
    int epfd;
    struct conn *conns;
    int n;
    enum phase phase;
    int next_to_open, opening, open, done;
    int settled;       /* --broadcast: connections that know all C members */
    int64_t last_open; /* when a connection last opened (to see a stall) */
    long in_flight;
    int64_t t_end;
    uint64_t rng;
    unsigned char *scratch;
    struct hist latency, connect;
    uint64_t echoed;      /* echoes (--broadcast: deliveries) within the T seconds */
    uint64_t received;    /* --broadcast: "msg" messages received, all connections */
    int64_t connect_span; /* from the first connect() to the last 101 (room settled) */
    pthread_t thread;
};

static pthread_barrier_t start_line; /* every worker starts sending together */

__attribute__((noreturn, format(printf, 2, 3))) static void conn_fail(const struct conn *c,
                                                                      const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail("connection %d: %s", c->id, msg);
}

/* xorshift64*: mask keys at the cost of a multiply. */
static uint32_t rand32(struct worker *w) {
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (uint32_t)((w->rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* ---- payloads: what message seq of connection id must look like ----------- */

/* The tag: id (24 bits) and seq (40 bits) as 16 hex digits. A message
 * shorter than 16 bytes carries the last S digits (the low digits of seq). */
static size_t make_tag(int id, uint64_t seq, char tag[TAG_LEN]) {
    static const char hex[] = "0123456789abcdef";
    uint64_t v = ((uint64_t)id << 40) | (seq & ((1ull << 40) - 1));
    char all[TAG_LEN];
    for (int i = TAG_LEN - 1; i >= 0; i--, v >>= 4) all[i] = hex[v & 15];
    size_t len = opt.size < TAG_LEN ? opt.size : TAG_LEN;
    memcpy(tag, all + TAG_LEN - len, len);
    return len;
}

/* The payload bytes after the tag: the pattern from an offset that moves with
 * seq, so that an echo of the wrong message or a shifted one cannot match. */
static const unsigned char *body_of(uint64_t seq) {
    return pattern + seq % PATTERN_SHIFTS;
}

static void write_payload(unsigned char *dst, int id, uint64_t seq) {
    char tag[TAG_LEN];
    size_t tag_len = make_tag(id, seq, tag);
    memcpy(dst, tag, tag_len);
    memcpy(dst + tag_len, body_of(seq), opt.size - tag_len);
}

/* --broadcast: message seq of sender id, queued at time sent: the stamp
 * (STAMP_LEN bytes, see the top comment), then the pattern. */
static void put_hex(unsigned char *dst, uint64_t v, int digits) {
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--, v >>= 4) dst[i] = (unsigned char)hex[v & 15];
}

static void write_stamped(unsigned char *dst, int id, uint64_t seq, int64_t sent) {
    put_hex(dst, (uint64_t)id, 6);
    put_hex(dst + 7, seq, 10);
    put_hex(dst + 18, (uint64_t)sent, 16);
    dst[6] = dst[17] = dst[34] = ' ';
    memcpy(dst + STAMP_LEN, body_of(seq), opt.size - STAMP_LEN);
}

__attribute__((noreturn)) static void echo_differs(const struct conn *c, size_t at, unsigned got,
                                                   unsigned want) {
    conn_fail(c, "the echo of message %llu differs from it at byte %zu: 0x%02x, not 0x%02x",
              (ull)c->rx_seq, at, got, want);
}

/* Checks p[0..n), the bytes at offset c->rx_off of the echo of message
 * c->rx_seq, against what was sent: the tag byte by byte, the body with one
 * memcmp (and a byte loop only to say where it differs). */
static void check_echo(const struct conn *c, const unsigned char *p, size_t n) {
    char tag[TAG_LEN];
    size_t tag_len = make_tag(c->id, c->rx_seq, tag), off = c->rx_off, i = 0;
    for (; i < n && off + i < tag_len; i++)
        if (p[i] != (unsigned char)tag[off + i])
            echo_differs(c, off + i, p[i], (unsigned char)tag[off + i]);
    if (i == n) return;
    const unsigned char *want = body_of(c->rx_seq) + (off + i - tag_len);
    if (memcmp(p + i, want, n - i) == 0) return;
    for (size_t j = 0; j < n - i; j++)
        if (p[i + j] != want[j]) echo_differs(c, off + i + j, p[i + j], want[j]);
}

/* ---- sending --------------------------------------------------------------- */

static void set_write_interest(struct conn *c, bool on) {
    if (c->want_write == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        fail("epoll_ctl: %s", strerror(errno));
    c->want_write = on;
}

/* Room for n more bytes at the end of the output, moving what is still
 * unsent to the front first. */
static unsigned char *out_room(struct conn *c, size_t n) {
    if (c->out_sent > 0) {
        memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
        c->out_len -= c->out_sent;
        c->out_sent = 0;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n) cap *= 2;
        unsigned char *bigger = realloc(c->out, cap);
        if (!bigger) fail("out of memory");
        c->out = bigger;
        c->out_cap = cap;
    }
    return c->out + c->out_len;
}

/* Writes what the socket takes now; EPOLLOUT brings us back for the rest. */
static void flush(struct conn *c) {
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else if (!(n < 0 && errno == EINTR)) {
            conn_fail(c, "send: %s", n < 0 ? strerror(errno) : "nothing written");
        }
    }
    if (c->out_sent == c->out_len) c->out_sent = c->out_len = 0;
    set_write_interest(c, c->out_len > 0);
}

/* XORs p[0..n) with the key, 8 bytes at a time (RFC 6455 §5.3). */
static void mask(unsigned char *p, size_t n, const unsigned char key[4]) {
    const unsigned char k8[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    uint64_t k;
    memcpy(&k, k8, sizeof k);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        memcpy(&word, p + i, sizeof word);
        word ^= k;
        memcpy(p + i, &word, sizeof word);
    }
    for (; i < n; i++) p[i] ^= key[i & 3];
}

/* A client frame header (FIN set, masked) for a payload of len bytes, in the
 * shortest length form (§5.2). Returns its size; the key is in key. */
static size_t frame_header(struct conn *c, unsigned char *dst, unsigned opcode, uint64_t len,
                           unsigned char key[4]) {
    size_t h = 2;
    dst[0] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        dst[1] = (unsigned char)(0x80 | len);
    } else if (len <= 0xffff) {
        dst[1] = 0x80 | 126;
        dst[h++] = (unsigned char)(len >> 8);
        dst[h++] = (unsigned char)len;
    } else {
        dst[1] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8) dst[h++] = (unsigned char)(len >> shift);
    }
    uint32_t r = rand32(c->w);
    memcpy(key, &r, 4);
    memcpy(dst + h, key, 4);
    return h + 4;
}

/* Queues a control frame (pong, close) with its payload, masked. */
static void queue_control(struct conn *c, unsigned opcode, const unsigned char *data, size_t len) {
    unsigned char key[4], *dst = out_room(c, FRAME_HEADER_MAX + len);
    size_t h = frame_header(c, dst, opcode, len, key);
    memcpy(dst + h, data, len);
    mask(dst + h, len, key);
    c->out_len += h + len;
}

/* Queues the next message (flushed by the caller, after a whole read). */
static void send_message(struct conn *c, int64_t now) {
    uint64_t seq = c->tx_seq++;
    c->sent_at[seq % (uint64_t)opt.depth] = now;
    c->in_flight++;
    c->w->in_flight++;
    unsigned char key[4], *dst = out_room(c, FRAME_HEADER_MAX + opt.size);
    size_t h = 0;
    if (!opt.raw) h = frame_header(c, dst, opt.binary ? OP_BINARY : OP_TEXT, opt.size, key);
    if (opt.mode == BROADCAST)
        write_stamped(dst + h, c->id, seq, now);
    else
        write_payload(dst + h, c->id, seq);
    if (!opt.raw) mask(dst + h, opt.size, key);
    c->out_len += h + opt.size;
}

/* ---- receiving: echoes ------------------------------------------------------ */

/* The echo of message rx_seq is complete and correct. */
static void echo_received(struct conn *c, int64_t now) {
    struct worker *w = c->w;
    int64_t latency = now - c->sent_at[c->rx_seq % (uint64_t)opt.depth];
    c->rx_seq++;
    c->rx_off = 0;
    c->in_flight--;
    w->in_flight--;
    if (w->phase == PH_RUN && now < w->t_end) {
        w->echoed++;
        hist_add(&w->latency, latency / 1000);
        send_message(c, now);
    }
}

/* --raw: the stream back is the messages back to back. */
static void raw_receive(struct conn *c, const unsigned char *p, size_t n, int64_t now) {
    while (n > 0) {
        if (c->in_flight == 0) conn_fail(c, "%zu bytes came back that were never sent", n);
        size_t take = opt.size - c->rx_off < n ? opt.size - c->rx_off : n;
        check_echo(c, p, take);
        c->rx_off += take;
        p += take;
        n -= take;
        if (c->rx_off == opt.size) echo_received(c, now);
    }
}

/* ---- receiving: WebSocket frames (RFC 6455 §5) ------------------------------ */

/* The header's size, known from its first two bytes (§5.2). */
static size_t header_size(const unsigned char *h) {
    unsigned len7 = h[1] & 0x7f;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
}

/* A whole header is in c->hdr: check it as a strict client must (§5.1,
 * §5.2, §5.4, §5.5) and start receiving its payload. */
static void frame_begin(struct conn *c) {
    const unsigned char *h = c->hdr;
    bool fin = h[0] & 0x80;
    unsigned rsv = (h[0] >> 4) & 7, op = h[0] & 0x0f, len7 = h[1] & 0x7f;
    if (h[1] & 0x80) conn_fail(c, "the server sent a masked frame (a server never masks, §5.1)");
    if (rsv) conn_fail(c, "a frame with RSV bits %u, but no extension was agreed (§5.2)", rsv);
    uint64_t len = len7;
    if (len7 == 126) {
        len = (uint64_t)h[2] << 8 | h[3];
        if (len < 126) conn_fail(c, "a 16-bit length of %llu: not minimal (§5.2)", (ull)len);
    } else if (len7 == 127) {
        len = 0;
        for (int i = 2; i < 10; i++) len = len << 8 | h[i];
        if (len >> 63) conn_fail(c, "a 64-bit length with its top bit set (§5.2)");
        if (len <= 0xffff) conn_fail(c, "a 64-bit length of %llu: not minimal (§5.2)", (ull)len);
    }
    if (c->state == CLOSED) conn_fail(c, "a frame after the server's close (§5.5.1)");
    bool control = op >= 0x8;
    if (op == OP_CLOSE || op == OP_PING || op == OP_PONG) {
        if (!fin || len > CONTROL_MAX)
            conn_fail(c, "a control frame (opcode %u) fragmented or over 125 bytes (§5.5)", op);
        c->ctl_len = 0;
    } else if (op == OP_TEXT || op == OP_BINARY) {
        if (c->in_message) conn_fail(c, "a new message inside a fragmented one (§5.4)");
        if (opt.mode == ECHO) {
            unsigned want = opt.binary ? OP_BINARY : OP_TEXT;
            if (c->in_flight == 0) conn_fail(c, "a message came that was never sent");
            if (op != want)
                conn_fail(c, "a %s message came back as %s", want == OP_TEXT ? "text" : "binary",
                          op == OP_TEXT ? "text" : "binary");
        } else if (opt.mode == BROADCAST && op != OP_TEXT) {
            conn_fail(c, "a binary message in a chat room (the chat protocol is text)");
        }
        c->in_message = true;
    } else if (op == OP_CONTINUATION) {
        if (!c->in_message) conn_fail(c, "a continuation frame without a message (§5.4)");
    } else {
        conn_fail(c, "a frame with the reserved opcode 0x%x (§5.2)", op);
    }
    if (!control && opt.mode == ECHO && len > opt.size - c->rx_off)
        conn_fail(c, "the echo of message %llu is longer than the %zu bytes sent", (ull)c->rx_seq,
                  opt.size);
    if (!control && opt.mode == BROADCAST && len > MESSAGE_MAX - c->msg_len)
        conn_fail(c, "a message over %d bytes", MESSAGE_MAX);
    c->in_frame = true;
    c->frame_fin = fin;
    c->frame_op = op;
    c->frame_left = len;
}

/* The server's close: the answer to ours, or a failure. */
static void close_received(struct conn *c) {
    if (c->ctl_len == 1) conn_fail(c, "a close frame with a 1-byte payload (§5.5.1)");
    unsigned code = c->ctl_len >= 2 ? (unsigned)c->ctl[0] << 8 | c->ctl[1] : 1005;
    int reason_len = c->ctl_len > 2 ? (int)c->ctl_len - 2 : 0;
    const char *reason = (const char *)c->ctl + 2;
    if (c->state != CLOSING)
        conn_fail(c, "the server closed the WebSocket: code %u \"%.*s\"", code, reason_len, reason);
    if (code != 1000)
        conn_fail(c, "our close 1000 was answered with code %u \"%.*s\"", code, reason_len, reason);
    c->state = CLOSED; /* the server closes TCP next (§7.1.1) */
}

/* ---- receiving: the chat room (--broadcast) -------------------------------- */

static bool starts_with(const unsigned char *m, size_t len, const char *prefix) {
    size_t n = strlen(prefix);
    return len >= n && memcmp(m, prefix, n) == 0;
}

/* Sets how many members c knows of, keeping count of the connections that
 * know all C. */
static void set_members(struct conn *c, int members) {
    bool was = c->members == opt.connections, is = members == opt.connections;
    c->members = members;
    c->w->settled += (int)is - (int)was;
}

/* "members N1 ... Nn": the first message, its own name last. */
static void members_received(struct conn *c, const unsigned char *list, size_t len) {
    char own[16];
    size_t own_len = (size_t)snprintf(own, sizeof own, "l%d", c->id);
    if (c->joined) conn_fail(c, "a second \"members\" list");
    if (len < own_len || memcmp(list + len - own_len, own, own_len) != 0 ||
        (len > own_len && list[len - own_len - 1] != ' '))
        conn_fail(c, "a \"members\" list that does not end with its own name, %s", own);
    int names = 1;
    for (size_t i = 0; i < len; i++) names += list[i] == ' ';
    c->joined = true;
    set_members(c, names);
}

/* "join NAME" (change +1) or "leave NAME" (-1): expected while the room
 * fills up and, for leaves, while it empties; any other time a member has
 * come or gone (been dropped) in the middle of the run. */
static void notice_received(struct conn *c, int change, const unsigned char *m, size_t len) {
    enum phase ph = c->w->phase;
    if (!c->joined) conn_fail(c, "\"%.*s\" before the \"members\" list", (int)len, (const char *)m);
    if (ph == PH_RUN || ph == PH_DRAIN || (ph == PH_CLOSE && change > 0))
        conn_fail(c, "\"%.*s\" during the run: someone came or went (was a member dropped?)",
                  (int)len, (const char *)m);
    set_members(c, c->members + change);
}

/* The number written in hex in p[0..digits), if every one is a hex digit. */
static bool hex_at(const unsigned char *p, int digits, uint64_t *v) {
    *v = 0;
    for (int i = 0; i < digits; i++) {
        unsigned d = p[i];
        if (d - '0' < 10)
            *v = *v << 4 | (d - '0');
        else if (d - 'a' < 6)
            *v = *v << 4 | (d - 'a' + 10);
        else
            return false;
    }
    return true;
}

/* A sender has all its own messages back, after T: its count is final. */
static void sender_finished(const struct conn *c) {
    atomic_fetch_add(&messages_sent, c->tx_seq);
    atomic_fetch_add(&senders_finished, 1);
}

/* A sender's own message came back: delivered. The next one goes out, or,
 * after T, the sender finishes once none is left in flight. */
static void own_copy_received(struct conn *c, int64_t now) {
    struct worker *w = c->w;
    if (c->in_flight == 0) conn_fail(c, "its own message %llu came back unsent", (ull)c->tx_seq);
    c->in_flight--;
    w->in_flight--;
    if (w->phase == PH_RUN && now < w->t_end)
        send_message(c, now);
    else if (c->in_flight == 0)
        sender_finished(c);
}

/* "msg lID TEXT" (m points after "msg "): message seq of sender ID, as
 * write_stamped made it, and due now: the next of that sender's. */
static void msg_received(struct conn *c, const unsigned char *m, size_t len, int64_t now) {
    struct worker *w = c->w;
    if (w->phase == PH_CONNECT) conn_fail(c, "a \"msg\" before anyone sent one");
    uint64_t id = 0, sender, seq, sent;
    size_t i = 1;
    for (; i < len && i < 8 && m[i] >= '0' && m[i] <= '9'; i++) id = id * 10 + (m[i] - '0');
    if (len < 2 || m[0] != 'l' || i == 1 || i >= len || m[i] != ' ')
        conn_fail(c, "a \"msg\" whose name is not one of wsload's (lID): \"msg %.*s\"",
                  (int)(len < 40 ? len : 40), (const char *)m);
    const unsigned char *text = m + i + 1;
    size_t text_len = len - i - 1;
    if (text_len != opt.size)
        conn_fail(c, "a message of %zu bytes from l%llu, not %zu", text_len, (ull)id, opt.size);
    if (!hex_at(text, 6, &sender) || text[6] != ' ' || !hex_at(text + 7, 10, &seq) ||
        text[17] != ' ' || !hex_at(text + 18, 16, &sent) || text[34] != ' ')
        conn_fail(c, "a message from l%llu whose stamp is garbled: \"%.*s\"", (ull)id, STAMP_LEN,
                  (const char *)text);
    if (sender != id) conn_fail(c, "a message sent by l%llu came as l%llu's", (ull)sender, (ull)id);
    if (id >= (uint64_t)opt.senders) conn_fail(c, "a message from l%llu, not a sender", (ull)id);
    if (seq != c->next_seq[id])
        conn_fail(c, "from l%llu: message %llu where %llu was due (%s)", (ull)id, (ull)seq,
                  (ull)c->next_seq[id], seq > c->next_seq[id] ? "lost or reordered" : "repeated");
    if (memcmp(text + STAMP_LEN, body_of(seq), opt.size - STAMP_LEN) != 0)
        conn_fail(c, "message %llu from l%llu differs from what was sent", (ull)seq, (ull)id);
    if ((int64_t)sent > now)
        conn_fail(c, "message %llu from l%llu: stamped later than received", (ull)seq, (ull)id);
    c->next_seq[id]++;
    c->received++;
    w->received++;
    c->order = (c->order ^ (id << 40 | seq)) * 0x100000001b3ull; /* FNV-1a's prime */
    if (w->phase == PH_RUN && now < w->t_end) {
        w->echoed++;
        hist_add(&w->latency, (now - (int64_t)sent) / 1000);
    }
    if (id == (uint64_t)c->id) own_copy_received(c, now);
}

/* A whole message from the chat server (frame_end). */
static void chat_message(struct conn *c, const unsigned char *m, size_t len, int64_t now) {
    if (len == 0) conn_fail(c, "an empty message");
    if (starts_with(m, len, "msg "))
        msg_received(c, m + 4, len - 4, now);
    else if (starts_with(m, len, "join "))
        notice_received(c, +1, m, len);
    else if (starts_with(m, len, "leave "))
        notice_received(c, -1, m, len);
    else if (starts_with(m, len, "members "))
        members_received(c, m + 8, len - 8);
    else
        conn_fail(c, "a message the chat protocol does not have: \"%.*s\"",
                  (int)(len < 60 ? len : 60), (const char *)m);
}

static void frame_end(struct conn *c, int64_t now) {
    c->in_frame = false;
    c->hdr_len = 0;
    if (c->frame_op == OP_PING) {
        if (c->state == OPEN) queue_control(c, OP_PONG, c->ctl, c->ctl_len);
    } else if (c->frame_op == OP_CLOSE) {
        close_received(c);
    } else if (c->frame_op != OP_PONG && c->frame_fin) {
        c->in_message = false;
        if (opt.mode == ECHO) {
            if (c->rx_off != opt.size)
                conn_fail(c, "the echo of message %llu has %zu bytes, not %zu", (ull)c->rx_seq,
                          c->rx_off, opt.size);
            echo_received(c, now);
        } else if (opt.mode == BROADCAST) {
            chat_message(c, c->whole ? c->whole : c->msg, c->whole ? c->whole_len : c->msg_len,
                         now);
            c->whole = NULL;
            c->msg_len = 0;
        }
    }
}

/* BROADCAST: n payload bytes of the message being received. A message whose
 * every byte is here (the usual case) is checked where it lies; one that
 * straddles reads or frames is gathered first. */
static void message_bytes(struct conn *c, const unsigned char *p, size_t n) {
    if (c->msg_len == 0 && c->frame_fin && n == c->frame_left) {
        c->whole = p;
        c->whole_len = n;
        return;
    }
    if (c->msg_len + n > c->msg_cap) {
        size_t cap = c->msg_cap ? c->msg_cap : 256;
        while (cap < c->msg_len + n) cap *= 2;
        unsigned char *bigger = realloc(c->msg, cap);
        if (!bigger) fail("out of memory");
        c->msg = bigger;
        c->msg_cap = cap;
    }
    memcpy(c->msg + c->msg_len, p, n);
    c->msg_len += n;
}

static void ws_receive(struct conn *c, const unsigned char *p, size_t n, int64_t now) {
    while (n > 0) {
        if (!c->in_frame) {
            /* Gather the header a byte at a time: it is at most 14. */
            c->hdr[c->hdr_len++] = *p++;
            n--;
            if (c->hdr_len < 2 || c->hdr_len < header_size(c->hdr)) continue;
            frame_begin(c);
        } else {
            size_t take = c->frame_left < n ? (size_t)c->frame_left : n;
            if (c->frame_op >= 0x8) {
                memcpy(c->ctl + c->ctl_len, p, take);
                c->ctl_len += take;
            } else if (opt.mode == ECHO) {
                check_echo(c, p, take);
                c->rx_off += take;
            } else if (opt.mode == BROADCAST) {
                message_bytes(c, p, take);
            }
            c->frame_left -= take;
            p += take;
            n -= take;
        }
        if (c->frame_left == 0) frame_end(c, now);
    }
}

/* ---- the opening handshake (RFC 6455 §4.1) ---------------------------------- */

static void base64(const unsigned char *in, size_t len, char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        *out++ = i + 2 < len ? abc[v & 63] : '=';
    }
    *out = '\0';
}

/* base64(SHA-1(key + GUID)): what the server must answer (§4.2.2). */
static void expected_accept(const char *key, char accept[29]) {
    char joined[64];
    unsigned char digest[SHA_DIGEST_LENGTH];
    int n = snprintf(joined, sizeof joined, "%s%s", key, WS_GUID);
    SHA1((const unsigned char *)joined, (size_t)n, digest);
    base64(digest, sizeof digest, accept);
}

static void send_request(struct conn *c) {
    unsigned char nonce[16];
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
        fail("getrandom: %s", strerror(errno));
    base64(nonce, sizeof nonce, c->key);
    /* In a chat room each connection goes by the name lID. */
    char name[32] = "";
    if (opt.mode == BROADCAST)
        snprintf(name, sizeof name, "%cname=l%d", strchr(opt.path, '?') ? '&' : '?', c->id);
    char req[2048];
    int n = snprintf(
        req, sizeof req,
        "GET %s%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        "Sec-WebSocket-Version: 13\r\n%s%s%s%s%s%s\r\n",
        opt.path, name, opt.host, opt.port, c->key, opt.protocol ? "Sec-WebSocket-Protocol: " : "",
        opt.protocol ? opt.protocol : "", opt.protocol ? "\r\n" : "", opt.origin ? "Origin: " : "",
        opt.origin ? opt.origin : "", opt.origin ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req) fail("the request is too long (--path, --protocol?)");
    memcpy(out_room(c, (size_t)n), req, (size_t)n);
    c->out_len += (size_t)n;
    c->head = malloc(HEAD_MAX);
    if (!c->head) fail("out of memory");
    c->state = HANDSHAKING;
}

/* Is token one of the comma-separated elements of list[0..n)? */
static bool has_token(const char *list, size_t n, const char *token) {
    size_t tlen = strlen(token);
    for (size_t i = 0; i <= n;) {
        size_t start = i;
        while (i < n && list[i] != ',') i++;
        size_t end = i++;
        while (start < end && (list[start] == ' ' || list[start] == '\t')) start++;
        while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t')) end--;
        if (end - start == tlen && strncasecmp(list + start, token, tlen) == 0) return true;
    }
    return false;
}

/* Checks the answer head[0..len) (it ends with the empty line) as §4.1 asks
 * of a client: 101, Upgrade, Connection, the accept, nothing not offered. */
static void check_answer(struct conn *c, char *head, size_t len) {
    char *line_end = strstr(head, "\r\n");
    if (strncmp(head, "HTTP/1.1 101 ", 13) != 0 && strncmp(head, "HTTP/1.1 101\r", 13) != 0)
        conn_fail(c, "the handshake was refused: \"%.*s\"", (int)(line_end - head), head);
    char accept[29];
    expected_accept(c->key, accept);
    bool upgrade = false, connection = false, accepted = false;
    for (char *p = line_end + 2; p < head + len - 2;) {
        char *eol = strstr(p, "\r\n"), *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon) conn_fail(c, "a header line without ':' in the handshake answer");
        char *v = colon + 1, *vend = eol;
        while (v < vend && (*v == ' ' || *v == '\t')) v++;
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
        size_t name_len = (size_t)(colon - p), vlen = (size_t)(vend - v);
#define IS(name) (name_len == strlen(name) && strncasecmp(p, name, name_len) == 0)
        if (IS("Upgrade")) {
            upgrade = vlen == 9 && strncasecmp(v, "websocket", 9) == 0;
        } else if (IS("Connection")) {
            connection = has_token(v, vlen, "upgrade");
        } else if (IS("Sec-WebSocket-Accept")) {
            if (vlen != 28 || memcmp(v, accept, 28) != 0)
                conn_fail(c, "wrong Sec-WebSocket-Accept \"%.*s\" for key %s: expected %s",
                          (int)vlen, v, c->key, accept);
            accepted = true;
        } else if (IS("Sec-WebSocket-Extensions")) {
            conn_fail(c, "the server chose an extension we did not offer: \"%.*s\"", (int)vlen, v);
        } else if (IS("Sec-WebSocket-Protocol")) {
            char chosen[256];
            snprintf(chosen, sizeof chosen, "%.*s", (int)vlen, v);
            if (!opt.protocol || !has_token(opt.protocol, strlen(opt.protocol), chosen))
                conn_fail(c, "the server chose a subprotocol we did not offer: \"%s\"", chosen);
        }
#undef IS
        p = eol + 2;
    }
    if (!upgrade) conn_fail(c, "the 101 lacks \"Upgrade: websocket\"");
    if (!connection) conn_fail(c, "the 101 lacks \"Connection: Upgrade\"");
    if (!accepted) conn_fail(c, "the 101 lacks Sec-WebSocket-Accept");
}

/* ---- connections: open, read, close ------------------------------------------ */

static void opened(struct conn *c, int64_t now) {
    struct worker *w = c->w;
    c->state = OPEN;
    hist_add(&w->connect, (now - c->started) / 1000);
    w->opening--;
    w->open++;
    w->last_open = now;
}

static void start_connection(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) fail("socket: %s (raise the open files limit: ulimit -n)", strerror(errno));
    int one = 1; /* each message leaves at once, not when Nagle's timer says */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->started = now_ns();
    c->state = CONNECTING;
    c->w->opening++;
    if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof opt.addr) < 0 && errno != EINPROGRESS)
        conn_fail(c, "connect to %s:%d: %s", opt.host, opt.port, strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(c->w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        fail("epoll_ctl: %s", strerror(errno));
    c->want_write = true;
}

/* connect() has finished, one way or the other. */
static void connected(struct conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err) conn_fail(c, "connect to %s:%d: %s", opt.host, opt.port, strerror(err));
    if (opt.raw)
        opened(c, now_ns());
    else
        send_request(c);
}

static void handshake_receive(struct conn *c, const unsigned char *p, size_t n, int64_t now) {
    size_t room = HEAD_MAX - 1 - c->head_len, take = n < room ? n : room;
    memcpy(c->head + c->head_len, p, take);
    c->head_len += take;
    c->head[c->head_len] = '\0';
    char *end = strstr(c->head, "\r\n\r\n");
    if (!end) {
        if (c->head_len == HEAD_MAX - 1) conn_fail(c, "a handshake answer over %d bytes", HEAD_MAX);
        if (memchr(c->head, '\0', c->head_len)) conn_fail(c, "a NUL in the handshake answer");
        return;
    }
    size_t head_len = (size_t)(end + 4 - c->head);
    check_answer(c, c->head, head_len);
    /* Bytes after the head are already frames (none are expected yet). */
    size_t extra = c->head_len - head_len;
    unsigned char frames[HEAD_MAX];
    memcpy(frames, c->head + head_len, extra);
    free(c->head);
    c->head = NULL;
    opened(c, now);
    ws_receive(c, frames, extra, now);
    if (take < n) ws_receive(c, p + take, n - take, now);
}

static void finish(struct conn *c) {
    close(c->fd);
    c->fd = -1;
    c->state = DONE;
    c->w->done++;
}

/* The server closed its side. Only an answer to our close is polite. */
static void end_of_stream(struct conn *c) {
    if (opt.raw && c->state == CLOSING && c->in_flight == 0 && c->rx_off == 0)
        finish(c);
    else if (!opt.raw && c->state == CLOSED)
        finish(c);
    else if (c->state == CLOSING && !opt.raw)
        conn_fail(c, "the server closed TCP without answering our close");
    else if (opt.mode == ECHO)
        conn_fail(c, "the server closed the connection (%d echoes under way)", c->in_flight);
    else
        conn_fail(c, "the server closed the connection");
}

static void conn_read(struct worker *w, struct conn *c) {
    for (int reads = 0; reads < 8 && c->state != DONE; reads++) {
        ssize_t n = recv(c->fd, w->scratch, SCRATCH, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) conn_fail(c, "recv: %s", strerror(errno));
        if (n == 0) {
            end_of_stream(c);
            return;
        }
        int64_t now = now_ns();
        if (c->state == HANDSHAKING)
            handshake_receive(c, w->scratch, (size_t)n, now);
        else if (opt.raw)
            raw_receive(c, w->scratch, (size_t)n, now);
        else
            ws_receive(c, w->scratch, (size_t)n, now);
        if (n < SCRATCH) return;
    }
}

static void handle(struct worker *w, struct conn *c, uint32_t events) {
    if (c->state == CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        connected(c);
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(w, c);
    if (c->state != DONE) flush(c);
}

/* Starts the polite end: a close 1000 (§7.1.2), or in --raw a half-close. */
static void start_close(struct conn *c) {
    if (opt.raw) {
        if (shutdown(c->fd, SHUT_WR) < 0) conn_fail(c, "shutdown: %s", strerror(errno));
    } else {
        static const unsigned char normal[2] = {1000 >> 8, 1000 & 0xff};
        queue_control(c, OP_CLOSE, normal, sizeof normal);
        flush(c);
    }
    c->state = CLOSING;
}

/* ---- the loop ---------------------------------------------------------------- */

static bool all_open(const struct worker *w) {
    return w->open == w->n && (opt.mode != BROADCAST || w->settled == w->n);
}

static bool all_echoed(const struct worker *w) {
    return w->in_flight == 0;
}

/* BROADCAST: every sender has finished, and every connection of this worker
 * has received every message they sent. */
static bool all_delivered(const struct worker *w) {
    return atomic_load(&senders_finished) == opt.senders &&
           w->received == atomic_load(&messages_sent) * (uint64_t)w->n;
}

static bool stop_wanted(const struct worker *w) {
    (void)w;
    return stop_requested;
}

static bool all_done(const struct worker *w) {
    return w->done == w->n;
}

/* Handles events until done(w) (NULL: never) or the deadline. Returns
 * whether done(w) came true. */
static bool loop_until(struct worker *w, int64_t deadline, bool (*done)(const struct worker *)) {
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        while (w->phase == PH_CONNECT && w->opening < OPENING_MAX && w->next_to_open < w->n)
            start_connection(&w->conns[w->next_to_open++]);
        if (done && done(w)) return true;
        int64_t now = now_ns(), left = deadline - now;
        if (left <= 0) return false;
        if (w->phase == PH_CONNECT && w->opening > 0 && now - w->last_open > STALL_MS * 1000000ll)
            fail("opening stalled at %d of %d connections: none opened in %d s (the server's "
                 "limit of open files?)",
                 w->open, w->n, STALL_MS / 1000);
        int wait_ms = (int)((left + 999999) / 1000000);
        if (opt.mode == IDLE && wait_ms > IDLE_SLICE_MS) wait_ms = IDLE_SLICE_MS;
        int n = epoll_wait(w->epfd, evs, MAX_EVENTS, wait_ms);
        if (n < 0 && errno != EINTR) fail("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) handle(w, evs[i].data.ptr, evs[i].events);
    }
}

/* Opens the worker's connections; in a chat room, also waits until each
 * one knows all C members. */
static void open_all(struct worker *w) {
    int64_t t0 = now_ns();
    w->last_open = t0;
    int64_t per_ms = CONNECT_PER_MS + (opt.mode == BROADCAST ? JOIN_PER_MS : 0);
    int64_t limit = (CONNECT_BASE_MS + per_ms * w->n) * 1000000;
    if (!loop_until(w, t0 + limit, all_open)) {
        if (w->open < w->n)
            fail("only %d of %d connections opened in time (is the server overloaded?)", w->open,
                 w->n);
        fail("only %d of %d connections saw all %d members join the room in time", w->settled, w->n,
             opt.connections);
    }
    w->connect_span = now_ns() - t0;
}

/* BROADCAST: the wait after the run is over: say what is missing, and fail. */
__attribute__((noreturn)) static void shortfall(const struct worker *w) {
    int finished = atomic_load(&senders_finished);
    if (finished < opt.senders)
        fail("%d of %d senders still awaited their own messages %d s after the run",
             opt.senders - finished, opt.senders, DRAIN_MS / 1000);
    uint64_t sent = atomic_load(&messages_sent), missing = 0;
    const struct conn *worst = NULL;
    int lacking = 0;
    for (int i = 0; i < w->n; i++) {
        const struct conn *c = &w->conns[i];
        if (c->received > sent)
            conn_fail(c, "%llu messages received, of %llu sent", (ull)c->received, (ull)sent);
        if (c->received == sent) continue;
        lacking++;
        missing += sent - c->received;
        if (!worst || c->received < worst->received) worst = c;
    }
    fail("%d of %d connections lacked messages %d s after the run: %llu deliveries missing "
         "(%llu messages were sent; connection %d received %llu)",
         lacking, w->n, DRAIN_MS / 1000, (ull)missing, (ull)sent, worst->id, (ull)worst->received);
}

/* The T seconds measured, then the wait for what is still under way. */
static void run(struct worker *w) {
    w->phase = PH_RUN;
    int64_t start = now_ns();
    w->t_end = start + (int64_t)(opt.seconds * 1e9);
    for (int i = 0; i < w->n; i++) {
        struct conn *c = &w->conns[i];
        if (opt.mode == BROADCAST && c->id >= opt.senders) continue;
        for (int d = 0; d < opt.depth; d++) send_message(c, start);
        flush(c);
    }
    loop_until(w, w->t_end, NULL);

    w->phase = PH_DRAIN;
    int64_t deadline = now_ns() + DRAIN_MS * 1000000ll;
    if (opt.mode == BROADCAST && !loop_until(w, deadline, all_delivered)) shortfall(w);
    if (opt.mode == ECHO && !loop_until(w, deadline, all_echoed))
        fail("%ld echoes never came back (waited %d s after the run)", w->in_flight,
             DRAIN_MS / 1000);
}

/* IDLE: holds the connections open until a signal or T seconds. */
static void hold(struct worker *w) {
    w->phase = PH_RUN;
    loop_until(w, now_ns() + (int64_t)(opt.seconds * 1e9), stop_wanted);
}

static void close_all(struct worker *w) {
    w->phase = PH_CLOSE;
    for (int i = 0; i < w->n; i++) start_close(&w->conns[i]);
    if (!loop_until(w, now_ns() + CLOSE_MS * 1000000ll, all_done))
        fail("%d connections did not finish the closing handshake within %d s", w->n - w->done,
             CLOSE_MS / 1000);
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    open_all(w);
    /* Every worker starts together; the last to arrive says so if asked. */
    if (pthread_barrier_wait(&start_line) == PTHREAD_BARRIER_SERIAL_THREAD && opt.mode == IDLE) {
        printf("ready %d\n", opt.connections);
        fflush(stdout);
    }
    if (opt.mode == IDLE)
        hold(w);
    else
        run(w);
    close_all(w);
    return NULL;
}

/* BROADCAST, once every thread is done: every connection received exactly
 * what each sender sent (all_delivered saw the totals only), and all of them
 * in one order. */
static void check_all_received(const struct worker *workers) {
    const struct conn *first = &workers[0].conns[0];
    for (int t = 0; t < opt.threads; t++)
        for (int i = 0; i < workers[t].n; i++) {
            const struct conn *c = &workers[t].conns[i];
            for (int s = 0; s < opt.senders; s++) {
                const struct conn *sender = &workers[s % opt.threads].conns[s / opt.threads];
                if (c->next_seq[s] != sender->tx_seq)
                    fail("connection %d received %llu messages from l%d, who sent %llu", c->id,
                         (ull)c->next_seq[s], s, (ull)sender->tx_seq);
            }
            if (c->order != first->order)
                fail("connections %d and %d received the %llu messages in different orders",
                     first->id, c->id, (ull)c->received);
        }
}

/* ---- setup and results -------------------------------------------------------- */

static void worker_init(struct worker *w, int index) {
    w->n = opt.connections / opt.threads + (index < opt.connections % opt.threads);
    w->conns = calloc((size_t)w->n, sizeof *w->conns);
    w->scratch = malloc(SCRATCH);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!w->conns || !w->scratch) fail("out of memory");
    if (w->epfd < 0) fail("epoll_create1: %s", strerror(errno));
    if (getrandom(&w->rng, sizeof w->rng, 0) != (ssize_t)sizeof w->rng)
        fail("getrandom: %s", strerror(errno));
    w->rng |= 1; /* xorshift must not start at 0 */
    for (int i = 0; i < w->n; i++) {
        struct conn *c = &w->conns[i];
        c->w = w;
        c->id = index + i * opt.threads;
        c->fd = -1;
        c->sent_at = calloc((size_t)opt.depth, sizeof *c->sent_at);
        if (opt.mode == BROADCAST) c->next_seq = calloc((size_t)opt.senders, sizeof *c->next_seq);
        if (!c->sent_at || (opt.mode == BROADCAST && !c->next_seq)) fail("out of memory");
    }
}

static void worker_free(struct worker *w) {
    for (int i = 0; i < w->n; i++) {
        free(w->conns[i].sent_at);
        free(w->conns[i].next_seq);
        free(w->conns[i].msg);
        free(w->conns[i].out);
        free(w->conns[i].head);
    }
    free(w->conns);
    free(w->scratch);
    close(w->epfd);
}

static void make_pattern(void) {
    size_t len = opt.size + PATTERN_SHIFTS;
    pattern = malloc(len);
    if (!pattern) fail("out of memory");
    uint64_t x = 0x9e3779b97f4a7c15u; /* the same bytes on every run */
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[i] = opt.binary ? (unsigned char)(x >> 24) : (unsigned char)(' ' + (x >> 24) % 95);
    }
}

/* Each connection is a descriptor: make sure the limit allows them all. */
static void raise_fd_limit(void) {
    struct rlimit rl;
    rlim_t want = (rlim_t)opt.connections + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want) return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        fprintf(stderr, "wsload: %d connections need %llu descriptors; the hard limit is %llu\n",
                opt.connections, (unsigned long long)want, (unsigned long long)rl.rlim_max);
        exit(2);
    }
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) fail("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
}

struct results {
    struct hist latency, connect;
    uint64_t echoed; /* BROADCAST: deliveries */
    uint64_t sent;   /* BROADCAST: messages */
    int64_t connect_span;
    int closed;
};

static void report_connect(const struct results *r) {
    const struct hist *k = &r->connect;
    printf("  %-18s all %d in %.1f ms%s; each p50 %lld us, p99 %lld us, max %lld us\n",
           opt.raw ? "connect" : "connect+handshake", opt.connections,
           (double)r->connect_span / 1e6,
           opt.mode == BROADCAST ? ", and each saw all join the room" : "",
           (long long)hist_quantile(k, 0.5), (long long)hist_quantile(k, 0.99), (long long)k->max);
}

static void report_latency(const struct results *r) {
    const struct hist *l = &r->latency;
    printf("  %-18s p50 %lld us, p99 %lld us, p99.9 %lld us, max %lld us\n", "latency",
           (long long)hist_quantile(l, 0.5), (long long)hist_quantile(l, 0.99),
           (long long)hist_quantile(l, 0.999), (long long)l->max);
}

/* The fields every mode's --json line ends with. */
static void json_tail(const struct results *r) {
    const struct hist *l = &r->latency, *k = &r->connect;
    printf("\"lat_p50_us\":%lld,\"lat_p99_us\":%lld,\"lat_p999_us\":%lld,\"lat_max_us\":%lld,"
           "\"connect_p50_us\":%lld,\"connect_p99_us\":%lld,\"connect_max_us\":%lld,"
           "\"connect_all_ms\":%.1f,\"closed\":%d}\n",
           (long long)hist_quantile(l, 0.5), (long long)hist_quantile(l, 0.99),
           (long long)hist_quantile(l, 0.999), (long long)l->max, (long long)hist_quantile(k, 0.5),
           (long long)hist_quantile(k, 0.99), (long long)k->max, (double)r->connect_span / 1e6,
           r->closed);
}

static void report_echo(const struct results *r) {
    double msgs = (double)r->echoed / opt.seconds;
    double mbps = msgs * (double)opt.size / 1e6;
    if (opt.json) {
        printf("{\"mode\":\"%s\",\"port\":%d,\"path\":\"%s\",\"binary\":%s,\"connections\":%d,"
               "\"depth\":%d,\"size\":%zu,\"seconds\":%.3f,\"threads\":%d,\"messages\":%llu,"
               "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,",
               opt.raw ? "raw" : "ws", opt.port, opt.raw ? "" : opt.path,
               opt.binary ? "true" : "false", opt.connections, opt.depth, opt.size, opt.seconds,
               opt.threads, (unsigned long long)r->echoed, msgs, mbps);
        json_tail(r);
        return;
    }
    if (opt.raw)
        printf("wsload: tcp://%s:%d (raw TCP echo), chunks of %zu B", opt.host, opt.port, opt.size);
    else
        printf("wsload: ws://%s:%d%s, %s messages of %zu B", opt.host, opt.port, opt.path,
               opt.binary ? "binary" : "text", opt.size);
    printf(", %d connections x %d in flight, %.1f s, %d thread%s\n", opt.connections, opt.depth,
           opt.seconds, opt.threads, opt.threads > 1 ? "s" : "");
    report_connect(r);
    printf("  %-18s %llu messages: %.0f msg/s, %.2f MB/s of payload echoed (each way)\n", "echoed",
           (unsigned long long)r->echoed, msgs, mbps);
    report_latency(r);
    printf("  %-18s %d connections, %s\n", "closed", r->closed,
           opt.raw ? "each half-closed and answered with FIN"
                   : "each with a closing handshake (1000) and the server's FIN");
}

static void report_broadcast(const struct results *r) {
    double deliveries = (double)r->echoed / opt.seconds, msgs = (double)r->sent / opt.seconds;
    double mbps = deliveries * (double)opt.size / 1e6;
    if (opt.json) {
        printf("{\"mode\":\"broadcast\",\"port\":%d,\"path\":\"%s\",\"connections\":%d,"
               "\"senders\":%d,\"depth\":%d,\"size\":%zu,\"seconds\":%.3f,\"threads\":%d,"
               "\"messages\":%llu,\"msgs_per_s\":%.1f,\"deliveries\":%llu,"
               "\"deliveries_per_s\":%.1f,\"mb_per_s\":%.3f,",
               opt.port, opt.path, opt.connections, opt.senders, opt.depth, opt.size, opt.seconds,
               opt.threads, (ull)r->sent, msgs, (ull)r->echoed, deliveries, mbps);
        json_tail(r);
        return;
    }
    printf("wsload: ws://%s:%d%s (name=lID), a chat room of %d connections, %d senders x %d in "
           "flight, text of %zu B, %.1f s, %d thread%s\n",
           opt.host, opt.port, opt.path, opt.connections, opt.senders, opt.depth, opt.size,
           opt.seconds, opt.threads, opt.threads > 1 ? "s" : "");
    report_connect(r);
    printf("  %-18s %llu messages (%.0f msg/s), each received by all %d connections, in one "
           "order\n",
           "sent", (ull)r->sent, msgs, opt.connections);
    printf("  %-18s %llu within the %.1f s: %.0f deliveries/s, %.2f MB/s of text\n", "delivered",
           (ull)r->echoed, opt.seconds, deliveries, mbps);
    report_latency(r);
    printf("  %-18s %d connections, each with a closing handshake (1000) and the server's FIN\n",
           "closed", r->closed);
}

/* ---- options and main ---------------------------------------------------------- */

static void usage(FILE *to) {
    fprintf(to, "usage: wsload --port P [--host 127.0.0.1] [--path /echo] [--connections 50]\n"
                "              [--depth 4] [--size 64] [--seconds 5] [--binary] [--raw]\n"
                "              [--broadcast [--senders 4]] [--idle]\n"
                "              [--threads 1] [--protocol LIST] [--origin URL] [--json]\n"
                "Keeps D messages of S bytes in flight on each of C connections to an echo\n"
                "server for T seconds; prints messages/s, MB/s and latency of the correct\n"
                "echoes. --raw: plain TCP to a TCP echo server (the baseline).\n"
                "--broadcast: C connections join the chat room --path (default /chat/wsload)\n"
                "as lID; K of them keep D messages each in flight; prints deliveries/s and\n"
                "their latency, and checks every connection got every message, in one order.\n"
                "--idle: opens C connections, prints \"ready C\", holds them until SIGINT,\n"
                "SIGTERM or T seconds, then closes them. Exit status: 0 done, 1 the server\n"
                "did something wrong (the message says what), 2 usage.\n");
}

static double number_option(const char *name, const char *value, double lo, double hi, bool whole) {
    char *end;
    double v = value ? strtod(value, &end) : 0;
    if (!value || *value == '\0' || *end != '\0' || !(v >= lo && v <= hi) ||
        (whole && v != (double)(long long)v)) {
        fprintf(stderr, "wsload: %s wants a %snumber from %.*f to %.0f\n", name,
                whole ? "whole " : "", whole ? 0 : 2, lo, hi);
        exit(2);
    }
    return v;
}

static void usage_error(const char *what) {
    fprintf(stderr, "wsload: %s\n", what);
    exit(2);
}

/* The options that do not go with the mode chosen. */
static void check_mode(void) {
    if (opt.mode != ECHO && (opt.raw || opt.binary))
        usage_error("--raw and --binary are for echo servers, not --broadcast or --idle");
    if (opt.mode == BROADCAST && opt.size < STAMP_LEN)
        usage_error("--broadcast needs --size 35 or more (the stamp of a message)");
    if (opt.mode == BROADCAST && opt.senders > opt.connections)
        usage_error("--senders must not be more than --connections");
    if (!opt.path) opt.path = opt.mode == BROADCAST ? "/chat/wsload" : "/echo";
}

static void parse_options(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *name = argv[i], *value = NULL, *eq = strchr(name, '=');
        if (eq) { /* --name=value */
            *eq = '\0';
            value = eq + 1;
        }
        bool flag = !strcmp(name, "--binary") || !strcmp(name, "--raw") ||
                    !strcmp(name, "--broadcast") || !strcmp(name, "--idle") ||
                    !strcmp(name, "--json") || !strcmp(name, "--help");
        if (!eq && !flag) value = i + 1 < argc ? argv[++i] : NULL;
        if (!strcmp(name, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(name, "--binary")) {
            opt.binary = true;
        } else if (!strcmp(name, "--raw")) {
            opt.raw = true;
        } else if (!strcmp(name, "--broadcast")) {
            opt.mode = BROADCAST;
        } else if (!strcmp(name, "--idle")) {
            opt.mode = IDLE;
        } else if (!strcmp(name, "--json")) {
            opt.json = true;
        } else if (!strcmp(name, "--host") && value) {
            opt.host = value;
        } else if (!strcmp(name, "--path") && value) {
            if (value[0] != '/') {
                fprintf(stderr, "wsload: --path must start with '/'\n");
                exit(2);
            }
            opt.path = value;
        } else if (!strcmp(name, "--protocol") && value) {
            opt.protocol = value;
        } else if (!strcmp(name, "--origin") && value) {
            opt.origin = value;
        } else if (!strcmp(name, "--port")) {
            opt.port = (int)number_option(name, value, 1, 65535, true);
        } else if (!strcmp(name, "--connections")) {
            opt.connections = (int)number_option(name, value, 1, 100000, true);
        } else if (!strcmp(name, "--depth")) {
            opt.depth = (int)number_option(name, value, 1, 4096, true);
        } else if (!strcmp(name, "--size")) {
            opt.size = (size_t)number_option(name, value, 1, 64 << 20, true);
        } else if (!strcmp(name, "--seconds")) {
            opt.seconds = number_option(name, value, 0.01, 3600, false);
        } else if (!strcmp(name, "--threads")) {
            opt.threads = (int)number_option(name, value, 1, 64, true);
        } else if (!strcmp(name, "--senders")) {
            opt.senders = (int)number_option(name, value, 1, 100000, true);
        } else {
            fprintf(stderr, "wsload: unknown option or missing value: %s\n", name);
            usage(stderr);
            exit(2);
        }
    }
    if (opt.port < 0) {
        fprintf(stderr, "wsload: --port is required (the port an echo server listens on)\n");
        exit(2);
    }
    check_mode();
    if (opt.threads > opt.connections) opt.threads = opt.connections;
    /* A load generator floods what it is pointed at: loopback only. */
    if (!strcmp(opt.host, "localhost")) opt.host = "127.0.0.1";
    opt.addr.sin_family = AF_INET;
    opt.addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &opt.addr.sin_addr) != 1 ||
        (ntohl(opt.addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "wsload: only loopback addresses (127.x.x.x) are allowed as --host\n");
        exit(2);
    }
    double in_flight = (double)opt.connections * opt.depth * (double)(opt.size + 14);
    if (in_flight > (double)(1u << 30)) {
        fprintf(stderr, "wsload: connections x depth x size is over 1 GiB in flight\n");
        exit(2);
    }
}

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv) {
    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    if (opt.mode == IDLE) {
        struct sigaction sa = {.sa_handler = on_stop_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    raise_fd_limit();
    make_pattern();

    struct worker *workers = calloc((size_t)opt.threads, sizeof *workers);
    struct results *r = calloc(1, sizeof *r);
    if (!workers || !r) fail("out of memory");
    for (int t = 0; t < opt.threads; t++) worker_init(&workers[t], t);
    pthread_barrier_init(&start_line, NULL, (unsigned)opt.threads);
    for (int t = 1; t < opt.threads; t++)
        if (pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]) != 0)
            fail("pthread_create failed");
    worker_main(&workers[0]);
    for (int t = 1; t < opt.threads; t++) pthread_join(workers[t].thread, NULL);
    if (opt.mode == BROADCAST) check_all_received(workers);

    for (int t = 0; t < opt.threads; t++) {
        struct worker *w = &workers[t];
        hist_merge(&r->latency, &w->latency);
        hist_merge(&r->connect, &w->connect);
        r->echoed += w->echoed;
        r->closed += w->done;
        if (w->connect_span > r->connect_span) r->connect_span = w->connect_span;
        worker_free(w);
    }
    r->sent = atomic_load(&messages_sent);
    if (opt.mode == IDLE)
        printf("closed %d\n", r->closed);
    else if (opt.mode == BROADCAST)
        report_broadcast(r);
    else
        report_echo(r);
    pthread_barrier_destroy(&start_line);
    free(workers);
    free(r);
    free(pattern);
    return 0;
}
