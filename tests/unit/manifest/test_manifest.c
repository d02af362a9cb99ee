/*
 * test_manifest.c - YAML/JSON streams <-> jansson trees (webhook/manifest/manifest.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#include "failing_alloc.h"

/* The result code of the last call through the wrappers below (0 or -errno). */
static int last_rc;

/* gmw_manifest_parse etc. as "documents or NULL", checking that NULL comes with -errno. */
static json_t *check_docs(int rc, json_t *docs)
{
    last_rc = rc;
    assert_true(rc == 0 ? docs != NULL : docs == NULL && rc < 0);
    return docs;
}

static json_t *yaml_stream(const char *buf, size_t len, const char *name, char *err, size_t cap)
{
    json_t *docs = NULL;
    int rc = gmw_yaml_parse_stream(buf, len, name, &docs, err, cap);
    return check_docs(rc, docs);
}

static json_t *manifest_parse(const char *buf, size_t len, const char *name,
                              gmw_manifest_format *format, char *err, size_t cap)
{
    json_t *docs = NULL;
    int rc = gmw_manifest_parse(buf, len, name, format, &docs, err, cap);
    return check_docs(rc, docs);
}

static char *check_text(int rc, char *text)
{
    last_rc = rc;
    assert_true(rc == 0 ? text != NULL : text == NULL && rc < 0);
    return text;
}

static char *yaml_emit(const json_t *docs, size_t *len, char *err, size_t cap)
{
    char *text = NULL;
    int rc = gmw_yaml_emit(docs, &text, len, err, cap);
    return check_text(rc, text);
}

static char *json_emit(const json_t *doc, size_t *len, char *err, size_t cap)
{
    char *text = NULL;
    int rc = gmw_json_emit(doc, &text, len, err, cap);
    return check_text(rc, text);
}

/* Parse YAML text; fail the test with the error when it does not parse. */
static json_t *yaml_ok(const char *text)
{
    char err[512] = "";
    json_t *docs = yaml_stream(text, strlen(text), "t.yaml", err, sizeof(err));
    if (docs == NULL)
        fail_msg("unexpected error: %s", err);
    return docs;
}

/* Parse the one document in text. */
static json_t *yaml_doc(const char *text)
{
    json_t *docs = yaml_ok(text);
    assert_int_equal(json_array_size(docs), 1);
    json_t *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return doc;
}

/* Expect text to fail with an error that starts with `prefix` and contains `part`. */
static void yaml_err(const char *text, const char *prefix, const char *part)
{
    char err[512] = "";
    json_t *docs = yaml_stream(text, strlen(text), "t.yaml", err, sizeof(err));
    if (docs != NULL) {
        char *dump = json_dumps(docs, JSON_COMPACT);
        fail_msg("expected an error for <<%s>>, got %s", text, dump);
    }
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, part) == NULL)
        fail_msg("error <<%s>> does not start with <<%s>> or lacks <<%s>>", err, prefix, part);
}

/* Compare a tree with the compact JSON text `want`. */
static void assert_json(const json_t *got, const char *want)
{
    json_error_t jerr;
    json_t *w = json_loads(want, 0, &jerr);
    if (w == NULL)
        fail_msg("bad expectation %s: %s", want, jerr.text);
    if (!json_equal(got, w)) {
        char *dump = json_dumps(got, JSON_COMPACT);
        fail_msg("got %s, want %s", dump, want);
    }
    json_decref(w);
}

/* The value of `value: <plain>` resolved, as compact JSON. */
static void check_plain(const char *plain, const char *want_json)
{
    char text[256];
    snprintf(text, sizeof(text), "value: %s\n", plain);
    json_t *doc = yaml_doc(text);
    json_t *arr = json_pack("[O]", json_object_get(doc, "value"));
    char want[256];
    snprintf(want, sizeof(want), "[%s]", want_json);
    assert_json(arr, want);
    json_decref(arr);
    json_decref(doc);
}

