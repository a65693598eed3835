/*
 * Lab 3, task 3 — the protocol state machine (ws.c), in both roles.
 *
 * ws is sans-I/O, so every test is a byte string: the frames a peer sends,
 * written by this file's own framing (support.c), are fed to ws_feed, and
 * what comes out — the events, the bytes ws writes, the final state — is
 * turned into a transcript such as
 *
 *     events: ping "a" / text "Hello"        sent: pong "a"
 *
 * The bytes ws writes are read back with the test's own parser, which
 * insists that a server's frames are unmasked and a client's masked (then
 * unmasks them), lengths in their shortest form, and a close frame exactly
 * 88 LEN CODE-HI CODE-LO [a UTF-8 reason] — 88 02 03 ea for 1002.
 *
 * Each input is fed whole, one byte per call, and in random pieces; every
 * way must give the same transcript (TCP delivers bytes in whatever pieces
 * it likes). When the connection fails, close events are not compared
 * (whether a peer's bad close is also reported is up to you).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "support.h"
#include "ws.h"

#define HINT_DATA                                                                                  \
    "TUTORIAL §3.3 \"Opcodes and data frames\"; RFC 6455 §5.2, §5.6; ws.h (one WS_EV_TEXT or "  \
    "WS_EV_BINARY per whole message; keep partial headers and payloads between ws_feed calls)"
#define HINT_FRAG                                                                                  \
    "TUTORIAL §3.4 \"Fragmentation\"; RFC 6455 §5.4 (a message: a first frame with its opcode "  \
    "and FIN=0, continuations (opcode 0), the last with FIN=1; control frames may come between)"
#define HINT_CONTROL                                                                               \
    "TUTORIAL §3.5 \"Control frames\"; RFC 6455 §5.5 (payload at most 125 bytes, never "         \
    "fragmented), §5.5.2-§5.5.3 (a pong answers a ping with the same payload; an unsolicited "   \
    "pong needs no answer)"
#define HINT_FAIL_1002                                                                             \
    "TUTORIAL §3.3-§3.5; RFC 6455 §5.2 (RSV bits MUST be 0 without an extension; unknown "      \
    "opcodes: fail the connection), §5.1 (a server closes on an unmasked frame, a client on a "   \
    "masked one), §7.1.7 (fail = send a close, here 1002 (§7.4.1), then WS_FAILED)"
#define HINT_UTF8                                                                                  \
    "TUTORIAL §3.6 \"Text must be UTF-8\"; RFC 6455 §8.1 (invalid UTF-8 in a text message or a " \
    "close reason: fail with 1007), §5.6; feed each fragment's payload to utf8_feed as it "       \
    "arrives, utf8_complete at the last one"
#define HINT_LIMIT                                                                                 \
    "TUTORIAL §3.10 \"Limits\"; RFC 6455 §10.4 (limit what a peer can make you hold), §7.4.1 "  \
    "(1009: a message too big to process); ws.h (max_message: the sum of the fragments; fail "     \
    "as soon as it is exceeded, before allocating past it)"
#define HINT_CLOSE                                                                                 \
    "TUTORIAL §3.7 \"Closing\"; RFC 6455 §5.5.1 (the close payload: nothing, or a 2-byte code "  \
    "then UTF-8), §7.4 (codes that may be sent: 1000-1003, 1007-1014, 3000-4999), §7.1.7; "      \
    "ws.h (answer a close with the same code, or an empty close with an empty one)"

/* ---- recording what ws does ------------------------------------------------------ */

struct rec {
    struct bytes events; /* one line per event */
    struct bytes out;    /* the raw bytes ws wrote */
};

