/*
 * internal — what the harness's own files share (tests include harness.h only).
 *
 * A test runs in a child process that the runner may have to kill. Whatever
 * the runner must still be able to report after that — what the test was
 * waiting for, the bytes on its connections, the servers it started — lives
 * in one page of memory shared between the runner and the child.
 */
#ifndef WSLAB_HARNESS_INTERNAL_H
#define WSLAB_HARNESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define T_MAX_SERVERS 16
#define T_MAX_CONNS   64
#define T_TAIL        512  /* last bytes kept per direction of a connection */
#define T_HEAD_KEPT   2048 /* first bytes sent kept for the reproduce command */

struct t_conn_record {
    int port;
    bool used;
    unsigned long long sent_total, recv_total;
    char sent_tail[T_TAIL], recv_tail[T_TAIL]; /* rings, indexed by total % T_TAIL */
    char sent_head[T_HEAD_KEPT];
};

struct t_server_record {
    pid_t pid; /* also the process group */
    bool running;
    char log[512];
    char name[64];
    char cmdline[2048];
};

struct t_shared {
    char waiting[512];
    char hint[512];
    char repro[1024];
    char notes[2048];
    char tmpdir[256];
    int nservers;
    struct t_server_record servers[T_MAX_SERVERS];
    int nconns;
    struct t_conn_record conns[T_MAX_CONNS];
};

extern struct t_shared *t_sh;      /* this test's shared page */
extern const char *t_bin_dir;      /* where the lab's programs are */
extern const struct t_def *t_this; /* the test running in this child */

/* Appends the context of a failure or timeout — notes, connections,
 * reproduce command, server output — to f. */
void t_print_context(FILE *f, const struct t_shared *sh);
/* Kills every server still recorded as running (SIGKILL to its group). */
void t_kill_servers(struct t_shared *sh);
/* Stops the servers a passing test left running, as t_server_stop does. */
void t_stop_leftover_servers(void);
/* Records bytes of connection `idx` in the shared page. */
void t_record(int idx, bool sent, const void *data, size_t len);
/* Waits up to ms for child pid to exit (woken by a pidfd, not by sleeping).
 * Returns true and stores its wait status in *status if it exited; false
 * if it is still running. */
bool t_wait_exit(pid_t pid, int ms, int *status);

/* Prints the last `lines` lines of a file, indented. */
void t_print_tail(FILE *f, const char *path, int lines, const char *indent);

#endif
