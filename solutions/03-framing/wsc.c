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

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable or deadline (monotonic ms) passes. Returns 1
 * if readable (or at end of stream), 0 on timeout, -1 on error. */
static int wait_readable(int fd, long long deadline) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    for (;;) {
        long long left = deadline - monotonic_ms();
        int n = poll(&pfd, 1, left > 0 ? (int)left : 0);
        if (n >= 0) return n > 0;
        if (errno != EINTR) return -1;
    }
}

/* ---- the opening handshake ------------------------------------------------- */

/* Sends the upgrade request and reads the answer into answer[0..*len).
 * Returns the answer's head length (the bytes after it are the first
 * frames), or -1 after saying on stderr why the handshake failed. */
static int handshake(int fd, const struct ws_url *url, const char *protocols, int timeout_ms,
                     char *answer, size_t *len) {
    char key[25], storage[2048];
    struct buf request;
    buf_init(&request, storage, sizeof storage);
    const char *why = NULL;
    if (client_make_key(key) < 0)
        why = "cannot make a key (getrandom)";
    else if (client_request(&request, url, key, protocols) < 0)
        why = "cannot write the request";
    else if (net_write_all(fd, request.data, request.len) < 0)
        why = strerror(errno);

    long long deadline = monotonic_ms() + timeout_ms;
    struct client_answer ans = {0};
    int head = 0;
    *len = 0;
    /* client_answer() decides within 8 KiB, so answer never fills up. */
    while (why == NULL && head == 0) {
        int ready = wait_readable(fd, deadline);
        if (ready <= 0) {
            why = ready == 0 ? "no answer in time" : strerror(errno);
            break;
        }
        ssize_t n = net_read(fd, answer + *len, ANSWER_MAX - *len);
        if (n <= 0) {
            why = n == 0 ? "the server closed the connection before answering" : strerror(errno);
            break;
        }
        *len += (size_t)n;
        if ((head = client_answer(answer, *len, key, protocols, &ans)) < 0) why = ans.error;
    }
    /* A refusal is best explained by its status line ("HTTP/1.1 404 Not
     * Found"); a 101 that breaks a rule, by the rule. */
    if (why == NULL && ans.error != NULL) why = ans.status != 101 ? ans.status_line : ans.error;
    if (why != NULL) {
        fprintf(stderr, "wsc: handshake failed: %s\n", why);
        return -1;
    }
    return head;
}

/* ---- the conversation ------------------------------------------------------ */

/* Where the conversation is. Our close is not sent at the end of stdin at
 * once: the answers to the last lines may still be on their way, and once
 * our close is out, ws drops the messages that arrive (RFC 6455 §1.4 — as
 * a browser does after ws.close()). So first a ping with a payload of our
 * own: a server answers frames in order, so when its pong comes back,
 * everything it sent in answer to our messages has come before it. */
enum phase {
    TALKING,  /* stdin lines become messages */
    DRAINING, /* stdin is over; waiting for the pong to our last ping */
    CLOSING,  /* our close is sent; waiting for the server's */
};

struct client {
    int fd;
    struct ws ws;
    bool broken; /* a read or write failed: the connection is lost */
    bool binary;
    char *line; /* the stdin line read so far */
    size_t line_len, line_cap;
    enum phase phase;
    char last_ping[25]; /* DRAINING: the payload of our last ping */
    bool drained;       /* ...and its pong has come back */
};

/* cfg.write: ws's frames (already masked) go straight to the socket. */
static int write_to_server(void *arg, const void *data, size_t len) {
    struct client *cl = arg;
    if (cl->broken || net_write_all(cl->fd, data, len) < 0) {
        cl->broken = true;
        return -1;
    }
    return 0;
}

/* cfg.on_event: one line on stdout per event. Pings were answered by ws. */
static void print_event(void *arg, struct ws *ws, const struct ws_event *ev) {
    struct client *cl = arg;
    (void)ws;
    switch (ev->type) {
    case WS_EV_TEXT:
        fwrite(ev->data, 1, ev->len, stdout);
        break;
    case WS_EV_BINARY:
        fputs("binary: ", stdout);
        for (size_t i = 0; i < ev->len; i++) printf("%02x", ev->data[i]);
        break;
    case WS_EV_PONG:
        if (cl->phase == DRAINING && ev->len == strlen(cl->last_ping) &&
            memcmp(ev->data, cl->last_ping, ev->len) == 0) {
            cl->drained = true; /* our own: not for the user */
            return;
        }
        fputs("pong: ", stdout);
        fwrite(ev->data, 1, ev->len, stdout);
        break;
    case WS_EV_CLOSE:
        printf("close: %u ", (unsigned)ev->code);
        fwrite(ev->data, 1, ev->len, stdout);
        break;
    case WS_EV_PING:
    case WS_EV_FRAME:
        return;
    }
    putchar('\n');
    fflush(stdout); /* now, even into a pipe: someone may be waiting for it */
}

