/*
 * yaml_reader.c - a YAML document stream read with libyaml's event API into jansson
 * values, as kubectl reads it (see manifest.h): plain scalars resolved by plain.c,
 * anchors and aliases (with a node budget), "<<" merge keys, duplicate keys refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manifest.h"
#include "yamlerr.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

typedef struct {
    char *name;    /* owned copy of the anchor name */
    json_t *value; /* new reference */
    size_t nodes;  /* nodes in value */
    unsigned height;
} yr_anchor;

typedef struct {
    yaml_parser_t parser;
    const char *buf;
    size_t len;
    const char *name;
    char *err;
    size_t errcap;
    yr_anchor *anchors;
    size_t anchor_count, anchor_cap;
    size_t alias_nodes; /* nodes copied for aliases so far */
    bool oom;           /* the error is "out of memory" (-ENOMEM, else -EINVAL) */
} yreader;

/* Size of a built value, for alias budgets and depth checks. */
typedef struct {
    size_t nodes;
    unsigned height;
} yr_size;

__attribute__((format(printf, 3, 4))) static void yr_error_at(yreader *yr, yaml_mark_t mark,
                                                              const char *fmt, ...)
{
    char msg[384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s", yr->name, mark.line + 1, mark.column + 1, msg);
}

/* The error text of the failed parser. */
static void yr_parser_error(yreader *yr)
{
    gmw_yaml_error e;

    gmw_yaml_error_of(&yr->parser, yr->buf, yr->len, &e);
    const char *problem = e.problem != NULL ? e.problem : "invalid YAML";
    /* a reader error (not text) has no context: the last branch words it */
    if (e.oom) {
        snprintf(yr->err, yr->errcap, "%s: out of memory", yr->name);
        yr->oom = true;
    } else if (e.context != NULL) {
        snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s (%s at line %zu, column %zu)", yr->name,
                 e.line, e.column, problem, e.context, e.context_line, e.context_column);
    } else {
        snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s", yr->name, e.line, e.column, problem);
    }
}

/* "NAME:LINE:COL: out of memory", remembered as such. */
static void yr_oom(yreader *yr, yaml_mark_t mark)
{
    yr_error_at(yr, mark, "out of memory");
    yr->oom = true;
}

static int yr_next(yreader *yr, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&yr->parser, ev)) {
        yr_parser_error(yr);
        return -1;
    }
    return 0;
}

static void yr_anchors_clear(yreader *yr)
{
    for (size_t i = 0; i < yr->anchor_count; i++) {
        free(yr->anchors[i].name);
        json_decref(yr->anchors[i].value);
    }
    yr->anchor_count = 0;
}

/* Remember `value` (borrowed; a reference is taken) under `anchor` (may be NULL). */
static int yr_anchor_add(yreader *yr, const yaml_char_t *anchor, json_t *value, yr_size size,
                         yaml_mark_t mark)
{
    if (anchor == NULL)
        return 0;
    if (yr->anchor_count == yr->anchor_cap) {
        size_t ncap = yr->anchor_cap == 0 ? 8 : yr->anchor_cap * 2;
        yr_anchor *grown = realloc(yr->anchors, ncap * sizeof *grown);
        if (grown == NULL) {
            yr_oom(yr, mark);
            return -1;
        }
        yr->anchors = grown;
        yr->anchor_cap = ncap;
    }
    char *name = strdup((const char *)anchor);
    if (name == NULL) {
        yr_oom(yr, mark);
        return -1;
    }
    /* name is owned by the anchor table from here on (freed in yr_anchors_clear). */
    yr->anchors[yr->anchor_count++] =
        (yr_anchor){name, json_incref(value), size.nodes, size.height};
    // cppcheck-suppress memleak
    return 0;
}

/* Charge `nodes` copied for an alias to the stream's budget. */
static int yr_charge_alias(yreader *yr, size_t nodes, yaml_mark_t mark)
{
    if (nodes > GMW_MANIFEST_MAX_ALIAS_NODES - yr->alias_nodes) {
        yr_error_at(yr, mark, "aliases expand to more than %zu nodes",
                    GMW_MANIFEST_MAX_ALIAS_NODES);
        return -1;
    }
    yr->alias_nodes += nodes;
    return 0;
}

static int yr_node(yreader *yr, yaml_event_t *ev, unsigned depth, json_t **out, yr_size *size);

static bool tag_is(const yaml_char_t *tag, const char *suffix)
{
    const char *t = (const char *)tag;
    size_t plen = strlen(TAG_PREFIX);
    return strncmp(t, TAG_PREFIX, plen) == 0 && strcmp(t + plen, suffix) == 0;
}

