/*
 * framebench — the frame layer's two hot loops beside memcpy().
 *
 * Every byte a client sends passes through frame_mask() (unmasking), and
 * every byte of a text message through the UTF-8 validator. Both are loops
 * over the payload, so the yardstick is the fastest loop over a buffer there
 * is: memcpy() of the same buffer. Each is run several times in the same
 * process over a buffer of 16 MiB (larger than the caches, so memory speed
 * counts as it does for a real stream); the median is reported in MB/s
 * (10^6 bytes of payload per second) with its ratio to memcpy.
 *
 * The targets of Lab 3 (a reference point, not a pass/fail exit):
 *   - frame_mask at least 0.5x memcpy: a word at a time, not a byte;
 *   - utf8_valid of mostly-ASCII text (95% of the bytes ASCII, the rest
 *     2-, 3- and 4-byte characters spread through it) at least 0.25x memcpy:
 *     a fast path that skips runs of ASCII a word at a time.
 * Rows without a target show the cases around them: a buffer that starts at
 * an odd address with the key at offset 3, pure ASCII, and text in which
 * most characters take several bytes (no fast path can help there).
 *
 * A fast but wrong function cannot post a figure: frame_mask is first
 * compared with a byte-by-byte XOR at every alignment and key offset, and
 * utf8_valid must accept the generated texts and refuse them with one bad
 * byte in them.
 *
 *   framebench [--mib N] [--runs N]     (defaults: 16 MiB, 5 runs)
 *
 * Built and run by `make bench LAB=3` (tests/tools/bench.sh), linked with
 * the reference solutions/03-framing/frame.c and utf8.c (in a handout, the
 * student's own).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "utf8.h"

#define MAX_RUNS    31
#define CHECK_LEN   4096 /* bytes compared with a plain XOR, per alignment */
#define MASK_TARGET 0.5
#define UTF8_TARGET 0.25

static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d}; /* RFC 6455 §5.7 */

static volatile unsigned char sink; /* keeps the compiler from dropping work */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- what is measured: one pass over len bytes ------------------------------- */

struct job {
    unsigned char *dst;
    const unsigned char *src;
    size_t len;
    uint64_t offset;
};

static void do_memcpy(const struct job *j) {
    memcpy(j->dst, j->src, j->len);
    sink = j->dst[j->len / 2];
}

static void do_mask(const struct job *j) {
    frame_mask(j->dst, j->len, key, j->offset);
    sink = j->dst[j->len / 2];
}

static void do_utf8(const struct job *j) {
    sink = utf8_valid(j->src, j->len);
}

/* The median throughput of `runs` passes, in MB/s, after one pass that is not
 * counted (it warms the caches and the branch predictors). */
static double measure(void (*pass)(const struct job *), const struct job *j, int runs) {
    double mbps[MAX_RUNS];
    pass(j);
    for (int i = 0; i < runs; i++) {
        double start = now_seconds();
        pass(j);
        double took = now_seconds() - start;
        mbps[i] = took > 0 ? (double)j->len / took / 1e6 : 0;
    }
    qsort(mbps, (size_t)runs, sizeof mbps[0], by_value);
    return mbps[runs / 2];
}

/* ---- test data ---------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u; /* the same data on every run */

