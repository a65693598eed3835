/*
 * Lab 4, task 4 — the `chat` program (chat.c on the given wsserver, on your
 * loop, conn and hub).
 *
 * Each test starts the program on an ephemeral port with a web root made
 * for the test, and talks to it over raw sockets on 127.0.0.1 with the
 * tests' own WebSocket client (ws_client.h): the handshake with the sample
 * key of RFC 6455 §1.3, masked frames, and every frame the server sends
 * checked byte for byte. The chat's messages are those of hub.h:
 * "members ...", "join NAME", "msg NAME TEXT", "leave NAME".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "chat.h"
#include "harness.h"
#include "support.h"

#define HINT_HTTP                                                                                  \
    "TUTORIAL §4.4-§4.5; wsserver.h (plain GETs are files from --root, keep-alive); "            \
    "chat_main.c; if every test of this task fails, check tasks 1-3 first: the program runs "      \
    "on them"
#define HINT_ROOM                                                                                  \
    "TUTORIAL §4.8 \"Joining by URL\", \"The notices\"; chat.h (/chat[/ROOM][?name=NAME]: "       \
    "on_open joins the hub, text is hub_say'd, on_close leaves); hub.h (\"members ...\" "          \
    "first, then \"join\", \"msg\", \"leave\")"
#define HINT_TARGET                                                                                \
    "TUTORIAL §4.8 \"Joining by URL\"; chat.h (chat_parse_target: 404 for no endpoint, 400 "      \
    "for a bad ROOM or NAME: 1 to 32 bytes of A-Z a-z 0-9 - _ ., no percent-decoding)"
#define HINT_ECHO "TUTORIAL §4.5; chat.h (/echo: every message back as it came, via client_send)"
#define HINT_WS                                                                                    \
    "TUTORIAL chapter 3 (the same ws, now fed by the loop); wsserver.h (no thread per "            \
    "client); RFC 6455 §5.1, §7.1.7, §7.4.1"
#define HINT_STOP                                                                                  \
    "TUTORIAL §4.4 \"Signals: the self-pipe trick\"; wsserver.h (wsserver_stop: close 1001 to "   \
    "every client, loop_stop once all are gone or after close_timeout_ms); sigwatch.h; "           \
    "chat_main.c frees everything, exit 0"

/* A server for this test, started on first use. */
static struct t_server *server;

static int port(void) {
    if (!server) server = chat_start(NULL);
    return server->port;
}

/* An upgrade to target that must be refused with status. */
static void expect_refused(int p, const char *target, int status) {
    t_note("the upgrade request for %s", target);
    char req[1024];
    struct t_conn *c = t_conn_open(p);
    t_send(c, req, t_ws_request(req, sizeof req, p, target));
    struct t_response *r = t_http_read(c, false, IO_MS);
    if (r->status != status)
        FAILF("expected: %s refused with %d\n     got: %d, head:\n%s", target, status, r->status,
              t_escape(r->head, strlen(r->head), 400));
    const char *ct = t_http_header(r, "Content-Type");
    if (!ct || strncmp(ct, "text/plain", 10) != 0)
        FAILF("expected: a text/plain reason with the %d\n     got: Content-Type %s", status,
              ct ? ct : "(none)");
    const char *conn = t_http_header(r, "Connection");
    if (!conn || strcmp(conn, "close") != 0)
        FAILF("expected: Connection: close with the %d\n     got: %s", status,
              conn ? conn : "(none)");
    t_expect_closed(c, IO_MS);
    t_response_free(r);
    t_conn_close(c);
}

/* ---- HTTP --------------------------------------------------------------------------- */

