/*
 * ws — one WebSocket connection's protocol, as a state machine over bytes.
 *
 *          bytes in ──► ws_feed() ──► events: text, binary, ping, pong, close
 *   ws_send(), ws_close() ──► bytes out (through cfg.write)
 *
 * It never touches a socket (sans-I/O): whoever owns the connection reads
 * bytes and feeds them in, and gives it a write function for the bytes it
 * must send — its answers (pong, close) and the frames the program sends.
 * The same machine runs under a thread per connection (Lab 3), an event
 * loop (Lab 4) and TLS (Lab 7), and its tests are byte strings.
 *
 *   OPEN ──(we send close)──► CLOSING ──(their close arrives)──► CLOSED
 *     └──(their close arrives: we answer it)──────────────────────┘
 *     └──(a protocol error: we send close 1002/1007/1009)── FAILED
 *
 * In CLOSED and FAILED the owner closes the TCP connection (a server first,
 * §7.1.1). In CLOSING it waits at most close_timeout_ms for the peer's close.
 *
 * Lab 3, task 3. Read: TUTORIAL §3.3–§3.8; RFC 6455 §5.4 (fragmentation),
 * §5.5 (control frames), §5.6 (data frames), §7 (closing), §7.4 (status
 * codes), §8.1 (UTF-8), §10.4 (limits).
 */
#ifndef WSLAB_WS_H
#define WSLAB_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "utf8.h"

#define WS_DEFAULT_MAX_MESSAGE (16u << 20) /* 16 MiB */
#define WS_CONTROL_MAX         125         /* payload of a control frame, §5.5 */
#define WS_INSPECT_BYTES       16          /* payload bytes kept for WS_EV_FRAME */

/* Close status codes (§7.4.1). */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005, /* never sent: "the close had no code" */
    WS_CLOSE_ABNORMAL = 1006,  /* never sent: "no close frame at all" */
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_EXTENSION = 1010,
    WS_CLOSE_INTERNAL = 1011,
    WS_CLOSE_TRY_AGAIN = 1013,
};

enum ws_role { WS_SERVER, WS_CLIENT };

enum ws_state { WS_OPEN, WS_CLOSING, WS_CLOSED, WS_FAILED };

enum ws_event_type {
    WS_EV_TEXT,   /* a whole text message (valid UTF-8) */
    WS_EV_BINARY, /* a whole binary message */
    WS_EV_PING,   /* a ping (already answered with a pong) */
    WS_EV_PONG,   /* a pong (solicited or not) */
    WS_EV_CLOSE,  /* the peer's close: code (1005 if none) and reason */
    WS_EV_FRAME,  /* a frame was received (only with cfg.report_frames) */
};

struct ws_event {
    enum ws_event_type type;
    const unsigned char *data; /* message / ping / pong payload, close reason */
    size_t len;
    uint16_t code; /* WS_EV_CLOSE */
    /* WS_EV_FRAME: the frame's header and its first payload bytes as they
     * arrived (still masked) — what Lab 3's /inspect shows. */
    const struct frame_header *frame;
    const unsigned char *first_bytes;
    size_t first_len;
};

struct ws;
typedef void (*ws_event_fn)(void *arg, struct ws *ws, const struct ws_event *ev);
/* Sends bytes to the peer; returns 0, or -1 if the connection is broken. */
typedef int (*ws_write_fn)(void *arg, const void *data, size_t len);

struct ws_config {
    enum ws_role role;
    size_t max_message;   /* 0: WS_DEFAULT_MAX_MESSAGE; over it → close 1009 */
    int close_timeout_ms; /* 0: 5000; how long the owner waits in CLOSING */
    bool report_frames;   /* emit WS_EV_FRAME for every frame */
    ws_event_fn on_event;
    ws_write_fn write;
    void *arg; /* passed to on_event and write */
};

/* The machine's state. Its fields are its own; it is small (no buffer is
 * allocated until a message is longer than the inline space), so that an
 * idle connection costs little (Lab 4 keeps ten thousand of them). */
struct ws {
    struct ws_config cfg;
    enum ws_state state;
    bool close_sent;
    /* the frame being received */
    unsigned char head[FRAME_MAX_HEADER];
    size_t head_len;
    struct frame_header frame;
    uint64_t payload_done; /* payload bytes of the current frame received */
    unsigned char first[WS_INSPECT_BYTES];
    /* a control frame's payload (never fragmented, at most 125 bytes) */
    unsigned char control[WS_CONTROL_MAX];
    /* the data message being assembled from its fragments */
    unsigned message_opcode; /* WS_OP_TEXT / WS_OP_BINARY, or 0 if none */
    unsigned char *message;  /* malloc'd, grows up to max_message */
    size_t message_len, message_cap;
    struct utf8_state utf8;
};

/* Prepares ws for a connection whose handshake just completed. */
void ws_init(struct ws *ws, const struct ws_config *cfg);

/* Frees what ws holds (not ws itself). */
void ws_free(struct ws *ws);

/* Feeds bytes received from the peer, delivering events to cfg.on_event as
 * they complete (payloads are valid only during the call). Answers pings
 * with pongs and a close with a close. On a protocol error sends the close
 * it calls for (§7.4.1: 1002, 1007, 1009) and moves to WS_FAILED. Returns
 * the state afterwards; in WS_CLOSED or WS_FAILED, the rest is ignored. */
enum ws_state ws_feed(struct ws *ws, const void *data, size_t len);

/* Sends a whole message or control frame in one frame: opcode WS_OP_TEXT,
 * WS_OP_BINARY, WS_OP_PING or WS_OP_PONG (control payloads at most 125
 * bytes). A client's frames are masked with a fresh key. Returns 0, or -1
 * (nothing sent) if the state or the arguments do not allow it. */
int ws_send(struct ws *ws, unsigned opcode, const void *data, size_t len);

/* Sends one frame exactly as asked (for fragmented messages): fin, opcode
 * (WS_OP_CONTINUATION after the first). Returns 0, or -1. */
int ws_send_frame(struct ws *ws, bool fin, unsigned opcode, const void *data, size_t len);

/* Starts the closing handshake: sends a close with code (0: no code) and a
 * reason (at most 123 bytes of UTF-8), and moves to WS_CLOSING. Returns 0,
 * or -1 if a close was already sent or the code may not be sent. */
int ws_close(struct ws *ws, uint16_t code, const char *reason, size_t reason_len);

/* May this code appear in a close frame (§7.4.1–§7.4.2)? 1000–1003,
 * 1007–1011, 1012–1014 and 3000–4999 may; 1004–1006, 1015, other codes
 * below 3000 and codes over 4999 may not. */
bool ws_close_code_valid(uint16_t code);

/* The state (also returned by ws_feed). */
enum ws_state ws_state(const struct ws *ws);

#endif
