/*
 * test_json.h - a test's JSON text as a jansson value, or the test fails naming the text.
 *
 * Test-only; include after <cmocka.h>. The caller owns the result (json_decref).
 */
#ifndef GMW_TEST_JSON_H
#define GMW_TEST_JSON_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Duplicate keys are refused, so a table row cannot hide a typo behind a second key. */
static inline json_t *gmw_test_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    return v;
}

/*
 * The same for JSON written with ' for " (test literals stay readable in C strings): every
 * ' becomes ". Any JSON value at the top.
 */
static inline json_t *gmw_test_json_sq(const char *text)
{
    size_t n = strlen(text);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    json_error_t jerr;
    json_t *v = json_loads(buf, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, buf);
    free(buf);
    return v;
}

#endif
