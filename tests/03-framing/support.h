/*
 * support — what the Lab 3 tests share beyond the tests' own WebSocket
 * client (ws_client.h: framing from RFC 6455 §5.2–§5.3, a UTF-8 check from
 * RFC 3629 §4, the handshake with the sample key of §1.3): checks inside
 * loops, and the `echo` program on a test web root.
 */
#ifndef LAB3_SUPPORT_H
#define LAB3_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "ws_client.h"

/* ---- checks inside loops ------------------------------------------------------------ */

/* Names the case a loop is checking; a CASE_ check that fails prints it. */
void set_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note_case(void);

#define CASE_INT(got, expected)                                                                    \
    do {                                                                                           \
        long long g_ = (long long)(got), x_ = (long long)(expected);                               \
        if (g_ != x_) note_case(), t_check_int(__FILE__, __LINE__, #got, g_, x_);                  \
    } while (0)
#define CASE_MEM(got, got_len, expected, expected_len)                                             \
    do {                                                                                           \
        size_t gl_ = (got_len), xl_ = (expected_len);                                              \
        if (gl_ != xl_ || memcmp((got), (expected), gl_) != 0)                                     \
            note_case(), t_check_mem(__FILE__, __LINE__, #got, (got), gl_, (expected), xl_);       \
    } while (0)
#define CASE_TRUE(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            note_case(), t_failf(__FILE__, __LINE__, "expected: %s\n     got: false", #cond);      \
    } while (0)

/* ---- the echo program -------------------------------------------------------------- */

/* The web root made for this test (index.html only). */
const char *test_root(void);

/* Starts `echo` on the test root with more options (NULL-terminated). */
struct t_server *echo_start(const char *opt, ...);

#endif