static void test_plain_scalars_resolve_like_kubectl(void **state)
{
    (void)state;
    static const struct {
        const char *plain, *json;
    } cases[] = {
        {"", "null"},
        {"~", "null"},
        {"null", "null"},
        {"Null", "null"},
        {"NULL", "null"},
        {"nULL", "\"nULL\""},
        {"true", "true"},
        {"True", "true"},
        {"TRUE", "true"},
        {"false", "false"},
        {"yes", "true"},
        {"Yes", "true"},
        {"on", "true"},
        {"ON", "true"},
        {"y", "true"},
        {"Y", "true"},
        {"no", "false"},
        {"off", "false"},
        {"n", "false"},
        {"N", "false"},
        {"tRue", "\"tRue\""},
        {"0", "0"},
        {"-0", "0"},
        {"42", "42"},
        {"+42", "42"},
        {"-42", "-42"},
        {"1_000", "1000"},
        {"0644", "420"},
        {"0o17", "15"},
        {"0x1F", "31"},
        {"-0x10", "-16"},
        {"0b101", "5"},
        {"08", "8"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"1e3", "1000"},
        {"1.0", "1"},
        {"1.", "1"},
        {"0.9", "0.9"},
        {".5", "0.5"},
        {"._5", "\"._5\""},
        {"1_0.5", "10.5"},
        {"-1.5e-3", "-0.0015"},
        {"1e400", "\"1e400\""},
        {"512Mi", "\"512Mi\""},
        {"100m", "\"100m\""},
        {"1.5Gi", "\"1.5Gi\""},
        {"2001-12-14", "\"2001-12-14\""},
        {"2001-12-14T21:59:43.10-05:00", "\"2001-12-14T21:59:43.10-05:00\""},
        {"1:20", "\"1:20\""},
        {"0x", "\"0x\""},
        {"0xZZ", "\"0xZZ\""},
        {"1.2.3", "\"1.2.3\""},
        {"+", "\"+\""},
        {".", "\".\""},
        {"hello world", "\"hello world\""},
        {"äöü", "\"äöü\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_plain(cases[i].plain, cases[i].json);
}

static void test_quoted_and_tagged_scalars(void **state)
{
    (void)state;
    json_t *doc = yaml_doc("a: \"100\"\nb: 'true'\nc: \"\"\nd: !!str 0644\ne: !!int \"12\"\n"
                           "f: |\n  line1\n  line2\ng: >-\n  folded\n  text\nh: ! 12\n"
                           "i: !!float 1.5\nj: !!bool yes\nk: !!null ~\n");
    assert_json(doc, "{\"a\":\"100\",\"b\":\"true\",\"c\":\"\",\"d\":\"0644\",\"e\":12,"
                     "\"f\":\"line1\\nline2\\n\",\"g\":\"folded text\",\"h\":\"12\","
                     "\"i\":1.5,\"j\":true,\"k\":null}");
    json_decref(doc);
}

static void test_plain_resolution_errors(void **state)
{
    (void)state;
    yaml_err("a: .inf\n", "t.yaml:1:4: ", "cannot be represented in JSON");
    yaml_err("a: -.Inf\n", "t.yaml:1:4: ", "JSON");
    yaml_err("a:\n  b: .nan\n", "t.yaml:2:6: ", "JSON");
    yaml_err("a: 9223372036854775808\n", "t.yaml:1:4: ", "64-bit");
    yaml_err("a: -9223372036854775809\n", "t.yaml:1:4: ", "64-bit");
    yaml_err("a: !!int abc\n", "t.yaml:1:4: ", "not a valid !!int");
    yaml_err("a: !!bool 1\n", "t.yaml:1:4: ", "!!bool");
    yaml_err("a: !custom x\n", "t.yaml:1:4: ", "unsupported tag \"!custom\"");
    yaml_err("a: !!binary aGVsbG8=\n", "t.yaml:1:4: ", "unsupported tag");
    yaml_err("a: !!set {x}\n", "t.yaml:1:4: ", "unsupported tag");
}

static void test_key_order_and_structure(void **state)
{
    (void)state;
    json_t *doc = yaml_doc("zeta: 1\nalpha:\n  - b\n  - {x: [1, 2], yy: {}}\nmid: []\n");
    assert_json(doc, "{\"zeta\":1,\"alpha\":[\"b\",{\"x\":[1,2],\"yy\":{}}],\"mid\":[]}");
    const char *expected_order[] = {"zeta", "alpha", "mid"};
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach(doc, key, val)
    {
        assert_string_equal(key, expected_order[n]);
        n++;
    }
    assert_int_equal(n, 3);
    json_decref(doc);
}

static void test_keys_resolve_like_kubectl(void **state)
{
    (void)state;
    /* go-yaml turns plain keys into bool/int and sigs.k8s.io/yaml back into strings. */
    json_t *doc = yaml_doc("y: 1\n0x10: 2\n\"y2\": 3\n'on': 4\n1.5: 5\n");
    assert_json(doc, "{\"true\":1,\"16\":2,\"y2\":3,\"on\":4,\"1.5\":5}");
    json_decref(doc);
    yaml_err("~: 1\n", "t.yaml:1:1: ", "mapping key must be a string, not null");
    yaml_err("[a]: 1\n", "t.yaml:1:1: ", "mapping keys must be scalars");
    yaml_err("? {a: 1}\n: 2\n", "t.yaml:1:3: ", "mapping keys must be scalars");
}

static void test_multi_document_stream(void **state)
{
    (void)state;
    json_t *docs = yaml_ok("# leading comment\n---\na: 1\n---\n# only a comment\n---\n"
                           "---\nb: 2\n...\n---\n~\n---\n- 3\n");
    assert_json(docs, "[{\"a\":1},{\"b\":2},[3]]");
    json_decref(docs);
    docs = yaml_ok("");
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    docs = yaml_ok("a: 1\n");
    assert_json(docs, "[{\"a\":1}]");
    json_decref(docs);
}

static void test_duplicate_keys_are_errors(void **state)
{
    (void)state;
    yaml_err("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: ", "duplicate key \"a\"");
    yaml_err("spec:\n  containers: []\n  x: 1\n  containers: []\n",
             "t.yaml:4:3: ", "duplicate key \"containers\"");
    /* "y" and "true" are the same key for kubectl. */
    yaml_err("true: 1\ny: 2\n", "t.yaml:2:1: ", "duplicate key \"true\"");
    yaml_err("{\"a\": 1, \"a\": 2}\n", "t.yaml:1:10: ", "duplicate key");
}

static void test_syntax_errors_have_positions(void **state)
{
    (void)state;
    yaml_err("a: 1\n  b: 2\n", "t.yaml:2:4: ", "mapping values are not allowed");
    yaml_err("a:\n\t- b\n", "t.yaml:2:1: ", "cannot start any token");
    yaml_err("key: [1, 2\nnext: 3\n", "t.yaml:", "flow sequence");
    yaml_err("a: \"unterminated\n", "t.yaml:", "unexpected end of stream");
    yaml_err("a: b\n- c\n", "t.yaml:2:1: ", "did not find expected key");
    /* Invalid UTF-8 is a reader error: position from the byte offset. */
    yaml_err("a: ok\nb: \xff\n", "t.yaml:2:4: ", "invalid leading UTF-8 octet");
    /* NUL is a control character. */
    static const char nul_text[] = "a: x\0y\n";
    char err[256];
    json_t *docs = yaml_stream(nul_text, sizeof(nul_text) - 1, "t.yaml", err, sizeof(err));
    assert_null(docs);
    assert_non_null(strstr(err, "t.yaml:1:"));
}

static void test_anchors_aliases_and_merges(void **state)
{
    (void)state;
    json_t *doc = yaml_doc("base: &b {cpu: 1, memory: 2}\ncopy: *b\nlist: [&x 5, *x]\n"
                           "merged:\n  <<: *b\n  memory: 3\n"
                           "multi:\n  <<: [{a: 1}, {a: 2, b: 2}]\n  c: 3\n");
    assert_json(doc, "{\"base\":{\"cpu\":1,\"memory\":2},\"copy\":{\"cpu\":1,\"memory\":2},"
                     "\"list\":[5,5],\"merged\":{\"memory\":3,\"cpu\":1},"
                     "\"multi\":{\"c\":3,\"a\":1,\"b\":2}}");
    /* An alias is a copy: changing it does not change the anchored value. */
    json_object_set_new(json_object_get(doc, "copy"), "cpu", json_integer(9));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "base"), "cpu")), 1);
    json_decref(doc);
    /* Explicit keys before a merge also win. */
    doc = yaml_doc("a: &m {x: 1, z: 1}\nb:\n  x: 2\n  <<: *m\n");
    assert_json(json_object_get(doc, "b"), "{\"x\":2,\"z\":1}");
    json_decref(doc);
    yaml_err("a: *nope\n", "t.yaml:1:4: ", "unknown anchor \"nope\"");
    yaml_err("a: &s [1, *s]\n", "t.yaml:1:11: ", "unknown anchor");
    yaml_err("a: {<<: 5}\n", "t.yaml:1:9: ", "merge (<<) value must be a mapping");
    /* Anchors do not cross documents. */
    yaml_err("a: &x 1\n---\nb: *x\n", "t.yaml:3:4: ", "unknown anchor");
}

