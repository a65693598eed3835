/*
 * sha1bench — SHA-1 throughput of the kit's sha1() beside OpenSSL's SHA1().
 *
 * Both hash the same 64 MiB buffer of pseudo-random bytes, several times each,
 * in the same process; the median of the runs is reported in MB/s (10^6 bytes
 * per second), with the ratio between the two. Both digests must agree, so a
 * fast but wrong sha1() cannot post a figure.
 *
 * OpenSSL picks the fastest code the CPU allows (SHA extensions, AVX2); the
 * kit's sha1() is portable C written to be read. The ratio is a reference
 * point, not a grade: a plain-C SHA-1 within 2–4× of hand-tuned assembly is
 * doing well.
 *
 *   sha1bench [--mib N] [--runs N]     (defaults: 64 MiB, 5 runs)
 *
 * Built and run by `make bench LAB=2` (tests/tools/bench.sh), linked with the
 * reference solutions/02-handshake/sha1.c and -lcrypto.
 */
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sha1.h"

#define MAX_RUNS 31

typedef void hash_fn(const unsigned char *data, size_t len, unsigned char digest[20]);

static void kit_sha1(const unsigned char *data, size_t len, unsigned char digest[20]) {
    sha1(data, len, digest);
}

static void openssl_sha1(const unsigned char *data, size_t len, unsigned char digest[20]) {
    SHA1(data, len, digest);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Hashes data `runs` times; returns the median throughput in MB/s and leaves
 * the digest of the last run in digest. */
static double measure(hash_fn *hash, const unsigned char *data, size_t len, int runs,
                      unsigned char digest[20]) {
    double mbps[MAX_RUNS];
    for (int i = 0; i < runs; i++) {
        double start = now_seconds();
        hash(data, len, digest);
        double took = now_seconds() - start;
        mbps[i] = took > 0 ? (double)len / took / 1e6 : 0;
    }
    qsort(mbps, (size_t)runs, sizeof mbps[0], by_value);
    return mbps[runs / 2];
}

static void hex(const unsigned char digest[20], char out[41]) {
    for (int i = 0; i < 20; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* Reads "--name N" into *value; exits 2 on a bad value. */
static void option(int argc, char **argv, const char *name, int *value, int max) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) != 0) continue;
        int v = atoi(argv[i + 1]);
        if (v < 1 || v > max) {
            fprintf(stderr, "sha1bench: %s must be 1..%d\n", name, max);
            exit(2);
        }
        *value = v;
    }
}

int main(int argc, char **argv) {
    int mib = 64, runs = 5;
    option(argc, argv, "--mib", &mib, 1024);
    option(argc, argv, "--runs", &runs, MAX_RUNS);

    size_t len = (size_t)mib << 20;
    unsigned char *data = malloc(len);
    if (data == NULL) {
        fprintf(stderr, "sha1bench: out of memory\n");
        return 1;
    }
    /* xorshift64: bytes that are the same on every run and every machine. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (unsigned char)(x >> 32);
    }

    unsigned char ours[20], theirs[20];
    double kit = measure(kit_sha1, data, len, runs, ours);
    double ssl = measure(openssl_sha1, data, len, runs, theirs);
    free(data);

    char ours_hex[41], theirs_hex[41];
    hex(ours, ours_hex);
    hex(theirs, theirs_hex);
    printf("SHA-1 of %d MiB, median of %d runs\n", mib, runs);
    printf("  %-22s %8.0f MB/s   %s\n", "wslab sha1()", kit, ours_hex);
    printf("  %-22s %8.0f MB/s   %s\n", "OpenSSL SHA1()", ssl, theirs_hex);
    if (memcmp(ours, theirs, 20) != 0) {
        printf("  DIGESTS DIFFER: the kit's sha1() is wrong\n");
        return 1;
    }
    printf("  digests agree; OpenSSL / wslab = %.2fx\n", kit > 0 ? ssl / kit : 0.0);
    return 0;
}
