/*
 * json_reader.c - a stream of concatenated JSON values read with jansson
 * (JSON_REJECT_DUPLICATES), positions made absolute for messages (see manifest.h).
 */
#include <errno.h>
#include <stdio.h>

#include "manifest.h"
#include "manifest_internal.h"
#include "yamlerr.h"

size_t gmw_manifest_skip_blank(const char *buf, size_t len, size_t pos)
{
    while (pos < len &&
           (buf[pos] == ' ' || buf[pos] == '\t' || buf[pos] == '\n' || buf[pos] == '\r'))
        pos++;
    return pos;
}

/* "NAME:LINE:COL: reason" for a value starting at byte pos that jansson refused. */
static int value_error(const char *buf, size_t len, size_t pos, const json_error_t *jerr,
                       const char *name, char *err, size_t errcap)
{
    size_t line = 0, col = 0;

    /* jansson counts from the start of this value; make it absolute. */
    gmw_text_position(buf, len, pos, &line, &col);
    if (jerr->line > 0) {
        if (jerr->line == 1)
            col += (size_t)(jerr->column > 0 ? jerr->column : 1) - 1;
        else
            col = (size_t)(jerr->column > 0 ? jerr->column : 1);
        line += (size_t)jerr->line - 1;
    }
    snprintf(err, errcap, "%s:%zu:%zu: %s", name, line, col, jerr->text);
    return json_error_code(jerr) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
}

int gmw_json_parse_stream(const char *buf, size_t len, const char *name, json_t **out, char *err,
                          size_t errcap)
{
    json_t *docs = json_array();
    size_t pos = 0;
    int rc = -ENOMEM;

    *out = NULL;
    if (errcap > 0)
        err[0] = '\0';
    if (docs == NULL) {
        snprintf(err, errcap, "%s: out of memory", name);
        return -ENOMEM;
    }
    pos = gmw_manifest_skip_blank(buf, len, pos);
    while (pos < len) {
        json_error_t jerr;
        json_t *doc = json_loadb(buf + pos, len - pos,
                                 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (doc == NULL) {
            rc = value_error(buf, len, pos, &jerr, name, err, errcap);
            goto fail;
        }
        if (json_array_append_new(docs, doc) != 0) {
            snprintf(err, errcap, "%s: out of memory", name);
            rc = -ENOMEM;
            goto fail;
        }
        pos = gmw_manifest_skip_blank(buf, len, pos + (size_t)jerr.position);
    }
    *out = docs;
    return 0;
fail:
    json_decref(docs);
    return rc;
}
