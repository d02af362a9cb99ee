/*
 * manifest.c - YAML/JSON document streams <-> jansson trees (see manifest.h).
 *
 * YAML is read with libyaml's event API into jansson values; libyaml resolves no types,
 * so plain scalars go through gmw_yaml_resolve_plain (go-yaml v2 rules, as kubectl).
 * YAML is written with libyaml's emitter, quoting every string a reader could take for
 * another type. JSON is read with jansson (JSON_REJECT_DUPLICATES) and written by it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manifest.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

/* ------------------------------------------------------------------------------------ */
/* Plain scalar resolution                                                               */

static bool str_in(const char *s, size_t len, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strlen(*list) == len && memcmp(*list, s, len) == 0)
            return true;
    }
    return false;
}

static const char *const yaml_true_words[] = {"y",  "Y",  "yes",  "Yes",  "YES",  "on",
                                              "On", "ON", "true", "True", "TRUE", NULL};
static const char *const yaml_false_words[] = {"n",   "N",   "no",    "No",    "NO",    "off",
                                               "Off", "OFF", "false", "False", "FALSE", NULL};
static const char *const yaml_null_words[] = {"~", "null", "Null", "NULL", NULL};
static const char *const yaml_nonfinite_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                                   ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                                   "-.Inf", "-.INF", NULL};

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/*
 * Go's strconv.ParseInt(s, 0, 64) on s[0..len): optional sign, then 0x/0o/0b prefix,
 * a leading 0 (octal) or decimal digits. Returns 1 with *out, 0 when s is not an
 * integer of that grammar, -1 when it is one but does not fit int64.
 */
static int parse_go_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    unsigned base = 10;
    uint64_t mag = 0;
    const uint64_t limit_pos = (uint64_t)INT64_MAX;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        i++;
    }
    if (i >= len)
        return 0;
    if (s[i] == '0' && i + 1 < len) {
        char p = s[i + 1];
        if (p == 'x' || p == 'X') {
            base = 16;
            i += 2;
        } else if (p == 'o' || p == 'O') {
            base = 8;
            i += 2;
        } else if (p == 'b' || p == 'B') {
            base = 2;
            i += 2;
        } else {
            base = 8;
            i += 1;
        }
        if (i >= len)
            return 0;
    }
    bool overflow = false;
    for (; i < len; i++) {
        int d = digit_value(s[i]);
        if (d >= (int)base)
            return 0;
        if (mag > (UINT64_MAX - (uint64_t)d) / base)
            overflow = true;
        else
            mag = mag * base + (uint64_t)d;
    }
    if (overflow || mag > limit_pos + (negative ? 1u : 0u))
        return -1;
    if (negative)
        *out = mag == limit_pos + 1u ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 1;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool is_yaml_style_float(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
        if (digits == 0)
            return false;
    } else {
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
        if (digits == 0)
            return false;
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    return i == len;
}

json_t *gmw_yaml_resolve_plain(const char *s, size_t len, const char **why)
{
    char plain[128];
    size_t plen = 0;
    int64_t iv = 0;

    *why = NULL;
    if (len == 0 || str_in(s, len, yaml_null_words))
        return json_null();
    if (str_in(s, len, yaml_true_words))
        return json_true();
    if (str_in(s, len, yaml_false_words))
        return json_false();
    if (str_in(s, len, yaml_nonfinite_words)) {
        *why = "infinity and NaN cannot be represented in JSON";
        return NULL;
    }
    char first = s[0];
    bool numeric_start = (first >= '0' && first <= '9') || first == '+' || first == '-';
    if (!numeric_start && first != '.')
        return json_stringn(s, len);
    /* go-yaml drops every '_' before parsing numbers that start with a digit or a sign
     * (not those starting with '.'); numbers are short, so anything longer than the
     * buffer is a string. */
    if (len >= sizeof(plain))
        return json_stringn(s, len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '_' || !numeric_start)
            plain[plen++] = s[i];
    }
    plain[plen] = '\0';
    if (numeric_start) {
        int r = parse_go_int(plain, plen, &iv);
        if (r == 1)
            return json_integer(iv);
        if (r == -1) {
            *why = "integer out of the 64-bit range";
            return NULL;
        }
    }
    if (is_yaml_style_float(plain, plen)) {
        errno = 0;
        char *end = NULL;
        double d = strtod(plain, &end);
        if (end == plain + plen && !(errno == ERANGE && fabs(d) > 1.0)) {
            /* kubectl's JSON writes integral floats as integers (1e3 -> 1000). */
            if (d == floor(d) && fabs(d) <= 9007199254740992.0)
                return json_integer((json_int_t)d);
            return json_real(d);
        }
    }
    return json_stringn(s, len);
}

