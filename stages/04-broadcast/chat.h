/*
 * chat — the chat program's WebSocket endpoints, as a wsserver application.
 *
 *   /chat, /chat/, /chat/ROOM[?name=NAME]
 *       the client joins ROOM (default "lobby") of the hub under NAME
 *       (default "guest-ID", ID being the client's number); every text
 *       message it sends is said in the room (hub_say), so that every
 *       member, the sender included, receives "msg NAME TEXT"; a binary
 *       message gets close 1003 (this endpoint takes text only, RFC 6455
 *       §7.4.1); when it leaves, the others receive "leave NAME".
 *   /echo
 *       every message comes back as it came (text or binary): the loop's
 *       echo, to measure it beside Lab 3's threads.
 *   any other target: refused with 404.
 *
 * ROOM and NAME: 1 to HUB_NAME_MAX bytes among A-Z a-z 0-9 - _ . (no
 * percent-decoding: other bytes are refused with 400, so a name can never
 * smuggle a space or a newline into the hub's messages).
 *
 * Lab 4, task 4. Read: TUTORIAL §4.8–§4.9.
 */
#ifndef WSLAB_CHAT_H
#define WSLAB_CHAT_H

#include <stddef.h>

#include "hub.h"
#include "wsserver.h"

#define CHAT_DEFAULT_ROOM "lobby"

enum chat_endpoint { CHAT_ROOM, CHAT_ECHO };

/* What a handshake's target asks for. */
struct chat_target {
    enum chat_endpoint endpoint;
    char room[HUB_NAME_MAX + 1]; /* CHAT_ROOM: the room */
    char name[HUB_NAME_MAX + 1]; /* CHAT_ROOM: the name asked for, or "" */
};

/* Parses a request target (path and optional query; parameters other than
 * name are ignored, and the first name counts; "name" without "=" is an
 * empty name). Returns 0 and fills *t, 404 if the path is none of the
 * endpoints, 400 if a room or name is empty, too long or has a byte outside
 * A-Z a-z 0-9 - _ . */
int chat_parse_target(const char *target, size_t len, struct chat_target *t);

/* The application: a hub and the endpoints above. */
struct chat {
    struct hub *hub;
};

/* Makes the hub and fills app with the chat's callbacks (arg = chat).
 * Returns 0, or -1 if out of memory. */
int chat_init(struct chat *chat, struct wsserver_app *app);

/* Frees the hub (every client has gone by then). */
void chat_free(struct chat *chat);

#endif
