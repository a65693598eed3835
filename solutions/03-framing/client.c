/*
 * client — the client side of the opening handshake (see client.h).
 *
 * Lab 2 wrote the server's half; this is the mirror image. The client
 *
 *   1. reads the URI:  ws://127.0.0.1:8003/echo?x=1
 *                      └┬┘ └───┬───┘ └┬─┘└───┬───┘
 *                    scheme   host   port  resource name (§3)
 *   2. makes a key: 16 random bytes in base64 — a fresh one per connection,
 *      so that no cache can have seen the answer before (§4.1, §10.3);
 *   3. sends the upgrade request;
 *   4. reads the answer and checks it, because a client that speaks
 *      WebSocket to something that only looks like a WebSocket server
 *      (a proxy's error page, a cache's stale 101) would misread every byte
 *      that follows.
 *
 * The answer is read with a small parser of its own rather than Lab 1's
 * request parser: a response head has a status line instead of a request
 * line, and everything else is simple enough to check line by line. It is
 * strict (CRLF only, no folded lines): a WebSocket server has no excuse for
 * a sloppy head, and a strict reader has fewer corners to get wrong.
 *
 * Lab 3, task 5. Read: TUTORIAL §3.9; RFC 6455 §3, §4.1, §4.2.2; RFC 9112
 * §4 (the status line), §5 (field lines).
 */
#include "client.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base64.h"

#define KEY_BYTES  16   /* a Sec-WebSocket-Key is the base64 of 16 bytes (§4.1) */
#define MAX_ANSWER 8192 /* the most bytes of response head we read */
#define SCHEME     "ws://"
#define SCHEME_LEN 5
#define PORT_MAX   65535

/* ---- step 1: the URI ------------------------------------------------------ */

/* A host is a name or an IPv4 address: letters, digits, '-' and '.'
 * (RFC 3986 §3.2.2; the kit needs no IPv6 literals). */
static bool host_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.';
}

/* The resource name goes into the request line as is, so it may hold no
 * space, control character or non-ASCII byte (those must be %-encoded), and
 * no '#': a ws URI has no fragment (§3). */
static bool path_char(char ch) {
    return ch > ' ' && ch < 0x7f && ch != '#';
}

/* Reads the digits of a port, 1..65535, up to end. Returns it, or -1. */
static int parse_port(const char *p, const char *end) {
    if (p == end) return -1;
    long port = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return -1;
        port = port * 10 + (*p - '0');
        if (port > PORT_MAX) return -1;
    }
    return port >= 1 ? (int)port : -1;
}

int client_parse_url(const char *url, struct ws_url *out) {
    memset(out, 0, sizeof *out);
    /* The scheme is case-insensitive (RFC 3986 §3.1); wss:// needs TLS. */
    if (strncasecmp(url, SCHEME, SCHEME_LEN) != 0) return -1;
    const char *host = url + SCHEME_LEN, *p = host;
    while (host_char(*p)) p++;
    size_t host_len = (size_t)(p - host);
    if (host_len == 0 || host_len >= sizeof out->host) return -1;
    memcpy(out->host, host, host_len);

    out->port = 80; /* the default port of ws:// (§3) */
    if (*p == ':') {
        const char *digits = ++p;
        while (*p >= '0' && *p <= '9') p++;
        if ((out->port = parse_port(digits, p)) < 0) return -1;
    }
    /* What is left is the resource name: "/" if empty; a bare "?query"
     * gets its "/" too (§3: path, then "?" and the query). */
    if (*p != '\0' && *p != '/' && *p != '?') return -1;
    size_t rest = strlen(p);
    bool add_slash = *p != '/';
    if (rest + add_slash >= sizeof out->path) return -1;
    for (size_t i = 0; i < rest; i++)
        if (!path_char(p[i])) return -1;
    if (add_slash) out->path[0] = '/';
    memcpy(out->path + add_slash, p, rest + 1);
    return 0;
}

/* ---- step 2: the key and the request -------------------------------------- */

int client_make_key(char key[25]) {
    unsigned char nonce[KEY_BYTES];
    /* getrandom() returns all of a request this small at once, unless a
     * signal interrupts it first. */
    ssize_t n;
    do {
        n = getrandom(nonce, sizeof nonce, 0);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof nonce) {
        key[0] = '\0';
        return -1;
    }
    base64_encode(nonce, sizeof nonce, key);
    return 0;
}

