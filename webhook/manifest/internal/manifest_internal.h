/*
 * manifest_internal.h - what the files of webhook/manifest share and nobody else uses.
 */
#ifndef GMW_MANIFEST_INTERNAL_H
#define GMW_MANIFEST_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

/* The first position at or after pos in buf[0..len) that is not JSON whitespace. */
size_t gmw_manifest_skip_blank(const char *buf, size_t len, size_t pos);

/* Where a collection sits (objmeta.c): annotations of an object must be strings. */
enum {
    GMW_ROLE_NONE = 0,
    GMW_ROLE_OBJECT,      /* a document, a List item, a (job) template */
    GMW_ROLE_METADATA,    /* metadata of an object */
    GMW_ROLE_ANNOTATIONS, /* metadata.annotations: every value must be a string */
    GMW_ROLE_ITEMS,       /* items of a List: each element is an object */
};

/* The role of the value under `key` in a mapping of role `role`. */
int gmw_manifest_child_role(int role, const char *key);

/* "a number", "a boolean", "null", ... (static) for messages. */
const char *gmw_manifest_json_kind(const json_t *v);

/*
 * Refuse a parsed document whose object annotations are not all strings: returns 0, or -1
 * with "NAME: document N: metadata.annotations.KEY: annotations must be strings, ..." in err.
 */
int gmw_manifest_check_annotations(const json_t *doc, const char *name, size_t docno, char *err,
                                   size_t errcap);

#endif
