/*
 * harness.c — the test runner: registry, one child process per test,
 * timeouts, and the three ways of reporting (for people, TAP, and a results
 * file that the grade tooling turns into Gradescope JSON and JUnit XML).
 *
 * The runner itself never calls code under test: it forks, and only the child
 * does. A child that crashes is reported with its signal; one that runs past
 * its timeout is killed and reported with what it was waiting for, which it
 * wrote into a shared page before blocking.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct t_shared *t_sh;
const char *t_bin_dir = ".";
const struct t_def *t_this;

static struct t_def defs[1024];
static const struct t_def *tests[1024];
static int ntests;

/* Keeps a copy of the test with its defaults filled in. */
void t_register(const struct t_def *def) {
    if (ntests == (int)(sizeof tests / sizeof tests[0])) return;
    struct t_def *d = &defs[ntests];
    *d = *def;
    if (d->points == 0) d->points = 1;
    if (d->timeout == 0) d->timeout = 5;
    const char *scale = getenv("WSLAB_TIMEOUT_SCALE");
    if (scale && atof(scale) > 0) d->timeout = (int)(d->timeout * atof(scale) + 0.5);
    if (!d->title) d->title = d->name;
    if (!d->id) d->id = d->name;
    tests[ntests++] = d;
}

long long t_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- text helpers ------------------------------------------------------- */

const char *t_escape(const void *bytes, size_t len, size_t max) {
    static char out[8192];
    const unsigned char *p = bytes;
    size_t o = 0;
    for (size_t i = 0; i < len && i < max && o + 8 < sizeof out; i++) {
        unsigned char ch = p[i];
        if (ch == '\r')
            o += (size_t)sprintf(out + o, "\\r");
        else if (ch == '\n')
            o += (size_t)sprintf(out + o, "\\n");
        else if (ch == '\t')
            o += (size_t)sprintf(out + o, "\\t");
        else if (ch == '\\')
            o += (size_t)sprintf(out + o, "\\\\");
        else if (ch == '"')
            o += (size_t)sprintf(out + o, "\\\"");
        else if (ch < 0x20 || ch >= 0x7f)
            o += (size_t)sprintf(out + o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    if (len > max || o + 8 >= sizeof out) o += (size_t)sprintf(out + o, "…");
    out[o] = '\0';
    return out;
}

void t_hex(const unsigned char *bytes, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

bool t_contains(const void *bytes, size_t len, const char *needle) {
    return memmem(bytes, len, needle, strlen(needle)) != NULL;
}

static void append_shared(char *dst, size_t cap, const char *fmt, va_list ap) {
    size_t used = strlen(dst);
    if (used + 2 < cap) vsnprintf(dst + used, cap - used, fmt, ap);
}

void t_hint(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_sh->hint, sizeof t_sh->hint, fmt, ap);
    va_end(ap);
}

void t_note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    append_shared(t_sh->notes, sizeof t_sh->notes, fmt, ap);
    va_end(ap);
    size_t used = strlen(t_sh->notes);
    if (used + 1 < sizeof t_sh->notes) strcpy(t_sh->notes + used, "\n");
}

void t_waiting(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_sh->waiting, sizeof t_sh->waiting, fmt, ap);
    va_end(ap);
}

void t_repro(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_sh->repro, sizeof t_sh->repro, fmt, ap);
    va_end(ap);
}

const char *t_tmpdir(void) {
    return t_sh->tmpdir;
}

/* ---- failing ------------------------------------------------------------ */

static void print_indented(FILE *f, const char *text, const char *indent) {
    const char *line = text;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        fprintf(f, "%s%.*s\n", indent, (int)n, line);
        line += n + (nl != NULL);
    }
}

/* Ends the child: prints the failure and its context, cleans up. */
static void __attribute__((noreturn)) fail_exit(const char *file, int line, const char *message) {
    fprintf(stdout, "%s\n", message);
    if (strstr(file, "tests/lib/") || !strstr(file, "/")) /* a helper of the harness failed */
        fprintf(stdout, "   where: in %s(), %s\n", t_this->name, t_this->file);
    else
        fprintf(stdout, "   where: %s:%d\n", file, line);
    if (t_sh->hint[0]) fprintf(stdout, "    hint: %s\n", t_sh->hint);
    t_print_context(stdout, t_sh);
    fflush(stdout);
    t_kill_servers(t_sh);
    _exit(1);
}

