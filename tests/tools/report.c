/*
 * report — turns the runners' results files into what people and graders read.
 *
 *   report [--json FILE] [--junit FILE] [--title TEXT] RESULTS.tsv...
 *       a per-lab table of tests passed and points, then the closing line
 *       "N passed, N failed"; optionally Gradescope's results.json and a JUnit
 *       XML file. Exits 1 if any test failed.
 *   report --compare MINE.tsv REFERENCE.tsv
 *       the same tests side by side (a self-learner's view).
 *
 * A results file has one test per line, tab-separated:
 *   lab, id, title, points, score, status, seconds, output
 * with tab, newline and backslash escaped as \t, \n and \\ (see harness.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct result {
    char *lab, *id, *title, *status, *output;
    double points, score, seconds;
};

static struct result *results;
static size_t nresults, cap;

static char *unescape(char *s) {
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *o++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return s;
}

static void load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        char *field[8] = {0};
        char *p = line;
        for (int i = 0; i < 8 && p; i++) {
            field[i] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
        if (!field[7]) continue;
        if (nresults == cap) results = realloc(results, (cap = cap * 2 + 64) * sizeof *results);
        struct result *r = &results[nresults++];
        r->lab = strdup(field[0]);
        r->id = strdup(field[1]);
        r->title = unescape(strdup(field[2]));
        r->points = atof(field[3]);
        r->score = atof(field[4]);
        r->status = strdup(field[5]);
        r->seconds = atof(field[6]);
        r->output = unescape(strdup(field[7]));
    }
    free(line);
    fclose(f);
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void xml_text(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '<')
            fputs("&lt;", f);
        else if (*p == '>')
            fputs("&gt;", f);
        else if (*p == '&')
            fputs("&amp;", f);
        else if (*p == '"')
            fputs("&quot;", f);
        else if (*p < 0x20 && *p != '\n' && *p != '\t')
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
}

/* Gradescope's format: score, max_score, and a test entry per test. */
static void write_json(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return perror(path);
    double score = 0, max = 0;
    for (size_t i = 0; i < nresults; i++) score += results[i].score, max += results[i].points;
    fprintf(f, "{\n  \"score\": %g,\n  \"max_score\": %g,\n  \"visibility\": \"visible\",\n", score,
            max);
    fprintf(f, "  \"tests\": [\n");
    for (size_t i = 0; i < nresults; i++) {
        const struct result *r = &results[i];
        char name[1024];
        snprintf(name, sizeof name, "%s %s", r->id, r->title);
        fprintf(f, "    {\"name\": ");
        json_string(f, name);
        fprintf(f, ", \"number\": ");
        json_string(f, r->id);
        fprintf(f, ", \"score\": %g, \"max_score\": %g, \"status\": \"%s\", \"output\": ", r->score,
                r->points, strcmp(r->status, "pass") == 0 ? "passed" : "failed");
        json_string(f, r->output);
        fprintf(f, "}%s\n", i + 1 < nresults ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    fclose(f);
}

static void write_junit(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return perror(path);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wslab\">\n");
    for (size_t i = 0; i < nresults;) {
        size_t j = i, failures = 0;
        double secs = 0;
        for (; j < nresults && strcmp(results[j].lab, results[i].lab) == 0; j++) {
            failures += strcmp(results[j].status, "pass") != 0;
            secs += results[j].seconds;
        }
        fprintf(f, "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
                results[i].lab, j - i, failures, secs);
        for (size_t k = i; k < j; k++) {
            const struct result *r = &results[k];
            fprintf(f, "    <testcase classname=\"%s\" name=\"", r->lab);
            xml_text(f, r->id);
            fputc(' ', f);
            xml_text(f, r->title);
            fprintf(f, "\" time=\"%.3f\">", r->seconds);
            if (strcmp(r->status, "pass") != 0) {
                fprintf(f, "\n      <failure message=\"%s (0/%g points)\">",
                        strcmp(r->status, "not-run") == 0 ? "not run" : "failed", r->points);
                xml_text(f, r->output);
                fprintf(f, "</failure>\n    ");
            }
            fprintf(f, "</testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
        i = j;
    }
    fprintf(f, "</testsuites>\n");
    fclose(f);
}

/* The per-lab table; returns the number of failed tests. */
static int print_table(const char *title) {
    int passed = 0, failed = 0;
    double score = 0, max = 0;
    printf("\n%s\n", title);
    printf("  %-16s %12s %16s\n", "lab", "tests passed", "points");
    for (size_t i = 0; i < nresults;) {
        size_t j = i;
        int p = 0;
        double s = 0, m = 0;
        for (; j < nresults && strcmp(results[j].lab, results[i].lab) == 0; j++) {
            p += strcmp(results[j].status, "pass") == 0;
            s += results[j].score;
            m += results[j].points;
        }
        printf("  %-16s %5d / %-5zu %7g / %-7g\n", results[i].lab, p, j - i, s, m);
        passed += p;
        failed += (int)(j - i) - p;
        score += s, max += m;
        i = j;
    }
    printf("  %-16s %5d / %-5d %7g / %-7g\n", "total", passed, passed + failed, score, max);
    printf("%d passed, %d failed\n", passed, failed);
    return failed;
}

static int compare(const char *mine, const char *ref) {
    load(mine);
    size_t nmine = nresults;
    load(ref);
    printf("\n  %-9s %-52s %-8s %-8s\n", "test", "title", "yours", "reference");
    int differ = 0;
    for (size_t i = 0; i < nmine; i++) {
        const struct result *m = &results[i], *r = NULL;
        for (size_t k = nmine; k < nresults; k++)
            if (strcmp(results[k].id, m->id) == 0) r = &results[k];
        bool mp = strcmp(m->status, "pass") == 0, rp = r && strcmp(r->status, "pass") == 0;
        differ += mp != rp;
        printf("  %-9s %-52.52s %-8s %-8s%s\n", m->id, m->title, mp ? "ok" : "FAIL",
               r ? (rp ? "ok" : "FAIL") : "-", mp != rp ? "  <-" : "");
    }
    printf("\n  %d test(s) differ. Read a failure in full with: make check LAB=N ONLY=ID\n",
           differ);
    return 0;
}

int main(int argc, char **argv) {
    const char *json = NULL, *junit = NULL, *title = "Results";
    int i = 1;
    if (argc == 4 && strcmp(argv[1], "--compare") == 0) return compare(argv[2], argv[3]);
    for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (strcmp(argv[i], "--json") == 0)
            json = argv[i + 1];
        else if (strcmp(argv[i], "--junit") == 0)
            junit = argv[i + 1];
        else if (strcmp(argv[i], "--title") == 0)
            title = argv[i + 1];
    }
    for (; i < argc; i++) load(argv[i]);
    if (json) write_json(json);
    if (junit) write_junit(junit);
    return print_table(title) ? 1 : 0;
}
