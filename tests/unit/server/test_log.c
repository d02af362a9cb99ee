/* test_log.c - JSON log lines: escaping, truncation, field types, levels. Each line is
 * checked with jansson, an independent JSON parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "log.h"

static void test_escape_specials(void **state)
{
    (void)state;
    char out[128];
    gmw_json_escape(out, sizeof out, "a\"b\\c\nd\re\tf", NULL);
    assert_string_equal(out, "a\\\"b\\\\c\\nd\\re\\tf");
    gmw_json_escape(out, sizeof out, "\x01\x1f\x7f", NULL);
    assert_string_equal(out, "\\u0001\\u001f\\u007f");
}

static void test_escape_utf8(void **state)
{
    (void)state;
    char out[128];
    /* Valid UTF-8 passes through unchanged. */
    gmw_json_escape(out, sizeof out, "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80", NULL);
    assert_string_equal(out, "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80");
    /* Invalid bytes, overlongs, surrogates and truncated sequences become U+FFFD. */
    gmw_json_escape(out, sizeof out,
                    "a\xff"
                    "b\xc0\xaf"
                    "c\xed\xa0\x80"
                    "d\xe2\x82",
                    NULL);
    assert_string_equal(out, "a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd");
}

static void test_escape_truncation_never_splits(void **state)
{
    (void)state;
    char out[8];
    bool truncated = false;
    /* 'a' (1) + '\"' escape (2) + 'b' (1) + '\n' (2) = 6, then "\\u0001" does not fit. */
    size_t n = gmw_json_escape(out, sizeof out, "a\"b\n\x01zz", &truncated);
    assert_true(truncated);
    assert_int_equal(n, 6);
    assert_string_equal(out, "a\\\"b\\n");
    truncated = true;
    gmw_json_escape(out, sizeof out, "short", &truncated);
    assert_false(truncated);
}

/* Parse a formatted line with jansson; the caller decrefs. */
static json_t *parse_line(const char *line)
{
    size_t len = strlen(line);
    assert_true(len > 0);
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1)); /* exactly one line */
    json_error_t err;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL)
        fail_msg("not JSON: %s: %s", err.text, line);
    return j;
}

static void test_format_fields(void **state)
{
    (void)state;
    char line[GMW_LOG_LINE_MAX];
    gmw_log_field f[5] = {
        GMW_LOG_STR("uid", "705ab4f5-6393-11e8-b7cc-42010a800002"),
        GMW_LOG_STR("name", "evil\"name\n{\"level\":\"error\"}"),
        GMW_LOG_INT("status", 200),
        GMW_LOG_NUM("durationMs", 0.25),
        GMW_LOG_BOOL("dryRun", true),
    };
    gmw_log_format(line, sizeof line, 1764102662123LL, GMW_LOG_INFO, "admission", f, 5);
    json_t *j = parse_line(line);
    assert_string_equal(json_string_value(json_object_get(j, "time")), "2025-11-25T20:31:02.123Z");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "admission");
    assert_string_equal(json_string_value(json_object_get(j, "name")),
                        "evil\"name\n{\"level\":\"error\"}");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
    assert_true(json_real_value(json_object_get(j, "durationMs")) == 0.25);
    assert_true(json_is_true(json_object_get(j, "dryRun")));
    json_decref(j);
}

static void test_format_null_and_levels(void **state)
{
    (void)state;
    char line[256];
    gmw_log_field f[1] = {GMW_LOG_STR("ns", NULL)};
    gmw_log_format(line, sizeof line, 0, GMW_LOG_ERROR, "boom", f, 1);
    json_t *j = parse_line(line);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
    assert_true(json_is_null(json_object_get(j, "ns")));
    assert_string_equal(json_string_value(json_object_get(j, "time")), "1970-01-01T00:00:00.000Z");
    json_decref(j);
}

/* Times and integers are formatted by hand: against gmtime_r + snprintf (the oracle) over a
 * spread of times (the per-second cache included: the same second twice, then back) and
 * the integer extremes. */
static void test_format_times_and_integers(void **state)
{
    (void)state;
    static const int64_t times[] = {1764102662123LL, 1764102662999LL, 1764102663000LL, 0,
                                    951782400001LL,  4102444799999LL, 1764102662123LL};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char line[256], want[64];
        gmw_log_format(line, sizeof line, times[i], GMW_LOG_INFO, "t", NULL, 0);
        time_t secs = (time_t)(times[i] / 1000);
        struct tm tm;
        assert_non_null(gmtime_r(&secs, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(times[i] % 1000));
        json_t *j = parse_line(line);
        assert_string_equal(json_string_value(json_object_get(j, "time")), want);
        json_decref(j);
    }
    static const long long ints[] = {0, 7, -1, 10, -10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char line[256], want[64];
        gmw_log_field f[1] = {GMW_LOG_INT("n", ints[i])};
        gmw_log_format(line, sizeof line, 0, GMW_LOG_INFO, "t", f, 1);
        snprintf(want, sizeof want, "\"n\":%lld}", ints[i]);
        if (strstr(line, want) == NULL)
            fail_msg("%s does not hold %s", line, want);
    }
}

static void test_format_truncates_long_values(void **state)
{
    (void)state;
    static char big[10000];
    memset(big, 'x', sizeof big - 1);
    char line[512];
    gmw_log_field f[3] = {GMW_LOG_STR("a", big), GMW_LOG_STR("b", "after"), GMW_LOG_INT("c", 1)};
    size_t n = gmw_log_format(line, sizeof line, 0, GMW_LOG_WARN, big, f, 3);
    assert_true(n < sizeof line);
    assert_int_equal(strlen(line), n);
    json_t *j = parse_line(line); /* still one valid JSON object */
    const char *msg = json_string_value(json_object_get(j, "msg"));
    assert_non_null(msg);
    assert_true(strlen(msg) < 512);
    assert_string_equal(msg + strlen(msg) - 3, "...");
    json_decref(j);
}

static void test_level_parse_and_threshold(void **state)
{
    (void)state;
    gmw_log_level l;
    assert_int_equal(gmw_log_level_parse("debug", &l), 0);
    assert_int_equal(l, GMW_LOG_DEBUG);
    assert_int_equal(gmw_log_level_parse("warning", &l), 0);
    assert_int_equal(l, GMW_LOG_WARN);
    assert_int_equal(gmw_log_level_parse("error", &l), 0);
    assert_int_equal(l, GMW_LOG_ERROR);
    assert_int_not_equal(gmw_log_level_parse("INFO", &l), 0);
    assert_int_not_equal(gmw_log_level_parse("", &l), 0);
    gmw_log_set_level(GMW_LOG_WARN);
    assert_false(gmw_log_enabled(GMW_LOG_INFO));
    assert_true(gmw_log_enabled(GMW_LOG_ERROR));
    gmw_log_set_level(GMW_LOG_INFO);
    assert_true(gmw_log_enabled(GMW_LOG_INFO));
    assert_false(gmw_log_enabled(GMW_LOG_DEBUG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_specials),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_escape_truncation_never_splits),
        cmocka_unit_test(test_format_fields),
        cmocka_unit_test(test_format_null_and_levels),
        cmocka_unit_test(test_format_times_and_integers),
        cmocka_unit_test(test_format_truncates_long_values),
        cmocka_unit_test(test_level_parse_and_threshold),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
