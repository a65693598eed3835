/*
 * echo — the Lab 3 server: a WebSocket echo at /echo, the same echo with a
 * description of every received frame at /inspect, and the web root for
 * everything else.
 *
 *   echo [--host H] [--port P] [--root DIR] [--origin LIST|same|*] [--require-origin]
 *        [--protocol LIST] [--max-message BYTES] [--close-timeout-ms N]
 *        [--idle-timeout-ms N]
 *        [--request-timeout-ms N]
 *
 * Then open http://127.0.0.1:8003/03-framing/ and look at the frames your
 * browser sends.
 *
 * Given code.
 */
#include <stdio.h>

#include "cli.h"
#include "echo.h"
#include "httpd.h"
#include "policy.h"

int main(int argc, char **argv) {
    struct httpd_config cfg = {
        .host = "127.0.0.1",
        .port = 8003,
        .root = cli_default_root(),
        .request_timeout_ms = 10000,
        /* No route here takes a request body. */
        .max_body = 4096,
        /* A thread per connection: enough for the page, the tests (which
         * open a hundred at once) and a modest benchmark. */
        .max_conns = 512,
        .handler = echo_handle,
    };
    const char *origin = "*", *protocol = "";
    int require_origin = 0;
    int max_message = WS_DEFAULT_MAX_MESSAGE, close_timeout_ms = 5000, idle_timeout_ms = 0;
    const struct cli_option opts[] = {
        {"--host", CLI_STR, &cfg.host, "address to listen on (default 127.0.0.1)"},
        {"--port", CLI_INT, &cfg.port, "port to listen on (default 8003; 0: any free port)"},
        {"--root", CLI_STR, &cfg.root, "folder of files to serve (default: the kit's web/)"},
        {"--origin", CLI_STR, &origin,
         "allowed origins, comma-separated; * (default) any; same: this server's pages"},
        {"--require-origin", CLI_FLAG, &require_origin, "refuse handshakes without an Origin"},
        {"--protocol", CLI_STR, &protocol, "subprotocols, most preferred first (default: none)"},
        {"--max-message", CLI_INT, &max_message,
         "largest message accepted, in bytes, else close 1009 (default 16777216)"},
        {"--idle-timeout-ms", CLI_INT, &idle_timeout_ms,
         "close a connection silent this long with 1001 (default 0: never)"},
        {"--close-timeout-ms", CLI_INT, &close_timeout_ms,
         "how long to wait for the answer to a close (default 5000)"},
        {"--request-timeout-ms", CLI_INT, &cfg.request_timeout_ms,
         "time allowed for a whole request, else 408 (default 10000)"},
        {NULL, CLI_FLAG, NULL, NULL},
    };
    int rest = cli_parse(
        argc, argv, opts,
        "echo [--host H] [--port P] [--root DIR] [--origin LIST|same|*] [--require-origin] "
        "[--protocol LIST] [--max-message BYTES] [--close-timeout-ms N] "
        "[--idle-timeout-ms N] "
        "[--request-timeout-ms N]");
    if (rest < argc) {
        fprintf(stderr, "echo: unexpected argument '%s'\n", argv[rest]);
        return 2;
    }
    if (cfg.port < 0 || cfg.request_timeout_ms < 1 || max_message < 1 || close_timeout_ms < 1 ||
        idle_timeout_ms < 0) {
        fprintf(stderr, "echo: --port must be at least 0; --request-timeout-ms, --max-message "
                        "and --close-timeout-ms at least 1\n");
        return 2;
    }

    struct echo_config echo = {
        .max_message = (size_t)max_message,
        .close_timeout_ms = close_timeout_ms,
        .idle_timeout_ms = idle_timeout_ms,
    };
    if (policy_init(&echo.handshake, origin, protocol, require_origin != 0) < 0) {
        fprintf(stderr, "echo: out of memory\n");
        return 1;
    }
    cfg.arg = &echo;
    int status = httpd_run(&cfg);
    policy_free(&echo.handshake);
    return status == 0 ? 0 : 1;
}