static void test_billion_laughs_is_refused(void **state)
{
    (void)state;
    char text[4096];
    size_t off = 0;
    off += (size_t)snprintf(text + off, sizeof(text) - off, "l0: &l0 [lol, lol, lol, lol]\n");
    for (int i = 1; i <= 12; i++) {
        off += (size_t)snprintf(text + off, sizeof(text) - off,
                                "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i,
                                i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    }
    yaml_err(text, "t.yaml:", "aliases expand to more than 1048576 nodes");

    /* Aliases within the budget are fine: a 1000-item anchor used 100 times. */
    size_t cap = 16 * 1024;
    char *big = malloc(cap);
    assert_non_null(big);
    off = (size_t)snprintf(big, cap, "a: &a [");
    for (int i = 0; i < 1000; i++)
        off += (size_t)snprintf(big + off, cap - off, "%s%d", i ? "," : "", i);
    off += (size_t)snprintf(big + off, cap - off, "]\nb: [");
    for (int i = 0; i < 100; i++)
        off += (size_t)snprintf(big + off, cap - off, "%s*a", i ? "," : "");
    snprintf(big + off, cap - off, "]\n");
    json_t *doc = yaml_doc(big);
    assert_int_equal(json_array_size(json_object_get(doc, "b")), 100);
    assert_int_equal(json_array_size(json_array_get(json_object_get(doc, "b"), 99)), 1000);
    json_decref(doc);
    free(big);
}

static void test_depth_is_capped(void **state)
{
    (void)state;
    size_t n = GMW_MANIFEST_MAX_DEPTH + 10;
    char *text = malloc(2 * n + 2);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        text[i] = '[';
    for (size_t i = 0; i < n; i++)
        text[n + i] = ']';
    text[2 * n] = '\n';
    text[2 * n + 1] = '\0';
    yaml_err(text, "t.yaml:1:", "nesting deeper than");
    free(text);
    /* ... also when an alias would build the depth: an anchor 200 deep used 200 deep. */
    size_t half = 200;
    text = malloc(8 * half + 64);
    assert_non_null(text);
    size_t off = 0;
    off += (size_t)snprintf(text + off, 16, "a: &a ");
    for (size_t i = 0; i < half; i++)
        text[off++] = '[';
    text[off++] = '1';
    for (size_t i = 0; i < half; i++)
        text[off++] = ']';
    off += (size_t)snprintf(text + off, 16, "\nb: ");
    for (size_t i = 0; i < half; i++)
        text[off++] = '[';
    off += (size_t)snprintf(text + off, 16, "*a");
    for (size_t i = 0; i < half; i++)
        text[off++] = ']';
    text[off++] = '\n';
    text[off] = '\0';
    yaml_err(text, "t.yaml:2:", "nesting deeper than 256 levels (after aliases)");
    free(text);
    /* A reasonable depth is fine. */
    json_t *doc = yaml_doc("a: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]\n");
    json_decref(doc);
}

/* JSON input */

static void test_json_stream(void **state)
{
    (void)state;
    char err[256];
    gmw_manifest_format fmt = GMW_MANIFEST_YAML;
    const char *text = "  {\"kind\": \"Pod\", \"n\": 1.5}\n{\"kind\":\"Service\"}{\"a\":[]}\n";
    json_t *docs = manifest_parse(text, strlen(text), "in.json", &fmt, err, sizeof(err));
    assert_non_null(docs);
    assert_int_equal(fmt, GMW_MANIFEST_JSON);
    assert_json(docs, "[{\"kind\":\"Pod\",\"n\":1.5},{\"kind\":\"Service\"},{\"a\":[]}]");
    json_decref(docs);

    /* YAML when the first non-blank character is not '{'. */
    text = "\xEF\xBB\xBF\n# c\nkind: Pod\n";
    docs = manifest_parse(text, strlen(text), "in", &fmt, err, sizeof(err));
    assert_non_null(docs);
    assert_int_equal(fmt, GMW_MANIFEST_YAML);
    assert_json(docs, "[{\"kind\":\"Pod\"}]");
    json_decref(docs);
}

/* Found by fuzz/fuzz_manifest.c (fuzz/regressions/manifest/integral-reals.json): a JSON 1.0
 * was a real, the YAML written from it read back as the integer 1. Both readers now give
 * integers for whole numbers up to 2^53, as kubectl's JSON does; the YAML round trip is a
 * fixed point. */
static void test_json_whole_number_reals_are_integers(void **state)
{
    (void)state;
    char err[256];
    const char *text = "{\"a\": 1.0, \"b\": -0.0, \"c\": 1.5, \"d\": 1e3, \"e\": 1e300,"
                       " \"f\": [2.0, {\"g\": 9007199254740992.0}, 9007199254740994.0]}";
    json_t *docs = NULL;
    assert_int_equal(
        gmw_manifest_parse(text, strlen(text), "in.json", NULL, &docs, err, sizeof(err)), 0);
    const json_t *d = json_array_get(docs, 0);
    assert_true(json_is_integer(json_object_get(d, "a")));
    assert_int_equal(json_integer_value(json_object_get(d, "a")), 1);
    assert_true(json_is_integer(json_object_get(d, "b")));
    assert_int_equal(json_integer_value(json_object_get(d, "b")), 0);
    assert_true(json_is_real(json_object_get(d, "c")));
    assert_int_equal(json_integer_value(json_object_get(d, "d")), 1000);
    assert_true(json_is_real(json_object_get(d, "e")));
    const json_t *f = json_object_get(d, "f");
    assert_int_equal(json_integer_value(json_array_get(f, 0)), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "g")),
                     9007199254740992LL);
    assert_true(json_is_real(json_array_get(f, 2))); /* beyond 2^53: stays a real */

    /* The same document through YAML and back is unchanged. */
    char *yaml = NULL;
    assert_int_equal(gmw_yaml_emit(docs, &yaml, NULL, err, sizeof(err)), 0);
    json_t *back = NULL;
    assert_int_equal(
        gmw_manifest_parse(yaml, strlen(yaml), "out.yaml", NULL, &back, err, sizeof(err)), 0);
    assert_true(json_equal(back, docs));
    json_decref(back);
    free(yaml);
    json_decref(docs);
}

