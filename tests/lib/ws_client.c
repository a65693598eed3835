/*
 * ws_client.c — the tests' own WebSocket client. See ws_client.h.
 */
#include "ws_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bytes --------------------------------------------------------------------- */

void bytes_put(struct bytes *b, const void *data, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) FAILF("test setup: out of memory (%zu bytes)", cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
}

void bytes_free(struct bytes *b) {
    free(b->p);
    *b = (struct bytes){0};
}

unsigned char *ascii_pattern(size_t n, unsigned seed) {
    unsigned char *p = malloc(n + 1);
    if (!p) FAILF("test setup: out of memory (%zu bytes)", n);
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(' ' + (i * 7 + seed) % 95);
    p[n] = '\0';
    return p;
}

unsigned char *binary_pattern(size_t n, unsigned seed) {
    unsigned char *p = malloc(n + 1);
    if (!p) FAILF("test setup: out of memory (%zu bytes)", n);
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)((i * 167 + 13 + seed) + (i >> 8));
    p[n] = '\0';
    return p;
}

/* ---- framing ----------------------------------------------------------------------- */

void naive_mask(unsigned char *data, size_t len, const unsigned char key[4], uint64_t offset) {
    for (size_t i = 0; i < len; i++) data[i] ^= key[(offset + i) % 4];
}

void put_frame(struct bytes *out, unsigned b0, const unsigned char *key, const void *payload,
               size_t len) {
    unsigned char head[14];
    size_t n = 0;
    unsigned mask_bit = key ? 0x80 : 0;
    head[n++] = (unsigned char)b0;
    if (len <= 125) {
        head[n++] = (unsigned char)(mask_bit | len);
    } else if (len <= 0xFFFF) {
        head[n++] = (unsigned char)(mask_bit | 126);
        head[n++] = (unsigned char)(len >> 8);
        head[n++] = (unsigned char)len;
    } else {
        head[n++] = (unsigned char)(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            head[n++] = (unsigned char)((uint64_t)len >> shift);
    }
    if (key) memcpy(head + n, key, 4), n += 4;
    bytes_put(out, head, n);
    size_t at = out->len;
    bytes_put(out, payload, len);
    if (key) naive_mask(out->p + at, len, key, 0);
}

void put_close(struct bytes *out, const unsigned char *key, unsigned code, const void *reason,
               size_t reason_len) {
    unsigned char payload[256];
    size_t n = 0;
    if (code) {
        payload[n++] = (unsigned char)(code >> 8);
        payload[n++] = (unsigned char)code;
    }
    if (reason_len > sizeof payload - n) FAILF("test bug: close reason of %zu bytes", reason_len);
    if (reason_len) memcpy(payload + n, reason, reason_len);
    put_frame(out, FIN | OP_CLOSE, key, payload, n + reason_len);
}

int tframe_parse(const unsigned char *buf, size_t len, struct tframe *f, const char **why) {
    if (len < 2) return 0;
    *f = (struct tframe){0};
    f->fin = buf[0] & 0x80;
    f->rsv = (buf[0] >> 4) & 7;
    f->opcode = buf[0] & 15;
    f->masked = buf[1] & 0x80;
    unsigned len7 = buf[1] & 0x7F;
    size_t n = 2;
    if (len7 == 126) {
        if (len < 4) return 0;
        f->len = (uint64_t)buf[2] << 8 | buf[3];
        n = 4;
        if (f->len < 126) return *why = "a 16-bit length under 126 (not the shortest form)", -1;
    } else if (len7 == 127) {
        if (len < 10) return 0;
        for (int i = 0; i < 8; i++) f->len = f->len << 8 | buf[2 + i];
        n = 10;
        if (f->len >> 63) return *why = "a 64-bit length with its top bit set", -1;
        if (f->len <= 0xFFFF)
            return *why = "a 64-bit length under 65536 (not the shortest form)", -1;
    } else {
        f->len = len7;
    }
    if (f->masked) {
        if (len < n + 4) return 0;
        memcpy(f->key, buf + n, 4);
        n += 4;
    }
    f->header_len = n;
    return (int)n;
}

bool naive_utf8(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char b = p[i];
        unsigned char lo = 0x80, hi = 0xBF; /* the range of the byte after b */
        size_t follow;
        if (b <= 0x7F)
            follow = 0;
        else if (b >= 0xC2 && b <= 0xDF)
            follow = 1;
        else if (b == 0xE0)
            follow = 2, lo = 0xA0;
        else if (b == 0xED)
            follow = 2, hi = 0x9F;
        else if (b >= 0xE1 && b <= 0xEF)
            follow = 2;
        else if (b == 0xF0)
            follow = 3, lo = 0x90;
        else if (b == 0xF4)
            follow = 3, hi = 0x8F;
        else if (b >= 0xF1 && b <= 0xF3)
            follow = 3;
        else
            return false;
        if (follow > 0 && i + follow >= n) return false; /* cut short */
        for (size_t k = 1; k <= follow; k++) {
            unsigned char c = p[i + k];
            if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return false;
        }
        i += 1 + follow;
    }
    return true;
}

