/*
 * fuzz_ws — libFuzzer target for the WebSocket state machine, in both roles.
 *
 * lab: 03-framing
 *
 * The first input byte sets up the run; the rest is what the peer sends:
 *
 *   bit 0      role: 0 = server (the input is a client's frames), 1 = client
 *   bit 1      cfg.report_frames (a WS_EV_FRAME for every frame)
 *   bit 2      start with ws_close(1000) (so the input meets WS_CLOSING)
 *   bits 3..7  the piece size for the second feeding, 1..32 bytes
 *
 * max_message is 256, so a message over the limit (1009) is within reach.
 * Like the echo program, the target answers every message with ws_send of
 * the same opcode and bytes. The input is fed twice, to two fresh machines:
 * all at once, and in pieces. Promises checked (ws.h, RFC 6455):
 *
 *   - both feedings give the same events, in the same order, with the same
 *     contents, and the same final state ("everything happens at a place in
 *     the byte stream, never at a call boundary"); a server writes the same
 *     bytes both times; a client the same frames (its masks are random);
 *   - every written byte belongs to a whole frame that frame_parse accepts:
 *     masked exactly in the client role, no RSV bits, a known opcode,
 *     control frames with FIN and at most 125 bytes; at most one close;
 *   - events keep their bounds: text is valid UTF-8, messages at most
 *     max_message, ping/pong payloads at most 125 bytes, a close code is a
 *     valid one or 1005 (then no reason), a reason at most 123 bytes of
 *     UTF-8; a reported frame (WS_EV_FRAME) obeys the header rules: masked
 *     exactly when it comes from a client, no RSV bits, a known opcode,
 *     control frames whole and short; a message is made of the reported
 *     frames since its first, the last one with FIN (same opcode, same
 *     total length); no event after CLOSED or FAILED;
 *   - ws_send succeeds while OPEN and refuses (writing nothing) otherwise;
 *   - a machine that failed on its own wrote its close with 1002, 1007 or
 *     1009; one closed by the peer answered with the peer's code;
 *   - nothing crashes or leaks (AddressSanitizer, LeakSanitizer).
 *
 * Any broken promise calls abort(), which libFuzzer reports as a crash and
 * saves the input. Seeds: corpus/ws/. Build: see tests/fuzz/README.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "utf8.h"
#include "ws.h"

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_ws: %s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_MESSAGE 256
#define OUT_MAX     (1u << 20) /* far more than any input can make ws write */

/* A growing byte string. */
struct bytes {
    unsigned char *p;
    size_t len, cap;
};

static void put(struct bytes *b, const void *data, size_t len) {
    MUST(b->len + len <= OUT_MAX);
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len) cap *= 2;
        b->p = realloc(b->p, cap);
        MUST(b->p != NULL);
        b->cap = cap;
    }
    if (len > 0) memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void put_u64(struct bytes *b, uint64_t v) {
    put(b, &v, sizeof v);
}

/* One run: a machine, what it reported and what it wrote. */
struct run {
    struct ws ws;
    bool report_frames;
    struct bytes events; /* every event, serialized */
    struct bytes out;    /* every byte written */
    bool ended;          /* CLOSED or FAILED returned by ws_feed */
    unsigned peer_close; /* the code of the peer's close (WS_EV_CLOSE), or 0 */
    /* the message the reported data frames make so far (report_frames) */
    unsigned frames_opcode; /* of its first frame */
    uint64_t frames_len;    /* the sum of their lengths */
    bool frames_fin;        /* the last one had FIN */
};

