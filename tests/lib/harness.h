/*
 * harness — the kit's test framework (no external package).
 *
 * A test is a function declared with TEST(). The runner forks a child for each
 * test, so a crash or a hang in the code under test fails that one test — the
 * runner names the signal, or says what the test was waiting for when its time
 * ran out — and the run always completes.
 *
 *   TEST(get_parses, .id = "1.2.1", .title = "a simple GET parses", .points = 2,
 *        .hint = "TUTORIAL §1.3; RFC 9112 §3") {
 *       ...
 *       CHECK_INT(req.method, HTTP_GET);
 *   }
 *
 * Fields of TEST: id ("lab.task.n"), title, points (default 1), timeout
 * (seconds, default 5; WSLAB_TIMEOUT_SCALE multiplies it), hint (what to read
 * when it fails).
 *
 * Every failure prints what was expected, what came, and the hint. Tests that
 * talk to a server use t_server_start() and the t_conn_* helpers: a failure or
 * a timeout then also shows the last bytes sent and received on each
 * connection, a command to reproduce the exchange by hand, and the last lines
 * of the server's output.
 *
 * This code shares nothing with solutions/: a bug in the reference must not be
 * able to hide by agreeing with its own test client.
 */
#ifndef WSLAB_HARNESS_H
#define WSLAB_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- declaring tests ---------------------------------------------------- */

struct t_def {
    void (*fn)(void);
    const char *name; /* the C function's name */
    const char *file;
    const char *id;
    const char *title;
    double points;
    int timeout; /* seconds */
    const char *hint;
};

void t_register(const struct t_def *def);

#define TEST(fn_, ...)                                                                             \
    static void fn_(void);                                                                         \
    static const struct t_def fn_##_def = {                                                        \
        .fn = fn_, .name = #fn_, .file = __FILE__, __VA_ARGS__};                                   \
    __attribute__((constructor)) static void fn_##_register(void) {                                \
        t_register(&fn_##_def);                                                                    \
    }                                                                                              \
    static void fn_(void)

/* ---- assertions: each one that fails ends the test ---------------------- */

/* Fails with an expected/got pair (printf formats) and the current hint. */
void t_fail(const char *file, int line, const char *expected, const char *got)
    __attribute__((noreturn));