/* YAML 1.1 timestamps (PyYAML resolves them): starts with YYYY-M or YYYY-MM. */
static bool looks_like_timestamp(const char *s, size_t len)
{
    if (len < 6)
        return false;
    for (size_t i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return s[4] == '-' && s[5] >= '0' && s[5] <= '9';
}

/* YAML 1.1 sexagesimal numbers: [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)? */
static bool looks_like_sexagesimal(const char *s, size_t len)
{
    size_t i = 0, groups = 0;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= len || s[i] < '0' || s[i] > '9')
        return false;
    while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    while (i < len && s[i] == ':') {
        size_t d = 0;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9' && d < 2) {
            i++;
            d++;
        }
        if (d == 0)
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            i++;
    }
    return i == len;
}

/*
 * Conservatively "number-like": starts with a digit, sign or '.', and has only characters
 * that occur in YAML 1.1/1.2 numbers (digits, hex digits, prefixes, '_', '.', ':', signs
 * and exponents). Quoting such a string is always safe; missing one is not.
 */
static bool looks_numeric(const char *s, size_t len)
{
    if (len == 0 || !((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (strchr("0123456789abcdefABCDEFxXoO_+-.:", s[i]) == NULL || s[i] == '\0')
            return false;
    }
    return true;
}

bool gmw_yaml_plain_is_ambiguous(const char *s, size_t len)
{
    const char *why = NULL;
    json_t *v = gmw_yaml_resolve_plain(s, len, &why);
    bool ambiguous = v == NULL || !json_is_string(v);

    json_decref(v);
    if (ambiguous)
        return true;
    if ((len == 2 && memcmp(s, "<<", 2) == 0) || (len == 1 && s[0] == '='))
        return true;
    return looks_numeric(s, len) || looks_like_timestamp(s, len) || looks_like_sexagesimal(s, len);
}

/* ------------------------------------------------------------------------------------ */
/* YAML reading                                                                          */

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
    int next_role;      /* yr_role of the next collection read (consumed by it) */
} yreader;

/*
 * Where a collection sits, as far as kubectl's typed decoding cares: annotations of an
 * object or pod template (ObjectMeta.annotations, map[string]string) must be strings, and
 * kubectl refuses the file otherwise. Tracked while reading so the error has a line.
 */
typedef enum {
    YR_ROLE_NONE = 0,
    YR_ROLE_OBJECT,      /* a document, a List item, a (job) template */
    YR_ROLE_METADATA,    /* metadata of an object */
    YR_ROLE_ANNOTATIONS, /* metadata.annotations: every value must be a string */
    YR_ROLE_ITEMS,       /* items of a List: each element is an object */
} yr_role;

/* The role of the value under key k in a mapping of role `role`. */
static int yr_child_role(int role, const char *k)
{
    if ((role == YR_ROLE_OBJECT) && strcmp(k, "metadata") == 0)
        return YR_ROLE_METADATA;
    if (role == YR_ROLE_METADATA && strcmp(k, "annotations") == 0)
        return YR_ROLE_ANNOTATIONS;
    if (role == YR_ROLE_OBJECT && strcmp(k, "items") == 0)
        return YR_ROLE_ITEMS;
    if (role != YR_ROLE_METADATA && role != YR_ROLE_ANNOTATIONS &&
        (strcmp(k, "template") == 0 || strcmp(k, "jobTemplate") == 0))
        return YR_ROLE_OBJECT;
    return YR_ROLE_NONE;
}

/* "a number", "true or false", ... for the annotation message. */
static const char *yr_json_kind(const json_t *v)
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
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s", yr->name, mark.line + 1, mark.column + 1, msg);
}

/* Line and column (1-based) of byte offset `off` in buf. */
static void offset_position(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
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
    *col = c;
}

