/*
 * test_status.c - the gomemlimit.io/status annotation: parsing, the webhook's own
 * values, formatting. (Moved from test_engine_util.c, assertions unchanged.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"

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
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
