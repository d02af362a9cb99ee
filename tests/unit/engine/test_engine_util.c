/*
 * test_engine_util.c - the engine's small helpers: base64 (RFC 4648 vectors), the
 * warnings list (sanitizing, truncation, duplicates, cap) and the status annotation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "status.h"
#include "warnings.h"

static void check_b64(const char *in, size_t n, const char *want)
{
    char *got = gmw_base64_encode(in, n);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(gmw_base64_encoded_len(n), strlen(want));
    free(got);
}

static void test_base64_rfc4648(void **state)
{
    (void)state;
    check_b64("", 0, "");
    check_b64("f", 1, "Zg==");
    check_b64("fo", 2, "Zm8=");
    check_b64("foo", 3, "Zm9v");
    check_b64("foob", 4, "Zm9vYg==");
    check_b64("fooba", 5, "Zm9vYmE=");
    check_b64("foobar", 6, "Zm9vYmFy");
    /* both alphabet ends: 0xfb 0xff -> "+/8=" ; 0xff 0xff 0xff -> "////" */
    check_b64("\xfb\xff", 2, "+/8=");
    check_b64("\xff\xff\xff", 3, "////");
    check_b64("\0\0\0", 3, "AAAA");
}

/* Every warning: ASCII printable, <= 120 characters. */
static void assert_warnings_clean(const json_t *list)
{
    size_t i;
    json_t *w;
    json_array_foreach(list, i, w)
    {
        const char *s = json_string_value(w);
        assert_non_null(s);
        assert_true(strlen(s) <= GMW_WARNING_MAX);
        for (const char *p = s; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
    }
}

static void test_warnings_sanitize_and_truncate(void **state)
{
    (void)state;
    gmw_warnings w;
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';

    gmw_warnings_init(&w);
    gmw_warnings_add(&w, "tab\there, newline\nthere, utf8 \xc3\xa9, del \x7f");
    gmw_warnings_add(&w, "long %s", longname);
    gmw_warnings_add(&w, "%s", ""); /* empty: ignored */
    json_t *list = gmw_warnings_take(&w);
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_array_get(list, 0)),
                        "tab?here, newline?there, utf8 ??, del ?");
    const char *l = json_string_value(json_array_get(list, 1));
    assert_int_equal(strlen(l), GMW_WARNING_MAX);
    assert_string_equal(l + GMW_WARNING_MAX - 3, "...");
    assert_memory_equal(l, "long xxx", 8);
    assert_warnings_clean(list);
    json_decref(list);
    gmw_warnings_free(&w);
}

static void test_warnings_duplicates_and_cap(void **state)
{
    (void)state;
    gmw_warnings w;
    gmw_warnings_init(&w);
    gmw_warnings_add(&w, "same");
    gmw_warnings_add(&w, "same");
    for (int i = 0; i < 40; i++)
        gmw_warnings_add(&w, "warning %d", i);
    json_t *list = gmw_warnings_take(&w);
    assert_int_equal(json_array_size(list), GMW_WARNINGS_MAX_COUNT + 1);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "same");
    /* 1 + 40 distinct, 24 kept: 17 more */
    const char *last = json_string_value(json_array_get(list, GMW_WARNINGS_MAX_COUNT));
    assert_string_equal(last, "gomemlimit: ... 17 more warnings not shown (at most 24 are sent)");
    size_t total = 0, i;
    json_t *it;
    json_array_foreach(list, i, it) total += json_string_length(it);
    assert_true(total < 4096);
    assert_warnings_clean(list);
    json_decref(list);
    /* an empty list gives an empty array */
    list = gmw_warnings_take(&w);
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    gmw_warnings_free(&w);
    gmw_warnings_free(&w); /* twice is safe */
}

static void test_sanitize(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(gmw_sanitize(buf, sizeof buf, NULL, 10), "");
    assert_string_equal(gmw_sanitize(buf, sizeof buf, "abc", 10), "abc");
    assert_string_equal(gmw_sanitize(buf, sizeof buf, "abcdefghijkl", 10), "abcdefg...");
    assert_string_equal(gmw_sanitize(buf, sizeof buf, "abcdefghijklmnopqrstuvwxyz", 100),
                        "abcdefghijkl...");
    assert_string_equal(gmw_sanitize(buf, sizeof buf,
                                     "a\x01"
                                     "b\xff",
                                     10),
                        "a?b?");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_warnings_sanitize_and_truncate),
        cmocka_unit_test(test_warnings_duplicates_and_cap),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests_name("engine_util", tests, NULL, NULL);
}
