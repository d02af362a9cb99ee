/* test_cliopt.c - one option table gives both the parser and the help text. The help is
 * compared with the text written out by hand; parsing with the options given to getopt. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"

enum { OPT_LONG = 256, OPT_FLAG };

static const gmw_cliopt table[] = {
    {'c', 'c', "config", "FILE", "a config file"},
    {0, OPT_LONG, "long-only", "N", "first line\nsecond line"},
    {0, 0, NULL, NULL, "\nSection:"},
    {0, OPT_FLAG + 1, "a-very-long-option-name", "VALUE", "after two spaces"},
    {0, OPT_FLAG, "flag", NULL, "no value"},
    {'h', 'h', "help", NULL, "show this help"},
};
#define N (sizeof table / sizeof table[0])

static void test_help_layout(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    gmw_cliopt_help(f, table, N, 24);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, "  -c, --config FILE     a config file\n"
                             "      --long-only N     first line\n"
                             "                        second line\n"
                             "\n"
                             "Section:\n"
                             "      --a-very-long-option-name VALUE  after two spaces\n"
                             "      --flag            no value\n"
                             "  -h, --help            show this help\n");
    free(buf);
}

static void test_parse(void **state)
{
    (void)state;
    char a0[] = "cmd", a1[] = "-c", a2[] = "x.yaml", a3[] = "--long-only=7", a4[] = "--flag",
         a5[] = "--a-very-long-option-name", a6[] = "v", a7[] = "-h", a8[] = "operand";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL};
    gmw_cliopt_parser p;
    assert_int_equal(gmw_cliopt_init(&p, table, N), 0);
    assert_int_equal(gmw_cliopt_next(&p, 9, argv), 'c');
    assert_string_equal(optarg, "x.yaml");
    assert_int_equal(gmw_cliopt_next(&p, 9, argv), OPT_LONG);
    assert_string_equal(optarg, "7");
    assert_int_equal(gmw_cliopt_next(&p, 9, argv), OPT_FLAG);
    assert_int_equal(gmw_cliopt_next(&p, 9, argv), OPT_FLAG + 1);
    assert_string_equal(optarg, "v");
    assert_int_equal(gmw_cliopt_next(&p, 9, argv), 'h');
    assert_int_equal(gmw_cliopt_next(&p, 9, argv), -1);
    assert_string_equal(argv[optind], "operand");
}

static void test_missing_and_unknown(void **state)
{
    (void)state;
    char a0[] = "cmd", a1[] = "--nope", a2[] = "--config";
    char *argv[] = {a0, a1, a2, NULL};
    gmw_cliopt_parser p;
    assert_int_equal(gmw_cliopt_init(&p, table, N), 0);
    assert_int_equal(gmw_cliopt_next(&p, 3, argv), '?');
    assert_string_equal(argv[optind - 1], "--nope");
    assert_int_equal(gmw_cliopt_next(&p, 3, argv), ':');
    assert_string_equal(argv[optind - 1], "--config");
}

static void test_bad_tables(void **state)
{
    (void)state;
    gmw_cliopt_parser p;
    const gmw_cliopt colon[] = {{0, ':', "x", NULL, "collides with a missing value"}};
    assert_int_equal(gmw_cliopt_init(&p, colon, 1), -EINVAL);
    gmw_cliopt many[GMW_CLIOPT_MAX + 1];
    for (int i = 0; i <= GMW_CLIOPT_MAX; i++)
        many[i] = (gmw_cliopt){0, 256 + i, "same", NULL, "x"};
    assert_int_equal(gmw_cliopt_init(&p, many, GMW_CLIOPT_MAX), 0);
    assert_int_equal(gmw_cliopt_init(&p, many, GMW_CLIOPT_MAX + 1), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_layout),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_missing_and_unknown),
        cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