const char *opcode_name(unsigned opcode) {
    static char other[32];
    switch (opcode) {
    case OP_CONT:
        return "continuation";
    case OP_TEXT:
        return "text";
    case OP_BINARY:
        return "binary";
    case OP_CLOSE:
        return "close";
    case OP_PING:
        return "ping";
    case OP_PONG:
        return "pong";
    default:
        snprintf(other, sizeof other, "opcode %u", opcode);
        return other;
    }
}

/* ---- a client over the harness's connections ------------------------------------ */

size_t t_ws_request(char *out, size_t cap, int port, const char *path) {
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "\r\n",
                     path, port);
    if (n < 0 || (size_t)n >= cap) FAILF("test bug: t_ws_request needs more than %zu bytes", cap);
    return (size_t)n;
}

void expect_101(struct t_conn *c) {
    static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"
                               "\r\n";
    t_waiting("the 101 Switching Protocols response");
    size_t len;
    char *head = t_read_until(c, "\r\n\r\n", 8192, IO_MS, &len);
    if (len != sizeof want - 1 || memcmp(head, want, len) != 0) {
        char got[2048];
        snprintf(got, sizeof got, "%s", t_escape(head, len, 800));
        FAILF("expected: the handshake's answer, exactly \"%s\"\n     got: \"%s\"",
              t_escape(want, sizeof want - 1, 800), got);
    }
    free(head);
}

struct t_conn *t_ws_connect(int port, const char *path) {
    char req[1024];
    struct t_conn *c = t_conn_open(port);
    t_send(c, req, t_ws_request(req, sizeof req, port, path));
    expect_101(c);
    return c;
}

/* A different masking key for every frame a test sends, none of them zero. */
static void next_key(unsigned char key[4]) {
    static uint32_t state = 0x37fa213d;
    state = state * 1664525u + 1013904223u;
    for (int i = 0; i < 4; i++) key[i] = (unsigned char)((state >> (8 * i)) | 0x01);
}

void add_frame(struct bytes *out, unsigned b0, const void *payload, size_t len) {
    unsigned char key[4];
    next_key(key);
    put_frame(out, b0, key, payload, len);
}

void add_close(struct bytes *out, unsigned code, const void *reason, size_t reason_len) {
    unsigned char key[4];
    next_key(key);
    put_close(out, key, code, reason, reason_len);
}

void send_frame(struct t_conn *c, unsigned b0, const void *payload, size_t len) {
    struct bytes b = {0};
    add_frame(&b, b0, payload, len);
    t_send(c, b.p, b.len);
    bytes_free(&b);
}

void send_close(struct t_conn *c, unsigned code, const void *reason, size_t reason_len) {
    struct bytes b = {0};
    add_close(&b, code, reason, reason_len);
    t_send(c, b.p, b.len);
    bytes_free(&b);
}

/* Reads exactly n bytes into buf before the deadline; fails saying what was
 * expected and what came instead. */
static void read_n(struct t_conn *c, unsigned char *buf, size_t n, long long deadline,
                   const char *what, size_t frame_bytes_so_far) {
    size_t got = 0;
    while (got < n) {
        long long left = deadline - t_now_ms();
        ssize_t r = left > 0 ? t_read_some(c, buf + got, n - got, (int)left) : 0;
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        const char *how = r < 0 ? "the server closed the connection" : "nothing more (timed out)";
        if (frame_bytes_so_far + got == 0)
            FAILF("expected: %s\n     got: %s", what,
                  r < 0 ? how : "nothing (no frame before the time ran out)");
        FAILF("expected: %s\n     got: %zu bytes of a frame, then %s", what,
              frame_bytes_so_far + got, how);
    }
}

const char *rframe_describe(const struct rframe *f) {
    static char out[512];
    const struct tframe *h = &f->h;
    int n = snprintf(out, sizeof out, "a %s%s frame", h->fin ? "" : "non-final ",
                     opcode_name(h->opcode));
    if (h->opcode == OP_CLOSE && h->len >= 2) {
        snprintf(out + n, sizeof out - (size_t)n, " with code %u%s%s",
                 (unsigned)f->payload[0] << 8 | f->payload[1], h->len > 2 ? ", reason " : "",
                 h->len > 2 ? t_escape(f->payload + 2, (size_t)h->len - 2, 60) : "");
    } else {
        snprintf(out + n, sizeof out - (size_t)n, " of %llu bytes \"%s\"",
                 (unsigned long long)h->len, t_escape(f->payload, (size_t)h->len, 60));
    }
    return out;
}

