/*
 * test_validate.c - POST /validate (webhook/engine/validate.h) and the preview behind it
 * (preview.h): the response shape per preview mode, the denial, the summary for many
 * containers, bad envelopes, and every allocation failure answered without a crash or leak.
 * The end-to-end cases over TLS, with an independent oracle, are in
 * tests/integration/test_server_validate.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preview.h"
#include "validate.h"

#include "failing_alloc.h"

static gmw_config cfg;

#define DEPLOY(ann, dry)                                                                           \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"           \
    "\"uid\":\"u\",\"operation\":\"CREATE\",\"namespace\":\"shop\",\"dryRun\":" dry ","            \
    "\"resource\":{\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\"},"           \
    "\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"       \
    "\"api\"},\"spec\":{\"template\":{\"metadata\":{\"annotations\":{" ann "}},\"spec\":{"         \
    "\"containers\":[{\"name\":\"app\",\"resources\":{\"limits\":{\"memory\":\"512Mi\"}}}]}}}}}}"

static json_t *answer(const char *body, int want_rc)
{
    char *resp = NULL, err[256];
    size_t len = 0;
    gmw_review_outcome out;
    int rc = gmw_validate_handle(&cfg, body, strlen(body), &resp, &len, &out, err, sizeof err);
    assert_int_equal(rc, want_rc);
    if (rc != 0) {
        assert_null(resp);
        assert_true(err[0] != '\0');
        return NULL;
    }
    json_t *v = json_loads(resp, 0, NULL);
    free(resp);
    assert_non_null(v);
    json_t *r = json_incref(json_object_get(v, "response"));
    json_decref(v);
    assert_non_null(r);
    return r;
}

static void test_modes(void **state)
{
    (void)state;
    static const struct {
        const char *dry;
        gmw_preview_mode mode;
        int shown;
    } cases[] = {
        {"true", GMW_PREVIEW_DRY_RUN, 1},
        {"false", GMW_PREVIEW_DRY_RUN, 0},
        {"false", GMW_PREVIEW_ALWAYS, 1},
        {"true", GMW_PREVIEW_OFF, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gmw_config_defaults(&cfg);
        cfg.preview = cases[i].mode;
        const char *body = cases[i].dry[0] == 't' ? DEPLOY("", "true") : DEPLOY("", "false");
        json_t *r = answer(body, 0);
        assert_true(json_is_true(json_object_get(r, "allowed")));
        assert_null(json_object_get(r, "patch"));
        json_t *w = json_object_get(r, "warnings");
        if (cases[i].shown)
            assert_string_equal(json_string_value(json_array_get(w, 0)),
                                "gomemlimit: container app: GOMEMLIMIT=460MiB GOGC=100 "
                                "requests.memory=512Mi");
        else
            assert_null(w);
        json_decref(r);
    }
}

static void test_denied_in_every_mode(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    cfg.preview = GMW_PREVIEW_OFF;
    json_t *r = answer(DEPLOY("\"gomemlimit.io/ratio\":\"2\"", "false"), 0);
    assert_true(json_is_false(json_object_get(r, "allowed")));
    json_t *st = json_object_get(r, "status");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 400);
    assert_non_null(
        strstr(json_string_value(json_object_get(st, "message")), "gomemlimit.io/ratio"));
    json_decref(r);
}

static void test_bad_envelopes(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    static const char *const bad[] = {"",
                                      "[]",
                                      "{\"request\":{}}",
                                      "{\"kind\":\"Pod\"}",
                                      "{\"apiVersion\":\"v2\",\"request\":{\"uid\":\"u\"}}",
                                      "{\"request\":{\"uid\":1}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        answer(bad[i], -EINVAL);
}

/* 200 containers with long names: each line <= 120, all <= 4096, a final summary. */
static void test_summary(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    size_t cap = 200 * 200 + 512, used = 0;
    char *obj = malloc(cap);
    assert_non_null(obj);
    used +=
        (size_t)snprintf(obj + used, cap - used,
                         "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
                         "\"name\":\"big\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[");
    for (int i = 0; i < 200; i++)
        used += (size_t)snprintf(obj + used, cap - used,
                                 "%s{\"name\":\"c%03d-%s\",\"resources\":{\"limits\":{\"memory\":"
                                 "\"%s\"}}}",
                                 i ? "," : "", i, "abcdefghijabcdefghijabcdefghijabcdefghijab",
                                 i % 2 ? "64Mi" : "8Mi");
    snprintf(obj + used, cap - used, "]}}}}");
    json_t *o = json_loads(obj, 0, NULL);
    assert_non_null(o);
    gmw_preview_result pv;
    assert_int_equal(gmw_preview_object(&cfg, o, "shop", &pv), 0);
    size_t total = 0, i;
    json_t *w;
    json_array_foreach(pv.warnings, i, w)
    {
        assert_true(json_string_length(w) <= 120);
        total += json_string_length(w);
    }
    assert_true(total <= GMW_PREVIEW_BUDGET);
    const char *last =
        json_string_value(json_array_get(pv.warnings, json_array_size(pv.warnings) - 1));
    assert_non_null(strstr(last, "more preview lines not shown (200 containers"));
    assert_int_equal(pv.container_count, 200);
    gmw_preview_result_free(&pv);
    json_decref(o);
    free(obj);
}

/* Every allocation failure: an answer (0) or -ENOMEM, never a crash or a leak (ASan). */
static void test_out_of_memory(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    cfg.preview = GMW_PREVIEW_ALWAYS;
    static const char *const bodies[] = {DEPLOY("", "true"),
                                         DEPLOY("\"gomemlimit.io/gogc\":\"x\"", "true")};
    for (size_t b = 0; b < 2; b++) {
        int ok = 0;
        for (long budget = 0; budget < 4000 && !ok; budget++) {
            char *resp = NULL, err[256];
            size_t len = 0;
            gmw_review_outcome out;
            gmw_test_fail_allocs_after(budget);
            int rc = gmw_validate_handle(&cfg, bodies[b], strlen(bodies[b]), &resp, &len, &out, err,
                                         sizeof err);
            gmw_test_fail_allocs_after(-1);
            assert_true(rc == 0 || rc == -ENOMEM || rc == -EINVAL);
            if (rc == 0) {
                assert_non_null(resp);
                ok = 1;
            }
            free(resp);
        }
        assert_true(ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),         cmocka_unit_test(test_denied_in_every_mode),
        cmocka_unit_test(test_bad_envelopes), cmocka_unit_test(test_summary),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
