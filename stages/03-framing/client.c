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

int client_parse_url(const char *url, struct ws_url *out) {
    /* TODO(handout step 5.1): "ws://" (the scheme is case-insensitive; any
     * other, wss:// included, → -1), then the host (letters, digits, '-'
     * and '.'; not empty; must fit in out->host), then an optional ":PORT"
     * (digits only, 1..PORT_MAX; no port → 80), then the resource name:
     * what is left, which must start with '/' or '?' ("?x" → "/?x";
     * nothing → "/") and hold no space, control character, non-ASCII byte
     * or '#' (it goes into the request line as is). RFC 6455 §3; RFC 3986
     * §3. */
    (void)url;
    memset(out, 0, sizeof *out);
    return -1;
}

int client_make_key(char key[25]) {
    /* TODO(handout step 5.1): KEY_BYTES bytes from getrandom() (retry on
     * EINTR), base64_encode()d: 24 characters and a NUL. A fresh key for
     * every connection (RFC 6455 §4.1, §10.3). */
    key[0] = '\0';
    return -1;
}

int client_request(struct buf *out, const struct ws_url *url, const char *key,
                   const char *protocols) {
    /* TODO(handout step 5.2): the upgrade request, each line ending in
     * CRLF, then an empty line (RFC 6455 §4.1):
     *   GET <url->path> HTTP/1.1
     *   Host: <host>, or <host>:<port> when the port is not 80
     *   Upgrade: websocket
     *   Connection: Upgrade
     *   Sec-WebSocket-Key: <key>
     *   Sec-WebSocket-Version: 13
     *   Sec-WebSocket-Protocol: <protocols>   (only if protocols is neither
     *                                          NULL nor "")
     * protocols with a control character (CR, LF...) would break the head:
     * refuse them (-1). -1 also if out overflowed. */
    (void)out;
    (void)url;
    (void)key;
    (void)protocols;
    return -1;
}

int client_answer(const char *buf, size_t len, const char *key, const char *protocols,
                  struct client_answer *ans) {
    /* TODO(handout step 5.3): read the head at buf[0..len) line by line,
     * strictly. Every line ends in CRLF (a bare LF → -1); the head ends at
     * the empty line; not complete yet → 0, unless MAX_ANSWER bytes are
     * there (→ -1). The first line is the status line, "HTTP/1.1 101
     * Switching Protocols": "HTTP/1.0" or "HTTP/1.1", a space, three
     * digits, then nothing or a space and the reason (a 101 must be
     * HTTP/1.1). Keep it in ans->status_line (cut to fit) and its code in
     * ans->status. Each other line is "Name: value": the name a token (no
     * space: a line that starts with one is malformed), the value trimmed
     * of spaces and tabs, no control characters. Malformed → ans->status
     * 0, ans->error saying why, -1. Fail early: an answer whose first
     * bytes are not "HTTP/1." is not HTTP at all. RFC 9112 §4, §5. */
    /* TODO(handout step 5.3, continued): judge the complete head by RFC
     * 6455 §4.1's rules, in this order; the first one broken goes to
     * ans->error (NULL if all hold): status 101; exactly one Upgrade, equal
     * to "websocket" (any case); a Connection field holding the token
     * "Upgrade" (any case); exactly one Sec-WebSocket-Accept, equal to
     * handshake_accept(key) (Lab 2); no Sec-WebSocket-Extensions (we offer
     * none); at most one Sec-WebSocket-Protocol, and then one of the
     * comma-separated protocols we offered (case-sensitive), copied to
     * ans->protocol. Return the head's length: the bytes after it are the
     * first frames. */
    (void)buf;
    (void)len;
    (void)key;
    (void)protocols;
    memset(ans, 0, sizeof *ans);
    ans->error = "not implemented yet (TODO in client.c)";
    return -1;
}