struct rframe read_frame(struct t_conn *c, const char *what, int timeout_ms) {
    struct rframe f = {0};
    unsigned char head[14];
    size_t have = 2;
    long long deadline = t_now_ms() + timeout_ms;
    t_waiting("%s", what);
    read_n(c, head, 2, deadline, what, 0);
    size_t need = (head[1] & 0x7F) == 126 ? 4 : (head[1] & 0x7F) == 127 ? 10 : 2;
    if (head[1] & 0x80) need += 4;
    if (need > have) read_n(c, head + have, need - have, deadline, what, have);
    const char *why = NULL;
    if (tframe_parse(head, need, &f.h, &why) < 0) {
        char hex[40];
        t_hex(head, need, hex);
        FAILF("expected: %s\n     got: a frame header %s with %s (RFC 6455 §5.2: the minimal "
              "number of bytes MUST be used)",
              what, hex, why);
    }
    if (f.h.masked)
        FAILF("expected: %s\n     got: a masked %s frame (RFC 6455 §5.1: a server MUST NOT mask)",
              what, opcode_name(f.h.opcode));
    if (f.h.rsv)
        FAILF("expected: %s\n     got: a %s frame with RSV bits %u (no extension was agreed)", what,
              opcode_name(f.h.opcode), f.h.rsv);
    if (f.h.len > (64u << 20))
        FAILF("expected: %s\n     got: a %s frame announcing %llu bytes", what,
              opcode_name(f.h.opcode), (unsigned long long)f.h.len);
    f.payload = malloc((size_t)f.h.len + 1);
    if (!f.payload) FAILF("test setup: out of memory");
    read_n(c, f.payload, (size_t)f.h.len, deadline, what, need);
    f.payload[f.h.len] = '\0';
    return f;
}

void rframe_free(struct rframe *f) {
    free(f->payload);
    f->payload = NULL;
}

void expect_message(struct t_conn *c, unsigned opcode, const void *payload, size_t len) {
    char what[256];
    snprintf(what, sizeof what, "a %s message (one FIN frame) of %zu bytes \"%s\"",
             opcode_name(opcode), len, t_escape(payload, len, 40));
    struct rframe f = read_frame(c, what, len > 100000 ? 30000 : IO_MS);
    if (!f.h.fin || f.h.opcode != opcode || f.h.len != len)
        FAILF("expected: %s\n     got: %s", what, rframe_describe(&f));
    if (len && memcmp(f.payload, payload, len) != 0) {
        size_t at = 0;
        while (((const unsigned char *)payload)[at] == f.payload[at]) at++;
        FAILF("expected: %s\n     got: the right length, but byte %zu is %02x instead of %02x",
              what, at, f.payload[at], ((const unsigned char *)payload)[at]);
    }
    rframe_free(&f);
}

void expect_text(struct t_conn *c, const char *text) {
    expect_message(c, OP_TEXT, text, strlen(text));
}

void expect_pong(struct t_conn *c, const void *payload, size_t len) {
    char what[256];
    snprintf(what, sizeof what, "a pong (FIN) of %zu bytes \"%s\" answering the ping", len,
             t_escape(payload, len, 40));
    struct rframe f = read_frame(c, what, IO_MS);
    if (!f.h.fin || f.h.opcode != OP_PONG || f.h.len != len ||
        (len && memcmp(f.payload, payload, len)))
        FAILF("expected: %s\n     got: %s", what, rframe_describe(&f));
    rframe_free(&f);
}

void expect_close(struct t_conn *c, unsigned code) {
    char what[160];
    if (code)
        snprintf(what, sizeof what, "a close frame with code %u (88 xx %02x %02x ...)", code,
                 code >> 8, code & 255);
    else
        snprintf(what, sizeof what, "an empty close frame (88 00)");
    struct rframe f = read_frame(c, what, IO_MS);
    bool ok = f.h.fin && f.h.opcode == OP_CLOSE;
    if (ok && code == 0) ok = f.h.len == 0;
    if (ok && code) ok = f.h.len >= 2 && ((unsigned)f.payload[0] << 8 | f.payload[1]) == code;
    if (!ok) FAILF("expected: %s\n     got: %s", what, rframe_describe(&f));
    if (f.h.len > 2 && !naive_utf8(f.payload + 2, (size_t)f.h.len - 2))
        FAILF("expected: %s, its reason (if any) valid UTF-8\n     got: the reason \"%s\"", what,
              t_escape(f.payload + 2, (size_t)f.h.len - 2, 125));
    rframe_free(&f);
}

void expect_fail(struct t_conn *c, unsigned code) {
    expect_close(c, code);
    t_note("after its close %u the server must close TCP without waiting for ours (RFC 6455 "
           "§7.1.7)",
           code);
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
}

void close_cleanly(struct t_conn *c) {
    send_close(c, 1000, NULL, 0);
    expect_close(c, 1000);
    t_note("after answering our close the server closes TCP first (RFC 6455 §7.1.1)");
    t_expect_closed(c, IO_MS);
    t_conn_close(c);
}
