/* test_listen.c - listen address parsing (listen.h, shared by the server flags
 * and the config loader). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "listen.h"

static void test_listen_parse(void **state)
{
    (void)state;
    char host[64];
    uint16_t port = 0;
    assert_int_equal(gmw_listen_parse(":8443", host, sizeof host, &port, NULL), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 8443);
    assert_int_equal(gmw_listen_parse("127.0.0.1:0", host, sizeof host, &port, NULL), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    assert_int_equal(gmw_listen_parse("[::1]:65535", host, sizeof host, &port, NULL), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    assert_int_equal(gmw_listen_parse("localhost:443", host, sizeof host, &port, NULL), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(gmw_listen_parse("0.0.0.0:8443", host, sizeof host, &port, NULL), 0);
    assert_int_equal(gmw_listen_parse("[::]:8443", host, sizeof host, &port, NULL), 0);
    assert_string_equal(host, "::");
    assert_int_equal(gmw_listen_parse("My-Host.example:1", host, sizeof host, &port, NULL), 0);
    assert_int_equal(gmw_listen_parse(":00443", host, sizeof host, &port, NULL), 0);
    assert_int_equal(port, 443);
}

static void test_listen_reasons(void **state)
{
    (void)state;
    char host[256];
    uint16_t port = 0;
    const char *why = NULL;
    assert_int_equal(gmw_listen_parse(":99999", host, sizeof host, &port, &why), -EINVAL);
    assert_string_equal(why, "the port must be a number from 0 to 65535");
    assert_int_equal(gmw_listen_parse("8443", host, sizeof host, &port, &why), -EINVAL);
    assert_non_null(strstr(why, "missing ':PORT'"));
    assert_int_equal(gmw_listen_parse("::1:8443", host, sizeof host, &port, &why), -EINVAL);
    assert_non_null(strstr(why, "needs brackets"));
    assert_int_equal(gmw_listen_parse("[nope]:8443", host, sizeof host, &port, &why), -EINVAL);
    assert_non_null(strstr(why, "not an IPv6 address"));
    assert_int_equal(gmw_listen_parse("my host:8443", host, sizeof host, &port, &why), -EINVAL);
    assert_non_null(strstr(why, "host name or an IPv4"));
}

static void test_listen_parse_errors(void **state)
{
    (void)state;
    char host[16];
    uint16_t port = 7;
    const char *bad[] = {"8443",
                         ":",
                         ":65536",
                         ":-1",
                         ":84a3",
                         "::1:8443",
                         "[::1]",
                         "[::1]8443",
                         "host:123456",
                         ":08443x",
                         "a-very-long-hostname-that-does-not-fit:1",
                         "[]:8443",
                         "[::1]:",
                         "[fe80::1%eth0]:1",
                         "a b:1",
                         "-host:1",
                         "host-:1",
                         "a..b:1",
                         ".a:1",
                         "a.:1",
                         "h_st:1",
                         "*:8443",
                         ": 8443",
                         ":+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (gmw_listen_parse(bad[i], host, sizeof host, &port, &why) == 0)
            fail_msg("accepted '%s'", bad[i]);
        if (why == NULL || why[0] == '\0')
            fail_msg("'%s': no reason given", bad[i]);
    }
    assert_int_equal(port, 7); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_parse),
        cmocka_unit_test(test_listen_parse_errors),
        cmocka_unit_test(test_listen_reasons),
    };
    return cmocka_run_group_tests_name("server_units", tests, NULL, NULL);
}
