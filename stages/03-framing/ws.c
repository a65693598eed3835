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

/* RFC 6455 §5.2–§5.6, §7, §8.1, §10.4: everything the peer sends. */
enum ws_state ws_feed(struct ws *ws, const void *data, size_t len) {
    /* TODO(handout step 3.1): frames, in any pieces. The input may be cut
     * anywhere — a byte per call, or many frames in one — so keep your place
     * in ws between calls: gather header bytes in ws->head until
     * frame_parse() says FRAME_OK (FRAME_BAD: fail with 1002), then count
     * the payload in ws->payload_done. Check a header as soon as it is
     * whole: RSV bits set (no extension was negotiated, §5.2), a reserved
     * opcode (3-7, 0xB-0xF, §5.2), a missing mask from a client or a mask
     * from a server (§5.1) → fail with 1002. To fail: send a close with the
     * code (§7.1.7, §7.4.1) and move to WS_FAILED. The input is const: copy
     * each payload piece to where it belongs and unmask it there
     * (frame_mask with offset ws->payload_done, §5.3). A frame with an empty
     * payload is whole as soon as its header is in. Fed byte by byte or all
     * at once, the events and the output must be the same. With
     * cfg.report_frames, emit WS_EV_FRAME as soon as the first
     * WS_INSPECT_BYTES payload bytes (or all of a shorter payload) are in,
     * kept as they came (still masked) in ws->first. */
    /* TODO(handout step 3.2): control frames (§5.5): FIN set and at most 125
     * bytes, else 1002; the payload goes in ws->control. A ping is answered
     * with a pong carrying the same payload (§5.5.2, §5.5.3: sending is step
     * 3.6 — write the frame sender first), then reported as WS_EV_PING; a
     * pong is reported as WS_EV_PONG and otherwise ignored. */
    /* TODO(handout step 3.3): data frames and fragmentation (§5.4, §5.6).
     * TEXT or BINARY starts a message (ws->message_opcode), CONTINUATION
     * frames extend it, and the frame with FIN ends it: emit WS_EV_TEXT or
     * WS_EV_BINARY with the whole message. A CONTINUATION with no message
     * started, or a TEXT/BINARY while one is in progress → 1002. Control
     * frames may come between the fragments (so they need their own buffer).
     * Assemble messages in ws->message: malloc'd on first use, doubled when
     * full, never beyond cfg.max_message, and freed after a large message
     * so that an idle connection holds little (Lab 4 keeps ten thousand). */
    /* TODO(handout step 3.4): UTF-8 and limits. Run a text message through
     * ws->utf8 a piece at a time as it arrives, and fail with 1007 at the
     * first piece that cannot be valid — not at the end of the message
     * (§8.1); also when the final fragment ends inside a character. A
     * message whose length would pass cfg.max_message fails with 1009 as
     * soon as a header says so, before a byte of it is stored (§10.4). */
    /* TODO(handout step 3.5): the peer's close (§5.5.1, §7.1.5, §7.4). Its
     * payload is empty, or a 2-byte big-endian code and a UTF-8 reason: one
     * byte, or a code ws_close_code_valid() refuses → 1002; a reason that is
     * not UTF-8 → 1007. Report WS_EV_CLOSE (code 1005 if none came). If we
     * had not sent a close, answer with one carrying the same code (empty if
     * theirs was empty); either way the state is now WS_CLOSED. After our
     * own close, data frames are parsed (a close may follow them) but
     * ignored, and nothing more is sent — not even a pong. In WS_CLOSED and
     * WS_FAILED the rest of the input is ignored. */
    (void)data;
    (void)len;
    ws->state = WS_FAILED;
    return ws->state;
}

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

int ws_send_frame(struct ws *ws, bool fin, unsigned opcode, const void *data, size_t len) {
    /* TODO(handout step 3.6): sending. Only in WS_OPEN: after our close
     * nothing may follow it (§5.5.1). Opcodes CONTINUATION, TEXT, BINARY,
     * PING and PONG — a close is ws_close()'s job; a ping or pong needs FIN
     * and at most 125 bytes (§5.5); anything else → -1. The frame is
     * frame_write()'s header and the payload, handed to cfg.write; if that
     * returns -1 the connection is broken: WS_FAILED, return -1. A server
     * never masks (§5.1). A client masks every frame with a fresh
     * frame_random_mask() key (§5.3) — but never in the caller's buffer,
     * which is const and may be sent again: mask into a scratch buffer of a
     * few KiB, a chunk at a time. */
    (void)ws;
    (void)fin;
    (void)opcode;
    (void)data;
    (void)len;
    return -1;
}

/* RFC 6455 §5.6 (data frames), §5.5.2–§5.5.3 (ping, pong). */
int ws_send(struct ws *ws, unsigned opcode, const void *data, size_t len) {
    if (opcode == WS_OP_CONTINUATION) return -1; /* a whole message has a type */
    return ws_send_frame(ws, true, opcode, data, len);
}

int ws_close(struct ws *ws, uint16_t code, const char *reason, size_t reason_len) {
    /* TODO(handout step 3.5): our close (§5.5.1, §7.1.2). Only in WS_OPEN.
     * Code 0 → an empty payload (and no reason); otherwise a code that
     * ws_close_code_valid() accepts, big-endian, then the reason: at most
     * 123 bytes (a control frame carries 125, §5.5) of valid UTF-8. Send the
     * close frame, set ws->close_sent, move to WS_CLOSING. */
    (void)ws;
    (void)code;
    (void)reason;
    (void)reason_len;
    return -1;
}

bool ws_close_code_valid(uint16_t code) {
    /* TODO(handout step 3.5): ws.h lists which codes may appear in a close
     * frame; §7.4.1 says what they mean and §7.4.2 how the ranges are
     * divided. 1005, 1006 and 1015 only report what happened: they are
     * never sent. */
    (void)code;
    return false;
}

enum ws_state ws_state(const struct ws *ws) {
    return ws->state;
}