TEST(serves_files, .id = "4.4.1", .points = 2,
     .title = "chat prints \"listening on 127.0.0.1:PORT\"; GET / serves --root's index.html as "
              "text/html; a 300000-byte file comes whole",
     .hint = HINT_HTTP) {
    int p = port();
    char *out = t_server_output(server);
    char want[64];
    snprintf(want, sizeof want, "listening on 127.0.0.1:%d\n", p);
    if (strncmp(out, want, strlen(want)) != 0)
        FAILF("expected: the output to start with \"%s\"\n     got: \"%s\"",
              t_escape(want, strlen(want), 80), t_escape(out, strlen(out), 200));
    free(out);
    struct t_response *r = t_http_once(p, "GET", "/", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    CHECK_MEM(r->body, r->body_len, INDEX_HTML, sizeof INDEX_HTML - 1);
    const char *ct = t_http_header(r, "Content-Type");
    if (!ct || strncmp(ct, "text/html", 9) != 0)
        FAILF("expected: Content-Type text/html\n     got: %s", ct ? ct : "(none)");
    t_response_free(r);
    r = t_http_once(p, "GET", "/big.bin", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    unsigned char *big = binary_pattern(BIG_FILE_SIZE, 7);
    CHECK_INT(r->body_len, BIG_FILE_SIZE);
    CHECK(memcmp(r->body, big, BIG_FILE_SIZE) == 0);
    free(big);
    t_response_free(r);
}

TEST(keep_alive, .id = "4.4.2", .points = 2,
     .title = "one connection, four requests: GET / twice, a missing file (404), HEAD / (the head "
              "alone); two requests in one write are answered in order",
     .hint = HINT_HTTP "; RFC 9112 §9.3 (persistence, pipelining)") {
    int p = port();
    struct t_conn *c = t_conn_open(p);
    for (int i = 0; i < 2; i++) {
        struct t_response *r = t_http(c, "GET", "/", NULL, NULL, IO_MS);
        t_expect_status(r, 200);
        CHECK_MEM(r->body, r->body_len, INDEX_HTML, sizeof INDEX_HTML - 1);
        t_response_free(r);
    }
    struct t_response *r = t_http(c, "GET", "/missing.html", NULL, NULL, IO_MS);
    t_expect_status(r, 404);
    t_response_free(r);
    r = t_http(c, "HEAD", "/", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    CHECK_INT(r->body_len, 0);
    const char *cl = t_http_header(r, "Content-Length");
    CHECK(cl && atoi(cl) == (int)sizeof INDEX_HTML - 1);
    t_response_free(r);
    t_send_str(c, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    r = t_http_read(c, false, IO_MS);
    t_expect_status(r, 404);
    t_response_free(r);
    r = t_http_read(c, false, IO_MS);
    t_expect_status(r, 200);
    t_response_free(r);
    t_conn_close(c);
}

TEST(request_timeout, .id = "4.4.3", .points = 2,
     .title = "--request-timeout-ms 300: half a request gets 408 and the connection is closed; "
              "meanwhile another client chats undisturbed",
     .hint = HINT_HTTP "; wsserver.h (a timer per HTTP connection: the loop never waits for one "
                       "client)") {
    server = chat_start("--request-timeout-ms", "300", NULL);
    struct t_conn *slow = t_conn_open(server->port);
    t_send_str(slow, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    struct t_conn *ann = chat_join(server->port, "/chat/r?name=ann", "members ann");
    say(ann, "while waiting");
    expect_text(ann, "msg ann while waiting");
    struct t_response *r = t_http_read(slow, false, 3000);
    t_expect_status(r, 408);
    t_expect_closed(slow, IO_MS);
    t_response_free(r);
    t_conn_close(slow);
    close_cleanly(ann);
}

/* ---- the handshake ------------------------------------------------------------------ */

TEST(upgrade, .id = "4.4.4", .points = 3,
     .title = "GET /chat/room1?name=ann with the RFC's sample key: the exact 101 (accept "
              "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=), then the text message \"members ann\"",
     .hint = HINT_ROOM "; RFC 6455 §1.3, §4.2.2") {
    struct t_conn *c = chat_join(port(), "/chat/room1?name=ann", "members ann");
    close_cleanly(c);
}

TEST(guest_names, .id = "4.4.5", .points = 2,
     .title = "without ?name= clients are guest-1, guest-2, ... in handshake order; a refused "
              "upgrade takes no number",
     .hint = HINT_ROOM "; wsserver.h (client id: 1, 2, 3, ... a refused one takes none)") {
    int p = port();
    struct t_conn *a = chat_join(p, "/chat/room1", "members guest-1");
    struct t_conn *b = chat_join(p, "/chat/room1", "members guest-1 guest-2");
    expect_text(a, "join guest-2");
    expect_refused(p, "/nowhere", 404);
    struct t_conn *c = chat_join(p, "/chat/other", "members guest-3");
    close_cleanly(c), close_cleanly(b);
    expect_text(a, "leave guest-2");
    close_cleanly(a);
}

TEST(target_parse, .id = "4.4.6", .points = 2,
     .title = "chat_parse_target: /chat, /chat/, /chat/ROOM, ?name= (the first counts, other "
              "parameters ignored), /echo; 404 and 400 where chat.h says; only len bytes read",
     .hint = HINT_TARGET) {
    static const struct {
        const char *target;
        int status;
        enum chat_endpoint endpoint;
        const char *room, *name;
    } cases[] = {
        {"/chat", 0, CHAT_ROOM, "lobby", ""},
        {"/chat/", 0, CHAT_ROOM, "lobby", ""},
        {"/chat/kitchen", 0, CHAT_ROOM, "kitchen", ""},
        {"/chat/kitchen?name=ann", 0, CHAT_ROOM, "kitchen", "ann"},
        {"/chat?name=bob", 0, CHAT_ROOM, "lobby", "bob"},
        {"/chat/?name=bob", 0, CHAT_ROOM, "lobby", "bob"},
        {"/chat/r?x=1&name=cy&name=dd", 0, CHAT_ROOM, "r", "cy"},
        {"/chat/r?xname=1&namex=2&name=ok", 0, CHAT_ROOM, "r", "ok"},
        {"/chat/A.b-C_9?name=Z.y-x_0", 0, CHAT_ROOM, "A.b-C_9", "Z.y-x_0"},
        {"/chat/abcdefghijklmnopqrstuvwxyz012345", 0, CHAT_ROOM, "abcdefghijklmnopqrstuvwxyz012345",
         ""},
        {"/echo", 0, CHAT_ECHO, NULL, NULL},
        {"/echo?x=1", 0, CHAT_ECHO, NULL, NULL},
        {"/", 404, 0, NULL, NULL},
        {"/chatroom", 404, 0, NULL, NULL},
        {"/ECHO", 404, 0, NULL, NULL},
        {"/echoes", 404, 0, NULL, NULL},
        {"/chat/a/b", 404, 0, NULL, NULL},
        {"/chat/a/", 404, 0, NULL, NULL},
        {"/chat/abcdefghijklmnopqrstuvwxyz0123456", 400, 0, NULL, NULL},
        {"/chat/r?name=abcdefghijklmnopqrstuvwxyz0123456", 400, 0, NULL, NULL},
        {"/chat/r?name=", 400, 0, NULL, NULL},
        {"/chat/bad%20room", 400, 0, NULL, NULL},
        {"/chat/r?name=a%20b", 400, 0, NULL, NULL},
        {"/chat/r?name=a+b", 400, 0, NULL, NULL},
        {"/chat/caf\xc3\xa9", 400, 0, NULL, NULL},
        {"/chat/r?name=x&name=bad!", 0, CHAT_ROOM, "r", "x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct chat_target t;
        memset(&t, 0x55, sizeof t);
        const char *target = cases[i].target;
        int status = chat_parse_target(target, strlen(target), &t);
        if (status != cases[i].status)
            FAILF("expected: chat_parse_target(\"%s\") to return %d\n     got: %d",
                  t_escape(target, strlen(target), 80), cases[i].status, status);
        if (status != 0) continue;
        if (t.endpoint != cases[i].endpoint)
            FAILF("expected: \"%s\" -> %s\n     got: the other endpoint", target,
                  cases[i].endpoint == CHAT_ECHO ? "CHAT_ECHO" : "CHAT_ROOM");
        if (t.endpoint == CHAT_ECHO) continue;
        if (strcmp(t.room, cases[i].room) != 0 || strcmp(t.name, cases[i].name) != 0)
            FAILF("expected: \"%s\" -> room \"%s\", name \"%s\"\n     got: room \"%s\", name "
                  "\"%s\"",
                  target, cases[i].room, cases[i].name, t_escape(t.room, strnlen(t.room, 33), 40),
                  t_escape(t.name, strnlen(t.name, 33), 40));
    }
    struct chat_target t;
    const char *longer = "/chat/kitchen?name=ann&more";
    t_note("chat_parse_target(\"%s\", 13): only the first 13 bytes are the target", longer);
    CHECK_INT(chat_parse_target(longer, 13, &t), 0);
    CHECK_STR(t.room, "kitchen");
    CHECK_STR(t.name, "");
    CHECK_INT(chat_parse_target("/echo/x", 5, &t), 0);
    CHECK_INT(t.endpoint, CHAT_ECHO);
}

TEST(refusals, .id = "4.4.7", .points = 2,
     .title = "upgrades refused over the wire: a bad room or name -> 400, no such endpoint -> "
              "404 (text/plain, Connection: close); the server goes on",
     .hint = HINT_TARGET "; wsserver.h (on_upgrade returns the status and a short reason)") {
    int p = port();
    expect_refused(p, "/chat/bad%20room", 400);
    expect_refused(p, "/chat/r?name=", 400);
    expect_refused(p, "/chat/abcdefghijklmnopqrstuvwxyz0123456", 400);
    expect_refused(p, "/nope", 404);
    expect_refused(p, "/chatroom", 404);
    struct t_conn *c = chat_join(p, "/chat/r?name=still.here", "members still.here");
    close_cleanly(c);
}

TEST(handshake_errors, .id = "4.4.8", .points = 2,
     .title = "handshake errors are answered inside the loop: no Sec-WebSocket-Version -> 426 "
              "with Sec-WebSocket-Version: 13; a bad key -> 400; then a good client is guest-1",
     .hint = HINT_ROOM "; wsserver.h (handshake_respond from Lab 2 writes the refusal); RFC 6455 "
                       "§4.2.1, §4.4") {
    int p = port();
    struct t_conn *c = t_conn_open(p);
    t_send_str(c, "GET /chat/r HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: " SAMPLE_KEY "\r\n\r\n");
    struct t_response *r = t_http_read(c, false, IO_MS);
    t_expect_status(r, 426);
    const char *v = t_http_header(r, "Sec-WebSocket-Version");
    if (!v || strcmp(v, "13") != 0)
        FAILF("expected: Sec-WebSocket-Version: 13 with the 426\n     got: %s", v ? v : "(none)");
    t_response_free(r);
    t_conn_close(c);
    c = t_conn_open(p);
    t_send_str(c, "GET /chat/r HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: tooshort\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n");
    r = t_http_read(c, false, IO_MS);
    t_expect_status(r, 400);
    t_response_free(r);
    t_conn_close(c);
    c = chat_join(p, "/chat/r", "members guest-1");
    close_cleanly(c);
}

TEST(dribble_and_extra, .id = "4.4.9", .points = 2,
     .title = "a handshake sent one byte at a time is answered; a request with two text frames "
              "in the same write gets the 101, \"members\", then both messages back",
     .hint = HINT_ROOM "; wsserver.h (the bytes behind the request are the client's first "
                       "frames: fed to ws after on_open)") {
    int p = port();
    char req[1024];
    size_t n = t_ws_request(req, sizeof req, p, "/chat/r?name=slow");
    struct t_conn *a = t_conn_open(p);
    t_note("the request sent one byte at a time, 1 ms apart");
    t_send_dribble(a, req, n, 1, 1);
    expect_101(a);
    expect_text(a, "members slow");
    n = t_ws_request(req, sizeof req, p, "/chat/r?name=fast");
    struct bytes all = {0};
    bytes_put(&all, req, n);
    add_frame(&all, FIN | OP_TEXT, S("one"));
    add_frame(&all, FIN | OP_TEXT, S("two"));
    struct t_conn *b = t_conn_open(p);
    t_note("the request and two text frames in one write");
    t_send(b, all.p, all.len);
    expect_101(b);
    expect_text(b, "members slow fast");
    expect_text(b, "msg fast one");
    expect_text(b, "msg fast two");
    expect_text(a, "join fast");
    expect_text(a, "msg fast one");
    expect_text(a, "msg fast two");
    bytes_free(&all);
    close_cleanly(b);
    expect_text(a, "leave fast");
    close_cleanly(a);
}

/* ---- rooms -------------------------------------------------------------------------- */

TEST(room_messages, .id = "4.4.10", .points = 3,
     .title = "ann then bob join room r: ann gets \"join bob\"; bob's text reaches both as \"msg "
              "bob hi there\"; bob closes cleanly and ann gets \"leave bob\"",
     .hint = HINT_ROOM) {
    int p = port();
    struct t_conn *ann = chat_join(p, "/chat/r?name=ann", "members ann");
    struct t_conn *bob = chat_join(p, "/chat/r?name=bob", "members ann bob");
    expect_text(ann, "join bob");
    say(bob, "hi there");
    expect_text(bob, "msg bob hi there");
    expect_text(ann, "msg bob hi there");
    say(ann, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    expect_text(ann, "msg ann \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    expect_text(bob, "msg ann \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    close_cleanly(bob);
    expect_text(ann, "leave bob");
    close_cleanly(ann);
}

TEST(rooms_isolated, .id = "4.4.11", .points = 2,
     .title = "rooms are isolated: ann and bob in r1, cy in r2; nothing of r1 reaches cy (cy's "
              "next frame is its own message)",
     .hint = HINT_ROOM) {
    int p = port();
    struct t_conn *ann = chat_join(p, "/chat/r1?name=ann", "members ann");
    struct t_conn *cy = chat_join(p, "/chat/r2?name=cy", "members cy");
    struct t_conn *bob = chat_join(p, "/chat/r1?name=bob", "members ann bob");
    expect_text(ann, "join bob");
    say(ann, "for r1");
    expect_text(ann, "msg ann for r1");
    expect_text(bob, "msg ann for r1");
    say(cy, "for r2");
    expect_text(cy, "msg cy for r2");
    close_cleanly(bob);
    expect_text(ann, "leave bob");
    say(cy, "still alone");
    expect_text(cy, "msg cy still alone");
    close_cleanly(ann), close_cleanly(cy);
}

TEST(lobby, .id = "4.4.12", .points = 2,
     .title = "/chat, /chat/ and /chat/lobby are the same room, the lobby",
     .hint = HINT_ROOM "; chat.h (CHAT_DEFAULT_ROOM)") {
    int p = port();
    struct t_conn *a = chat_join(p, "/chat?name=a", "members a");
    struct t_conn *b = chat_join(p, "/chat/?name=b", "members a b");
    struct t_conn *c = chat_join(p, "/chat/lobby?name=c", "members a b c");
    say(c, "lobby!");
    expect_text(a, "join b"), expect_text(a, "join c"), expect_text(a, "msg c lobby!");
    expect_text(b, "join c"), expect_text(b, "msg c lobby!");
    expect_text(c, "msg c lobby!");
    close_cleanly(c);
    expect_text(a, "leave c"), expect_text(b, "leave c");
    close_cleanly(b);
    expect_text(a, "leave b");
    close_cleanly(a);
}

TEST(binary_in_room, .id = "4.4.13", .points = 2,
     .title = "a binary message in a room gets close 1003 (text only); our close answer ends it "
              "and the others get \"leave\"",
     .hint = HINT_ROOM "; RFC 6455 §7.4.1 (1003: a type of data the endpoint cannot accept); "
                       "client_close starts the closing handshake") {
    int p = port();
    struct t_conn *ann = chat_join(p, "/chat/r?name=ann", "members ann");
    struct t_conn *bin = chat_join(p, "/chat/r?name=bin", "members ann bin");
    expect_text(ann, "join bin");
    send_frame(bin, FIN | OP_BINARY, S("\x01\x02\x03"));
    expect_close(bin, 1003);
    send_close(bin, 1003, NULL, 0);
    t_expect_closed(bin, IO_MS);
    t_conn_close(bin);
    expect_text(ann, "leave bin");
    close_cleanly(ann);
}

/* ---- /echo and the protocol --------------------------------------------------------- */

TEST(echo, .id = "4.4.14", .points = 2,
     .title = "/echo sends back text, binary, an empty text and a 70 KiB binary as they came; a "
              "ping gets its pong; then a clean close",
     .hint = HINT_ECHO "; " HINT_WS) {
    struct t_conn *c = t_ws_connect(port(), "/echo");
    send_frame(c, FIN | OP_TEXT, S("hello"));
    expect_text(c, "hello");
    send_frame(c, FIN | OP_BINARY, S("\x00\xff\x10"));
    expect_message(c, OP_BINARY, S("\x00\xff\x10"));
    send_frame(c, FIN | OP_TEXT, "", 0);
    expect_text(c, "");
    unsigned char *big = binary_pattern(70 * 1024, 5);
    send_frame(c, FIN | OP_BINARY, big, 70 * 1024);
    expect_message(c, OP_BINARY, big, 70 * 1024);
    free(big);
    send_frame(c, FIN | OP_PING, S("are you there"));
    expect_pong(c, S("are you there"));
    close_cleanly(c);
}

TEST(protocol_error, .id = "4.4.15", .points = 2,
     .title = "an unmasked frame from a client fails its connection (close 1002, then TCP "
              "closed); the others get \"leave\" and keep chatting",
     .hint = HINT_WS) {
    int p = port();
    struct t_conn *ann = chat_join(p, "/chat/r?name=ann", "members ann");
    struct t_conn *bad = chat_join(p, "/chat/r?name=bad", "members ann bad");
    expect_text(ann, "join bad");
    struct bytes b = {0};
    put_frame(&b, FIN | OP_TEXT, NULL, S("unmasked"));
    t_send(bad, b.p, b.len);
    bytes_free(&b);
    expect_fail(bad, 1002);
    expect_text(ann, "leave bad");
    say(ann, "after");
    expect_text(ann, "msg ann after");
    close_cleanly(ann);
}

TEST(garbage, .id = "4.4.16", .points = 2,
     .title = "a client sending 4 KiB of random bytes is disconnected, while another client's "
              "messages go on before and after",
     .hint = HINT_WS "; one connection's failure must touch nothing of the others") {
    int p = port();
    struct t_conn *ann = chat_join(p, "/chat/r?name=ann", "members ann");
    struct t_conn *junk = chat_join(p, "/chat/r?name=junk", "members ann junk");
    expect_text(ann, "join junk");
    say(ann, "before");
    expect_text(ann, "msg ann before");
    unsigned char *noise = binary_pattern(4096, 11);
    noise[0] = 0xff; /* FIN, RSV1-3, opcode 15: no extension, no such opcode */
    t_send(junk, noise, 4096);
    free(noise);
    struct rx r;
    rx_init(&r, junk, "the client that sent noise");
    if (!rx_wait_eof(&r, IO_MS))
        FAILF("expected: the noisy client disconnected\n     got: its connection still open");
    rx_free(&r);
    t_conn_close(junk);
    expect_text(ann, "leave junk");
    say(ann, "after");
    expect_text(ann, "msg ann after");
    close_cleanly(ann);
}

TEST(max_message, .id = "4.4.17", .points = 1,
     .title = "--max-message 1000: 1000 bytes of text are said; 1001 fail with 1009",
     .hint = HINT_WS "; RFC 6455 §7.4.1 (1009); chat_main.c passes --max-message to ws") {
    server = chat_start("--max-message", "1000", NULL);
    struct t_conn *c = chat_join(server->port, "/chat/r?name=m", "members m");
    unsigned char *text = ascii_pattern(1001, 1);
    send_frame(c, FIN | OP_TEXT, text, 992); /* "msg m " + 992 = 998 bytes back */
    char want[1100];
    snprintf(want, sizeof want, "msg m %.*s", 992, (char *)text);
    expect_text(c, want);
    send_frame(c, FIN | OP_TEXT, text, 1001);
    expect_fail(c, 1009);
    free(text);
}

/* ---- stopping ----------------------------------------------------------------------- */

TEST(sigterm, .id = "4.4.18", .points = 3,
     .title = "SIGTERM: every client (two in a room, one on /echo) gets close 1001, an idle HTTP "
              "connection is closed, and once they answer chat exits 0",
     .hint = HINT_STOP) {
    server = chat_start(NULL);
    int p = server->port;
    struct t_conn *a = chat_join(p, "/chat/r?name=a", "members a");
    struct t_conn *b = chat_join(p, "/chat/r?name=b", "members a b");
    struct t_conn *e = t_ws_connect(p, "/echo");
    expect_text(a, "join b");
    struct t_conn *h = t_conn_open(p);
    struct t_response *r = t_http(h, "GET", "/", NULL, NULL, IO_MS);
    t_expect_status(r, 200);
    t_response_free(r);
    kill(server->pid, SIGTERM);
    struct t_conn *all[3] = {a, b, e};
    for (int i = 0; i < 3; i++) {
        t_note("client %d of 3", i + 1);
        expect_close(all[i], 1001);
    }
    t_expect_closed(h, IO_MS);
    for (int i = 0; i < 3; i++) {
        send_close(all[i], 1001, NULL, 0);
        t_expect_closed(all[i], IO_MS);
        t_conn_close(all[i]);
    }
    t_conn_close(h);
    int status = t_server_signal_wait(server, 0, 3000);
    if (status == -1) FAILF("expected: chat to exit once every client has gone\n     got: running");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAILF("expected: exit status 0 after SIGTERM\n     got: %s %d",
              WIFEXITED(status) ? "exit status" : "killed by signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    t_server_stop(server); /* it has exited: this looks for a sanitizer report in its log */
}

TEST(sigterm_unanswered, .id = "4.4.19", .points = 1,
     .title = "SIGTERM with a client that never answers the close 1001: with --close-timeout-ms "
              "300 chat still exits 0 within 2 s",
     .hint = HINT_STOP) {
    server = chat_start("--close-timeout-ms", "300", NULL);
    struct t_conn *a = chat_join(server->port, "/chat/r?name=a", "members a");
    long long t0 = t_now_ms();
    int status = t_server_signal_wait(server, SIGTERM, 2000);
    if (status == -1)
        FAILF("expected: chat to give up on the silent client after 300 ms and exit\n     got: "
              "still running after 2 s");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAILF("expected: exit status 0\n     got: wait status %d", status);
    t_note("exited after %lld ms", t_now_ms() - t0);
    expect_close(a, 1001);
    t_conn_close(a);
    t_server_stop(server); /* it has exited: this looks for a sanitizer report in its log */
}

/* ---- the closing handshake ---------------------------------------------------------- */

TEST(close_timeout, .id = "4.4.20", .points = 2,
     .title = "--close-timeout-ms 300: a client that never answers its close 1003 is "
              "disconnected after about 300 ms (not at once, and within 1.5 s); the others get "
              "\"leave\"",
     .hint = "TUTORIAL §3.7 \"Closing\" (a peer that never answers a close must not hold the "
             "connection forever), §4.5 \"Closing gracefully\"; wsserver.h (a close the "
             "peer does not answer within close_timeout_ms ends the connection anyway: a timer "
             "while ws is CLOSING); RFC 6455 §7.1.1") {
    server = chat_start("--close-timeout-ms", "300", NULL);
    int p = server->port;
    struct t_conn *ann = chat_join(p, "/chat/r?name=ann", "members ann");
    struct t_conn *mute = chat_join(p, "/chat/r?name=mute", "members ann mute");
    expect_text(ann, "join mute");
    long long t0 = t_now_ms();
    send_frame(mute, FIN | OP_BINARY, S("\x01\x02\x03"));
    expect_close(mute, 1003);
    t_note("the close 1003 came %lld ms after the binary message; it is never answered",
           t_now_ms() - t0);
    t_expect_closed(mute, 1500);
    long long took = t_now_ms() - t0;
    t_note("the server closed the connection %lld ms after the binary message", took);
    if (took < 250)
        FAILF("expected: the server to wait about 300 ms for the answer to its close\n     got: "
              "it closed the connection after %lld ms",
              took);
    t_conn_close(mute);
    expect_text(ann, "leave mute");
    close_cleanly(ann);
}
