/*
 * hub — rooms, and broadcast to every member of a room.
 *
 * Publish/subscribe in its simplest form: a member joins a room by name (a
 * room exists while it has members), and whatever is said in a room goes to
 * every member, the sender included. Because one thread does all of it,
 * every member of a room sees the room's messages in one and the same
 * order: the order in which the hub handled them.
 *
 * A broadcast is serialized once: hub_frame() builds the WebSocket frame
 * (header and payload) in one reference-counted buffer, and every member's
 * deliver() queues that same buffer. Sending to a thousand members costs a
 * thousand pointers, not a thousand copies.
 *
 * The hub knows nothing of sockets: a member is anything with a deliver
 * function (a WebSocket client in chat.c, a recorder in the tests). What
 * the hub says is text (Lab 5 turns it into JSON):
 *
 *   to the newcomer:     "members NAME1 NAME2 ... NAMEn"   (in joining order,
 *                                                          the newcomer last)
 *   to the others:       "join NAME"
 *   to everyone:         "msg NAME TEXT"                   (hub_say)
 *   to those remaining:  "leave NAME"
 *
 * Lab 4, task 3. Read: TUTORIAL §4.7–§4.8; RFC 6455 §5.2 (a server's frame is
 * unmasked: the same bytes suit every recipient), §5.6.
 */
#ifndef WSLAB_HUB_H
#define WSLAB_HUB_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"

#define HUB_NAME_MAX 32 /* bytes of a member's or a room's name */

struct hub;
struct room;
struct member;

/* Queues frame for the member (taking a reference if it keeps it).
 * Returns 0, or -1 if the member cannot take it (being dropped). */
typedef int (*hub_deliver_fn)(struct member *m, struct rcbuf *frame);

/* A member: the caller's storage (inside its per-client data). The caller
 * fills name and deliver; the rest is the hub's. */
struct member {
    char name[HUB_NAME_MAX + 1];
    hub_deliver_fn deliver;
    struct room *room; /* NULL when in no room */
    struct member *prev, *next;
};

/* A new, empty hub, or NULL if out of memory. */
struct hub *hub_new(void);

/* Frees the hub and its rooms (members are the caller's; they must have
 * left). */
void hub_free(struct hub *h);

/* The frame a server sends for one whole message: FIN, opcode, no mask,
 * the shortest length form (RFC 6455 §5.2), then the payload — in a new
 * rcbuf with one reference. NULL if out of memory. */
struct rcbuf *hub_frame(unsigned opcode, const void *data, size_t len);

/* Puts m in the room called `room` (made if needed), last in joining
 * order; sends m the "members" list and the others "join NAME". Returns 0,
 * or -1 if out of memory (m is then in no room). */
int hub_join(struct hub *h, struct member *m, const char *room);

/* Takes m out of its room (harmless if in none), tells the others "leave
 * NAME", and frees the room if it is now empty. */
void hub_leave(struct hub *h, struct member *m);

/* Broadcasts "msg NAME TEXT" from m to every member of m's room, m
 * included, as one frame shared by all. Returns the number of members it
 * was delivered to, or -1 if m is in no room or memory runs out. */
int hub_say(struct hub *h, struct member *m, const char *text, size_t len);

/* Delivers frame to every member of room (the caller keeps its own
 * reference). Returns how many took it. */
int hub_broadcast(struct room *room, struct rcbuf *frame);

/* The room called name, or NULL if it has no members. */
struct room *hub_room(struct hub *h, const char *name);

/* How many rooms exist; how many members a room has; its name. */
size_t hub_rooms(const struct hub *h);
size_t room_members(const struct room *room);
const char *room_name(const struct room *room);

#endif