/* FNV-1a, to name long payloads in a transcript. */
static uint32_t fnv(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Appends `kind "payload"` (or a length and checksum for long payloads). */
static void add_item(struct bytes *b, const char *kind, const void *p, size_t n) {
    char line[512];
    if (n <= 48)
        snprintf(line, sizeof line, "%s \"%s\"\n", kind, t_escape(p, n, 48));
    else
        snprintf(line, sizeof line, "%s <%zu bytes, fnv %08x>\n", kind, n, fnv(p, n));
    bytes_put(b, line, strlen(line));
}

static void add_line(struct bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(struct bytes *b, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    bytes_put(b, line, strlen(line));
    bytes_put(b, "\n", 1);
}

static void on_event(void *arg, struct ws *ws, const struct ws_event *ev) {
    struct rec *r = arg;
    (void)ws;
    switch (ev->type) {
    case WS_EV_TEXT:
        add_item(&r->events, "text", ev->data, ev->len);
        break;
    case WS_EV_BINARY:
        add_item(&r->events, "binary", ev->data, ev->len);
        break;
    case WS_EV_PING:
        add_item(&r->events, "ping", ev->data, ev->len);
        break;
    case WS_EV_PONG:
        add_item(&r->events, "pong", ev->data, ev->len);
        break;
    case WS_EV_CLOSE: {
        char kind[32];
        snprintf(kind, sizeof kind, "close %u", ev->code);
        add_item(&r->events, kind, ev->data, ev->len);
        break;
    }
    case WS_EV_FRAME: {
        const struct frame_header *h = ev->frame;
        char hex[2 * WS_INSPECT_BYTES + 1], key[9];
        size_t n = ev->first_len <= WS_INSPECT_BYTES ? ev->first_len : WS_INSPECT_BYTES;
        t_hex(ev->first_bytes, n, hex);
        t_hex(h->mask, 4, key);
        add_line(&r->events, "frame fin=%d rsv=%u opcode=%u masked=%d key=%s length=%llu first=%s",
                 h->fin, h->rsv, h->opcode, h->masked, h->masked ? key : "-",
                 (unsigned long long)h->length, hex);
        if (ev->first_len > WS_INSPECT_BYTES)
            add_line(&r->events, "(first_len %zu is over WS_INSPECT_BYTES)", ev->first_len);
        break;
    }
    default:
        add_line(&r->events, "unknown event type %d", (int)ev->type);
    }
}

static int on_write(void *arg, const void *data, size_t len) {
    struct rec *r = arg;
    bytes_put(&r->out, data, len);
    return 0;
}

/* Turns what ws wrote into lines ("pong \"a\"", "close 1002"), checking each
 * frame as RFC 6455 requires of the role. */
static void sent_lines(enum ws_role role, const struct bytes *out, struct bytes *lines) {
    size_t at = 0;
    while (at < out->len) {
        struct tframe f;
        const char *why = NULL;
        int n = tframe_parse(out->p + at, out->len - at, &f, &why);
        char hex[64];
        t_hex(out->p + at, out->len - at < 14 ? out->len - at : 14, hex);
        if (n < 0) {
            add_line(lines, "BAD FRAME at byte %zu (%s): %s", at, hex, why);
            return;
        }
        if (n == 0 || out->len - at - (size_t)n < f.len) {
            add_line(lines, "INCOMPLETE FRAME at byte %zu: %s", at, hex);
            return;
        }
        if (role == WS_SERVER && f.masked) {
            add_line(lines, "MASKED FRAME (a server never masks, §5.1) at byte %zu: %s", at, hex);
            return;
        }
        if (role == WS_CLIENT && !f.masked) {
            add_line(lines, "UNMASKED FRAME (a client always masks, §5.3) at byte %zu: %s", at,
                     hex);
            return;
        }
        if (f.rsv) add_line(lines, "RSV BITS %u SET (no extension was agreed)", f.rsv);
        unsigned char *p = malloc(f.len + 1);
        memcpy(p, out->p + at + n, f.len);
        if (f.masked) naive_mask(p, f.len, f.key, 0);
        char kind[64];
        snprintf(kind, sizeof kind, "%s%s", f.fin ? "" : "(no FIN) ", opcode_name(f.opcode));
        if (f.opcode == OP_CLOSE && f.len == 0) {
            add_line(lines, "%s", kind);
        } else if (f.opcode == OP_CLOSE && f.len == 1) {
            add_line(lines, "%s with a 1-byte payload %02x", kind, p[0]);
        } else if (f.opcode == OP_CLOSE) {
            add_line(lines, "%s %u", kind, (unsigned)p[0] << 8 | p[1]);
            if (f.len > 125)
                add_line(lines, "(a close of %llu bytes: over 125)", (unsigned long long)f.len);
            if (!naive_utf8(p + 2, f.len - 2))
                add_line(lines, "(its reason \"%s\" is not UTF-8)", t_escape(p + 2, f.len - 2, 80));
        } else {
            add_item(lines, kind, p, f.len);
        }
        free(p);
        at += (size_t)n + f.len;
    }
}

static const char *state_name(enum ws_state s) {
    switch (s) {
    case WS_OPEN:
        return "WS_OPEN";
    case WS_CLOSING:
        return "WS_CLOSING";
    case WS_CLOSED:
        return "WS_CLOSED";
    case WS_FAILED:
        return "WS_FAILED";
    }
    return "(not a state)";
}

/* ---- running ws ---------------------------------------------------------------- */

struct setup {
    enum ws_role role;
    size_t max_message;
    bool report_frames;
};

static const struct setup SERVER = {.role = WS_SERVER};
static const struct setup CLIENT = {.role = WS_CLIENT};

static void start(struct ws *ws, const struct setup *s, struct rec *r) {
    struct ws_config cfg = {.role = s->role,
                            .max_message = s->max_message,
                            .report_frames = s->report_frames,
                            .on_event = on_event,
                            .write = on_write,
                            .arg = r};
    memset(ws, 0, sizeof *ws);
    ws_init(ws, &cfg);
}

/* The transcript of one run: events, sent frames, final state. */
struct transcript {
    char *events, *sent;
    enum ws_state state;
    bool state_mismatch; /* ws_feed's answer differed from ws_state() */
};

static char *as_string(struct bytes *b) {
    bytes_put(b, "", 1);
    return (char *)b->p;
}

/* Feeds input in pieces: chunking 0 = whole, 1 = one byte per call, k > 1 =
 * random sizes from 1 to 2k (seeded by k). */
static struct transcript feed(const struct setup *s, const unsigned char *in, size_t len,
                              int chunking) {
    struct rec r = {0};
    struct ws ws;
    start(&ws, s, &r);
    enum ws_state got = ws_state(&ws);
    bool mismatch = false;
    uint32_t rng = (uint32_t)chunking * 2654435761u;
    size_t at = 0;
    while (at < len) {
        size_t piece = len - at;
        if (chunking == 1) piece = 1;
        if (chunking > 1) {
            rng = rng * 1664525u + 1013904223u;
            size_t limit = (size_t)chunking * 2;
            piece = 1 + (rng >> 8) % limit;
            if (piece > len - at) piece = len - at;
        }
        got = ws_feed(&ws, in + at, piece);
        if (got != ws_state(&ws)) mismatch = true;
        at += piece;
    }
    struct transcript t = {.state = ws_state(&ws)};
    t.state_mismatch = len > 0 && (mismatch || got != t.state);
    struct bytes sent = {0};
    sent_lines(s->role, &r.out, &sent);
    t.events = as_string(&r.events);
    t.sent = as_string(&sent);
    bytes_free(&r.out);
    ws_free(&ws);
    return t;
}

/* Drops "close ..." lines (not compared when the connection fails). */
static void drop_close_events(char *events) {
    char *w = events;
    for (char *line = events; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "close ", 6) != 0) memmove(w, line, n), w += n;
        line += n;
    }
    *w = '\0';
}

static const char *chunking_name(int chunking) {
    static char name[64];
    if (chunking == 0) return "fed in one call";
    if (chunking == 1) return "fed one byte per call";
    snprintf(name, sizeof name, "fed in random pieces of 1-%d bytes", 2 * chunking);
    return name;
}

/* Indents a multi-line transcript part for a failure message. */
static const char *block(const char *text) {
    static char out[2][4096];
    static int which;
    char *o = out[which ^= 1];
    size_t n = 0;
    if (!*text) return "(nothing)";
    for (const char *p = text; *p && n + 16 < sizeof out[0]; p++) {
        o[n++] = *p;
        if (*p == '\n' && p[1]) n += (size_t)snprintf(o + n, sizeof out[0] - n, "               ");
    }
    while (n && o[n - 1] == '\n') n--;
    o[n] = '\0';
    return o;
}

/* Feeds input every way and expects the same transcript each time. */
static void expect_run(const struct setup *s, const struct bytes *in, const char *want_events,
                       const char *want_sent, enum ws_state want_state) {
    static const int chunkings[] = {0, 1, 2, 3, 5, 8, 13, 40, 200};
    for (size_t c = 0; c < sizeof chunkings / sizeof chunkings[0]; c++) {
        if (chunkings[c] == 1 && in->len > 300000) continue; /* slow and no wiser */
        struct transcript t = feed(s, in->p, in->len, chunkings[c]);
        if (want_state == WS_FAILED) drop_close_events(t.events);
        bool ok = !strcmp(t.events, want_events) && !strcmp(t.sent, want_sent) &&
                  t.state == want_state && !t.state_mismatch;
        if (!ok) {
            note_case();
            t_note("%s role, the input (%zu bytes) %s: \"%s\"",
                   s->role == WS_SERVER ? "server" : "client", in->len, chunking_name(chunkings[c]),
                   t_escape(in->p, in->len, 200));
            char got[8192];
            snprintf(got, sizeof got, "events: %s\n        sent: %s\n       state: %s%s",
                     block(t.events), block(t.sent), state_name(t.state),
                     t.state_mismatch ? " (but ws_feed returned a different state)" : "");
            FAILF("expected: events: %s\n        sent: %s\n       state: %s\n     got: %s",
                  block(want_events), block(want_sent), state_name(want_state), got);
        }
        free(t.events);
        free(t.sent);
    }
    set_case("%s", ""); /* a case names one run */
}

/* ---- building inputs ------------------------------------------------------------ */

