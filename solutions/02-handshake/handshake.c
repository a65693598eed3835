/*
 * handshake — the server side of the WebSocket opening handshake
 * (see handshake.h).
 *
 * The client's handshake is an ordinary HTTP/1.1 GET with a few extra
 * header fields (RFC 6455 §1.3, §4.1):
 *
 *   GET /ws HTTP/1.1
 *   Host: 127.0.0.1:8002
 *   Upgrade: websocket                     "switch to this protocol"
 *   Connection: Upgrade                    "...and Upgrade is meant for you"
 *   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==     16 random bytes
 *   Sec-WebSocket-Version: 13
 *   Origin: http://127.0.0.1:8002          sent by browsers
 *   Sec-WebSocket-Protocol: chat, superchat         optional
 *
 * and the server's yes is
 *
 *   HTTP/1.1 101 Switching Protocols
 *   Upgrade: websocket
 *   Connection: Upgrade
 *   Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 *   Sec-WebSocket-Protocol: chat
 *
 * after which the connection carries WebSocket frames. The accept value is
 * base64(SHA-1(key + GUID)): only a server that knows the protocol can
 * compute it, so a client is never fooled by a plain HTTP server (or a cache)
 * that happens to answer 101 or 200.
 *
 * handshake_respond() checks the rules one after the other and stops at the
 * first that fails; each failure names its status and a reason, which
 * becomes the refusal's plain-text body.
 *
 * Lab 2, task 3. Read: TUTORIAL §2.1–§2.5; RFC 6455 §1.3, §4.2.1, §4.2.2,
 * §10.2, §11.3; RFC 9110 §7.8 (Upgrade).
 */
#include "handshake.h"

#include <string.h>
#include <strings.h>

#include "base64.h"
#include "sha1.h"

#define KEY_BYTES 16 /* a Sec-WebSocket-Key is the base64 of 16 bytes */

void handshake_accept(const char *key, size_t key_len, char accept[HANDSHAKE_ACCEPT_LEN + 1]) {
    /* SHA-1 over key + GUID, in two pieces: no copy, no length limit. */
    struct sha1_ctx ctx;
    unsigned char digest[SHA1_DIGEST_LEN];
    sha1_init(&ctx);
    sha1_update(&ctx, key, key_len);
    sha1_update(&ctx, WS_GUID, strlen(WS_GUID));
    sha1_final(&ctx, digest);
    base64_encode(digest, sizeof digest, accept);
}

/* ---- the checks ----------------------------------------------------------- */

/* What a check decided: 101 if the rule holds, else the status to answer
 * and why. */
struct verdict {
    int status;
    const char *reason;
};

static const struct verdict passed = {101, NULL};

static struct verdict refuse(int status, const char *reason) {
    return (struct verdict){status, reason};
}

/* §4.2.1 items 1–4: the request is an HTTP/1.1 GET that asks, with Upgrade
 * and Connection, to become a WebSocket. Tokens in both fields are
 * case-insensitive (RFC 9110 §7.6.1, §7.8), and Connection may name other
 * options too ("keep-alive, Upgrade", as Firefox sends). */
static struct verdict check_upgrade_request(const struct http_request *req) {
    if (req->method != HTTP_GET) return refuse(400, "the method must be GET");
    if (req->version_minor < 1) return refuse(400, "HTTP/1.1 or later is required");
    if (http_header(req, "Host") == NULL) return refuse(400, "missing Host");
    if (!http_header_has_token(req, "Upgrade", "websocket"))
        return refuse(400, "Upgrade must include websocket");
    if (!http_header_has_token(req, "Connection", "Upgrade"))
        return refuse(400, "Connection must include Upgrade");
    return passed;
}

/* §4.2.1 item 5: exactly one Sec-WebSocket-Key, the base64 of 16 bytes.
 * The decoder is strict, so "the same 16 bytes spelled differently" (bad
 * padding bits) is refused too. */
static struct verdict check_key(const struct http_request *req) {
    size_t count = http_header_count(req, "Sec-WebSocket-Key");
    if (count == 0) return refuse(400, "missing Sec-WebSocket-Key");
    if (count > 1) return refuse(400, "more than one Sec-WebSocket-Key");
    const struct http_str *key = http_header(req, "Sec-WebSocket-Key");
    /* With room for 16 bytes, a longer key fails as BASE64_NO_ROOM. */
    unsigned char nonce[KEY_BYTES];
    size_t n;
    if (base64_decode(key->p, key->len, nonce, sizeof nonce, &n) != BASE64_OK || n != KEY_BYTES)
        return refuse(400, "Sec-WebSocket-Key must be the base64 of 16 bytes");
    return passed;
}

/* §4.2.1 item 6 and §4.2.2 step 4: the only version is 13. Anything else
 * gets 426 and the version we speak, so that a client may retry with it. */
static struct verdict check_version(const struct http_request *req) {
    const struct http_str *v = http_header(req, "Sec-WebSocket-Version");
    if (v == NULL) return refuse(426, "missing Sec-WebSocket-Version");
    if (http_header_count(req, "Sec-WebSocket-Version") > 1)
        return refuse(426, "more than one Sec-WebSocket-Version");
    if (v->len != 2 || memcmp(v->p, "13", 2) != 0)
        return refuse(426, "Sec-WebSocket-Version must be 13");
    return passed;
}