static void yr_parser_error(yreader *yr)
{
    yaml_parser_t *p = &yr->parser;
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";

    if (p->error == YAML_READER_ERROR) {
        size_t line = 0, col = 0;
        offset_position(yr->buf, yr->len, p->problem_offset, &line, &col);
        snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s", yr->name, line, col, problem);
    } else if (p->error == YAML_MEMORY_ERROR) {
        snprintf(yr->err, yr->errcap, "%s: out of memory", yr->name);
    } else if (p->context != NULL) {
        snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s (%s at line %zu, column %zu)", yr->name,
                 p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context,
                 p->context_mark.line + 1, p->context_mark.column + 1);
    } else {
        snprintf(yr->err, yr->errcap, "%s:%zu:%zu: %s", yr->name, p->problem_mark.line + 1,
                 p->problem_mark.column + 1, problem);
    }
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
        yr_anchor *grown = realloc(yr->anchors, ncap * sizeof(*grown));
        if (grown == NULL) {
            yr_error_at(yr, mark, "out of memory");
            return -1;
        }
        yr->anchors = grown;
        yr->anchor_cap = ncap;
    }
    char *name = strdup((const char *)anchor);
    if (name == NULL) {
        yr_error_at(yr, mark, "out of memory");
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

    if (memchr(s, '\0', len) != NULL) {
        yr_error_at(yr, ev->start_mark, "NUL characters are not supported in strings");
        return -1;
    }
    if (tag == NULL || strcmp((const char *)tag, "!") == 0) {
        v = (plain && tag == NULL) ? gmw_yaml_resolve_plain(s, len, &why) : json_stringn(s, len);
    } else if (tag_is(tag, "str")) {
        v = json_stringn(s, len);
    } else if (tag_is(tag, "int") || tag_is(tag, "float") || tag_is(tag, "bool") ||
               tag_is(tag, "null")) {
        const char *want = (const char *)tag + strlen(TAG_PREFIX);
        v = gmw_yaml_resolve_plain(s, len, &why);
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
        if (why != NULL)
            yr_error_at(yr, ev->start_mark, "\"%.*s\": %s", (int)(len > 64 ? 64 : len), s, why);
        else
            yr_error_at(yr, ev->start_mark, "out of memory (or invalid UTF-8)");
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
            yr_error_at(yr, ev->start_mark, "out of memory");
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
    int role = yr->next_role;

    yr->next_role = YR_ROLE_NONE;
    size->nodes = 1;
    size->height = 1;
    if (arr == NULL) {
        yr_error_at(yr, start->start_mark, "out of memory");
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
        yr->next_role = role == YR_ROLE_ITEMS ? YR_ROLE_OBJECT : YR_ROLE_NONE;
        int rc = yr_node(yr, &ev, depth + 1, &item, &isz);
        yr->next_role = YR_ROLE_NONE;
        if (rc != 0)
            goto fail;
        if (json_array_append_new(arr, item) != 0) {
            yr_error_at(yr, start->start_mark, "out of memory");
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
            yr_error_at(yr, ev->start_mark, "out of memory");
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
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(k));
    } else if (json_is_real(k)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(k));
        for (int p = 1; p <= 17; p++) {
            snprintf(buf, sizeof(buf), "%.*g", p, json_real_value(k));
            if (strtod(buf, NULL) == json_real_value(k))
                break;
        }
    } else if (json_is_boolean(k)) {
        snprintf(buf, sizeof(buf), "%s", json_is_true(k) ? "true" : "false");
    } else {
        yr_error_at(yr, mark, "mapping key must be a string, not %s",
                    json_is_null(k) ? "null" : "a collection");
        json_decref(k);
        return NULL;
    }
    json_decref(k);
    k = json_string(buf);
    if (k == NULL)
        yr_error_at(yr, mark, "out of memory");
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
    int role = yr->next_role;

    yr->next_role = YR_ROLE_NONE;
    size->nodes = 1;
    size->height = 1;
    if (obj == NULL) {
        yr_error_at(yr, start->start_mark, "out of memory");
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
        yr->next_role = is_merge ? YR_ROLE_NONE : yr_child_role(role, json_string_value(key));
        int rc = yr_node(yr, &ev, depth + 1, &val, &vsz);
        yr->next_role = YR_ROLE_NONE;
        if (rc != 0)
            goto fail;
        if (role == YR_ROLE_ANNOTATIONS && !is_merge && !json_is_string(val)) {
            /* kubectl: cannot unmarshal into ObjectMeta.annotations of type string */
            yr_error_at(yr, val_mark,
                        "metadata.annotations.%.100s: annotations must be strings, found %s "
                        "(quote it: %.100s: \"...\")",
                        json_string_value(key), yr_json_kind(val), json_string_value(key));
            json_decref(val);
            goto fail;
        }
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
                yr_error_at(yr, val_mark, "%s",
                            bad == 2 ? "a merge (<<) value must be a mapping or a sequence of "
                                       "mappings"
                                     : "out of memory");
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
                yr_error_at(yr, key_mark, "out of memory");
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
                yr_error_at(yr, start->start_mark, "out of memory");
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

json_t *gmw_yaml_parse_stream(const char *buf, size_t len, const char *name, char *err,
                              size_t errcap)
{
    yreader yr;
    yaml_event_t ev;
    json_t *docs = json_array();
    int parser_ready = 0;

    memset(&yr, 0, sizeof(yr));
    yr.buf = buf;
    yr.len = len;
    yr.name = name;
    yr.err = err;
    yr.errcap = errcap;
    if (errcap > 0)
        err[0] = '\0';
    if (docs == NULL || !yaml_parser_initialize(&yr.parser)) {
        snprintf(err, errcap, "%s: out of memory", name);
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
        yr.next_role = YR_ROLE_OBJECT;
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
            goto fail;
        }
    }
    yaml_parser_delete(&yr.parser);
    free(yr.anchors);
    return docs;
fail:
    yr_anchors_clear(&yr);
    free(yr.anchors);
    if (parser_ready)
        yaml_parser_delete(&yr.parser);
    json_decref(docs);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* JSON reading                                                                          */

static size_t skip_blank(const char *buf, size_t len, size_t pos)
{
    while (pos < len &&
           (buf[pos] == ' ' || buf[pos] == '\t' || buf[pos] == '\n' || buf[pos] == '\r'))
        pos++;
    return pos;
}

json_t *gmw_json_parse_stream(const char *buf, size_t len, const char *name, char *err,
                              size_t errcap)
{
    json_t *docs = json_array();
    size_t pos = 0;

    if (errcap > 0)
        err[0] = '\0';
    if (docs == NULL) {
        snprintf(err, errcap, "%s: out of memory", name);
        return NULL;
    }
    pos = skip_blank(buf, len, pos);
    while (pos < len) {
        json_error_t jerr;
        json_t *doc = json_loadb(buf + pos, len - pos,
                                 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (doc == NULL) {
            size_t line = 0, col = 0;
            /* jansson counts from the start of this value; make it absolute. */
            offset_position(buf, len, pos, &line, &col);
            if (jerr.line > 0) {
                if (jerr.line == 1)
                    col += (size_t)(jerr.column > 0 ? jerr.column : 1) - 1;
                else
                    col = (size_t)(jerr.column > 0 ? jerr.column : 1);
                line += (size_t)jerr.line - 1;
            }
            snprintf(err, errcap, "%s:%zu:%zu: %s", name, line, col, jerr.text);
            json_decref(docs);
            return NULL;
        }
        if (json_array_append_new(docs, doc) != 0) {
            snprintf(err, errcap, "%s: out of memory", name);
            json_decref(docs);
            return NULL;
        }
        pos = skip_blank(buf, len, pos + (size_t)jerr.position);
    }
    return docs;
}

/*
 * JSON input has no line numbers at hand: the same rule as the YAML reader's (annotations of
 * objects and pod templates must be strings), reported by document. Returns 0 or -1 (err set).
 */
// NOLINTNEXTLINE(misc-no-recursion): bounded by GMW_MANIFEST_MAX_DEPTH of the parsed input
static int check_annotations(const json_t *v, int role, const char *name, size_t docno, char *err,
                             size_t errcap)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (check_annotations(x, role == YR_ROLE_ITEMS ? YR_ROLE_OBJECT : YR_ROLE_NONE, name,
                                  docno, err, errcap) != 0)
                return -1;
        }
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    json_object_foreach((json_t *)v, k, x)
    {
        if (role == YR_ROLE_ANNOTATIONS && !json_is_string(x)) {
            snprintf(err, errcap,
                     "%s: document %zu: metadata.annotations.%.100s: annotations must be strings, "
                     "found %s (quote it: \"%.100s\": \"...\")",
                     name, docno, k, yr_json_kind(x), k);
            return -1;
        }
        if (check_annotations(x, yr_child_role(role, k), name, docno, err, errcap) != 0)
            return -1;
    }
    return 0;
}

json_t *gmw_manifest_parse(const char *buf, size_t len, const char *name,
                           gmw_manifest_format *format, char *err, size_t errcap)
{
    size_t pos = 0;

    /* A UTF-8 byte order mark is allowed before either kind of input. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    pos = skip_blank(buf, len, pos);
    if (pos < len && buf[pos] == '{') {
        if (format != NULL)
            *format = GMW_MANIFEST_JSON;
        json_t *docs = gmw_json_parse_stream(buf, len, name, err, errcap);
        size_t i;
        json_t *d;
        json_array_foreach(docs, i, d)
        {
            if (check_annotations(d, YR_ROLE_OBJECT, name, i + 1, err, errcap) != 0) {
                json_decref(docs);
                return NULL;
            }
        }
        return docs;
    }
    if (format != NULL)
        *format = GMW_MANIFEST_YAML;
    return gmw_yaml_parse_stream(buf, len, name, err, errcap);
}

/* ------------------------------------------------------------------------------------ */
/* Writing                                                                               */

/* Fewest significant digits (1..17) that read back as exactly d. */
static int real_digits(double d)
{
    char buf[64];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof(buf), "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            return p;
    }
    return 17;
}

/*
 * d as a YAML float every reader takes for a float: always with a '.' (1.0, 1.5e+300).
 * buf must hold at least 40 bytes (%.17g needs at most 24, plus ".0").
 */
static void format_real(double d, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%.*g", real_digits(d), d);
    if (n < 0 || (size_t)n + 3 > cap || strchr(buf, '.') != NULL)
        return;
    size_t len = (size_t)n;
    char *e = strchr(buf, 'e');
    size_t at = e == NULL ? len : (size_t)(e - buf);
    memmove(buf + at + 2, buf + at, len - at + 1);
    buf[at] = '.';
    buf[at + 1] = '0';
}

typedef struct {
    char *data;
    size_t len, cap;
    bool too_big;
} outbuf;

static int outbuf_write(void *ctx, unsigned char *bytes, size_t size)
{
    outbuf *ob = ctx;

    if (size > GMW_MANIFEST_MAX_OUTPUT - ob->len) {
        ob->too_big = true;
        return 0;
    }
    if (ob->len + size + 1 > ob->cap) {
        size_t ncap = ob->cap == 0 ? 4096 : ob->cap;
        while (ncap < ob->len + size + 1)
            ncap *= 2;
        char *grown = realloc(ob->data, ncap);
        if (grown == NULL)
            return 0;
        ob->data = grown;
        ob->cap = ncap;
    }
    memcpy(ob->data + ob->len, bytes, size);
    ob->len += size;
    ob->data[ob->len] = '\0';
    return 1;
}

static int emit_string(yaml_emitter_t *em, const char *s, size_t len)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

    if (len > INT_MAX)
        return 0;
    if (gmw_yaml_plain_is_ambiguous(s, len))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    else if (memchr(s, '\n', len) != NULL)
        style = YAML_LITERAL_SCALAR_STYLE; /* libyaml falls back to quotes if it can't */
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
        return 0;
    return yaml_emitter_emit(em, &ev);
}

