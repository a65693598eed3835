/*
 * fuzz_chat_target — libFuzzer target for chat_parse_target(), the request
 * target → endpoint, room and name of Lab 4's chat.
 *
 * A room or a name ends up inside the hub's text messages ("msg NAME TEXT",
 * "join NAME"), so chat.h promises that only 1..HUB_NAME_MAX bytes of
 * A-Z a-z 0-9 - _ . get through: a space or a newline smuggled in would
 * forge messages. This target checks that promise against an oracle written
 * here from chat.h alone, sharing no code with chat.c:
 *
 *   path = the target up to the first '?', query = what follows it;
 *   "/echo"                    → 0, CHAT_ECHO (the query does not matter)
 *   "/chat", "/chat/"          → 0, CHAT_ROOM, room "lobby"
 *   "/chat/ROOM", ROOM without '/'
 *                              → 0, CHAT_ROOM, room ROOM if valid, else 400
 *   any other path             → 404
 *   in a room's query, the first parameter (between '&'s) whose key, up to
 *   '=' or its end, is "name" gives the name (its value; none after a bare
 *   "name"): 400 if it is not valid; no such parameter: name "".
 *
 * For every input: the status is the oracle's (0, 400 or 404); on 0 the
 * endpoint agrees and, for a room, room and name are NUL-terminated inside
 * their arrays, made of the allowed bytes only, at most HUB_NAME_MAX long,
 * and equal to the oracle's. The struct is filled with garbage first (so a
 * missing NUL shows) and is allocated to its exact size (so AddressSanitizer
 * catches a write past it); the input is exactly `size` bytes, not
 * NUL-terminated, as a target inside a request buffer is. The known cases
 * (CASES) are checked once at start-up, against fixed answers, so that the
 * oracle is checked too and even a short run covers them.
 *
 * lab: 04-broadcast
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_chat_target: %s:%d: broken promise: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* ---- the oracle ------------------------------------------------------------ */

struct expect {
    int status;
    enum chat_endpoint endpoint;
    char room[HUB_NAME_MAX + 1];
    char name[HUB_NAME_MAX + 1];
};

static bool allowed(unsigned char c) {
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    return c != '\0' && strchr(set, c) != NULL;
}

/* Copies p[0..n) into out if it is a valid room or name. */
static bool take_name(const unsigned char *p, size_t n, char out[HUB_NAME_MAX + 1]) {
    if (n < 1 || n > HUB_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!allowed(p[i])) return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static bool same(const unsigned char *p, size_t n, const char *s) {
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

static struct expect oracle(const unsigned char *in, size_t len) {
    struct expect e = {.status = 0};
    size_t path_len = 0;
    while (path_len < len && in[path_len] != '?') path_len++;
    bool has_query = path_len < len;
    const unsigned char *query = has_query ? in + path_len + 1 : in + len;
    size_t query_len = has_query ? len - path_len - 1 : 0;

    if (same(in, path_len, "/echo")) {
        e.endpoint = CHAT_ECHO;
        return e;
    }
    e.endpoint = CHAT_ROOM;
    if (same(in, path_len, "/chat") || same(in, path_len, "/chat/")) {
        strcpy(e.room, CHAT_DEFAULT_ROOM);
    } else if (path_len > 6 && memcmp(in, "/chat/", 6) == 0 &&
               memchr(in + 6, '/', path_len - 6) == NULL) {
        if (!take_name(in + 6, path_len - 6, e.room)) e.status = 400;
    } else {
        e.status = 404;
        return e;
    }

    /* The parameters, one by one: [start, end) between '&'s. */
    for (size_t start = 0; has_query && start <= query_len;) {
        size_t end = start;
        while (end < query_len && query[end] != '&') end++;
        size_t key_end = start;
        while (key_end < end && query[key_end] != '=') key_end++;
        if (same(query + start, key_end - start, "name")) {
            size_t value = key_end < end ? key_end + 1 : end;
            if (!take_name(query + value, end - value, e.name)) e.status = 400;
            break;
        }
        start = end + 1;
    }
    return e;
}

/* ---- the checks ------------------------------------------------------------ */

/* s is a NUL-terminated string inside its array, of allowed bytes only. */
static void check_string(const char s[HUB_NAME_MAX + 1], bool may_be_empty) {
    const char *nul = memchr(s, '\0', HUB_NAME_MAX + 1);
    MUST(nul != NULL);
    MUST(may_be_empty || nul > s);
    for (const char *p = s; p < nul; p++) MUST(allowed((unsigned char)*p));
}

static int parse(const unsigned char *data, size_t size) {
    struct chat_target *t = malloc(sizeof *t);
    MUST(t != NULL);
    memset(t, 0xA5, sizeof *t);
    struct expect e = oracle(data, size);
    int status = chat_parse_target((const char *)data, size, t);
    MUST(status == 0 || status == 400 || status == 404);
    MUST(status == e.status);
    if (status == 0) {
        MUST(t->endpoint == e.endpoint);
        if (t->endpoint == CHAT_ROOM) {
            check_string(t->room, false);
            check_string(t->name, true);
            MUST(strcmp(t->room, e.room) == 0);
            MUST(strcmp(t->name, e.name) == 0);
        }
    }
    free(t);
    return status;
}

/* Known targets and their answers. */
static const struct {
    const char *target;
    int status;
} cases[] = {
    {"/echo", 0},
    {"/echo?name=not%20checked", 0},
    {"/echo/", 404},
    {"/echoes", 404},
    {"/chat", 0},
    {"/chat/", 0},
    {"/chat?", 0},
    {"/chat/?name=ann", 0},
    {"/chat/room-1.b_C", 0},
    {"/chat/room?a=1&name=bob&name=!!", 0},
    {"/chat?x=name&name=x&", 0},
    {"/chat?&&name=z", 0},
    {"/chat?names=1", 0},
    {"/chat?NAME=bob", 0},
    {"/chat/0123456789abcdef0123456789abcdef", 0},
    {"/chat/0123456789abcdef0123456789abcdefg", 400},
    {"/chat?name=0123456789abcdef0123456789abcdef", 0},
    {"/chat?name=0123456789abcdef0123456789abcdefg", 400},
    {"/chat?name", 400},
    {"/chat?name=", 400},
    {"/chat?name=a=b", 400},
    {"/chat?name=a%20b", 400},
    {"/chat?name=a+b", 400},
    {"/chat/a%2fb", 400},
    {"/chat/a b", 400},
    {"/chat/caf\xc3\xa9", 400},
    {"/chat/a/b", 404},
    {"/chat/a/", 404},
    {"/chat//", 404},
    {"/chatter", 404},
    {"/Chat", 404},
    {"chat", 404},
    {"", 404},
    {"/", 404},
    {"?/chat", 404},
};

static void check_cases(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].target);
        unsigned char *copy = malloc(len ? len : 1); /* exact: a read past it is caught */
        MUST(copy != NULL);
        memcpy(copy, cases[i].target, len);
        int status = parse(copy, len);
        if (status != cases[i].status)
            fprintf(stderr, "fuzz_chat_target: \"%s\": %d, expected %d\n", cases[i].target, status,
                    cases[i].status);
        MUST(status == cases[i].status);
        free(copy);
    }
    /* A NUL inside the target is a byte like any other (not an end). */
    MUST(parse((const unsigned char *)"/chat/a\0b", 9) == 400);
    MUST(parse((const unsigned char *)"/echo\0", 6) == 404);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        check_cases();
        ready = true;
    }
    parse(data, size);
    return 0;
}
