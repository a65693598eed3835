/*
 * board — the Lab 1 server: the message board's routes over httpd, and the
 * web root for everything else.
 *
 *   board [--host H] [--port P] [--root DIR] [--heartbeat-ms N]
 *         [--request-timeout-ms N] [--capacity N]
 *
 * Then open http://127.0.0.1:8001/01-tcp-http/ and watch short polling, long
 * polling and Server-Sent Events deliver the same messages.
 *
 * Given code.
 */
#include <stdio.h>

#include "board.h"
#include "cli.h"
#include "httpd.h"

/* Returns 0 if value >= min, else says why and returns -1. */
static int check_at_least(const char *option, int value, int min) {
    if (value >= min) return 0;
    fprintf(stderr, "board: %s must be at least %d\n", option, min);
    return -1;
}

/* When the server stops, held long polls and event streams must end. */
static void close_board(void *board) {
    board_close(board);
}

int main(int argc, char **argv) {
    struct httpd_config cfg = {
        .host = "127.0.0.1",
        .port = 8001,
        .root = cli_default_root(),
        .request_timeout_ms = 10000,
        /* The largest body the parser accepts is the largest message: a
         * longer one is refused with 413 from its Content-Length alone,
         * before any of its bytes are read. */
        .max_body = BOARD_MAX_TEXT,
        .max_conns = 512,
        .handler = board_handle,
        .on_stop = close_board,
    };
    int heartbeat_ms = 15000, capacity = 1000;
    const struct cli_option opts[] = {
        {"--host", CLI_STR, &cfg.host, "address to listen on (default 127.0.0.1)"},
        {"--port", CLI_INT, &cfg.port, "port to listen on (default 8001; 0: any free port)"},
        {"--root", CLI_STR, &cfg.root, "folder of files to serve (default: the kit's web/)"},
        {"--heartbeat-ms", CLI_INT, &heartbeat_ms,
         "event-stream heartbeat after this long idle (default 15000)"},
        {"--request-timeout-ms", CLI_INT, &cfg.request_timeout_ms,
         "time allowed for a whole request, else 408 (default 10000)"},
        {"--capacity", CLI_INT, &capacity, "messages kept (default 1000)"},
        {NULL, CLI_FLAG, NULL, NULL},
    };
    int rest = cli_parse(argc, argv, opts,
                         "board [--host H] [--port P] [--root DIR] [--heartbeat-ms N] "
                         "[--request-timeout-ms N] [--capacity N]");
    if (rest < argc) {
        fprintf(stderr, "board: unexpected argument '%s'\n", argv[rest]);
        return 2;
    }
    if (check_at_least("--port", cfg.port, 0) < 0 ||
        check_at_least("--heartbeat-ms", heartbeat_ms, 1) < 0 ||
        check_at_least("--request-timeout-ms", cfg.request_timeout_ms, 1) < 0 ||
        check_at_least("--capacity", capacity, 1) < 0)
        return 2;

    struct board *board = board_new((size_t)capacity, heartbeat_ms);
    if (board == NULL) {
        fprintf(stderr, "board: out of memory\n");
        return 1;
    }
    cfg.arg = board;
    int status = httpd_run(&cfg);
    board_free(board);
    return status == 0 ? 0 : 1;
}
