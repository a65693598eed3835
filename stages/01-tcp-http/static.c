/*
 * static — serving files from the web root (see static.h).
 *
 * A request target is turned into a file in three steps, each of which can
 * only refuse, never widen, what the previous one allowed:
 *   1. decode: split the path at "/", percent-decode each segment, and refuse
 *      a segment that climbs (".."), or one that smuggles in a separator
 *      (%2F) or a string terminator (%00);
 *   2. resolve: realpath() follows every symbolic link and gives the file's
 *      true absolute path;
 *   3. contain: that path must lie under realpath(root) + "/".
 * Step 1 alone misses links, step 3 alone would answer "403" where "404" is
 * the truth for a missing file; together, no byte from outside the root can
 * be sent.
 *
 * Lab 1, task 3. Read: TUTORIAL §1.4; RFC 3986 §2.1, §3.3; RFC 9110 §9.3.1
 * (GET), §9.3.2 (HEAD), §15.4.2 (301); man 3 realpath.
 */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "net.h"

const char *static_content_type(const char *path) {
    /* TODO(handout step 3.3): return the type static.h lists for the file
     * name's extension (the part from its last "." after its last "/",
     * compared case-insensitively), else "application/octet-stream".
     * Until then every type is empty. RFC 9110 §8.3. */
    (void)path;
    return "";
}

int static_resolve(const char *root, const char *target, size_t target_len, char *path,
                   size_t path_cap) {
    /* TODO(handout step 3.1): check the target starts with "/" (else 400),
     * drop a "?query", then percent-decode each "/"-separated segment (RFC
     * 3986 §2.1) into a local buffer: a bad escape or %00 → 400, %2F → 403, a
     * segment that is ".." once decoded → 403. */
    /* TODO(handout step 3.2): realpath() both root and root + decoded path;
     * the file must be under realpath(root) + "/" (else 403; no such file →
     * 404). A folder: 301 to the target + "/" if it has no final "/", else
     * its index.html (check it the same way). Only regular files → 200. */
    (void)root;
    (void)target;
    (void)target_len;
    (void)path;
    (void)path_cap;
    return 404;
}

int static_serve(int fd, const char *root, const struct http_request *req, bool keep_alive) {
    /* TODO(handout step 3.4): static_resolve() the target. 200: send the head
     * (http_response_start with static_content_type and the file's size from
     * fstat, then http_response_end), then the file's bytes unless this is
     * HEAD. 301: add a Location header. Errors: a short text body. Write with
     * net_write_all(). RFC 9110 §9.3.1–9.3.2. */
    (void)fd;
    (void)root;
    (void)req;
    (void)keep_alive;
    return -1;
}