/* A client's frame (masked, as a server must receive them). */
static void cf(struct bytes *in, unsigned b0, const void *payload, size_t len) {
    static unsigned n;
    unsigned char key[4] = {0x37, 0xfa, 0x21, (unsigned char)(0x3d + n++)};
    put_frame(in, b0, key, payload, len);
}

/* A server's frame (unmasked, as a client must receive them). */
static void sf(struct bytes *in, unsigned b0, const void *payload, size_t len) {
    put_frame(in, b0, NULL, payload, len);
}

/* A frame for the role under test: masked for a server to read. */
static void frame_for(const struct setup *s, struct bytes *in, unsigned b0, const void *payload,
                      size_t len) {
    if (s->role == WS_SERVER)
        cf(in, b0, payload, len);
    else
        sf(in, b0, payload, len);
}

static void close_for(const struct setup *s, struct bytes *in, unsigned code, const char *reason,
                      size_t reason_len) {
    static const unsigned char key[4] = {0x0f, 0x1e, 0x2d, 0x3c};
    put_close(in, s->role == WS_SERVER ? key : NULL, code, reason, reason_len);
}

/* Most rules hold in both roles: such tests loop over these. */
static const struct setup *const BOTH[] = {&SERVER, &CLIENT};

/* ---- data messages ------------------------------------------------------------- */

TEST(text_and_binary, .id = "3.3.1", .points = 3,
     .title = "whole text and binary messages (0, 5, 125, 126, 65535, 65536 bytes) become one "
              "event each, in both roles, whatever the chunking",
     .hint = HINT_DATA) {
    static const size_t sizes[] = {0, 5, 125, 126, 65535, 65536};
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            unsigned char *text = ascii_pattern(sizes[i], (unsigned)i);
            unsigned char *bin = binary_pattern(sizes[i], (unsigned)i);
            struct bytes in = {0}, want = {0};
            frame_for(s, &in, FIN | OP_TEXT, text, sizes[i]);
            frame_for(s, &in, FIN | OP_BINARY, bin, sizes[i]);
            add_item(&want, "text", text, sizes[i]);
            add_item(&want, "binary", bin, sizes[i]);
            expect_run(s, &in, as_string(&want), "", WS_OPEN);
            bytes_free(&in), bytes_free(&want);
            free(text), free(bin);
        }
    }
    /* The RFC's own bytes (§5.7). */
    struct bytes in = {0};
    bytes_put(&in, S("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"));
    expect_run(&SERVER, &in, "text \"Hello\"\n", "", WS_OPEN);
    in.len = 0;
    bytes_put(&in, S("\x81\x05\x48\x65\x6c\x6c\x6f"));
    expect_run(&CLIENT, &in, "text \"Hello\"\n", "", WS_OPEN);
    bytes_free(&in);
}

TEST(fragmented, .id = "3.3.2", .points = 3,
     .title = "fragmented messages (2 fragments, 3 with an empty one, 100, all empty) become one "
              "text or binary event",
     .hint = HINT_FRAG) {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes in = {0}, want = {0};
        frame_for(s, &in, OP_TEXT, "Hel", 3);
        frame_for(s, &in, FIN | OP_CONT, "lo", 2);
        frame_for(s, &in, OP_BINARY, "\x00\x01", 2);
        frame_for(s, &in, OP_CONT, "", 0);
        frame_for(s, &in, FIN | OP_CONT, "\xff", 1);
        frame_for(s, &in, OP_TEXT, "", 0);
        frame_for(s, &in, OP_CONT, "", 0);
        frame_for(s, &in, FIN | OP_CONT, "", 0);
        unsigned char *text = ascii_pattern(1000, 3);
        for (int i = 0; i < 100; i++)
            frame_for(s, &in, (i == 99 ? FIN : 0) | (i ? OP_CONT : OP_TEXT), text + 10 * i, 10);
        add_line(&want, "text \"Hello\"");
        add_line(&want, "binary \"\\x00\\x01\\xff\"");
        add_line(&want, "text \"\"");
        add_item(&want, "text", text, 1000);
        expect_run(s, &in, as_string(&want), "", WS_OPEN);
        bytes_free(&in), bytes_free(&want);
        free(text);
    }
}

TEST(pings_between_fragments, .id = "3.3.3", .points = 3,
     .title = "pings between the fragments of a message are answered at once (pong, same "
              "payload) and the message still arrives whole",
     .hint = HINT_FRAG "; " HINT_CONTROL) {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes in = {0};
        frame_for(s, &in, OP_TEXT, "frag", 4);
        frame_for(s, &in, FIN | OP_PING, "p1", 2);
        frame_for(s, &in, OP_CONT, "ment", 4);
        frame_for(s, &in, FIN | OP_PING, "", 0);
        frame_for(s, &in, FIN | OP_PONG, "unasked", 7);
        frame_for(s, &in, FIN | OP_CONT, "ed", 2);
        expect_run(s, &in, "ping \"p1\"\nping \"\"\npong \"unasked\"\ntext \"fragmented\"\n",
                   "pong \"p1\"\npong \"\"\n", WS_OPEN);
        bytes_free(&in);
    }
}

TEST(ping_pong, .id = "3.3.4", .points = 2,
     .title = "a ping (0, 1, 125 bytes, binary) is answered by a pong with the same payload; an "
              "unsolicited pong is reported and not answered",
     .hint = HINT_CONTROL) {
    unsigned char *big = binary_pattern(125, 7);
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes in = {0}, want = {0}, sent = {0};
        frame_for(s, &in, FIN | OP_PING, "", 0);
        frame_for(s, &in, FIN | OP_PING, "x", 1);
        frame_for(s, &in, FIN | OP_PING, big, 125);
        frame_for(s, &in, FIN | OP_PONG, "no answer", 9);
        frame_for(s, &in, FIN | OP_TEXT, "after", 5);
        add_line(&want, "ping \"\"");
        add_line(&want, "ping \"x\"");
        add_item(&want, "ping", big, 125);
        add_line(&want, "pong \"no answer\"");
        add_line(&want, "text \"after\"");
        add_line(&sent, "pong \"\"");
        add_line(&sent, "pong \"x\"");
        add_item(&sent, "pong", big, 125);
        expect_run(s, &in, as_string(&want), as_string(&sent), WS_OPEN);
        bytes_free(&in), bytes_free(&want), bytes_free(&sent);
    }
    free(big);
}

/* ---- failing with 1002 ------------------------------------------------------------ */

/* A valid text, then `bad` (b0, payload), then another text that must be
 * ignored: the first arrives, then close 1002 and WS_FAILED. */
static void expect_1002_after_text(const struct setup *s, unsigned b0, const void *payload,
                                   size_t len, const char *what) {
    struct bytes in = {0};
    frame_for(s, &in, FIN | OP_TEXT, "before", 6);
    frame_for(s, &in, b0, payload, len);
    frame_for(s, &in, FIN | OP_TEXT, "after", 5);
    frame_for(s, &in, FIN | OP_PING, "ignored", 7);
    set_case("%s (%s role)", what, s->role == WS_SERVER ? "server" : "client");
    expect_run(s, &in, "text \"before\"\n", "close 1002\n", WS_FAILED);
    bytes_free(&in);
}

