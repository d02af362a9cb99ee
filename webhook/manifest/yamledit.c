/*
 * yamledit.c - JSON Patch ops as text insertions into YAML (see yamledit.h).
 *
 * 1. libyaml events -> a small node tree with byte ranges (marks are line/column in
 *    characters: converted through a table of line starts).
 * 2. Each op -> one edit (byte offset, bytes removed, text inserted), resolved on that tree.
 * 3. Edits applied from the end of the buffer to the start (equal offsets keep op order).
 */
#include "yamledit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dynbuf.h"
#include "manifest.h"

#define EDIT_MAX_DEPTH GMW_MANIFEST_MAX_DEPTH
#define EDIT_OUT_CAP GMW_MANIFEST_MAX_OUTPUT

typedef enum { N_SCALAR, N_MAP, N_SEQ, N_ALIAS } node_type;

typedef struct ynode {
    node_type type;
    bool flow;                 /* flow collection ({...} / [...]) */
    yaml_scalar_style_t style; /* scalars */
    size_t start, end;         /* byte offsets of the node's text */
    size_t col;                /* column (characters) of the start */
    bool props;                /* has an anchor or a tag (its text is part of the range) */
    char *value;               /* scalar value (owned) */
    size_t n;                  /* map: pairs, seq: items */
    size_t nkids;              /* child pointers in kids (also while still being built) */
    struct ynode **kids;       /* map: key0, val0, key1, val1...; seq: items (owned) */
} ynode;

typedef struct {
    size_t at;      /* byte offset */
    size_t removed; /* bytes replaced from `at` */
    char *text;     /* owned */
    size_t col;     /* indentation of inserted lines: deeper ones go first at one offset */
    size_t seq;     /* op order, for the remaining ties */
    bool need_eol;  /* at the end of a file without a final line break: add one first */
} edit;

typedef struct {
    const char *buf;
    size_t len;
    const char *name;
    char *err;
    size_t errcap;
    size_t *line_start; /* byte offset of each line */
    size_t lines;
    const char *eol; /* "\n" or "\r\n", as the file writes them */
    yaml_parser_t parser;
    edit *edits;
    size_t nedits, capedits;
    bool need_eol; /* for the next push_edit (line_after found no line break) */
    int failed;
} ectx;

static int fail_at(ectx *c, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(ectx *c, size_t line, size_t col, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->failed) {
        if (line > 0)
            snprintf(c->err, c->errcap, "%s:%zu:%zu: %s", c->name, line, col, msg);
        else
            snprintf(c->err, c->errcap, "%s: %s", c->name, msg);
    }
    c->failed = 1;
    return -1;
}

// NOLINTNEXTLINE(misc-no-recursion): trees are at most EDIT_MAX_DEPTH deep (build_node)
static void node_free(ynode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n);
}

/* Byte offset of a libyaml mark (line and column count characters). */
static size_t mark_offset(const ectx *c, const yaml_mark_t *m)
{
    if (m->line >= c->lines)
        return c->len;
    size_t off = c->line_start[m->line];
    for (size_t col = 0; col < m->column && off < c->len; col++) {
        unsigned char b = (unsigned char)c->buf[off];
        size_t w = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
        off += w;
    }
    return off < c->len ? off : c->len;
}

/* Line table; refuses what libyaml would count differently (BOM, NEL, LS, PS). */
static int build_lines(ectx *c)
{
    size_t cap = 64;
    c->line_start = malloc(cap * sizeof *c->line_start);
    if (c->line_start == NULL)
        return fail_at(c, 0, 0, "out of memory");
    c->line_start[c->lines++] = 0;
    c->eol = NULL;
    if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
        return fail_at(c, 0, 0, "a byte order mark cannot be kept: use -o yaml");
    for (size_t i = 0; i < c->len; i++) {
        unsigned char b = (unsigned char)c->buf[i];
        if ((b == 0xC2 && i + 1 < c->len && (unsigned char)c->buf[i + 1] == 0x85) ||
            (b == 0xE2 && i + 2 < c->len && (unsigned char)c->buf[i + 1] == 0x80 &&
             ((unsigned char)c->buf[i + 2] == 0xA8 || (unsigned char)c->buf[i + 2] == 0xA9)))
            return fail_at(c, c->lines, 0, "a Unicode line separator cannot be kept: use -o yaml");
        if (b != '\n' && b != '\r')
            continue;
        if (b == '\r' && i + 1 < c->len && c->buf[i + 1] == '\n') {
            if (c->eol == NULL)
                c->eol = "\r\n";
            i++;
        } else if (c->eol == NULL) {
            c->eol = b == '\n' ? "\n" : "\r";
        }
        if (c->lines == cap) {
            size_t *grown = realloc(c->line_start, 2 * cap * sizeof *grown);
            if (grown == NULL)
                return fail_at(c, 0, 0, "out of memory");
            c->line_start = grown;
            cap *= 2;
        }
        c->line_start[c->lines++] = i + 1;
    }
    if (c->eol == NULL)
        c->eol = "\n";
    return 0;
}

