/*
 * test_annotations.c - parsing and validation of the gomemlimit.io/ annotations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "annotations.h"
#include "warnings.h"

/* Parse a JSON object literal written with ' for " into *a. */
static void parse(const char *text, gmw_annotations *a)
{
    char buf[2048];
    size_t n = strlen(text);
    assert_true(n < sizeof buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    json_error_t err;
    json_t *obj = json_loads(buf, 0, &err);
    if (obj == NULL)
        fail_msg("bad test JSON: %s: %s", err.text, buf);
    gmw_annotations_parse(obj, a);
    a->status = NULL; /* borrowed from obj, which goes away now */
    json_decref(obj);
}

static void test_none(void **state)
{
    (void)state;
    gmw_annotations a;
    gmw_annotations_parse(NULL, &a);
    assert_int_equal(a.pod.inject, -1);
    assert_int_equal(a.pod.shim, -1);
    assert_false(a.pod.has_ratio);
    assert_int_equal(a.issue_count, 0);
    assert_true(gmw_annotations_selects(&a, "anything"));
    assert_false(gmw_annotations_names(&a, "anything"));
    json_t *arr = json_array();
    gmw_annotations_parse(arr, &a); /* not an object: nothing */
    assert_int_equal(a.issue_count, 0);
    json_decref(arr);
    parse("{'other.io/ratio':'7','app.kubernetes.io/name':'x','gomemlimit.iox/ratio':'9'}", &a);
    assert_int_equal(a.issue_count, 0);
    assert_false(a.pod.has_ratio);
}

static void test_valid_pod_level(void **state)
{
    (void)state;
    gmw_annotations a;
    parse("{'gomemlimit.io/inject':'true','gomemlimit.io/shim':'false',"
          "'gomemlimit.io/ratio':'.75','gomemlimit.io/gogc':'off',"
          "'gomemlimit.io/memory-limit':'1.5Gi','gomemlimit.io/request':'limit'}",
          &a);
    assert_int_equal(a.issue_count, 0);
    assert_int_equal(a.pod.inject, 1);
    assert_int_equal(a.pod.shim, 0);
    assert_true(a.pod.has_ratio);
    assert_int_equal(a.pod.ratio_e4, 7500);
    assert_true(a.pod.has_gogc);
    assert_string_equal(a.pod.gogc, "off");
    assert_true(a.pod.has_memory_limit);
    assert_int_equal(a.pod.memory_limit_bytes, 1610612736);
    assert_string_equal(a.pod.memory_limit_text, "1.5Gi");
    assert_string_equal(a.pod.memory_limit_key, "gomemlimit.io/memory-limit");
    assert_true(a.pod.has_request);
    assert_int_equal(a.pod.request, GMW_REQUEST_LIMIT);
}

static void test_per_container_wins(void **state)
{
    (void)state;
    gmw_annotations a;
    gmw_ann_values v;
    parse("{'gomemlimit.io/ratio':'0.5','gomemlimit.io/ratio.app':'0.8',"
          "'gomemlimit.io/inject':'false','gomemlimit.io/inject.app':'true',"
          "'gomemlimit.io/gogc.side':'50','gomemlimit.io/request.app':'keep',"
          "'gomemlimit.io/memory-limit.side':'100Mi','gomemlimit.io/shim.app':'true'}",
          &a);
    assert_int_equal(a.issue_count, 0);
    assert_int_equal(a.container_count, 2);
    gmw_annotations_for(&a, "app", &v);
    assert_int_equal(v.ratio_e4, 8000);
    assert_int_equal(v.inject, 1);
    assert_int_equal(v.shim, 1);
    assert_true(v.has_request);
    assert_int_equal(v.request, GMW_REQUEST_KEEP);
    assert_false(v.has_gogc);
    gmw_annotations_for(&a, "side", &v);
    assert_int_equal(v.ratio_e4, 5000);
    assert_int_equal(v.inject, 0);
    assert_string_equal(v.gogc, "50");
    assert_int_equal(v.memory_limit_bytes, 100 << 20);
    assert_string_equal(v.memory_limit_key, "gomemlimit.io/memory-limit.side");
    gmw_annotations_for(&a, "other", &v);
    assert_int_equal(v.ratio_e4, 5000);
    assert_int_equal(v.inject, 0);
    assert_int_equal(v.shim, -1);
}

static void test_container_list(void **state)
{
    (void)state;
    gmw_annotations a;
    parse("{'gomemlimit.io/containers':' app , init-db,,sidecar-2 '}", &a);
    assert_int_equal(a.issue_count, 0);
    assert_true(a.has_list);
    assert_int_equal(a.list_count, 3);
    assert_true(gmw_annotations_selects(&a, "app"));
    assert_true(gmw_annotations_names(&a, "init-db"));
    assert_true(gmw_annotations_selects(&a, "sidecar-2"));
    assert_false(gmw_annotations_selects(&a, "ap"));
    assert_false(gmw_annotations_selects(&a, "other"));
}

/* One invalid annotation: exactly one INVALID issue naming key, value and an example. */
static void check_invalid(const char *key, const char *value, const char *example)
{
    char json[512], text[256];
    gmw_annotations a;
    snprintf(json, sizeof json, "{'%s':'%s'}", key, value);
    parse(json, &a);
    if (a.issue_count != 1)
        fail_msg("%s=%s: %zu issues", key, value, a.issue_count);
    assert_int_equal(a.issues[0].kind, GMW_ANN_INVALID);
    gmw_ann_issue_format(&a.issues[0], text, sizeof text);
    if (strstr(text, key) == NULL || strstr(text, value) == NULL || strstr(text, example) == NULL ||
        strstr(text, "e.g.") == NULL)
        fail_msg("%s=%s: message lacks key, value or example: %s", key, value, text);
    /* the bad value is ignored */
    assert_int_equal(a.pod.inject, -1);
    assert_int_equal(a.pod.shim, -1);
    assert_false(a.pod.has_ratio || a.pod.has_gogc || a.pod.has_memory_limit || a.pod.has_request ||
                 a.has_list);
}

static void test_invalid_values(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value, *example;
    } cases[] = {
        {"gomemlimit.io/inject", "yes", "\"false\""},
        {"gomemlimit.io/inject", "True", "\"false\""},
        {"gomemlimit.io/inject", "", "\"false\""},
        {"gomemlimit.io/inject.app", "1", "\"false\""},
        {"gomemlimit.io/shim", "on", "\"false\""},
        {"gomemlimit.io/ratio", "1.5", "\"0.9\""},
        {"gomemlimit.io/ratio", "0", "\"0.9\""},
        {"gomemlimit.io/ratio", "0.12345", "\"0.9\""},
        {"gomemlimit.io/ratio", "-0.5", "\"0.9\""},
        {"gomemlimit.io/ratio", "90%", "\"0.9\""},
        {"gomemlimit.io/ratio.app", "abc", "\"0.9\""},
        {"gomemlimit.io/gogc", "0", "\"100\""},
        {"gomemlimit.io/gogc", "100001", "\"100\""},
        {"gomemlimit.io/gogc", "abc", "\"100\""},
        {"gomemlimit.io/gogc", "-1", "\"100\""},
        {"gomemlimit.io/gogc.app", "OFF", "\"100\""},
        {"gomemlimit.io/memory-limit", "abc", "\"400Mi\""},
        {"gomemlimit.io/memory-limit", "-1Mi", "\"400Mi\""},
        {"gomemlimit.io/memory-limit", "400MB", "\"400Mi\""},
        {"gomemlimit.io/memory-limit", "9999999999999Ti", "\"400Mi\""},
        {"gomemlimit.io/memory-limit.app", "1K", "\"400Mi\""},
        {"gomemlimit.io/request", "always", "\"match\""},
        {"gomemlimit.io/request.app", "Match", "\"match\""},
        {"gomemlimit.io/containers", "Bad_Name", "\"app,sidecar\""},
        {"gomemlimit.io/containers", " , ", "\"app,sidecar\""},
        {"gomemlimit.io/containers", "a.b", "\"app,sidecar\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_invalid(cases[i].key, cases[i].value, cases[i].example);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[256];
    parse("{'gomemlimit.io/ratoi':'0.5','gomemlimit.io/ratio.Bad_Name':'0.5',"
          "'gomemlimit.io/containers.app':'x','gomemlimit.io/ratio.':'0.5'}",
          &a);
    assert_int_equal(a.issue_count, 4);
    for (size_t i = 0; i < a.issue_count; i++)
        assert_int_equal(a.issues[i].kind, GMW_ANN_UNKNOWN);
    gmw_ann_issue_format(&a.issues[0], text, sizeof text);
    assert_non_null(strstr(text, "unknown annotation gomemlimit.io/ratoi"));
    assert_false(a.pod.has_ratio);
}

static void test_non_string_value(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[256];
    parse("{'gomemlimit.io/ratio':0.5,'gomemlimit.io/containers':null}", &a);
    assert_int_equal(a.issue_count, 2);
    gmw_ann_issue_format(&a.issues[0], text, sizeof text);
    assert_non_null(strstr(text, "(not a string)"));
    assert_false(a.pod.has_ratio);
}

static void test_status_borrowed(void **state)
{
    (void)state;
    gmw_annotations a;
    json_t *obj = json_pack("{s:s}", "gomemlimit.io/status", "{\"app\":{}}");
    gmw_annotations_parse(obj, &a);
    assert_int_equal(a.issue_count, 0);
    assert_string_equal(a.status, "{\"app\":{}}");
    json_decref(obj);
}

static void test_issue_sanitized_and_deduplicated(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[256];
    json_t *obj = json_pack("{s:s}", "gomemlimit.io/ratio", "bad\nvalue\x01\xc3\xa9");
    gmw_annotations_parse(obj, &a);
    json_decref(obj);
    assert_int_equal(a.issue_count, 1);
    gmw_ann_issue_format(&a.issues[0], text, sizeof text);
    assert_non_null(strstr(text, "\"bad?value???\""));
    /* the engine reports a pod-level memory-limit once even for several containers */
    gmw_annotations_add_issue(&a, GMW_ANN_INVALID, "gomemlimit.io/memory-limit", "2Gi",
                              gmw_ann_expected_memory_limit);
    gmw_annotations_add_issue(&a, GMW_ANN_INVALID, "gomemlimit.io/memory-limit", "2Gi",
                              gmw_ann_expected_memory_limit);
    assert_int_equal(a.issue_count, 2);
    /* a long value is cut */
    char big[200];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gmw_annotations_add_issue(&a, GMW_ANN_INVALID, "gomemlimit.io/gogc", big, "x");
    assert_true(strlen(a.issues[2].value) <= 40);
}

static void test_issue_cap(void **state)
{
    (void)state;
    gmw_annotations a;
    gmw_annotations_parse(NULL, &a);
    for (int i = 0; i < GMW_ANN_MAX_ISSUES + 5; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        gmw_annotations_add_issue(&a, GMW_ANN_INVALID, "gomemlimit.io/ratio", v, "x");
    }
    assert_int_equal(a.issue_count, GMW_ANN_MAX_ISSUES);
    assert_int_equal(a.issues_dropped, 5);
    assert_int_equal(a.invalid_dropped, 5);
}

/* A full table of unknown keys: an invalid issue evicts the last unknown one. */
static void test_issue_cap_keeps_invalid(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[256];
    gmw_annotations_parse(NULL, &a);
    for (int i = 0; i < GMW_ANN_MAX_ISSUES; i++) {
        char k[32];
        snprintf(k, sizeof k, "gomemlimit.io/x%d", i);
        gmw_annotations_add_issue(&a, GMW_ANN_UNKNOWN, k, "1", "known keys");
    }
    gmw_annotations_add_issue(&a, GMW_ANN_INVALID, "gomemlimit.io/ratio", "7", "e.g. \"0.9\"");
    gmw_annotations_add_issue(&a, GMW_ANN_UNKNOWN, "gomemlimit.io/y", "1", "known keys");
    assert_int_equal(a.issue_count, GMW_ANN_MAX_ISSUES);
    assert_int_equal(a.issues_dropped, 2);
    assert_int_equal(a.invalid_dropped, 0);
    assert_int_equal(a.issues[GMW_ANN_MAX_ISSUES - 1].kind, GMW_ANN_INVALID);
    assert_string_equal(gmw_ann_issue_format(&a.issues[GMW_ANN_MAX_ISSUES - 1], text, sizeof text),
                        "gomemlimit.io/ratio=\"7\" is invalid, use e.g. \"0.9\"");
    /* a repeated issue is not counted as dropped */
    gmw_annotations_add_issue(&a, GMW_ANN_INVALID, "gomemlimit.io/ratio", "7", "e.g. \"0.9\"");
    assert_int_equal(a.issues_dropped, 2);
}

/* More than GMW_ANN_MAX_CONTAINERS per-container names: the rest are invalid, not dropped. */
static void test_per_container_overflow(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[256];
    json_t *obj = json_object();
    for (int i = 0; i < GMW_ANN_MAX_CONTAINERS; i++) {
        char k[48];
        snprintf(k, sizeof k, "gomemlimit.io/gogc.c%d", i);
        json_object_set_new(obj, k, json_string("50"));
    }
    json_object_set_new(obj, "gomemlimit.io/inject.a", json_string("false"));
    json_object_set_new(obj, "gomemlimit.io/gogc.c0", json_string("60")); /* a known name: fine */
    gmw_annotations_parse(obj, &a);
    json_decref(obj);
    assert_int_equal(a.container_count, GMW_ANN_MAX_CONTAINERS);
    assert_int_equal(a.issue_count, 1);
    assert_int_equal(a.issues[0].kind, GMW_ANN_TOO_MANY);
    assert_true(gmw_ann_issue_is_invalid(&a.issues[0]));
    assert_string_equal(gmw_ann_issue_format(&a.issues[0], text, sizeof text),
                        "gomemlimit.io/inject.a=\"false\" is over 64 containers, use "
                        "e.g. \"gomemlimit.io/inject\" (pod-level)");
    gmw_ann_values v;
    gmw_annotations_for(&a, "c0", &v);
    assert_string_equal(v.gogc, "60");
}

/* Warnings stay within 120 characters and keep the example. */
static void test_issue_warning(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[GMW_WARNING_MAX + 1];
    parse("{'gomemlimit.io/ratio':'1.5','gomemlimit.io/ratoi':'1'}", &a);
    assert_int_equal(a.issue_count, 2);
    /* 1.5 is a number out of range, not a syntax error (issue 9: different texts) */
    assert_string_equal(gmw_ann_issue_warning(&a.issues[0], "", text, sizeof text),
                        "gomemlimit: gomemlimit.io/ratio=\"1.5\" is out of range, use e.g. \"0.9\" "
                        "(a decimal in (0, 1] with <= 4 decimals)");
    assert_string_equal(gmw_ann_issue_warning(&a.issues[0], "ignored: ", text, sizeof text),
                        "gomemlimit: ignored: gomemlimit.io/ratio=\"1.5\" is out of range, use "
                        "e.g. \"0.9\" (a decimal in (0, 1] with <= 4 decimals)");
    parse("{'gomemlimit.io/ratio':'0.9x'}", &a);
    assert_string_equal(gmw_ann_issue_warning(&a.issues[0], "", text, sizeof text),
                        "gomemlimit: gomemlimit.io/ratio=\"0.9x\" is invalid, use e.g. \"0.9\" (a "
                        "decimal in (0, 1] with <= 4 decimals)");
    parse("{'gomemlimit.io/ratio':'1.5','gomemlimit.io/ratoi':'1'}", &a);
    assert_string_equal(gmw_ann_issue_warning(&a.issues[1], "ignored: ", text, sizeof text),
                        "gomemlimit: unknown annotation gomemlimit.io/ratoi ignored");
    /* every kind with the longest key and value */
    static const char *const keys[] = {"inject", "shim",         "ratio",
                                       "gogc",   "memory-limit", "request"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char key[128], json[512];
        snprintf(key, sizeof key, "gomemlimit.io/%s.%s", keys[k],
                 "x23456789012345678901234567890123456789012345678901234567890123");
        snprintf(json, sizeof json, "{'%s':'%s'}", key,
                 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
        parse(json, &a);
        assert_int_equal(a.issue_count, 1);
        gmw_ann_issue_warning(&a.issues[0], "ignored: ", text, sizeof text);
        assert_true(strlen(text) <= GMW_WARNING_MAX);
        const char *eg = strstr(a.issues[0].expected, " (");
        assert_non_null(eg);
        char example[32];
        snprintf(example, sizeof example, "%.*s", (int)(eg - a.issues[0].expected),
                 a.issues[0].expected);
        if (strstr(text, example) == NULL)
            fail_msg("warning lacks %s: %s", example, text);
    }
}

/* Found by fuzz/fuzz_annotations.c (fuzz/regressions/annotations/warning-example-cut): a
 * per-container memory-limit key over the 64-container limit, warned with "ignored: ", had
 * its example 'e.g. "gomemlimit.io/memory-limit"' cut, because the key kept 8 characters
 * and the value 16. The value is now shortened first. */
static void test_too_many_warning_keeps_long_example(void **state)
{
    (void)state;
    gmw_annotations a;
    char text[GMW_WARNING_MAX + 1];
    json_t *obj = json_object();
    for (int i = 0; i < 70; i++) {
        char key[96];
        snprintf(key, sizeof key, "gomemlimit.io/memory-limit.container-%02d", i);
        /* a valid value: 400Mi in milli-bytes, long enough to need shortening */
        json_object_set_new(obj, key, json_string("419430400000000m"));
    }
    gmw_annotations_parse(obj, &a);
    size_t too_many = 0;
    for (size_t i = 0; i < a.issue_count; i++) {
        if (a.issues[i].kind != GMW_ANN_TOO_MANY)
            continue;
        too_many++;
        gmw_ann_issue_warning(&a.issues[i], "ignored: ", text, sizeof text);
        assert_true(strlen(text) <= GMW_WARNING_MAX);
        if (strstr(text, "e.g. \"gomemlimit.io/memory-limit\"") == NULL)
            fail_msg("warning lacks the example: %s", text);
        assert_non_null(strstr(text, "is over 64 containers, use"));
    }
    assert_true(too_many > 0);
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_too_many_warning_keeps_long_example),
        cmocka_unit_test(test_valid_pod_level),
        cmocka_unit_test(test_per_container_wins),
        cmocka_unit_test(test_container_list),
        cmocka_unit_test(test_invalid_values),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_non_string_value),
        cmocka_unit_test(test_status_borrowed),
        cmocka_unit_test(test_issue_sanitized_and_deduplicated),
        cmocka_unit_test(test_issue_cap),
        cmocka_unit_test(test_issue_cap_keeps_invalid),
        cmocka_unit_test(test_per_container_overflow),
        cmocka_unit_test(test_issue_warning),
    };
    return cmocka_run_group_tests_name("annotations", tests, NULL, NULL);
}
