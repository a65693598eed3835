/*
 * ws — one WebSocket connection's protocol, as a state machine over bytes
 * (see ws.h).
 *
 * Receiving. Bytes come in whatever pieces the network makes: one byte per
 * call, or many frames in one. So the machine remembers where it is in the
 * current frame, and every piece moves it on:
 *
 *   ┌─► header   gather bytes in ws->head until frame_parse() has a whole
 *   │            header; check it against the protocol's rules
 *   │  payload   copy each piece to where the payload belongs, unmask it
 *   │            there, check text as it comes
 *   └── end      the frame is whole: answer a ping, deliver a message,
 *                answer a close
 *
 * Where a payload goes (the caller's bytes are const, so it is a copy,
 * unmasked in place):
 *
 *   a control frame                 ws->control (≤ 125 bytes, §5.5)
 *   a message in one frame ≤ 125    ws->control too: small messages never
 *                                   touch malloc
 *   any other data frame            ws->message, which grows as bytes arrive
 *   a data frame after our close    nowhere: it is ignored (§5.5.1)
 *
 * A frame cannot interleave with itself, so ws->control can hold a small
 * message; fragments of a longer message go to ws->message, because control
 * frames may come between them (§5.4).
 *
 * Failing early. Each rule is checked as soon as the bytes that break it are
 * in: a header as soon as it is whole (a 1 GiB frame over the limit is
 * refused before its first payload byte), text one piece at a time. The
 * result is the same however the input is cut: everything happens at a
 * place in the byte stream, never at a call boundary.
 *
 * Sending. A frame is frame_write()'s header and the payload, passed to
 * cfg.write. A client masks each frame with a fresh key into a scratch
 * buffer, a chunk at a time: the caller's bytes are never changed.
 *
 * Lab 3, task 3. Read: TUTORIAL §3.3–§3.8; RFC 6455 §5.1–§5.6, §7, §8.1,
 * §10.4.
 */
#include "ws.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_CLOSE_TIMEOUT_MS 5000
#define CLOSE_REASON_MAX         (WS_CONTROL_MAX - 2) /* 123: the code takes 2 */
#define MESSAGE_FIRST_CAP        256                  /* the first allocation */
#define MESSAGE_KEEP_CAP         4096 /* a larger buffer is freed after its message */
#define SEND_CHUNK               4096 /* one write: a header and payload bytes */

static bool running(const struct ws *ws) {
    return ws->state == WS_OPEN || ws->state == WS_CLOSING;
}

static bool is_control(unsigned opcode) {
    return (opcode & 0x8) != 0; /* §5.5: opcodes 0x8..0xF */
}

static size_t min_size(size_t a, uint64_t b) {
    return b < a ? (size_t)b : a;
}

static void emit(struct ws *ws, struct ws_event ev) {
    if (ws->cfg.on_event != NULL) ws->cfg.on_event(ws->cfg.arg, ws, &ev);
}

/* ---- sending -------------------------------------------------------------- */

/* cfg.write. A connection that cannot be written to is over: nothing we owe
 * the peer (a pong, a close) can reach it any more. */
static int put(struct ws *ws, const void *data, size_t len) {
    if (ws->cfg.write(ws->cfg.arg, data, len) == 0) return 0;
    ws->state = WS_FAILED;
    return -1;
}

/* One frame (§5.2). A server's payload goes out as it is (§5.1); a client's
 * is masked with a new key (§5.3), in a copy. A frame that fits in the
 * scratch buffer goes out in a single write with its header. */
static int send_frame(struct ws *ws, bool fin, unsigned opcode, const unsigned char *data,
                      size_t len) {
    unsigned char buf[SEND_CHUNK], key[4];
    bool masked = ws->cfg.role == WS_CLIENT;
    if (masked && frame_random_mask(key) < 0) return -1;
    size_t used = frame_write(buf, fin, opcode, len, masked ? key : NULL);
    if (!masked && len > sizeof buf - used) /* large: no need to copy it */
        return put(ws, buf, used) < 0 || put(ws, data, len) < 0 ? -1 : 0;

    size_t done = 0;
    do {
        size_t n = min_size(sizeof buf - used, len - done);
        if (n > 0) memcpy(buf + used, data + done, n);
        if (masked) frame_mask(buf + used, n, key, done);
        if (put(ws, buf, used + n) < 0) return -1;
        done += n;
        used = 0;
    } while (done < len);
    return 0;
}

