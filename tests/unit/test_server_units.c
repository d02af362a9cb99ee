/* test_server_units.c - pure parts of the server: listen address parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "server.h"

static void test_listen_parse(void **state)
{
    (void)state;
    char host[64];
    uint16_t port = 0;
    assert_int_equal(gmw_listen_parse(":8443", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 8443);
    assert_int_equal(gmw_listen_parse("127.0.0.1:0", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    assert_int_equal(gmw_listen_parse("[::1]:65535", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    assert_int_equal(gmw_listen_parse("localhost:443", host, sizeof host, &port), 0);
    assert_string_equal(host, "localhost");
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
                         "a-very-long-hostname-that-does-not-fit:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gmw_listen_parse(bad[i], host, sizeof host, &port) == 0)
            fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(port, 7); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_parse),
        cmocka_unit_test(test_listen_parse_errors),
    };
    return cmocka_run_group_tests_name("server_units", tests, NULL, NULL);
}
