/*
 * test_yamledit.c - JSON Patch ops as YAML text (webhook/manifest/yamledit.h): each case is
 * the input, the patch and the exact expected bytes (written by hand from the contract: the
 * file's indentation, sequence style, quotes and line endings), then the refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "yamledit.h"

static char *edit(const char *in, const char *patches_json, char *err, size_t errcap)
{
    json_t *patches = json_loads(patches_json, 0, NULL);
    assert_non_null(patches);
    size_t len = 0;
    char *out = gmw_yaml_edit(in, strlen(in), "t.yaml", patches, &len, err, errcap);
    json_decref(patches);
    if (out != NULL)
        assert_int_equal(len, strlen(out));
    return out;
}

static const struct {
    const char *in, *patches, *want;
} cases[] = {
    /* a new key after the mapping's last line, a trailing comment kept */
    {"a:\n  b: 1   # c\n# after\nz: 2\n",
     "[[{\"op\":\"add\",\"path\":\"/a/env\",\"value\":[{\"name\":\"X\",\"value\":\"100\"}]}]]",
     "a:\n  b: 1   # c\n  env:\n  - name: X\n    value: \"100\"\n# after\nz: 2\n"},
    /* indented sequence style and single quotes are the file's */
    {"l:\n  - name: 'a'\n    value: 'b'\n",
     "[[{\"op\":\"add\",\"path\":\"/l/-\",\"value\":{\"name\":\"GOGC\",\"value\":\"100\"}}]]",
     "l:\n  - name: 'a'\n    value: 'b'\n  - name: GOGC\n    value: '100'\n"},
    /* a key YAML 1.1 reads as a boolean is quoted */
    {"a:\n  b: 1\n", "[[{\"op\":\"add\",\"path\":\"/a/n\",\"value\":\"on\"}]]",
     "a:\n  b: 1\n  \"n\": \"on\"\n"},
    /* a replaced scalar keeps its quotes; an empty value gets a space */
    {"a: \"x\"\nb:\nc: 1\n",
     "[[{\"op\":\"replace\",\"path\":\"/a\",\"value\":\"y\"},"
     "{\"op\":\"add\",\"path\":\"/b\",\"value\":\"2Gi\"}]]",
     "a: \"y\"\nb: 2Gi\nc: 1\n"},
    /* flow collections get JSON */
    {"m: {a: 1}\ns: []\n",
     "[[{\"op\":\"add\",\"path\":\"/m/b\",\"value\":{\"c\":\"d\"}},"
     "{\"op\":\"add\",\"path\":\"/s/-\",\"value\":\"x\"}]]",
     "m: {a: 1, b: {\"c\":\"d\"}}\ns: [\"x\"]\n"},
    /* CRLF and no final line break; deeper block first at one offset */
    {"a:\r\n  b:\r\n    c: 1",
     "[[{\"op\":\"add\",\"path\":\"/a/xx\",\"value\":\"1\"},"
     "{\"op\":\"add\",\"path\":\"/a/b/yy\",\"value\":\"2\"}]]",
     "a:\r\n  b:\r\n    c: 1\r\n    yy: \"2\"\r\n  xx: \"1\"\r\n"},
    /* empty and null documents have no patch; other documents stay byte-identical */
    {"# only a comment\n---\n---\nk: &x v # anchor\n---\nnull\n",
     "[[{\"op\":\"add\",\"path\":\"/nn\",\"value\":\"w\"}]]",
     "# only a comment\n---\n---\nk: &x v # anchor\nnn: w\n---\nnull\n"},
    /* keys and values that need quotes; a non-string scalar */
    {"a:\n  b: 1\n",
     "[[{\"op\":\"add\",\"path\":\"/a/gomemlimit.io~1status\",\"value\":\"{\\\"x\\\":1}\"},"
     "{\"op\":\"add\",\"path\":\"/a/num\",\"value\":5}]]",
     "a:\n  b: 1\n  gomemlimit.io/status: \"{\\\"x\\\":1}\"\n  num: 5\n"},
};

static void test_cases(void **state)
{
    (void)state;
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = edit(cases[i].in, cases[i].patches, err, sizeof err);
        if (out == NULL)
            fail_msg("case %zu: %s", i, err);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu:\n got: [%s]\nwant: [%s]", i, out, cases[i].want);
        free(out);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *in, *patches, *why;
    } bad[] = {
        {"a: 1\n", "[[{\"op\":\"remove\",\"path\":\"/a\"}]]", "cannot be applied as text"},
        {"a: &x {b: 1}\nc: *x\n", "[[{\"op\":\"add\",\"path\":\"/c/d\",\"value\":1}]]", "alias"},
        {"a:\n  b: 1\n", "[[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1}]]", "only scalars"},
        {"a: |\n  text\n", "[[{\"op\":\"replace\",\"path\":\"/a\",\"value\":\"x\"}]]",
         "only scalars"},
        {"a: 1\n", "[[{\"op\":\"add\",\"path\":\"/q/r\",\"value\":1}]]", "no such node"},
        {"a: 1\n", "[[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]]", "not a JSON pointer"},
        {"a: 1\n", "[[], []]", "1 documents but 2 patches"},
        {"a: 1\n---\nb: 2\n", "[[]]", "more documents than patches"},
        {"\xEF\xBB\xBF"
         "a: 1\n",
         "[[]]", "byte order mark"},
        {"a: [1\n", "[[]]", "t.yaml:"},
        {"l:\n- 1\n", "[[{\"op\":\"add\",\"path\":\"/l/0\",\"value\":2}]]", "cannot insert"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = edit(bad[i].in, bad[i].patches, err, sizeof err);
        if (out != NULL)
            fail_msg("case %zu accepted: %s", i, out);
        if (strstr(err, bad[i].why) == NULL)
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, bad[i].why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