static int next_event(ectx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev))
        return fail_at(c, c->parser.problem_mark.line + 1, c->parser.problem_mark.column + 1, "%s",
                       c->parser.problem != NULL ? c->parser.problem : "YAML error");
    return 0;
}

/* Append kid as the used-th child of n (owned; freed on failure). */
static int add_kid(ectx *c, ynode *n, ynode *kid, size_t used, size_t *cap)
{
    if (used + 1 >= *cap) {
        size_t ncap = *cap == 0 ? 8 : *cap * 2;
        ynode **grown = realloc(n->kids, ncap * sizeof(ynode *));
        if (grown == NULL) {
            node_free(kid);
            return fail_at(c, 0, 0, "out of memory");
        }
        memset(grown + *cap, 0, (ncap - *cap) * sizeof(ynode *));
        n->kids = grown;
        *cap = ncap;
    }
    n->kids[used] = kid;
    n->nkids = used + 1;
    return 0;
}

/* Build the node that starts with event *ev (consumed). */
// NOLINTNEXTLINE(misc-no-recursion): depth is capped at EDIT_MAX_DEPTH
static ynode *build_node(ectx *c, yaml_event_t *ev, unsigned depth)
{
    ynode *n = calloc(1, sizeof *n);
    if (n == NULL) {
        yaml_event_delete(ev);
        fail_at(c, 0, 0, "out of memory");
        return NULL;
    }
    n->start = mark_offset(c, &ev->start_mark);
    n->end = mark_offset(c, &ev->end_mark);
    n->col = ev->start_mark.column;
    if (depth > EDIT_MAX_DEPTH) {
        fail_at(c, ev->start_mark.line + 1, ev->start_mark.column + 1, "nested too deep");
        goto fail;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        n->type = N_ALIAS;
        yaml_event_delete(ev);
        return n;
    case YAML_SCALAR_EVENT:
        n->type = N_SCALAR;
        n->style = ev->data.scalar.style;
        n->props = ev->data.scalar.anchor != NULL || ev->data.scalar.tag != NULL;
        n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        if (n->value == NULL) {
            fail_at(c, 0, 0, "out of memory");
            goto fail;
        }
        yaml_event_delete(ev);
        return n;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        yaml_event_type_t end_type = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        size_t cap = 0, count = 0;
        n->type = map ? N_MAP : N_SEQ;
        n->flow = map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                      : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        yaml_event_delete(ev);
        for (;;) {
            yaml_event_t kev;
            if (next_event(c, &kev) != 0)
                goto fail;
            if (kev.type == end_type) {
                n->end = mark_offset(c, &kev.end_mark);
                yaml_event_delete(&kev);
                break;
            }
            ynode *kid = build_node(c, &kev, depth + 1);
            if (kid == NULL || add_kid(c, n, kid, count, &cap) != 0)
                goto fail;
            count++;
        }
        if (map && count % 2 != 0) {
            fail_at(c, 0, 0, "unbalanced mapping");
            goto fail;
        }
        n->n = map ? count / 2 : count;
        return n;
    }
    default:
        fail_at(c, ev->start_mark.line + 1, ev->start_mark.column + 1, "unexpected YAML event");
        yaml_event_delete(ev);
        goto fail;
    }
fail:
    node_free(n);
    return NULL;
}

