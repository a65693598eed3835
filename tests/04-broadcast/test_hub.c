/*
 * Lab 4, task 3 — rooms and broadcast (hub.c).
 *
 * The members here are recorders: their deliver() keeps a reference to
 * every frame it is given, so a test can check the bytes (parsed with the
 * tests' own frame parser, ws_client.h) and that a broadcast gave every
 * member the very same buffer. hub_frame's bytes are compared with frames
 * written out by hand from RFC 6455 §5.2.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "harness.h"
#include "hub.h"
#include "support.h"

#define HINT_FRAME                                                                                 \
    "TUTORIAL §4.7 \"One frame suits everyone\"; hub.h (hub_frame: FIN, the opcode, no mask, "    \
    "the shortest length form, the payload; in one rcbuf); RFC 6455 §5.2; Lab 3's frame_write "   \
    "does the header"
#define HINT_JOIN                                                                                  \
    "TUTORIAL §4.8 \"The notices\"; hub.h (the newcomer gets \"members A B ... NEWCOMER\" in "    \
    "joining order, the others \"join NEWCOMER\"; a room is made on first join)"
#define HINT_SAY                                                                                   \
    "TUTORIAL §4.7 \"Reference counting\", \"One order for everyone\"; hub.h (hub_say: \"msg "    \
    "NAME TEXT\" to every member, the sender included, as ONE frame: every deliver gets the "      \
    "same rcbuf; drop your own reference after the loop)"
#define HINT_LEAVE                                                                                 \
    "TUTORIAL §4.8 \"Rooms as topics\", \"The notices\"; hub.h (hub_leave: the others get "       \
    "\"leave NAME\"; an empty room is freed)"

/* ---- recording members -------------------------------------------------------------- */

#define MAX_FRAMES 16

struct rec {
    struct member m; /* first: deliver gets &rec->m */
    struct rcbuf *frames[MAX_FRAMES];
    int n;
    bool refuse; /* deliver returns -1 */
};

static int deliver(struct member *m, struct rcbuf *frame) {
    struct rec *r = (struct rec *)m;
    if (r->refuse) return -1;
    if (r->n < MAX_FRAMES) r->frames[r->n] = rcbuf_ref(frame);
    r->n++;
    return 0;
}

static void rec_init(struct rec *r, const char *name) {
    *r = (struct rec){0};
    snprintf(r->m.name, sizeof r->m.name, "%s", name);
    r->m.deliver = deliver;
}

static void rec_clear(struct rec *r) {
    for (int i = 0; i < r->n && i < MAX_FRAMES; i++) rcbuf_unref(r->frames[i]);
    r->n = 0;
}

static struct hub *new_hub(void) {
    struct hub *h = hub_new();
    if (!h) FAILF("expected: hub_new() to return a hub\n     got: NULL");
    return h;
}

static void join(struct hub *h, struct rec *r, const char *room) {
    if (hub_join(h, &r->m, room) != 0)
        FAILF("expected: hub_join(%s, \"%s\") to return 0\n     got: -1", r->m.name, room);
}

/* Expects the text frames r got to be exactly the lines given (NULL-ended). */
static void expect_frames(const struct rec *r, const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    int i = 0;
    for (const char *want = first; want; want = va_arg(ap, const char *), i++) {
        if (i >= r->n)
            FAILF("expected: member %s's message %d to be \"%s\"\n     got: only %d message(s)",
                  r->m.name, i + 1, want, r->n);
        const struct rcbuf *b = r->frames[i];
        struct tframe f;
        const char *why = NULL;
        int hl = tframe_parse(b->data, b->len, &f, &why);
        if (hl <= 0 || !f.fin || f.opcode != OP_TEXT || f.masked || f.rsv ||
            (size_t)hl + f.len != b->len)
            FAILF("expected: member %s's message %d: one unmasked text frame (FIN) \"%s\"\n     "
                  "got: a buffer of %zu bytes that is not (%s)",
                  r->m.name, i + 1, want, b->len, t_escape(b->data, b->len, 60));
        if (f.len != strlen(want) || memcmp(b->data + hl, want, f.len) != 0)
            FAILF("expected: member %s's message %d to be \"%s\"\n     got: \"%s\"", r->m.name,
                  i + 1, want, t_escape(b->data + hl, (size_t)f.len, 200));
    }
    va_end(ap);
    if (r->n != i)
        FAILF("expected: member %s to get %d message(s)\n     got: %d", r->m.name, i, r->n);
}

/* ---- hub_frame ---------------------------------------------------------------------- */

/* Checks hub_frame(opcode, payload of len bytes) against the header written
 * out by hand. */