static int emit_plain(yaml_emitter_t *em, const char *s)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
                                      YAML_PLAIN_SCALAR_STYLE))
        return 0;
    return yaml_emitter_emit(em, &ev);
}

/* Emit v; returns 1 on success, 0 on failure (emitter->problem or *why says why). */
// NOLINTNEXTLINE(misc-no-recursion): refuses depth > 4096
static int emit_value(yaml_emitter_t *em, const json_t *v, unsigned depth, const char **why)
{
    yaml_event_t ev;
    char num[64];

    if (depth > 4096) {
        *why = "value nested too deeply";
        return 0;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(em, &ev))
            return 0;
        json_object_foreach((json_t *)v, key, val)
        {
            if (!emit_string(em, key, strlen(key)) || !emit_value(em, val, depth + 1, why))
                return 0;
        }
        if (!yaml_mapping_end_event_initialize(&ev))
            return 0;
        return yaml_emitter_emit(em, &ev);
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(em, &ev))
            return 0;
        json_array_foreach(v, i, val)
        {
            if (!emit_value(em, val, depth + 1, why))
                return 0;
        }
        if (!yaml_sequence_end_event_initialize(&ev))
            return 0;
        return yaml_emitter_emit(em, &ev);
    }
    case JSON_STRING:
        return emit_string(em, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_plain(em, num);
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof(num));
        return emit_plain(em, num);
    case JSON_TRUE:
        return emit_plain(em, "true");
    case JSON_FALSE:
        return emit_plain(em, "false");
    case JSON_NULL:
        return emit_plain(em, "null");
    }
    return 0;
}

