/*
 * static — serving files from the web/ folder.
 *
 * The whole job is one mapping, request target → file, and one promise: no
 * byte from outside the root ever leaves the server. Targets arrive
 * percent-encoded and attackers know it, so "/../etc/passwd", "/%2e%2e/..."
 * and "/a%2f..%2f..%2fb" must all be refused, and so must a symbolic link
 * inside the root that points out of it.
 *
 * Lab 1, task 3. Read: TUTORIAL §1.4 "Serving files safely"; RFC 3986 §2.1
 * (percent-encoding) and §3.3 (paths); RFC 9110 §9.3.1–9.3.2 (GET, HEAD).
 */
#ifndef WSLAB_STATIC_H
#define WSLAB_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Maps a request target (path, optionally "?query", which is ignored) to a
 * regular file under root and writes its path into path[0..path_cap).
 * "/" and any path ending in "/" mean that folder's index.html.
 * Returns:
 *   200  path holds the file to send;
 *   301  the target names a folder but lacks the final "/"; path holds the
 *        target with "/" appended, for the Location header;
 *   400  malformed: not starting with "/", a bad or NUL %-escape;
 *   403  a ".." segment (plain or %-encoded), an encoded "/" (%2F), or a
 *        file whose real location (after symbolic links) is outside root;
 *   404  no such file. */
int static_resolve(const char *root, const char *target, size_t target_len, char *path,
                   size_t path_cap);

/* The Content-Type for a file name, from its extension:
 * .html text/html; charset=utf-8, .css text/css, .js text/javascript,
 * .json application/json, .png image/png, .svg image/svg+xml, .ico
 * image/x-icon, .txt text/plain; charset=utf-8, else application/octet-stream. */
const char *static_content_type(const char *path);

/* Answers a GET or HEAD for req->target from root on fd: 200 with the file
 * (HEAD: the same headers, no body), 301 with Location, or the error status
 * of static_resolve with a short text body. keep_alive is passed to the
 * Connection header. Returns 0, or -1 if writing to fd failed. */
int static_serve(int fd, const char *root, const struct http_request *req, bool keep_alive);

#endif