TEST(control_rules, .id = "3.3.5", .points = 2,
     .title = "a control frame over 125 bytes or without FIN (ping, pong, close) fails the "
              "connection with 1002",
     .hint = HINT_CONTROL "; " HINT_FAIL_1002) {
    unsigned char *p = binary_pattern(126, 1);
    unsigned char close126[126];
    memcpy(close126, "\x03\xe8", 2);
    memset(close126 + 2, 'r', 124);
    for (size_t r = 0; r < 2; r++) {
        expect_1002_after_text(BOTH[r], FIN | OP_PING, p, 126, "a ping of 126 bytes");
        expect_1002_after_text(BOTH[r], FIN | OP_PONG, p, 126, "a pong of 126 bytes");
        expect_1002_after_text(BOTH[r], FIN | OP_CLOSE, close126, 126,
                               "a close of 126 bytes (code 1000 and a 124-byte reason)");
        expect_1002_after_text(BOTH[r], OP_PING, "a", 1, "a ping without FIN");
        expect_1002_after_text(BOTH[r], OP_PONG, "a", 1, "a pong without FIN");
        expect_1002_after_text(BOTH[r], OP_CLOSE, "\x03\xe8", 2, "a close without FIN");
    }
    free(p);
}

TEST(reserved_opcodes, .id = "3.3.6", .points = 2,
     .title = "the reserved opcodes 3-7 and B-F fail the connection with 1002",
     .hint = HINT_FAIL_1002) {
    static const unsigned opcodes[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++) {
            char what[64];
            snprintf(what, sizeof what, "a frame with opcode %X", opcodes[i]);
            expect_1002_after_text(BOTH[r], FIN | opcodes[i], "data", 4, what);
            expect_1002_after_text(BOTH[r], FIN | opcodes[i], "", 0, what);
        }
}

TEST(rsv_bits, .id = "3.3.7", .points = 2,
     .title = "RSV1, RSV2 or RSV3 set (no extension agreed) on a text, binary, continuation, ping "
              "or close frame fails the connection with 1002",
     .hint = HINT_FAIL_1002) {
    static const unsigned rsv[] = {RSV1, RSV2, RSV3, RSV1 | RSV2 | RSV3};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < 4; i++) {
            char what[64];
            snprintf(what, sizeof what, "RSV bits %x", rsv[i] >> 4);
            expect_1002_after_text(BOTH[r], FIN | rsv[i] | OP_TEXT, "x", 1, what);
            expect_1002_after_text(BOTH[r], FIN | rsv[i] | OP_BINARY, "x", 1, what);
            expect_1002_after_text(BOTH[r], FIN | rsv[i] | OP_PING, "x", 1, what);
            expect_1002_after_text(BOTH[r], FIN | rsv[i] | OP_CLOSE, "\x03\xe8", 2, what);
            struct bytes in = {0};
            frame_for(BOTH[r], &in, OP_TEXT, "a", 1);
            frame_for(BOTH[r], &in, FIN | rsv[i] | OP_CONT, "b", 1);
            set_case("%s on a continuation", what);
            expect_run(BOTH[r], &in, "", "close 1002\n", WS_FAILED);
            bytes_free(&in);
        }
}

TEST(masking_rules, .id = "3.3.8", .points = 3,
     .title = "server role: an unmasked client frame fails with 1002; client role: a masked "
              "server frame fails with 1002",
     .hint = HINT_FAIL_1002 " — check the MASK bit before anything else in the frame") {
    static const unsigned b0s[] = {FIN | OP_TEXT, FIN | OP_BINARY, FIN | OP_PING, OP_TEXT};
    for (size_t i = 0; i < 4; i++) {
        struct bytes in = {0};
        cf(&in, FIN | OP_TEXT, "ok", 2);
        sf(&in, b0s[i], "unmasked", 8);
        set_case("server role, an unmasked %s frame", opcode_name(b0s[i] & 15));
        expect_run(&SERVER, &in, "text \"ok\"\n", "close 1002\n", WS_FAILED);
        in.len = 0;
        sf(&in, FIN | OP_TEXT, "ok", 2);
        cf(&in, b0s[i], "masked", 6);
        set_case("client role, a masked %s frame", opcode_name(b0s[i] & 15));
        expect_run(&CLIENT, &in, "text \"ok\"\n", "close 1002\n", WS_FAILED);
        bytes_free(&in);
    }
    /* An unmasked close from a client is no better. */
    struct bytes in = {0};
    put_close(&in, NULL, 1000, NULL, 0);
    expect_run(&SERVER, &in, "", "close 1002\n", WS_FAILED);
    bytes_free(&in);
}

TEST(fragment_order, .id = "3.3.9", .points = 3,
     .title = "a continuation without a message started, or a new text/binary inside a "
              "fragmented message, fails with 1002",
     .hint = HINT_FRAG "; RFC 6455 §5.4 (fragments of one message are not interleaved with "
                       "another's), §7.1.7; " HINT_FAIL_1002) {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        expect_1002_after_text(s, FIN | OP_CONT, "orphan", 6, "a continuation (FIN) alone");
        expect_1002_after_text(s, OP_CONT, "orphan", 6, "a continuation (no FIN) alone");
        static const unsigned firsts[] = {OP_TEXT, OP_BINARY};
        static const unsigned seconds[] = {FIN | OP_TEXT, OP_TEXT, FIN | OP_BINARY, OP_BINARY};
        for (size_t a = 0; a < 2; a++)
            for (size_t b = 0; b < 4; b++) {
                struct bytes in = {0};
                frame_for(s, &in, firsts[a], "one", 3);
                frame_for(s, &in, seconds[b], "two", 3);
                frame_for(s, &in, FIN | OP_CONT, "end", 3);
                set_case("a %s message started, then a %s frame%s", opcode_name(firsts[a]),
                         opcode_name(seconds[b] & 15), seconds[b] & FIN ? " with FIN" : "");
                expect_run(s, &in, "", "close 1002\n", WS_FAILED);
                bytes_free(&in);
            }
        /* A whole message, then a continuation: nothing is in progress. */
        struct bytes in = {0};
        frame_for(s, &in, OP_TEXT, "a", 1);
        frame_for(s, &in, FIN | OP_CONT, "b", 1);
        frame_for(s, &in, FIN | OP_CONT, "c", 1);
        expect_run(s, &in, "text \"ab\"\n", "close 1002\n", WS_FAILED);
        bytes_free(&in);
    }
}

