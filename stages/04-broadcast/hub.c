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
    /* TODO(handout step 3.1): write the header with Lab 3's frame_write()
     * (fin true, no mask: NULL) into a local array of FRAME_MAX_HEADER
     * bytes; it returns the header's size n. Then rcbuf_new(n +
     * payload_len) — exactly the frame's size: a thousand queues may hold
     * it — and frame_put() the header into it. The caller appends the
     * payload. RFC 6455 §5.1, §5.2. */
    (void)opcode;
    (void)payload_len;
    return NULL;
}

struct rcbuf *hub_frame(unsigned opcode, const void *data, size_t len) {
    struct rcbuf *frame = frame_begin(opcode, len);
    if (frame != NULL) frame_put(frame, data, len);
    return frame;
}

/* ---- membership and broadcast ------------------------------------------------ */

int hub_broadcast(struct room *room, struct rcbuf *frame) {
    /* TODO(handout step 3.4): call deliver(m, frame) for every member m of
     * the room, first to last; count those that return 0. deliver() takes
     * its own reference if it keeps the frame: do not ref or unref here.
     * Read m->next before calling deliver(m, ...), in case m leaves from
     * inside it. TUTORIAL §4.7. */
    (void)room;
    (void)frame;
    return 0;
}

int hub_join(struct hub *h, struct member *m, const char *name) {
    /* TODO(handout step 3.2): room_get(h, name, true) finds or makes the
     * room (NULL: -1). Build two text frames with frame_begin() and
     * frame_put(): "members N1 N2 ... NEWCOMER" (the names of the members
     * already there, in joining order, then m's; measure the length first)
     * and, if the room has members, "join NAME". If either cannot be made,
     * unref what was made, room_destroy() the room if it is empty, leave
     * m->room NULL and return -1. Else hub_broadcast() the join notice to
     * the others, append m at the end of the room's list (m->room, m->prev,
     * m->next; room->first, room->last, room->count), deliver the members
     * list to m, and unref both frames (rcbuf_unref(NULL) is harmless).
     * TUTORIAL §4.8. */
    (void)h;
    (void)m;
    (void)name;
    return -1;
}

void hub_leave(struct hub *h, struct member *m) {
    /* TODO(handout step 3.3): nothing if m->room is NULL. Unlink m from
     * its room's list (mind the first and last member), set m->room,
     * m->prev and m->next to NULL, count one fewer. An empty room is
     * room_destroy()ed (a room exists while it has members); otherwise the
     * others get "leave NAME" (one frame for all, unref'd afterwards).
     * TUTORIAL §4.8. */
    (void)h;
    (void)m;
}

int hub_say(struct hub *h, struct member *m, const char *text, size_t len) {
    /* TODO(handout step 3.4): -1 if m is in no room. Build ONE frame,
     * "msg NAME TEXT" (frame_begin with the exact payload length, then
     * frame_put the four pieces), hub_broadcast() it to m's room (m
     * included), rcbuf_unref() your own reference, and return how many it
     * was delivered to (-1 if out of memory). Never build a frame per
     * member: a thousand members share one buffer. TUTORIAL §4.7. */
    (void)h;
    (void)m;
    (void)text;
    (void)len;
    return -1;
}
