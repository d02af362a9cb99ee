/* test_k8sname.c - RFC 1123 labels: the one check behind container, namespace and
 * Service names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "k8sname.h"

static bool label(const char *s)
{
    return gmw_dns1123_label_valid(s, strlen(s));
}

static void test_valid(void **state)
{
    (void)state;
    static const char *const ok[] = {"a",     "0",    "app",    "kube-system",
                                     "a-b-c", "a--b", "9lives", "x1"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!label(ok[i]))
            fail_msg("rejected '%s'", ok[i]);
    char max[64];
    memset(max, 'a', 63);
    max[63] = '\0';
    assert_true(label(max));
    /* only the first len bytes count */
    assert_true(gmw_dns1123_label_valid("app,other", 3));
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "-a", "a-",  "A", "Kube-System", "a_b",
                                      "a.b", " a", "a b", "é", "a\tb",        "-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (label(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    char long64[65];
    memset(long64, 'a', 64);
    long64[64] = '\0';
    assert_false(label(long64));
    assert_false(gmw_dns1123_label_valid("a\0b", 3)); /* an embedded NUL */
    assert_false(gmw_dns1123_label_valid(NULL, 1));
    assert_false(gmw_dns1123_label_valid("abc", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests_name("k8sname", tests, NULL, NULL);
}