/* Is a document root what gmw_manifest_parse skips (an empty or null document)? */
static bool is_null_root(const ynode *root)
{
    const char *why = NULL;
    if (root->type != N_SCALAR || root->style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    json_t *v = NULL;
    bool null =
        gmw_yaml_resolve_plain(root->value, strlen(root->value), &v, &why) == 0 && json_is_null(v);
    json_decref(v);
    return null;
}

/* Where a node's own text ends: for block collections, the end of their last child. */
static size_t content_end(const ynode *n)
{
    while ((n->type == N_MAP || n->type == N_SEQ) && !n->flow && n->n > 0)
        n = n->type == N_MAP ? n->kids[2 * n->n - 1] : n->kids[n->n - 1];
    return n->end;
}

/* ---- text of new values ------------------------------------------------------------ */

typedef struct {
    size_t unit;       /* mapping indentation step */
    size_t seq_indent; /* dash column - key column for a sequence under a key (0 or unit) */
    char quote;        /* '"' or '\'' for scalars that need quotes */
} style;

/* Can s be written as a plain scalar and read back as this very string? */
static bool plain_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || gmw_yaml_plain_is_ambiguous(s, n) || strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) ||
        s[0] == ' ' || s[n - 1] == ' ' || strstr(s, ": ") != NULL || strstr(s, " #") != NULL ||
        s[n - 1] == ':')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7F || b >= 0x80 || strchr(",[]{}", b) != NULL)
            return false;
    }
    return true;
}

static int add_quoted(gmw_dynbuf *b, const char *s, char quote)
{
    int rc = gmw_dynbuf_add(b, &quote, 1);
    for (const char *p = s; rc == 0 && *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (quote == '\'')
            rc = ch == '\'' ? gmw_dynbuf_adds(b, "''") : gmw_dynbuf_add(b, p, 1);
        else if (ch == '"' || ch == '\\')
            rc = gmw_dynbuf_addf(b, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7F)
            rc = gmw_dynbuf_addf(b, "\\x%02x", ch);
        else
            rc = gmw_dynbuf_add(b, p, 1);
    }
    return rc != 0 ? rc : gmw_dynbuf_add(b, &quote, 1);
}

/* A scalar JSON value as YAML text (plain when it reads back the same, else quoted). */
static int add_scalar(gmw_dynbuf *b, const json_t *v, char quote)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v))
            return -EINVAL; /* NUL inside */
        return plain_ok(s) ? gmw_dynbuf_adds(b, s) : add_quoted(b, s, quote);
    }
    if (json_is_integer(v))
        return gmw_dynbuf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_true(v) || json_is_false(v) || json_is_null(v))
        return gmw_dynbuf_adds(b, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
    return -EINVAL;
}

static int add_spaces(gmw_dynbuf *b, size_t n)
{
    static const char sp[] = "                                ";
    int rc = 0;
    while (rc == 0 && n > 0) {
        size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
        rc = gmw_dynbuf_add(b, sp, k);
        n -= k;
    }
    return rc;
}

static int add_block_value(gmw_dynbuf *b, const json_t *v, size_t col, const style *st,
                           const char *eol, unsigned depth);

/* "key:" + value, the key at column col (the caller wrote the indentation). */
// NOLINTNEXTLINE(misc-no-recursion): bounded by the depth of the JSON value
static int add_pair(gmw_dynbuf *b, const char *key, const json_t *v, size_t col, const style *st,
                    const char *eol, unsigned depth)
{
    json_t *k = json_string(key);
    int rc = k == NULL ? -ENOMEM : add_scalar(b, k, st->quote);
    json_decref(k);
    if (rc == 0)
        rc = gmw_dynbuf_adds(b, ":");
    return rc != 0 ? rc : add_block_value(b, v, col, st, eol, depth + 1);
}

/*
 * A value after "key:" or "- " whose key/dash is at column col: a scalar (" v" EOL), an
 * empty collection (" {}" / " []"), or an EOL and the block lines below.
 */
