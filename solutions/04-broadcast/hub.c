/*
 * hub — rooms, and broadcast to every member of a room (see hub.h).
 *
 * The rooms are a hash table: a room is found from its name in a step or
 * two however many rooms there are, so ten thousand clients joining ten
 * thousand rooms cost ten thousand steps, not fifty million. Each room
 * keeps its members in a doubly linked list, in joining order: a member
 * joins at the end and leaves from anywhere in O(1), because the links live
 * inside struct member (the caller's memory) and the hub allocates nothing
 * per member.
 *
 *   hub ─► buckets[hash(name) % n] ─► room ─► room ─► ...
 *                                      │
 *                                      first ⇄ member ⇄ member ⇄ member ← last
 *
 * Every frame the hub sends is built once, in one rcbuf of exactly the
 * frame's length: frame_begin() writes the header (Lab 3's frame_write, no
 * mask) and frame_put() appends the payload piece by piece, so "msg NAME
 * TEXT" needs no scratch copy. hub_broadcast() hands that same buffer to
 * every member; each queue that keeps it takes a reference, the hub drops
 * its own, and the last queue to write it frees it.
 *
 * Lab 4, task 3. Read: TUTORIAL §4.7–§4.8; RFC 6455 §5.2, §5.6.
 */
#include "hub.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define FIRST_BUCKETS 16 /* the table doubles when rooms outnumber buckets */

struct room {
    char name[HUB_NAME_MAX + 1];
    struct member *first, *last; /* in joining order */
    size_t count;
    struct room *next; /* the next room in the same bucket */
};

struct hub {
    struct room **buckets; /* nbuckets chains of rooms */
    size_t nbuckets;       /* a power of two */
    size_t nrooms;
};

/* ---- the table of rooms (given) ------------------------------------------ */

/* FNV-1a: short, and good enough to spread names over the buckets. */
static size_t hash(const char *name) {
    uint64_t h = 14695981039346656037u;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211u;
    return (size_t)h;
}

static struct room **bucket(const struct hub *h, const char *name) {
    return &h->buckets[hash(name) & (h->nbuckets - 1)];
}

/* Doubles the table, so that chains stay about one room long. If memory
 * runs out the table stays as it is: slower, still correct. */
static void grow(struct hub *h) {
    size_t n = h->nbuckets * 2;
    struct room **bigger = calloc(n, sizeof *bigger);
    if (bigger == NULL) return;
    struct room **old = h->buckets;
    size_t old_n = h->nbuckets;
    h->buckets = bigger;
    h->nbuckets = n;
    for (size_t i = 0; i < old_n; i++) {
        for (struct room *r = old[i], *next; r != NULL; r = next) {
            next = r->next;
            struct room **b = bucket(h, r->name);
            r->next = *b;
            *b = r;
        }
    }
    free(old);
}

/* The room called name; if there is none and create is set, a new empty
 * one. NULL if there is none (or memory ran out, or the name is too long). */
static struct room *room_get(struct hub *h, const char *name, bool create) {
    for (struct room *r = *bucket(h, name); r != NULL; r = r->next)
        if (strcmp(r->name, name) == 0) return r;
    size_t len = strlen(name);
    if (!create || len == 0 || len > HUB_NAME_MAX) return NULL;
    struct room *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    memcpy(r->name, name, len + 1);
    if (h->nrooms >= h->nbuckets) grow(h);
    struct room **b = bucket(h, name);
    r->next = *b;
    *b = r;
    h->nrooms++;
    return r;
}

/* Takes the room out of the table and frees it (its members are not
 * touched: they are the callers'). */
static void room_destroy(struct hub *h, struct room *room) {
    struct room **p = bucket(h, room->name);
    while (*p != room) p = &(*p)->next;
    *p = room->next;
    h->nrooms--;
    free(room);
}

struct hub *hub_new(void) {
    struct hub *h = calloc(1, sizeof *h);
    if (h == NULL) return NULL;
    h->buckets = calloc(FIRST_BUCKETS, sizeof *h->buckets);
    if (h->buckets == NULL) {
        free(h);
        return NULL;
    }
    h->nbuckets = FIRST_BUCKETS;
    return h;
}

void hub_free(struct hub *h) {
    if (h == NULL) return;
    for (size_t i = 0; i < h->nbuckets; i++)
        while (h->buckets[i] != NULL) room_destroy(h, h->buckets[i]);
    free(h->buckets);
    free(h);
}

struct room *hub_room(struct hub *h, const char *name) {
    return room_get(h, name, false);
}

size_t hub_rooms(const struct hub *h) {
    return h->nrooms;
}

size_t room_members(const struct room *room) {
    return room->count;
}

const char *room_name(const struct room *room) {
    return room->name;
}

/* ---- frames ----------------------------------------------------------------- */

/* Appends n bytes to a frame being built. */
static void frame_put(struct rcbuf *frame, const void *bytes, size_t n) {
    if (n == 0) return;
    memcpy(frame->data + frame->len, bytes, n);
    frame->len += n;
}