static void json_err(const char *text, const char *prefix, const char *part)
{
    char err[256] = "";
    json_t *docs = manifest_parse(text, strlen(text), "in.json", NULL, err, sizeof(err));
    if (docs != NULL)
        fail_msg("expected an error for %s", text);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, part) == NULL)
        fail_msg("error <<%s>> does not start with <<%s>> or lacks <<%s>>", err, prefix, part);
}

static void test_json_errors_have_positions(void **state)
{
    (void)state;
    json_err("{\"a\": 1, \"a\": 2}", "in.json:1:", "duplicate object key");
    json_err("{\"a\": 1}\n{\"b\": \n  tru}\n", "in.json:3:", "invalid token");
    json_err("{\"a\": 1}\n  {\"b\": 2} x\n", "in.json:2:", "'[' or '{' expected");
    json_err("{\"a\": 99999999999999999999}", "in.json:1:", "too big integer");
    json_err("{\"a\": \"\\u0000\"}", "in.json:1:", "\\u0000 is not allowed");
    json_err("{\"a\": 1", "in.json:1:", "");
}

/* Emitting */

static char *emit_yaml(const char *json_docs)
{
    json_error_t jerr;
    char err[256];
    json_t *docs = json_loads(json_docs, 0, &jerr);
    if (docs == NULL)
        fail_msg("bad test input %s: %s", json_docs, jerr.text);
    char *out = yaml_emit(docs, NULL, err, sizeof(err));
    if (out == NULL)
        fail_msg("emit failed: %s", err);
    json_decref(docs);
    return out;
}