/* A close frame (§5.5.1): empty if code is 0, else the code (2 bytes,
 * big-endian) and the reason. Nothing may follow it (§5.5.1), which
 * close_sent records. */
static int send_close(struct ws *ws, uint16_t code, const void *reason, size_t reason_len) {
    unsigned char payload[WS_CONTROL_MAX];
    size_t len = 0;
    if (code != 0) {
        payload[0] = (unsigned char)(code >> 8);
        payload[1] = (unsigned char)code;
        if (reason_len > 0) memcpy(payload + 2, reason, reason_len);
        len = 2 + reason_len;
    }
    if (send_frame(ws, true, WS_OP_CLOSE, payload, len) < 0) return -1;
    ws->close_sent = true;
    return 0;
}

/* §7.1.7 "Fail the WebSocket Connection": send the close the error calls
 * for (§7.4.1) unless one went out already, and stop; the owner closes TCP
 * at once. The reason is for people reading traces. */
static void fail(struct ws *ws, uint16_t code, const char *reason) {
    if (!ws->close_sent) send_close(ws, code, reason, strlen(reason));
    ws->state = WS_FAILED;
}

/* ---- receiving: the header ------------------------------------------------ */

/* What the protocol forbids in this header, or NULL; *code is the close code
 * to fail with. */
static const char *header_problem(const struct ws *ws, uint16_t *code) {
    const struct frame_header *h = &ws->frame;
    bool server = ws->cfg.role == WS_SERVER;
    *code = WS_CLOSE_PROTOCOL_ERROR;
    /* §5.2: RSV bits mean an extension, and none was negotiated. */
    if (h->rsv != 0) return "reserved bits set";
    if (h->opcode > WS_OP_PONG || (h->opcode > WS_OP_BINARY && h->opcode < WS_OP_CLOSE))
        return "reserved opcode";
    /* §5.1: clients always mask, servers never do. */
    if (h->masked != server) return server ? "unmasked frame" : "masked frame";
    if (is_control(h->opcode)) {
        /* §5.5: short enough to interleave with a message, never split. */
        if (!h->fin) return "fragmented control frame";
        if (h->length > WS_CONTROL_MAX) return "control frame over 125 bytes";
        return NULL;
    }
    if (ws->close_sent) return NULL; /* data after our close is ignored */
    /* §5.4: one message at a time, each starting with TEXT or BINARY. */
    if (h->opcode == WS_OP_CONTINUATION && ws->message_opcode == 0)
        return "continuation without a message";
    if (h->opcode != WS_OP_CONTINUATION && ws->message_opcode != 0)
        return "new message inside a fragmented one";
    /* §10.4: refuse before a byte of it is stored. (message_len never
     * exceeds max_message, so the subtraction cannot wrap.) */
    *code = WS_CLOSE_TOO_BIG;
    if (h->length > ws->cfg.max_message - ws->message_len) return "message too big";
    return NULL;
}

/* ---- receiving: the payload ----------------------------------------------- */

enum sink { TO_CONTROL, TO_MESSAGE, NOWHERE };

static enum sink payload_sink(const struct ws *ws) {
    const struct frame_header *h = &ws->frame;
    if (is_control(h->opcode)) return TO_CONTROL;
    if (ws->close_sent) return NOWHERE;
    if (h->fin && h->opcode != WS_OP_CONTINUATION && h->length <= sizeof ws->control)
        return TO_CONTROL; /* a whole small message */
    return TO_MESSAGE;
}