/* A new rcbuf with room for exactly one frame of payload_len bytes, its
 * header already written: FIN, opcode, no mask (a server's frames are never
 * masked, RFC 6455 §5.1), the shortest length form (§5.2). The payload is
 * then appended with frame_put(). NULL if out of memory. */
static struct rcbuf *frame_begin(unsigned opcode, size_t payload_len) {
    unsigned char head[FRAME_MAX_HEADER];
    size_t n = frame_write(head, true, opcode, payload_len, NULL);
    struct rcbuf *frame = rcbuf_new(n + payload_len);
    if (frame != NULL) frame_put(frame, head, n);
    return frame;
}

struct rcbuf *hub_frame(unsigned opcode, const void *data, size_t len) {
    struct rcbuf *frame = frame_begin(opcode, len);
    if (frame != NULL) frame_put(frame, data, len);
    return frame;
}

/* ---- membership and broadcast ------------------------------------------------ */

/* "WORD NAME" as a text frame: the join and leave notices. */
static struct rcbuf *notice(const char *word, const char *name) {
    size_t word_len = strlen(word), name_len = strlen(name);
    struct rcbuf *frame = frame_begin(WS_OP_TEXT, word_len + 1 + name_len);
    if (frame == NULL) return NULL;
    frame_put(frame, word, word_len);
    frame_put(frame, " ", 1);
    frame_put(frame, name, name_len);
    return frame;
}

/* "members NAME1 ... NAMEn NEWCOMER": the room as it is, then the
 * newcomer. Its length grows with the room, so it is measured first. */
static struct rcbuf *members_frame(const struct room *room, const struct member *newcomer) {
    static const char word[] = "members";
    size_t len = sizeof word - 1 + 1 + strlen(newcomer->name);
    for (const struct member *m = room->first; m != NULL; m = m->next) len += 1 + strlen(m->name);
    struct rcbuf *frame = frame_begin(WS_OP_TEXT, len);
    if (frame == NULL) return NULL;
    frame_put(frame, word, sizeof word - 1);
    for (const struct member *m = room->first; m != NULL; m = m->next) {
        frame_put(frame, " ", 1);
        frame_put(frame, m->name, strlen(m->name));
    }
    frame_put(frame, " ", 1);
    frame_put(frame, newcomer->name, strlen(newcomer->name));
    return frame;
}

int hub_broadcast(struct room *room, struct rcbuf *frame) {
    int delivered = 0;
    /* next is read before deliver(): a member may leave from inside it. */
    for (struct member *m = room->first, *next; m != NULL; m = next) {
        next = m->next;
        if (m->deliver(m, frame) == 0) delivered++;
    }
    return delivered;
}

int hub_join(struct hub *h, struct member *m, const char *name) {
    m->room = NULL;
    struct room *room = room_get(h, name, true);
    if (room == NULL) return -1;
    /* Both frames first: if either cannot be made, nothing has happened. */
    struct rcbuf *members = members_frame(room, m);
    struct rcbuf *join = room->count > 0 ? notice("join", m->name) : NULL;
    if (members == NULL || (room->count > 0 && join == NULL)) {
        rcbuf_unref(members);
        rcbuf_unref(join);
        if (room->count == 0) room_destroy(h, room);
        return -1;
    }
    if (join != NULL) hub_broadcast(room, join); /* the others, before m is one of them */
    m->room = room;
    m->prev = room->last;
    m->next = NULL;
    if (room->last != NULL)
        room->last->next = m;
    else
        room->first = m;
    room->last = m;
    room->count++;
    m->deliver(m, members);
    rcbuf_unref(members);
    rcbuf_unref(join);
    return 0;
}

void hub_leave(struct hub *h, struct member *m) {
    struct room *room = m->room;
    if (room == NULL) return;
    if (m->prev != NULL)
        m->prev->next = m->next;
    else
        room->first = m->next;
    if (m->next != NULL)
        m->next->prev = m->prev;
    else
        room->last = m->prev;
    m->room = NULL;
    m->prev = m->next = NULL;
    if (--room->count == 0) {
        room_destroy(h, room); /* a room exists while it has members */
        return;
    }
    /* Out of memory, the others miss the notice; the member is gone anyway. */
    struct rcbuf *leave = notice("leave", m->name);
    if (leave == NULL) return;
    hub_broadcast(room, leave);
    rcbuf_unref(leave);
}

int hub_say(struct hub *h, struct member *m, const char *text, size_t len) {
    (void)h;
    if (m->room == NULL) return -1;
    static const char word[] = "msg ";
    size_t name_len = strlen(m->name);
    struct rcbuf *frame = frame_begin(WS_OP_TEXT, sizeof word - 1 + name_len + 1 + len);
    if (frame == NULL) return -1;
    frame_put(frame, word, sizeof word - 1);
    frame_put(frame, m->name, name_len);
    frame_put(frame, " ", 1);
    frame_put(frame, text, len);
    /* One frame for the whole room: the same bytes go to every member. */
    int delivered = hub_broadcast(m->room, frame);
    rcbuf_unref(frame);
    return delivered;
}
