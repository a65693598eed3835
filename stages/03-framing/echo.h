/*
 * echo — the routes of the echo program.
 *
 *   GET /inspect  handshake (Lab 2), then the echo below, but before each
 *                 echo the server also sends a text message describing every
 *                 frame it received (JSON: fin, rsv, opcode, masked, mask
 *                 key, payload length, and the first payload bytes masked
 *                 and unmasked, in hex)
 *   /echo, and any other path asked for with an Upgrade header:
 *                 handshake, then every message comes back with its type
 *                 (text stays text, binary stays binary) — so that any
 *                 client, a conformance suite included, finds the echo at
 *                 whatever URL it was given ("ws://host:8003/" too)
 * Everything else (a plain GET) is a file from the web root.
 *
 * Each connection runs on its own thread (httpd's): after the 101 it reads
 * the socket, feeds ws_feed(), and writes with net_write_all() — blocking
 * I/O, one thread per client, as in Lab 1. Lab 4 replaces the threads.
 *
 * Lab 3, task 4. Read: TUTORIAL §3.8 "The echo server".
 */
#ifndef WSLAB_ECHO_H
#define WSLAB_ECHO_H

#include <stddef.h>

#include "buf.h"
#include "handshake.h"
#include "httpd.h"
#include "ws.h"

struct echo_config {
    struct handshake_config handshake;
    size_t max_message;   /* ws's limit; 0: 16 MiB */
    int close_timeout_ms; /* 0: 5000 */
    /* A connection that sends nothing for this long is closed with 1001
     * "idle" (and then gets close_timeout_ms to answer); 0: never. */
    int idle_timeout_ms;
};

/* The httpd handler for /echo and /inspect; arg is a struct echo_config. */
enum httpd_result echo_handle(struct httpd_conn *c, const struct http_request *req, void *arg);

/* Writes the /inspect description of one received frame (JSON, one line):
 * {"fin":true,"rsv":0,"opcode":1,"masked":true,"mask":"37fa213d",
 *  "length":5,"masked_hex":"7f9f4d5158","payload_hex":"48656c6c6f"}
 * with at most WS_INSPECT_BYTES bytes in each hex string. Returns 0, or -1. */
int echo_describe_frame(struct buf *out, const struct frame_header *h,
                        const unsigned char *first_bytes, size_t n);

#endif
