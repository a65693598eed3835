/*
 * Lab 3 — the conformance set: the `echo` program against the rules of
 * RFC 6455, case by case, in the categories of Autobahn|Testsuite's cases
 * 1-7, 9 and 10 (written here from the RFC, not copied from it):
 *
 *    1 framing          text and binary at every length boundary, whole and chopped
 *    2 pings and pongs  a pong for each ping, same payload; unsolicited pongs ignored
 *    3 reserved bits    RSV1-3 set: fail
 *    4 opcodes          reserved opcodes: fail
 *    5 fragmentation    messages in fragments, pings between them, broken orders: fail
 *    6 UTF-8            valid texts echoed, invalid ones fail with 1007 — as early as possible
 *    7 closing          the closing handshake, codes, reasons, what comes after a close
 *    9 limits           messages up to the 16 MiB limit, whole and fragmented; over it: 1009
 *   10 fragments        a message in tiny fragments reassembled
 *
 * Test 3.6.C.N is case C.N; its title starts with it. "Fails with 1002"
 * means what RFC 6455 §7.1.7 calls failing the WebSocket connection: the
 * server sends a close with that code (a UTF-8 reason may follow) and then
 * closes TCP, without waiting for an answer. Every frame the server sends
 * must be unmasked, in the shortest length form, with no RSV bit; an echo is
 * one frame with the same opcode and payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "support.h"
#include "vectors/utf8_vectors.h"

#define HINT_FRAMING                                                                                \
    "TUTORIAL §3.1 \"The frame\", §3.3; RFC 6455 §5.2 (the three length forms), §5.6; a frame " \
    "may arrive in any number of reads"
#define HINT_PING                                                                                   \
    "TUTORIAL §3.5 \"Control frames\"; RFC 6455 §5.5.2 (answer a ping with a pong with the same " \
    "payload), §5.5.3 (an unsolicited pong needs no answer), §5.5 (at most 125 bytes)"
#define HINT_RSV                                                                                   \
    "TUTORIAL §3.3; RFC 6455 §5.2 (RSV1-3 MUST be 0 unless an extension says otherwise: fail "   \
    "the connection), §7.1.7, §7.4.1 (1002)"
#define HINT_OPCODE                                                                                \
    "TUTORIAL §3.3; RFC 6455 §5.2 (opcodes 3-7 and B-F are reserved: an unknown opcode fails "   \
    "the connection), §7.4.1 (1002)"
#define HINT_FRAG                                                                                  \
    "TUTORIAL §3.4 \"Fragmentation\"; RFC 6455 §5.4 (fragments of one message in order, "        \
    "control frames allowed between them, control frames never fragmented), §7.4.1 (1002)"
#define HINT_UTF8                                                                                  \
    "TUTORIAL §3.6 \"Text must be UTF-8\"; RFC 6455 §8.1 (invalid UTF-8 fails the connection "   \
    "with 1007), §5.6; RFC 3629 §4"
#define HINT_FAST                                                                                  \
    HINT_UTF8 "; fail fast: validate each piece of payload as it arrives, do not wait for the "    \
              "end of the frame or message"
#define HINT_CLOSE                                                                                 \
    "TUTORIAL §3.7 \"Closing\"; RFC 6455 §5.5.1 (a close: nothing, or a code and a UTF-8 "       \
    "reason; answer it with a close, then the server closes TCP first), §7.1.1-§7.1.5, §7.4 "   \
    "(the codes an endpoint may send)"
#define HINT_LIMIT                                                                                 \
    "TUTORIAL §3.10 \"Limits\"; RFC 6455 §10.4; echo's --max-message (default 16 MiB); §7.4.1 " \
    "(1009: too big); read and write large payloads in pieces (short reads, short writes)"

/* ---- the server and its connections ------------------------------------------------ */

static struct t_server *server;

/* A new WebSocket connection to /echo (the server starts on first use). */
static struct t_conn *connect_echo(void) {
    if (!server) server = echo_start(NULL);
    return t_ws_connect(server->port, "/echo");
}

/* Sends one frame and expects it back. */
static void echo_round(struct t_conn *c, unsigned opcode, const void *payload, size_t len) {
    send_frame(c, FIN | opcode, payload, len);
    expect_message(c, opcode, payload, len);
}

/* Sends the bytes of b in pieces of `chunk` bytes, 1 ms apart. */
static void send_chopped(struct t_conn *c, const struct bytes *b, size_t chunk) {
    t_note("sent in pieces of %zu bytes, 1 ms apart", chunk);
    t_send_dribble(c, b->p, b->len, chunk, 1);
}

/* A connection that sends a valid text, then the frame b0/payload, then a
 * ping: the text comes back, then the close `code`, and nothing more. */
static void fail_after_text(unsigned b0, const void *payload, size_t len, unsigned code) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, FIN | OP_TEXT, S("valid before"));
    add_frame(&b, b0, payload, len);
    add_frame(&b, FIN | OP_PING, S("no answer expected"));
    t_send(c, b.p, b.len);
    bytes_free(&b);
    expect_text(c, "valid before");
    expect_fail(c, code);
}

/* A connection that sends only the frame b0/payload: close `code`. */
static void fail_alone(unsigned b0, const void *payload, size_t len, unsigned code) {
    struct t_conn *c = connect_echo();
    send_frame(c, b0, payload, len);
    expect_fail(c, code);
}

/* Text and binary messages of the given sizes echoed on one connection. */
static void echo_sizes(unsigned opcode, const size_t *sizes, size_t n) {
    struct t_conn *c = connect_echo();
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = opcode == OP_TEXT ? ascii_pattern(sizes[i], (unsigned)i)
                                             : binary_pattern(sizes[i], (unsigned)i);
        echo_round(c, opcode, p, sizes[i]);
        free(p);
    }
    close_cleanly(c);
}

/* ---- 1: framing --------------------------------------------------------------------- */