static bool valid_close_code(unsigned code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

static int on_write(void *arg, const void *data, size_t len) {
    struct run *r = arg;
    put(&r->out, data, len);
    return 0;
}

static void check_event(const struct run *r, const struct ws_event *ev) {
    switch (ev->type) {
    case WS_EV_TEXT:
        MUST(ev->len <= MAX_MESSAGE && utf8_valid(ev->data, ev->len));
        break;
    case WS_EV_BINARY:
        MUST(ev->len <= MAX_MESSAGE);
        break;
    case WS_EV_PING:
    case WS_EV_PONG:
        MUST(ev->len <= WS_CONTROL_MAX);
        break;
    case WS_EV_CLOSE:
        MUST(ev->code == WS_CLOSE_NO_STATUS || valid_close_code(ev->code));
        if (ev->code == WS_CLOSE_NO_STATUS) MUST(ev->len == 0);
        MUST(ev->len <= WS_CONTROL_MAX - 2 && utf8_valid(ev->data, ev->len));
        break;
    case WS_EV_FRAME:
        /* Reported frames are accepted ones: they keep the header rules. */
        MUST(r->report_frames && ev->frame != NULL);
        MUST(ev->first_len <= WS_INSPECT_BYTES && ev->first_len <= ev->frame->length);
        MUST(ev->frame->masked == (r->ws.cfg.role == WS_SERVER) && ev->frame->rsv == 0);
        MUST(ev->frame->opcode <= WS_OP_BINARY ||
             (ev->frame->opcode >= WS_OP_CLOSE && ev->frame->opcode <= WS_OP_PONG));
        if (ev->frame->opcode >= WS_OP_CLOSE)
            MUST(ev->frame->fin && ev->frame->length <= WS_CONTROL_MAX);
        break;
    default:
        MUST(0); /* an event type ws.h does not list */
    }
    MUST(ev->len == 0 || ev->data != NULL);
}

static void on_event(void *arg, struct ws *ws, const struct ws_event *ev) {
    struct run *r = arg;
    MUST(!r->ended);
    check_event(r, ev);
    if (ev->type == WS_EV_CLOSE) r->peer_close = ev->code;
    put_u64(&r->events, ev->type);
    put_u64(&r->events, ev->len);
    put(&r->events, ev->data, ev->len);
    put_u64(&r->events, ev->type == WS_EV_CLOSE ? ev->code : 0);
    if (ev->type == WS_EV_FRAME) {
        const struct frame_header *h = ev->frame;
        put_u64(&r->events, (uint64_t)h->fin << 8 | h->rsv << 4 | h->opcode);
        put_u64(&r->events, h->masked);
        put(&r->events, h->mask, h->masked ? 4 : 0);
        put_u64(&r->events, h->length);
        put_u64(&r->events, ev->first_len);
        put(&r->events, ev->first_bytes, ev->first_len);
    }
    if (ev->type == WS_EV_FRAME && ev->frame->opcode <= WS_OP_BINARY) {
        if (ev->frame->opcode != WS_OP_CONTINUATION) {
            r->frames_opcode = ev->frame->opcode;
            r->frames_len = 0;
        }
        r->frames_len += ev->frame->length;
        r->frames_fin = ev->frame->fin;
    }
    if (ev->type == WS_EV_TEXT || ev->type == WS_EV_BINARY) {
        unsigned op = ev->type == WS_EV_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
        /* A message is its frames, up to the one with FIN (§5.4). */
        if (r->report_frames)
            MUST(r->frames_fin && r->frames_opcode == op && r->frames_len == ev->len);
        /* Echo it, as the echo program does. */
        bool open = ws_state(ws) == WS_OPEN;
        size_t before = r->out.len;
        int sent = ws_send(ws, op, ev->data, ev->len);
        MUST(sent == (open ? 0 : -1));
        if (!open) MUST(r->out.len == before);
    }
}

/* Runs the input through a fresh machine in pieces of `piece` bytes (or all
 * at once if piece is 0). */
static enum ws_state run(struct run *r, enum ws_role role, bool report_frames, bool close_first,
                         const unsigned char *in, size_t len, size_t piece) {
    memset(r, 0, sizeof *r);
    r->report_frames = report_frames;
    struct ws_config cfg = {.role = role,
                            .max_message = MAX_MESSAGE,
                            .report_frames = report_frames,
                            .on_event = on_event,
                            .write = on_write,
                            .arg = r};
    ws_init(&r->ws, &cfg);
    MUST(ws_state(&r->ws) == WS_OPEN);
    if (close_first) {
        MUST(ws_close(&r->ws, WS_CLOSE_NORMAL, "bye", 3) == 0);
        MUST(ws_state(&r->ws) == WS_CLOSING);
    }
    enum ws_state st = ws_state(&r->ws);
    size_t step = piece ? piece : len;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        enum ws_state prev = st;
        st = ws_feed(&r->ws, in + off, n);
        MUST(st == ws_state(&r->ws));
        /* Once over, it stays over. */
        if (prev == WS_CLOSED || prev == WS_FAILED) MUST(st == prev);
        if (st == WS_CLOSED || st == WS_FAILED) r->ended = true;
    }
    return st;
}