/* A scalar event (borrowed) to a value; honours the core tags !!str !!int etc. */
static int yr_scalar(yreader *yr, const yaml_event_t *ev, json_t **out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const yaml_char_t *tag = ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *why = NULL;
    json_t *v = NULL;
    int resolved = 0;

    if (memchr(s, '\0', len) != NULL) {
        yr_error_at(yr, ev->start_mark, "NUL characters are not supported in strings");
        return -1;
    }
    if (tag == NULL || strcmp((const char *)tag, "!") == 0) {
        if (plain && tag == NULL)
            resolved = gmw_yaml_resolve_plain(s, len, &v, &why); /* else: why, or no memory */
        else
            v = json_stringn(s, len);
    } else if (tag_is(tag, "str")) {
        v = json_stringn(s, len);
    } else if (tag_is(tag, "int") || tag_is(tag, "float") || tag_is(tag, "bool") ||
               tag_is(tag, "null")) {
        const char *want = (const char *)tag + strlen(TAG_PREFIX);
        resolved = gmw_yaml_resolve_plain(s, len, &v, &why);
        bool ok = v != NULL && ((strcmp(want, "int") == 0 && json_is_integer(v)) ||
                                (strcmp(want, "float") == 0 && json_is_number(v)) ||
                                (strcmp(want, "bool") == 0 && json_is_boolean(v)) ||
                                (strcmp(want, "null") == 0 && json_is_null(v)));
        if (v != NULL && !ok) {
            json_decref(v);
            yr_error_at(yr, ev->start_mark, "value \"%.*s\" is not a valid !!%s",
                        (int)(len > 64 ? 64 : len), s, want);
            return -1;
        }
    } else {
        yr_error_at(yr, ev->start_mark, "unsupported tag \"%s\"", (const char *)tag);
        return -1;
    }
    if (v == NULL) {
        if (resolved != -ENOMEM && why != NULL)
            yr_error_at(yr, ev->start_mark, "\"%.*s\": %s", (int)(len > 64 ? 64 : len), s, why);
        else
            yr_oom(yr, ev->start_mark); /* libyaml has checked the UTF-8 */
        return -1;
    }
    *out = v;
    return 0;
}

static int yr_alias(yreader *yr, const yaml_event_t *ev, unsigned depth, json_t **out,
                    yr_size *size)
{
    const char *anchor = (const char *)ev->data.alias.anchor;

    for (size_t i = yr->anchor_count; i-- > 0;) {
        yr_anchor *a = &yr->anchors[i];
        if (strcmp(a->name, anchor) != 0)
            continue;
        if (depth + a->height > GMW_MANIFEST_MAX_DEPTH) {
            yr_error_at(yr, ev->start_mark, "nesting deeper than %d levels (after aliases)",
                        GMW_MANIFEST_MAX_DEPTH);
            return -1;
        }
        if (yr_charge_alias(yr, a->nodes, ev->start_mark) != 0)
            return -1;
        *out = json_deep_copy(a->value);
        if (*out == NULL) {
            yr_oom(yr, ev->start_mark);
            return -1;
        }
        size->nodes = a->nodes;
        size->height = a->height;
        return 0;
    }
    yr_error_at(yr, ev->start_mark, "unknown anchor \"%s\" (an alias must follow its anchor)",
                anchor);
    return -1;
}

// NOLINTNEXTLINE(misc-no-recursion): yr_node refuses depth > GMW_MANIFEST_MAX_DEPTH
static int yr_sequence(yreader *yr, const yaml_event_t *start, unsigned depth, json_t **out,
                       yr_size *size)
{
    json_t *arr = json_array();
    yaml_event_t ev;

    size->nodes = 1;
    size->height = 1;
    if (arr == NULL) {
        yr_oom(yr, start->start_mark);
        return -1;
    }
    for (;;) {
        json_t *item = NULL;
        yr_size isz = {0, 0};
        if (yr_next(yr, &ev) != 0)
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (yr_node(yr, &ev, depth + 1, &item, &isz) != 0)
            goto fail;
        if (json_array_append_new(arr, item) != 0) {
            yr_oom(yr, start->start_mark);
            goto fail;
        }
        size->nodes += isz.nodes;
        if (isz.height + 1 > size->height)
            size->height = isz.height + 1;
    }
    *out = arr;
    return 0;
fail:
    json_decref(arr);
    return -1;
}

/*
 * The key of a mapping entry as the string kubectl would use: plain scalars are
 * resolved (y -> "true", 0x10 -> "16"), quoted ones are taken as written; a key that is
 * an alias must name a scalar. Returns a new string reference or NULL (error set).
 * *is_merge tells a plain "<<".
 */