TEST(c1_1_1, .id = "3.6.1.1.1", .title = "1.1.1 an empty text message is echoed (81 00)",
     .hint = HINT_FRAMING) {
    echo_sizes(OP_TEXT, (size_t[]){0}, 1);
}

TEST(c1_1_2, .id = "3.6.1.1.2",
     .title = "1.1.2 text messages of 125, 126, 127 and 128 bytes are echoed (the 7-bit / 16-bit "
              "length boundary)",
     .hint = HINT_FRAMING) {
    echo_sizes(OP_TEXT, (size_t[]){125, 126, 127, 128}, 4);
}

TEST(c1_1_3, .id = "3.6.1.1.3",
     .title = "1.1.3 text messages of 65535 and 65536 bytes are echoed (the 16-bit / 64-bit "
              "length boundary)",
     .hint = HINT_FRAMING) {
    echo_sizes(OP_TEXT, (size_t[]){65535, 65536}, 2);
}

TEST(c1_1_4, .id = "3.6.1.1.4",
     .title = "1.1.4 a 65536-byte text message sent in pieces of 997 bytes is echoed",
     .hint = HINT_FRAMING) {
    struct t_conn *c = connect_echo();
    unsigned char *p = ascii_pattern(65536, 4);
    struct bytes b = {0};
    add_frame(&b, FIN | OP_TEXT, p, 65536);
    send_chopped(c, &b, 997);
    expect_message(c, OP_TEXT, p, 65536);
    close_cleanly(c);
    bytes_free(&b);
    free(p);
}

/* Raw header bytes no valid frame has: the server must refuse each with
 * close 1002 (§5.1 masking, §5.2 minimal length, top bit). */
static void fail_raw(const unsigned char *bytes, size_t len, const char *what) {
    struct t_conn *c = connect_echo();
    t_note("sent %s", what);
    t_send(c, bytes, len);
    expect_fail(c, 1002);
}

TEST(c1_3_1, .id = "3.6.1.3.1",
     .title = "1.3.1 an unmasked frame, a length not in its shortest form, and a 64-bit length "
              "with its top bit set are each refused with close 1002",
     .hint = HINT_FRAMING "; RFC 6455 §5.1 (a client masks every frame), §5.2 (\"the minimal "
                          "number of bytes MUST be used\"; the most significant bit MUST be 0)") {
    static const unsigned char unmasked[] = {0x81, 0x02, 'h', 'i'};
    static const unsigned char len16_short[] = {0x81, 0xfe,    0x00,    0x05,    1,       2,      3,
                                                4,    'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1};
    static const unsigned char len64_short[] = {0x82, 0xff, 0,    0, 0, 0, 0,
                                                0,    0xff, 0xff, 1, 2, 3, 4};
    static const unsigned char len64_top[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4};
    fail_raw(unmasked, sizeof unmasked, "an unmasked text frame 81 02 \"hi\"");
    fail_raw(len16_short, sizeof len16_short,
             "a 5-byte payload with a 16-bit length (81 FE 00 05)");
    fail_raw(len64_short, sizeof len64_short,
             "a 65535-byte length in the 64-bit form (82 FF 00 00 00 00 00 00 FF FF)");
    fail_raw(len64_top, sizeof len64_top, "a 64-bit length with its top bit set (82 FF 80 ...)");
}

TEST(c1_2_1, .id = "3.6.1.2.1", .title = "1.2.1 an empty binary message is echoed (82 00)",
     .hint = HINT_FRAMING) {
    echo_sizes(OP_BINARY, (size_t[]){0}, 1);
}

TEST(c1_2_2, .id = "3.6.1.2.2",
     .title = "1.2.2 binary messages of 125, 126, 127 and 128 bytes are echoed",
     .hint = HINT_FRAMING) {
    echo_sizes(OP_BINARY, (size_t[]){125, 126, 127, 128}, 4);
}

TEST(c1_2_3, .id = "3.6.1.2.3",
     .title = "1.2.3 binary messages of 65535 and 65536 bytes are echoed", .hint = HINT_FRAMING) {
    echo_sizes(OP_BINARY, (size_t[]){65535, 65536}, 2);
}

TEST(c1_2_4, .id = "3.6.1.2.4",
     .title = "1.2.4 a 65536-byte binary message sent in pieces of 997 bytes is echoed",
     .hint = HINT_FRAMING) {
    struct t_conn *c = connect_echo();
    unsigned char *p = binary_pattern(65536, 4);
    struct bytes b = {0};
    add_frame(&b, FIN | OP_BINARY, p, 65536);
    send_chopped(c, &b, 997);
    expect_message(c, OP_BINARY, p, 65536);
    close_cleanly(c);
    bytes_free(&b);
    free(p);
}

/* ---- 2: pings and pongs ------------------------------------------------------------- */

TEST(c2_1, .id = "3.6.2.1", .title = "2.1 a ping without payload gets a pong without payload",
     .hint = HINT_PING) {
    struct t_conn *c = connect_echo();
    send_frame(c, FIN | OP_PING, NULL, 0);
    expect_pong(c, NULL, 0);
    close_cleanly(c);
}

TEST(c2_2, .id = "3.6.2.2",
     .title = "2.2 pings with a text payload and with a 125-byte binary payload get pongs with "
              "the same payload",
     .hint = HINT_PING) {
    struct t_conn *c = connect_echo();
    send_frame(c, FIN | OP_PING, S("Hello, pong"));
    expect_pong(c, S("Hello, pong"));
    unsigned char *p = binary_pattern(125, 2);
    send_frame(c, FIN | OP_PING, p, 125);
    expect_pong(c, p, 125);
    free(p);
    close_cleanly(c);
}

TEST(c2_3, .id = "3.6.2.3", .title = "2.3 a 125-byte ping sent one byte at a time gets its pong",
     .hint = HINT_PING) {
    struct t_conn *c = connect_echo();
    unsigned char *p = binary_pattern(125, 3);
    struct bytes b = {0};
    add_frame(&b, FIN | OP_PING, p, 125);
    send_chopped(c, &b, 1);
    expect_pong(c, p, 125);
    close_cleanly(c);
    bytes_free(&b);
    free(p);
}

TEST(c2_4, .id = "3.6.2.4",
     .title = "2.4 a ping of 126 bytes (over the 125 allowed) fails with 1002", .hint = HINT_PING) {
    unsigned char *p = binary_pattern(126, 4);
    fail_alone(FIN | OP_PING, p, 126, 1002);
    free(p);
}

TEST(c2_5, .id = "3.6.2.5",
     .title = "2.5 an unsolicited pong without payload is ignored; the next message is echoed",
     .hint = HINT_PING) {
    struct t_conn *c = connect_echo();
    send_frame(c, FIN | OP_PONG, NULL, 0);
    echo_round(c, OP_TEXT, S("after the pong"));
    close_cleanly(c);
}

TEST(c2_6, .id = "3.6.2.6",
     .title = "2.6 an unsolicited pong with a payload, then a ping: only the ping is answered",
     .hint = HINT_PING) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, FIN | OP_PONG, S("unsolicited"));
    add_frame(&b, FIN | OP_PING, S("solicited"));
    t_send(c, b.p, b.len);
    expect_pong(c, S("solicited"));
    close_cleanly(c);
    bytes_free(&b);
}

