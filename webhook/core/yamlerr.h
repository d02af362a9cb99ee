/*
 * yamlerr.h - where and why libyaml's parser stopped, for "NAME:LINE:COL: message".
 *
 * libyaml reports reader errors (bad UTF-8, control characters) as a byte offset and
 * scanner/parser errors as a 0-based mark; both the config parser and the manifest
 * reader turn them into the same 1-based line and column (columns count UTF-8
 * characters, not bytes). The wording of the message stays with each caller.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef GMW_YAMLERR_H
#define GMW_YAMLERR_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

typedef struct {
    bool oom;                            /* the parser ran out of memory (no position) */
    bool reader;                         /* a reader error (the input is not valid text) */
    size_t line, column;                 /* 1-based position of the problem */
    const char *problem;                 /* libyaml's text (borrowed from the parser), or NULL */
    const char *context;                 /* what was being parsed, or NULL */
    size_t context_line, context_column; /* 1-based, when context is not NULL */
} gmw_yaml_error;

/*
 * 1-based line and column of byte offset off in buf[0..len) (an offset past the end
 * counts as the end). Columns count characters: UTF-8 continuation bytes are skipped.
 */
void gmw_text_position(const char *buf, size_t len, size_t off, size_t *line, size_t *column);

/*
 * Describe the error of a parser that failed (yaml_parser_parse or yaml_parser_load
 * returned 0) on the input buf[0..len) it was given. Fills *out; the strings are
 * borrowed from the parser and live as long as it does.
 */
void gmw_yaml_error_of(const yaml_parser_t *parser, const char *buf, size_t len,
                       gmw_yaml_error *out);

#endif