char *gmw_yaml_emit(const json_t *docs, size_t *out_len, char *err, size_t errcap)
{
    yaml_emitter_t em;
    yaml_event_t ev;
    outbuf ob = {NULL, 0, 0, false};
    const char *why = NULL;
    size_t i;
    json_t *doc;
    int ok = 0;

    if (!json_is_array(docs)) {
        snprintf(err, errcap, "internal error: documents must be an array");
        return NULL;
    }
    if (!yaml_emitter_initialize(&em)) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    yaml_emitter_set_output(&em, outbuf_write, &ob);
    yaml_emitter_set_encoding(&em, YAML_UTF8_ENCODING);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_emitter_set_indent(&em, 2);
    yaml_emitter_set_break(&em, YAML_LN_BREAK);

    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
        !yaml_emitter_emit(&em, &ev))
        goto out;
    json_array_foreach(docs, i, doc)
    {
        if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, i == 0) ||
            !yaml_emitter_emit(&em, &ev))
            goto out;
        if (!emit_value(&em, doc, 0, &why))
            goto out;
        if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev))
            goto out;
    }
    if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev) ||
        !yaml_emitter_flush(&em))
        goto out;
    ok = 1;
out:
    if (!ok) {
        if (ob.too_big)
            snprintf(err, errcap, "output larger than %zu bytes", GMW_MANIFEST_MAX_OUTPUT);
        else if (why != NULL)
            snprintf(err, errcap, "%s", why);
        else
            snprintf(err, errcap, "YAML emitter: %s",
                     em.problem != NULL ? em.problem : "out of memory");
        free(ob.data);
        ob.data = NULL;
    } else if (ob.data == NULL) {
        ob.data = calloc(1, 1);
        if (ob.data == NULL)
            snprintf(err, errcap, "out of memory");
    }
    yaml_emitter_delete(&em);
    if (ob.data != NULL && out_len != NULL)
        *out_len = ob.len;
    return ob.data;
}

/* The largest real_digits() of any real in v. */
// NOLINTNEXTLINE(misc-no-recursion): stops at depth > 4096
static int max_real_digits(const json_t *v, unsigned depth)
{
    int best = 1;
    if (depth > 4096)
        return 17;
    if (json_is_real(v))
        return real_digits(json_real_value(v));
    if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val)
        {
            int d = max_real_digits(val, depth + 1);
            if (d > best)
                best = d;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *val;
        json_array_foreach(v, i, val)
        {
            int d = max_real_digits(val, depth + 1);
            if (d > best)
                best = d;
        }
    }
    return best;
}

char *gmw_json_emit(const json_t *doc, size_t *out_len, char *err, size_t errcap)
{
    size_t flags = JSON_INDENT(4) | JSON_REAL_PRECISION(max_real_digits(doc, 0));
    char *text = json_dumps(doc, flags);
    if (text == NULL) {
        snprintf(err, errcap, "cannot serialize JSON (out of memory)");
        return NULL;
    }
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (withnl == NULL) {
        free(text);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    if (out_len != NULL)
        *out_len = n + 1;
    return withnl;
}
