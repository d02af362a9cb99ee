/* test_dynbuf.c - the capped buffer: caps are hard, failures free, take hands over. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"

static void test_add_within_cap(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 10);
    assert_string_equal(gmw_dynbuf_ptr(&b), "");
    assert_int_equal(gmw_dynbuf_add(&b, "hello", 5), 0);
    assert_int_equal(gmw_dynbuf_adds(&b, "world"), 0);
    assert_int_equal(gmw_dynbuf_len(&b), 10);
    assert_string_equal(gmw_dynbuf_ptr(&b), "helloworld");
    gmw_dynbuf_free(&b);
}

static void test_cap_exceeded_frees(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 10);
    assert_int_equal(gmw_dynbuf_add(&b, "0123456789", 10), 0);
    assert_int_equal(gmw_dynbuf_add(&b, "x", 1), -E2BIG);
    /* The failed append emptied the buffer: no half result survives. */
    assert_int_equal(gmw_dynbuf_len(&b), 0);
    assert_null(b.buf);
    assert_string_equal(gmw_dynbuf_ptr(&b), "");
    /* Still usable afterwards, with the same cap. */
    assert_int_equal(gmw_dynbuf_adds(&b, "abc"), 0);
    assert_int_equal(gmw_dynbuf_add(&b, "0123456789", 10), -E2BIG);
    gmw_dynbuf_free(&b);
}

static void test_single_huge_append(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 100);
    assert_int_equal(gmw_dynbuf_add(&b, "x", SIZE_MAX), -E2BIG);
    assert_int_equal(gmw_dynbuf_add(&b, "x", 101), -E2BIG);
    gmw_dynbuf_free(&b);
}

static void test_zero_cap(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 0);
    assert_int_equal(gmw_dynbuf_add(&b, "", 0), 0);
    assert_int_equal(gmw_dynbuf_add(&b, "a", 1), -E2BIG);
    gmw_dynbuf_free(&b);
}

static void test_addf_and_growth(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 100000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(gmw_dynbuf_addf(&b, "%03d,", i % 1000), 0);
    assert_int_equal(gmw_dynbuf_len(&b), 4000);
    assert_memory_equal(gmw_dynbuf_ptr(&b) + 3996, "999,", 4);
    /* A formatted piece larger than the internal scratch buffer. */
    char big[600];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(gmw_dynbuf_addf(&b, "[%s]", big), 0);
    assert_int_equal(gmw_dynbuf_len(&b), 4000 + 601);
    assert_int_equal(gmw_dynbuf_ptr(&b)[gmw_dynbuf_len(&b)], '\0');
    gmw_dynbuf_free(&b);
}

static void test_addf_over_cap(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 8);
    assert_int_equal(gmw_dynbuf_addf(&b, "%d", 1234), 0);
    assert_int_equal(gmw_dynbuf_addf(&b, "%d", 56789), -E2BIG);
    assert_int_equal(gmw_dynbuf_len(&b), 0);
    gmw_dynbuf_free(&b);
}

static void test_take_and_reset(void **state)
{
    (void)state;
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, 64);
    size_t len = 99;
    char *empty = gmw_dynbuf_take(&b, &len);
    assert_non_null(empty);
    assert_int_equal(len, 0);
    assert_string_equal(empty, "");
    free(empty);
    assert_int_equal(gmw_dynbuf_adds(&b, "abc"), 0);
    gmw_dynbuf_reset(&b);
    assert_int_equal(gmw_dynbuf_len(&b), 0);
    assert_int_equal(gmw_dynbuf_adds(&b, "xyz"), 0);
    char *s = gmw_dynbuf_take(&b, &len);
    assert_string_equal(s, "xyz");
    assert_int_equal(len, 3);
    assert_int_equal(gmw_dynbuf_len(&b), 0);
    free(s);
    gmw_dynbuf_free(&b);
    gmw_dynbuf_free(&b); /* idempotent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_within_cap),     cmocka_unit_test(test_cap_exceeded_frees),
        cmocka_unit_test(test_single_huge_append), cmocka_unit_test(test_zero_cap),
        cmocka_unit_test(test_addf_and_growth),    cmocka_unit_test(test_addf_over_cap),
        cmocka_unit_test(test_take_and_reset),
    };
    return cmocka_run_group_tests_name("dynbuf", tests, NULL, NULL);
}
