/*
 * test_jsonload.c - gmw_json_loadb against jansson's json_loadb (the oracle) on the corners
 * of JSON and of jansson's own reader, and proof that the fast scanner (not the fallback)
 * handles ordinary AdmissionReviews.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonload_diff.h"

typedef struct {
    const char *text;
    size_t len; /* 0: strlen(text) */
} input;

#define IN(s)                                                                                      \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

/* Accepted by both, and by the scanner itself (the fast path). */
static const input scanned[] = {
    IN("{}"),
    IN("[]"),
    IN(" \t\r\n{ } \n"),
    IN("{\"a\":1,\"b\":[true,false,null]}"),
    IN("[0,-0,1,-1,123456789012345678,-123456789012345678]"),
    IN("[0.5,-0.0,1e3,1E-3,2.5e+10,1.7976931348623157e308,4.9e-324,1e-400]"),
    IN("[\"\",\"plain\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u00e9\\u20AC\\ud83d\\ude00\"]"),
    IN("[\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"]"),
    IN("{\"dup\":1,\"x\":2,\"dup\":3}"), /* last value wins, first position kept */
    IN("{\"k\\u00e9y\":\"v\",\"\\n\":{}}"),
    IN("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"),
};

/* The scanner declines; jansson decides (and both answers must still agree). */
static const input declined[] = {
    IN(""),
    IN("   "),
    IN("1"),
    IN("\"s\""),
    IN("null"),
    IN("{"),
    IN("{\"a\"}"),
    IN("{\"a\":}"),
    IN("[1,]"),
    IN("{\"a\":1,}"),
    IN("[01]"),
    IN("[-]"),
    IN("[1.]"),
    IN("[.5]"),
    IN("[1e]"),
    IN("[1e+]"),
    IN("[+1]"),
    IN("[1234567890123456789]"),
    IN("[9223372036854775807]"),
    IN("[9223372036854775808]"),
    IN("[-9223372036854775809]"),
    IN("[1e400]"),
    IN("[-1e400]"),
    IN("[tru]"),
    IN("[truex]"),
    IN("[true1]"),
    IN("[nul]"),
    IN("[NULL]"),
    IN("{} x"),
    IN("{}{}"),
    IN("[\"\\u0000\"]"),
    IN("{\"\\u0000\":1}"),
    IN("[\"\\ud800\"]"),
    IN("[\"\\udc00\"]"),
    IN("[\"\\ud800\\u0041\"]"),
    IN("[\"\\ud800x\"]"),
    IN("[\"\\x\"]"),
    IN("[\"\\u12\"]"),
    IN("[\"\\u12G4\"]"),
    IN("[\"a\nb\"]"),
    IN("[\"a\tb\"]"),
    IN("[\"\x01\"]"),
    IN("[\"\xc3\"]"),
    IN("[\"\xc0\x80\"]"),
    IN("[\"\xc1\xbf\"]"),
    IN("[\"\xe0\x80\x80\"]"),
    IN("[\"\xed\xa0\x80\"]"),
    IN("[\"\xf4\x90\x80\x80\"]"),
    IN("[\"\xf5\x80\x80\x80\"]"),
    IN("[\"\xff\"]"),
    IN("[\"\x80\"]"),
    IN("\xef\xbb\xbf{}"),
    IN("[1]\x00"),
    IN("[1\x00]"),
    IN("[true\x00]"),
    IN("{\"a\x00\":1}"),
    IN("\x00{}"),
    IN("[1,\x00 2]"),
    IN("[\"unterminated"),
    IN("{\"a\" 1}"),
    IN("[1 2]"),
    IN("[,]"),
    IN("{,}"),
    IN("[\xc3\xa9]"),
    IN("{'a':1}"),
};

static void check(const input *in)
{
    size_t len = in->len ? in->len : strlen(in->text);
    const char *why = gmw_jsonload_diff(in->text, len);
    if (why != NULL)
        fail_msg("%s: %.*s", why, (int)len, in->text);
}

