/*
 * yamlerr.c - libyaml parser errors as 1-based positions (see yamlerr.h).
 */
#include "yamlerr.h"

void gmw_text_position(const char *buf, size_t len, size_t off, size_t *line, size_t *column)
{
    size_t l = 1, c = 1;

    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

void gmw_yaml_error_of(const yaml_parser_t *parser, const char *buf, size_t len,
                       gmw_yaml_error *out)
{
    *out = (gmw_yaml_error){0};
    out->oom = parser->error == YAML_MEMORY_ERROR;
    out->reader = parser->error == YAML_READER_ERROR;
    out->problem = parser->problem;
    if (out->reader) {
        gmw_text_position(buf, len, parser->problem_offset, &out->line, &out->column);
    } else {
        out->line = parser->problem_mark.line + 1;
        out->column = parser->problem_mark.column + 1;
    }
    if (!out->reader && parser->context != NULL) {
        out->context = parser->context;
        out->context_line = parser->context_mark.line + 1;
        out->context_column = parser->context_mark.column + 1;
    }
}