/* Ten pings with payloads "ping 0".."ping 9", then their pongs in order. */
static void ten_pings(size_t chunk) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof p, "ping %d", i);
        add_frame(&b, FIN | OP_PING, p, strlen(p));
    }
    if (chunk)
        send_chopped(c, &b, chunk);
    else
        t_send(c, b.p, b.len);
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof p, "ping %d", i);
        expect_pong(c, p, strlen(p));
    }
    close_cleanly(c);
    bytes_free(&b);
}

TEST(c2_7, .id = "3.6.2.7", .title = "2.7 ten pings in one write get ten pongs, in order",
     .hint = HINT_PING) {
    ten_pings(0);
}

TEST(c2_8, .id = "3.6.2.8",
     .title = "2.8 ten pings sent one byte at a time get ten pongs, in order", .hint = HINT_PING) {
    ten_pings(1);
}

/* ---- 3: reserved bits --------------------------------------------------------------- */

TEST(c3_1, .id = "3.6.3.1", .title = "3.1 a text frame with RSV1 set fails with 1002",
     .hint = HINT_RSV) {
    fail_alone(FIN | RSV1 | OP_TEXT, S("rsv1"), 1002);
}

TEST(c3_2, .id = "3.6.3.2",
     .title = "3.2 a valid text, then a text with RSV2, then a ping: the echo arrives, then "
              "close 1002 (no pong)",
     .hint = HINT_RSV) {
    struct t_conn *c = connect_echo();
    send_frame(c, FIN | OP_TEXT, S("valid"));
    expect_text(c, "valid");
    send_frame(c, FIN | RSV2 | OP_TEXT, S("rsv2"));
    send_frame(c, FIN | OP_PING, S("ping"));
    expect_fail(c, 1002);
}

TEST(c3_3, .id = "3.6.3.3",
     .title = "3.3 the same with RSV1+RSV2, all in one write: the echo, then close 1002",
     .hint = HINT_RSV) {
    fail_after_text(FIN | RSV1 | RSV2 | OP_TEXT, S("rsv3"), 1002);
}

TEST(c3_4, .id = "3.6.3.4",
     .title = "3.4 the same with RSV3, sent one byte at a time: the echo, then close 1002",
     .hint = HINT_RSV) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, FIN | OP_TEXT, S("valid"));
    add_frame(&b, FIN | RSV3 | OP_TEXT, S("rsv"));
    add_frame(&b, FIN | OP_PING, S("ping"));
    send_chopped(c, &b, 1);
    expect_text(c, "valid");
    expect_fail(c, 1002);
    bytes_free(&b);
}

TEST(c3_5, .id = "3.6.3.5", .title = "3.5 a binary frame with RSV1+RSV3 fails with 1002",
     .hint = HINT_RSV) {
    fail_after_text(FIN | RSV1 | RSV3 | OP_BINARY, S("\x00\xff\xfe"), 1002);
}

TEST(c3_6, .id = "3.6.3.6", .title = "3.6 a ping with RSV2+RSV3 fails with 1002 (no pong)",
     .hint = HINT_RSV) {
    fail_after_text(FIN | RSV2 | RSV3 | OP_PING, S("ping"), 1002);
}

TEST(c3_7, .id = "3.6.3.7",
     .title = "3.7 a close with RSV1+RSV2+RSV3 fails with 1002 (not answered as a close)",
     .hint = HINT_RSV) {
    fail_after_text(FIN | RSV1 | RSV2 | RSV3 | OP_CLOSE, S("\x03\xe8"), 1002);
}

/* ---- 4: opcodes ------------------------------------------------------------------- */

TEST(c4_1_1, .id = "3.6.4.1.1", .title = "4.1.1 a frame with the reserved opcode 3 fails with 1002",
     .hint = HINT_OPCODE) {
    fail_alone(FIN | 0x3, NULL, 0, 1002);
}

TEST(c4_1_2, .id = "3.6.4.1.2",
     .title = "4.1.2 after a valid text, a frame with opcode 4, 5, 6 or 7 (with a payload) fails "
              "with 1002",
     .hint = HINT_OPCODE) {
    for (unsigned op = 4; op <= 7; op++) {
        t_note("opcode %u", op);
        fail_after_text(FIN | op, S("reserved"), 1002);
    }
}

TEST(c4_2_1, .id = "3.6.4.2.1", .title = "4.2.1 a frame with the reserved opcode B fails with 1002",
     .hint = HINT_OPCODE) {
    fail_alone(FIN | 0xB, NULL, 0, 1002);
}

