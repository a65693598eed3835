/*
 * chat — the Lab 4 server: chat rooms at /chat/ROOM, an echo at /echo, and
 * the web root for everything else, for thousands of clients on one thread.
 *
 *   chat [--host H] [--port P] [--root DIR] [--origin LIST|same|*] [--require-origin]
 *        [--protocol LIST] [--max-message BYTES] [--high-water BYTES]
 *        [--close-timeout-ms N] [--request-timeout-ms N]
 *
 * Then open http://127.0.0.1:8004/04-broadcast/ in two windows.
 *
 * The wiring, in the order things are made (and freed in reverse):
 *
 *   loop ─► chat (hub + callbacks) ─► wsserver (listens) ─► sigwatch (→ wsserver_stop)
 *        ─► loop_run() until the server has said goodbye to everyone
 *
 * Given code.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "chat.h"
#include "cli.h"
#include "policy.h"
#include "sigwatch.h"

#define USAGE                                                                                      \
    "chat [--host H] [--port P] [--root DIR] [--origin LIST|same|*] [--require-origin] "           \
    "[--protocol LIST] [--max-message BYTES] [--high-water BYTES] [--close-timeout-ms N] "         \
    "[--request-timeout-ms N]"

/* Each client is a descriptor, and the usual soft limit (1024) is far below
 * what one thread can serve. Raising the soft limit up to the hard one needs
 * no privilege; past it, accept() fails with EMFILE and wsserver pauses. */
static void raise_fd_limit(void) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur == lim.rlim_max) return;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) < 0) perror("chat: setrlimit(RLIMIT_NOFILE)");
}

/* sigwatch's callback: SIGINT or SIGTERM. */
static void stop_server(void *arg) {
    wsserver_stop(arg);
}

/* Runs the server until a signal has stopped it. Returns 0, or -1. */
static int run(struct wsserver_config *cfg) {
    struct loop *loop = loop_new(NULL);
    if (loop == NULL) {
        fprintf(stderr, "chat: cannot make the event loop\n");
        return -1;
    }
    struct chat chat;
    if (chat_init(&chat, &cfg->app) < 0) {
        fprintf(stderr, "chat: out of memory\n");
        loop_free(loop);
        return -1;
    }
    int status = -1;
    struct wsserver *server = wsserver_start(loop, cfg);
    if (server != NULL && sigwatch_start(loop, stop_server, server) < 0) {
        fprintf(stderr, "chat: cannot watch for signals\n");
    } else if (server != NULL) {
        status = loop_run(loop);
        if (status < 0) fprintf(stderr, "chat: the event loop failed\n");
    }
    /* The server first: its clients' ends leave the hub's rooms empty. */
    wsserver_free(server);
    chat_free(&chat);
    sigwatch_stop(loop);
    loop_free(loop);
    return status;
}

int main(int argc, char **argv) {
    struct wsserver_config cfg = {
        .host = "127.0.0.1",
        .port = 8004,
        .root = cli_default_root(),
    };
    const char *origin = "*", *protocol = "";
    int require_origin = 0;
    int max_message = WS_DEFAULT_MAX_MESSAGE, high_water = CONN_DEFAULT_HIGH_WATER;
    int close_timeout_ms = 5000, request_timeout_ms = 10000;
    const struct cli_option opts[] = {
        {"--host", CLI_STR, &cfg.host, "address to listen on (default 127.0.0.1)"},
        {"--port", CLI_INT, &cfg.port, "port to listen on (default 8004; 0: any free port)"},
        {"--root", CLI_STR, &cfg.root, "folder of files to serve (default: the kit's web/)"},
        {"--origin", CLI_STR, &origin,
         "allowed origins, comma-separated; * (default) any; same: this server's pages"},
        {"--require-origin", CLI_FLAG, &require_origin, "refuse handshakes without an Origin"},
        {"--protocol", CLI_STR, &protocol, "subprotocols, most preferred first (default: none)"},
        {"--max-message", CLI_INT, &max_message,
         "largest message accepted, in bytes, else close 1009 (default 16777216)"},
        {"--high-water", CLI_INT, &high_water,
         "bytes queued to a client before it is dropped as too slow (default 1048576)"},
        {"--close-timeout-ms", CLI_INT, &close_timeout_ms,
         "how long to wait for the answer to a close (default 5000)"},
        {"--request-timeout-ms", CLI_INT, &request_timeout_ms,
         "time allowed for a whole request, else 408 (default 10000)"},
        {NULL, CLI_FLAG, NULL, NULL},
    };
    int rest = cli_parse(argc, argv, opts, USAGE);
    if (rest < argc) {
        fprintf(stderr, "chat: unexpected argument '%s'\n", argv[rest]);
        return 2;
    }
    if (cfg.port < 0 || max_message < 1 || high_water < 1 || close_timeout_ms < 1 ||
        request_timeout_ms < 1) {
        fprintf(stderr, "chat: --port must be at least 0; --max-message, --high-water, "
                        "--close-timeout-ms and --request-timeout-ms at least 1\n");
        return 2;
    }
    cfg.max_message = (size_t)max_message;
    cfg.high_water = (size_t)high_water;
    cfg.close_timeout_ms = close_timeout_ms;
    cfg.request_timeout_ms = request_timeout_ms;
    if (policy_init(&cfg.handshake, origin, protocol, require_origin != 0) < 0) {
        fprintf(stderr, "chat: out of memory\n");
        return 1;
    }
    raise_fd_limit();
    int status = run(&cfg);
    policy_free(&cfg.handshake);
    return status == 0 ? 0 : 1;
}