TEST(non_minimal_length, .id = "3.3.10", .points = 1,
     .title = "a length not in its shortest form, or a 64-bit length with the top bit set, fails "
              "with 1002",
     .hint = "TUTORIAL §3.1; RFC 6455 §5.2 (the minimal number of bytes MUST be used); frame.h "
             "(FRAME_BAD); " HINT_FAIL_1002) {
    static const char *const heads[] = {
        "\x81\xfe\x00\x05", "\x81\xff\x00\x00\x00\x00\x00\x00\x00\x05",
        "\x82\xff\x00\x00\x00\x00\x00\x00\xff\xff", "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x05"};
    static const size_t lens[] = {4, 10, 10, 10};
    for (size_t i = 0; i < 4; i++) {
        struct bytes in = {0};
        cf(&in, FIN | OP_TEXT, "ok", 2);
        bytes_put(&in, heads[i], lens[i]);
        bytes_put(&in, "\x01\x02\x03\x04hello", 9);
        set_case("the header \"%s\" + a key", t_escape(heads[i], lens[i], 40));
        expect_run(&SERVER, &in, "text \"ok\"\n", "close 1002\n", WS_FAILED);
        bytes_free(&in);
    }
}

/* ---- UTF-8 -------------------------------------------------------------------- */

TEST(invalid_utf8, .id = "3.3.11", .points = 3,
     .title = "invalid UTF-8 in a text message fails with 1007 (one frame, in a later fragment, "
              "a character cut at the end of the last fragment); valid characters cut between "
              "fragments are fine",
     .hint = HINT_UTF8) {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        static const char *const bad[] = {"\xc0\x80", "abc\xed\xa0\x80", "\xf4\x90\x80\x80",
                                          "\xff",     "ok\x80",          "\xe2\x82"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct bytes in = {0};
            frame_for(s, &in, FIN | OP_TEXT, "fine", 4);
            frame_for(s, &in, FIN | OP_TEXT, bad[i], strlen(bad[i]));
            set_case("a text message \"%s\"", t_escape(bad[i], strlen(bad[i]), 40));
            expect_run(s, &in, "text \"fine\"\n", "close 1007\n", WS_FAILED);
            in.len = 0;
            frame_for(s, &in, OP_TEXT, "fine ", 5);
            frame_for(s, &in, FIN | OP_CONT, bad[i], strlen(bad[i]));
            set_case("\"fine \" then the fragment \"%s\"", t_escape(bad[i], strlen(bad[i]), 40));
            expect_run(s, &in, "", "close 1007\n", WS_FAILED);
            bytes_free(&in);
        }
        /* Binary messages are not UTF-8 and need not be. */
        struct bytes in = {0};
        frame_for(s, &in, FIN | OP_BINARY, "\xc0\x80\xff", 3);
        /* Euro sign and a 4-byte character cut at every place between fragments. */
        frame_for(s, &in, OP_TEXT, "\xe2", 1);
        frame_for(s, &in, OP_CONT, "\x82", 1);
        frame_for(s, &in, OP_CONT, "\xac\xf0\x9f", 3);
        frame_for(s, &in, FIN | OP_CONT, "\x98\x80", 2);
        expect_run(s, &in,
                   "binary \"\\xc0\\x80\\xff\"\ntext \"\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80\"\n", "",
                   WS_OPEN);
        bytes_free(&in);
    }
}

/* Feeds the pieces one call each and expects the state after each. */
static void expect_states(const struct setup *s, const struct bytes *pieces, size_t n,
                          const enum ws_state *states, const char *want_sent, const char *what) {
    struct rec r = {0};
    struct ws ws;
    start(&ws, s, &r);
    for (size_t i = 0; i < n; i++) {
        enum ws_state got = ws_feed(&ws, pieces[i].p, pieces[i].len);
        if (got != states[i]) {
            t_note("%s; piece %zu of %zu: \"%s\"", what, i + 1, n,
                   t_escape(pieces[i].p, pieces[i].len, 80));
            FAILF("expected: ws_feed to return %s after this piece\n     got: %s",
                  state_name(states[i]), state_name(got));
        }
    }
    struct bytes sent = {0};
    sent_lines(s->role, &r.out, &sent);
    if (strcmp(as_string(&sent), want_sent) != 0) {
        t_note("%s", what);
        FAILF("expected: sent: %s\n     got: sent: %s", block(want_sent), block((char *)sent.p));
    }
    bytes_free(&sent), bytes_free(&r.out), bytes_free(&r.events);
    ws_free(&ws);
}

TEST(utf8_fail_fast, .id = "3.3.12", .points = 3,
     .title = "fail fast: an invalid first fragment, or invalid bytes in the first part of a "
              "frame, fail with 1007 before the rest of the message arrives",
     .hint = HINT_UTF8 " — validate each piece of payload as it arrives (unmasked), not when the "
                       "frame or message is complete") {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes p[3] = {{0}};
        /* An invalid first fragment; the rest never comes. */
        frame_for(s, &p[0], OP_TEXT, "ok so far", 9);
        frame_for(s, &p[1], OP_CONT, "then \xc0 bad", 11);
        frame_for(s, &p[2], FIN | OP_CONT, "end", 3);
        expect_states(s, p, 3, (enum ws_state[]){WS_OPEN, WS_FAILED, WS_FAILED}, "close 1007\n",
                      "a valid fragment, then an invalid fragment (no FIN)");
        for (int i = 0; i < 3; i++) bytes_free(&p[i]);
        /* One frame of 200 bytes whose byte 10 is impossible: fed in three
         * parts, it fails with the part holding byte 10. */
        unsigned char *payload = ascii_pattern(200, 1);
        payload[10] = 0xF5;
        struct bytes whole = {0};
        frame_for(s, &whole, FIN | OP_TEXT, payload, 200);
        size_t head = whole.len - 200;
        bytes_put(&p[0], whole.p, head + 5);
        bytes_put(&p[1], whole.p + head + 5, 50);
        bytes_put(&p[2], whole.p + head + 55, whole.len - head - 55);
        expect_states(s, p, 3, (enum ws_state[]){WS_OPEN, WS_FAILED, WS_FAILED}, "close 1007\n",
                      "a 200-byte text frame with F5 at byte 10, fed in three parts");
        for (int i = 0; i < 3; i++) bytes_free(&p[i]);
        bytes_free(&whole);
        free(payload);
    }
}

/* ---- limits ------------------------------------------------------------------- */