// NOLINTNEXTLINE(misc-no-recursion): yr_node refuses depth > GMW_MANIFEST_MAX_DEPTH
static json_t *yr_key(yreader *yr, yaml_event_t *ev, unsigned depth, bool *is_merge)
{
    json_t *k = NULL;
    yr_size ksz = {0, 0};
    char buf[64];

    *is_merge = false;
    if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        ev->data.scalar.tag == NULL && ev->data.scalar.length == 2 &&
        memcmp(ev->data.scalar.value, "<<", 2) == 0) {
        *is_merge = true;
        k = json_string("<<");
        if (k == NULL)
            yr_oom(yr, ev->start_mark);
        yaml_event_delete(ev);
        return k;
    }
    if (ev->type != YAML_SCALAR_EVENT && ev->type != YAML_ALIAS_EVENT) {
        yr_error_at(yr, ev->start_mark, "mapping keys must be scalars");
        yaml_event_delete(ev);
        return NULL;
    }
    yaml_mark_t mark = ev->start_mark;
    if (yr_node(yr, ev, depth + 1, &k, &ksz) != 0)
        return NULL;
    if (json_is_string(k))
        return k;
    if (json_is_integer(k)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
    } else if (json_is_real(k)) {
        snprintf(buf, sizeof buf, "%.17g", json_real_value(k));
        for (int p = 1; p <= 17; p++) {
            snprintf(buf, sizeof buf, "%.*g", p, json_real_value(k));
            if (strtod(buf, NULL) == json_real_value(k))
                break;
        }
    } else if (json_is_boolean(k)) {
        snprintf(buf, sizeof buf, "%s", json_is_true(k) ? "true" : "false");
    } else {
        yr_error_at(yr, mark, "mapping key must be a string, not %s",
                    json_is_null(k) ? "null" : "a collection");
        json_decref(k);
        return NULL;
    }
    json_decref(k);
    k = json_string(buf);
    if (k == NULL)
        yr_oom(yr, mark);
    return k;
}

/* Fold one merge source (object) into `merged`: keys already there win. */
static int merge_into(json_t *merged, json_t *src)
{
    const char *key;
    json_t *val;

    json_object_foreach(src, key, val)
    {
        if (json_object_get(merged, key) == NULL && json_object_set(merged, key, val) != 0)
            return -1;
    }
    return 0;
}

// NOLINTNEXTLINE(misc-no-recursion): yr_node refuses depth > GMW_MANIFEST_MAX_DEPTH
static int yr_mapping(yreader *yr, const yaml_event_t *start, unsigned depth, json_t **out,
                      yr_size *size)
{
    json_t *obj = json_object();
    json_t *merged = NULL; /* keys from "<<" merges; explicit keys win over them */
    json_t *key = NULL;
    yaml_event_t ev;

    size->nodes = 1;
    size->height = 1;
    if (obj == NULL) {
        yr_oom(yr, start->start_mark);
        return -1;
    }
    for (;;) {
        json_t *val = NULL;
        yr_size vsz = {0, 0};
        bool is_merge = false;

        if (yr_next(yr, &ev) != 0)
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_mark_t key_mark = ev.start_mark;
        key = yr_key(yr, &ev, depth, &is_merge);
        if (key == NULL)
            goto fail;
        if (yr_next(yr, &ev) != 0)
            goto fail;
        yaml_mark_t val_mark = ev.start_mark;
        if (yr_node(yr, &ev, depth + 1, &val, &vsz) != 0)
            goto fail;
        size->nodes += vsz.nodes + 1;
        if (vsz.height + 1 > size->height)
            size->height = vsz.height + 1;
        if (is_merge) {
            if (merged == NULL)
                merged = json_object();
            int bad = merged == NULL;
            if (!bad && json_is_object(val)) {
                bad = merge_into(merged, val);
            } else if (!bad && json_is_array(val)) {
                size_t i;
                json_t *src;
                json_array_foreach(val, i, src)
                {
                    if (!json_is_object(src)) {
                        bad = 2;
                        break;
                    }
                    if (merge_into(merged, src) != 0)
                        bad = 1;
                }
            } else if (!bad) {
                bad = 2;
            }
            json_decref(val);
            if (bad) {
                if (bad == 2)
                    yr_error_at(yr, val_mark, "%s",
                                "a merge (<<) value must be a mapping or a sequence of mappings");
                else
                    yr_oom(yr, val_mark);
                goto fail;
            }
        } else {
            const char *k = json_string_value(key);
            if (json_object_get(obj, k) != NULL) {
                json_decref(val);
                yr_error_at(yr, key_mark, "duplicate key \"%.*s\"", 100, k);
                goto fail;
            }
            if (json_object_set_new(obj, k, val) != 0) {
                yr_oom(yr, key_mark);
                goto fail;
            }
        }
        json_decref(key);
        key = NULL;
    }
    if (merged != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(merged, k, v)
        {
            if (json_object_get(obj, k) == NULL && json_object_set(obj, k, v) != 0) {
                yr_oom(yr, start->start_mark);
                goto fail;
            }
        }
        json_decref(merged);
    }
    *out = obj;
    return 0;
fail:
    json_decref(key);
    json_decref(merged);
    json_decref(obj);
    return -1;
}