static void test_emit_block_yaml(void **state)
{
    (void)state;
    char *out = emit_yaml("[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
                          "\"labels\":{}},\"spec\":{\"containers\":[{\"name\":\"app\","
                          "\"resources\":{\"limits\":{\"memory\":\"512Mi\"}},\"ports\":"
                          "[{\"containerPort\":8080}]}],\"volumes\":[]}}]");
    assert_string_equal(out, "apiVersion: v1\n"
                             "kind: Pod\n"
                             "metadata:\n"
                             "  name: web\n"
                             "  labels: {}\n"
                             "spec:\n"
                             "  containers:\n"
                             "  - name: app\n"
                             "    resources:\n"
                             "      limits:\n"
                             "        memory: 512Mi\n"
                             "    ports:\n"
                             "    - containerPort: 8080\n"
                             "  volumes: []\n");
    free(out);
    out = emit_yaml("[{\"a\":1},{\"b\":2},[]]");
    assert_string_equal(out, "a: 1\n---\nb: 2\n--- []\n");
    free(out);
    out = emit_yaml("[]");
    assert_string_equal(out, "");
    free(out);
}

static void test_emit_quotes_ambiguous_strings(void **state)
{
    (void)state;
    static const char *const ambiguous[] = {"true",
                                            "false",
                                            "True",
                                            "yes",
                                            "no",
                                            "on",
                                            "off",
                                            "Y",
                                            "n",
                                            "y",
                                            "null",
                                            "Null",
                                            "~",
                                            "",
                                            "100",
                                            "-5",
                                            "+5",
                                            "1.0",
                                            "0.9",
                                            ".5",
                                            "1e3",
                                            "1_000",
                                            "0x1F",
                                            "0o17",
                                            "0644",
                                            "0b11",
                                            "08",
                                            ".inf",
                                            "-.Inf",
                                            ".nan",
                                            "2001-12-14",
                                            "2001-12-14T21:59:43Z",
                                            "1:20",
                                            "190:20:30",
                                            "<<",
                                            "=",
                                            "9223372036854775808",
                                            "._5",
                                            "0b_",
                                            "0x",
                                            "1__",
                                            "0.9.1",
                                            "1e",
                                            "-",
                                            NULL};
    for (size_t i = 0; ambiguous[i] != NULL; i++) {
        if (!gmw_yaml_plain_is_ambiguous(ambiguous[i], strlen(ambiguous[i])))
            fail_msg("\"%s\" should count as ambiguous", ambiguous[i]);
        char json[128];
        snprintf(json, sizeof(json), "[{\"k\":\"%s\"}]", ambiguous[i]);
        char *out = emit_yaml(json);
        char want[128];
        snprintf(want, sizeof(want), "k: \"%s\"\n", ambiguous[i]);
        assert_string_equal(out, want);
        free(out);
    }
    static const char *const plain[] = {"512Mi",  "100m",       "1.5Gi", "web",       "GOMEMLIMIT",
                                        "460MiB", "nginx:1.25", "a b",   "1.2.3-rc1", "tRue",
                                        "v1",     "1Gi",        NULL};
    for (size_t i = 0; plain[i] != NULL; i++) {
        if (gmw_yaml_plain_is_ambiguous(plain[i], strlen(plain[i])))
            fail_msg("\"%s\" should not count as ambiguous", plain[i]);
        char json[128];
        snprintf(json, sizeof(json), "[{\"k\":\"%s\"}]", plain[i]);
        char *out = emit_yaml(json);
        char want[128];
        snprintf(want, sizeof(want), "k: %s\n", plain[i]);
        assert_string_equal(out, want);
        free(out);
    }
    /* Keys too. */
    char *out = emit_yaml("[{\"true\":1,\"y\":2,\"80\":3}]");
    assert_string_equal(out, "\"true\": 1\n\"y\": 2\n\"80\": 3\n");
    free(out);
}