TEST(max_message, .id = "3.3.13", .points = 3,
     .title = "with max_message 100: 100 bytes pass; 101 in one frame or in fragments fail with "
              "1009, as soon as the total passes 100",
     .hint = HINT_LIMIT) {
    const struct setup small[2] = {{.role = WS_SERVER, .max_message = 100},
                                   {.role = WS_CLIENT, .max_message = 100}};
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = &small[r];
        unsigned char *text = ascii_pattern(200, 5);
        struct bytes in = {0}, want = {0};
        frame_for(s, &in, FIN | OP_TEXT, text, 100);
        frame_for(s, &in, OP_BINARY, text, 60);
        frame_for(s, &in, FIN | OP_PING, text, 100); /* control frames do not count */
        frame_for(s, &in, FIN | OP_CONT, text + 60, 40);
        add_item(&want, "text", text, 100);
        add_item(&want, "ping", text, 100);
        add_item(&want, "binary", text, 100);
        struct bytes sent = {0};
        add_item(&sent, "pong", text, 100);
        expect_run(s, &in, as_string(&want), as_string(&sent), WS_OPEN);
        in.len = 0;
        frame_for(s, &in, FIN | OP_TEXT, text, 101);
        set_case("a text frame of 101 bytes");
        expect_run(s, &in, "", "close 1009\n", WS_FAILED);
        in.len = 0;
        frame_for(s, &in, OP_BINARY, text, 60);
        frame_for(s, &in, OP_CONT, text, 0);
        frame_for(s, &in, FIN | OP_CONT, text, 41);
        set_case("binary fragments of 60, 0 and 41 bytes");
        expect_run(s, &in, "", "close 1009\n", WS_FAILED);
        /* Not waiting for the rest: a frame announcing 1000 bytes fails
         * once 101 of them are in. */
        struct bytes whole = {0}, p[1] = {{0}};
        unsigned char *big = ascii_pattern(1000, 1);
        frame_for(s, &whole, FIN | OP_BINARY, big, 1000);
        free(big);
        bytes_put(&p[0], whole.p, whole.len - 1000 + 101);
        expect_states(s, p, 1, (enum ws_state[]){WS_FAILED}, "close 1009\n",
                      "the header of a 1000-byte binary frame and its first 101 bytes");
        bytes_free(&in), bytes_free(&want), bytes_free(&sent), bytes_free(&whole),
            bytes_free(&p[0]);
        free(text);
    }
}

TEST(default_limit, .id = "3.3.14", .points = 2, .timeout = 30,
     .title = "with the default limit (max_message 0): a 16 MiB message passes; 16 MiB + 1 in "
              "fragments fails with 1009",
     .hint = HINT_LIMIT " (0 means WS_DEFAULT_MAX_MESSAGE, 16 MiB)") {
    size_t n = 16u << 20;
    unsigned char *data = binary_pattern(n + 1, 9);
    struct bytes in = {0}, want = {0};
    cf(&in, FIN | OP_BINARY, data, n);
    add_item(&want, "binary", data, n);
    struct transcript t = feed(&SERVER, in.p, in.len, 0);
    CHECK_STR(t.events, as_string(&want));
    CHECK_STR(t.sent, "");
    CHECK_INT(t.state, WS_OPEN);
    in.len = 0;
    cf(&in, OP_BINARY, data, n / 2);
    cf(&in, OP_CONT, data + n / 2, n / 2);
    cf(&in, FIN | OP_CONT, data + n, 1);
    t = feed(&SERVER, in.p, in.len, 0);
    drop_close_events(t.events);
    CHECK_STR(t.events, "");
    CHECK_STR(t.sent, "close 1009\n");
    CHECK_INT(t.state, WS_FAILED);
    bytes_free(&in), bytes_free(&want);
    free(data);
}

/* ---- closing ------------------------------------------------------------------ */

TEST(close_valid_codes, .id = "3.3.15", .points = 3,
     .title = "a close with each valid code (1000-1003, 1007-1014, 3000, 3999, 4000, 4999) is "
              "reported and answered with the same code; then WS_CLOSED",
     .hint = HINT_CLOSE) {
    static const unsigned codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                     1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            struct bytes in = {0}, want = {0}, sent = {0};
            close_for(BOTH[r], &in, codes[i], i % 2 ? "bye \xc3\xa9" : "", i % 2 ? 6 : 0);
            add_line(&want, "close %u \"%s\"", codes[i], i % 2 ? "bye \\xc3\\xa9" : "");
            add_line(&sent, "close %u", codes[i]);
            expect_run(BOTH[r], &in, as_string(&want), as_string(&sent), WS_CLOSED);
            bytes_free(&in), bytes_free(&want), bytes_free(&sent);
        }
}

TEST(close_empty, .id = "3.3.16", .points = 2,
     .title = "an empty close is reported as 1005 and answered with an empty close (88 00 from "
              "a server); a close with a 123-byte reason is fine",
     .hint = HINT_CLOSE " (1005: no code was given; it is never sent)") {
    for (size_t r = 0; r < 2; r++) {
        struct bytes in = {0};
        close_for(BOTH[r], &in, 0, NULL, 0);
        expect_run(BOTH[r], &in, "close 1005 \"\"\n", "close\n", WS_CLOSED);
        bytes_free(&in);
    }
    /* The server's answer byte for byte. */
    struct rec rec = {0};
    struct ws ws;
    start(&ws, &SERVER, &rec);
    CHECK_INT(ws_feed(&ws, "\x88\x80\x01\x02\x03\x04", 6), WS_CLOSED);
    CHECK_MEM(rec.out.p, rec.out.len, "\x88\x00", 2);
    ws_free(&ws);
    bytes_free(&rec.out), bytes_free(&rec.events);
    /* A reason of 123 bytes fills a control frame exactly. */
    unsigned char *reason = ascii_pattern(123, 2);
    struct bytes in = {0}, want = {0};
    close_for(&SERVER, &in, 4321, (char *)reason, 123);
    add_item(&want, "close 4321", reason, 123);
    expect_run(&SERVER, &in, as_string(&want), "close 4321\n", WS_CLOSED);
    bytes_free(&in), bytes_free(&want);
    free(reason);
}

TEST(close_invalid, .id = "3.3.17", .points = 3,
     .title = "a close with a 1-byte payload or a code that may not be sent (0, 999, 1004, 1005, "
              "1006, 1015, 1016, 2999, 5000, 65535) fails with 1002; an invalid UTF-8 reason "
              "with 1007",
     .hint = HINT_CLOSE) {
    static const unsigned codes[] = {0,    999,  1004, 1005, 1006, 1015,
                                     1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes in = {0};
        frame_for(s, &in, FIN | OP_CLOSE, "\x03", 1);
        set_case("a close with the 1-byte payload 03");
        expect_run(s, &in, "", "close 1002\n", WS_FAILED);
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            in.len = 0;
            unsigned char payload[2] = {(unsigned char)(codes[i] >> 8), (unsigned char)codes[i]};
            frame_for(s, &in, FIN | OP_CLOSE, payload, 2);
            set_case("a close with code %u", codes[i]);
            expect_run(s, &in, "", "close 1002\n", WS_FAILED);
        }
        static const char *const reasons[] = {"\xc0\x80", "ok \xed\xa0\x80", "\xe2\x82", "\xff"};
        for (size_t i = 0; i < 4; i++) {
            in.len = 0;
            close_for(s, &in, 1000, reasons[i], strlen(reasons[i]));
            set_case("a close 1000 with the reason \"%s\"",
                     t_escape(reasons[i], strlen(reasons[i]), 20));
            expect_run(s, &in, "", "close 1007\n", WS_FAILED);
        }
        bytes_free(&in);
    }
}

