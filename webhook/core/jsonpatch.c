/*
 * jsonpatch.c - RFC 6901 JSON Pointer escaping, a JSON Patch op builder and an RFC
 * 6902 applier (add, remove, replace, test) on jansson trees.
 *
 * The applier is strict RFC 6902, not a copy of the apiserver's evanphx/json-patch
 * quirks: replace needs an existing target, array indices are "0" or [1-9][0-9]*
 * (no sign, no leading zeros, no negative indices), "-" only appends in add.
 * Object keys are handled with explicit lengths, so keys holding "\u0000" work.
 */
#include "jsonpatch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gmw_pointer_append(char *buf, size_t cap, const char *token)
{
    if (buf == NULL || cap == 0 || token == NULL)
        return -1;
    size_t used = strnlen(buf, cap);
    if (used == cap)
        return -1; /* not terminated within cap */
    size_t need = used + 1;
    for (const char *p = token; *p != '\0'; p++)
        need += (*p == '~' || *p == '/') ? 2 : 1;
    if (need + 1 > cap)
        return -1;
    char *w = buf + used;
    *w++ = '/';
    for (const char *p = token; *p != '\0'; p++) {
        if (*p == '~') {
            *w++ = '~';
            *w++ = '0';
        } else if (*p == '/') {
            *w++ = '~';
            *w++ = '1';
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return 0;
}

int gmw_pointer_join(char *buf, size_t cap, const char *base, const char *token)
{
    if (buf == NULL || cap == 0 || base == NULL)
        return -1;
    size_t len = strlen(base);
    if (len >= cap)
        return -1;
    memmove(buf, base, len + 1); /* base may be buf itself */
    return gmw_pointer_append(buf, cap, token);
}

int gmw_patch_add_op(json_t *patch, const char *op, const char *path, json_t *value)
{
    json_t *obj = NULL;
    json_t *str = NULL;

    if (!json_is_array(patch) || op == NULL || path == NULL)
        goto fail;
    obj = json_object();
    if (obj == NULL)
        goto fail;
    str = json_string(op);
    if (str == NULL || json_object_set_new(obj, "op", str) != 0)
        goto fail; /* set_new consumed str even on failure */
    str = json_string(path);
    if (str == NULL || json_object_set_new(obj, "path", str) != 0)
        goto fail;
    if (value != NULL) {
        json_t *v = value;
        value = NULL; /* set_new steals it, success or not */
        if (json_object_set_new(obj, "value", v) != 0)
            goto fail;
    }
    if (json_array_append_new(patch, obj) != 0) {
        obj = NULL; /* append_new freed it */
        goto fail;
    }
    return 0;
fail:
    json_decref(obj);
    json_decref(value);
    return -1;
}

/* ---- applier ---------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errcap;
    size_t index;     /* op number, 0-based */
    const char *op;   /* op name or "?" */
    const char *path; /* path text or "?" */
} apply_ctx;

static void fail_msg(apply_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write "patch op N (OP PATH): reason" into the caller's buffer. */
static void fail_msg(apply_ctx *ctx, const char *fmt, ...)
{
    char reason[256];
    va_list ap;

    if (ctx->err == NULL || ctx->errcap == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(ctx->err, ctx->errcap, "patch op %zu (%s %.200s): %s", ctx->index, ctx->op, ctx->path,
             reason);
}

/*
 * Decode the reference token that starts at p (after a '/') and ends before the next
 * '/' or at end, into out (capacity >= its length + 1). Returns the decoded length,
 * or -1 for a '~' not followed by '0' or '1'. *next is set past the token.
 */
static long decode_token(const char *p, const char *end, char *out, const char **next)
{
    size_t n = 0;
    while (p < end && *p != '/') {
        if (*p == '~') {
            if (p + 1 >= end || (p[1] != '0' && p[1] != '1'))
                return -1;
            out[n++] = p[1] == '0' ? '~' : '/';
            p += 2;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    *next = p;
    return (long)n;
}

/* An RFC 6901 array index: "0" or [1-9][0-9]*, at most 18 digits. */
static bool parse_index(const char *tok, size_t len, size_t *out)
{
    size_t v = 0;
    if (len == 0 || len > 18 || (tok[0] == '0' && len > 1))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return false;
        v = v * 10u + (size_t)(tok[i] - '0');
    }
    *out = v;
    return true;
}

/*
 * Walk path (non-empty, starting with '/') to the parent of its last token. On
 * success *parent is the container (borrowed) and tok/tok_len the decoded last token
 * (tok is a buffer of at least path_len + 1 bytes). Returns 0 or -1 with a message.
 */
static int resolve_parent(apply_ctx *ctx, json_t *doc, const char *path, size_t path_len, char *tok,
                          json_t **parent, size_t *tok_len)
{
    const char *end = path + path_len;
    const char *p = path;
    json_t *cur = doc;

    if (*p != '/') {
        fail_msg(ctx, "a JSON Pointer must be empty or start with '/'");
        return -1;
    }
    for (;;) {
        const char *next = NULL;
        long n = decode_token(p + 1, end, tok, &next);
        if (n < 0) {
            fail_msg(ctx, "invalid escape in JSON Pointer ('~' must be followed by 0 or 1)");
            return -1;
        }
        if (next == end) {
            *parent = cur;
            *tok_len = (size_t)n;
            return 0;
        }
        /* an intermediate token: descend */
        json_t *child = NULL;
        if (json_is_object(cur)) {
            child = json_object_getn(cur, tok, (size_t)n);
        } else if (json_is_array(cur)) {
            size_t idx = 0;
            if (!parse_index(tok, (size_t)n, &idx)) {
                fail_msg(ctx, "'%.64s' is not an array index", tok);
                return -1;
            }
            child = json_array_get(cur, idx);
        } else {
            fail_msg(ctx, "path runs through a scalar at '%.*s'", (int)(p - path), path);
            return -1;
        }
        if (child == NULL) {
            fail_msg(ctx, "path does not exist: '%.*s'", (int)(next - path), path);
            return -1;
        }
        cur = child;
        p = next;
    }
}

/* Replace the contents of root in place with a copy of value (same container type). */
static int replace_root(apply_ctx *ctx, json_t *root, const json_t *value)
{
    json_t *copy = NULL;

    if (json_is_object(root) && json_is_object(value)) {
        copy = json_deep_copy(value);
        if (copy == NULL || json_object_clear(root) != 0 || json_object_update(root, copy) != 0)
            goto oom;
    } else if (json_is_array(root) && json_is_array(value)) {
        copy = json_deep_copy(value);
        if (copy == NULL || json_array_clear(root) != 0 || json_array_extend(root, copy) != 0)
            goto oom;
    } else {
        fail_msg(ctx, "the document root can only be replaced by a value of the same type");
        return -1;
    }
    json_decref(copy);
    return 0;
oom:
    json_decref(copy);
    fail_msg(ctx, "out of memory");
    return -1;
}

/* Target of a parent + last token, or NULL (borrowed). */
static json_t *child_of(json_t *parent, const char *tok, size_t tok_len, bool *bad_index)
{
    size_t idx = 0;
    *bad_index = false;
    if (json_is_object(parent))
        return json_object_getn(parent, tok, tok_len);
    if (!parse_index(tok, tok_len, &idx)) {
        *bad_index = true;
        return NULL;
    }
    return json_array_get(parent, idx);
}

static int apply_one(apply_ctx *ctx, json_t *doc, const json_t *opobj)
{
    char *tok = NULL;
    json_t *copy = NULL;
    int rc = -1;

    if (!json_is_object(opobj)) {
        fail_msg(ctx, "an operation must be a JSON object");
        return -1;
    }
    const json_t *jop = json_object_get(opobj, "op");
    const json_t *jpath = json_object_get(opobj, "path");
    const json_t *value = json_object_get(opobj, "value");
    if (!json_is_string(jop)) {
        fail_msg(ctx, "missing or non-string \"op\"");
        return -1;
    }
    ctx->op = json_string_value(jop);
    if (!json_is_string(jpath)) {
        fail_msg(ctx, "missing or non-string \"path\"");
        return -1;
    }
    ctx->path = json_string_value(jpath);
    const char *path = json_string_value(jpath);
    size_t path_len = json_string_length(jpath);

    enum { OP_ADD, OP_REMOVE, OP_REPLACE, OP_TEST } kind;
    if (strcmp(ctx->op, "add") == 0)
        kind = OP_ADD;
    else if (strcmp(ctx->op, "remove") == 0)
        kind = OP_REMOVE;
    else if (strcmp(ctx->op, "replace") == 0)
        kind = OP_REPLACE;
    else if (strcmp(ctx->op, "test") == 0)
        kind = OP_TEST;
    else {
        fail_msg(ctx, "unsupported op (supported: add, remove, replace, test)");
        return -1;
    }
    if (kind != OP_REMOVE && value == NULL) {
        fail_msg(ctx, "missing \"value\"");
        return -1;
    }

    if (path_len == 0) { /* the whole document */
        switch (kind) {
        case OP_ADD:
        case OP_REPLACE:
            return replace_root(ctx, doc, value);
        case OP_REMOVE:
            fail_msg(ctx, "cannot remove the document root");
            return -1;
        case OP_TEST:
            if (!json_equal(doc, value)) {
                fail_msg(ctx, "test failed: value differs");
                return -1;
            }
            return 0;
        }
    }

    tok = malloc(path_len + 1);
    if (tok == NULL) {
        fail_msg(ctx, "out of memory");
        goto out;
    }
    json_t *parent = NULL;
    size_t tok_len = 0;
    if (resolve_parent(ctx, doc, path, path_len, tok, &parent, &tok_len) != 0)
        goto out;
    if (!json_is_object(parent) && !json_is_array(parent)) {
        fail_msg(ctx, "parent of the target is not an object or array");
        goto out;
    }

    if (kind == OP_ADD) {
        copy = json_deep_copy(value);
        if (copy == NULL) {
            fail_msg(ctx, "out of memory");
            goto out;
        }
        if (json_is_object(parent)) {
            json_t *c = copy;
            copy = NULL;
            if (json_object_setn_new(parent, tok, tok_len, c) != 0) {
                fail_msg(ctx, "cannot set member");
                goto out;
            }
        } else {
            size_t size = json_array_size(parent);
            size_t idx = size;
            if (!(tok_len == 1 && tok[0] == '-') && !parse_index(tok, tok_len, &idx)) {
                fail_msg(ctx, "'%.64s' is not an array index or '-'", tok);
                goto out;
            }
            if (idx > size) {
                fail_msg(ctx, "index %zu out of range (array size %zu)", idx, size);
                goto out;
            }
            json_t *c = copy;
            copy = NULL;
            if (json_array_insert_new(parent, idx, c) != 0) {
                fail_msg(ctx, "cannot insert");
                goto out;
            }
        }
        rc = 0;
        goto out;
    }

    bool bad_index = false;
    json_t *target = child_of(parent, tok, tok_len, &bad_index);
    if (bad_index) {
        fail_msg(ctx, "'%.64s' is not an array index", tok);
        goto out;
    }
    if (target == NULL) {
        fail_msg(ctx, "target does not exist");
        goto out;
    }
    switch (kind) {
    case OP_REMOVE:
        if (json_is_object(parent)) {
            if (json_object_deln(parent, tok, tok_len) != 0)
                goto out;
        } else {
            size_t idx = 0;
            (void)parse_index(tok, tok_len, &idx); /* valid: child_of found it */
            if (json_array_remove(parent, idx) != 0)
                goto out;
        }
        break;
    case OP_REPLACE: {
        json_t *c = json_deep_copy(value);
        if (c == NULL) {
            fail_msg(ctx, "out of memory");
            goto out;
        }
        int set_rc;
        if (json_is_object(parent)) {
            set_rc = json_object_setn_new(parent, tok, tok_len, c);
        } else {
            size_t idx = 0;
            (void)parse_index(tok, tok_len, &idx);
            set_rc = json_array_set_new(parent, idx, c);
        }
        if (set_rc != 0) {
            fail_msg(ctx, "cannot replace");
            goto out;
        }
        break;
    }
    case OP_TEST:
        if (!json_equal(target, value)) {
            fail_msg(ctx, "test failed: value differs");
            goto out;
        }
        break;
    case OP_ADD:
        break; /* handled above */
    }
    rc = 0;
out:
    json_decref(copy);
    free(tok);
    return rc;
}

int gmw_jsonpatch_apply(json_t *doc, const json_t *patch, char *err, size_t errcap)
{
    apply_ctx ctx = {err, errcap, 0, "?", "?"};

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (doc == NULL) {
        fail_msg(&ctx, "no document");
        return -1;
    }
    if (!json_is_array(patch)) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "a JSON Patch must be an array of operations");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(patch); i++) {
        ctx.index = i;
        ctx.op = "?";
        ctx.path = "?";
        if (apply_one(&ctx, doc, json_array_get(patch, i)) != 0)
            return -1;
    }
    return 0;
}
