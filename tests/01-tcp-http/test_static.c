/*
 * Lab 1, task 3 — serving files safely (static.c).
 *
 * Every test works on a web root made for it (support.c): ordinary files of
 * each type, a binary file and a large one, folders with and without an
 * index, a secret file just OUTSIDE the root, symbolic links leading out of
 * the root and within it, and a named pipe. Over HTTP (through board, whose
 * non-board paths are static files) the tests check types, lengths and exact
 * bytes, HEAD, index files and redirects; then they attack: every traversal
 * trick must be refused AND the secret's bytes must appear nowhere in the
 * answer. static_resolve() and static_content_type() are also called
 * directly, where static.h promises exact statuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "static.h"
#include "support.h"

#define HINT_FILES "TUTORIAL §1.4 \"Serving files safely\"; RFC 9110 §9.3.1-§9.3.2, §8.3, §8.6"
#define HINT_TRAVERSAL                                                                             \
    "TUTORIAL §1.4 (percent-encoding, path traversal); RFC 3986 §2.1, §3.3; decode once, then " \
    "refuse any \"..\" segment and any %2F"
#define HINT_LINKS "TUTORIAL §1.4 (symbolic links); man 3 realpath, man 2 stat (S_ISREG)"

/* GETs target on a new connection and reads everything until the server
 * closes; returns the raw bytes (head and body) and the status. */
static char *get_raw(int port, const char *target, int *status, size_t *len) {
    struct t_conn *c = t_conn_open(port);
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", target);
    t_send_str(c, req);
    char *all = t_read_to_eof(c, 4 << 20, 3000, len);
    t_conn_close(c);
    *status = 0;
    if (*len < 12 || strncmp(all, "HTTP/1.", 7) != 0 || sscanf(all + 9, "%3d", status) != 1)
        FAILF("expected: a response to GET %s\n     got: \"%s\"", target, t_escape(all, *len, 200));
    return all;
}

/* GETs an attacking target: it must be refused (400, 403 or 404), and no
 * byte of the file outside the root may come back. */
static void expect_refused(int port, const char *target) {
    int status;
    size_t len;
    char *all = get_raw(port, target, &status, &len);
    if (t_contains(all, len, SECRET_MARK) || t_contains(all, len, "root:x:0:0"))
        FAILF("expected: GET %s refused, with nothing from outside the web root\n     got: a "
              "file from outside the root:\n%s",
              target, t_escape(all, len, 400));
    if (status != 400 && status != 403 && status != 404)
        FAILF("expected: GET %s refused with 403 or 404 (400 if malformed)\n     got: status %d: "
              "\"%s\"",
              target, status, t_escape(all, len, 300));
    free(all);
}

/* GET on a keep-alive connection; fails unless 200 with the file's bytes. */
static struct t_response *expect_served(struct t_conn *c, const char *target, const char *name) {
    struct t_response *r = t_http(c, "GET", target, NULL, NULL, 3000);
    const struct web_file *f = web_file(name);
    t_note("GET %s (the file %s, %zu bytes)", target, name, f->len);
    t_expect_status(r, 200);
    CHECK_MEM(r->body, r->body_len, f->data, f->len);
    return r;
}

/* ---- serving ---------------------------------------------------------------- */

TEST(content_types, .id = "1.3.1",
     .title = "each file is served with the Content-Type of its extension (static.h)",
     .hint = HINT_FILES) {
    static const char *names[] = {"index.html", "a.css",     "x.js",   "data.json",
                                  "img.png",    "notes.txt", "big.bin"};
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char target[128];
        snprintf(target, sizeof target, "/%s", names[i]);
        struct t_response *r = expect_served(c, target, names[i]);
        expect_header(r, "Content-Type", web_file(names[i])->type);
        t_response_free(r);
    }
    t_conn_close(c);
}