TEST(closing_handshake, .id = "3.3.18", .points = 3,
     .title = "ws_close sends the close (88 05 03 e8 \"bye\" from a server) and moves to "
              "WS_CLOSING; the peer's close then gives WS_CLOSED without another close",
     .hint = HINT_CLOSE "; RFC 6455 §7.1.2-§7.1.3; ws.h (OPEN → CLOSING → CLOSED)") {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct rec rec = {0};
        struct ws ws;
        start(&ws, s, &rec);
        CHECK_INT(ws_close(&ws, 1000, "bye", 3), 0);
        CHECK_INT(ws_state(&ws), WS_CLOSING);
        if (s->role == WS_SERVER) {
            CHECK_MEM(rec.out.p, rec.out.len,
                      "\x88\x05\x03\xe8"
                      "bye",
                      7);
        } else {
            /* Masked with a fresh key: 88 85 KEY, then the payload masked. */
            CHECK_INT(rec.out.len, 11);
            CHECK_INT(rec.out.p[0], 0x88);
            CHECK_INT(rec.out.p[1], 0x85);
            naive_mask(rec.out.p + 6, 5, rec.out.p + 2, 0);
            CHECK_MEM(rec.out.p + 6, 5,
                      "\x03\xe8"
                      "bye",
                      5);
        }
        CHECK_INT(ws_close(&ws, 1000, NULL, 0), -1); /* only one close */
        size_t sent_before = rec.out.len;
        struct bytes in = {0};
        close_for(s, &in, 1000, "ok", 2);
        CHECK_INT(ws_feed(&ws, in.p, in.len), WS_CLOSED);
        CHECK_INT(rec.out.len, sent_before); /* no second close */
        CHECK_STR(as_string(&rec.events), "close 1000 \"ok\"\n");
        bytes_free(&in), bytes_free(&rec.out), bytes_free(&rec.events);
        ws_free(&ws);
    }
}

TEST(after_close, .id = "3.3.19", .points = 2,
     .title = "frames after the peer's close are ignored; after our close, data frames are "
              "ignored but the peer's close is still found",
     .hint = HINT_CLOSE "; ws.h (in WS_CLOSED or WS_FAILED the rest is ignored; after sending a "
                        "close, data frames are ignored but still parsed)") {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes in = {0};
        frame_for(s, &in, FIN | OP_TEXT, "before", 6);
        close_for(s, &in, 1001, NULL, 0);
        frame_for(s, &in, FIN | OP_TEXT, "after", 5);
        frame_for(s, &in, FIN | OP_PING, "after", 5);
        close_for(s, &in, 1000, NULL, 0);
        expect_run(s, &in, "text \"before\"\nclose 1001 \"\"\n", "close 1001\n", WS_CLOSED);

        struct rec rec = {0};
        struct ws ws;
        start(&ws, s, &rec);
        CHECK_INT(ws_close(&ws, 1001, NULL, 0), 0);
        rec.out.len = 0;
        in.len = 0;
        frame_for(s, &in, FIN | OP_TEXT, "late", 4);
        frame_for(s, &in, OP_BINARY, "la", 2);
        frame_for(s, &in, FIN | OP_CONT, "te", 2);
        close_for(s, &in, 1001, NULL, 0);
        CHECK_INT(ws_feed(&ws, in.p, in.len), WS_CLOSED);
        CHECK_STR(as_string(&rec.events), "close 1001 \"\"\n");
        CHECK_INT(rec.out.len, 0);
        bytes_free(&in), bytes_free(&rec.out), bytes_free(&rec.events);
        ws_free(&ws);
    }
}

/* ---- sending ------------------------------------------------------------------ */

TEST(send_server, .id = "3.3.20", .points = 2,
     .title = "ws_send in the server role writes unmasked frames byte for byte (81 05 \"Hello\", "
              "82 7E 01 00 …, 82 7F … for 64 KiB); ws_send_frame writes fragments as asked",
     .hint = "TUTORIAL §3.3; RFC 6455 §5.2, §5.7 (the examples), §5.1 (a server never masks); "
             "ws.h (ws_send, ws_send_frame)") {
    struct rec rec = {0};
    struct ws ws;
    start(&ws, &SERVER, &rec);
    CHECK_INT(ws_send(&ws, WS_OP_TEXT, "Hello", 5), 0);
    CHECK_MEM(rec.out.p, rec.out.len, "\x81\x05Hello", 7);
    rec.out.len = 0;
    unsigned char *bin = binary_pattern(65536, 4);
    struct bytes want = {0};
    put_frame(&want, FIN | OP_BINARY, NULL, bin, 256);
    put_frame(&want, FIN | OP_BINARY, NULL, bin, 65536);
    put_frame(&want, FIN | OP_PING, NULL, "p", 1);
    put_frame(&want, FIN | OP_PONG, NULL, "", 0);
    CHECK_INT(ws_send(&ws, WS_OP_BINARY, bin, 256), 0);
    CHECK_INT(ws_send(&ws, WS_OP_BINARY, bin, 65536), 0);
    CHECK_INT(ws_send(&ws, WS_OP_PING, "p", 1), 0);
    CHECK_INT(ws_send(&ws, WS_OP_PONG, "", 0), 0);
    CHECK_MEM(rec.out.p, rec.out.len, want.p, want.len);
    rec.out.len = 0;
    CHECK_INT(ws_send_frame(&ws, false, WS_OP_TEXT, "Hel", 3), 0);
    CHECK_INT(ws_send_frame(&ws, true, WS_OP_CONTINUATION, "lo", 2), 0);
    CHECK_MEM(rec.out.p, rec.out.len, "\x01\x03Hel\x80\x02lo", 9);
    rec.out.len = 0;
    t_note("a ping of 126 bytes is not allowed: -1 and nothing sent");
    CHECK_INT(ws_send(&ws, WS_OP_PING, bin, 126), -1);
    CHECK_INT(rec.out.len, 0);
    t_note("after ws_close, nothing more may be sent");
    CHECK_INT(ws_close(&ws, 1000, NULL, 0), 0);
    rec.out.len = 0;
    CHECK_INT(ws_send(&ws, WS_OP_TEXT, "late", 4), -1);
    CHECK_INT(rec.out.len, 0);
    ws_free(&ws);
    bytes_free(&rec.out), bytes_free(&rec.events), bytes_free(&want);
    free(bin);
}

