/*
 * cli — command-line options shared by every program of the kit (see cli.h).
 *
 * Each program describes its options in a table; cli_parse() walks argv once
 * and stores each value where the table says. Mistakes end the program with
 * exit status 2 and a message naming the option, so a typo in a test script
 * fails loudly instead of silently running with a default.
 *
 * Given code.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kit's web/ folder, compiled in by the Makefile so that a program finds
 * it from any working directory. */
#ifndef WSLAB_WEB_ROOT
#define WSLAB_WEB_ROOT "web"
#endif

static const char *program_name(const char *argv0) {
    const char *slash = strrchr(argv0, '/');
    return slash != NULL ? slash + 1 : argv0;
}

static void print_help(const struct cli_option *opts, const char *usage) {
    printf("usage: %s\n\noptions:\n", usage);
    for (const struct cli_option *o = opts; o->name != NULL; o++) {
        const char *arg = o->type == CLI_INT ? " N" : o->type == CLI_STR ? " VALUE" : "";
        char left[64];
        snprintf(left, sizeof left, "%s%s", o->name, arg);
        printf("  %-24s %s\n", left, o->help);
    }
    printf("  %-24s %s\n", "--help", "print this help and exit");
}

static const struct cli_option *find_option(const struct cli_option *opts, const char *name,
                                            size_t name_len) {
    for (const struct cli_option *o = opts; o->name != NULL; o++)
        if (strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0) return o;
    return NULL;
}

/* Parses a whole decimal int; anything else (empty, trailing junk, out of
 * range) is refused. */
static int parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < INT_MIN || v > INT_MAX) return -1;
    *out = (int)v;
    return 0;
}

/* Stores value into the option's target, or exits 2 saying what is wrong. */
static void store(const char *prog, const struct cli_option *o, const char *value) {
    if (o->type == CLI_FLAG) {
        if (value != NULL) {
            fprintf(stderr, "%s: %s takes no value\n", prog, o->name);
            exit(2);
        }
        *(int *)o->target = 1;
        return;
    }
    if (value == NULL) {
        fprintf(stderr, "%s: %s needs a value (try --help)\n", prog, o->name);
        exit(2);
    }
    if (o->type == CLI_STR) {
        *(const char **)o->target = value;
    } else if (parse_int(value, (int *)o->target) < 0) {
        fprintf(stderr, "%s: %s: '%s' is not a whole number\n", prog, o->name, value);
        exit(2);
    }
}

int cli_parse(int argc, char **argv, const struct cli_option *opts, const char *usage) {
    const char *prog = program_name(argc > 0 ? argv[0] : "?");
    int i = 1;
    while (i < argc) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) return i + 1; /* the end of the options */
        if (strncmp(arg, "--", 2) != 0) return i; /* the first other argument */
        if (strcmp(arg, "--help") == 0) {
            print_help(opts, usage);
            exit(0);
        }
        /* "--name=value" or "--name value" */
        const char *eq = strchr(arg, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const struct cli_option *o = find_option(opts, arg, name_len);
        if (o == NULL) {
            fprintf(stderr, "%s: unknown option '%.*s' (try --help)\n", prog, (int)name_len, arg);
            exit(2);
        }
        const char *value = NULL;
        if (eq != NULL) {
            value = eq + 1;
        } else if (o->type != CLI_FLAG && i + 1 < argc) {
            value = argv[++i];
        }
        store(prog, o, value);
        i++;
    }
    return i;
}

const char *cli_default_root(void) {
    return WSLAB_WEB_ROOT;
}

void cli_announce(const char *host, int port) {
    printf("listening on %s:%d\n", host, port);
    fflush(stdout);
}
