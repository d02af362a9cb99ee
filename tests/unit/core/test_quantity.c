/*
 * test_quantity.c - the Kubernetes quantity grammar and Value() rounding.
 *
 * The values marked "ref" are the §4.4 examples of admission-protocol.md: they
 * were produced by running the real apimachinery Go code, so they are an
 * independent oracle. Where Kubernetes saturates or wraps (9Ei, 12E, 2^63) we
 * deliberately report an error instead (see quantity.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quantity.h"

typedef struct {
    const char *in;
    gmw_qty_status st;
    int64_t value; /* only meaningful for GMW_QTY_OK */
} qty_case;

#define OK(s, v)                                                                                   \
    {                                                                                              \
        s, GMW_QTY_OK, (int64_t)(v)                                                                \
    }
#define ERR(s, e)                                                                                  \
    {                                                                                              \
        s, e, 0                                                                                    \
    }

static const qty_case cases[] = {
    /* ref §4.4, from running quantity.go */
    OK("1Ki", 1024),
    OK("7Mi", 7340032),
    OK("6Gi", 6442450944),
    OK("3Ei", 3458764513820540928),
    OK("5n", 1),
    OK("3m", 1),
    OK("50k", 50000),
    OK("6G", 6000000000),
    OK("1E", 1000000000000000000),
    OK("1E-3", 1),
    OK("1e3", 1000),
    OK("1.3E+6", 1300000),
    OK("0.5", 1),
    OK("9.01", 10),
    OK("100.035k", 100035),
    OK("100.035Ki", 102436),
    OK("0.5Mi", 524288),
    OK("0.05Gi", 53687092),
    OK("0.025Ti", 27487790695),
    ERR("9Ei", GMW_QTY_OVERFLOW), /* Kubernetes caps at 2^63-1 */
    ERR("12E", GMW_QTY_OVERFLOW), /* Kubernetes: Value() == 0 */
    OK("0.000000000001Ki", 1),
    OK("1.G", 1000000000),
    ERR("9223372036854775808", GMW_QTY_OVERFLOW), /* Kubernetes wraps negative */
    OK("1024Mi", 1073741824),
    OK("1000M", 1000000000),
    /* ref TestNewSet */
    OK("1", 1),
    OK("1k", 1000),
    OK("1234k", 1234000),
    OK("1e6", 1000000),
    OK("1Mi", 1048576),
    /* ref: more cases run through the Go code */
    OK("100m", 1),
    OK("0.5Gi", 536870912),
    OK("1.5Gi", 1610612736),
    OK("1.1Gi", 1181116007),
    OK("0.3Gi", 322122548),
    /* forms the apiserver re-serializes to */
    OK("1181116006400m", 1181116007),
    OK("1500e6", 1500000000),
    OK("+5", 5),
    OK("2560Ki", 2621440),
    OK("1.", 1),
    OK(".5", 1),
    OK("+.5Mi", 524288),
    OK("1.Ki", 1024),
    OK("3.001n", 1),
    /* upstream quirks: a bare suffix, sign or dot is zero */
    OK("Mi", 0),
    OK("m", 0),
    OK("k", 0),
    OK(".", 0),
    OK("+", 0),
    OK("-", 0),
    OK("-.", 0),
    OK("e3", 0),
    OK("0", 0),
    OK("000", 0),
    OK("0Mi", 0),
    OK("-0", 0),
    OK("-0.0Mi", 0),
    OK("0e5", 0),
    OK("e-9", 0),
    OK("0e-10", 0),
    OK(".0e-10", 0),
    OK("-00e-99", 0),
    /* every suffix */
    OK("1n", 1),
    OK("1u", 1),
    OK("1000000u", 1),
    OK("1000001u", 2),
    OK("999999999n", 1),
    OK("1000000001n", 2),
    OK("1M", 1000000),
    OK("1T", 1000000000000),
    OK("1P", 1000000000000000),
    OK("1Gi", 1073741824),
    OK("1Ti", 1099511627776),
    OK("1Pi", 1125899906842624),
    OK("1Ei", 1152921504606846976),
    OK("0.001Ki", 2),
    OK("1.5Ki", 1536),
    OK("0.1Ei", 115292150460684698),
    /* exponents */
    OK("1e-3", 1),
    OK("15e-1", 2),
    OK("1.5e-1", 1),
    OK("1e+5", 100000),
    OK("1e-0", 1),
    OK("2e0", 2),
    OK("2E0", 2),
    OK("1e18", 1000000000000000000),
    OK("1e+0010", 10000000000),
    OK("+1.5", 2),
    OK("0000000000000000000000000000001Ki", 1024),
    /* precision: ceil away from zero, exact with long digit strings */
    OK("1073741824.000000000000000000000000000000000000000001", 1073741825),
    OK("1073741824.000000000000000000000000000000000000000000", 1073741824),
    OK("0.0000000000000000000000000000000000000001", 1),
    OK("1e-1000000", 1),
    OK("1e-9223372036854775808", 1),
    OK("0.00000000000000000000000000000000000001Ei", 1),
    OK("0.5000000000000000000000000000000000001Ki", 513),
    /* the int64 boundary */
    OK("9223372036854775807", INT64_MAX),
    OK("9223372036854775807000m", INT64_MAX),
    OK("9223372036854775806.5", INT64_MAX),
    OK("9.223372036854775807E", INT64_MAX),
    OK("7Ei", 8070450532247928832),
    OK("7.999999999999999999Ei", INT64_MAX), /* 2^63 - 1.15 rounds up to 2^63 - 1 */
    OK("8191Pi", 9222246136947933184),
    ERR("7.9999999999999999999Ei", GMW_QTY_OVERFLOW), /* 2^63 - 0.115 rounds up to 2^63 */
    ERR("9223372036854775807.000001", GMW_QTY_OVERFLOW),
    ERR("9223372036854775807001m", GMW_QTY_OVERFLOW),
    ERR("9.223372036854775808E", GMW_QTY_OVERFLOW),
    ERR("8Ei", GMW_QTY_OVERFLOW),
    ERR("8192Pi", GMW_QTY_OVERFLOW),
    ERR("1e19", GMW_QTY_OVERFLOW),
    ERR("10E", GMW_QTY_OVERFLOW),
    ERR("10000000000000000000", GMW_QTY_OVERFLOW),
    ERR("1234567890123456789012345678901234567890m", GMW_QTY_OVERFLOW),
    ERR("1e1000000", GMW_QTY_OVERFLOW),
    ERR("1e9223372036854775807", GMW_QTY_OVERFLOW),
    /* negative */
    ERR("-1", GMW_QTY_NEGATIVE),
    ERR("-5n", GMW_QTY_NEGATIVE),
    ERR("-.5", GMW_QTY_NEGATIVE),
    ERR("-1Mi", GMW_QTY_NEGATIVE),
    ERR("-1e30", GMW_QTY_NEGATIVE),
    /* syntax */
    ERR("", GMW_QTY_EMPTY),
    ERR(" 1", GMW_QTY_SYNTAX),
    ERR("1 ", GMW_QTY_SYNTAX),
    ERR("1\t", GMW_QTY_SYNTAX),
    ERR("1 Mi", GMW_QTY_SYNTAX),
    ERR("1.2.3", GMW_QTY_SYNTAX),
    ERR("1e3e", GMW_QTY_SYNTAX),
    ERR("1x", GMW_QTY_SYNTAX),
    ERR("0x10", GMW_QTY_SYNTAX),
    ERR("1,5", GMW_QTY_SYNTAX),
    ERR("1Mi ", GMW_QTY_SYNTAX),
    ERR("++1", GMW_QTY_SUFFIX), /* suffix "+1" */
    ERR("1/2", GMW_QTY_SYNTAX),
    /* upstream ErrNumeric: its exact path needs a digit for scales below 1n */
    ERR("e-10", GMW_QTY_SYNTAX),
    ERR(".e-10", GMW_QTY_SYNTAX),
    ERR("+e-10", GMW_QTY_SYNTAX),
    ERR("-.E-12", GMW_QTY_SYNTAX),
    /* suffix (upstream ErrSuffix) */
    ERR("K", GMW_QTY_SUFFIX),
    ERR("1K", GMW_QTY_SUFFIX),
    ERR("mi", GMW_QTY_SUFFIX),
    ERR("1mi", GMW_QTY_SUFFIX),
    ERR("1MI", GMW_QTY_SYNTAX), /* "I" is no suffix letter */
    ERR("1ki", GMW_QTY_SUFFIX),
    ERR("1KB", GMW_QTY_SYNTAX),
    ERR("e", GMW_QTY_SUFFIX),
    ERR("1e", GMW_QTY_SUFFIX),
    ERR("1E+", GMW_QTY_SUFFIX),
    ERR("1e-", GMW_QTY_SUFFIX),
    ERR("1Ee3", GMW_QTY_SUFFIX),
    ERR("1Ki5", GMW_QTY_SUFFIX),
    ERR("1i", GMW_QTY_SUFFIX),
    ERR("--1", GMW_QTY_SUFFIX), /* the scanner reads "-1" as a suffix */
    ERR("1-3", GMW_QTY_SUFFIX),
    ERR("1e99999999999999999999", GMW_QTY_SUFFIX), /* exponent does not fit int64 */
    ERR("1e9223372036854775808", GMW_QTY_SUFFIX),
    ERR("0e99999999999999999999", GMW_QTY_SUFFIX),
};

