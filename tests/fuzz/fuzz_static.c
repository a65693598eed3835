/*
 * fuzz_static — libFuzzer target for the request target → file mapping.
 *
 * static_resolve promises that no byte from outside the web root is ever
 * served. Here the input is a request target, and the root is a small tree
 * made once in a temporary folder, with traps beside it. Names are one letter
 * so that random mutation finds them quickly ("/o", "/u/s"):
 *
 *   BASE/s             outside the root: the secret, never to be the answer
 *   BASE/r/index.html  the root is BASE/r
 *   BASE/r/a           a file
 *   BASE/r/d/index.html, BASE/r/d/c.css   a sub folder
 *   BASE/r/o  -> ../s    a link pointing out
 *   BASE/r/p  -> BASE/s  the same, absolute
 *   BASE/r/u  -> ..      a folder link pointing out ("/u/s")
 *   BASE/r/l  -> a       a link that stays inside
 *   BASE/r/e  -> d       a folder link that stays inside
 *
 * The known attacks (TRAPS) are checked once at start-up, so that even a
 * short run covers them; then libFuzzer explores.
 *
 * For every input: the answer is one of the statuses static.h lists; the
 * path written is NUL-terminated inside its buffer; and a 200's path, after
 * resolving every link (realpath), is a regular file under the root and
 * never the secret. The call is made twice, with a roomy path buffer and a
 * cramped one, each allocated to its exact size so that AddressSanitizer
 * catches a write past it. A broken promise calls abort(); libFuzzer saves
 * the input. The tree is removed when the fuzzer exits normally.
 *
 * lab: 01-tcp-http
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static.h"

#define MUST(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_static: %s:%d: broken promise: %s\n", __FILE__, __LINE__,        \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define CRAMPED 24 /* a path buffer too small for most answers */

static char base[64];
static char root[PATH_MAX];        /* as passed to static_resolve */
static char root_real[PATH_MAX];   /* the same, links resolved */
static char secret_real[PATH_MAX]; /* the file that must never come out */

/* Every file and link of the tree, in an order that can be removed. */
static const char *const files[] = {
    "r/index.html", "r/a", "r/d/index.html", "r/d/c.css", "r/o", "r/p", "r/u", "r/l", "r/e", "s"};
static const char *const dirs[] = {"r/d", "r"};

/* Targets that try to get out, plain or encoded, and a few that may succeed;
 * separated by spaces. */
static const char traps[] = "/ /a /d /d/ /d/c.css /l /e/ /e/c.css /o /p /u/s /u/r/a /u/ /u/r/ "
                            "/../s /d/../../s /%2e%2e/s /%2E%2e/%73 /d%2f..%2f..%2fs /u%2fs "
                            "/./a /a?x=/../s /a%00 /% /%zz a /d/.. /.. //s /d/c.css/ /o/ /l/";

static void in_base(char *out, const char *name) {
    snprintf(out, PATH_MAX, "%s/%s", base, name);
}

static void make_file(const char *name, const char *text) {
    char path[PATH_MAX];
    in_base(path, name);
    FILE *f = fopen(path, "w");
    MUST(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void make_link(const char *name, const char *to) {
    char path[PATH_MAX];
    in_base(path, name);
    MUST(symlink(to, path) == 0);
}

static void remove_tree(void) {
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        in_base(path, files[i]);
        unlink(path);
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        in_base(path, dirs[i]);
        rmdir(path);
    }
    rmdir(base);
}

static void make_tree(void) {
    char path[PATH_MAX];
    snprintf(base, sizeof base, "/tmp/wslab-fuzz-static-XXXXXX");
    MUST(mkdtemp(base) != NULL);
    atexit(remove_tree);
    in_base(root, "r");
    MUST(mkdir(root, 0755) == 0);
    in_base(path, "r/d");
    MUST(mkdir(path, 0755) == 0);
    make_file("s", "the secret\n");
    make_file("r/index.html", "<p>home</p>\n");
    make_file("r/a", "a\n");
    make_file("r/d/index.html", "<p>sub</p>\n");
    make_file("r/d/c.css", "p{}\n");
    make_link("r/o", "../s");
    in_base(path, "s");
    make_link("r/p", path);
    make_link("r/u", "..");
    make_link("r/l", "a");
    make_link("r/e", "d");
    MUST(realpath(root, root_real) != NULL);
    MUST(realpath(path, secret_real) != NULL);
}

/* A 200's file: really there, a regular file, under the root, not the secret. */
static void check_served(const char *path) {
    char real[PATH_MAX];
    struct stat st;
    size_t rlen = strlen(root_real);
    MUST(realpath(path, real) != NULL);
    MUST(strncmp(real, root_real, rlen) == 0 && real[rlen] == '/');
    MUST(strcmp(real, secret_real) != 0);
    MUST(stat(real, &st) == 0 && S_ISREG(st.st_mode));
    MUST(static_content_type(path) != NULL);
}

static void resolve(const char *target, size_t len, size_t cap) {
    char *path = malloc(cap);
    if (!path) return;
    memset(path, 'x', cap);
    int status = static_resolve(root, target, len, path, cap);
    MUST(status == 200 || status == 301 || status == 400 || status == 403 || status == 404);
    if (status == 200 || status == 301) MUST(memchr(path, '\0', cap) != NULL);
    if (status == 301) MUST(path[0] == '/');
    if (status == 200) check_served(path);
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        make_tree();
        for (const char *t = traps; *t; t += strspn(t, " ")) {
            size_t len = strcspn(t, " ");
            resolve(t, len, PATH_MAX);
            resolve(t, len, CRAMPED);
            t += len;
        }
        ready = true;
    }
    /* data is exactly `size` bytes and not NUL-terminated, as a target in a
     * request buffer is: reading past it is a bug AddressSanitizer reports. */
    resolve((const char *)data, size, PATH_MAX);
    resolve((const char *)data, size, CRAMPED);
    return 0;
}
