/*
 * json_reader.c - a stream of concatenated JSON values read with jansson
 * (JSON_REJECT_DUPLICATES), positions made absolute for messages (see manifest.h).
 */
#include <errno.h>
#include <math.h>
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

/*
 * Whole-number reals become integers (1.0 -> 1, -0.0 -> 0, 1e3 -> 1000 up to 2^53), as the
 * YAML reader resolves them and as kubectl's JSON writes them, so that JSON and YAML input
 * give the same tree (found by fuzz/fuzz_manifest.c: a JSON 1.0 written as YAML read back
 * as 1). Returns 0, or -ENOMEM. Depth is bounded by jansson's parser (2048).
 */
// NOLINTNEXTLINE(misc-no-recursion): depth bounded by jansson's parser (2048 levels)
static int integral_reals_to_integers(json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach(v, key, member)
        {
            if (json_is_real(member)) {
                double d = json_real_value(member);
                if (d == floor(d) && fabs(d) <= 9007199254740992.0 &&
                    json_object_set_new(v, key, json_integer((json_int_t)d)) != 0)
                    return -ENOMEM;
            } else if (integral_reals_to_integers(member) != 0) {
                return -ENOMEM;
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *item = json_array_get(v, i);
            if (json_is_real(item)) {
                double d = json_real_value(item);
                if (d == floor(d) && fabs(d) <= 9007199254740992.0 &&
                    json_array_set_new(v, i, json_integer((json_int_t)d)) != 0)
                    return -ENOMEM;
            } else if (integral_reals_to_integers(item) != 0) {
                return -ENOMEM;
            }
        }
    }
    return 0;
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
        json_error_t jerr = {0}; /* jansson may fail before it fills it (out of memory) */
        json_t *doc = json_loadb(buf + pos, len - pos,
                                 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (doc == NULL) {
            rc = value_error(buf, len, pos, &jerr, name, err, errcap);
            goto fail;
        }
        if (integral_reals_to_integers(doc) != 0) {
            json_decref(doc);
            doc = NULL;
        }
        if (doc == NULL || json_array_append_new(docs, doc) != 0) {
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
