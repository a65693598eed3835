/*
 * server.c — starting and stopping the programs under test.
 *
 * A server is started in its own process group with its output in a log
 * file, and the test waits for its "listening on HOST:PORT" line (woken by
 * inotify when the log grows, never sleeping on hope). Every server is
 * recorded in the shared page, so the runner can kill it even if the test
 * itself was killed, and its last lines of output go into failure reports.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS  3000

const char *t_program(const char *prog) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", t_bin_dir, prog);
    return path;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) s = realloc(s, cap *= 2);
    }
    fclose(f);
    s[n] = '\0';
    if (len) *len = n;
    return s;
}

/* The port of a "listening on HOST:PORT" line in the log, or 0. */
static int find_port(const char *log) {
    char *text = read_file(log, NULL);
    if (!text) return 0;
    int port = 0;
    for (char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "listening on ", 13) != 0) continue;
        char *end = line + strcspn(line, "\n");
        char *colon = memrchr(line, ':', (size_t)(end - line));
        if (colon) port = atoi(colon + 1);
        break;
    }
    free(text);
    return port;
}

static pid_t spawn(const char *path, char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    setpgid(0, 0);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    execv(path, argv);
    fprintf(stderr, "could not run %s: %s\n", path, strerror(errno));
    _exit(127);
}

static void describe_exit(char *out, size_t cap, int status) {
    if (WIFEXITED(status))
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, cap, "died of %s", strsignal(WTERMSIG(status)));
    else
        snprintf(out, cap, "stopped");
}

struct t_server *t_server_startv(const char *prog, char *const extra[]) {
    if (t_sh->nservers >= T_MAX_SERVERS) FAILF("harness: too many servers in one test");
    struct t_server_record *rec = &t_sh->servers[t_sh->nservers];
    struct t_server *s = calloc(1, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", prog);
    snprintf(s->log, sizeof s->log, "%s/%s-%d.log", t_sh->tmpdir, prog, t_sh->nservers);

    char *argv[64];
    int n = 0;
    char path[1024];
    snprintf(path, sizeof path, "%s", t_program(prog));
    argv[n++] = (char *)prog;
    argv[n++] = "--port";
    argv[n++] = "0";
    for (int i = 1; extra && extra[i - 1] && n < 63; i++) argv[n++] = extra[i - 1];
    argv[n] = NULL;

    size_t used = (size_t)snprintf(rec->cmdline, sizeof rec->cmdline, "%s", path);
    for (int i = 3; i < n && used < sizeof rec->cmdline; i++)
        used += (size_t)snprintf(rec->cmdline + used, sizeof rec->cmdline - used, " %s", argv[i]);
    snprintf(rec->log, sizeof rec->log, "%s", s->log);
    snprintf(rec->name, sizeof rec->name, "%s", prog);

    if (access(path, X_OK) != 0)
        FAILF("expected: the program %s to exist\n     got: %s (did it build? see the make "
              "output above)",
              path, strerror(errno));
    int ino = inotify_init1(IN_CLOEXEC);
    int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
    if (ino >= 0) inotify_add_watch(ino, s->log, IN_MODIFY);

    s->pid = spawn(path, argv, s->log);
    rec->pid = s->pid;
    rec->running = true;
    t_sh->nservers++;
    t_waiting("%s to print \"listening on HOST:PORT\"", prog);

    long long deadline = t_now_ms() + START_TIMEOUT_MS;
    while ((s->port = find_port(s->log)) == 0) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            rec->running = false;
            char how[128];
            describe_exit(how, sizeof how, status);
            FAILF("expected: %s to start and print \"listening on HOST:PORT\"\n     got: it %s "
                  "before that",
                  prog, how);
        }
        long long left = deadline - t_now_ms();
        if (left <= 0)
            FAILF("expected: %s to print \"listening on HOST:PORT\" within %d ms\n     got: "
                  "silence (does it flush stdout after printing?)",
                  prog, START_TIMEOUT_MS);
        struct pollfd p = {.fd = ino, .events = POLLIN};
        if (poll(&p, 1, left < 50 ? (int)left : 50) > 0) {
            char ev[4096];
            if (read(ino, ev, sizeof ev) < 0) { /* drained; the log is re-read below */
            }
        }
    }
    if (ino >= 0) close(ino);
    return s;
}