static void test_emit_scalars(void **state)
{
    (void)state;
    char *out = emit_yaml("[{\"i\":-7,\"r\":0.1,\"big\":1.5e300,\"whole\":2.0,\"t\":true,"
                          "\"f\":false,\"z\":null,\"u\":\"h\\u00e9llo \\u2603\"}]");
    assert_string_equal(out, "i: -7\nr: 0.1\nbig: 1.5e+300\nwhole: 2.0\nt: true\nf: false\n"
                             "z: null\nu: h\xc3\xa9llo \xe2\x98\x83\n");
    free(out);
    /* Multi-line strings become literal blocks; a long line is not folded. */
    out = emit_yaml("[{\"script\":\"set -e\\necho hi\\n\"}]");
    assert_string_equal(out, "script: |\n  set -e\n  echo hi\n");
    free(out);
    char json[700];
    char longs[501];
    memset(longs, 'x', 500);
    longs[500] = '\0';
    longs[250] = ' ';
    snprintf(json, sizeof(json), "[{\"a\":\"%s\"}]", longs);
    out = emit_yaml(json);
    assert_int_equal(strlen(out), strlen("a: \n") + 500);
    free(out);
}

/* Emit then parse again: the tree comes back equal. */
static void roundtrip(const char *json_docs)
{
    json_error_t jerr;
    char err[256];
    json_t *docs = json_loads(json_docs, 0, &jerr);
    if (docs == NULL)
        fail_msg("bad test input %s: %s", json_docs, jerr.text);
    char *out = yaml_emit(docs, NULL, err, sizeof(err));
    assert_non_null(out);
    if (out == NULL)
        return; /* not reached: cmocka's _fail() is not declared noreturn */
    json_t *back = yaml_stream(out, strlen(out), "rt", err, sizeof(err));
    if (back == NULL)
        fail_msg("re-parse failed: %s\n%s", err, out);
    if (!json_equal(docs, back)) {
        char *a = json_dumps(docs, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
        fail_msg("round trip changed\n%s\ninto\n%s\nvia\n%s", a, b, out);
    }
    json_decref(back);
    json_decref(docs);
    free(out);
}

/* Found by fuzz/fuzz_manifest.c (fuzz/regressions/manifest/empty-maps.json): two empty
 * objects were written as "{}\n--- {}\n", which starts with '{' and so was read back as
 * (invalid) JSON by gmw_manifest_parse, what `mutate -f` uses. A first document that is an
 * empty mapping now starts with "---". */
static void test_yaml_output_never_sniffed_as_json(void **state)
{
    (void)state;
    static const char *const cases[] = {"[{}, {}]", "[{}]", "[{}, {\"a\": 1}]", "[[], {}]"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256];
        json_t *docs = json_loads(cases[i], 0, NULL);
        assert_non_null(docs);
        char *out = NULL;
        assert_int_equal(gmw_yaml_emit(docs, &out, NULL, err, sizeof(err)), 0);
        gmw_manifest_format fmt = GMW_MANIFEST_JSON;
        json_t *back = NULL;
        if (gmw_manifest_parse(out, strlen(out), "out", &fmt, &back, err, sizeof(err)) != 0)
            fail_msg("%s written as\n%s\ndoes not read back: %s", cases[i], out, err);
        assert_int_equal(fmt, GMW_MANIFEST_YAML);
        assert_true(json_equal(back, docs));
        json_decref(back);
        json_decref(docs);
        free(out);
    }
}