TEST(exact_bytes, .id = "1.3.2", .points = 2,
     .title = "Content-Length is the file's size and the body is the file, byte for byte "
              "(binary and 256 KiB files too)",
     .hint = HINT_FILES) {
    static const struct {
        const char *target, *name;
    } files[] = {
        {"/img.png", "img.png"},
        {"/big.bin", "big.bin"},
        {"/a.css", "a.css"},
        {"/with%20space.txt", "with space.txt"},
        {"/sub/page.html", "sub/page.html"},
    };
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct t_response *r = expect_served(c, files[i].target, files[i].name);
        char len[32];
        snprintf(len, sizeof len, "%zu", web_file(files[i].name)->len);
        expect_header(r, "Content-Length", len);
        t_response_free(r);
    }
    t_conn_close(c);
}

TEST(head_no_body, .id = "1.3.3",
     .title = "HEAD gets the same status and headers as GET, and no body",
     .hint = "TUTORIAL §1.4 (HEAD); RFC 9110 §9.3.2") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    struct t_response *r = t_http(c, "HEAD", "/big.bin", NULL, NULL, 3000);
    t_expect_status(r, 200);
    char len[32];
    snprintf(len, sizeof len, "%zu", web_file("big.bin")->len);
    expect_header(r, "Content-Length", len);
    expect_header(r, "Content-Type", "application/octet-stream");
    t_response_free(r);
    /* Had any body bytes followed the head, they would come before this
     * response's status line. */
    t_note("a GET on the same connection right after the HEAD");
    r = expect_served(c, "/a.txt", "a.txt");
    t_response_free(r);
    t_conn_close(c);
}

TEST(index_files, .id = "1.3.4",
     .title = "\"/\" and any path ending in \"/\" serve that folder's index.html",
     .hint = "TUTORIAL §1.4 (folders); static.h") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    struct t_response *r = expect_served(c, "/", "index.html");
    expect_header(r, "Content-Type", "text/html; charset=utf-8");
    t_response_free(r);
    r = expect_served(c, "/sub/", "sub/index.html");
    expect_header(r, "Content-Type", "text/html; charset=utf-8");
    t_response_free(r);
    t_conn_close(c);
}

TEST(folder_redirect, .id = "1.3.5",
     .title = "a folder named without its final slash gets 301 with Location: the path plus \"/\"",
     .hint = "TUTORIAL §1.4 (folders: why the redirect); RFC 9110 §15.4.2, §10.2.2") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    struct t_response *r = t_http(c, "GET", "/sub", NULL, NULL, 3000);
    t_expect_status(r, 301);
    expect_header(r, "Location", "/sub/");
    t_response_free(r);
    r = t_http(c, "GET", "/empty", NULL, NULL, 3000);
    t_expect_status(r, 301);
    expect_header(r, "Location", "/empty/");
    t_response_free(r);
    t_conn_close(c);
}

TEST(not_found, .id = "1.3.6", .title = "a missing file or folder index gets 404",
     .hint = HINT_FILES) {
    static const char *targets[] = {"/nope.html", "/sub/nope.html", "/nope/", "/empty/", "/a.txt/"};
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct t_response *r = t_http(c, "GET", targets[i], NULL, NULL, 3000);
        t_note("GET %s", targets[i]);
        t_expect_status(r, 404);
        t_response_free(r);
    }
    t_conn_close(c);
}

TEST(query_ignored, .id = "1.3.7", .title = "the query string is not part of the file name",
     .hint = "TUTORIAL §1.4 (strip the query first); RFC 3986 §3.4") {
    struct t_server *s = board_start(NULL, NULL);
    struct t_conn *c = t_conn_open(s->port);
    t_response_free(expect_served(c, "/a.css?v=123", "a.css"));
    t_response_free(expect_served(c, "/?page=2", "index.html"));
    t_response_free(expect_served(c, "/sub/page.html?x=%2e%2e/../", "sub/page.html"));
    t_conn_close(c);
}

/* ---- attacks ------------------------------------------------------------------ */

