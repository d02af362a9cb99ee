/* test_imageref.c - the image reference syntax checked for shim.image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imageref.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_valid(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "gomemlimit-webhook:0.1.0",
        "busybox",
        "library/busybox:1.36",
        "registry.example.com/gomemlimit-webhook:0.1.0",
        "registry.example.com:5000/team/app",
        "localhost/app:dev",
        "localhost:5000/app",
        "ghcr.io/org/sub/app_name__x:v1.2.3-rc.1",
        "quay.io/a.b/c--d:latest",
        "Registry.Example.com/app", /* registry host names may have capitals */
        "[::1]:5000/app:1",
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): digest references, joined on purpose
        "app@sha256:" SHA,
        "ghcr.io/org/app:1.0@sha256:" SHA,
        "app:_underscore",
        "a",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *why = NULL;
        if (gmw_image_ref_check(ok[i], &why) != 0)
            fail_msg("rejected '%s': %s", ok[i], why);
    }
    char tag128[200] = "app:";
    memset(tag128 + 4, 't', 128);
    tag128[132] = '\0';
    assert_int_equal(gmw_image_ref_check(tag128, NULL), 0);
}

static void test_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *ref;
        const char *why; /* a substring of the reason */
    } bad[] = {
        {"x y", "whitespace"},
        {"app\t", "whitespace"},
        {"app\x7f", "control"},
        {"\xc3\xa9t\xc3\xa9", "non-ASCII"},
        {"", "empty"},
        {"App", "lower-case"},
        {"org/App:1", "lower-case"},
        {"app:", "tag must be 1"},
        {"app:-x", "tag must start"},
        {"app:a+b", "tag may only"},
        {":tag", "no repository name"},
        {"app@sha256:abc", "digest"},
        {"app@md5:" SHA, "digest"},
        {"app@sha256:" SHA "0", "digest"},
        {"app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "digest"},
        {"@sha256:" SHA, "no repository name"},
        {"registry.example.com/", "no repository path"},
        {"registry.example.com//app", "lower-case"},
        {"app/", "lower-case"},
        {"a..b", "lower-case"},
        {"a___b", "lower-case"},
        {"-app", "lower-case"},
        {"app-", "lower-case"},
        {"a.-b", "lower-case"},
        {"reg-.io/app", "registry"},
        {"reg..io/app", "registry"},
        {"reg.io:/app", "registry"},
        {"reg.io:123456/app", "registry"},
        {"reg.io:50a0/app", "registry"},
        {"[::1/app", "registry"},
        {"[zz]:5000/app", "registry"},
        {"reg_io.com/app", "registry"},
        {"app:1:2", "lower-case"}, /* name "app:1", tag "2" */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (gmw_image_ref_check(bad[i].ref, &why) == 0)
            fail_msg("accepted '%s'", bad[i].ref);
        if (why == NULL || strstr(why, bad[i].why) == NULL)
            fail_msg("'%s': reason '%s' does not mention '%s'", bad[i].ref, why, bad[i].why);
    }
    char tag129[200] = "app:";
    memset(tag129 + 4, 't', 129);
    tag129[133] = '\0';
    assert_int_not_equal(gmw_image_ref_check(tag129, NULL), 0);
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = '\0';
    assert_int_not_equal(gmw_image_ref_check(longname, NULL), 0);
    assert_int_not_equal(gmw_image_ref_check(NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests_name("imageref", tests, NULL, NULL);
}
