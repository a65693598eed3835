/*
 * buf — a byte buffer with a hard capacity.
 *
 * Every response the kit writes is built in a buf before it is sent. The
 * capacity is fixed when the buffer is made, so nothing a peer sends can make
 * the server allocate without a bound: an append that does not fit fails,
 * leaves the buffer unchanged, and sets `overflow` so that a caller may do many
 * appends and check once at the end.
 *
 * Given code: you use it, you do not write it.
 */
#ifndef WSLAB_BUF_H
#define WSLAB_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;    /* the bytes; data[len] is always a NUL, for printing */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes usable (the storage holds cap + 1 for the NUL) */
    bool overflow; /* an append did not fit */
    bool owned;    /* data came from buf_alloc and is freed by buf_free */
};

/* Uses caller-provided storage of `size` bytes (capacity size - 1). */
void buf_init(struct buf *b, char *storage, size_t size);

/* Allocates storage for `cap` bytes. Returns 0, or -1 if malloc failed. */
int buf_alloc(struct buf *b, size_t cap);

/* Frees storage made by buf_alloc; harmless on a buf_init buffer. */
void buf_free(struct buf *b);

/* Empties the buffer (and clears overflow), keeping its storage. */
void buf_reset(struct buf *b);

/* Appends bytes / a C string / printf-formatted text.
 * Each returns 0, or -1 (buffer unchanged, overflow set) if it does not fit. */
int buf_append(struct buf *b, const void *bytes, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s[0..n) as the inside of a JSON string (RFC 8259 §7): quote and
 * backslash escaped, control characters as \n \r \t or \u00XX (lowercase
 * hex); every other byte, UTF-8 included, as is. Returns 0, or -1 (buffer
 * unchanged, overflow set) if it does not fit. */
int buf_json_escape(struct buf *b, const char *s, size_t n);

/* Removes the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);

#endif