void t_failf(const char *file, int line, const char *fmt, ...) {
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_exit(file, line, msg);
}

void t_fail(const char *file, int line, const char *expected, const char *got) {
    char msg[8400];
    snprintf(msg, sizeof msg, "expected: %s\n     got: %s", expected, got);
    fail_exit(file, line, msg);
}

void t_check_int(const char *file, int line, const char *expr, long long got, long long expected) {
    if (got == expected) return;
    t_failf(file, line, "expected: %s == %lld\n     got: %lld", expr, expected, got);
}

void t_check_str(const char *file, int line, const char *expr, const char *got,
                 const char *expected) {
    if (got && expected && strcmp(got, expected) == 0) return;
    if (!got && !expected) return;
    char e[4200];
    snprintf(e, sizeof e, "%s", expected ? t_escape(expected, strlen(expected), 2000) : "(null)");
    t_failf(file, line, "expected: %s == \"%s\"\n     got: \"%s\"", expr, e,
            got ? t_escape(got, strlen(got), 2000) : "(null)");
}

void t_check_mem(const char *file, int line, const char *expr, const void *got, size_t got_len,
                 const void *expected, size_t expected_len) {
    const unsigned char *g = got, *x = expected;
    size_t n = got_len < expected_len ? got_len : expected_len, at = 0;
    while (at < n && g[at] == x[at]) at++;
    if (at == n && got_len == expected_len) return;
    size_t from = at > 16 ? at - 16 : 0;
    char e[4200];
    snprintf(e, sizeof e, "%s", t_escape(x + from, expected_len - from, 120));
    t_failf(file, line,
            "expected: %s to be %zu bytes\n     got: %zu bytes, first difference at offset %zu\n"
            "   expected [%zu..]: \"%s\"\n        got [%zu..]: \"%s\"",
            expr, expected_len, got_len, at, from, e, from,
            t_escape(g + from, got_len > from ? got_len - from : 0, 120));
}

void t_check_contains(const char *file, int line, const char *expr, const void *got, size_t got_len,
                      const char *needle) {
    if (got && memmem(got, got_len, needle, strlen(needle))) return;
    char e[4200];
    snprintf(e, sizeof e, "%s", t_escape(needle, strlen(needle), 400));
    t_failf(file, line, "expected: %s to contain \"%s\"\n     got (%zu bytes): \"%s\"", expr, e,
            got_len, got ? t_escape(got, got_len, 600) : "(null)");
}

/* ---- running one test --------------------------------------------------- */

struct outcome {
    bool passed;
    double seconds;
    char *output; /* malloc'd */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir) {
    if (dir[0]) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void child_main(const struct t_def *def, int out_fd) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    close(out_fd);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    t_this = def;
    def->fn();
    t_stop_leftover_servers();
    fflush(stdout);
    _exit(0);
}

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (segmentation fault: a bad pointer or a buffer overrun)";
    case SIGABRT:
        return "SIGABRT (abort: an assert or the C library found corruption)";
    case SIGBUS:
        return "SIGBUS (bus error)";
    case SIGFPE:
        return "SIGFPE (arithmetic error, e.g. division by zero)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGPIPE:
        return "SIGPIPE (wrote to a closed connection)";
    case SIGKILL:
        return "SIGKILL";
    default:
        return strsignal(sig);
    }
}

/* Reads the child's output until it closes its end (it is exiting) or the
 * deadline passes. Returns true if the child closed its end. */
static bool collect(int fd, char **out, size_t *len, long long deadline) {
    size_t cap = 0;
    for (;;) {
        long long left = deadline - t_now_ms();
        if (left <= 0) return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR) return false;
        if (r <= 0) continue;
        if (*len + 4097 > cap) {
            cap = cap * 2 + 8192;
            *out = realloc(*out, cap);
        }
        ssize_t n = read(fd, *out + *len, cap - *len - 1);
        if (n == 0 || (n < 0 && errno != EINTR)) return true;
        if (n > 0) *len += (size_t)n;
        if (*len > (1u << 20)) return false; /* a runaway printer: treat as hung */
    }
}

static struct outcome run_one(const struct t_def *def) {
    struct outcome oc = {0};
    memset(t_sh, 0, sizeof *t_sh);
    if (def->hint) snprintf(t_sh->hint, sizeof t_sh->hint, "%s", def->hint);
    snprintf(t_sh->tmpdir, sizeof t_sh->tmpdir, "/tmp/wslab-test-XXXXXX");
    if (!mkdtemp(t_sh->tmpdir)) t_sh->tmpdir[0] = '\0';