// NOLINTNEXTLINE(misc-no-recursion): bounded by the depth of the JSON value
static int add_block_value(gmw_dynbuf *b, const json_t *v, size_t col, const style *st,
                           const char *eol, unsigned depth)
{
    int rc = 0;
    if (depth > EDIT_MAX_DEPTH)
        return -EINVAL;
    if (json_is_object(v) && json_object_size(v) > 0) {
        const char *key;
        json_t *val;
        rc = gmw_dynbuf_adds(b, eol);
        json_object_foreach((json_t *)v, key, val)
        {
            if (rc == 0)
                rc = add_spaces(b, col + st->unit);
            if (rc == 0)
                rc = add_pair(b, key, val, col + st->unit, st, eol, depth);
        }
        return rc;
    }
    if (json_is_array(v) && json_array_size(v) > 0) {
        size_t i;
        json_t *item;
        rc = gmw_dynbuf_adds(b, eol);
        json_array_foreach(v, i, item)
        {
            size_t dash = col + st->seq_indent;
            if (rc == 0)
                rc = add_spaces(b, dash);
            if (rc == 0)
                rc = gmw_dynbuf_adds(b, "-");
            if (rc == 0 && json_is_object(item) && json_object_size(item) > 0) {
                /* "- first: v" then the other keys under "first" */
                const char *key;
                json_t *val;
                bool first = true;
                json_object_foreach(item, key, val)
                {
                    if (rc == 0)
                        rc = first ? gmw_dynbuf_adds(b, " ") : add_spaces(b, dash + 2);
                    if (rc == 0)
                        rc = add_pair(b, key, val, dash + 2, st, eol, depth);
                    first = false;
                }
            } else if (rc == 0) {
                rc = add_block_value(b, item, dash, st, eol, depth + 1);
            }
        }
        return rc;
    }
    if (json_is_object(v) || json_is_array(v))
        rc = gmw_dynbuf_adds(b, json_is_object(v) ? " {}" : " []");
    else if ((rc = gmw_dynbuf_adds(b, " ")) == 0)
        rc = add_scalar(b, v, st->quote);
    return rc != 0 ? rc : gmw_dynbuf_adds(b, eol);
}

/* ---- edits ------------------------------------------------------------------------- */

static int push_edit(ectx *c, size_t at, size_t removed, size_t col, gmw_dynbuf *text)
{
    if (c->nedits == c->capedits) {
        size_t ncap = c->capedits == 0 ? 16 : c->capedits * 2;
        edit *grown = realloc(c->edits, ncap * sizeof *grown);
        if (grown == NULL)
            return fail_at(c, 0, 0, "out of memory");
        c->edits = grown;
        c->capedits = ncap;
    }
    char *t = gmw_dynbuf_take(text, NULL);
    if (t == NULL)
        return fail_at(c, 0, 0, "out of memory");
    c->edits[c->nedits] = (edit){at, removed, t, col, c->nedits, c->need_eol};
    c->need_eol = false;
    c->nedits++;
    return 0;
}

/* The byte offset of the line after the one holding `off` (the end, plus an EOL if none). */
static size_t line_after(const ectx *c, size_t off, bool *need_eol)
{
    *need_eol = false;
    if (off > 0 && (c->buf[off - 1] == '\n' || c->buf[off - 1] == '\r'))
        return off;
    while (off < c->len && c->buf[off] != '\n' && c->buf[off] != '\r')
        off++;
    if (off >= c->len) {
        *need_eol = true;
        return c->len;
    }
    if (c->buf[off] == '\r' && off + 1 < c->len && c->buf[off + 1] == '\n')
        off++;
    return off + 1;
}

/* RFC 6901 token unescape into dst. */
static void unescape_token(const char *s, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            dst[o++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            dst[o++] = s[i];
        }
    }
    dst[o] = '\0';
}

static ynode *map_get(const ynode *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++) {
        const ynode *k = m->kids[2 * i];
        if (k->type == N_SCALAR && strcmp(k->value, key) == 0)
            return m->kids[2 * i + 1];
    }
    return NULL;
}

/* Walk `path` (all tokens but the last) from root; *last gets the last token. */
static ynode *resolve_parent(ectx *c, ynode *root, const char *path, char *last, size_t cap)
{
    ynode *n = root;
    const char *p = path;
    if (*p != '/') {
        fail_at(c, 0, 0, "patch path \"%s\" is not a JSON pointer", path);
        return NULL;
    }
    for (;;) {
        const char *tok = p + 1;
        const char *slash = strchr(tok, '/');
        size_t tlen = slash != NULL ? (size_t)(slash - tok) : strlen(tok);
        unescape_token(tok, tlen, last, cap);
        if (slash == NULL)
            return n;
        if (n->type == N_ALIAS) {
            fail_at(c, 0, 0, "%s goes through an alias: use -o yaml", path);
            return NULL;
        }
        ynode *next = NULL;
        if (n->type == N_MAP) {
            next = map_get(n, last);
        } else if (n->type == N_SEQ) {
            char *end = NULL;
            unsigned long idx = strtoul(last, &end, 10);
            if (end != last && *end == '\0' && idx < n->n)
                next = n->kids[idx];
        }
        if (next == NULL) {
            fail_at(c, 0, 0, "%s: no such node in the file (added by an earlier op?)", path);
            return NULL;
        }
        n = next;
        p = slash;
    }
}