/* Fails with a free-form message. */
void t_failf(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define FAILF(...) t_failf(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) t_failf(__FILE__, __LINE__, "expected: %s\n     got: false", #cond);          \
    } while (0)

#define CHECK_INT(got, expected)                                                                   \
    t_check_int(__FILE__, __LINE__, #got, (long long)(got), (long long)(expected))
#define CHECK_STR(got, expected) t_check_str(__FILE__, __LINE__, #got, (got), (expected))
#define CHECK_MEM(got, got_len, expected, expected_len)                                            \
    t_check_mem(__FILE__, __LINE__, #got, (got), (got_len), (expected), (expected_len))
/* got must contain the C string needle. */
#define CHECK_CONTAINS(got, got_len, needle)                                                       \
    t_check_contains(__FILE__, __LINE__, #got, (got), (got_len), (needle))

void t_check_int(const char *file, int line, const char *expr, long long got, long long expected);
void t_check_str(const char *file, int line, const char *expr, const char *got,
                 const char *expected);
void t_check_mem(const char *file, int line, const char *expr, const void *got, size_t got_len,
                 const void *expected, size_t expected_len);
void t_check_contains(const char *file, int line, const char *expr, const void *got, size_t got_len,
                      const char *needle);

/* Replaces the hint printed by later failures of this test. */
void t_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds a line of context ("after 3 chunks of 1 byte") printed on failure. */
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Says what the test is about to wait for; printed if it times out there. */
void t_waiting(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sets the reproduce-by-hand command printed on failure (else one is made
 * from the bytes sent on the last connection). */
void t_repro(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A fresh directory for this test (removed afterwards). */
const char *t_tmpdir(void);

/* Escapes bytes for printing: \r \n \t \\ \xNN. Returns a static buffer
 * (valid until the next call), cut at max input bytes with "…". */
const char *t_escape(const void *bytes, size_t len, size_t max);

/* Writes bytes as lowercase hex into out (2n + 1 bytes, NUL-terminated). */
void t_hex(const unsigned char *bytes, size_t n, char *out);

/* True if the C string needle occurs in bytes[0..len). */
bool t_contains(const void *bytes, size_t len, const char *needle);

/* Milliseconds on the monotonic clock. */
long long t_now_ms(void);

/* ---- servers under test ------------------------------------------------- */

struct t_server {
    pid_t pid;
    int port;
    char log[512]; /* its stdout and stderr */
    char name[64];
};

/* Starts program `prog` of the lab under test (found in the runner's program
 * directory) with `--port 0` and the given extra arguments (NULL-terminated),
 * in its own process group, and waits up to 5 s for its "listening on
 * HOST:PORT" line. Fails the test if it exits or stays silent. */
struct t_server *t_server_start(const char *prog, ...) __attribute__((sentinel));
/* The same, with the extra arguments as a NULL-terminated vector. */
struct t_server *t_server_startv(const char *prog, char *const extra[]);
/* The same, serving the web root `root` (--root), with the extra arguments
 * `first` and then those in ap (NULL-terminated): for a lab's own
 * xxx_start(const char *opt, ...) helper. */
struct t_server *t_server_start_root(const char *prog, const char *root, const char *first,
                                     va_list ap);
/* The full path of a program of the lab under test. */
const char *t_program(const char *prog);
/* Asks the server to stop (SIGTERM), waits up to 3 s, then kills its whole
 * process group. Fails the test if a sanitizer reported an error or it
 * exited with a status other than 0 / death by SIGTERM. Every server still
 * running when a test ends is stopped like this. */
void t_server_stop(struct t_server *s);
/* Sends sig to the server and waits up to timeout_ms for it to exit.
 * Returns the wait status, or -1 if it is still running. */
int t_server_signal_wait(struct t_server *s, int sig, int timeout_ms);
/* The server's output so far (malloc'd, NUL-terminated). */
char *t_server_output(struct t_server *s);
/* Number of open file descriptors of the server (/proc/PID/fd). */
int t_server_fd_count(struct t_server *s);

/* Runs a program of the lab (argv NULL-terminated, argv[0] = its name) with
 * `input` on stdin, for at most timeout_ms; collects stdout and stderr.
 * Returns the wait status (-1 if it had to be killed). */
struct t_run {
    int status;
    char *out; /* malloc'd, NUL-terminated */
    size_t out_len;
    char *err;
    size_t err_len;
};
struct t_run t_run_program(char *const argv[], const void *input, size_t input_len, int timeout_ms);

/* ---- raw connections ---------------------------------------------------- */

struct t_conn; /* a TCP connection to 127.0.0.1 whose traffic is recorded */

/* Connects to 127.0.0.1:port within 2 s (fails the test otherwise). */
struct t_conn *t_conn_open(int port);
/* The same, returning NULL instead of failing. */
struct t_conn *t_conn_try_open(int port);
int t_conn_fd(struct t_conn *c);
void t_conn_close(struct t_conn *c);
/* Resets the connection (RST instead of FIN), as a vanished client would. */
void t_conn_abort(struct t_conn *c);
/* Half-closes: no more bytes from us (shutdown SHUT_WR). */
void t_conn_shutdown_write(struct t_conn *c);

/* Sends all bytes (fails the test if the peer is gone). */
void t_send(struct t_conn *c, const void *data, size_t len);
void t_send_str(struct t_conn *c, const char *s);
/* Sends in pieces of `chunk` bytes, pausing pause_ms between them so that the
 * peer sees them in separate reads (to test incremental parsers). */
void t_send_dribble(struct t_conn *c, const void *data, size_t len, size_t chunk, int pause_ms);
/* Tries to send; returns false instead of failing if the peer is gone. */
bool t_try_send(struct t_conn *c, const void *data, size_t len);

/* Reads exactly n bytes within timeout_ms; fails on EOF or timeout.
 * Returns a malloc'd buffer (NUL-terminated). */
char *t_read_exact(struct t_conn *c, size_t n, int timeout_ms);
/* Reads until `delim` has arrived (at most max bytes); fails on EOF, timeout
 * or overflow. Returns a malloc'd buffer ending with delim, its length in
 * *len. Bytes after the delimiter stay buffered for the next read. */
char *t_read_until(struct t_conn *c, const char *delim, size_t max, int timeout_ms, size_t *len);
/* Reads until the peer closes (at most max bytes, within timeout_ms). */
char *t_read_to_eof(struct t_conn *c, size_t max, int timeout_ms, size_t *len);
/* Reads whatever arrives within timeout_ms (possibly nothing). Returns the
 * count; -1 at EOF with nothing read. */
ssize_t t_read_some(struct t_conn *c, void *buf, size_t max, int timeout_ms);
/* Fails unless the peer closes (EOF or reset) within timeout_ms without
 * sending anything more. */
void t_expect_closed(struct t_conn *c, int timeout_ms);
/* Fails unless nothing at all arrives for ms milliseconds (and no EOF). */
void t_expect_silence(struct t_conn *c, int ms);
/* True if the peer has closed (checked within timeout_ms). */
bool t_peer_closed(struct t_conn *c, int timeout_ms);

/* ---- an independent HTTP/1.1 client for tests --------------------------- */

struct t_header {
    char *name;
    char *value;
};

struct t_response {
    int status;
    char *reason;
    char *head; /* the raw head, status line to the empty line */
    struct t_header headers[64];
    int nheaders;
    char *body; /* NUL-terminated */
    size_t body_len;
};

/* Reads one response: the head, then a Content-Length body, or with no
 * Content-Length a body up to EOF (never for HEAD requests: pass head_only). */
struct t_response *t_http_read(struct t_conn *c, bool head_only, int timeout_ms);
/* Reads only the head (for event streams that never end). */
struct t_response *t_http_read_head(struct t_conn *c, int timeout_ms);
/* The value of header `name` (case-insensitive), or NULL. */
const char *t_http_header(const struct t_response *r, const char *name);
/* Sends `METHOD target HTTP/1.1` with Host and the given extra header lines
 * ("Name: value\r\n"…, may be NULL) and body (may be NULL), then reads the
 * response. */
struct t_response *t_http(struct t_conn *c, const char *method, const char *target,
                          const char *extra_headers, const char *body, int timeout_ms);
/* One request on a new connection (Connection: close). */
struct t_response *t_http_once(int port, const char *method, const char *target,
                               const char *extra_headers, const char *body, int timeout_ms);
/* Fails unless r->status == status, showing the response head. */
void t_expect_status(const struct t_response *r, int status);
void t_response_free(struct t_response *r);

#endif