/* ---- what was written -------------------------------------------------------- */

struct written {
    struct bytes frames; /* fin, opcode, length, unmasked payload of each */
    int closes;
    unsigned last_close_code; /* 1005 if it had none */
};

/* Splits out[] into frames, checks each, and lists them unmasked. */
static void read_written(const struct bytes *out, enum ws_role role, struct written *w) {
    memset(w, 0, sizeof *w);
    for (size_t off = 0; off < out->len;) {
        struct frame_header h;
        MUST(frame_parse(out->p + off, out->len - off, &h) == FRAME_OK);
        MUST(h.length <= out->len - off - h.header_len);
        MUST(h.masked == (role == WS_CLIENT) && h.rsv == 0);
        MUST(h.opcode <= WS_OP_BINARY || (h.opcode >= WS_OP_CLOSE && h.opcode <= WS_OP_PONG));
        if (h.opcode >= WS_OP_CLOSE) MUST(h.fin && h.length <= WS_CONTROL_MAX);
        unsigned char *payload = out->p + off + h.header_len;
        if (h.masked) frame_mask(payload, h.length, h.mask, 0);
        if (h.opcode == WS_OP_CLOSE) {
            MUST(w->closes++ == 0);
            MUST(h.length != 1);
            w->last_close_code = h.length >= 2 ? (unsigned)payload[0] << 8 | payload[1] : 1005;
        }
        put_u64(&w->frames, (uint64_t)h.fin << 8 | h.opcode);
        put_u64(&w->frames, h.length);
        put(&w->frames, payload, h.length);
        off += h.header_len + h.length;
    }
}

static bool same_bytes(const struct bytes *a, const struct bytes *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void free_run(struct run *r) {
    ws_free(&r->ws);
    free(r->events.p);
    free(r->out.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    enum ws_role role = (data[0] & 1) ? WS_CLIENT : WS_SERVER;
    bool report_frames = data[0] & 2, close_first = data[0] & 4;
    size_t piece = 1 + (data[0] >> 3);
    /* A private copy, so that a read past the end is caught. */
    size_t len = size - 1;
    unsigned char *in = malloc(len + 1);
    if (!in) return 0;
    memcpy(in, data + 1, len);

    static struct run whole, pieces;
    enum ws_state a = run(&whole, role, report_frames, close_first, in, len, 0);
    enum ws_state b = run(&pieces, role, report_frames, close_first, in, len, piece);
    MUST(a == b);
    MUST(same_bytes(&whole.events, &pieces.events));
    if (role == WS_SERVER) MUST(same_bytes(&whole.out, &pieces.out));

    struct written wa, wb;
    read_written(&whole.out, role, &wa);
    read_written(&pieces.out, role, &wb);
    MUST(same_bytes(&wa.frames, &wb.frames));
    if (close_first || a == WS_CLOSED || a == WS_FAILED) MUST(wa.closes == 1);
    if (close_first) MUST(wa.last_close_code == WS_CLOSE_NORMAL);
    if (!close_first && a == WS_FAILED)
        MUST(wa.last_close_code == WS_CLOSE_PROTOCOL_ERROR ||
             wa.last_close_code == WS_CLOSE_INVALID_DATA || wa.last_close_code == WS_CLOSE_TOO_BIG);
    if (!close_first && a == WS_CLOSED)
        MUST(whole.peer_close != 0 && wa.last_close_code == whole.peer_close);
    if (!close_first && a == WS_OPEN) MUST(wa.closes == 0);

    free_run(&whole);
    free_run(&pieces);
    free(wa.frames.p);
    free(wb.frames.p);
    free(in);
    return 0;
}
