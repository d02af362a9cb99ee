/*
 * test_intparse.c - the one decimal integer grammar (intparse.h): digits only, bounds,
 * -EINVAL for what is not a number, -ERANGE for a number out of bounds (also one that
 * does not fit 64 bits: 18446744073709551615 is UINT64_MAX, one more overflows).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "intparse.h"

static void test_parse_uint(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint64_t min, max;
        int rc;
        uint64_t want;
    } cases[] = {
        {"0", 0, 10, 0, 0},
        {"10", 0, 10, 0, 10},
        {"007", 0, 10, 0, 7}, /* leading zeros are fine */
        {"11", 0, 10, -ERANGE, 0},
        {"0", 1, 10, -ERANGE, 0},
        {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX},
        {"18446744073709551616", 0, UINT64_MAX, -ERANGE, 0},
        {"99999999999999999999999999", 0, UINT64_MAX, -ERANGE, 0},
        {"99999999999999999999999999x", 0, UINT64_MAX, -EINVAL, 0}, /* syntax first */
        {"", 0, 10, -EINVAL, 0},
        {"-1", 0, 10, -EINVAL, 0},
        {"+1", 0, 10, -EINVAL, 0},
        {" 1", 0, 10, -EINVAL, 0},
        {"1 ", 0, 10, -EINVAL, 0},
        {"0x1", 0, 10, -EINVAL, 0},
        {"1.0", 0, 10, -EINVAL, 0},
        {"1e1", 0, 100, -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 4242;
        int rc = gmw_parse_uint(cases[i].in, cases[i].min, cases[i].max, &v);
        if (rc != cases[i].rc || v != (rc == 0 ? cases[i].want : 4242)) {
            print_error("\"%s\": rc %d value %llu\n", cases[i].in, rc, (unsigned long long)v);
            fail();
        }
    }
    uint64_t v = 0;
    assert_int_equal(gmw_parse_uint(NULL, 0, 1, &v), -EINVAL);
}

static void test_parse_unsigned(void **state)
{
    (void)state;
    unsigned v = 77;
    assert_int_equal(gmw_parse_unsigned("1024", 0, 1024, &v), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(gmw_parse_unsigned("1025", 0, 1024, &v), -ERANGE);
    assert_int_equal(gmw_parse_unsigned("0", 1, 1000000, &v), -ERANGE);
    assert_int_equal(gmw_parse_unsigned("4294967296", 0, 4294967295u, &v), -ERANGE);
    assert_int_equal(gmw_parse_unsigned("4294967295", 0, 4294967295u, &v), 0);
    assert_int_equal(v, 4294967295u);
    assert_int_equal(gmw_parse_unsigned("1k", 0, 1024, &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_parse_unsigned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
