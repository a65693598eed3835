/*
 * support.c — the Lab 2 tests' shared helpers. See support.h.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t expected_101(char *out, size_t cap, const char *accept, const char *protocol) {
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n",
                     accept);
    if (protocol && *protocol)
        n += snprintf(out + n, cap - (size_t)n, "Sec-WebSocket-Protocol: %s\r\n", protocol);
    n += snprintf(out + n, cap - (size_t)n, "\r\n");
    if ((size_t)n >= cap) FAILF("test bug: expected_101 needs more than %zu bytes", cap);
    return (size_t)n;
}

const char *refusal_reason(int status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 426:
        return "Upgrade Required";
    default:
        FAILF("test bug: no reason phrase for %d", status);
    }
}

void json_escape_into(char *out, size_t cap, const char *s, size_t n) {
    size_t o = strlen(out);
    for (size_t i = 0; i < n && o + 7 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\%c", ch);
        else if (ch == '\r')
            o += (size_t)snprintf(out + o, cap - o, "\\r");
        else if (ch == '\n')
            o += (size_t)snprintf(out + o, cap - o, "\\n");
        else if (ch == '\t')
            o += (size_t)snprintf(out + o, cap - o, "\\t");
        else if (ch < 0x20)
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        else
            out[o++] = (char)ch;
    }
    if (o + 7 >= cap) FAILF("test bug: json_escape_into needs more than %zu bytes", cap);
    out[o] = '\0';
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        FAILF("test setup: cannot write %s: %s", path, strerror(errno));
    close(fd);
}

const char *test_root(void) {
    static char root[512];
    if (root[0]) return root;
    snprintf(root, sizeof root, "%s/www", t_tmpdir());
    if (mkdir(root, 0755) != 0) FAILF("test setup: mkdir %s: %s", root, strerror(errno));
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", root);
    write_file(path, INDEX_HTML);
    snprintf(path, sizeof path, "%s/hello.txt", root);
    write_file(path, "hello\n");
    return root;
}

struct t_server *handshake_start(const char *opt, const char *value) {
    return t_server_start("handshake", "--root", test_root(), opt, value, (char *)NULL);
}
