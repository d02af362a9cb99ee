/*
 * test_status.c - the gomemlimit.io/status annotation: parsing, the webhook's own values,
 * formatting (moved from test_engine_util.c, assertions unchanged); and the size cap:
 * verbatim up to GMW_STATUS_MAX bytes,
 * a summary one byte past it, truncated lists when even the summary does not fit, and
 * the summary read back (gmw_status_is_own). The summary's JSON is checked with
 * jansson's parser, its size with strlen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* An entry as the engine writes it for an injected container. */
static void add_injected(json_t *st, const char *name, const char *gml)
{
    assert_int_equal(
        json_object_set_new(st, name, json_pack("{s:s,s:s}", "GOMEMLIMIT", gml, "GOGC", "100")), 0);
}

static size_t text_len(const json_t *st)
{
    char *t = json_dumps(st, JSON_COMPACT);
    assert_non_null(t);
    size_t n = strlen(t);
    free(t);
    return n;
}

/*
 * A status whose compact text is exactly `want` bytes: entries of ~50 bytes, then a last
 * one whose name is padded to land on the size.
 */
static json_t *status_of_size(size_t want)
{
    json_t *st = json_object();
    assert_non_null(st);
    char name[64];
    int i = 0;
    while (text_len(st) + 200 < want) {
        snprintf(name, sizeof name, "container-%05d", i++);
        add_injected(st, name, "460MiB");
    }
    add_injected(st, "last", "230MiB");
    size_t pad = want - text_len(st);
    assert_true(pad < 250);
    char *longname = malloc(pad + 5);
    assert_non_null(longname);
    memset(longname, 'z', pad + 4);
    longname[pad + 4] = '\0'; /* "last" (4 bytes) plus pad more */
    json_object_del(st, "last");
    add_injected(st, longname, "230MiB");
    free(longname);
    assert_int_equal(text_len(st), want);
    return st;
}

static void test_status(void **state)
{
    (void)state;
    assert_null(gmw_status_parse(NULL));
    assert_null(gmw_status_parse("not json"));
    assert_null(gmw_status_parse("[1,2]"));
    assert_null(gmw_status_parse("\"str\""));
    json_t *st = gmw_status_parse("{\"app\":{\"GOMEMLIMIT\":\"460MiB\",\"GOGC\":\"100\"},"
                                  "\"db\":{\"reason\":\"no-memory-limit\"},\"odd\":5}");
    assert_non_null(st);
    assert_string_equal(gmw_status_own_value(st, "app", "GOMEMLIMIT"), "460MiB");
    assert_string_equal(gmw_status_own_value(st, "app", "GOGC"), "100");
    assert_null(gmw_status_own_value(st, "db", "GOMEMLIMIT"));
    assert_null(gmw_status_own_value(st, "odd", "GOGC"));
    assert_null(gmw_status_own_value(st, "nope", "GOGC"));
    assert_null(gmw_status_own_value(NULL, "app", "GOGC"));
    char *text = gmw_status_format(st);
    assert_string_equal(text, "{\"app\":{\"GOMEMLIMIT\":\"460MiB\",\"GOGC\":\"100\"},"
                              "\"db\":{\"reason\":\"no-memory-limit\"},\"odd\":5}");
    free(text);
    json_decref(st);
}

static void test_verbatim_at_the_bound(void **state)
{
    (void)state;
    json_t *st = status_of_size(GMW_STATUS_MAX);
    char *text = gmw_status_format(st);
    assert_non_null(text);
    assert_int_equal(strlen(text), GMW_STATUS_MAX);
    char *plain = json_dumps(st, JSON_COMPACT);
    assert_string_equal(text, plain);
    free(plain);
    free(text);
    json_decref(st);
}