TEST(c4_2_2, .id = "3.6.4.2.2",
     .title = "4.2.2 after a valid text, a frame with opcode C, D, E or F (with a payload) fails "
              "with 1002",
     .hint = HINT_OPCODE) {
    for (unsigned op = 0xC; op <= 0xF; op++) {
        t_note("opcode %X", op);
        fail_after_text(FIN | op, S("reserved"), 1002);
    }
}

/* ---- 5: fragmentation --------------------------------------------------------------- */

TEST(c5_1, .id = "3.6.5.1", .title = "5.1 a ping in two fragments fails with 1002",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, OP_PING, S("frag"));
    add_frame(&b, FIN | OP_CONT, S("ment"));
    t_send(c, b.p, b.len);
    expect_fail(c, 1002);
    bytes_free(&b);
}

TEST(c5_2, .id = "3.6.5.2", .title = "5.2 a pong in two fragments fails with 1002",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, OP_PONG, S("frag"));
    add_frame(&b, FIN | OP_CONT, S("ment"));
    t_send(c, b.p, b.len);
    expect_fail(c, 1002);
    bytes_free(&b);
}

/* The frames of a text "fragment1fragment2" in two fragments, with a ping
 * between them if asked. */
static void two_fragments(struct bytes *b, bool ping) {
    add_frame(b, OP_TEXT, S("fragment1"));
    if (ping) add_frame(b, FIN | OP_PING, S("between"));
    add_frame(b, FIN | OP_CONT, S("fragment2"));
}

TEST(c5_3, .id = "3.6.5.3", .title = "5.3 a text in two fragments is echoed as one message",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    two_fragments(&b, false);
    t_send(c, b.p, b.len);
    expect_text(c, "fragment1fragment2");
    close_cleanly(c);
    bytes_free(&b);
}

TEST(c5_4, .id = "3.6.5.4",
     .title = "5.4 a text in two fragments sent one byte at a time is echoed as one message",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    two_fragments(&b, false);
    send_chopped(c, &b, 1);
    expect_text(c, "fragment1fragment2");
    close_cleanly(c);
    bytes_free(&b);
}

TEST(c5_5, .id = "3.6.5.5",
     .title = "5.5 a ping between two fragments is answered and the message still arrives",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    two_fragments(&b, true);
    t_send(c, b.p, b.len);
    expect_pong(c, S("between"));
    expect_text(c, "fragment1fragment2");
    close_cleanly(c);
    bytes_free(&b);
}

TEST(c5_6, .id = "3.6.5.6",
     .title = "5.6 the same sent one byte at a time: the pong, then the message",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    two_fragments(&b, true);
    send_chopped(c, &b, 1);
    expect_pong(c, S("between"));
    expect_text(c, "fragment1fragment2");
    close_cleanly(c);
    bytes_free(&b);
}

TEST(c5_7, .id = "3.6.5.7",
     .title = "5.7 a text in 100 fragments with a ping after every tenth: ten pongs, then the "
              "whole message",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    unsigned char *p = ascii_pattern(1000, 7);
    struct bytes b = {0};
    for (int i = 0; i < 100; i++) {
        add_frame(&b, (i == 99 ? FIN : 0) | (i ? OP_CONT : OP_TEXT), p + 10 * i, 10);
        if (i % 10 == 9 && i < 99) add_frame(&b, FIN | OP_PING, &"0123456789"[i / 10], 1);
    }
    t_send(c, b.p, b.len);
    for (int i = 0; i < 9; i++) expect_pong(c, &"0123456789"[i], 1);
    expect_message(c, OP_TEXT, p, 1000);
    close_cleanly(c);
    bytes_free(&b);
    free(p);
}

TEST(c5_8, .id = "3.6.5.8",
     .title = "5.8 a continuation with no message started (with FIN, or without) fails with 1002",
     .hint = HINT_FRAG) {
    fail_after_text(FIN | OP_CONT, S("orphan"), 1002);
    fail_after_text(OP_CONT, S("orphan"), 1002);
}

TEST(c5_9, .id = "3.6.5.9",
     .title = "5.9 a continuation with no message started, sent one byte at a time, fails with "
              "1002",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, OP_CONT, S("fragment1"));
    add_frame(&b, FIN | OP_CONT, S("fragment2"));
    send_chopped(c, &b, 1);
    expect_fail(c, 1002);
    bytes_free(&b);
}

TEST(c5_10, .id = "3.6.5.10",
     .title = "5.10 a new text or binary message inside a fragmented one fails with 1002",
     .hint = HINT_FRAG) {
    static const unsigned seconds[] = {FIN | OP_TEXT, OP_TEXT, FIN | OP_BINARY};
    for (int i = 0; i < 3; i++) {
        struct t_conn *c = connect_echo();
        struct bytes b = {0};
        add_frame(&b, i == 2 ? OP_BINARY : OP_TEXT, S("first"));
        add_frame(&b, seconds[i], S("second"));
        add_frame(&b, FIN | OP_CONT, S("end"));
        t_note("a %s fragment, then a %s frame%s", i == 2 ? "binary" : "text",
               opcode_name(seconds[i] & 15), seconds[i] & FIN ? " with FIN" : "");
        t_send(c, b.p, b.len);
        expect_fail(c, 1002);
        bytes_free(&b);
    }
}

TEST(c5_11, .id = "3.6.5.11", .title = "5.11 a close in two fragments fails with 1002",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, OP_CLOSE, S("\x03\xe8"));
    add_frame(&b, FIN | OP_CONT, S("bye"));
    t_send(c, b.p, b.len);
    expect_fail(c, 1002);
    bytes_free(&b);
}

TEST(c5_12, .id = "3.6.5.12",
     .title = "5.12 empty fragments: three empty ones make an empty text; empty ones around data "
              "change nothing; a binary in three fragments stays binary",
     .hint = HINT_FRAG) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, OP_TEXT, NULL, 0);
    add_frame(&b, OP_CONT, NULL, 0);
    add_frame(&b, FIN | OP_CONT, NULL, 0);
    add_frame(&b, OP_TEXT, NULL, 0);
    add_frame(&b, OP_CONT, S("data"));
    add_frame(&b, FIN | OP_CONT, NULL, 0);
    add_frame(&b, OP_BINARY, S("\x01"));
    add_frame(&b, OP_CONT, S("\x02"));
    add_frame(&b, FIN | OP_CONT, S("\x03"));
    t_send(c, b.p, b.len);
    expect_text(c, "");
    expect_text(c, "data");
    expect_message(c, OP_BINARY, S("\x01\x02\x03"));
    close_cleanly(c);
    bytes_free(&b);
}