static void test_scanner_accepts_plain_json(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof scanned / sizeof scanned[0]; i++) {
        int oom = 1;
        json_t *t = gmw_json_scan(scanned[i].text, scanned[i].len, &oom);
        if (t == NULL)
            fail_msg("the scanner declined: %s", scanned[i].text);
        assert_int_equal(oom, 0);
        json_decref(t);
        check(&scanned[i]);
    }
}

static void test_corners_agree_with_jansson(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
        int oom = 1;
        json_t *t = gmw_json_scan(declined[i].text, declined[i].len, &oom);
        if (t != NULL)
            fail_msg("the scanner accepted a corner it must leave to jansson: %.*s",
                     (int)declined[i].len, declined[i].text);
        assert_int_equal(oom, 0);
        check(&declined[i]);
    }
}

static void test_duplicate_keys_keep_last_value(void **state)
{
    (void)state;
    json_error_t e;
    json_t *t = gmw_json_loadb("{\"a\":1,\"b\":2,\"a\":3}", 19, &e);
    assert_non_null(t);
    char *text = json_dumps(t, JSON_COMPACT);
    assert_string_equal(text, "{\"a\":3,\"b\":2}");
    free(text);
    json_decref(t);
}

/* Nesting: within the scanner's limit, past it (jansson's 2048 decides), and a depth bomb. */
static void test_depth(void **state)
{
    (void)state;
    size_t depths[] = {511, 512, 513, 2047, 2048, 2049, 100000};
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        size_t n = depths[d];
        char *buf = malloc(2 * n);
        assert_non_null(buf);
        memset(buf, '[', n);
        memset(buf + n, ']', n);
        input in = {buf, 2 * n};
        check(&in);
        int oom;
        json_t *t = gmw_json_scan(buf, 2 * n, &oom);
        if (n <= 512)
            assert_non_null(t);
        else
            assert_null(t);
        json_decref(t);
        /* unterminated bomb */
        in.len = n;
        check(&in);
        free(buf);
    }
    json_error_t e;
    char bomb[3000];
    memset(bomb, '[', sizeof bomb);
    assert_null(gmw_json_loadb(bomb, sizeof bomb, &e));
    assert_int_equal(strncmp(e.text, "maximum parsing depth reached", 29), 0);
}

/* Long escaped strings (heap decode) and long keys. */
static void test_long_strings(void **state)
{
    (void)state;
    size_t n = 5000;
    char *buf = malloc(n * 6 + 64);
    assert_non_null(buf);
    size_t o = 0;
    o += (size_t)sprintf(buf + o, "{\"");
    for (size_t i = 0; i < n / 10; i++)
        o += (size_t)sprintf(buf + o, "k\\u00e9");
    o += (size_t)sprintf(buf + o, "\":[\"");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(buf + o, i % 3 ? "x" : "\\n");
    o += (size_t)sprintf(buf + o, "\"]}");
    input in = {buf, o};
    int oom;
    json_t *t = gmw_json_scan(buf, o, &oom);
    assert_non_null(t);
    json_decref(t);
    check(&in);
    free(buf);
}

/* Every admission fixture: the scanner reads it, and agrees with jansson. */
static void test_fixture_reviews(void **state)
{
    (void)state;
    const char *dirs[] = {GMW_TEST_SRC_DIR "/tests/fixtures/admission",
                          GMW_TEST_SRC_DIR "/tests/fixtures/variants",
                          GMW_TEST_SRC_DIR "/bench/reviews"};
    size_t files = 0;
    for (size_t d = 0; d < 3; d++) {
        DIR *dir = opendir(dirs[d]);
        assert_non_null(dir);
        const struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            size_t nl = strlen(de->d_name);
            if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            static char buf[1 << 20];
            size_t len = fread(buf, 1, sizeof buf, f);
            (void)fclose(f);
            input in = {buf, len};
            int oom;
            json_t *t = gmw_json_scan(buf, len, &oom);
            if (t == NULL)
                fail_msg("the scanner declined %s", path);
            json_decref(t);
            check(&in);
            files++;
        }
        closedir(dir);
    }
    assert_true(files >= 20);
}

