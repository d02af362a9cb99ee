/*
 * test_warnings.c - the admission warnings list: sanitizing, truncation to 120
 * characters, duplicates and the count cap. (Moved from test_engine_util.c, assertions
 * unchanged.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "warnings.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warnings_sanitize_and_truncate),
        cmocka_unit_test(test_warnings_duplicates_and_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