TEST(c5_13, .id = "3.6.5.13",
     .title = "5.13 a close between the fragments of a message is answered; the unfinished "
              "message is never echoed",
     .hint = HINT_FRAG "; " HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, OP_TEXT, S("never finished"));
    add_close(&b, 1000, NULL, 0);
    add_frame(&b, FIN | OP_CONT, S("too late"));
    t_send(c, b.p, b.len);
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&b);
}

/* ---- 6: UTF-8 ------------------------------------------------------------------------ */

/* Texts in several scripts: accents, Greek, CJK, an emoji, U+FFFD and
 * U+10FFFF (UTF-8 written out by hand). */
static const char *const TEXTS[] = {
    "caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65",
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
    "\xe6\xbc\xa2\xe5\xad\x97 \xe3\x81\x8b\xe3\x81\xaa",
    "\xf0\x9f\x98\x80 smile \xf0\x9f\x8e\x89",
    "\xef\xbf\xbd\xf4\x8f\xbf\xbf",
};

TEST(c6_1, .id = "3.6.6.1",
     .title = "6.1 valid texts in several scripts (accents, Greek, CJK, emoji, U+FFFD, U+10FFFF) "
              "are echoed byte for byte",
     .hint = HINT_UTF8) {
    struct t_conn *c = connect_echo();
    for (size_t i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++)
        echo_round(c, OP_TEXT, TEXTS[i], strlen(TEXTS[i]));
    close_cleanly(c);
}

TEST(c6_2, .id = "3.6.6.2",
     .title = "6.2 a valid text in two fragments split at every byte (characters cut across "
              "fragments) is echoed each time",
     .hint = HINT_UTF8 "; a character may be cut between fragments: keep the validator's state") {
    struct t_conn *c = connect_echo();
    const char *text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
    size_t len = strlen(text);
    for (size_t k = 1; k < len; k++) {
        struct bytes b = {0};
        add_frame(&b, OP_TEXT, text, k);
        add_frame(&b, FIN | OP_CONT, text + k, len - k);
        t_note("split after byte %zu", k);
        t_send(c, b.p, b.len);
        expect_text(c, text);
        bytes_free(&b);
    }
    close_cleanly(c);
}

TEST(c6_3, .id = "3.6.6.3",
     .title = "6.3 valid texts sent as one fragment per byte are echoed whole",
     .hint = HINT_UTF8 "; a character may be cut between fragments: keep the validator's state") {
    struct t_conn *c = connect_echo();
    for (size_t i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++) {
        size_t len = strlen(TEXTS[i]);
        struct bytes b = {0};
        for (size_t k = 0; k < len; k++)
            add_frame(&b, (k == len - 1 ? FIN : 0) | (k ? OP_CONT : OP_TEXT), TEXTS[i] + k, 1);
        t_send(c, b.p, b.len);
        expect_text(c, TEXTS[i]);
        bytes_free(&b);
    }
    close_cleanly(c);
}

TEST(c6_4, .id = "3.6.6.4",
     .title = "6.4 the first and last code points of each UTF-8 length, and around the "
              "surrogates, are echoed",
     .hint = HINT_UTF8) {
    static const char *const edges[] = {
        "\x7f",         "\xc2\x80",     "\xdf\xbf",         "\xe0\xa0\x80",     "\xed\x9f\xbf",
        "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
    };
    struct t_conn *c = connect_echo();
    echo_round(c, OP_TEXT, "\0", 1); /* U+0000 */
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        echo_round(c, OP_TEXT, edges[i], strlen(edges[i]));
    close_cleanly(c);
}

/* Each text (on its own connection) fails with 1007 after a valid text. */
static void invalid_texts(const char *const *texts, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t_note("the text \"%s\"", t_escape(texts[i], strlen(texts[i]), 40));
        fail_after_text(FIN | OP_TEXT, texts[i], strlen(texts[i]), 1007);
    }
}

TEST(c6_5_1, .id = "3.6.6.5.1",
     .title = "6.5.1 overlong forms (C0 80, C1 BF, E0 80 80, E0 9F BF, F0 80 80 80, F0 8F BF BF) "
              "fail with 1007",
     .hint = HINT_UTF8) {
    invalid_texts((const char *const[]){"\xc0\x80", "a\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
                                        "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf"},
                  6);
}

TEST(c6_5_2, .id = "3.6.6.5.2",
     .title = "6.5.2 surrogates (ED A0 80, ED BF BF, a CESU-8 pair) fail with 1007",
     .hint = HINT_UTF8) {
    invalid_texts(
        (const char *const[]){"\xed\xa0\x80", "x\xed\xbf\xbfx", "\xed\xa0\xbd\xed\xb8\x80"}, 3);
}

TEST(c6_5_3, .id = "3.6.6.5.3",
     .title = "6.5.3 code points above U+10FFFF (F4 90 80 80, F7 BF BF BF) fail with 1007",
     .hint = HINT_UTF8) {
    invalid_texts((const char *const[]){"\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf"}, 2);
}

TEST(c6_5_4, .id = "3.6.6.5.4",
     .title = "6.5.4 the bytes F5-FF, which never appear in UTF-8, fail with 1007",
     .hint = HINT_UTF8) {
    for (unsigned b = 0xF5; b <= 0xFF; b++) {
        char text[4] = {'o', (char)b, 'k', 0};
        invalid_texts((const char *const[]){text}, 1);
    }
}

