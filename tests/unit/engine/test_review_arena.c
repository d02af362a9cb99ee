/*
 * test_review_arena.c - gmw_review_handle answers the same bytes with jansson on plain
 * malloc/free and with the per-admission arena (webhook/core/jarena.h) that the server and the
 * CLI install: the bench reviews, and a Pod whose status annotation is too long for the full
 * form (the summary path, which dumps and frees several texts inside the arena scope).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "dynbuf.h"
#include "jarena.h"
#include "review.h"

static char *answer(const char *body, size_t len, size_t *out_len)
{
    gmw_config cfg;
    gmw_config_defaults(&cfg);
    gmw_review_outcome *o = calloc(1, sizeof *o);
    char *resp = NULL, err[256];
    assert_non_null(o);
    int rc = gmw_review_handle(&cfg, body, len, &resp, out_len, o, err, sizeof err);
    if (rc != 0)
        fail_msg("gmw_review_handle: %s", err);
    free(o);
    return resp;
}

/* A Pod CREATE with n containers with long names and distinct memory limits. */
static char *big_review(size_t n, size_t *len)
{
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 64u << 20);
    int rc =
        gmw_dynbuf_adds(&b, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                            "\"request\":{\"uid\":\"u-1\",\"operation\":\"CREATE\",\"namespace\":"
                            "\"ns\",\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":"
                            "\"pods\"},\"object\":{\"metadata\":{\"name\":\"big\"},\"spec\":"
                            "{\"containers\":[");
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = gmw_dynbuf_addf(
            &b,
            "%s{\"name\":\"container-with-a-rather-long-descriptive-name-%05zu\","
            "\"image\":\"app:1\",\"resources\":{\"limits\":{\"memory\":\"%zuMi\"}}}",
            i ? "," : "", i, 64 + i);
    if (rc == 0)
        rc = gmw_dynbuf_adds(&b, "]}}}}");
    assert_int_equal(rc, 0);
    return gmw_dynbuf_take(&b, len);
}

static void same_both_ways(const char *body, size_t len)
{
    size_t la = 0, lb = 0;
    json_set_alloc_funcs(malloc, free);
    char *a = answer(body, len, &la);
    gmw_jarena_install();
    char *b = answer(body, len, &lb);
    json_set_alloc_funcs(malloc, free);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
}

static void test_summary_status_in_arena(void **state)
{
    (void)state;
    size_t len;
    char *body = big_review(800, &len); /* ~100 bytes of status per container: > 64 KiB */
    same_both_ways(body, len);
    free(body);
}

static void test_bench_reviews_in_arena(void **state)
{
    (void)state;
    const char *files[] = {"pod-minimal.json", "pod-5k6.json", "pod-50.json"};
    for (size_t i = 0; i < 3; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/bench/reviews/%s", GMW_TEST_SRC_DIR, files[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        (void)fclose(f);
        same_both_ways(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_status_in_arena),
        cmocka_unit_test(test_bench_reviews_in_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