/* Sends one line as a message. Returns 0, or -1 if it could not be sent. */
static int send_line(struct client *cl, const char *line, size_t len) {
    unsigned opcode = cl->binary ? WS_OP_BINARY : WS_OP_TEXT;
    if (ws_send(&cl->ws, opcode, line, len) == 0) return 0;
    if (!cl->broken) fprintf(stderr, "wsc: ws_send refused a message of %zu bytes\n", len);
    return -1;
}

/* Adds a piece of a line to cl->line, growing it up to LINE_MAX_BYTES.
 * Returns 0, or -1 if the line is too long or memory runs out. */
static int keep_line(struct client *cl, const char *data, size_t len) {
    if (len > LINE_MAX_BYTES - cl->line_len) {
        fprintf(stderr, "wsc: a line of stdin is over %u bytes\n", LINE_MAX_BYTES);
        return -1;
    }
    if (cl->line_len + len > cl->line_cap) {
        size_t cap = cl->line_cap > 0 ? cl->line_cap : 4096;
        while (cap < cl->line_len + len) cap *= 2;
        char *line = realloc(cl->line, cap);
        if (line == NULL) {
            fprintf(stderr, "wsc: out of memory\n");
            return -1;
        }
        cl->line = line;
        cl->line_cap = cap;
    }
    memcpy(cl->line + cl->line_len, data, len);
    cl->line_len += len;
    return 0;
}

/* Splits what stdin gave into lines and sends each complete one; the
 * unfinished rest waits in cl->line. Returns 0, or -1. */
static int send_lines(struct client *cl, const char *data, size_t len) {
    const char *nl;
    while ((nl = memchr(data, '\n', len)) != NULL) {
        size_t n = (size_t)(nl - data);
        if (cl->line_len == 0) {
            if (send_line(cl, data, n) < 0) return -1; /* no copy needed */
        } else {
            if (keep_line(cl, data, n) < 0 || send_line(cl, cl->line, cl->line_len) < 0) return -1;
            cl->line_len = 0;
        }
        len -= n + 1;
        data = nl + 1;
    }
    return len > 0 ? keep_line(cl, data, len) : 0;
}

/* Reads stdin once; at its end sends the last unfinished line. Returns 1
 * while stdin is open, 0 at its end, -1 on an error. */
static int read_stdin(struct client *cl) {
    char in[READ_CHUNK];
    ssize_t n = net_read(STDIN_FILENO, in, sizeof in);
    if (n > 0) return send_lines(cl, in, (size_t)n) < 0 ? -1 : 1;
    if (n < 0) fprintf(stderr, "wsc: reading stdin: %s\n", strerror(errno));
    if (cl->line_len > 0 && send_line(cl, cl->line, cl->line_len) < 0) return -1;
    return n < 0 ? -1 : 0;
}

/* The end of stdin: the ping that the server's last answers come before
 * (§5.5.2: a pong answers a ping "as soon as practical", after what came
 * first). A fresh random key makes a payload no one else sends. */
static void start_draining(struct client *cl) {
    cl->phase = DRAINING;
    if (client_make_key(cl->last_ping) < 0 ||
        ws_send(&cl->ws, WS_OP_PING, cl->last_ping, strlen(cl->last_ping)) < 0)
        cl->drained = true; /* no ping, nothing to wait for */
}

/* §7.1.2: start the closing handshake; the server answers with its own. */
static void start_closing(struct client *cl, int close_code) {
    cl->phase = CLOSING;
    ws_close(&cl->ws, (uint16_t)close_code, NULL, 0);
}

/* Reads the socket once and feeds ws. Returns 0, or -1 if it ended. */
static int read_server(struct client *cl) {
    char in[READ_CHUNK];
    ssize_t n = net_read(cl->fd, in, sizeof in);
    if (n <= 0) {
        cl->broken = true;
        return -1;
    }
    ws_feed(&cl->ws, in, (size_t)n);
    return 0;
}

/* After both closes: the server closes TCP first (§7.1.1); give it until
 * deadline to do so, dropping anything it still sends. */
static void wait_for_server_to_close(int fd, long long deadline) {
    char sink[READ_CHUNK];
    for (int i = 0; i < 1024 && wait_readable(fd, deadline) > 0; i++)
        if (net_read(fd, sink, sizeof sink) <= 0) return;
}

/* Runs the connection until the closing handshake is over or fails.
 * Returns the exit status. */
