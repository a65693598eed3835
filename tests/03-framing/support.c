/*
 * support.c — the Lab 3 tests' shared helpers. See support.h.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- checks inside loops ------------------------------------------------------------ */

static char current_case[1024];

void set_case(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current_case, sizeof current_case, fmt, ap);
    va_end(ap);
}

void note_case(void) {
    if (current_case[0]) t_note("failing case: %s", current_case);
}

/* ---- the echo program -------------------------------------------------------------- */

const char *test_root(void) {
    static char root[512];
    if (root[0]) return root;
    snprintf(root, sizeof root, "%s/www", t_tmpdir());
    if (mkdir(root, 0755) != 0) FAILF("test setup: mkdir %s: %s", root, strerror(errno));
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", root);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static const char index_html[] = "<!doctype html><title>lab 3 test root</title>\n";
    if (fd < 0 || write(fd, index_html, sizeof index_html - 1) != sizeof index_html - 1)
        FAILF("test setup: cannot write %s: %s", path, strerror(errno));
    close(fd);
    return root;
}

struct t_server *echo_start(const char *opt, ...) {
    va_list ap;
    va_start(ap, opt);
    struct t_server *s = t_server_start_root("echo", test_root(), opt, ap);
    va_end(ap);
    return s;
}