static void test_yaml_round_trips(void **state)
{
    (void)state;
    roundtrip("[{\"a\":\"true\",\"b\":\"100\",\"c\":\"\",\"d\":\"null\",\"e\":\"~\",\"f\":\"0x1F\","
              "\"g\":\"1e3\",\"h\":\"yes\",\"i\":\"-\",\"j\":\"- x\",\"k\":\": x\",\"l\":\"#c\","
              "\"m\":\"a: b\",\"n\":\"a #b\",\"o\":\" lead\",\"p\":\"trail \",\"q\":\"'\","
              "\"r\":\"\\\"\",\"s\":\"*x\",\"t\":\"&x\",\"u\":\"!x\",\"v\":\"%x\",\"w\":\"@x\","
              "\"x\":\"`x\",\"y\":\"{x}\",\"z\":\"[x]\"}]");
    roundtrip("[{\"ml\":\"a\\nb\",\"ml2\":\"a\\n\\n\",\"ml3\":\"\\n\",\"ml4\":\"  indented\\nx\","
              "\"ml5\":\"trailing \\nspace\",\"tab\":\"a\\tb\",\"ctl\":\"\\u0001\\u007f\","
              "\"uni\":\"\\u00e9\\u2603\\ud83d\\ude00\",\"crlf\":\"a\\r\\nb\",\"bom\":\"\\ufeffx\","
              "\"nel\":\"a\\u0085b\",\"ls\":\"a\\u2028b\"}]");
    roundtrip("[{\"n\":[1,-2,0.5,-0.25,1e-7,123456789.125,true,false,null,[],{}]},"
              "{\"nested\":{\"a\":[{\"b\":[[1],[2,{\"c\":{}}]]}]}},[],[1],\"scalar doc\",7]");
    roundtrip("[{\"true\":1,\"null\":2,\"1\":3,\"\":4,\"a b\":5,\"k: v\":6,\"- x\":7,"
              "\"multi\\nline\":8,\"<<\":9}]");
    /* A key longer than 128 characters is written as an explicit "? key". */
    char json[600];
    char longkey[301];
    memset(longkey, 'k', 300);
    longkey[300] = '\0';
    snprintf(json, sizeof(json), "[{\"%s\":1}]", longkey);
    roundtrip(json);
}

/*
 * Robustness: every prefix of a manifest, and the manifest with each byte replaced by
 * characters that matter to YAML, either parses or fails with a positioned message;
 * whatever parses survives emit + parse unchanged.
 */
static bool parse_emit_parse(const char *text, size_t len)
{
    char err[512] = "";
    json_t *docs = yaml_stream(text, len, "fz", err, sizeof(err));
    if (docs == NULL) {
        if (strncmp(err, "fz:", 3) != 0)
            fail_msg("error without position: %s", err);
        return false;
    }
    char *out = yaml_emit(docs, NULL, err, sizeof(err));
    if (out == NULL) {
        fail_msg("cannot emit what was parsed: %s", err);
        return false; /* not reached: cmocka's _fail() is not declared noreturn */
    }
    json_t *back = yaml_stream(out, strlen(out), "rt", err, sizeof(err));
    if (back == NULL)
        fail_msg("cannot re-read own output: %s\n%s", err, out);
    if (!json_equal(docs, back))
        fail_msg("round trip changed the data:\n%.*s\n=> %s", (int)len, text, out);
    json_decref(back);
    json_decref(docs);
    free(out);
    return true;
}

static void test_mangled_input_never_crashes(void **state)
{
    (void)state;
    static const char manifest[] = "apiVersion: apps/v1\n"
                                   "kind: Deployment\n"
                                   "metadata: {name: web, labels: {app: web, tier: \"1\"}}\n"
                                   "spec:\n"
                                   "  replicas: 3\n"
                                   "  template:\n"
                                   "    metadata:\n"
                                   "      annotations:\n"
                                   "        gomemlimit.io/ratio: '0.8'\n"
                                   "        note: >\n"
                                   "          folded text\n"
                                   "          here\n"
                                   "    spec:\n"
                                   "      containers:\n"
                                   "      - &c\n"
                                   "        name: app\n"
                                   "        image: example/app:1.0 # comment\n"
                                   "        command: [sh, -c, \"echo \\\"hi\\\"\"]\n"
                                   "        args:\n"
                                   "        - |\n"
                                   "          line one\n"
                                   "            indented\n"
                                   "        resources:\n"
                                   "          limits: {memory: 512Mi, cpu: 0.5}\n"
                                   "      - <<: *c\n"
                                   "        name: second\n"
                                   "---\n"
                                   "kind: ConfigMap\n"
                                   "data: {yes: on, \"k\": ~, n: 0x1F, t: 2001-12-14, e: 1e3}\n";
    size_t len = sizeof(manifest) - 1;
    static const char replacements[] = {':', '-', '\n', '"', '\'', '&', '*', '{',  '[', '\t',
                                        '#', '|', '>',  '!', '%',  '@', ' ', '\\', '?', ','};
    char *buf = malloc(len + 1);
    assert_non_null(buf);

    size_t parsed = 0, total = 0;
    assert_true(parse_emit_parse(manifest, len));
    for (size_t n = 0; n <= len; n++)
        parse_emit_parse(manifest, n);
    for (size_t i = 0; i < len; i++) {
        for (size_t r = 0; r < sizeof(replacements); r++) {
            memcpy(buf, manifest, len);
            buf[i] = replacements[r];
            parsed += parse_emit_parse(buf, len);
            total++;
        }
        memcpy(buf, manifest, len);
        buf[i] = (char)0xC3; /* a lone UTF-8 lead byte */
        parse_emit_parse(buf, len);
    }
    /* both outcomes were exercised */
    assert_true(parsed > total / 10 && parsed < total);
    free(buf);
}

/*
 * Out of memory at every jansson allocation in turn: parsing fails cleanly with a
 * message (ASan would report a leak or a double free) or succeeds with the full result.
 */