TEST(c6_5_5, .id = "3.6.6.5.5",
     .title = "6.5.5 stray continuation bytes (80, BF, one too many after a character) fail "
              "with 1007",
     .hint = HINT_UTF8) {
    invalid_texts((const char *const[]){"\x80", "ab\xbf", "\xc3\xa9\x80"}, 3);
}

TEST(c6_5_6, .id = "3.6.6.5.6",
     .title = "6.5.6 a character cut at the end of the message (C3, E2 82, F0 9F 98), or by "
              "ASCII, fails with 1007",
     .hint = HINT_UTF8 " (only at the end of the message can a cut character be judged)") {
    invalid_texts((const char *const[]){"ok\xc3", "ok\xe2\x82", "ok\xf0\x9f\x98", "\xe2\x82x"}, 4);
}

TEST(c6_5_7, .id = "3.6.6.5.7",
     .title = "6.5.7 twelve invalid texts from the generated table (vectors/utf8_vectors.h) fail "
              "with 1007",
     .hint = HINT_UTF8) {
    int done = 0;
    for (size_t i = 0; i < sizeof utf8_vecs / sizeof utf8_vecs[0] && done < 12; i += 7) {
        if (utf8_vecs[i].answer == UTF8_VEC_VALID) continue;
        t_note("vector %zu: \"%s\"", i, t_escape(utf8_vecs[i].bytes, utf8_vecs[i].len, 40));
        fail_after_text(FIN | OP_TEXT, utf8_vecs[i].bytes, utf8_vecs[i].len, 1007);
        done++;
    }
}

TEST(c6_6_1, .id = "3.6.6.6.1",
     .title = "6.6.1 fail fast: an invalid first fragment fails with 1007 before the rest of the "
              "message is sent",
     .hint = HINT_FAST) {
    struct t_conn *c = connect_echo();
    send_frame(c, OP_TEXT, S("invalid \xc0\x80 in the first fragment"));
    t_note("the rest of the message is never sent");
    expect_fail(c, 1007);
}

TEST(c6_6_2, .id = "3.6.6.6.2",
     .title = "6.6.2 fail fast: a valid fragment, then an invalid one (no FIN): 1007 at once",
     .hint = HINT_FAST) {
    struct t_conn *c = connect_echo();
    send_frame(c, OP_TEXT, S("valid "));
    send_frame(c, OP_CONT, S("\xed\xa0\x80 invalid"));
    t_note("the last fragment is never sent");
    expect_fail(c, 1007);
}

TEST(c6_6_3, .id = "3.6.6.6.3",
     .title = "6.6.3 fail fast inside a frame: the first 20 bytes of a 100-byte text frame, with "
              "FF at byte 10, fail with 1007 before the other 80 are sent",
     .hint = HINT_FAST) {
    struct t_conn *c = connect_echo();
    unsigned char *p = ascii_pattern(100, 1);
    p[10] = 0xFF;
    struct bytes b = {0};
    add_frame(&b, FIN | OP_TEXT, p, 100);
    t_note("only the header and 20 of the 100 payload bytes are sent");
    t_send(c, b.p, b.len - 80);
    expect_fail(c, 1007);
    bytes_free(&b);
    free(p);
}

TEST(c6_6_4, .id = "3.6.6.6.4",
     .title = "6.6.4 fail fast across fragments: F4 ends a fragment, 90 starts the next (above "
              "U+10FFFF): 1007 at once",
     .hint = HINT_FAST " (after F4 only 80-8F may follow)") {
    struct t_conn *c = connect_echo();
    send_frame(c, OP_TEXT, S("ok \xf4"));
    send_frame(c, OP_CONT, S("\x90\x80\x80 and more"));
    t_note("the last fragment is never sent");
    expect_fail(c, 1007);
}

TEST(c6_7, .id = "3.6.6.7",
     .title = "6.7 a close whose reason is not UTF-8 (C0 80, a surrogate, a cut character) fails "
              "with 1007",
     .hint = HINT_UTF8 "; RFC 6455 §5.5.1 (the reason is UTF-8)") {
    static const char *const reasons[] = {"\xc0\x80", "bad \xed\xa0\x80", "cut \xe2\x82"};
    for (int i = 0; i < 3; i++) {
        struct t_conn *c = connect_echo();
        t_note("the reason \"%s\"", t_escape(reasons[i], strlen(reasons[i]), 40));
        send_close(c, 1000, reasons[i], strlen(reasons[i]));
        expect_fail(c, 1007);
    }
}

/* ---- 7: closing ----------------------------------------------------------------------- */

TEST(c7_1_1, .id = "3.6.7.1.1",
     .title = "7.1.1 a close 1000 is answered with 1000 and the server closes TCP (the client "
              "never does)",
     .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    echo_round(c, OP_TEXT, S("before"));
    close_cleanly(c);
}

TEST(c7_1_2, .id = "3.6.7.1.2",
     .title = "7.1.2 a text sent after the close is ignored: only the close answer, then TCP "
              "closed",
     .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_close(&b, 1000, NULL, 0);
    add_frame(&b, FIN | OP_TEXT, S("after the close"));
    t_send(c, b.p, b.len);
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&b);
}

TEST(c7_1_3, .id = "3.6.7.1.3", .title = "7.1.3 a ping sent after the close is not answered",
     .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_close(&b, 1000, NULL, 0);
    add_frame(&b, FIN | OP_PING, S("after the close"));
    t_send(c, b.p, b.len);
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&b);
}

TEST(c7_1_4, .id = "3.6.7.1.4",
     .title = "7.1.4 a second close after the first gets no second answer", .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_close(&b, 1000, NULL, 0);
    add_close(&b, 1001, NULL, 0);
    t_send(c, b.p, b.len);
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&b);
}

TEST(c7_1_5, .id = "3.6.7.1.5",
     .title = "7.1.5 a ping then a close: the pong, then the close answer", .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    add_frame(&b, FIN | OP_PING, S("last ping"));
    add_close(&b, 1000, NULL, 0);
    t_send(c, b.p, b.len);
    expect_pong(c, S("last ping"));
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&b);
}