    int pipefd[2];
    if (pipe(pipefd) < 0) {
        oc.output = strdup("harness: pipe failed");
        return oc;
    }
    fflush(NULL);
    long long start = t_now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        child_main(def, pipefd[1]);
    }
    close(pipefd[1]);
    char *out = NULL;
    size_t len = 0;
    long long deadline = start + (long long)def->timeout * 1000;
    bool finished = collect(pipefd[0], &out, &len, deadline);
    close(pipefd[0]);

    int status = 0;
    bool timed_out = false;
    /* It closed its output: it is exiting, unless it closed stdout itself. */
    if (finished) finished = t_wait_exit(pid, 1000, &status);
    if (!finished) {
        timed_out = true;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    oc.seconds = (double)(t_now_ms() - start) / 1000.0;

    size_t output_size;
    FILE *f = open_memstream(&oc.output, &output_size);
    if (out) fwrite(out, 1, len, f);
    free(out);
    if (timed_out) {
        fprintf(f, "timed out after %d s", def->timeout);
        if (t_sh->waiting[0]) fprintf(f, " while waiting for %s", t_sh->waiting);
        fprintf(f, "\n");
        if (t_sh->hint[0]) fprintf(f, "    hint: %s\n", t_sh->hint);
        t_print_context(f, t_sh);
    } else if (WIFSIGNALED(status)) {
        fprintf(f, "crashed: the test process died of %s\n", signal_name(WTERMSIG(status)));
        if (t_sh->waiting[0]) fprintf(f, "   while: %s\n", t_sh->waiting);
        if (t_sh->hint[0]) fprintf(f, "    hint: %s\n", t_sh->hint);
        t_print_context(f, t_sh);
    } else if (WEXITSTATUS(status) == 0) {
        oc.passed = true;
    }
    fclose(f);
    t_kill_servers(t_sh);
    remove_tree(t_sh->tmpdir);
    return oc;
}

/* ---- the runner ---------------------------------------------------------- */

/* Orders "1.10.2" after "1.9.1": numeric fields compared as numbers. */
static int id_cmp(const void *a, const void *b) {
    const char *x = (*(const struct t_def *const *)a)->id;
    const char *y = (*(const struct t_def *const *)b)->id;
    while (*x && *y) {
        char *ex, *ey;
        long nx = strtol(x, &ex, 10), ny = strtol(y, &ey, 10);
        if (nx != ny) return nx < ny ? -1 : 1;
        if (*ex != *ey) return (unsigned char)*ex - (unsigned char)*ey;
        x = *ex ? ex + 1 : ex;
        y = *ey ? ey + 1 : ey;
    }
    return (unsigned char)*x - (unsigned char)*y;
}

/* Writes s with tab, newline and backslash escaped (one record per line). */
static void tsv_field(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\\')
            fputs("\\\\", f);
        else
            fputc(*s, f);
    }
}

struct options {
    const char *lab;
    const char *results;
    const char *filter;
    bool tap, list, quiet, color, fail_fast;
    int watchdog; /* seconds for the whole run */
};

static void usage(void) {
    fprintf(stderr, "usage: runtests [--bin-dir DIR] [--lab NAME] [--filter ID-PREFIX] [--tap]\n"
                    "                [--results FILE] [--watchdog SECONDS] [--quiet] [--list]\n"
                    "                [--fail-fast]\n");
    exit(2);
}

static struct options parse_options(int argc, char **argv) {
    struct options o = {.lab = "lab", .watchdog = 600, .color = isatty(STDOUT_FILENO)};
    if (getenv("WSLAB_BIN_DIR")) t_bin_dir = getenv("WSLAB_BIN_DIR");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--bin-dir") && v)
            t_bin_dir = argv[++i];
        else if (!strcmp(a, "--lab") && v)
            o.lab = argv[++i];
        else if (!strcmp(a, "--filter") && v)
            o.filter = argv[++i];
        else if (!strcmp(a, "--results") && v)
            o.results = argv[++i];
        else if (!strcmp(a, "--watchdog") && v)
            o.watchdog = atoi(argv[++i]);
        else if (!strcmp(a, "--tap"))
            o.tap = true;
        else if (!strcmp(a, "--list"))
            o.list = true;
        else if (!strcmp(a, "--quiet"))
            o.quiet = true;
        else if (!strcmp(a, "--fail-fast"))
            o.fail_fast = true;
        else
            usage();
    }
    if (getenv("NO_COLOR")) o.color = false;
    return o;
}