static int converse(struct client *cl, const struct options *o) {
    struct pollfd fds[2] = {{.fd = cl->fd, .events = POLLIN},
                            {.fd = STDIN_FILENO, .events = POLLIN}};
    long long deadline = -1; /* for the server's pong, then for its close */
    while (!cl->broken && (ws_state(&cl->ws) == WS_OPEN || ws_state(&cl->ws) == WS_CLOSING)) {
        if (cl->phase == DRAINING && cl->drained) {
            start_closing(cl, o->close_code);
            deadline = monotonic_ms() + o->timeout_ms;
        }
        int timeout = -1; /* while TALKING, no limit: stdin is a person, maybe */
        if (cl->phase != TALKING) {
            long long left = deadline - monotonic_ms();
            if (left <= 0 && cl->phase == CLOSING) {
                fprintf(stderr, "wsc: no close from the server within %d ms\n", o->timeout_ms);
                return EXIT_UNCLEAN;
            }
            if (left <= 0) { /* no pong: close all the same */
                cl->drained = true;
                continue;
            }
            timeout = (int)left;
        }
        nfds_t nfds = cl->phase == TALKING ? 2 : 1;
        int ready = poll(fds, nfds, timeout);
        if (ready < 0 && errno != EINTR) return EXIT_UNCLEAN;
        if (ready <= 0) continue;
        if (fds[0].revents != 0 && read_server(cl) < 0) break;
        /* The server's close may have come in just now: then stdin waits. */
        if (nfds == 2 && fds[1].revents != 0 && ws_state(&cl->ws) == WS_OPEN) {
            int r = read_stdin(cl);
            if (r < 0 && !cl->broken) return EXIT_UNCLEAN; /* it said why */
            if (r == 0) {
                start_draining(cl);
                deadline = monotonic_ms() + o->timeout_ms;
            }
        }
    }
    /* (A write that fails leaves ws in WS_FAILED too: ask about that first.) */
    if (cl->broken || ws_state(&cl->ws) == WS_OPEN || ws_state(&cl->ws) == WS_CLOSING) {
        fprintf(stderr, "wsc: connection lost\n");
        return EXIT_UNCLEAN;
    }
    if (ws_state(&cl->ws) == WS_FAILED) {
        fprintf(stderr, "wsc: the server broke the protocol; connection failed\n");
        return EXIT_UNCLEAN;
    }
    wait_for_server_to_close(cl->fd, monotonic_ms() + o->timeout_ms);
    return EXIT_CLOSED;
}

/* Connects, runs the handshake and the conversation. Returns the exit status. */
static int run(const struct options *o, const struct ws_url *url) {
    int fd = net_connect(url->host, url->port, o->timeout_ms);
    if (fd < 0) {
        fprintf(stderr, "wsc: cannot connect to %s:%d: %s\n", url->host, url->port,
                strerror(errno));
        return EXIT_USAGE;
    }
    char answer[ANSWER_MAX];
    size_t len;
    int head = handshake(fd, url, o->protocols, o->timeout_ms, answer, &len);
    if (head < 0) {
        close(fd);
        return EXIT_REFUSED;
    }

    struct client cl = {.fd = fd, .binary = o->binary != 0};
    struct ws_config cfg = {
        .role = WS_CLIENT,
        .close_timeout_ms = o->timeout_ms,
        .on_event = print_event,
        .write = write_to_server,
        .arg = &cl,
    };
    ws_init(&cl.ws, &cfg);
    /* Frames the server sent right behind its 101 came with it. */
    if ((size_t)head < len) ws_feed(&cl.ws, answer + head, len - (size_t)head);
    if (o->ping != NULL) ws_send(&cl.ws, WS_OP_PING, o->ping, strlen(o->ping));
    int status = converse(&cl, o);
    ws_free(&cl.ws);
    free(cl.line);
    close(fd);
    return status;
}

int main(int argc, char **argv) {
    struct options o;
    read_options(argc, argv, &o);
    /* A server that goes away while we write must give EPIPE, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    if (strncasecmp(o.url, "wss://", 6) == 0) {
        fprintf(stderr, "wsc: wss:// needs TLS (Lab 7)\n");
        return EXIT_USAGE;
    }
    struct ws_url url;
    if (client_parse_url(o.url, &url) < 0) {
        fprintf(stderr, "wsc: bad URL '%s' (expected ws://HOST[:PORT][/PATH])\n", o.url);
        return EXIT_USAGE;
    }
    if (o.close_code != 0 && !ws_close_code_valid((uint16_t)o.close_code)) {
        fprintf(stderr, "wsc: --close %d: a code that may not be sent (RFC 6455 §7.4)\n",
                o.close_code);
        return EXIT_USAGE;
    }
    return run(&o, &url);
}