TEST(c7_1_6, .id = "3.6.7.1.6", .timeout = 15,
     .title = "7.1.6 a 256 KiB message, a ping and a close in one write: the echo, the pong, "
              "then the close answer",
     .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    unsigned char *p = ascii_pattern(256 << 10, 6);
    struct bytes b = {0};
    add_frame(&b, FIN | OP_TEXT, p, 256 << 10);
    add_frame(&b, FIN | OP_PING, S("ping"));
    add_close(&b, 1000, NULL, 0);
    t_send(c, b.p, b.len);
    expect_message(c, OP_TEXT, p, 256 << 10);
    expect_pong(c, S("ping"));
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    bytes_free(&b);
    free(p);
}

TEST(c7_3_1, .id = "3.6.7.3.1",
     .title = "7.3.1 an empty close is answered with an empty close (88 00), then TCP closed",
     .hint = HINT_CLOSE " (no code in, no code out: 1005 is never sent)") {
    struct t_conn *c = connect_echo();
    send_close(c, 0, NULL, 0);
    expect_close(c, 0);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
}

TEST(c7_3_2, .id = "3.6.7.3.2", .title = "7.3.2 a close with a 1-byte payload fails with 1002",
     .hint = HINT_CLOSE " (a payload, if any, starts with a 2-byte code)") {
    fail_alone(FIN | OP_CLOSE, S("\x03"), 1002);
}

TEST(c7_3_3, .id = "3.6.7.3.3",
     .title = "7.3.3 a close 1000 with a reason, and with a 123-byte reason (the most a control "
              "frame holds), is answered with 1000",
     .hint = HINT_CLOSE) {
    struct t_conn *c = connect_echo();
    send_close(c, 1000, S("done, thank you"));
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    c = connect_echo();
    unsigned char *reason = ascii_pattern(123, 3);
    send_close(c, 1000, reason, 123);
    expect_close(c, 1000);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
    free(reason);
}

TEST(c7_3_4, .id = "3.6.7.3.4",
     .title = "7.3.4 a close with a 124-byte reason (a payload of 126, over 125) fails with 1002",
     .hint = HINT_CLOSE "; RFC 6455 §5.5 (control frames: at most 125 bytes)") {
    unsigned char *reason = ascii_pattern(124, 4);
    struct t_conn *c = connect_echo();
    send_close(c, 1000, reason, 124);
    expect_fail(c, 1002);
    free(reason);
}

/* Each code on its own connection: answered with the same code. */
static void codes_echoed(const unsigned *codes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t_note("code %u", codes[i]);
        struct t_conn *c = connect_echo();
        send_close(c, codes[i], NULL, 0);
        expect_close(c, codes[i]);
        t_expect_closed(c, IO_MS);
        t_conn_close(c);
    }
}

/* Each code on its own connection: fails with 1002. */
static void codes_refused(const unsigned *codes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t_note("code %u", codes[i]);
        struct t_conn *c = connect_echo();
        unsigned char code[2] = {(unsigned char)(codes[i] >> 8), (unsigned char)codes[i]};
        send_frame(c, FIN | OP_CLOSE, code, 2); /* 0 too is sent as two bytes */
        expect_fail(c, 1002);
    }
}

TEST(c7_7_1, .id = "3.6.7.7.1",
     .title = "7.7.1 a close with 1000-1003 or 1007-1014 is answered with the same code",
     .hint = HINT_CLOSE) {
    codes_echoed(
        (const unsigned[]){1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014},
        12);
}

TEST(c7_7_2, .id = "3.6.7.7.2",
     .title = "7.7.2 a close with 3000, 3999, 4000 or 4999 (registered and private codes) is "
              "answered with the same code",
     .hint = HINT_CLOSE) {
    codes_echoed((const unsigned[]){3000, 3999, 4000, 4999}, 4);
}

TEST(c7_9_1, .id = "3.6.7.9.1",
     .title = "7.9.1 a close with 0, 999, 1004, 1005 or 1006 (never sent) fails with 1002",
     .hint = HINT_CLOSE) {
    codes_refused((const unsigned[]){0, 999, 1004, 1005, 1006}, 5);
}

TEST(c7_9_2, .id = "3.6.7.9.2",
     .title = "7.9.2 a close with 1015, 1016, 1100, 2000, 2999, 5000 or 65535 fails with 1002",
     .hint = HINT_CLOSE) {
    codes_refused((const unsigned[]){1015, 1016, 1100, 2000, 2999, 5000, 65535}, 7);
}

/* ---- 9: limits ------------------------------------------------------------------------ */

static void big_whole(unsigned opcode, const size_t *sizes, size_t n) {
    struct t_conn *c = connect_echo();
    for (size_t i = 0; i < n; i++) {
        t_note("a %s message of %zu bytes in one frame", opcode_name(opcode), sizes[i]);
        unsigned char *p = opcode == OP_TEXT ? ascii_pattern(sizes[i], (unsigned)i)
                                             : binary_pattern(sizes[i], (unsigned)i);
        echo_round(c, opcode, p, sizes[i]);
        free(p);
    }
    close_cleanly(c);
}

static void big_fragmented(unsigned opcode, size_t size, size_t fragment) {
    struct t_conn *c = connect_echo();
    unsigned char *p = opcode == OP_TEXT ? ascii_pattern(size, 9) : binary_pattern(size, 9);
    struct bytes b = {0};
    for (size_t at = 0; at < size; at += fragment)
        add_frame(&b, (at + fragment >= size ? FIN : 0) | (at ? OP_CONT : opcode), p + at,
                  size - at < fragment ? size - at : fragment);
    t_note("a %s message of %zu bytes in fragments of %zu", opcode_name(opcode), size, fragment);
    t_send(c, b.p, b.len);
    expect_message(c, opcode, p, size);
    close_cleanly(c);
    bytes_free(&b);
    free(p);
}