static void check_frame(unsigned opcode, size_t len, const char *head, size_t head_len) {
    unsigned char *payload = binary_pattern(len, (unsigned)len);
    struct rcbuf *b = hub_frame(opcode, payload, len);
    if (!b)
        FAILF("expected: hub_frame(%u, ..., %zu) to return a buffer\n     got: NULL", opcode, len);
    char want_hex[64], got_hex[64];
    t_hex((const unsigned char *)head, head_len, want_hex);
    t_hex(b->data, b->len < head_len ? b->len : head_len, got_hex);
    if (b->len != head_len + len || memcmp(b->data, head, head_len) != 0)
        FAILF("expected: a %zu-byte payload framed as %s + the payload (%zu bytes)\n     got: %s "
              "... (%zu bytes)",
              len, want_hex, head_len + len, got_hex, b->len);
    if (len && memcmp(b->data + head_len, payload, len) != 0)
        FAILF("expected: the payload after the header %s\n     got: other bytes", want_hex);
    CHECK_INT(b->refs, 1);
    rcbuf_unref(b);
    free(payload);
}

TEST(frame_lengths, .id = "4.3.1", .points = 3,
     .title = "hub_frame writes a server's frame byte for byte: lengths 0, 5, 125 in 7 bits, "
              "126 and 65535 in 16, 65536 in 64 (81 7F 00 00 00 00 00 01 00 00); binary 82, "
              "close 88",
     .hint = HINT_FRAME) {
    check_frame(OP_TEXT, 0, S("\x81\x00"));
    check_frame(OP_TEXT, 5, S("\x81\x05"));
    check_frame(OP_TEXT, 125, S("\x81\x7d"));
    check_frame(OP_TEXT, 126, S("\x81\x7e\x00\x7e"));
    check_frame(OP_TEXT, 65535, S("\x81\x7e\xff\xff"));
    check_frame(OP_TEXT, 65536, S("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"));
    check_frame(OP_BINARY, 300, S("\x82\x7e\x01\x2c"));
    check_frame(OP_CLOSE, 2, S("\x88\x02"));
    expect_no_leaks("after unref'ing every frame");
}

/* ---- rooms -------------------------------------------------------------------------- */

TEST(first_join, .id = "4.3.2", .points = 2,
     .title = "the first member of a room: the room is made (hub_rooms 1, hub_room, room_name, "
              "room_members 1), m.room set, and it gets \"members ann\"",
     .hint = HINT_JOIN) {
    struct hub *h = new_hub();
    CHECK_INT(hub_rooms(h), 0);
    CHECK(hub_room(h, "kitchen") == NULL);
    struct rec ann;
    rec_init(&ann, "ann");
    join(h, &ann, "kitchen");
    struct room *room = hub_room(h, "kitchen");
    if (!room) FAILF("expected: hub_room(h, \"kitchen\") after the join\n     got: NULL");
    CHECK(ann.m.room == room);
    CHECK_INT(hub_rooms(h), 1);
    CHECK_INT(room_members(room), 1);
    CHECK_STR(room_name(room), "kitchen");
    expect_frames(&ann, "members ann", NULL);
    rec_clear(&ann);
    hub_leave(h, &ann.m);
    hub_free(h);
}

TEST(join_order, .id = "4.3.3", .points = 3,
     .title = "ann, bob and cy join: cy gets \"members ann bob cy\", ann \"join bob\" then \"join "
              "cy\", bob \"join cy\"",
     .hint = HINT_JOIN) {
    struct hub *h = new_hub();
    struct rec ann, bob, cy;
    rec_init(&ann, "ann"), rec_init(&bob, "bob"), rec_init(&cy, "cy");
    join(h, &ann, "r"), join(h, &bob, "r"), join(h, &cy, "r");
    expect_frames(&ann, "members ann", "join bob", "join cy", NULL);
    expect_frames(&bob, "members ann bob", "join cy", NULL);
    expect_frames(&cy, "members ann bob cy", NULL);
    CHECK_INT(room_members(hub_room(h, "r")), 3);
    rec_clear(&ann), rec_clear(&bob), rec_clear(&cy);
    hub_leave(h, &ann.m), hub_leave(h, &bob.m), hub_leave(h, &cy.m);
    hub_free(h);
}