/* The style of scalars and indentation around node n, learned from the document. */
// NOLINTNEXTLINE(misc-no-recursion): depth is capped at EDIT_MAX_DEPTH
static void learn_style(const ynode *n, style *st, size_t *single, size_t *dbl, unsigned depth)
{
    if (depth > EDIT_MAX_DEPTH)
        return;
    if (n->type == N_SCALAR) {
        *single += n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE;
        *dbl += n->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        return;
    }
    if (n->flow || (n->type != N_MAP && n->type != N_SEQ))
        return;
    for (size_t i = 0; i < n->n; i++) {
        const ynode *kid = n->type == N_MAP ? n->kids[2 * i + 1] : n->kids[i];
        if (n->type == N_MAP && !kid->flow && kid->n > 0 && st->unit == 0 && kid->type == N_MAP &&
            kid->kids[0]->col > n->kids[2 * i]->col)
            st->unit = kid->kids[0]->col - n->kids[2 * i]->col;
        if (n->type == N_MAP && kid->type == N_SEQ && !kid->flow && kid->n > 0 &&
            st->seq_indent == (size_t)-1) {
            /* the dash is 2 columns before a block item's content, on the same line */
            size_t item_col = kid->kids[0]->col;
            size_t key_col = n->kids[2 * i]->col;
            st->seq_indent = item_col >= key_col + 2 ? item_col - 2 - key_col : 0;
        }
        if (n->type == N_MAP)
            learn_style(n->kids[2 * i], st, single, dbl, depth + 1);
        learn_style(kid, st, single, dbl, depth + 1);
    }
}

/* The dash column of a block sequence (from the first item: "- " before its content). */
static bool dash_column(const ectx *c, const ynode *seq, size_t *col)
{
    const ynode *first = seq->kids[0];
    size_t p = first->start, back = 0;
    while (p > 0 && c->buf[p - 1] == ' ') {
        p--;
        back++;
    }
    if (p == 0 || c->buf[p - 1] != '-' || first->col < back + 1)
        return false;
    *col = first->col - back - 1;
    return true;
}