/* Room for n more bytes of the message. The buffer is allocated on first
 * use and doubles when full, so a message costs O(1) copies per byte; it
 * never grows past max_message, which header_problem() has already
 * enforced. Returns NULL if memory ran out. */
static unsigned char *message_room(struct ws *ws, size_t n) {
    size_t need = ws->message_len + n, max = ws->cfg.max_message;
    if (need > ws->message_cap) {
        size_t cap = ws->message_cap > 0 ? ws->message_cap : MESSAGE_FIRST_CAP;
        while (cap < need) cap = cap > max / 2 ? max : 2 * cap;
        if (cap > max) cap = max;
        unsigned char *bigger = realloc(ws->message, cap);
        if (bigger == NULL) return NULL;
        ws->message = bigger;
        ws->message_cap = cap;
    }
    return ws->message + ws->message_len;
}

/* Stores the next n payload bytes, unmasked (§5.3), and checks text as it
 * arrives (§8.1): a text that has gone wrong fails now, not at the end of a
 * 16 MiB message. Returns false if the connection failed. */
static bool store_payload(struct ws *ws, const unsigned char *p, size_t n) {
    enum sink sink = payload_sink(ws);
    if (sink == NOWHERE) return true;
    unsigned char *dest = sink == TO_CONTROL ? ws->control + ws->payload_done : message_room(ws, n);
    if (dest == NULL) {
        fail(ws, WS_CLOSE_INTERNAL, "out of memory");
        return false;
    }
    memcpy(dest, p, n);
    if (ws->frame.masked) frame_mask(dest, n, ws->frame.mask, ws->payload_done);
    if (sink == TO_MESSAGE) ws->message_len += n;
    bool text = !is_control(ws->frame.opcode) && ws->message_opcode == WS_OP_TEXT;
    if (text && !utf8_feed(&ws->utf8, dest, n)) {
        fail(ws, WS_CLOSE_INVALID_DATA, "invalid UTF-8");
        return false;
    }
    return true;
}

/* ---- receiving: the end of a frame ---------------------------------------- */

/* §5.4, §5.6: the final fragment is in. A text must also end between
 * characters (§8.1). */
static void finish_message(struct ws *ws) {
    bool text = ws->message_opcode == WS_OP_TEXT;
    if (text && !utf8_complete(&ws->utf8)) {
        fail(ws, WS_CLOSE_INVALID_DATA, "invalid UTF-8");
        return;
    }
    struct ws_event ev = {.type = text ? WS_EV_TEXT : WS_EV_BINARY};
    if (payload_sink(ws) == TO_CONTROL) {
        ev.data = ws->control;
        ev.len = (size_t)ws->frame.length;
    } else {
        /* Never NULL, even for an empty message: callers may memcpy it. */
        ev.data = ws->message != NULL ? ws->message : ws->control;
        ev.len = ws->message_len;
    }
    ws->message_opcode = 0;
    ws->message_len = 0;
    emit(ws, ev);
    /* An idle connection should not sit on a big buffer (Lab 4 keeps ten
     * thousand of them); a small one is worth keeping for the next message. */
    if (ws->message_cap > MESSAGE_KEEP_CAP) {
        free(ws->message);
        ws->message = NULL;
        ws->message_cap = 0;
    }
}

/* §5.5.2, §5.5.3: a ping is answered by a pong with the same payload. Not
 * after our close, which must be the last frame we send (§5.5.1); pongs are
 * then of no interest either. */
static void on_ping_or_pong(struct ws *ws) {
    if (ws->close_sent) return;
    struct ws_event ev = {.data = ws->control, .len = (size_t)ws->frame.length};
    if (ws->frame.opcode == WS_OP_PING) {
        if (send_frame(ws, true, WS_OP_PONG, ev.data, ev.len) < 0) return;
        ev.type = WS_EV_PING;
    } else {
        ev.type = WS_EV_PONG;
    }
    emit(ws, ev);
}

/* §5.5.1, §7.1.5, §7.4: the peer's close is empty, or a code that may be
 * sent and a UTF-8 reason. Unless we started the closing handshake, we
 * answer with the same code (an empty close to an empty one); either way
 * the handshake is complete. */