static uint32_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Appends code point cp to out in UTF-8 (RFC 3629 §3). Returns its length. */
static size_t encode(uint32_t cp, unsigned char *out) {
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A letter of another script: Cyrillic (2 bytes), CJK (3) or an emoji (4). */
static uint32_t foreign_letter(uint32_t script, uint32_t r) {
    static const uint32_t first[] = {0x0430, 0x4e00, 0x1f600}, count[] = {32, 2000, 80};
    return first[script % 3] + r % count[script % 3];
}

/* How the text mixes scripts: a word in `foreign_in` is `run` letters of
 * another script (0: never); a letter in `accent_in` of the other words is
 * an accented one, U+00E0..U+00FC (the é in café: 2 bytes; 0: never). */
struct mix {
    unsigned foreign_in, run, accent_in;
};

/* Text of len bytes, valid UTF-8: words of 1..8 letters and spaces, mixed
 * as m says. Returns the share of ASCII bytes. */
static double make_text(unsigned char *out, size_t len, struct mix m) {
    size_t i = 0, ascii = 0;
    unsigned char letter[4];
    while (i < len) {
        uint32_t r = next_random();
        bool foreign = m.foreign_in > 0 && r % m.foreign_in == 0;
        unsigned letters = foreign ? m.run : 1 + (r >> 8) % 8;
        uint32_t script = r >> 16;
        for (unsigned k = 0; k <= letters && i < len; k++) {
            uint32_t q = next_random();
            uint32_t cp = k == letters ? ' ' : 'a' + q % 26;
            if (k < letters && (foreign || (m.accent_in > 0 && (q >> 8) % m.accent_in == 0)))
                cp = foreign ? foreign_letter(script, q >> 12) : 0xe0 + (q >> 12) % 29;
            size_t n = encode(cp, letter);
            if (i + n > len) cp = ' ', n = encode(cp, letter);
            memcpy(out + i, letter, n);
            i += n;
            ascii += n == 1;
        }
    }
    return (double)ascii / (double)len;
}

/* ---- correctness first ---------------------------------------------------------- */

/* frame_mask against a plain XOR, at every address alignment and key offset. */
static bool mask_is_right(void) {
    unsigned char buf[CHECK_LEN + 8], want[CHECK_LEN];
    for (size_t align = 0; align < 8; align++) {
        for (uint64_t offset = 0; offset < 4; offset++) {
            for (size_t i = 0; i < CHECK_LEN; i++) {
                buf[align + i] = (unsigned char)next_random();
                want[i] = buf[align + i] ^ key[(offset + i) % 4];
            }
            frame_mask(buf + align, CHECK_LEN, key, offset);
            if (memcmp(buf + align, want, CHECK_LEN) != 0) return false;
        }
    }
    return true;
}

/* utf8_valid must accept text and refuse it with 0xFF (a byte UTF-8 never
 * uses) written over its last byte. */
static bool utf8_is_right(unsigned char *text, size_t len) {
    if (!utf8_valid(text, len)) return false;
    unsigned char last = text[len - 1];
    text[len - 1] = 0xff;
    bool refused = !utf8_valid(text, len);
    text[len - 1] = last;
    return refused;
}

/* ---- the table ------------------------------------------------------------------- */

static void row(const char *what, double mbps, double base, double target) {
    printf("  %-46s %6.0f MB/s  %5.2fx memcpy", what, mbps, base > 0 ? mbps / base : 0.0);
    if (target > 0)
        printf("   target >= %.2fx: %s", target,
               base > 0 && mbps / base >= target ? "met" : "NOT MET");
    printf("\n");
}

/* Reads "--name N" into *value; exits 2 on a bad value. */
static void option(int argc, char **argv, const char *name, int *value, int max) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) != 0) continue;
        int v = atoi(argv[i + 1]);
        if (v < 1 || v > max) {
            fprintf(stderr, "framebench: %s must be 1..%d\n", name, max);
            exit(2);
        }
        *value = v;
    }
}

/* The texts utf8_valid is timed on. */
static struct text {
    const char *what;
    struct mix mix;
    double target;
    unsigned char *data;
    double share; /* of ASCII bytes */
} texts[] = {
    {"words in other scripts", {42, 4, 0}, UTF8_TARGET, NULL, 0},
    {"accented letters", {0, 0, 32}, UTF8_TARGET, NULL, 0},
    {"all ASCII", {0, 0, 0}, 0, NULL, 0},
    {"mostly other scripts", {2, 4, 0}, 0, NULL, 0},
};
#define NTEXTS (sizeof texts / sizeof texts[0])

int main(int argc, char **argv) {
    int mib = 16, runs = 5;
    option(argc, argv, "--mib", &mib, 1024);
    option(argc, argv, "--runs", &runs, MAX_RUNS);
    size_t len = (size_t)mib << 20;
    unsigned char *src = malloc(len), *dst = malloc(len + 1);
    if (!src || !dst) {
        fprintf(stderr, "framebench: out of memory\n");
        return 1;
    }
    /* Writing every byte first also maps every page, so that no pass pays
     * for the kernel's page faults. */
    for (size_t i = 0; i < len; i++) src[i] = (unsigned char)next_random();
    memcpy(dst, src, len);
    dst[len] = 0;
    bool right = mask_is_right();
    if (!right) printf("  frame_mask is WRONG: it differs from a plain XOR\n");
    for (size_t t = 0; t < NTEXTS; t++) {
        texts[t].data = malloc(len);
        if (!texts[t].data) {
            fprintf(stderr, "framebench: out of memory\n");
            return 1;
        }
        texts[t].share = make_text(texts[t].data, len, texts[t].mix);
        if (!utf8_is_right(texts[t].data, len)) {
            printf("  utf8_valid is WRONG: it refuses valid text or accepts a 0xFF byte\n");
            right = false;
        }
    }
    if (!right) return 1;

    struct job copy = {dst, src, len, 0}, aligned = {dst, NULL, len, 0},
               odd = {dst + 1, NULL, len, 3};
    double base = measure(do_memcpy, &copy, runs);
    printf("Frame layer over %d MiB, median of %d runs (MB/s = 10^6 bytes/s)\n", mib, runs);
    row("memcpy", base, base, 0);
    row("frame_mask, aligned, key offset 0", measure(do_mask, &aligned, runs), base, MASK_TARGET);
    row("frame_mask, odd address, key offset 3", measure(do_mask, &odd, runs), base, 0);
    for (size_t t = 0; t < NTEXTS; t++) {
        struct job check = {NULL, texts[t].data, len, 0};
        char what[64];
        snprintf(what, sizeof what, "utf8_valid, %.0f%% ASCII, %s", texts[t].share * 100,
                 texts[t].what);
        row(what, measure(do_utf8, &check, runs), base, texts[t].target);
        free(texts[t].data);
    }
    free(src);
    free(dst);
    return 0;
}