int client_request(struct buf *out, const struct ws_url *url, const char *key,
                   const char *protocols) {
    /* A list that would break the head (CR, LF) is refused, not sent. */
    for (const char *p = protocols; p != NULL && *p != '\0'; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f) return -1;
    int r = buf_printf(out, "GET %s HTTP/1.1\r\n", url->path);
    /* Host carries the port unless it is the scheme's default (§4.1 item 4). */
    if (url->port == 80)
        r |= buf_printf(out, "Host: %s\r\n", url->host);
    else
        r |= buf_printf(out, "Host: %s:%d\r\n", url->host, url->port);
    r |= buf_printf(out,
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Sec-WebSocket-Key: %s\r\n"
                    "Sec-WebSocket-Version: 13\r\n",
                    key);
    if (protocols != NULL && protocols[0] != '\0')
        r |= buf_printf(out, "Sec-WebSocket-Protocol: %s\r\n", protocols);
    r |= buf_puts(out, "\r\n");
    return r == 0 ? 0 : -1;
}

/* ---- step 3: reading the answer ------------------------------------------- */

/* What the header fields of the answer said, gathered before judging. */
struct fields {
    int upgrade;            /* Upgrade fields */
    bool upgrade_ok;        /* ...and the one there is says "websocket" */
    bool connection_ok;     /* some Connection field holds the token "Upgrade" */
    int accept;             /* Sec-WebSocket-Accept fields */
    bool accept_ok;         /* ...and the one there is matches the key */
    int protocol;           /* Sec-WebSocket-Protocol fields */
    struct http_str chosen; /* ...the value of the last one */
    bool extensions;        /* a Sec-WebSocket-Extensions field */
};

/* Finds the next line at buf[*pos..len). Returns 1 with the line (without
 * its CRLF) in *line, 0 if it is not complete yet, -1 if it ends in a bare
 * LF. A bare CR inside a line is caught later as a control character. */
static int next_line(const char *buf, size_t len, size_t *pos, struct http_str *line) {
    const char *start = buf + *pos;
    const char *lf = memchr(start, '\n', len - *pos);
    if (lf == NULL) return 0;
    if (lf == start || lf[-1] != '\r') return -1;
    *line = (struct http_str){start, (size_t)(lf - 1 - start)};
    *pos = (size_t)(lf + 1 - buf);
    return 1;
}

/* Field values and reason phrases: visible characters, spaces, tabs and
 * bytes >= 0x80 (RFC 9110 §5.5); no other control character. */
static bool text_ok(struct http_str s) {
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if ((ch < ' ' && ch != '\t') || ch == 0x7f) return false;
    }
    return true;
}

/* "HTTP/1.1 101 Switching Protocols" (RFC 9112 §4): the version, a space,
 * three digits, and a space before the reason, which may be empty. */
static int parse_status_line(struct http_str line, struct client_answer *ans) {
    size_t keep = line.len < sizeof ans->status_line ? line.len : sizeof ans->status_line - 1;
    memcpy(ans->status_line, line.p, keep);
    ans->status_line[keep] = '\0';
    const char *p = line.p;
    if (line.len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ')
        return -1;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        status = status * 10 + (p[i] - '0');
    }
    if (status < 100 || (line.len > 12 && p[12] != ' ') || !text_ok(line)) return -1;
    /* A 101 exists only in HTTP/1.1 (RFC 9110 §15.2.2). */
    if (status == 101 && p[7] != '1') return -1;
    ans->status = status;
    return 0;
}

/* A field name is a token (RFC 9110 §5.6.2): no space, separator or
 * control character. */
static bool token_char(char ch) {
    return ch > ' ' && ch < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", ch) == NULL;
}

static bool name_is(struct http_str name, const char *text) {
    return name.len == strlen(text) && strncasecmp(name.p, text, name.len) == 0;
}

/* Does a comma-separated value hold token (case-insensitive)? */
static bool has_token(struct http_str list, const char *token) {
    struct http_str item;
    while (http_list_next(&list, &item))
        if (name_is(item, token)) return true;
    return false;
}