static void test_out_of_memory_sweep(void **state)
{
    (void)state;
    static const char text[] =
        "a: &x {k: [1, 2.5, true, null, \"s\"]}\nb: *x\nc: {<<: *x, z: 1}\ny: [*x, *x]\n"
        "---\n{\"j\": [1, {\"k\": \"v\"}]}\n";
    static const char json_text[] = "{\"a\": [1, 2.5, {\"b\": null}]} {\"c\": \"d\"}";
    char err[256];
    json_t *want = yaml_ok(text);
    json_t *want_json = NULL;
    {
        json_t *w = manifest_parse(json_text, sizeof(json_text) - 1, "j", NULL, err, sizeof(err));
        assert_non_null(w);
        want_json = w;
    }
    int succeeded = 0;
    for (long budget = 0; budget < 2000 && succeeded < 3; budget++) {
        succeeded = 0;
        gmw_test_fail_allocs_after(budget);
        err[0] = '\0';
        json_t *docs = yaml_stream(text, sizeof(text) - 1, "t", err, sizeof(err));
        gmw_test_fail_allocs_after(-1);
        if (docs != NULL) {
            assert_true(json_equal(docs, want));
            succeeded++;
        } else {
            assert_true(err[0] != '\0');
            assert_int_equal(last_rc, -ENOMEM);
        }

        gmw_test_fail_allocs_after(budget);
        err[0] = '\0';
        json_t *jdocs =
            manifest_parse(json_text, sizeof(json_text) - 1, "j", NULL, err, sizeof(err));
        gmw_test_fail_allocs_after(-1);
        if (jdocs != NULL) {
            assert_true(json_equal(jdocs, want_json));
            succeeded++;
        } else {
            assert_true(err[0] != '\0');
        }

        gmw_test_fail_allocs_after(budget);
        err[0] = '\0';
        char *out = json_emit(want, NULL, err, sizeof(err));
        gmw_test_fail_allocs_after(-1);
        if (out != NULL)
            succeeded++;
        else
            assert_true(err[0] != '\0' && last_rc == -ENOMEM);

        free(out);
        json_decref(docs);
        json_decref(jdocs);
    }
    assert_int_equal(succeeded, 3);
    json_decref(want);
    json_decref(want_json);
}

static void test_json_emit(void **state)
{
    (void)state;
    char err[128];
    json_t *doc = json_pack("{s:s, s:f, s:f, s:[i]}", "kind", "Pod", "r", 0.1, "w", 2.0, "a", 1);
    char *out = json_emit(doc, NULL, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "{\n    \"kind\": \"Pod\",\n    \"r\": 0.1,\n    \"w\": 2.0,\n"
                             "    \"a\": [\n        1\n    ]\n}\n");
    free(out);
    json_decref(doc);
    doc = json_pack("{s:f}", "third", 1.0 / 3.0);
    out = json_emit(doc, NULL, err, sizeof(err));
    assert_non_null(out);
    /* the shortest form that reads back exactly (16 digits), not %.17g's 0.33333333333333331 */
    assert_string_equal(out, "{\n    \"third\": 0.3333333333333333\n}\n");
    free(out);
    json_decref(doc);
}

static void test_emit_rejects_non_array(void **state)
{
    (void)state;
    char err[128];
    json_t *obj = json_object();
    assert_null(yaml_emit(obj, NULL, err, sizeof(err)));
    assert_int_equal(last_rc, -EINVAL);
    assert_non_null(strstr(err, "array"));
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_scalars_resolve_like_kubectl),
        cmocka_unit_test(test_quoted_and_tagged_scalars),
        cmocka_unit_test(test_plain_resolution_errors),
        cmocka_unit_test(test_key_order_and_structure),
        cmocka_unit_test(test_keys_resolve_like_kubectl),
        cmocka_unit_test(test_multi_document_stream),
        cmocka_unit_test(test_duplicate_keys_are_errors),
        cmocka_unit_test(test_syntax_errors_have_positions),
        cmocka_unit_test(test_anchors_aliases_and_merges),
        cmocka_unit_test(test_billion_laughs_is_refused),
        cmocka_unit_test(test_depth_is_capped),
        cmocka_unit_test(test_json_stream),
        cmocka_unit_test(test_json_whole_number_reals_are_integers),
        cmocka_unit_test(test_json_errors_have_positions),
        cmocka_unit_test(test_emit_block_yaml),
        cmocka_unit_test(test_emit_quotes_ambiguous_strings),
        cmocka_unit_test(test_emit_scalars),
        cmocka_unit_test(test_yaml_round_trips),
        cmocka_unit_test(test_yaml_output_never_sniffed_as_json),
        cmocka_unit_test(test_mangled_input_never_crashes),
        cmocka_unit_test(test_out_of_memory_sweep),
        cmocka_unit_test(test_json_emit),
        cmocka_unit_test(test_emit_rejects_non_array),
    };
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