TEST(say_shared, .id = "4.3.4", .points = 3,
     .title = "hub_say from ann: \"msg ann hello world\" to all three, ann included, as the SAME "
              "rcbuf (refs 3: the hub keeps none); it returns 3",
     .hint = HINT_SAY) {
    struct hub *h = new_hub();
    struct rec ann, bob, cy;
    rec_init(&ann, "ann"), rec_init(&bob, "bob"), rec_init(&cy, "cy");
    join(h, &ann, "r"), join(h, &bob, "r"), join(h, &cy, "r");
    rec_clear(&ann), rec_clear(&bob), rec_clear(&cy);
    CHECK_INT(hub_say(h, &ann.m, "hello world", 11), 3);
    expect_frames(&ann, "msg ann hello world", NULL);
    expect_frames(&bob, "msg ann hello world", NULL);
    expect_frames(&cy, "msg ann hello world", NULL);
    if (ann.frames[0] != bob.frames[0] || bob.frames[0] != cy.frames[0])
        FAILF("expected: one frame shared by every member (serialized once)\n     got: %p, %p, "
              "%p",
              (void *)ann.frames[0], (void *)bob.frames[0], (void *)cy.frames[0]);
    CHECK_INT(ann.frames[0]->refs, 3);
    rec_clear(&ann), rec_clear(&bob), rec_clear(&cy);
    hub_leave(h, &ann.m), hub_leave(h, &bob.m), hub_leave(h, &cy.m);
    hub_free(h);
    expect_no_leaks("after every frame was released and the hub freed");
}

TEST(rooms_isolated, .id = "4.3.5", .points = 2,
     .title = "two rooms: ann and bob in r1, cy in r2; what ann says reaches ann and bob only; "
              "cy's \"members cy\" lists only cy",
     .hint = HINT_JOIN "; " HINT_SAY) {
    struct hub *h = new_hub();
    struct rec ann, bob, cy;
    rec_init(&ann, "ann"), rec_init(&bob, "bob"), rec_init(&cy, "cy");
    join(h, &ann, "r1"), join(h, &cy, "r2"), join(h, &bob, "r1");
    CHECK_INT(hub_rooms(h), 2);
    CHECK_INT(hub_say(h, &ann.m, "hi", 2), 2);
    CHECK_INT(hub_say(h, &cy.m, "alone", 5), 1);
    expect_frames(&ann, "members ann", "join bob", "msg ann hi", NULL);
    expect_frames(&bob, "members ann bob", "msg ann hi", NULL);
    expect_frames(&cy, "members cy", "msg cy alone", NULL);
    rec_clear(&ann), rec_clear(&bob), rec_clear(&cy);
    hub_leave(h, &ann.m), hub_leave(h, &bob.m), hub_leave(h, &cy.m);
    hub_free(h);
}

TEST(leave_notice, .id = "4.3.6", .points = 2,
     .title = "bob leaves a room of three: ann and cy get \"leave bob\", bob nothing more and "
              "m.room NULL; a newcomer sees \"members ann cy dee\" (joining order kept)",
     .hint = HINT_LEAVE) {
    struct hub *h = new_hub();
    struct rec ann, bob, cy, dee;
    rec_init(&ann, "ann"), rec_init(&bob, "bob"), rec_init(&cy, "cy"), rec_init(&dee, "dee");
    join(h, &ann, "r"), join(h, &bob, "r"), join(h, &cy, "r");
    rec_clear(&ann), rec_clear(&bob), rec_clear(&cy);
    hub_leave(h, &bob.m);
    CHECK(bob.m.room == NULL);
    CHECK_INT(room_members(hub_room(h, "r")), 2);
    join(h, &dee, "r");
    CHECK_INT(hub_say(h, &cy.m, "x", 1), 3);
    expect_frames(&ann, "leave bob", "join dee", "msg cy x", NULL);
    expect_frames(&cy, "leave bob", "join dee", "msg cy x", NULL);
    expect_frames(&dee, "members ann cy dee", "msg cy x", NULL);
    CHECK_INT(bob.n, 0);
    CHECK_INT(hub_say(h, &bob.m, "ghost", 5), -1);
    rec_clear(&ann), rec_clear(&cy), rec_clear(&dee);
    hub_leave(h, &ann.m), hub_leave(h, &cy.m), hub_leave(h, &dee.m);
    hub_free(h);
}

TEST(empty_room_freed, .id = "4.3.7", .points = 2,
     .title = "when the last member leaves, the room is freed (hub_room NULL, hub_rooms 0); "
              "hub_leave of a member in no room is harmless; joining again makes a fresh room",
     .hint = HINT_LEAVE) {
    struct hub *h = new_hub();
    struct rec ann, bob;
    rec_init(&ann, "ann"), rec_init(&bob, "bob");
    join(h, &ann, "r"), join(h, &bob, "r");
    hub_leave(h, &ann.m);
    hub_leave(h, &bob.m);
    hub_leave(h, &bob.m);
    CHECK(hub_room(h, "r") == NULL);
    CHECK_INT(hub_rooms(h), 0);
    rec_clear(&ann), rec_clear(&bob);
    join(h, &bob, "r");
    expect_frames(&bob, "members bob", NULL);
    CHECK_INT(hub_rooms(h), 1);
    rec_clear(&bob);
    hub_leave(h, &bob.m);
    hub_free(h);
    expect_no_leaks("after the rooms emptied and hub_free");
}