static void test_table(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const qty_case *c = &cases[i];
        int64_t v = -12345;
        gmw_qty_status st = gmw_quantity_parse_cstr(c->in, &v);
        if (st != c->st || (st == GMW_QTY_OK && v != c->value) ||
            (st != GMW_QTY_OK && v != -12345)) {
            print_error("case \"%s\": got status %d value %lld, want status %d value %lld\n", c->in,
                        (int)st, (long long)v, (int)c->st, (long long)c->value);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    assert_true(sizeof cases / sizeof cases[0] >= 60);
}

/* The length is honoured: the input need not be NUL-terminated. */
static void test_length_bounded(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(gmw_quantity_parse("512Mi", 3, &v), GMW_QTY_OK);
    assert_int_equal(v, 512);
    assert_int_equal(gmw_quantity_parse("512Mi", 4, &v), GMW_QTY_OK); /* "512M" */
    assert_int_equal(v, 512000000);
    assert_int_equal(gmw_quantity_parse("512Mi", 0, &v), GMW_QTY_EMPTY);
    assert_int_equal(gmw_quantity_parse(NULL, 0, &v), GMW_QTY_EMPTY);
    assert_int_equal(gmw_quantity_parse_cstr(NULL, &v), GMW_QTY_EMPTY);
    /* An embedded NUL is a character like any other: not part of the grammar. */
    assert_int_equal(gmw_quantity_parse("1\0Mi", 4, &v), GMW_QTY_SYNTAX);
}

/* Very long digit strings stay exact and linear. */
static void test_long_strings(void **state)
{
    (void)state;
    const size_t n = 200000;
    char *s = malloc(n + 32);
    int64_t v = 0;
    assert_non_null(s);

    /* 0.999...9 (n nines) rounds up to 1 */
    s[0] = '0';
    s[1] = '.';
    memset(s + 2, '9', n);
    s[n + 2] = '\0';
    assert_int_equal(gmw_quantity_parse_cstr(s, &v), GMW_QTY_OK);
    assert_int_equal(v, 1);

    /* 1 followed by n zeros: overflow */
    s[0] = '1';
    memset(s + 1, '0', n);
    s[n + 1] = '\0';
    assert_int_equal(gmw_quantity_parse_cstr(s, &v), GMW_QTY_OVERFLOW);

    /* 1 followed by n zeros, scaled back by e-(n-10): exactly 10^10 */
    int len = snprintf(s + n + 1, 31, "e-%zu", n - 10);
    assert_true(len > 0);
    assert_int_equal(gmw_quantity_parse_cstr(s, &v), GMW_QTY_OK);
    assert_int_equal(v, 10000000000);

    /* ...and 1 more in the last place: 10^10 + 10^-10 rounds up */
    s[n] = '1';
    assert_int_equal(gmw_quantity_parse_cstr(s, &v), GMW_QTY_OK);
    assert_int_equal(v, 10000000001);

    /* n zeros then "1Ki": 1024 */
    memset(s, '0', n);
    memcpy(s + n, "1Ki", 4);
    assert_int_equal(gmw_quantity_parse_cstr(s, &v), GMW_QTY_OK);
    assert_int_equal(v, 1024);
    free(s);
}

static void test_strerror(void **state)
{
    (void)state;
    const gmw_qty_status all[] = {GMW_QTY_OK,     GMW_QTY_EMPTY,    GMW_QTY_SYNTAX,
                                  GMW_QTY_SUFFIX, GMW_QTY_NEGATIVE, GMW_QTY_OVERFLOW};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *msg = gmw_qty_strerror(all[i]);
        assert_non_null(msg);
        assert_true(strlen(msg) > 0 && strlen(msg) < 80);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(msg, gmw_qty_strerror(all[j]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
