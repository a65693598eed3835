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

#include "cli.h"
#include "handshake.h"
#include "httpd.h"
#include "policy.h"
#include "upgrade.h"

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

    struct handshake_config hs;
    if (policy_init(&hs, origin, protocol, require_origin != 0) < 0) {
        fprintf(stderr, "handshake: out of memory\n");
        return 1;
    }
    cfg.arg = &hs;
    int status = httpd_run(&cfg);
    policy_free(&hs);
    return status == 0 ? 0 : 1;
}
