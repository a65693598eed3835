/*
 * hslog — the last handshakes the server saw (see hslog.h).
 *
 * A ring of HSLOG_KEEP entries: handshake N lives in slot (N - 1) % HSLOG_KEEP,
 * so a new one overwrites the oldest and nothing ever moves. The entries are
 * static arrays, not malloc'd copies: the log has a fixed size whatever the
 * clients send, and there is nothing to free when the server stops. One
 * mutex guards it all, since every connection records from its own thread.
 *
 * Given code.
 */
#include "hslog.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define HSLOG_CUT 8192 /* bytes of a request or response kept */

struct entry {
    long long id; /* 0: the slot was never used */
    long long time_ms;
    char peer[64];
    int status;
    char protocol[65];
    char request[HSLOG_CUT];
    size_t request_len;
    char response[HSLOG_CUT];
    size_t response_len;
    bool open; /* a 101 whose connection has not ended yet */
    long long bytes_after;
};

static struct {
    pthread_mutex_t lock; /* guards everything below */
    struct entry ring[HSLOG_KEEP];
    long long last_id; /* the newest id, 0 before the first handshake */
} hslog = {.lock = PTHREAD_MUTEX_INITIALIZER};

static long long wall_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies s into out[0..cap), cut to fit; returns the length kept. */
static size_t copy_cut(char *out, size_t cap, const char *s, size_t len) {
    size_t n = len < cap ? len : cap;
    if (n > 0) memcpy(out, s, n);
    return n;
}

/* Copies a C string into out[0..cap), cut to fit, NUL-terminated. */
static void copy_str(char *out, size_t cap, const char *s) {
    size_t n = copy_cut(out, cap - 1, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
    out[n] = '\0';
}

long long hslog_add(const char *peer, const char *request, size_t request_len, const char *response,
                    size_t response_len, int status, const char *protocol) {
    pthread_mutex_lock(&hslog.lock);
    long long id = ++hslog.last_id;
    struct entry *e = &hslog.ring[(id - 1) % HSLOG_KEEP];
    e->id = id;
    e->time_ms = wall_clock_ms();
    copy_str(e->peer, sizeof e->peer, peer);
    e->status = status;
    copy_str(e->protocol, sizeof e->protocol, protocol);
    e->request_len = copy_cut(e->request, sizeof e->request, request, request_len);
    e->response_len = copy_cut(e->response, sizeof e->response, response, response_len);
    /* Only a 101 leaves a connection open; a refusal ends it at once. */
    e->open = status == 101;
    e->bytes_after = 0;
    pthread_mutex_unlock(&hslog.lock);
    return id;
}

void hslog_closed(long long id, long long bytes_after) {
    if (id <= 0) return;
    pthread_mutex_lock(&hslog.lock);
    struct entry *e = &hslog.ring[(id - 1) % HSLOG_KEEP];
    if (e->id == id) { /* not yet overwritten by a newer one */
        e->open = false;
        e->bytes_after = bytes_after;
    }
    pthread_mutex_unlock(&hslog.lock);
}

/* One entry as a JSON object. */
static void append_entry(struct buf *out, const struct entry *e) {
    buf_printf(out, "{\"id\":%lld,\"time\":%lld,\"peer\":\"", e->id, e->time_ms);
    buf_json_escape(out, e->peer, strlen(e->peer));
    buf_printf(out, "\",\"status\":%d,\"protocol\":\"", e->status);
    buf_json_escape(out, e->protocol, strlen(e->protocol));
    buf_puts(out, "\",\"request\":\"");
    buf_json_escape(out, e->request, e->request_len);
    buf_puts(out, "\",\"response\":\"");
    buf_json_escape(out, e->response, e->response_len);
    buf_printf(out, "\",\"open\":%s,\"bytes_after\":%lld}", e->open ? "true" : "false",
               e->bytes_after);
}

int hslog_json(struct buf *out) {
    buf_puts(out, "{\"handshakes\":[");
    pthread_mutex_lock(&hslog.lock);
    long long first = hslog.last_id > HSLOG_KEEP ? hslog.last_id - HSLOG_KEEP + 1 : 1;
    for (long long id = first; id <= hslog.last_id; id++) {
        if (id > first) buf_puts(out, ",");
        append_entry(out, &hslog.ring[(id - 1) % HSLOG_KEEP]);
    }
    pthread_mutex_unlock(&hslog.lock);
    buf_puts(out, "]}");
    /* Appends that did not fit set overflow; checking once is enough. */
    return out->overflow ? -1 : 0;
}
