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
    /* TODO(handout step 3.1): SHA-1 of the key's characters followed by the
     * characters of WS_GUID (no NUL between them: two sha1_update calls do
     * it without a copy), then base64 of the 20-byte digest: 28 characters
     * and a NUL. RFC 6455 §4.2.2 step 5.4; the worked example is in §1.3. */
    (void)key;
    (void)key_len;
    memset(accept, 0, HANDSHAKE_ACCEPT_LEN + 1);
}

int handshake_respond(const struct handshake_config *cfg, const struct http_request *req,
                      struct buf *out, struct handshake_result *res) {
    /* TODO(handout step 3.2): the request must be a GET, HTTP/1.1 or later,
     * with a Host, an Upgrade field holding the token "websocket" and a
     * Connection field holding the token "Upgrade" — tokens in comma lists,
     * compared case-insensitively (http_header_has_token from Lab 1). Else
     * 400. Check the rules in the order of steps 3.2–3.4: the first that
     * fails decides the answer (and res->reason, a few words that become
     * the body). RFC 6455 §4.2.1 items 1–4. */
    /* TODO(handout step 3.3): exactly one Sec-WebSocket-Key, whose value
     * base64_decode()s to exactly 16 bytes (§4.2.1 item 5), else 400; exactly
     * one Sec-WebSocket-Version, equal to "13" (item 6), else 426 (§4.2.2
     * step 4). */
    /* TODO(handout step 3.4): the Origin (§4.2.1 item 7, §10.2), as the
     * comments of struct handshake_config say: none → allowed unless
     * cfg->require_origin; cfg->origins → must equal one of them
     * (case-insensitive); else cfg->same_origin → must equal "http://" +
     * the Host. Refused → 403. */
    /* TODO(handout step 3.5): the subprotocol: the first entry of
     * cfg->protocols that the client offered in one of its
     * Sec-WebSocket-Protocol fields (each a comma list: walk it with
     * http_list_next(); compare names exactly, case included), into
     * res->protocol; "" if none matches.
     * §4.2.2 step 5.5, and §4.1 for why a name the client did not offer must
     * never be answered. */
    /* TODO(handout step 3.6): write the answer into out. 101: exactly the
     * four lines of §4.2.2 step 5 (status line, Upgrade, Connection,
     * Sec-WebSocket-Accept from handshake_accept), Sec-WebSocket-Protocol if
     * one was chosen, the empty line. A refusal: http_response_start() with
     * text/plain, Content-Length and "Connection: close", for 426 also
     * "Sec-WebSocket-Version: 13" and "Upgrade: websocket", then the body:
     * the reason and "\n". Fill *res; return res->status, or -1 if out
     * overflowed. */
    (void)cfg;
    (void)req;
    (void)out;
    memset(res, 0, sizeof *res);
    res->status = 500;
    res->reason = "not implemented yet";
    return -1;
}
