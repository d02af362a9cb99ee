/*
 * test_json.h - a test's JSON text as a jansson value, or the test fails naming the text.
 *
 * Test-only; include after <cmocka.h>. The caller owns the result (json_decref). Duplicate
 * keys are refused, so a table row cannot hide a typo behind a second key.
 */
#ifndef GMW_TEST_JSON_H
#define GMW_TEST_JSON_H

#include <jansson.h>

static inline json_t *gmw_test_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    return v;
}

#endif