TEST(c9_1_1, .id = "3.6.9.1.1", .timeout = 20,
     .title = "9.1.1 text messages of 64 KiB, 256 KiB and 1 MiB in one frame are echoed",
     .hint = HINT_LIMIT) {
    big_whole(OP_TEXT, (size_t[]){64 << 10, 256 << 10, 1 << 20}, 3);
}

TEST(c9_1_2, .id = "3.6.9.1.2", .timeout = 20,
     .title = "9.1.2 a text message of 4 MiB in one frame is echoed", .hint = HINT_LIMIT) {
    big_whole(OP_TEXT, (size_t[]){4 << 20}, 1);
}

TEST(c9_1_3, .id = "3.6.9.1.3", .timeout = 40,
     .title = "9.1.3 a text message of 16 MiB (the limit) in one frame is echoed",
     .hint = HINT_LIMIT) {
    big_whole(OP_TEXT, (size_t[]){16 << 20}, 1);
}

TEST(c9_2_1, .id = "3.6.9.2.1", .timeout = 20,
     .title = "9.2.1 binary messages of 64 KiB, 256 KiB and 1 MiB in one frame are echoed",
     .hint = HINT_LIMIT) {
    big_whole(OP_BINARY, (size_t[]){64 << 10, 256 << 10, 1 << 20}, 3);
}

TEST(c9_2_2, .id = "3.6.9.2.2", .timeout = 20,
     .title = "9.2.2 a binary message of 4 MiB in one frame is echoed", .hint = HINT_LIMIT) {
    big_whole(OP_BINARY, (size_t[]){4 << 20}, 1);
}

TEST(c9_2_3, .id = "3.6.9.2.3", .timeout = 40,
     .title = "9.2.3 a binary message of 16 MiB (the limit) in one frame is echoed",
     .hint = HINT_LIMIT) {
    big_whole(OP_BINARY, (size_t[]){16 << 20}, 1);
}

TEST(c9_3_1, .id = "3.6.9.3.1", .timeout = 20,
     .title = "9.3.1 a 4 MiB text in fragments of 64 KiB is echoed as one message",
     .hint = HINT_LIMIT "; " HINT_FRAG) {
    big_fragmented(OP_TEXT, 4 << 20, 64 << 10);
}

TEST(c9_3_2, .id = "3.6.9.3.2", .timeout = 40,
     .title = "9.3.2 a 16 MiB text in fragments of 1 MiB is echoed as one message",
     .hint = HINT_LIMIT "; " HINT_FRAG) {
    big_fragmented(OP_TEXT, 16 << 20, 1 << 20);
}

TEST(c9_4_1, .id = "3.6.9.4.1", .timeout = 20,
     .title = "9.4.1 a 4 MiB binary in fragments of 64 KiB is echoed as one message",
     .hint = HINT_LIMIT "; " HINT_FRAG) {
    big_fragmented(OP_BINARY, 4 << 20, 64 << 10);
}

TEST(c9_4_2, .id = "3.6.9.4.2", .timeout = 40,
     .title = "9.4.2 a 16 MiB binary in fragments of 1 MiB is echoed as one message",
     .hint = HINT_LIMIT "; " HINT_FRAG) {
    big_fragmented(OP_BINARY, 16 << 20, 1 << 20);
}

TEST(c9_5_1, .id = "3.6.9.5.1",
     .title = "9.5.1 with --max-message 65536: 65536 bytes are echoed, 65537 fail with 1009",
     .hint = HINT_LIMIT) {
    server = echo_start("--max-message", "65536", NULL);
    struct t_conn *c = connect_echo();
    unsigned char *p = binary_pattern(65537, 1);
    echo_round(c, OP_BINARY, p, 65536);
    send_frame(c, FIN | OP_BINARY, p, 65537);
    expect_fail(c, 1009);
    free(p);
}

TEST(c9_5_2, .id = "3.6.9.5.2",
     .title = "9.5.2 with --max-message 65536: fragments of 40000 fail with 1009 as soon as the "
              "second pushes the total over, before the third is sent",
     .hint = HINT_LIMIT " (count the fragments together; fail at once, do not wait for FIN)") {
    server = echo_start("--max-message", "65536", NULL);
    struct t_conn *c = connect_echo();
    unsigned char *p = ascii_pattern(40000, 2);
    send_frame(c, OP_TEXT, p, 40000);
    send_frame(c, OP_CONT, p, 40000);
    t_note("the third fragment is never sent");
    expect_fail(c, 1009);
    free(p);
}

TEST(c9_6_1, .id = "3.6.9.6.1",
     .title = "9.6.1 a thousand 16-byte text messages in one write come back in order",
     .hint = HINT_FRAMING "; many frames may come in one read: handle them all") {
    struct t_conn *c = connect_echo();
    struct bytes b = {0};
    for (int i = 0; i < 1000; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "message %8d", i);
        add_frame(&b, FIN | OP_TEXT, msg, 16);
    }
    t_send(c, b.p, b.len);
    for (int i = 0; i < 1000; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "message %8d", i);
        expect_text(c, msg);
    }
    close_cleanly(c);
    bytes_free(&b);
}

/* ---- 10: a message in many fragments ---------------------------------------------------- */

TEST(c10_1_1, .id = "3.6.10.1.1", .timeout = 20,
     .title = "10.1.1 a 64 KiB text in 65536 fragments of 1 byte is echoed as one message",
     .hint = HINT_FRAG) {
    big_fragmented(OP_TEXT, 64 << 10, 1);
}

TEST(c10_1_2, .id = "3.6.10.1.2",
     .title = "10.1.2 a 64 KiB text in fragments of 64 bytes is echoed as one message",
     .hint = HINT_FRAG) {
    big_fragmented(OP_TEXT, 64 << 10, 64);
}

TEST(c10_1_3, .id = "3.6.10.1.3",
     .title = "10.1.3 a 1 MiB binary in fragments of 4096 bytes is echoed as one message",
     .hint = HINT_FRAG) {
    big_fragmented(OP_BINARY, 1 << 20, 4096);
}