static bool equal_nocase(struct http_str s, const char *text) {
    size_t n = strlen(text);
    return s.len == n && strncasecmp(s.p, text, n) == 0;
}

/* Is origin "http://" + host? (Scheme and host are case-insensitive:
 * RFC 3986 §3.1, §3.2.2.) */
static bool same_origin(struct http_str origin, struct http_str host) {
    static const char scheme[] = "http://";
    size_t n = sizeof scheme - 1;
    return origin.len == n + host.len && strncasecmp(origin.p, scheme, n) == 0 &&
           strncasecmp(origin.p + n, host.p, host.len) == 0;
}

/* §4.2.1 item 7 and §10.2: a browser says which page opened the socket in
 * Origin, and the server may refuse pages it does not trust — the defence
 * against cross-site WebSocket hijacking, since a browser attaches the
 * user's cookies to a WebSocket handshake whoever asks for it. */
static struct verdict check_origin(const struct handshake_config *cfg,
                                   const struct http_request *req) {
    size_t count = http_header_count(req, "Origin");
    if (count == 0) return cfg->require_origin ? refuse(403, "missing Origin") : passed;
    if (cfg->origins == NULL && !cfg->same_origin) return passed; /* any origin */
    /* Two Origins: which page asked? Refuse rather than guess. */
    if (count > 1) return refuse(403, "more than one Origin");

    const struct http_str *origin = http_header(req, "Origin");
    if (cfg->origins != NULL) {
        for (const char *const *o = cfg->origins; *o != NULL; o++)
            if (equal_nocase(*origin, *o)) return passed;
    } else if (same_origin(*origin, *http_header(req, "Host"))) {
        return passed;
    }
    return refuse(403, "Origin not allowed");
}

/* ---- the subprotocol ------------------------------------------------------ */

/* Did the client offer protocol in one of its Sec-WebSocket-Protocol fields?
 * The field may be repeated, each a comma list (§4.1, §11.3.4). Names are
 * compared case-sensitively: RFC 6455 never makes them case-insensitive
 * (RFC 7936 does so only for the IANA registry), and a browser fails the
 * connection if the server answers a name it did not send byte for byte
 * (§4.1, reading the server's handshake, item 6). */
static bool client_offers(const struct http_request *req, const char *protocol) {
    size_t n = strlen(protocol);
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        if (!equal_nocase(h->name, "Sec-WebSocket-Protocol")) continue;
        struct http_str list = h->value, item;
        while (http_list_next(&list, &item))
            if (item.len == n && memcmp(item.p, protocol, n) == 0) return true;
    }
    return false;
}

/* §4.2.2 step 5.5: the server picks ONE subprotocol, the first of its own
 * list (its preference) that the client offered, and never one the client
 * did not offer. Writes it to chosen, or "" if none matches. */
static void choose_protocol(const struct handshake_config *cfg, const struct http_request *req,
                            char chosen[HANDSHAKE_PROTOCOL_MAX + 1]) {
    chosen[0] = '\0';
    if (cfg->protocols == NULL) return;
    for (const char *const *p = cfg->protocols; *p != NULL; p++) {
        size_t n = strlen(*p);
        if (n == 0 || n > HANDSHAKE_PROTOCOL_MAX || !client_offers(req, *p)) continue;
        memcpy(chosen, *p, n + 1);
        return;
    }
}

/* ---- the answer ----------------------------------------------------------- */

/* 101 (§4.2.2 step 5). No Sec-WebSocket-Extensions: this server implements
 * none, and an extension must never be answered unless it is (§9.1). */
static int write_101(struct buf *out, const struct handshake_result *res) {
    int r = buf_printf(out,
                       "HTTP/1.1 101 Switching Protocols\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: %s\r\n",
                       res->accept);
    if (res->protocol[0] != '\0')
        r |= buf_printf(out, "Sec-WebSocket-Protocol: %s\r\n", res->protocol);
    r |= buf_puts(out, "\r\n");
    return r;
}

/* A refusal: a complete HTTP response whose body says why. The handshake is
 * over (§4.2.2), and so is the connection. */
static int write_refusal(struct buf *out, const struct handshake_result *res) {
    size_t body_len = strlen(res->reason) + 1; /* and "\n" */
    int r = http_response_start(out, res->status, "text/plain; charset=utf-8", (long long)body_len,
                                false);
    if (res->status == 426)
        r |= buf_puts(out, "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n");
    r |= http_response_end(out);
    r |= buf_printf(out, "%s\n", res->reason);
    return r;
}

int handshake_respond(const struct handshake_config *cfg, const struct http_request *req,
                      struct buf *out, struct handshake_result *res) {
    memset(res, 0, sizeof *res);
    /* The order of §4.2.1: the first rule broken decides the answer. */
    struct verdict v = check_upgrade_request(req);
    if (v.status == 101) v = check_key(req);
    if (v.status == 101) v = check_version(req);
    if (v.status == 101) v = check_origin(cfg, req);
    res->status = v.status;
    res->reason = v.reason;

    int r;
    if (res->status == 101) {
        const struct http_str *key = http_header(req, "Sec-WebSocket-Key");
        handshake_accept(key->p, key->len, res->accept);
        choose_protocol(cfg, req, res->protocol);
        r = write_101(out, res);
    } else {
        r = write_refusal(out, res);
    }
    return r == 0 ? res->status : -1;
}