TEST(traversal_dots, .id = "1.3.8", .points = 2,
     .title = "\"..\" segments, plain or %-encoded in any case, never leave the web root",
     .hint = HINT_TRAVERSAL) {
    static const char *targets[] = {
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/sub/../../secret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/sub/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/%252e%252e/secret.txt",
        "/..",
        "/../",
        "/../../../../../../etc/passwd",
    };
    struct t_server *s = board_start(NULL, NULL);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        expect_refused(s->port, targets[i]);
    struct t_conn *c = t_conn_open(s->port);
    t_response_free(expect_served(c, "/a.txt", "a.txt"));
    t_conn_close(c);
}

TEST(traversal_encoding, .id = "1.3.9",
     .title = "encoded slashes, NUL bytes, bad %-escapes and \"//\" are refused",
     .hint = HINT_TRAVERSAL) {
    static const char *targets[] = {
        "/a%2fb",
        "/sub%2fpage.html",
        "/sub%2Fpage.html",
        "//etc/passwd",
        "/%00",
        "/a.txt%00.html",
        "/%zz",
        "/%2",
        "/%",
        "/a%g0.txt",
        "///secret.txt",
    };
    struct t_server *s = board_start(NULL, NULL);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        expect_refused(s->port, targets[i]);
    struct t_conn *c = t_conn_open(s->port);
    t_response_free(expect_served(c, "/%61.txt", "a.txt"));
    t_conn_close(c);
}

TEST(symlinks, .id = "1.3.10", .points = 2,
     .title = "a symbolic link out of the root is refused; one that stays inside is served",
     .hint = HINT_LINKS) {
    struct t_server *s = board_start(NULL, NULL);
    expect_refused(s->port, "/link-out.txt");
    expect_refused(s->port, "/link-dir/secret.txt");
    expect_refused(s->port, "/link-dir/www-private/secret.txt");
    struct t_conn *c = t_conn_open(s->port);
    t_response_free(expect_served(c, "/link-in.css", "a.css"));
    t_conn_close(c);
}

TEST(named_pipe, .id = "1.3.11",
     .title = "a named pipe in the root is not served, and does not hang the server",
     .hint = "TUTORIAL §1.4 (only a regular file is 200); man 2 stat (S_ISREG); opening a FIFO "
             "blocks until a writer comes") {
    struct t_server *s = board_start(NULL, NULL);
    expect_refused(s->port, "/pipe.txt");
    struct t_conn *c = t_conn_open(s->port);
    t_response_free(expect_served(c, "/b.txt", "b.txt"));
    t_conn_close(c);
}

/* ---- static_resolve and static_content_type, called directly ------------------ */

/* Calls static_resolve on target; fails unless it returns `status`. */
static void resolve_at(const char *file, int line, const char *target, size_t len, int status,
                       char *path, size_t cap) {
    path[0] = '\0';
    int got = static_resolve(web_root(), target, len, path, cap);
    if (got != status)
        t_failf(file, line,
                "expected: static_resolve(root, \"%.*s\") == %d\n     got: %d (path \"%s\")",
                (int)len, target, status, got, path);
}

/* Expects target to resolve (200) to a path holding the file `name`. */
static void resolves_to_at(const char *file, int line, const char *target, size_t len,
                           const char *name) {
    char path[4096];
    resolve_at(file, line, target, len, 200, path, sizeof path);
    const struct web_file *f = web_file(name);
    char content[512 * 1024];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, content, sizeof content) : -1;
    if (fd >= 0) close(fd);
    if (n < 0)
        t_failf(file, line,
                "expected: static_resolve(\"%.*s\") to give the path of %s\n     got: \"%s\", "
                "which cannot be read (%s)",
                (int)len, target, name, path, strerror(errno));
    if ((size_t)n != f->len || memcmp(content, f->data, f->len) != 0)
        t_failf(file, line,
                "expected: static_resolve(\"%.*s\") to give the path of %s\n     got: \"%s\", "
                "another file",
                (int)len, target, name, path);
}

#define RESOLVES_TO(target, name) resolves_to_at(__FILE__, __LINE__, target, strlen(target), name)
#define RESOLVE_STATUS(target, status)                                                             \
    do {                                                                                           \
        char path_[4096];                                                                          \
        resolve_at(__FILE__, __LINE__, target, strlen(target), status, path_, sizeof path_);       \
    } while (0)