static void test_summary_one_byte_over(void **state)
{
    (void)state;
    json_t *st = status_of_size(GMW_STATUS_MAX + 1);
    json_object_set_new(st, "debug", json_pack("{s:s}", "reason", "no-memory-limit"));
    json_object_set_new(st, "legacy", json_pack("{s:s,s:s}", "GOGC", "50", "reason", "user-value"));
    size_t containers = json_object_size(st);
    char *text = gmw_status_format(st);
    assert_non_null(text);
    assert_true(strlen(text) <= GMW_STATUS_MAX);
    json_t *back = gmw_status_parse(text);
    assert_non_null(back);
    json_t *sum = json_object_get(back, "*");
    assert_true(json_is_object(sum));
    assert_int_equal(json_integer_value(json_object_get(sum, "containers")), containers);
    /* distinct values in first-appearance order */
    json_t *gml = json_object_get(sum, "GOMEMLIMIT");
    assert_int_equal(json_array_size(gml), 2);
    assert_string_equal(json_string_value(json_array_get(gml, 0)), "460MiB");
    assert_string_equal(json_string_value(json_array_get(gml, 1)), "230MiB");
    json_t *gogc = json_object_get(sum, "GOGC");
    assert_int_equal(json_array_size(gogc), 2);
    assert_string_equal(json_string_value(json_array_get(gogc, 0)), "100");
    assert_string_equal(json_string_value(json_array_get(gogc, 1)), "50");
    json_t *reasons = json_object_get(sum, "reasons");
    assert_int_equal(json_integer_value(json_object_get(reasons, "no-memory-limit")), 1);
    assert_int_equal(json_integer_value(json_object_get(reasons, "user-value")), 1);
    assert_null(json_object_get(sum, "truncated"));
    /* read back: a listed value is own for any container, others are not */
    assert_true(gmw_status_is_own(back, "container-00000", "GOMEMLIMIT", "460MiB"));
    assert_true(gmw_status_is_own(back, "anything", "GOMEMLIMIT", "230MiB"));
    assert_true(gmw_status_is_own(back, "anything", "GOGC", "50"));
    assert_false(gmw_status_is_own(back, "anything", "GOMEMLIMIT", "1GiB"));
    assert_false(gmw_status_is_own(back, "anything", "GOMEMLIMIT", NULL));
    assert_false(gmw_status_is_own(back, "anything", "reasons", "user-value"));
    /* the summary of the summary's own input is the same text (deterministic) */
    char *again = gmw_status_format(st);
    assert_string_equal(again, text);
    free(again);
    json_decref(back);
    free(text);
    json_decref(st);
}

static void test_truncated_when_values_do_not_fit(void **state)
{
    (void)state;
    json_t *st = json_object();
    char name[32], gml[32];
    for (int i = 0; i < 12000; i++) {
        snprintf(name, sizeof name, "c%d", i);
        snprintf(gml, sizeof gml, "%dKiB", 100000 + i); /* every value distinct */
        add_injected(st, name, gml);
    }
    char *text = gmw_status_format(st);
    assert_non_null(text);
    assert_true(strlen(text) <= GMW_STATUS_MAX);
    assert_true(strlen(text) > GMW_STATUS_MAX - 256); /* cut about as little as needed */
    json_t *back = gmw_status_parse(text);
    json_t *sum = json_object_get(back, "*");
    assert_true(json_is_true(json_object_get(sum, "truncated")));
    assert_int_equal(json_integer_value(json_object_get(sum, "containers")), 12000);
    assert_true(gmw_status_is_own(back, "c0", "GOMEMLIMIT", "100000KiB"));
    assert_false(gmw_status_is_own(back, "c11999", "GOMEMLIMIT", "111999KiB"));
    assert_true(gmw_status_is_own(back, "c11999", "GOGC", "100"));
    json_decref(back);
    free(text);
    json_decref(st);
}

static void test_per_container_entry_wins(void **state)
{
    (void)state;
    json_t *st = gmw_status_parse("{\"app\":{\"GOMEMLIMIT\":\"460MiB\"}}");
    assert_true(gmw_status_is_own(st, "app", "GOMEMLIMIT", "460MiB"));
    assert_false(gmw_status_is_own(st, "app", "GOMEMLIMIT", "230MiB"));
    assert_false(gmw_status_is_own(st, "db", "GOMEMLIMIT", "460MiB"));
    assert_false(gmw_status_is_own(NULL, "app", "GOMEMLIMIT", "460MiB"));
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_verbatim_at_the_bound),
        cmocka_unit_test(test_summary_one_byte_over),
        cmocka_unit_test(test_truncated_when_values_do_not_fit),
        cmocka_unit_test(test_per_container_entry_wins),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