TEST(send_client, .id = "3.3.21", .points = 3,
     .title = "ws_send in the client role writes masked frames, each with a fresh key, that "
              "unmask to the data",
     .hint = "TUTORIAL §3.2 \"Masking\"; RFC 6455 §5.3 (a client masks every frame with a new "
             "unpredictable key), §10.3; frame_random_mask") {
    struct rec rec = {0};
    struct ws ws;
    start(&ws, &CLIENT, &rec);
    unsigned char *bin = binary_pattern(70000, 8);
    CHECK_INT(ws_send(&ws, WS_OP_TEXT, "Hello", 5), 0);
    CHECK_INT(ws_send(&ws, WS_OP_TEXT, "Hello", 5), 0);
    CHECK_INT(ws_send(&ws, WS_OP_BINARY, bin, 70000), 0);
    CHECK_INT(ws_send(&ws, WS_OP_PING, "ping", 4), 0);
    CHECK_INT(ws_send_frame(&ws, false, WS_OP_BINARY, bin, 300), 0);
    CHECK_INT(ws_send_frame(&ws, true, WS_OP_CONTINUATION, bin + 300, 1), 0);
    struct bytes lines = {0}, want = {0};
    sent_lines(WS_CLIENT, &rec.out, &lines);
    add_line(&want, "text \"Hello\"");
    add_line(&want, "text \"Hello\"");
    add_item(&want, "binary", bin, 70000);
    add_line(&want, "ping \"ping\"");
    add_item(&want, "(no FIN) binary", bin, 300);
    add_item(&want, "continuation", bin + 300, 1);
    CHECK_STR(as_string(&lines), as_string(&want));
    /* The two "Hello" frames: 81 85 KEY PAYLOAD each, with different keys. */
    CHECK_INT(rec.out.p[0], 0x81);
    CHECK_INT(rec.out.p[1], 0x85);
    if (memcmp(rec.out.p + 2, rec.out.p + 13, 4) == 0)
        FAILF(
            "expected: a fresh masking key for each frame\n     got: the same key %02x%02x%02x%02x "
            "twice",
            rec.out.p[2], rec.out.p[3], rec.out.p[4], rec.out.p[5]);
    ws_free(&ws);
    bytes_free(&rec.out), bytes_free(&rec.events), bytes_free(&lines), bytes_free(&want);
    free(bin);
}

TEST(close_code_valid, .id = "3.3.22", .points = 1,
     .title = "ws_close_code_valid for every code 0-65535 (valid: 1000-1003, 1007-1014, "
              "3000-4999); ws_close refuses an invalid code and sends nothing",
     .hint = "TUTORIAL §3.7; RFC 6455 §7.4.1-§7.4.2; the IANA registry of close codes (1012-1014 "
             "were added after the RFC)") {
    for (unsigned code = 0; code <= 65535; code++) {
        bool want = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                    (code >= 3000 && code <= 4999);
        set_case("code %u", code);
        CASE_INT(ws_close_code_valid((uint16_t)code), want);
    }
    static const unsigned bad[] = {999, 1005, 1006, 1015, 2999, 5000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rec rec = {0};
        struct ws ws;
        start(&ws, &SERVER, &rec);
        set_case("ws_close with code %u", bad[i]);
        CASE_INT(ws_close(&ws, (uint16_t)bad[i], NULL, 0), -1);
        CASE_INT(rec.out.len, 0);
        CASE_INT(ws_state(&ws), WS_OPEN);
        /* Code 0 means an empty close. */
        CASE_INT(ws_close(&ws, 0, NULL, 0), 0);
        CASE_MEM(rec.out.p, rec.out.len, "\x88\x00", 2);
        ws_free(&ws);
        bytes_free(&rec.out), bytes_free(&rec.events);
    }
}

/* ---- /inspect's events -------------------------------------------------------- */

TEST(report_frames, .id = "3.3.23", .points = 2,
     .title = "with report_frames, each frame (data and control) is reported with its header "
              "and its first 16 payload bytes still masked, before the message it completes",
     .hint = "ws.h (WS_EV_FRAME: frame, first_bytes, first_len ≤ WS_INSPECT_BYTES); TUTORIAL "
             "§3.8 (/inspect)") {
    const struct setup s = {.role = WS_SERVER, .report_frames = true};
    struct bytes in = {0};
    bytes_put(&in, S("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")); /* RFC 6455 §5.7 */
    unsigned char key[4] = {0x01, 0x02, 0x03, 0x04};
    put_frame(&in, OP_BINARY, key, "0123456789abcdefghij", 20);
    put_frame(&in, FIN | OP_PING, key, "", 0);
    put_frame(&in, FIN | OP_CONT, key, "!", 1);
    expect_run(&s, &in,
               "frame fin=1 rsv=0 opcode=1 masked=1 key=37fa213d length=5 first=7f9f4d5158\n"
               "text \"Hello\"\n"
               "frame fin=0 rsv=0 opcode=2 masked=1 key=01020304 length=20 "
               "first=3133313735373533393b626662666662\n"
               "frame fin=1 rsv=0 opcode=9 masked=1 key=01020304 length=0 first=\n"
               "ping \"\"\n"
               "frame fin=1 rsv=0 opcode=0 masked=1 key=01020304 length=1 first=20\n"
               "binary \"0123456789abcdefghij!\"\n",
               "pong \"\"\n", WS_OPEN);
    bytes_free(&in);
}

/* ---- chunking, at length ---------------------------------------------------------- */

TEST(chunking, .id = "3.3.24", .points = 3, .timeout = 20,
     .title = "a long conversation (60 frames: data of every length form, fragments, pings, "
              "pongs, a close) gives the same events and answers however it is chunked",
     .hint = HINT_DATA "; keep everything between ws_feed calls: a header cut anywhere (even "
                       "inside the 64-bit length or the key), a payload cut at any byte") {
    for (size_t r = 0; r < 2; r++) {
        const struct setup *s = BOTH[r];
        struct bytes in = {0}, want = {0}, sent = {0};
        uint32_t rng = 77;
        for (int i = 0; i < 60; i++) {
            rng = rng * 1664525u + 1013904223u;
            size_t len = (rng >> 8) % 7 == 0 ? 65536 + (rng >> 20) % 300 : (rng >> 12) % 300;
            unsigned char *text = ascii_pattern(len, (unsigned)i);
            switch (i % 6) {
            case 0:
                frame_for(s, &in, FIN | OP_TEXT, text, len);
                add_item(&want, "text", text, len);
                break;
            case 1:
                frame_for(s, &in, FIN | OP_BINARY, text, len);
                add_item(&want, "binary", text, len);
                break;
            case 2:
                frame_for(s, &in, OP_TEXT, text, len / 2);
                frame_for(s, &in, FIN | OP_PING, text, len % 126);
                frame_for(s, &in, FIN | OP_CONT, text + len / 2, len - len / 2);
                add_item(&want, "ping", text, len % 126);
                add_item(&want, "text", text, len);
                add_item(&sent, "pong", text, len % 126);
                break;
            case 3:
                frame_for(s, &in, FIN | OP_PONG, text, len % 126);
                add_item(&want, "pong", text, len % 126);
                break;
            case 4:
                frame_for(s, &in, OP_BINARY, text, len / 3);
                frame_for(s, &in, OP_CONT, text + len / 3, len / 3);
                frame_for(s, &in, FIN | OP_CONT, text + 2 * (len / 3), len - 2 * (len / 3));
                add_item(&want, "binary", text, len);
                break;
            default:
                frame_for(s, &in, FIN | OP_PING, text, len % 126);
                add_item(&want, "ping", text, len % 126);
                add_item(&sent, "pong", text, len % 126);
            }
            free(text);
        }
        close_for(s, &in, 1000, "done", 4);
        add_line(&want, "close 1000 \"done\"");
        add_line(&sent, "close 1000");
        expect_run(s, &in, as_string(&want), as_string(&sent), WS_CLOSED);
        bytes_free(&in), bytes_free(&want), bytes_free(&sent);
    }
}
