/*
 * cli — command-line options shared by every program of the kit.
 *
 * All servers take the same core options (--host, --port, --root) and print
 * the same `listening on HOST:PORT` line when ready, so that tests, scripts and
 * people can drive any lab the same way.
 *
 * Given code.
 */
#ifndef WSLAB_CLI_H
#define WSLAB_CLI_H

enum cli_type {
    CLI_INT,  /* int *target; the value must be a whole number */
    CLI_STR,  /* const char **target */
    CLI_FLAG, /* int *target, set to 1 */
};

struct cli_option {
    const char *name; /* "--port" */
    enum cli_type type;
    void *target;
    const char *help; /* one line for --help */
};

/* Parses argv against opts (an array ended by an entry with name NULL).
 * "--name value" and "--name=value" are accepted. On --help prints usage and
 * the options and exits 0; on an unknown option or a bad value prints why and
 * exits 2. Returns the index of the first argument that is not an option. */
int cli_parse(int argc, char **argv, const struct cli_option *opts, const char *usage);

/* The folder the programs serve when --root is not given: this kit's web/. */
const char *cli_default_root(void);

/* Prints "listening on HOST:PORT" on stdout and flushes it: the line tests
 * and scripts wait for before they connect. */
void cli_announce(const char *host, int port);

#endif
