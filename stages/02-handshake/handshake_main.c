/*
 * handshake — the Lab 2 server: WebSocket handshakes at /ws, the log of
 * them at /handshakes, and the web root for everything else.
 *
 *   handshake [--host H] [--port P] [--root DIR] [--origin LIST]
 *             [--require-origin] [--protocol LIST] [--request-timeout-ms N]
 *
 * Then open http://127.0.0.1:8002/02-handshake/ and watch the handshake
 * your browser makes.
 *
 * Given code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "handshake.h"
#include "httpd.h"
#include "upgrade.h"

static void free_list(char **list) {
    for (char **p = list; p != NULL && *p != NULL; p++) free(*p);
    free(list);
}

/* Splits a comma-separated list into a NULL-terminated array of its
 * elements, without the spaces around them and without empty ones; "" gives
 * an empty array. Returns NULL if memory runs out. Free with free_list. */
static char **split_list(const char *text) {
    size_t max = 1;
    for (const char *p = text; *p != '\0'; p++) max += *p == ',';
    char **list = calloc(max + 1, sizeof *list);
    if (list == NULL) return NULL;
    size_t n = 0;
    for (const char *p = text; n < max && *p != '\0';) {
        const char *end = strchr(p, ',');
        if (end == NULL) end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (b > a && (list[n++] = strndup(a, (size_t)(b - a))) == NULL) {
            free_list(list);
            return NULL;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return list;
}

/* Reads --origin: "same" (the default) allows only pages served by this
 * server, "*" allows any, anything else is the list of allowed origins.
 * Returns 0, or -1 if memory runs out. */
static int set_origins(struct handshake_config *hs, const char *option, char ***list) {
    *list = NULL;
    hs->origins = NULL;
    hs->same_origin = strcmp(option, "same") == 0;
    if (hs->same_origin || strcmp(option, "*") == 0) return 0;
    if ((*list = split_list(option)) == NULL) return -1;
    hs->origins = (const char *const *)*list;
    return 0;
}

int main(int argc, char **argv) {
    struct httpd_config cfg = {
        .host = "127.0.0.1",
        .port = 8002,
        .root = cli_default_root(),
        .request_timeout_ms = 10000,
        /* No route here takes a request body. */
        .max_body = 4096,
        .max_conns = 512,
        .handler = upgrade_handle,
    };
    const char *origin = "same", *protocol = "chat,superchat";
    int require_origin = 0;
    const struct cli_option opts[] = {
        {"--host", CLI_STR, &cfg.host, "address to listen on (default 127.0.0.1)"},
        {"--port", CLI_INT, &cfg.port, "port to listen on (default 8002; 0: any free port)"},
        {"--root", CLI_STR, &cfg.root, "folder of files to serve (default: the kit's web/)"},
        {"--origin", CLI_STR, &origin,
         "allowed origins, comma-separated; * any; same (default): this server's pages"},
        {"--require-origin", CLI_FLAG, &require_origin, "refuse handshakes without an Origin"},
        {"--protocol", CLI_STR, &protocol,
         "subprotocols, most preferred first (default chat,superchat; '' none)"},
        {"--request-timeout-ms", CLI_INT, &cfg.request_timeout_ms,
         "time allowed for a whole request, else 408 (default 10000)"},
        {NULL, CLI_FLAG, NULL, NULL},
    };
    int rest = cli_parse(argc, argv, opts,
                         "handshake [--host H] [--port P] [--root DIR] [--origin LIST] "
                         "[--require-origin] [--protocol LIST] [--request-timeout-ms N]");
    if (rest < argc) {
        fprintf(stderr, "handshake: unexpected argument '%s'\n", argv[rest]);
        return 2;
    }
    if (cfg.port < 0 || cfg.request_timeout_ms < 1) {
        fprintf(stderr, "handshake: --port must be at least 0, --request-timeout-ms at least 1\n");
        return 2;
    }

    struct handshake_config hs = {.require_origin = require_origin != 0};
    char **origins, **protocols = split_list(protocol);
    if (protocols == NULL || set_origins(&hs, origin, &origins) < 0) {
        fprintf(stderr, "handshake: out of memory\n");
        free_list(protocols);
        return 1;
    }
    hs.protocols = (const char *const *)protocols;
    cfg.arg = &hs;
    int status = httpd_run(&cfg);
    free_list(origins);
    free_list(protocols);
    return status == 0 ? 0 : 1;
}