/* Reads one "Name: value" line into f. Returns 0, or -1 if malformed. */
static int parse_field(struct http_str line, const char *accept, struct fields *f) {
    const char *colon = memchr(line.p, ':', line.len);
    if (colon == NULL || colon == line.p) return -1;
    struct http_str name = {line.p, (size_t)(colon - line.p)};
    /* No space in a name: that also refuses folded lines (obs-fold), which
     * start with one (RFC 9112 §5.2). */
    for (size_t i = 0; i < name.len; i++)
        if (!token_char(name.p[i])) return -1;
    const char *a = colon + 1, *b = line.p + line.len;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    struct http_str value = {a, (size_t)(b - a)};
    if (!text_ok(value)) return -1;

    if (name_is(name, "Upgrade")) {
        f->upgrade++;
        f->upgrade_ok = value.len == 9 && strncasecmp(value.p, "websocket", 9) == 0;
    } else if (name_is(name, "Connection")) {
        f->connection_ok |= has_token(value, "Upgrade");
    } else if (name_is(name, "Sec-WebSocket-Accept")) {
        f->accept++;
        f->accept_ok =
            value.len == HANDSHAKE_ACCEPT_LEN && memcmp(value.p, accept, HANDSHAKE_ACCEPT_LEN) == 0;
    } else if (name_is(name, "Sec-WebSocket-Protocol")) {
        f->protocol++;
        f->chosen = value;
    } else if (name_is(name, "Sec-WebSocket-Extensions")) {
        f->extensions = true;
    }
    return 0;
}

/* Was name one of the comma-separated protocols we offered? Compared
 * exactly: subprotocol names are case-sensitive. */
static bool offered(const char *protocols, struct http_str name) {
    struct http_str list = {protocols, protocols != NULL ? strlen(protocols) : 0}, item;
    while (http_list_next(&list, &item))
        if (item.len == name.len && memcmp(item.p, name.p, name.len) == 0) return true;
    return false;
}

/* §4.1, "reading the server's handshake", in its order: the first rule
 * broken is the reason. Returns NULL if every rule holds. */
static const char *judge(const struct client_answer *ans, const struct fields *f,
                         const char *protocols) {
    if (ans->status != 101) return "the server did not switch protocols";
    if (f->upgrade != 1 || !f->upgrade_ok) return "the answer lacks \"Upgrade: websocket\"";
    if (!f->connection_ok) return "the answer lacks \"Connection: Upgrade\"";
    if (f->accept == 0) return "the answer lacks Sec-WebSocket-Accept";
    if (f->accept > 1 || !f->accept_ok) return "Sec-WebSocket-Accept does not match the key";
    if (f->extensions) return "the server chose an extension that was not offered";
    if (f->protocol > 1) return "more than one Sec-WebSocket-Protocol";
    if (f->protocol == 1 && !offered(protocols, f->chosen))
        return "the server chose a subprotocol that was not offered";
    return NULL;
}

/* The answer cannot be read: say why, as -1. */
static int malformed(struct client_answer *ans, const char *why) {
    ans->status = 0;
    ans->error = why;
    return -1;
}

int client_answer(const char *buf, size_t len, const char *key, const char *protocols,
                  struct client_answer *ans) {
    static const char not_http[] = "the answer does not start with an HTTP/1.1 status line";
    static const char too_long[] = "the answer's head is over 8 KiB";
    memset(ans, 0, sizeof *ans);
    if (len == 0) return 0;
    /* Something that is not HTTP at all shows in its first bytes. */
    if (memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0) return malformed(ans, not_http);
    /* A head longer than MAX_ANSWER is an error, not a reason to read on. */
    size_t limit = len < MAX_ANSWER ? len : MAX_ANSWER;

    size_t pos = 0;
    struct http_str line;
    int r = next_line(buf, limit, &pos, &line);
    if (r == 0) return len >= MAX_ANSWER ? malformed(ans, too_long) : 0;
    if (r < 0 || parse_status_line(line, ans) < 0) return malformed(ans, not_http);

    char accept[HANDSHAKE_ACCEPT_LEN + 1];
    handshake_accept(key, strlen(key), accept);
    struct fields f = {0};
    for (;;) {
        r = next_line(buf, limit, &pos, &line);
        if (r == 0) return len >= MAX_ANSWER ? malformed(ans, too_long) : 0;
        if (r < 0) return malformed(ans, "a line of the answer does not end in CRLF");
        if (line.len == 0) break; /* the empty line: the head is complete */
        if (parse_field(line, accept, &f) < 0)
            return malformed(ans, "a header line of the answer is malformed");
    }
    ans->error = judge(ans, &f, protocols);
    if (ans->error == NULL && f.protocol == 1) {
        if (f.chosen.len > HANDSHAKE_PROTOCOL_MAX) {
            ans->error = "the subprotocol's name is too long";
        } else {
            memcpy(ans->protocol, f.chosen.p, f.chosen.len);
            ans->protocol[f.chosen.len] = '\0';
        }
    }
    return (int)pos;
}
