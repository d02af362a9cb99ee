/*
 * test_base64.c - base64 encoding against the RFC 4648 section 10 test vectors.
 * (Moved from tests/unit/engine/test_engine_util.c, assertions unchanged.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_rfc4648),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