static bool selected(const struct options *o, const struct t_def *d) {
    if (!o->filter) return true;
    size_t n = strlen(o->filter);
    return strncmp(d->id, o->filter, n) == 0 &&
           (d->id[n] == '\0' || d->id[n] == '.' || o->filter[n - 1] == '.');
}

static void report_human(const struct options *o, int k, int total, const struct t_def *d,
                         const struct outcome *oc) {
    const char *green = o->color ? "\033[32m" : "", *red = o->color ? "\033[31m" : "";
    const char *dim = o->color ? "\033[2m" : "", *off = o->color ? "\033[0m" : "";
    if (oc->passed && o->quiet) return;
    printf("[%*d/%d] %s%s%s %-8s %s %s(%g/%g pts, %.2f s)%s\n", total >= 100 ? 3 : 2, k, total,
           oc->passed ? green : red, oc->passed ? "ok  " : "FAIL", off, d->id, d->title, dim,
           oc->passed ? d->points : 0, d->points, oc->seconds, off);
    if (!oc->passed && oc->output) print_indented(stdout, oc->output, "        ");
}

static void report_tap(int k, const struct t_def *d, const struct outcome *oc) {
    printf("%s %d - %s %s\n", oc->passed ? "ok" : "not ok", k, d->id, d->title);
    if (!oc->passed && oc->output) print_indented(stdout, oc->output, "# ");
}

static void record_result(FILE *rf, const char *lab, const struct t_def *d,
                          const struct outcome *oc, const char *status) {
    if (!rf) return;
    fprintf(rf, "%s\t%s\t", lab, d->id);
    tsv_field(rf, d->title);
    fprintf(rf, "\t%g\t%g\t%s\t%.3f\t", d->points, oc->passed ? d->points : 0, status, oc->seconds);
    tsv_field(rf, oc->output);
    fputc('\n', rf);
    fflush(rf);
}

int main(int argc, char **argv) {
    struct options o = parse_options(argc, argv);
    qsort(tests, (size_t)ntests, sizeof tests[0], id_cmp);
    const struct t_def *run[1024];
    int total = 0;
    double max_points = 0;
    for (int i = 0; i < ntests; i++)
        if (selected(&o, tests[i])) {
            run[total++] = tests[i];
            max_points += tests[i]->points;
        }
    if (o.list) {
        for (int i = 0; i < total; i++)
            printf("%s\t%g\t%s\n", run[i]->id, run[i]->points, run[i]->title);
        return 0;
    }
    t_sh = mmap(NULL, sizeof *t_sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (t_sh == MAP_FAILED) return perror("mmap"), 2;
    FILE *rf = o.results ? fopen(o.results, "w") : NULL;
    if (o.results && !rf) return perror(o.results), 2;

    if (o.tap)
        printf("TAP version 13\n1..%d\n", total);
    else
        printf("%s — %d tests, %g points (programs from %s)\n", o.lab, total, max_points,
               t_bin_dir);
    int passed = 0, failed = 0;
    long long watchdog_end = t_now_ms() + (long long)o.watchdog * 1000;
    for (int k = 0; k < total; k++) {
        const struct t_def *d = run[k];
        struct outcome oc = {0};
        const char *status = "fail";
        if (t_now_ms() > watchdog_end) {
            oc.output = strdup("not run: the whole run's watchdog expired (earlier tests were "
                               "too slow or hung)");
            status = "not-run";
        } else {
            oc = run_one(d);
            if (oc.passed) status = "pass";
        }
        oc.passed ? passed++ : failed++;
        if (o.tap)
            report_tap(k + 1, d, &oc);
        else
            report_human(&o, k + 1, total, d, &oc);
        record_result(rf, o.lab, d, &oc, status);
        free(oc.output);
        fflush(stdout);
        if (o.fail_fast && !oc.passed) break; /* only "does anything fail?" was asked */
    }
    if (rf) fclose(rf);
    /* One word and a colon may stand before the count: the lab's name. */
    printf("%s: %d passed, %d failed\n", o.lab, passed, failed);
    return failed ? 1 : 0;
}