TEST(deliver_refused, .id = "4.3.8", .points = 2,
     .title = "a member whose deliver returns -1 (being dropped) does not stop the broadcast: "
              "the others get it, and hub_say counts only those who took it",
     .hint = HINT_SAY) {
    struct hub *h = new_hub();
    struct rec ann, bob, cy;
    rec_init(&ann, "ann"), rec_init(&bob, "bob"), rec_init(&cy, "cy");
    join(h, &ann, "r"), join(h, &bob, "r"), join(h, &cy, "r");
    rec_clear(&ann), rec_clear(&bob), rec_clear(&cy);
    ann.refuse = true;
    CHECK_INT(hub_say(h, &bob.m, "still here", 10), 2);
    CHECK_INT(ann.n, 0);
    expect_frames(&bob, "msg bob still here", NULL);
    expect_frames(&cy, "msg bob still here", NULL);
    rec_clear(&bob), rec_clear(&cy);
    hub_leave(h, &ann.m), hub_leave(h, &bob.m), hub_leave(h, &cy.m);
    hub_free(h);
    expect_no_leaks("after the broadcast and hub_free");
}

TEST(broadcast, .id = "4.3.9", .points = 1,
     .title = "hub_broadcast gives the caller's frame to every member (the caller keeps its "
              "reference: refs 1 + members) and returns how many took it",
     .hint = HINT_SAY "; hub.h (hub_broadcast)") {
    struct hub *h = new_hub();
    struct rec ann, bob;
    rec_init(&ann, "ann"), rec_init(&bob, "bob");
    join(h, &ann, "r"), join(h, &bob, "r");
    rec_clear(&ann), rec_clear(&bob);
    struct rcbuf *frame = hub_frame(OP_TEXT, "tick", 4);
    if (!frame) FAILF("expected: hub_frame to return a buffer\n     got: NULL");
    CHECK_INT(hub_broadcast(hub_room(h, "r"), frame), 2);
    CHECK(ann.frames[0] == frame && bob.frames[0] == frame);
    CHECK_INT(frame->refs, 3);
    expect_frames(&ann, "tick", NULL);
    rcbuf_unref(frame);
    rec_clear(&ann), rec_clear(&bob);
    hub_leave(h, &ann.m), hub_leave(h, &bob.m);
    hub_free(h);
}

TEST(big_message, .id = "4.3.10", .points = 1,
     .title = "hub_say of 70000 bytes: \"msg ann \" + the text in one frame with a 64-bit length",
     .hint = HINT_SAY "; " HINT_FRAME) {
    struct hub *h = new_hub();
    struct rec ann;
    rec_init(&ann, "ann");
    join(h, &ann, "r");
    rec_clear(&ann);
    unsigned char *text = ascii_pattern(70000, 3);
    CHECK_INT(hub_say(h, &ann.m, (const char *)text, 70000), 1);
    CHECK_INT(ann.n, 1);
    const struct rcbuf *b = ann.frames[0];
    size_t want = 70000 + 8;
    CHECK_INT(b->len, 10 + want);
    CHECK_MEM(b->data, 10, "\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x78", 10);
    CHECK_MEM(b->data + 10, 8, "msg ann ", 8);
    CHECK(memcmp(b->data + 18, text, 70000) == 0);
    free(text);
    rec_clear(&ann);
    hub_leave(h, &ann.m);
    hub_free(h);
}

TEST(thousand_members, .id = "4.3.11", .points = 1,
     .title = "1000 members in one room: the last gets all 1000 names in joining order; one "
              "hub_say reaches all 1000 with one buffer",
     .hint = HINT_JOIN "; " HINT_SAY) {
    struct hub *h = new_hub();
    enum { N = 1000 };
    static struct rec m[N];
    struct bytes list = {0};
    bytes_put(&list, "members", 7);
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        rec_init(&m[i], name);
        join(h, &m[i], "big");
        bytes_put(&list, " ", 1);
        bytes_put(&list, name, strlen(name));
    }
    bytes_put(&list, "", 1);
    CHECK_INT(m[0].n, N); /* "members m0", then 999 "join" */
    expect_frames(&m[N - 1], (const char *)list.p, NULL);
    for (int i = 0; i < N; i++) rec_clear(&m[i]);
    CHECK_INT(hub_say(h, &m[0].m, "hi", 2), N);
    for (int i = 0; i < N; i++)
        if (m[i].n != 1 || m[i].frames[0] != m[0].frames[0])
            FAILF("expected: member %d to get the one shared frame\n     got: %d frame(s)%s", i,
                  m[i].n, m[i].n ? ", another buffer" : "");
    CHECK_INT(m[0].frames[0]->refs, N);
    for (int i = 0; i < N; i++) rec_clear(&m[i]), hub_leave(h, &m[i].m);
    CHECK_INT(hub_rooms(h), 0);
    hub_free(h);
    bytes_free(&list);
}
