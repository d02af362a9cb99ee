/*
 * test_sanitize.c - printable echoes of untrusted text (sanitize.h). test_sanitize
 * moved from tests/unit/engine/test_engine_util.c with its assertions unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize.h"

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

/* gmw_sanitize_prefix: the config's echo of a scalar (first 48 characters, then "..."). */
static void test_sanitize_prefix(void **state)
{
    (void)state;
    char buf[64];
    char long_value[60];
    memset(long_value, 'x', sizeof long_value);
    /* length-delimited: NUL and bytes >= 0x80 become '?', the length is honoured */
    assert_string_equal(gmw_sanitize_prefix(buf, sizeof buf, "a\0b\xc3\xa9zzz", 6, 48), "a?b??z");
    /* exactly `keep` characters: no ellipsis; one more: the first `keep` and "..." */
    assert_string_equal(gmw_sanitize_prefix(buf, sizeof buf, long_value, 48, 48),
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_string_equal(gmw_sanitize_prefix(buf, sizeof buf, long_value, 49, 48),
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...");
    assert_int_equal(strlen(buf), 51);
    /* a small buffer keeps fewer characters, always terminated */
    char small[8];
    assert_string_equal(gmw_sanitize_prefix(small, sizeof small, "abcdefgh", 8, 48), "abcd");
    assert_string_equal(gmw_sanitize_prefix(small, sizeof small, "abc", 3, 48), "abc");
    assert_string_equal(gmw_sanitize_prefix(small, 3, "abc", 3, 48), "");
    assert_string_equal(gmw_sanitize_prefix(buf, sizeof buf, "", 0, 48), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_sanitize_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
