/*
 * sigwatch — SIGINT and SIGTERM as events of the loop.
 *
 * A signal handler may interrupt the loop anywhere, even in the middle of
 * a malloc, so it must do almost nothing. The self-pipe trick: the handler
 * writes one byte into a non-blocking pipe, and the loop watches the
 * pipe's other end like any socket; the real work (saying goodbye to every
 * client) then runs as an ordinary callback, between two others, where
 * everything is allowed. It also cannot be lost: a signal that arrives just
 * before the loop waits leaves its byte in the pipe, and the wait returns at
 * once.
 *
 * Given code. Read: TUTORIAL §4.4; man 7 signal-safety, man 2 pipe.
 */
#ifndef WSLAB_SIGWATCH_H
#define WSLAB_SIGWATCH_H

#include "loop.h"

/* Installs handlers for SIGINT and SIGTERM (and ignores SIGPIPE) so that
 * each one calls fn(arg) from loop. One watcher per process. Returns 0, or
 * -1 if the pipe cannot be made. */
int sigwatch_start(struct loop *loop, void (*fn)(void *arg), void *arg);

/* Restores the handlers there were before (the defaults, in a program)
 * and closes the pipe. Harmless if not started. */
void sigwatch_stop(struct loop *loop);

#endif