TEST(resolve_maps, .id = "1.3.12",
     .title = "static_resolve maps targets to files: index, query, %-decoding, links, 301, 404",
     .hint = "TUTORIAL §1.4; static.h (static_resolve)") {
    RESOLVES_TO("/", "index.html");
    RESOLVES_TO("/index.html", "index.html");
    RESOLVES_TO("/a.css", "a.css");
    RESOLVES_TO("/a.css?v=1", "a.css");
    RESOLVES_TO("/?x", "index.html");
    RESOLVES_TO("/sub/", "sub/index.html");
    RESOLVES_TO("/sub/page.html", "sub/page.html");
    RESOLVES_TO("/%61.css", "a.css");
    RESOLVES_TO("/with%20space.txt", "with space.txt");
    RESOLVES_TO("/link-in.css", "a.css");
    /* Only target_len bytes are the target. */
    resolves_to_at(__FILE__, __LINE__, "/a.css/../../secret.txt", 6, "a.css");

    char path[4096];
    resolve_at(__FILE__, __LINE__, "/sub", 4, 301, path, sizeof path);
    CHECK_STR(path, "/sub/");
    resolve_at(__FILE__, __LINE__, "/empty", 6, 301, path, sizeof path);
    CHECK_STR(path, "/empty/");

    RESOLVE_STATUS("/nope", 404);
    RESOLVE_STATUS("/sub/nope.html", 404);
    RESOLVE_STATUS("/empty/", 404);
    RESOLVE_STATUS("//etc/passwd", 404);
    RESOLVE_STATUS("/%252e%252e/secret.txt", 404); /* decoded once: "%2e%2e" is a name */
}

TEST(resolve_refuses, .id = "1.3.13", .points = 2,
     .title = "static_resolve refuses traversal and links out with 403, malformed targets with "
              "400",
     .hint = HINT_TRAVERSAL) {
    RESOLVES_TO("/a.txt", "a.txt");
    static const char *forbidden[] = {
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/sub/../../secret.txt",
        "/sub/../a.css",
        "/sub/..%2f..%2fsecret.txt",
        "/a%2fb",
        "/sub%2Fpage.html",
        "/..",
        "/link-out.txt",
        "/link-dir/secret.txt",
        "/link-dir/www-private/secret.txt",
    };
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        RESOLVE_STATUS(forbidden[i], 403);
    static const char *malformed[] = {
        "/%00", "/a.txt%00.html", "/%zz", "/%2", "/%", "/a%g0.txt", "a.txt", "",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        RESOLVE_STATUS(malformed[i], 400);

    char path[4096];
    int got = static_resolve(web_root(), "/pipe.txt", 9, path, sizeof path);
    if (got != 403 && got != 404)
        FAILF("expected: static_resolve(\"/pipe.txt\") (a named pipe) == 403 or 404: only a "
              "regular file is 200\n     got: %d",
              got);
}

TEST(content_type_table, .id = "1.3.14",
     .title = "static_content_type maps each extension of static.h, and anything else to "
              "application/octet-stream",
     .hint = "static.h (static_content_type); RFC 9110 §8.3") {
    static const struct {
        const char *path, *type;
    } table[] = {
        {"index.html", "text/html; charset=utf-8"},
        {"/srv/web/sub/a.css", "text/css"},
        {"app.js", "text/javascript"},
        {"d.json", "application/json"},
        {"i.png", "image/png"},
        {"logo.svg", "image/svg+xml"},
        {"favicon.ico", "image/x-icon"},
        {"notes.txt", "text/plain; charset=utf-8"},
        {"archive.tar.gz", "application/octet-stream"},
        {"Makefile", "application/octet-stream"},
        {"dir.html/file", "application/octet-stream"},
        {"page.html.bak", "application/octet-stream"},
        {"x.htm", "application/octet-stream"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        t_note("static_content_type(\"%s\")", table[i].path);
        CHECK_STR(static_content_type(table[i].path), table[i].type);
    }
}