static void on_close(struct ws *ws) {
    size_t len = (size_t)ws->frame.length;
    uint16_t code = WS_CLOSE_NO_STATUS;
    const char *problem = NULL;
    if (len == 1) {
        problem = "1-byte close payload";
    } else if (len >= 2) {
        code = (uint16_t)(ws->control[0] << 8 | ws->control[1]);
        if (!ws_close_code_valid(code)) problem = "invalid close code";
    }
    if (problem != NULL) {
        fail(ws, WS_CLOSE_PROTOCOL_ERROR, problem);
        return;
    }
    if (len > 2 && !utf8_valid(ws->control + 2, len - 2)) {
        fail(ws, WS_CLOSE_INVALID_DATA, "invalid UTF-8 in close reason");
        return;
    }
    bool answered = ws->close_sent || send_close(ws, len >= 2 ? code : 0, NULL, 0) == 0;
    ws->state = answered ? WS_CLOSED : WS_FAILED;
    struct ws_event ev = {.type = WS_EV_CLOSE, .code = code};
    ev.data = ws->control + (len >= 2 ? 2 : 0);
    ev.len = len >= 2 ? len - 2 : 0;
    emit(ws, ev);
}

/* The whole frame is in: act on it. */
static void end_frame(struct ws *ws) {
    ws->head_len = 0;
    ws->frame.header_len = 0; /* the next byte starts a header */
    switch (ws->frame.opcode) {
    case WS_OP_CLOSE:
        on_close(ws);
        break;
    case WS_OP_PING:
    case WS_OP_PONG:
        on_ping_or_pong(ws);
        break;
    default:
        if (ws->frame.fin && !ws->close_sent) finish_message(ws);
    }
}

/* WS_EV_FRAME (for /inspect) once the first payload bytes are in. */
static size_t inspect_len(const struct ws *ws) {
    return min_size(WS_INSPECT_BYTES, ws->frame.length);
}

static void report_frame(struct ws *ws) {
    emit(ws, (struct ws_event){.type = WS_EV_FRAME,
                               .frame = &ws->frame,
                               .first_bytes = ws->first,
                               .first_len = inspect_len(ws)});
}

/* Called after the header and after each piece of payload. */
static void frame_progress(struct ws *ws) {
    if (ws->cfg.report_frames && ws->payload_done == inspect_len(ws)) report_frame(ws);
    if (running(ws) && ws->payload_done == ws->frame.length) end_frame(ws);
}

/* ---- receiving: the loop -------------------------------------------------- */

/* A header may arrive in pieces too: gather it in ws->head until
 * frame_parse() sees all of it (at most 14 bytes), then check it. Returns
 * the bytes used. */
static size_t take_header(struct ws *ws, const unsigned char *p, size_t avail) {
    size_t had = ws->head_len;
    size_t n = min_size(sizeof ws->head - had, avail);
    memcpy(ws->head + had, p, n);
    struct frame_header h;
    enum frame_status status = frame_parse(ws->head, had + n, &h);
    if (status == FRAME_NEED_MORE) {
        ws->head_len = had + n;
        return n;
    }
    if (status == FRAME_BAD) {
        fail(ws, WS_CLOSE_PROTOCOL_ERROR, "bad payload length"); /* §5.2 */
        return n;
    }
    ws->frame = h;
    ws->head_len = h.header_len;
    uint16_t code;
    const char *problem = header_problem(ws, &code);
    if (problem != NULL) {
        fail(ws, code, problem);
    } else {
        ws->payload_done = 0;
        /* §5.4: TEXT or BINARY starts a message. */
        if (!is_control(h.opcode) && h.opcode != WS_OP_CONTINUATION && !ws->close_sent) {
            ws->message_opcode = h.opcode;
            utf8_init(&ws->utf8);
        }
        frame_progress(ws); /* an empty payload: the frame is already whole */
    }
    return h.header_len - had;
}

