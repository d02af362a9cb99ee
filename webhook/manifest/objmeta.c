/*
 * objmeta.c - kubectl's typed check that matters to `mutate`: ObjectMeta.annotations is a
 * map of strings, so an unquoted `team: 123` makes kubectl refuse the file (see manifest.h).
 * The roles say where a mapping sits; yaml_reader.c tracks them while reading (for the line),
 * gmw_manifest_check_annotations walks a parsed JSON document.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_internal.h"

int gmw_manifest_child_role(int role, const char *key)
{
    if (key == NULL)
        return GMW_ROLE_NONE;
    if (role == GMW_ROLE_OBJECT && strcmp(key, "metadata") == 0)
        return GMW_ROLE_METADATA;
    if (role == GMW_ROLE_METADATA && strcmp(key, "annotations") == 0)
        return GMW_ROLE_ANNOTATIONS;
    if (role == GMW_ROLE_OBJECT && strcmp(key, "items") == 0)
        return GMW_ROLE_ITEMS;
    if (role != GMW_ROLE_METADATA && role != GMW_ROLE_ANNOTATIONS &&
        (strcmp(key, "template") == 0 || strcmp(key, "jobTemplate") == 0))
        return GMW_ROLE_OBJECT;
    return GMW_ROLE_NONE;
}

const char *gmw_manifest_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a sequence";
    default:
        return "a string";
    }
}

// NOLINTNEXTLINE(misc-no-recursion): bounded by the parser's depth cap
static int check(const json_t *v, int role, const char *name, size_t docno, char *err,
                 size_t errcap)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (check(x, role == GMW_ROLE_ITEMS ? GMW_ROLE_OBJECT : GMW_ROLE_NONE, name, docno, err,
                      errcap) != 0)
                return -1;
        }
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    json_object_foreach((json_t *)v, k, x)
    {
        if (role == GMW_ROLE_ANNOTATIONS && !json_is_string(x)) {
            snprintf(err, errcap,
                     "%s: document %zu: metadata.annotations.%.100s: annotations must be strings, "
                     "found %s (quote it: \"%.100s\": \"...\")",
                     name, docno, k, gmw_manifest_json_kind(x), k);
            return -1;
        }
        if (check(x, gmw_manifest_child_role(role, k), name, docno, err, errcap) != 0)
            return -1;
    }
    return 0;
}

int gmw_manifest_check_annotations(const json_t *doc, const char *name, size_t docno, char *err,
                                   size_t errcap)
{
    return check(doc, GMW_ROLE_OBJECT, name, docno, err, errcap);
}
