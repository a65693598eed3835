/*
 * chat — the chat program's endpoints (see chat.h), as wsserver callbacks.
 *
 * A client's life, as the application sees it:
 *
 *   on_upgrade  the target decides: a room (and a name) or the echo; a
 *               target that is neither is refused (404, 400) before any
 *               handshake. The per-client state is made here, since this is
 *               where the target is known.
 *   on_open     the 101 is queued: a room client joins its room (the hub
 *               sends it "members ...", the others "join NAME").
 *   on_message  text in a room: said to the room; binary in a room: close
 *               1003; anything on /echo: sent back.
 *   on_close    the client left (or its handshake failed): out of the room
 *               ("leave NAME" to the others), and the state is freed.
 *
 * The hub reaches a client through member.deliver, which hands the shared
 * frame to client_send_frame(): the hub never sees a socket.
 *
 * Lab 4, task 4. Read: TUTORIAL §4.8–§4.9; RFC 6455 §7.4.1 (1003).
 */
#include "chat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What chat keeps per client (in c->app). */
struct chat_client {
    struct member member; /* first: the hub's member is the whole struct's address */
    struct client *client;
    bool echo;                   /* /echo rather than a room */
    char room[HUB_NAME_MAX + 1]; /* the room to join once the client is open */
};

/* ---- the target --------------------------------------------------------------- */

int chat_parse_target(const char *target, size_t len, struct chat_target *t) {
    /* TODO(handout step 4.1): split the target at the first '?' into a
     * path and a query. Path "/echo" → CHAT_ECHO. Path "/chat" or "/chat/"
     * → CHAT_ROOM in CHAT_DEFAULT_ROOM; "/chat/ROOM" → that room. Anything
     * else, "/chat/ROOM/" and "/chat/a/b" included, → 404. A room, and the
     * value of the query's first "name" parameter ("a=1&name=bob", up to
     * the next '&'), must be 1 to HUB_NAME_MAX bytes of A-Z a-z 0-9 - _ .
     * (no percent-decoding), else 400 — "name=" is an empty name. Copy them
     * NUL-terminated into t->room and t->name (t->name stays "" without a
     * name parameter). The target is not NUL-terminated: use len.
     * TUTORIAL §4.8; RFC 3986 §3.3, §3.4. */
    (void)target;
    (void)len;
    memset(t, 0, sizeof *t);
    return 404;
}

/* ---- the callbacks ------------------------------------------------------------ */

static int on_upgrade(void *arg, struct client *c, const struct http_request *req,
                      const char **why) {
    /* TODO(handout step 4.2): chat_parse_target(req->target...); on 404 or
     * 400 set *why to a short reason and return that status. Otherwise
     * calloc a struct chat_client: client = c, echo for CHAT_ECHO, the
     * room, and member.name = the name asked for or "guest-ID" (ID: c->id,
     * a uint64_t — PRIu64 from <inttypes.h>), member.deliver = a function
     * of yours that passes the frame to client_send_frame(). Keep it in
     * c->app and return 0 (out of memory: 500). From here on, on_close
     * will come, even if the handshake fails. wsserver.h. */
    (void)arg;
    (void)c;
    (void)req;
    *why = "not written yet (TODO in chat.c)";
    return 404;
}

static void on_open(void *arg, struct client *c) {
    /* TODO(handout step 4.3): a room client joins its room now that its
     * 101 is queued (hub_join sends it the members list); if that fails,
     * client_close() with WS_CLOSE_INTERNAL. The echo joins nothing. */
    (void)arg;
    (void)c;
}

static void on_message(void *arg, struct client *c, unsigned opcode, const unsigned char *data,
                       size_t len) {
    /* TODO(handout step 4.4): on /echo, client_send() the message back
     * with its opcode. In a room, a text message is hub_say()'d; a binary
     * one gets client_close() with WS_CLOSE_UNSUPPORTED (1003: this
     * endpoint takes text only, RFC 6455 §7.4.1). */
    (void)arg;
    (void)c;
    (void)opcode;
    (void)data;
    (void)len;
}

static void on_close(void *arg, struct client *c) {
    /* TODO(handout step 4.5): hub_leave() (harmless for a member in no
     * room: the others get "leave NAME"), then free c->app. */
    (void)arg;
    (void)c;
}

/* ---- the application ------------------------------------------------------------ */

int chat_init(struct chat *chat, struct wsserver_app *app) {
    chat->hub = hub_new();
    if (chat->hub == NULL) return -1;
    *app = (struct wsserver_app){
        .on_upgrade = on_upgrade,
        .on_open = on_open,
        .on_message = on_message,
        .on_close = on_close,
        .arg = chat,
    };
    return 0;
}

void chat_free(struct chat *chat) {
    hub_free(chat->hub);
    chat->hub = NULL;
}
