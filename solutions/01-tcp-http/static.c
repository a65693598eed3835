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
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css"},
        {".js", "text/javascript"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash != NULL ? slash : path, '.');
    if (dot != NULL)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes the path p[0..n) (which starts with "/") into out, segment by
 * segment. Returns 200, or the status that refuses it. */
static int decode_path(const char *p, size_t n, char *out, size_t cap) {
    size_t o = 0, i = 0;
    while (i < n) {                   /* here p[i] == '/' */
        if (o + 1 >= cap) return 404; /* too long to be one of our files */
        out[o++] = p[i++];
        size_t segment = o;
        for (; i < n && p[i] != '/'; i++) {
            char c = p[i];
            if (c == '%') {
                int hi = i + 2 < n ? hex_value(p[i + 1]) : -1;
                int lo = hi >= 0 ? hex_value(p[i + 2]) : -1;
                if (lo < 0) return 400;
                c = (char)(hi * 16 + lo);
                if (c == '\0') return 400; /* would cut the path short */
                if (c == '/') return 403;  /* a separator in disguise */
                i += 2;
            }
            if (o + 1 >= cap) return 404;
            out[o++] = c;
        }
        /* ".." is the one name that climbs out of a folder. ("." stays
         * where it is, and realpath() removes it.) */
        if (o - segment == 2 && memcmp(out + segment, "..", 2) == 0) return 403;
    }
    out[o] = '\0';
    return 200;
}

/* Resolves path (symbolic links and all) into real and checks that it is
 * inside root_real. Returns 200, 403 or 404. */
static int resolve_inside(const char *root_real, const char *path, char *real) {
    if (realpath(path, real) == NULL) return errno == EACCES ? 403 : 404;
    size_t n = strlen(root_real);
    /* "/webx" is not inside "/web": the next character must be a "/". */
    bool inside = strncmp(real, root_real, n) == 0 && (real[n] == '/' || real[n] == '\0');
    return inside || strcmp(root_real, "/") == 0 ? 200 : 403;
}

/* Writes a followed by b into out. Returns 200, or 404 if that is too long
 * to name any of our files. */
static int join(char *out, size_t cap, const char *a, const char *b) {
    int n = snprintf(out, cap, "%s%s", a, b);
    return n >= 0 && (size_t)n < cap ? 200 : 404;
}

int static_resolve(const char *root, const char *target, size_t target_len, char *path,
                   size_t path_cap) {
    if (target_len == 0 || target[0] != '/') return 400;
    const char *query = memchr(target, '?', target_len);
    size_t path_len = query != NULL ? (size_t)(query - target) : target_len;

    char decoded[PATH_MAX], root_real[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
    int status = decode_path(target, path_len, decoded, sizeof decoded);
    if (status != 200) return status;
    if (realpath(root, root_real) == NULL) return 404;
    status = join(full, sizeof full, root_real, decoded);
    if (status == 200) status = resolve_inside(root_real, full, real);
    if (status != 200) return status;

    struct stat st;
    if (stat(real, &st) < 0) return 404;
    if (S_ISDIR(st.st_mode)) {
        if (target[path_len - 1] != '/') {
            /* Relative links in the folder's index.html only work if the
             * browser's URL ends in "/": send it there (RFC 9110 §15.4.2).
             * But a Location starting "//" would name another host. */
            if (target[1] == '/' || path_len + 2 > path_cap) return 404;
            memcpy(path, target, path_len);
            memcpy(path + path_len, "/", 2);
            return 301;
        }
        /* The index may itself be a link: resolve and contain it again. */
        char index[PATH_MAX];
        status = join(index, sizeof index, full, "index.html");
        if (status == 200) status = resolve_inside(root_real, index, real);
        if (status != 200) return status;
        if (stat(real, &st) < 0) return 404;
    }
    if (!S_ISREG(st.st_mode)) return 404; /* devices, sockets, fifos: never */
    return join(path, path_cap, real, "");
}

/* Sends a response with a short text body (or, for HEAD, its head alone).
 * extra is NULL or more header lines. Returns 0, or -1. */
static int send_text(int fd, int status, const char *body, const char *extra, bool head_only,
                     bool keep_alive) {
    char storage[PATH_MAX + 512];
    struct buf out;
    buf_init(&out, storage, sizeof storage);
    size_t n = strlen(body);
    int r =
        http_response_start(&out, status, "text/plain; charset=utf-8", (long long)n, keep_alive);
    if (extra != NULL) r |= buf_puts(&out, extra);
    r |= http_response_end(&out);
    if (!head_only) r |= buf_append(&out, body, n);
    if (r != 0) return -1;
    return net_write_all(fd, out.data, out.len);
}

static const char *error_text(int status) {
    switch (status) {
    case 400:
        return "bad request\n";
    case 403:
        return "forbidden\n";
    default:
        return "not found\n";
    }
}

/* Sends the head, then (unless head_only) the file's bytes. */
static int send_file(int fd, const char *path, bool head_only, bool keep_alive) {
    int file = open(path, O_RDONLY);
    if (file < 0) {
        int status = errno == EACCES ? 403 : 404;
        return send_text(fd, status, error_text(status), NULL, head_only, keep_alive);
    }
    /* The size of what we opened, not of what path named a moment ago. */
    struct stat st;
    char head[512];
    struct buf out;
    buf_init(&out, head, sizeof head);
    if (fstat(file, &st) < 0 ||
        http_response_start(&out, 200, static_content_type(path), (long long)st.st_size,
                            keep_alive) < 0 ||
        http_response_end(&out) < 0 || net_write_all(fd, out.data, out.len) < 0) {
        close(file);
        return -1;
    }
    /* A read/write loop through one buffer (sendfile(2) would skip the copy
     * through user space). The file may shrink while we send it: the
     * Content-Length is then a lie, and -1 makes the caller close. */
    off_t left = head_only ? 0 : st.st_size;
    int result = 0;
    char chunk[32768];
    while (left > 0 && result == 0) {
        size_t want = left < (off_t)sizeof chunk ? (size_t)left : sizeof chunk;
        ssize_t n = net_read(file, chunk, want); /* never more than promised */
        if (n <= 0 || net_write_all(fd, chunk, (size_t)n) < 0) result = -1;
        left -= n;
    }
    close(file);
    return result;
}

int static_serve(int fd, const char *root, const struct http_request *req, bool keep_alive) {
    char path[PATH_MAX];
    bool head_only = req->method == HTTP_HEAD; /* same head as GET, no body */
    int status = static_resolve(root, req->target.p, req->target.len, path, sizeof path);
    if (status == 200) return send_file(fd, path, head_only, keep_alive);
    if (status == 301) {
        char location[PATH_MAX + 16];
        snprintf(location, sizeof location, "Location: %s\r\n", path);
        return send_text(fd, 301, "moved\n", location, head_only, keep_alive);
    }
    return send_text(fd, status, error_text(status), NULL, head_only, keep_alive);
}