struct t_server *t_server_start(const char *prog, ...) {
    char *extra[60];
    int n = 0;
    va_list ap;
    va_start(ap, prog);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && n < 59) extra[n++] = a;
    va_end(ap);
    extra[n] = NULL;
    return t_server_startv(prog, extra);
}

struct t_server *t_server_start_root(const char *prog, const char *root, const char *first,
                                     va_list ap) {
    char *extra[60] = {"--root", (char *)root};
    int n = 2;
    for (const char *a = first; a != NULL && n < 59; a = va_arg(ap, const char *))
        extra[n++] = (char *)a;
    extra[n] = NULL;
    return t_server_startv(prog, extra);
}

bool t_wait_exit(pid_t pid, int ms, int *status) {
    long long deadline = t_now_ms() + ms;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* readable once pid has exited */
    for (;;) {
        if (waitpid(pid, status, WNOHANG) == pid) break;
        long long left = deadline - t_now_ms();
        if (left <= 0) {
            if (pidfd >= 0) close(pidfd);
            return false;
        }
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            poll(&p, 1, (int)left);
        } else { /* a kernel without pidfds (before 5.3): look again shortly */
            nanosleep(&(struct timespec){0, 2000000}, NULL);
        }
    }
    if (pidfd >= 0) close(pidfd);
    return true;
}

static struct t_server_record *record_of(pid_t pid) {
    for (int i = 0; i < t_sh->nservers; i++)
        if (t_sh->servers[i].pid == pid) return &t_sh->servers[i];
    return NULL;
}

int t_server_signal_wait(struct t_server *s, int sig, int timeout_ms) {
    struct t_server_record *rec = record_of(s->pid);
    if (!rec || !rec->running) return -1;
    t_waiting("%s to exit after signal %d", s->name, sig);
    kill(s->pid, sig);
    int status;
    if (!t_wait_exit(s->pid, timeout_ms, &status)) return -1;
    rec->running = false;
    kill(-s->pid, SIGKILL); /* anything it left behind in its group */
    return status;
}

/* A sanitizer's report in the log, or NULL. */
static const char *sanitizer_report(const char *log) {
    static char line[512];
    FILE *f = fopen(log, "r");
    if (!f) return NULL;
    const char *found = NULL;
    while (!found && fgets(line, sizeof line, f))
        if (strstr(line, "Sanitizer") || strstr(line, "runtime error:")) found = line;
    fclose(f);
    return found;
}

/* Stops the server if it still runs, then fails on a sanitizer's report in
 * its log — also when it had already exited (a t_server_signal_wait, or a
 * clean exit of its own): a leak is reported only as the process ends. */
static void stop_record(struct t_server_record *rec, const char *name, const char *log) {
    int status = 0, ws;
    bool exited = false;
    if (rec->running && waitpid(rec->pid, &ws, WNOHANG) == rec->pid) {
        /* It had already died: a crash is a failure the test may not have seen. */
        rec->running = false;
        char how[128];
        describe_exit(how, sizeof how, ws);
        if (WIFSIGNALED(ws) || (WIFEXITED(ws) && WEXITSTATUS(ws) != 0))
            FAILF("expected: %s to keep running until the test stopped it\n     got: it %s", name,
                  how);
    } else if (rec->running) {
        kill(rec->pid, SIGTERM);
        exited = t_wait_exit(rec->pid, STOP_TIMEOUT_MS, &status);
        kill(-rec->pid, SIGKILL);
        if (!exited) waitpid(rec->pid, &status, 0);
        rec->running = false;
    }
    const char *report = sanitizer_report(log);
    if (report)
        FAILF("expected: %s to run without memory errors or leaks\n     got: %s", name, report);
    if (exited && WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM &&
        WTERMSIG(status) != SIGINT) {
        FAILF("expected: %s to stop cleanly on SIGTERM\n     got: it died of %s", name,
              strsignal(WTERMSIG(status)));
    }
}

