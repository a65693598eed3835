/*
 * support — what the Lab 1 tests share.
 *
 * A web root made fresh for every test in t_tmpdir(), holding the files the
 * tests ask for and the traps a file server must not fall into: a secret file
 * just outside the root, symbolic links pointing out of it and within it, a
 * named pipe. Next to it: starting `board` on that root, and small checks on
 * HTTP answers that several test files need.
 */
#ifndef LAB1_SUPPORT_H
#define LAB1_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* The content of the file beside the web root: no response may contain any
 * of it, not even its first bytes (SECRET_MARK). */
#define SECRET_MARK "TOP-SECRET-4e1f"
#define SECRET_TEXT SECRET_MARK "-never-serve-this\n"

/* A file of the web root and its exact bytes. */
struct web_file {
    const char *name; /* relative to the root, e.g. "sub/index.html" */
    const char *type; /* the Content-Type static.h promises for it */
    const char *data;
    size_t len;
};

/* Makes the web root (once per test) and returns its path:
 *   index.html a.css x.js data.json img.png big.bin notes.txt a.txt b.txt
 *   "with space.txt"  sub/index.html  sub/page.html  empty/ (no index)
 *   link-in.css -> a.css        link-out.txt -> ../secret.txt
 *   link-dir -> ..              pipe.txt (a named pipe)
 * and ../secret.txt holding SECRET_TEXT. */
const char *web_root(void);
/* The path of the secret file outside the root. */
const char *web_secret_path(void);
/* A file of the root by name; fails the test if there is no such file. */
const struct web_file *web_file(const char *name);

/* Starts board on the web root, with one more option (and its value) if opt
 * is not NULL. */
struct t_server *board_start(const char *opt, const char *value);

/* Writes a file, failing the test if that is impossible. */
void file_write(const char *path, const void *data, size_t len);

/* True if the comma-separated list holds token (exact, spaces trimmed). */
bool list_has_token(const char *list, const char *token);
/* Fails unless r is a 405 whose Allow header lists exactly the methods in
 * `allowed` ("GET, POST"), in any order. */
void expect_405_allow(const struct t_response *r, const char *allowed);
/* Fails unless r has header `name` equal to `value` (case-insensitive name,
 * exact value). */
void expect_header(const struct t_response *r, const char *name, const char *value);

/* Milliseconds since 1970 on the wall clock (what the board's "time" holds). */
long long wall_ms(void);

#endif