/* The next piece of the current frame's payload. Returns the bytes used. */
static size_t take_payload(struct ws *ws, const unsigned char *p, size_t avail) {
    size_t n = min_size(avail, ws->frame.length - ws->payload_done);
    size_t first = inspect_len(ws);
    if (ws->cfg.report_frames && ws->payload_done < first) {
        /* Stop at the end of the first bytes, so that WS_EV_FRAME comes at
         * the same point in the stream however the input is cut. */
        n = min_size(n, first - ws->payload_done);
        memcpy(ws->first + ws->payload_done, p, n);
    }
    if (!store_payload(ws, p, n)) return n;
    ws->payload_done += n;
    frame_progress(ws);
    return n;
}

/* RFC 6455 §5.2–§5.6, §7, §8.1, §10.4: everything the peer sends. */
enum ws_state ws_feed(struct ws *ws, const void *data, size_t len) {
    const unsigned char *p = data;
    size_t used = 0;
    while (used < len && running(ws)) {
        if (ws->frame.header_len == 0)
            used += take_header(ws, p + used, len - used);
        else
            used += take_payload(ws, p + used, len - used);
    }
    return ws->state;
}

/* ---- the rest of the interface -------------------------------------------- */

void ws_init(struct ws *ws, const struct ws_config *cfg) {
    memset(ws, 0, sizeof *ws);
    ws->cfg = *cfg;
    if (ws->cfg.max_message == 0) ws->cfg.max_message = WS_DEFAULT_MAX_MESSAGE;
    if (ws->cfg.close_timeout_ms == 0) ws->cfg.close_timeout_ms = DEFAULT_CLOSE_TIMEOUT_MS;
    ws->state = WS_OPEN;
    utf8_init(&ws->utf8);
}

void ws_free(struct ws *ws) {
    free(ws->message);
    ws->message = NULL;
    ws->message_len = ws->message_cap = 0;
}

/* RFC 6455 §5.4 (fragments: CONTINUATION after the first), §5.5 (control
 * frames: at most 125 bytes, never fragmented), §5.5.1 (nothing after our
 * close). A close is ws_close()'s job, so it is refused here. */
int ws_send_frame(struct ws *ws, bool fin, unsigned opcode, const void *data, size_t len) {
    if (ws->state != WS_OPEN) return -1;
    switch (opcode) {
    case WS_OP_CONTINUATION:
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        break;
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!fin || len > WS_CONTROL_MAX) return -1;
        break;
    default:
        return -1;
    }
    return send_frame(ws, fin, opcode, data, len);
}

/* RFC 6455 §5.6 (data frames), §5.5.2–§5.5.3 (ping, pong). */
int ws_send(struct ws *ws, unsigned opcode, const void *data, size_t len) {
    if (opcode == WS_OP_CONTINUATION) return -1; /* a whole message has a type */
    return ws_send_frame(ws, true, opcode, data, len);
}

/* RFC 6455 §5.5.1, §7.1.2 (starting the closing handshake), §7.4 (codes). */
int ws_close(struct ws *ws, uint16_t code, const char *reason, size_t reason_len) {
    if (ws->state != WS_OPEN) return -1;
    /* A reason needs a code before it; the code must be one that may be sent. */
    if (code == 0 ? reason_len > 0 : !ws_close_code_valid(code)) return -1;
    if (reason_len > CLOSE_REASON_MAX) return -1;
    if (!utf8_valid((const unsigned char *)reason, reason_len)) return -1;
    if (send_close(ws, code, reason, reason_len) < 0) return -1;
    ws->state = WS_CLOSING;
    return 0;
}

/* RFC 6455 §7.4.1, §7.4.2 and the IANA registry (§11.7), which added
 * 1012–1014. 1004 is reserved; 1005, 1006 and 1015 only report what
 * happened and never travel in a frame; the rest of 1000–2999 is for future
 * RFCs; 3000–4999 belong to libraries and applications. */
bool ws_close_code_valid(uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

enum ws_state ws_state(const struct ws *ws) {
    return ws->state;
}
