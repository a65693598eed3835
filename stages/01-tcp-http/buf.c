/*
 * buf — a byte buffer with a hard capacity (see buf.h).
 *
 * The storage always has one byte more than the capacity, so the bytes in use
 * can be followed by a NUL: a buffer of text can be printed or handed to a
 * string function without copying. Nothing here ever grows the storage; a
 * write that does not fit is refused whole, never cut.
 *
 * Given code.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, char *storage, size_t size) {
    /* size counts the NUL's byte too; a zero-sized storage holds nothing. */
    b->data = storage;
    b->cap = size > 0 ? size - 1 : 0;
    b->len = 0;
    b->overflow = false;
    b->owned = false;
    if (size > 0) storage[0] = '\0';
}

int buf_alloc(struct buf *b, size_t cap) {
    char *storage = malloc(cap + 1);
    if (storage == NULL) return -1;
    buf_init(b, storage, cap + 1);
    b->owned = true;
    return 0;
}

void buf_free(struct buf *b) {
    if (b->owned) free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->owned = false;
}

void buf_reset(struct buf *b) {
    b->len = 0;
    b->overflow = false;
    if (b->data != NULL) b->data[0] = '\0';
}

int buf_append(struct buf *b, const void *bytes, size_t n) {
    if (n == 0) return 0; /* bytes may then be NULL, which memcpy must not get */
    if (n > b->cap - b->len) {
        b->overflow = true;
        return -1;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s) {
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...) {
    if (b->data == NULL) {
        b->overflow = true;
        return -1;
    }
    /* vsnprintf writes at most room bytes including its NUL and returns the
     * length the whole text needs: if that is more than fits, undo. */
    size_t room = b->cap - b->len + 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        b->data[b->len] = '\0';
        b->overflow = true;
        return -1;
    }
    b->len += (size_t)n;
    return 0;
}

void buf_consume(struct buf *b, size_t n) {
    if (n > b->len) n = b->len;
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

int buf_json_escape(struct buf *b, const char *s, size_t n) {
    size_t start = b->len;
    bool overflowed_before = b->overflow;
    b->overflow = false;
    size_t plain = 0; /* start of the run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        buf_append(b, s + plain, i - plain);
        plain = i + 1;
        if (c == '"')
            buf_puts(b, "\\\"");
        else if (c == '\\')
            buf_puts(b, "\\\\");
        else if (c == '\n')
            buf_puts(b, "\\n");
        else if (c == '\r')
            buf_puts(b, "\\r");
        else if (c == '\t')
            buf_puts(b, "\\t");
        else
            buf_printf(b, "\\u%04x", c);
    }
    buf_append(b, s + plain, n - plain);
    bool failed = b->overflow;
    if (failed) {
        /* All or nothing, like every other append. */
        b->len = start;
        if (b->cap > 0) b->data[start] = '\0';
    }
    b->overflow = overflowed_before || failed;
    return failed ? -1 : 0;
}
