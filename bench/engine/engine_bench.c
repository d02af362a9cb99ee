/*
 * engine_bench.c - the admission engine alone, in process: gmw_review_handle over one
 * AdmissionReview file, repeated, on one thread (no TLS, no HTTP, no logging).
 *
 *   gmw-bench-engine REVIEW.json [SECONDS]     admissions/s on one core (default 2 s)
 *   gmw-bench-engine REVIEW.json --iterations N
 *                                           exactly N admissions inside run_loop(), for
 *                                           valgrind --tool=callgrind --collect-atstart=no
 *                                           --toggle-collect=run_loop (bench/engine/run.sh)
 *
 * Every answer is checked to be the same bytes as the first (a loop that stops producing
 * the answer fails instead of getting faster); the default config is used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jarena.h"
#include "review.h"

static char *first_answer;
static size_t first_len;

static int one(const gmw_config *cfg, const char *body, size_t len)
{
    char *resp = NULL, err[256];
    size_t rlen = 0;
    gmw_review_outcome out;
    int rc = gmw_review_handle(cfg, body, len, &resp, &rlen, &out, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "engine_bench: gmw_review_handle: %s\n", err);
        return -1;
    }
    if (first_answer == NULL) {
        first_answer = resp;
        first_len = rlen;
        return 0;
    }
    int same = rlen == first_len && memcmp(resp, first_answer, rlen) == 0;
    free(resp);
    if (!same) {
        fprintf(stderr, "engine_bench: answers differ between iterations\n");
        return -1;
    }
    return 0;
}

/* The measured loop (callgrind toggles collection on this function). */
__attribute__((noinline)) int run_loop(const gmw_config *cfg, const char *body, size_t len, long n);
__attribute__((noinline)) int run_loop(const gmw_config *cfg, const char *body, size_t len, long n)
{
    for (long i = 0; i < n; i++)
        if (one(cfg, body, len) != 0)
            return -1;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s REVIEW.json [SECONDS | --iterations N]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "engine_bench: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    static char body[16 * 1024 * 1024];
    size_t len = fread(body, 1, sizeof body, f);
    (void)fclose(f);
    gmw_jarena_install(); /* as main() does */
    gmw_config cfg;
    gmw_config_defaults(&cfg);
    if (one(&cfg, body, len) != 0) /* warm-up; also the reference answer */
        return 1;
    if (argc == 4 && strcmp(argv[2], "--iterations") == 0) {
        long n = strtol(argv[3], NULL, 10);
        if (n < 1 || run_loop(&cfg, body, len, n) != 0)
            return 1;
        printf("iterations %ld bytes %zu answer %zu\n", n, len, first_len);
    } else {
        double secs = argc == 3 ? strtod(argv[2], NULL) : 2.0;
        long n = 0, batch = 64;
        double t0 = now(), t;
        do {
            if (run_loop(&cfg, body, len, batch) != 0)
                return 1;
            n += batch;
            t = now();
        } while (t - t0 < secs);
        printf("admissions/s %.0f (%ld in %.2f s, %.1f us each; review %zu bytes, answer %zu)\n",
               (double)n / (t - t0), n, t - t0, (t - t0) * 1e6 / (double)n, len, first_len);
    }
    free(first_answer);
    return 0;
}