void t_server_stop(struct t_server *s) {
    struct t_server_record *rec = record_of(s->pid);
    if (rec) stop_record(rec, s->name, s->log);
}

void t_stop_leftover_servers(void) {
    for (int i = 0; i < t_sh->nservers; i++)
        stop_record(&t_sh->servers[i], t_sh->servers[i].name, t_sh->servers[i].log);
}

void t_kill_servers(struct t_shared *sh) {
    for (int i = 0; i < sh->nservers; i++) {
        if (!sh->servers[i].running) continue;
        kill(-sh->servers[i].pid, SIGKILL);
        waitpid(sh->servers[i].pid, NULL, WNOHANG);
        sh->servers[i].running = false;
    }
}

char *t_server_output(struct t_server *s) {
    char *text = read_file(s->log, NULL);
    return text ? text : strdup("");
}

int t_server_fd_count(struct t_server *s) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)s->pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* ---- running a program to completion ------------------------------------ */

static void drain(int fd, char **buf, size_t *len, size_t *cap) {
    if (*len + 4097 > *cap) *buf = realloc(*buf, *cap = *cap * 2 + 8192);
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n > 0) *len += (size_t)n;
    (*buf)[*len] = '\0';
}

struct t_run t_run_program(char *const argv[], const void *input, size_t input_len,
                           int timeout_ms) {
    struct t_run r = {.status = -1};
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err)) FAILF("harness: pipe: %s", strerror(errno));
    char path[1024];
    snprintf(path, sizeof path, "%s", t_program(argv[0]));
    t_waiting("%s to finish", argv[0]);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in[0], 0), dup2(out[1], 1), dup2(err[1], 2);
        close(in[1]), close(out[0]), close(err[0]);
        execv(path, argv);
        _exit(127);
    }
    close(in[0]), close(out[1]), close(err[1]);
    size_t cap_o = 0, cap_e = 0, written = 0;
    r.out = calloc(1, 1), r.err = calloc(1, 1);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (input_len == 0) close(in[1]), in[1] = -1;
    long long deadline = t_now_ms() + timeout_ms;
    bool open_o = true, open_e = true;
    while ((open_o || open_e) && t_now_ms() < deadline) {
        struct pollfd p[3] = {{open_o ? out[0] : -1, POLLIN, 0},
                              {open_e ? err[0] : -1, POLLIN, 0},
                              {in[1], POLLOUT, 0}};
        int left = (int)(deadline - t_now_ms());
        if (poll(p, 3, left > 0 ? left : 0) <= 0) continue;
        if (p[0].revents) {
            size_t before = r.out_len;
            drain(out[0], &r.out, &r.out_len, &cap_o);
            if (r.out_len == before) open_o = false;
        }
        if (p[1].revents) {
            size_t before = r.err_len;
            drain(err[0], &r.err, &r.err_len, &cap_e);
            if (r.err_len == before) open_e = false;
        }
        if (in[1] >= 0 && p[2].revents) {
            ssize_t n = write(in[1], (const char *)input + written, input_len - written);
            if (n > 0) written += (size_t)n;
            if (n < 0 || written == input_len) close(in[1]), in[1] = -1;
        }
    }
    if (in[1] >= 0) close(in[1]);
    close(out[0]), close(err[0]);
    int status;
    if (!t_wait_exit(pid, open_o || open_e ? 0 : 1000, &status)) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return r; /* status stays -1: it had to be killed */
    }
    r.status = status;
    return r;
}
