/*
 * wsc — a command-line WebSocket client.
 *
 *   wsc [--binary] [--ping TEXT] [--close CODE] [--protocol LIST]
 *       [--timeout-ms N] ws://HOST[:PORT][/PATH]
 *
 * Each line of stdin (without its "\n") goes out as a text message (binary
 * with --binary); everything that arrives is printed, one line each:
 *
 *   hello                 a text message
 *   binary: 68656c6c6f    a binary message, in hex
 *   pong: TEXT            a pong
 *   close: 1000 bye       the server's close: code (1005: none) and reason
 *
 * At the end of stdin wsc waits for the answers to its last lines (it sends
 * a ping: the pong comes after them), then starts the closing handshake and
 * waits for the server's close.
 *
 * Exit status: 0 the closing handshake completed (whoever started it);
 * 1 the opening handshake was refused or invalid; 2 a bad option or URL,
 * or no connection; 3 the connection ended any other way (a protocol
 * error, no answer in time, the connection lost).
 *
 * One thread does everything: poll() waits on stdin and the socket at once,
 * so a message from the server is printed while you are still typing.
 * Writes block (a line at a time is small); Lab 4 brings non-blocking
 * connections with an outbound queue.
 *
 *   connect ─► handshake (client.c) ─► ws (client role)
 *     stdin line ─► ws_send()           socket ─► ws_feed() ─► events ─► stdout
 *     stdin EOF  ─► ping ... its pong ─► ws_close() ... the server's close ─► exit
 *
 * Lab 3, task 5. Read: TUTORIAL §3.9; RFC 6455 §4.1, §5.3 (a client masks
 * every frame), §7.1 (closing).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "net.h"
#include "ws.h"

/* Exit statuses. */
#define EXIT_CLOSED    0 /* the closing handshake completed */
#define EXIT_REFUSED   1 /* the opening handshake failed */
#define EXIT_USAGE     2 /* bad option or URL, or no connection */
#define EXIT_UNCLEAN   3 /* protocol error, timeout, connection lost */
#define READ_CHUNK     16384
#define ANSWER_MAX     16384 /* the 101 (at most 8 KiB) and any frames behind it */
#define LINE_MAX_BYTES WS_DEFAULT_MAX_MESSAGE

struct options {
    int binary;
    const char *ping;
    int close_code;
    const char *protocols;
    int timeout_ms;
    const char *url;
};

/* Reads the options; on a bad one says why and exits 2. */
static void read_options(int argc, char **argv, struct options *o) {
    *o = (struct options){.close_code = WS_CLOSE_NORMAL, .timeout_ms = 5000};
    const struct cli_option opts[] = {
        {"--binary", CLI_FLAG, &o->binary, "send each line as a binary message"},
        {"--ping", CLI_STR, &o->ping, "send a ping with TEXT after the handshake"},
        {"--close", CLI_INT, &o->close_code, "the code of our close (default 1000; 0: none)"},
        {"--protocol", CLI_STR, &o->protocols, "subprotocols to offer, comma-separated"},
        {"--timeout-ms", CLI_INT, &o->timeout_ms,
         "how long to wait to connect, for the handshake and for the closing (default 5000)"},
        {NULL, CLI_FLAG, NULL, NULL},
    };
    const char *usage = "wsc [--binary] [--ping TEXT] [--close CODE] [--protocol LIST] "
                        "[--timeout-ms N] ws://HOST[:PORT][/PATH]";
    int rest = cli_parse(argc, argv, opts, usage);
    if (rest != argc - 1) {
        fprintf(stderr, "usage: %s\n", usage);
        exit(EXIT_USAGE);
    }
    o->url = argv[rest];
    if (o->ping != NULL && strlen(o->ping) > WS_CONTROL_MAX) {
        fprintf(stderr, "wsc: --ping: at most %d bytes (a control frame, RFC 6455 §5.5)\n",
                WS_CONTROL_MAX);
        exit(EXIT_USAGE);
    }
    if (o->timeout_ms < 1 || o->close_code < 0 || o->close_code > 65535) {
        fprintf(stderr, "wsc: --timeout-ms must be at least 1, --close 0..65535\n");
        exit(EXIT_USAGE);
    }
}

int main(int argc, char **argv) {
    struct options o;
    read_options(argc, argv, &o);
    /* TODO(handout step 5.4): ignore SIGPIPE (a server that goes away while
     * we write must give EPIPE, not kill us). The URL: "wss://" → "wsc:
     * wss:// needs TLS (Lab 7)", EXIT_USAGE; client_parse_url() fails →
     * "wsc: bad URL ...", EXIT_USAGE. net_connect() within o.timeout_ms;
     * failure → "wsc: cannot connect to HOST:PORT: <strerror>", EXIT_USAGE.
     * The handshake: client_make_key(), client_request(), net_write_all();
     * then read (poll, all within o.timeout_ms) into a buffer of ANSWER_MAX
     * bytes, calling client_answer() on everything so far until it is not
     * 0. Refused or invalid → "wsc: handshake failed: " and the status line
     * (for an answer that is not a 101) or ans.error; EXIT_REFUSED.
     * RFC 6455 §4.1. */
    /* TODO(handout step 5.4, continued): ws_init() a struct ws for
     * WS_CLIENT: its write function net_write_all()s to the socket, its
     * on_event prints one line per event and fflush()es stdout: a text
     * message as is; "binary: " and the bytes in lowercase hex; "pong: "
     * and the payload; "close: CODE REASON" (ev->code is 1005 if the close
     * had none); nothing for a ping (ws answered it). Feed ws the bytes
     * that came after the answer's head. --ping: ws_send() a WS_OP_PING
     * with o.ping. Then loop: poll() the socket and stdin together. The
     * socket: net_read() up to READ_CHUNK bytes, ws_feed() them; 0 or less:
     * the connection is lost. stdin: split what comes into lines at '\n'
     * (a line may come in pieces: keep them, at most LINE_MAX_BYTES, in a
     * growing buffer) and ws_send() each line without its '\n':
     * WS_OP_BINARY with o.binary, else WS_OP_TEXT. */
    /* TODO(handout step 5.5): the end of stdin. Send what is left of a last
     * line without '\n'. Then do not close at once: once our close is sent,
     * ws drops the messages that arrive (RFC 6455 §1.4), and the echoes of
     * the last lines may still be on their way. So send a ping with a
     * payload of your own (a fresh client_make_key() will do), stop reading
     * stdin, and wait (at most o.timeout_ms) for the pong with that payload
     * — do not print that one: the server answers in order, so everything
     * before it has arrived. Then ws_close() with o.close_code (checked at
     * the start: 0, or a code ws_close_code_valid() allows, else
     * EXIT_USAGE) and wait, at most o.timeout_ms, for the server's close:
     * it comes as WS_EV_CLOSE and ws moves to WS_CLOSED. The server closes
     * TCP first (§7.1.1): read until end of stream, at most o.timeout_ms
     * more. Exit EXIT_CLOSED if the state is WS_CLOSED (also when the
     * server started the closing handshake), else EXIT_UNCLEAN with a word
     * on stderr: no close in time, the connection lost, or the server broke
     * the protocol (WS_FAILED). */
    fprintf(stderr, "wsc: not implemented yet (TODO in wsc.c)\n");
    return EXIT_USAGE;
}