static bool collection_tag_ok(const yaml_char_t *tag, const char *kind)
{
    return tag == NULL || strcmp((const char *)tag, "!") == 0 || tag_is(tag, kind);
}

/*
 * Build the value that starts with *ev (owned: deleted here) at nesting `depth`.
 * Returns 0 with a new reference in *out and its size, or -1 with the error set.
 */
// NOLINTNEXTLINE(misc-no-recursion): refuses depth > GMW_MANIFEST_MAX_DEPTH
static int yr_node(yreader *yr, yaml_event_t *ev, unsigned depth, json_t **out, yr_size *size)
{
    int rc = -1;
    const yaml_char_t *anchor = NULL;

    *out = NULL;
    if (depth > GMW_MANIFEST_MAX_DEPTH) {
        yr_error_at(yr, ev->start_mark, "nesting deeper than %d levels", GMW_MANIFEST_MAX_DEPTH);
        goto done;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        if (yr_scalar(yr, ev, out) != 0)
            goto done;
        size->nodes = 1;
        size->height = 0;
        break;
    case YAML_ALIAS_EVENT:
        if (yr_alias(yr, ev, depth, out, size) != 0)
            goto done;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        if (!collection_tag_ok(ev->data.sequence_start.tag, "seq")) {
            yr_error_at(yr, ev->start_mark, "unsupported tag \"%s\"",
                        (const char *)ev->data.sequence_start.tag);
            goto done;
        }
        if (yr_sequence(yr, ev, depth, out, size) != 0)
            goto done;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        if (!collection_tag_ok(ev->data.mapping_start.tag, "map")) {
            yr_error_at(yr, ev->start_mark, "unsupported tag \"%s\"",
                        (const char *)ev->data.mapping_start.tag);
            goto done;
        }
        if (yr_mapping(yr, ev, depth, out, size) != 0)
            goto done;
        break;
    default:
        yr_error_at(yr, ev->start_mark, "unexpected YAML event");
        goto done;
    }
    if (yr_anchor_add(yr, anchor, *out, *size, ev->start_mark) != 0)
        goto done;
    rc = 0;
done:
    if (rc != 0) {
        json_decref(*out);
        *out = NULL;
    }
    yaml_event_delete(ev);
    return rc;
}

int gmw_yaml_parse_stream(const char *buf, size_t len, const char *name, json_t **out, char *err,
                          size_t errcap)
{
    yreader yr;
    yaml_event_t ev;
    json_t *docs = json_array();
    int parser_ready = 0;

    *out = NULL;
    memset(&yr, 0, sizeof yr);
    yr.buf = buf;
    yr.len = len;
    yr.name = name;
    yr.err = err;
    yr.errcap = errcap;
    if (errcap > 0)
        err[0] = '\0';
    if (docs == NULL || !yaml_parser_initialize(&yr.parser)) {
        snprintf(err, errcap, "%s: out of memory", name);
        yr.oom = true;
        goto fail;
    }
    parser_ready = 1;
    yaml_parser_set_input_string(&yr.parser, (const unsigned char *)buf, len);
    if (yr_next(&yr, &ev) != 0)
        goto fail;
    yaml_event_delete(&ev); /* STREAM-START */
    for (;;) {
        json_t *root = NULL;
        yr_size size = {0, 0};
        if (yr_next(&yr, &ev) != 0)
            goto fail;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_event_delete(&ev); /* DOCUMENT-START */
        if (yr_next(&yr, &ev) != 0)
            goto fail;
        if (yr_node(&yr, &ev, 1, &root, &size) != 0)
            goto fail;
        yr_anchors_clear(&yr); /* anchors are local to their document */
        if (yr_next(&yr, &ev) != 0) {
            json_decref(root);
            goto fail;
        }
        yaml_event_delete(&ev); /* DOCUMENT-END */
        if (json_is_null(root)) {
            json_decref(root);
            continue;
        }
        if (json_array_append_new(docs, root) != 0) {
            snprintf(err, errcap, "%s: out of memory", name);
            yr.oom = true;
            goto fail;
        }
    }
    yaml_parser_delete(&yr.parser);
    free(yr.anchors);
    *out = docs;
    return 0;
fail:
    yr_anchors_clear(&yr);
    free(yr.anchors);
    if (parser_ready)
        yaml_parser_delete(&yr.parser);
    json_decref(docs);
    return yr.oom ? -ENOMEM : -EINVAL;
}
