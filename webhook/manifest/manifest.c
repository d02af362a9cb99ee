/*
 * manifest.c - YAML/JSON document streams <-> jansson trees (see manifest.h): which
 * reader a stream goes to. The sections live beside it:
 *
 *   plain.c        plain scalars resolved as kubectl does (go-yaml v2, YAML 1.1 words)
 *   yaml_reader.c  libyaml's event API -> jansson (anchors, aliases, merges)
 *   json_reader.c  concatenated JSON values (jansson, JSON_REJECT_DUPLICATES)
 *   writer.c       YAML (libyaml's emitter, ambiguous strings quoted) and JSON out
 */
#include <string.h>

#include "manifest.h"
#include "manifest_internal.h"

int gmw_manifest_parse(const char *buf, size_t len, const char *name, gmw_manifest_format *format,
                       json_t **out, char *err, size_t errcap)
{
    size_t pos = 0;

    /* A UTF-8 byte order mark is allowed before either kind of input. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    pos = gmw_manifest_skip_blank(buf, len, pos);
    if (pos < len && buf[pos] == '{') {
        if (format != NULL)
            *format = GMW_MANIFEST_JSON;
        return gmw_json_parse_stream(buf, len, name, out, err, errcap);
    }
    if (format != NULL)
        *format = GMW_MANIFEST_YAML;
    return gmw_yaml_parse_stream(buf, len, name, out, err, errcap);
}
