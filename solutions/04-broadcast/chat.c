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

static bool is_name_byte(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* Copies a room or a name (p, len bytes) into out. Returns 0, or 400 if it
 * is empty, too long, or has a byte that could change the meaning of the
 * hub's messages (a space, a newline) — so no percent-decoding either. */
static int copy_name(char out[HUB_NAME_MAX + 1], const char *p, size_t len) {
    if (len == 0 || len > HUB_NAME_MAX) return 400;
    for (size_t i = 0; i < len; i++)
        if (!is_name_byte(p[i])) return 400;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

/* Finds the first "name" parameter of a query ("a=1&name=bob&..."): true
 * with its value in *value, *value_len ("name" without "=" has an empty
 * value), or false if there is none. */
static bool find_name(const char *query, size_t len, const char **value, size_t *value_len) {
    while (len > 0) {
        const char *amp = memchr(query, '&', len);
        size_t param_len = amp != NULL ? (size_t)(amp - query) : len;
        const char *eq = memchr(query, '=', param_len);
        size_t key_len = eq != NULL ? (size_t)(eq - query) : param_len;
        if (key_len == 4 && memcmp(query, "name", 4) == 0) {
            *value = eq != NULL ? eq + 1 : query + param_len;
            *value_len = eq != NULL ? param_len - key_len - 1 : 0;
            return true;
        }
        query += param_len + (amp != NULL);
        len -= param_len + (amp != NULL);
    }
    return false;
}

int chat_parse_target(const char *target, size_t len, struct chat_target *t) {
    memset(t, 0, sizeof *t);
    const char *q = memchr(target, '?', len);
    size_t path_len = q != NULL ? (size_t)(q - target) : len;
    if (path_len == 5 && memcmp(target, "/echo", 5) == 0) {
        t->endpoint = CHAT_ECHO;
        return 0;
    }
    /* "/chat", "/chat/" or "/chat/ROOM"; not "/chatter", "/chat/a/" */
    if (path_len < 5 || memcmp(target, "/chat", 5) != 0) return 404;
    const char *room = target + 5;
    size_t room_len = path_len - 5;
    if (room_len > 0) {
        if (room[0] != '/') return 404;
        room++;
        room_len--;
    }
    if (memchr(room, '/', room_len) != NULL) return 404;
    t->endpoint = CHAT_ROOM;
    if (room_len == 0)
        strcpy(t->room, CHAT_DEFAULT_ROOM);
    else if (copy_name(t->room, room, room_len) != 0)
        return 400;

    const char *name;
    size_t name_len;
    if (q != NULL && find_name(q + 1, len - path_len - 1, &name, &name_len))
        return copy_name(t->name, name, name_len);
    return 0;
}

/* ---- the callbacks ------------------------------------------------------------ */

/* member.deliver: the hub's frame goes to the client's queue (shared). */
static int deliver(struct member *m, struct rcbuf *frame) {
    struct chat_client *cc = (struct chat_client *)m; /* member is the first field */
    return client_send_frame(cc->client, frame);
}

static int on_upgrade(void *arg, struct client *c, const struct http_request *req,
                      const char **why) {
    (void)arg;
    struct chat_target t;
    int status = chat_parse_target(req->target.p, req->target.len, &t);
    if (status != 0) {
        *why = status == 404 ? "no such endpoint" : "bad room or name";
        return status;
    }
    struct chat_client *cc = calloc(1, sizeof *cc);
    if (cc == NULL) {
        *why = "out of memory";
        return 500;
    }
    cc->client = c;
    cc->echo = t.endpoint == CHAT_ECHO;
    memcpy(cc->room, t.room, sizeof cc->room);
    if (t.name[0] != '\0')
        memcpy(cc->member.name, t.name, sizeof cc->member.name);
    else
        snprintf(cc->member.name, sizeof cc->member.name, "guest-%" PRIu64, c->id);
    cc->member.deliver = deliver;
    c->app = cc;
    return 0;
}

static void on_open(void *arg, struct client *c) {
    struct chat *chat = arg;
    struct chat_client *cc = c->app;
    if (!cc->echo && hub_join(chat->hub, &cc->member, cc->room) < 0)
        client_close(c, WS_CLOSE_INTERNAL, "out of memory");
}

static void on_message(void *arg, struct client *c, unsigned opcode, const unsigned char *data,
                       size_t len) {
    struct chat *chat = arg;
    struct chat_client *cc = c->app;
    if (cc->echo)
        client_send(c, opcode, data, len);
    else if (opcode == WS_OP_TEXT)
        hub_say(chat->hub, &cc->member, (const char *)data, len);
    else /* RFC 6455 §7.4.1: 1003, a type of data this endpoint does not take */
        client_close(c, WS_CLOSE_UNSUPPORTED, "text only");
}

static void on_close(void *arg, struct client *c) {
    struct chat *chat = arg;
    struct chat_client *cc = c->app;
    hub_leave(chat->hub, &cc->member); /* harmless if it never joined */
    free(cc);
    c->app = NULL;
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