/* One op of a document's patch. */
static int apply_op(ectx *c, ynode *root, const json_t *op, const style *st)
{
    const char *kind = json_string_value(json_object_get(op, "op"));
    const char *path = json_string_value(json_object_get(op, "path"));
    const json_t *value = json_object_get(op, "value");
    char last[512];
    gmw_dynbuf text;
    bool need_eol = false;
    gmw_dynbuf_init(&text, EDIT_OUT_CAP);

    if (kind == NULL || path == NULL || value == NULL ||
        (strcmp(kind, "add") != 0 && strcmp(kind, "replace") != 0))
        return fail_at(c, 0, 0, "patch op \"%s\" cannot be applied as text: use -o yaml",
                       kind != NULL ? kind : "?");
    ynode *parent = resolve_parent(c, root, path, last, sizeof last);
    if (parent == NULL)
        return -1;
    ynode *target = NULL;
    if (parent->type == N_ALIAS)
        return fail_at(c, 0, 0, "%s goes through an alias: use -o yaml", path);
    if (parent->type == N_MAP)
        target = map_get(parent, last);
    else if (parent->type == N_SEQ && strcmp(kind, "replace") == 0) {
        char *end = NULL;
        unsigned long idx = strtoul(last, &end, 10);
        if (end != last && *end == '\0' && idx < parent->n)
            target = parent->kids[idx];
    }
    int rc = 0;
    if (target != NULL) {
        /* replace a scalar by a scalar, in its own quoting */
        if (target->type != N_SCALAR || json_is_object(value) || json_is_array(value) ||
            target->style == YAML_LITERAL_SCALAR_STYLE ||
            target->style == YAML_FOLDED_SCALAR_STYLE || target->props)
            return fail_at(c, 0, 0, "%s: only scalars can be replaced as text: use -o yaml", path);
        if (target->start == target->end) /* "key:" with no value: keep a space */
            rc = gmw_dynbuf_adds(&text, " ");
        if (rc != 0)
            ;
        else if (json_is_string(value) && target->style == YAML_SINGLE_QUOTED_SCALAR_STYLE)
            rc = add_quoted(&text, json_string_value(value), '\'');
        else if (json_is_string(value) && target->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
            rc = add_quoted(&text, json_string_value(value), '"');
        else
            rc = add_scalar(&text, value, st->quote);
        if (rc != 0)
            return fail_at(c, 0, 0, "%s: cannot write the value", path);
        return push_edit(c, target->start, target->end - target->start, 0, &text);
    }
    if (strcmp(kind, "replace") == 0)
        return fail_at(c, 0, 0, "%s: nothing to replace", path);
    if (parent->type == N_MAP && parent->flow) {
        /* before the closing brace: ", key: <JSON>" */
        char *js = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *k = json_string(last);
        if (js == NULL || k == NULL || parent->end == 0 || c->buf[parent->end - 1] != '}') {
            free(js);
            json_decref(k);
            return fail_at(c, 0, 0, "%s: cannot insert into this flow mapping", path);
        }
        rc = gmw_dynbuf_adds(&text, parent->n > 0 ? ", " : "");
        if (rc == 0)
            rc = add_scalar(&text, k, '"');
        if (rc == 0)
            rc = gmw_dynbuf_addf(&text, ": %s", js);
        free(js);
        json_decref(k);
        return rc != 0 ? fail_at(c, 0, 0, "out of memory")
                       : push_edit(c, parent->end - 1, 0, 0, &text);
    }
    if (parent->type == N_SEQ && parent->flow) {
        char *js = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (js == NULL || parent->end == 0 || c->buf[parent->end - 1] != ']') {
            free(js);
            return fail_at(c, 0, 0, "%s: cannot append to this flow sequence", path);
        }
        rc = gmw_dynbuf_addf(&text, "%s%s", parent->n > 0 ? ", " : "", js);
        free(js);
        return rc != 0 ? fail_at(c, 0, 0, "out of memory")
                       : push_edit(c, parent->end - 1, 0, 0, &text);
    }
    if (parent->type == N_MAP && parent->n > 0) {
        size_t col = parent->kids[0]->col;
        size_t at = line_after(c, content_end(parent), &need_eol);
        c->need_eol = need_eol;
        rc = add_spaces(&text, col);
        if (rc == 0)
            rc = add_pair(&text, last, value, col, st, c->eol, 0);
        return rc != 0 ? fail_at(c, 0, 0, "%s: cannot write the value", path)
                       : push_edit(c, at, 0, col, &text);
    }
    if (parent->type == N_SEQ && parent->n > 0 &&
        (strcmp(last, "-") == 0 || strtoul(last, NULL, 10) == parent->n)) {
        size_t dash = 0;
        if (!dash_column(c, parent, &dash))
            return fail_at(c, 0, 0, "%s: cannot find the sequence's indentation", path);
        size_t at = line_after(c, content_end(parent), &need_eol);
        json_t *one = json_pack("[O]", value);
        style item = *st;
        item.seq_indent = 0;
        c->need_eol = need_eol;
        rc = one == NULL ? -ENOMEM : 0;
        /* add_block_value writes the EOL of a "key:" first: write the item lines directly */
        gmw_dynbuf lines;
        gmw_dynbuf_init(&lines, EDIT_OUT_CAP);
        if (rc == 0)
            rc = add_block_value(&lines, one, dash, &item, c->eol, 0);
        json_decref(one);
        if (rc == 0)
            rc = gmw_dynbuf_adds(&text, gmw_dynbuf_ptr(&lines) + strlen(c->eol));
        gmw_dynbuf_free(&lines);
        return rc != 0 ? fail_at(c, 0, 0, "%s: cannot write the value", path)
                       : push_edit(c, at, 0, dash, &text);
    }
    return fail_at(c, 0, 0, "%s: cannot insert here as text: use -o yaml", path);
}

static int edit_cmp(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->col != y->col) /* a deeper block continues its parent: it goes first */
        return x->col > y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Apply one document's patch to its tree. */
static int edit_document(ectx *c, ynode *root, const json_t *patch)
{
    style st = {0, (size_t)-1, '"'};
    size_t single = 0, dbl = 0, i;
    const json_t *op;
    if (!json_is_array(patch))
        return fail_at(c, 0, 0, "internal error: a patch is not an array");
    if (json_array_size(patch) == 0)
        return 0;
    learn_style(root, &st, &single, &dbl, 0);
    if (st.unit == 0)
        st.unit = 2;
    if (st.seq_indent == (size_t)-1)
        st.seq_indent = 0;
    st.quote = single > dbl ? '\'' : '"';
    json_array_foreach(patch, i, op)
    {
        if (apply_op(c, root, op, &st) != 0)
            return -1;
    }
    return 0;
}

char *gmw_yaml_edit(const char *buf, size_t len, const char *name, const json_t *patches,
                    size_t *out_len, char *err, size_t errcap)
{
    ectx c;
    gmw_dynbuf out;
    size_t docno = 0;
    bool parser_ready = false;
    char *result = NULL;

    memset(&c, 0, sizeof c);
    c.buf = buf;
    c.len = len;
    c.name = name;
    c.err = err;
    c.errcap = errcap;
    gmw_dynbuf_init(&out, EDIT_OUT_CAP);
    if (errcap > 0)
        err[0] = '\0';
    if (build_lines(&c) != 0)
        goto fail;
    if (!yaml_parser_initialize(&c.parser)) {
        fail_at(&c, 0, 0, "out of memory");
        goto fail;
    }
    parser_ready = true;
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)buf, len);
    for (;;) {
        yaml_event_t ev;
        if (next_event(&c, &ev) != 0)
            goto fail;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t != YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            fail_at(&c, 0, 0, "unexpected YAML event");
            goto fail;
        }
        yaml_event_delete(&ev);
        if (next_event(&c, &ev) != 0)
            goto fail;
        ynode *root = build_node(&c, &ev, 0);
        if (root == NULL)
            goto fail;
        if (!is_null_root(root)) {
            const json_t *patch = json_array_get(patches, docno++);
            int rc = patch == NULL ? fail_at(&c, 0, 0, "more documents than patches")
                                   : edit_document(&c, root, patch);
            if (rc != 0) {
                node_free(root);
                goto fail;
            }
        }
        node_free(root);
    }
    if (docno != json_array_size(patches)) {
        fail_at(&c, 0, 0, "%zu documents but %zu patches", docno, json_array_size(patches));
        goto fail;
    }
    /* the edits, in file order (ties in op order) */
    if (c.nedits > 1)
        qsort(c.edits, c.nedits, sizeof *c.edits, edit_cmp);
    size_t pos = 0;
    for (size_t i = 0; i < c.nedits; i++) {
        const edit *e = &c.edits[i];
        if (e->at < pos) {
            fail_at(&c, 0, 0, "two patch ops touch the same text: use -o yaml");
            goto fail;
        }
        if (gmw_dynbuf_add(&out, buf + pos, e->at - pos) != 0) {
            fail_at(&c, 0, 0, "out of memory");
            goto fail;
        }
        size_t olen = gmw_dynbuf_len(&out);
        const char *optr = gmw_dynbuf_ptr(&out);
        if (e->need_eol && olen > 0 && optr[olen - 1] != '\n' && optr[olen - 1] != '\r' &&
            gmw_dynbuf_adds(&out, c.eol) != 0) {
            fail_at(&c, 0, 0, "out of memory");
            goto fail;
        }
        if (gmw_dynbuf_adds(&out, e->text) != 0) {
            fail_at(&c, 0, 0, "out of memory");
            goto fail;
        }
        pos = e->at + e->removed;
    }
    if (gmw_dynbuf_add(&out, buf + pos, len - pos) != 0) {
        fail_at(&c, 0, 0, "out of memory");
        goto fail;
    }
    if (out.len == 0 && gmw_dynbuf_adds(&out, "") != 0)
        goto fail;
    result = gmw_dynbuf_take(&out, out_len);
    if (result == NULL && len == 0) {
        result = calloc(1, 1);
        if (out_len != NULL)
            *out_len = 0;
    }
    if (result == NULL)
        fail_at(&c, 0, 0, "out of memory");
fail:
    for (size_t i = 0; i < c.nedits; i++)
        free(c.edits[i].text);
    free(c.edits);
    free(c.line_start);
    gmw_dynbuf_free(&out);
    if (parser_ready)
        yaml_parser_delete(&c.parser);
    return result;
}