/* The writer on values the parser never makes: controls, DEL, reals, empty containers. */
static void test_writer_matches_jansson(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:s,s:s,s:[f,f,f,f,f,f],s:{},s:[],s:I,s:b,s:n,s:s}", "ctl",
                          "\x01\x1f\x7f\b\f\n\r\t\"\\/", "utf8", "\xc3\xa9\xf0\x9f\x98\x80",
                          "reals", 0.1, -0.0, 1e300, 5e-324, 100.0, 1.5e-7, "o", "a", "i",
                          (json_int_t)-9223372036854775807LL - 1, "t", 1, "z", "k\x02ey", "v");
    assert_non_null(v);
    assert_true(gmw_same_text(v));
    json_t *real = json_real(2.5);
    assert_true(gmw_same_text(real));
    json_decref(real);
    json_decref(v);
    /* what jansson refuses to dump is refused too */
    json_t *bad = json_stringn_nocheck("\xff", 1);
    assert_true(gmw_same_text(bad));
    json_decref(bad);
}

/* The pruned loader (the sample trie of jsonload_diff.h) against jansson + deletion: dropped
 * members are still validated (a bad byte inside one rejects the body with jansson's error)
 * and the scanner itself, not the fallback, builds the trees of the valid ones. */
static void test_pruned_agrees_with_jansson(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "{\"a\":{\"x\":[1,2.5,true,null,\"s\\n\\u00e9\"]},\"k\":1}",
        "{\"b\":[{\"c\":1,\"e\":2},{\"e\":3},4,{\"c\":{\"deep\":[[[]]]}}]}",
        "{\"a\":1,\"k\":2,\"a\":3}",          /* a duplicated dropped member */
        "{\"b\":{\"c\":1},\"[]\":{\"d\":1}}", /* "b" not an array, "[]" a member */
        "[{\"d\":1,\"e\":2},{\"d\":[1,{}]},\"x\"]",
        "{\"k\":{\"a\":1,\"b\":[{\"c\":1}]}}", /* only from the root */
        "{\"a\":\"\\ud83d\\ude00 long \\\" escaped\"}",
    };
    static const char *const invalid[] = {
        "{\"a\":[1,}",      "{\"a\":{\"x\" 1}}", "{\"a\":\"\\x\"}",     "{\"a\":01}",
        "{\"a\":tru}",      "{\"a\":[1 2]}",     "{\"b\":[{\"c\":-}]}", "[{\"d\":\"\x01\"}]",
        "{\"a\":\"\xc3\"}", "{\"a\":1}x",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        int oom = 1;
        json_t *t = gmw_json_scan_pruned(valid[i], strlen(valid[i]), gmw_sample_prune, &oom);
        if (t == NULL)
            fail_msg("the scanner declined: %s", valid[i]);
        json_decref(t);
        const char *why = gmw_jsonload_diff_pruned(valid[i], strlen(valid[i]));
        if (why != NULL)
            fail_msg("%s: %s", why, valid[i]);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        json_error_t e;
        assert_null(gmw_json_loadb_pruned(invalid[i], strlen(invalid[i]), gmw_sample_prune, &e));
        const char *why = gmw_jsonload_diff_pruned(invalid[i], strlen(invalid[i]));
        if (why != NULL)
            fail_msg("%s: %s", why, invalid[i]);
    }
    /* a depth bomb inside a dropped member: declined by the scanner, rejected by jansson */
    char bomb[2 * 3000 + 16];
    size_t o = 0;
    o += (size_t)snprintf(bomb, sizeof bomb, "{\"a\":");
    for (int i = 0; i < 3000; i++)
        bomb[o++] = '[';
    for (int i = 0; i < 3000; i++)
        bomb[o++] = ']';
    bomb[o++] = '}';
    const char *why = gmw_jsonload_diff_pruned(bomb, o);
    if (why != NULL)
        fail_msg("%s: the depth bomb", why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_accepts_plain_json),
        cmocka_unit_test(test_corners_agree_with_jansson),
        cmocka_unit_test(test_duplicate_keys_keep_last_value),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_fixture_reviews),
        cmocka_unit_test(test_writer_matches_jansson),
        cmocka_unit_test(test_pruned_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
