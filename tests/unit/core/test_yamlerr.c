/*
 * test_yamlerr.c - libyaml parser errors as 1-based positions (yamlerr.h). Expected
 * positions are counted by hand on the inputs below; PyYAML (python3 -c "import yaml;
 * yaml.safe_load('key: [1, 2\n')") reports the same marks for the syntax cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "yamlerr.h"

static void test_text_position(void **state)
{
    (void)state;
    static const char text[] = "ab\nc\xC3\xA9"
                               "d\n\nx";
    static const struct {
        size_t off, line, col;
    } cases[] = {
        {0, 1, 1},  {2, 1, 3},  {3, 2, 1},
        {4, 2, 2},  {6, 2, 3}, /* after the two bytes of one character */
        {7, 2, 4},  {8, 3, 1},  {9, 4, 1},
        {10, 4, 2}, {99, 4, 2}, /* past the end: the end */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t line = 0, col = 0;
        gmw_text_position(text, sizeof text - 1, cases[i].off, &line, &col);
        assert_int_equal(line, cases[i].line);
        assert_int_equal(col, cases[i].col);
    }
}

/* Parse text to its first error; the parser is returned for gmw_yaml_error_of. */
static void parse_to_error(yaml_parser_t *p, const char *text, size_t len)
{
    yaml_event_t ev;
    assert_true(yaml_parser_initialize(p));
    yaml_parser_set_input_string(p, (const unsigned char *)text, len);
    for (;;) {
        if (!yaml_parser_parse(p, &ev))
            return;
        yaml_event_type_t type = ev.type;
        yaml_event_delete(&ev);
        assert_int_not_equal(type, YAML_STREAM_END_EVENT); /* the input must be bad */
    }
}

static void test_syntax_error_with_context(void **state)
{
    (void)state;
    static const char text[] = "a: 1\nkey: [1, 2\n";
    yaml_parser_t p;
    gmw_yaml_error e;
    parse_to_error(&p, text, sizeof text - 1);
    gmw_yaml_error_of(&p, text, sizeof text - 1, &e);
    assert_false(e.oom);
    assert_false(e.reader);
    assert_non_null(e.problem);
    assert_int_equal(e.line, 3); /* the end of the input, where ']' was missing */
    assert_int_equal(e.column, 1);
    assert_non_null(e.context);
    assert_int_equal(e.context_line, 2); /* the '[' */
    assert_int_equal(e.context_column, 6);
    yaml_parser_delete(&p);
}

static void test_reader_error_position(void **state)
{
    (void)state;
    static const char text[] = "a: 1\nb: \xC3\xA9\xFF\n"; /* 0xFF is never UTF-8 */
    yaml_parser_t p;
    gmw_yaml_error e;
    parse_to_error(&p, text, sizeof text - 1);
    gmw_yaml_error_of(&p, text, sizeof text - 1, &e);
    assert_true(e.reader);
    assert_false(e.oom);
    assert_non_null(e.problem);
    assert_null(e.context);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 5); /* "b: " then one character before the bad byte */
    yaml_parser_delete(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_position),
        cmocka_unit_test(test_syntax_error_with_context),
        cmocka_unit_test(test_reader_error_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
