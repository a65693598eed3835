/*
 * support.c — the Lab 1 tests' web root, board launcher and HTTP checks.
 * See support.h.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PNG_LEN (8 + 4 * 256)
#define BIG_LEN (256 * 1024)

static unsigned char png[PNG_LEN];
static unsigned char big[BIG_LEN];

#define TEXT(s) s, sizeof s - 1

static struct web_file files[] = {
    {"index.html", "text/html; charset=utf-8", TEXT("<!doctype html><title>home</title>\n")},
    {"a.css", "text/css", TEXT("body { color: teal }\n")},
    {"x.js", "text/javascript", TEXT("console.log('x');\n")},
    {"data.json", "application/json", TEXT("{\"k\":[1,2,3]}\n")},
    {"notes.txt", "text/plain; charset=utf-8", TEXT("plain notes\n")},
    {"a.txt", "text/plain; charset=utf-8", TEXT("alpha\n")},
    {"b.txt", "text/plain; charset=utf-8", TEXT("bravo\n")},
    {"with space.txt", "text/plain; charset=utf-8", TEXT("spaced out\n")},
    {"sub/index.html", "text/html; charset=utf-8", TEXT("<p>sub index</p>\n")},
    {"sub/page.html", "text/html; charset=utf-8", TEXT("<p>sub page</p>\n")},
    {"img.png", "image/png", NULL, 0},
    {"big.bin", "application/octet-stream", NULL, 0},
};

static char root[512], secret[512];

void file_write(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) FAILF("test setup: cannot create %s: %s", path, strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) FAILF("test setup: cannot write %s: %s", path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    close(fd);
}

static void make_dir(const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mkdir(path, 0755) != 0) FAILF("test setup: mkdir %s: %s", path, strerror(errno));
}

static void make_link(const char *target, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, name);
    if (symlink(target, path) != 0) FAILF("test setup: symlink %s: %s", path, strerror(errno));
}

/* Binary contents with every byte value, NULs included. */
static void make_binary_contents(void) {
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(png, signature, sizeof signature);
    for (size_t i = 8; i < PNG_LEN; i++) png[i] = (unsigned char)(i - 8);
    unsigned int x = 12345;
    for (size_t i = 0; i < BIG_LEN; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (unsigned char)(x >> 16);
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!strcmp(files[i].name, "img.png")) {
            files[i].data = (const char *)png;
            files[i].len = PNG_LEN;
        } else if (!strcmp(files[i].name, "big.bin")) {
            files[i].data = (const char *)big;
            files[i].len = BIG_LEN;
        }
    }
}

const char *web_root(void) {
    if (root[0]) return root;
    snprintf(root, sizeof root, "%s/www", t_tmpdir());
    snprintf(secret, sizeof secret, "%s/secret.txt", t_tmpdir());
    file_write(secret, SECRET_TEXT, strlen(SECRET_TEXT));
    make_dir(t_tmpdir(), "www");
    /* A sibling whose name starts like the root's: "www-private" is not
     * inside "www", however alike the two paths begin. */
    make_dir(t_tmpdir(), "www-private");
    char sibling[1024];
    snprintf(sibling, sizeof sibling, "%s/www-private/secret.txt", t_tmpdir());
    file_write(sibling, SECRET_TEXT, strlen(SECRET_TEXT));
    make_dir(root, "sub");
    make_dir(root, "empty");
    make_binary_contents();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, files[i].name);
        file_write(path, files[i].data, files[i].len);
    }
    make_link("a.css", "link-in.css");
    make_link("../secret.txt", "link-out.txt");
    make_link("..", "link-dir");
    char fifo[1024];
    snprintf(fifo, sizeof fifo, "%s/pipe.txt", root);
    if (mkfifo(fifo, 0644) != 0) FAILF("test setup: mkfifo %s: %s", fifo, strerror(errno));
    return root;
}

const char *web_secret_path(void) {
    web_root();
    return secret;
}

const struct web_file *web_file(const char *name) {
    web_root();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!strcmp(files[i].name, name)) return &files[i];
    FAILF("test bug: no file %s in the test web root", name);
}

struct t_server *board_start(const char *opt, const char *value) {
    return t_server_start("board", "--root", web_root(), opt, value, NULL);
}

/* The next comma-separated item of *list (spaces and tabs trimmed) into
 * item; false at the end. */
static bool next_item(const char **list, char *item, size_t cap) {
    const char *p = *list;
    if (!*p) return false;
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    *list = comma ? comma + 1 : end;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    snprintf(item, cap, "%.*s", (int)(end - p), p);
    return true;
}

bool list_has_token(const char *list, const char *token) {
    char item[128];
    while (list && next_item(&list, item, sizeof item))
        if (!strcmp(item, token)) return true;
    return false;
}

static int count_items(const char *list) {
    char item[128];
    int n = 0;
    while (list && next_item(&list, item, sizeof item)) n++;
    return n;
}

void expect_405_allow(const struct t_response *r, const char *allowed) {
    t_expect_status(r, 405);
    const char *got = t_http_header(r, "Allow");
    if (!got)
        FAILF("expected: an Allow header listing \"%s\" (RFC 9110 §15.5.6: a 405 MUST carry "
              "one)\n     got: none; head:\n%s",
              allowed, t_escape(r->head, strlen(r->head), 600));
    char item[128];
    const char *list = allowed;
    bool same = count_items(got) == count_items(allowed);
    while (same && next_item(&list, item, sizeof item)) same = list_has_token(got, item);
    if (!same) FAILF("expected: Allow: %s (in any order)\n     got: Allow: %s", allowed, got);
}

void expect_header(const struct t_response *r, const char *name, const char *value) {
    const char *got = t_http_header(r, name);
    if (!got || strcmp(got, value) != 0)
        FAILF("expected: %s: %s\n     got: %s%s%s; head:\n%s", name, value, got ? name : "",
              got ? ": " : "no such header", got ? got : "",
              t_escape(r->head, strlen(r->head), 600));
}

long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
