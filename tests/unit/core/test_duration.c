/* test_duration.c - the one duration grammar of the config file and the serve flags. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "duration.h"

static void test_forms(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t ms;
    } ok[] = {
        {"0", 0},       {"120", 120000}, {"120s", 120000},
        {"2m", 120000}, {"1h", 3600000}, {"500ms", 500},
        {"0ms", 0},     {"007s", 7000},  {"9999999999h", 9999999999ULL * 3600000ULL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t ms = 12345;
        if (gmw_duration_parse_ms(ok[i].s, &ms) != 0)
            fail_msg("rejected '%s'", ok[i].s);
        if (ms != ok[i].ms)
            fail_msg("'%s': got %llu ms", ok[i].s, (unsigned long long)ms);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {"",   "s",           "ms",  "-1",  "+1", "1.5s", "1m30s",
                                      "1d", "1 s",         " 1",  "1S",  "1H", "0x10", "1sec",
                                      "1M", "12345678901", "1us", "1ns", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 777;
        if (gmw_duration_parse_ms(bad[i], &ms) != -EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(ms, 777); /* untouched */
    }
    uint64_t ms = 0;
    assert_int_equal(gmw_duration_parse_ms(NULL, &ms), -EINVAL);
}

static void test_seconds(void **state)
{
    (void)state;
    unsigned s = 99;
    assert_int_equal(gmw_duration_parse_seconds("2h", 1, 86400, &s), 0);
    assert_int_equal(s, 7200);
    assert_int_equal(gmw_duration_parse_seconds("2000ms", 1, 10, &s), 0);
    assert_int_equal(s, 2);
    assert_int_equal(gmw_duration_parse_seconds("0s", 0, 10, &s), 0);
    assert_int_equal(s, 0);
    s = 99;
    assert_int_equal(gmw_duration_parse_seconds("1500ms", 0, 10, &s), -EINVAL);
    assert_int_equal(gmw_duration_parse_seconds("0", 1, 10, &s), -ERANGE);
    assert_int_equal(gmw_duration_parse_seconds("11", 1, 10, &s), -ERANGE);
    assert_int_equal(gmw_duration_parse_seconds("25h", 1, 86400, &s), -ERANGE);
    assert_int_equal(gmw_duration_parse_seconds("9999999999h", 0, 4294967295u, &s), -ERANGE);
    assert_int_equal(gmw_duration_parse_seconds("x", 0, 10, &s), -EINVAL);
    assert_int_equal(s, 99);
    assert_int_equal(gmw_duration_parse_seconds("10", 1, 10, &s), 0);
    assert_int_equal(s, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_seconds),
    };
    return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
