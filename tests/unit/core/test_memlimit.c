/*
 * test_memlimit.c - ratio parsing, exact GOMEMLIMIT arithmetic, Go's GOMEMLIMIT and
 * GOGC grammars.
 *
 * The gomemlimit/gogc validity tables were checked against a go1.19 binary run with
 * each value in its environment (abort "malformed GOMEMLIMIT" vs. the limit it
 * reports), so they are an oracle independent of this code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "memlimit.h"

static void test_ratio_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint32_t want;
    } ok[] = {
        {"0.9", 9000},   {".85", 8500},     {"1", 10000},  {"1.0", 10000}, {"0.8750", 8750},
        {"0.0001", 1},   {"1.0000", 10000}, {"0.5", 5000}, {"00.5", 5000}, {"0.12", 1200},
        {"0.999", 9990}, {"0.9999", 9999},  {".0001", 1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t r = 0;
        if (gmw_ratio_parse(ok[i].in, &r) != 0 || r != ok[i].want) {
            print_error("ratio \"%s\": got %u\n", ok[i].in, r);
            fail();
        }
    }
}

static void test_ratio_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0",       "0.0",  "1.0001", "1.5",  "0.12345", "-0.5", " 0.9", "0.9 ", "",
        "0.9x",    "1e-1", "2",      "10",   ".",       "1.",   "+0.5", "0,9",  "0.0000",
        "1.00001", "0x1",  "11",     "01.5", "1..0",    "0.9.", "inf",  "nan",  "9000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t r = 4242;
        if (gmw_ratio_parse(bad[i], &r) != -EINVAL || r != 4242) {
            print_error("ratio \"%s\" was accepted as %u\n", bad[i], r);
            fail();
        }
    }
    uint32_t r = 0;
    assert_int_equal(gmw_ratio_parse(NULL, &r), -EINVAL);
}

static void test_ratio_format(void **state)
{
    (void)state;
    static const struct {
        uint32_t in;
        const char *want;
    } cases[] = {
        {9000, "0.9"}, {10000, "1"},  {8751, "0.8751"}, {8750, "0.875"},
        {500, "0.05"}, {1, "0.0001"}, {10, "0.001"},    {9999, "0.9999"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[16];
        gmw_ratio_format(cases[i].in, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
        /* round trip */
        uint32_t back = 0;
        assert_int_equal(gmw_ratio_parse(buf, &back), 0);
        assert_int_equal(back, cases[i].in);
    }
    char small[4];
    gmw_ratio_format(8751, small, sizeof small); /* truncated, still terminated */
    assert_string_equal(small, "0.8");
}

static void test_gomemlimit_from_limit(void **state)
{
    (void)state;
    const int64_t Mi = GMW_MIB;
    const int64_t Gi = Mi * 1024;
    /* 1Gi x 0.9 = 966367641.6 -> 966367641 -> 921 MiB (965738496) */
    assert_int_equal(gmw_gomemlimit_from_limit(Gi, 9000), 921 * Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(Gi, 10000), Gi);
    assert_int_equal(gmw_gomemlimit_from_limit(512 * Mi, 9000), 460 * Mi); /* 460.8 */
    assert_int_equal(gmw_gomemlimit_from_limit(100 * Mi, 9000), 90 * Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(16 * Mi, 8750), 14 * Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(Mi, 9999), 0); /* below 1 MiB rounds to 0 */
    assert_int_equal(gmw_gomemlimit_from_limit(Mi, 10000), Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(Mi - 1, 10000), 0);
    assert_int_equal(gmw_gomemlimit_from_limit(0, 9000), 0);
    assert_int_equal(gmw_gomemlimit_from_limit(-5, 9000), 0);
    assert_int_equal(gmw_gomemlimit_from_limit(1181116007, 9000), 1013 * Mi); /* 1.1Gi */
    /* 1000Mi x 0.1 = exactly 100Mi: exact arithmetic must not lose the last MiB */
    assert_int_equal(gmw_gomemlimit_from_limit(1000 * Mi, 1000), 100 * Mi);
    /* 10000Mi x 0.0001 = exactly 1 MiB */
    assert_int_equal(gmw_gomemlimit_from_limit(10000 * Mi, 1), Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(10000 * Mi - 1, 1), 0);
    /* the whole int64 range, no overflow: (2^63-1) x 0.9999 */
    int64_t big = gmw_gomemlimit_from_limit(INT64_MAX, 9999);
    /* floor((2^63-1) x 9999 / 10000) = 9222449699651090329; floor to MiB */
    assert_int_equal(big, 9222449699651090329 - 9222449699651090329 % Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(INT64_MAX, 10000), INT64_MAX - INT64_MAX % Mi);
    assert_int_equal(gmw_gomemlimit_from_limit(INT64_MAX, 1),
                     (INT64_MAX / 10000) - (INT64_MAX / 10000) % Mi);
    /* every result is a multiple of 1 MiB and never above the limit */
    for (int64_t lim = 1; lim < (int64_t)1 << 40; lim = lim * 3 + 7) {
        for (uint32_t r = 1; r <= 10000; r += 1237) {
            int64_t g = gmw_gomemlimit_from_limit(lim, r);
            assert_true(g >= 0 && g <= lim && g % Mi == 0);
            assert_true(lim * (__int128)r / 10000 - g < Mi);
        }
    }
}

static void test_format(void **state)
{
    (void)state;
    char buf[GMW_MEMLIMIT_TEXT_MAX];
    gmw_format_gomemlimit(921 * GMW_MIB, buf, sizeof buf);
    assert_string_equal(buf, "921MiB");
    assert_true(gmw_gomemlimit_parse(buf, NULL));
    gmw_format_gomemlimit(0, buf, sizeof buf);
    assert_string_equal(buf, "0MiB");
    gmw_format_gomemlimit(INT64_MAX - INT64_MAX % GMW_MIB, buf, sizeof buf);
    assert_string_equal(buf, "8796093022207MiB");
    int64_t back = 0;
    assert_true(gmw_gomemlimit_parse(buf, &back));
    assert_int_equal(back, INT64_MAX - INT64_MAX % GMW_MIB);
    gmw_format_mi(921 * GMW_MIB, buf, sizeof buf);
    assert_string_equal(buf, "921Mi");
    gmw_format_mi(8796093022207 * GMW_MIB, buf, sizeof buf);
    assert_string_equal(buf, "8796093022207Mi");
    assert_true(strlen(buf) < GMW_MEMLIMIT_TEXT_MAX);
}

/* Checked against a go1.19 binary: true = starts, false = "malformed GOMEMLIMIT". */
static void test_gomemlimit_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool ok;
        int64_t bytes;
    } cases[] = {
        {"1GiB", true, 1073741824},
        {"1024", true, 1024},
        {"1024B", true, 1024},
        {"1KiB", true, 1024},
        {"1TiB", true, 1099511627776},
        {"0B", true, 0},
        {"01", true, 1},
        {"921MiB", true, 965738496},
        {"9223372036854775807", true, INT64_MAX},
        {"8388607TiB", true, 8388607 * (int64_t)1099511627776},
        {"off", true, INT64_MAX},
        {"-0", true, 0},   /* Go's atoi64 takes a sign; -0 is not negative */
        {"-MiB", true, 0}, /* ...and an empty number after it is 0 */
        {"768Mi", false, 0},
        {"1kB", false, 0},
        {"1KB", false, 0},
        {"1PiB", false, 0},
        {"", false, 0},
        {" 1", false, 0},
        {"1 ", false, 0},
        {"-", false, 0},
        {"-1", false, 0},
        {"+1", false, 0},
        {"B", false, 0},
        {"iB", false, 0},
        {"MiB", false, 0},
        {"1iB", false, 0},
        {"1.5GiB", false, 0},
        {"OFF", false, 0},
        {"9223372036854775808", false, 0},
        {"8388608TiB", false, 0},
        {"8589934592GiB", false, 0},
        {"99999999999999999999999", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t b = -7;
        bool got = gmw_gomemlimit_parse(cases[i].in, &b);
        if (got != cases[i].ok || (got && b != cases[i].bytes) || (!got && b != -7)) {
            print_error("GOMEMLIMIT \"%s\": got %d (%lld)\n", cases[i].in, got, (long long)b);
            fail();
        }
        assert_int_equal(gmw_gomemlimit_parse(cases[i].in, NULL), cases[i].ok);
    }
    assert_false(gmw_gomemlimit_parse(NULL, NULL));
}

static void test_gogc(void **state)
{
    (void)state;
    static const char *const valid[] = {"off", "1", "100", "50", "99999", "100000"};
    static const char *const invalid[] = {"0",    "-1",  "100001",       "0100", "+5",
                                          "",     "1e3", "100 ",         " 100", "OFF",
                                          "10.5", "-",   "1000000000000"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        assert_true(gmw_gogc_valid(valid[i]));
        assert_true(gmw_gogc_go_understands(valid[i]));
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (gmw_gogc_valid(invalid[i])) {
            print_error("GOGC \"%s\" accepted\n", invalid[i]);
            fail();
        }
    }
    assert_false(gmw_gogc_valid(NULL));
    /* What the Go runtime parses (go1.19: others silently mean 100). */
    static const char *const go_yes[] = {"0",          "-1",          "-5", "0100",
                                         "2147483647", "-2147483648", "-",  "off"};
    static const char *const go_no[] = {"+5",  "",   "x",   "2147483648", "-2147483649",
                                        "1e3", " 1", "OFF", "100%"};
    for (size_t i = 0; i < sizeof go_yes / sizeof go_yes[0]; i++)
        assert_true(gmw_gogc_go_understands(go_yes[i]));
    for (size_t i = 0; i < sizeof go_no / sizeof go_no[0]; i++) {
        if (gmw_gogc_go_understands(go_no[i])) {
            print_error("Go would not understand GOGC \"%s\"\n", go_no[i]);
            fail();
        }
    }
    assert_false(gmw_gogc_go_understands(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratio_parse_valid),
        cmocka_unit_test(test_ratio_parse_invalid),
        cmocka_unit_test(test_ratio_format),
        cmocka_unit_test(test_gomemlimit_from_limit),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_gomemlimit_parse),
        cmocka_unit_test(test_gogc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
