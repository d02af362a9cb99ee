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

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gmw_pointer_append(char *buf, size_t cap, const char *token)
{
    if (buf == NULL || cap == 0 || token == NULL)
        return -EINVAL;
    size_t used = strnlen(buf, cap);
    if (used == cap)
        return -EINVAL; /* not terminated within cap */
    size_t need = used + 1;
    for (const char *p = token; *p != '\0'; p++)
        need += (*p == '~' || *p == '/') ? 2 : 1;
    if (need + 1 > cap)
        return -ERANGE;
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
        return -EINVAL;
    size_t len = strlen(base);
    if (len >= cap)
        return -ERANGE;
    memmove(buf, base, len + 1); /* base may be buf itself */
    return gmw_pointer_append(buf, cap, token);
}

/*
 * json_string(s) for a member of an op: -EINVAL when s is not UTF-8, -ENOMEM when out of
 * memory (jansson answers NULL to both: trying again without the check tells them apart).
 */
static int op_string(const char *s, json_t **out)
{
    *out = json_string(s);
    if (*out != NULL)
        return 0;
    json_t *unchecked = json_stringn_nocheck(s, strlen(s));
    json_decref(unchecked);
    return unchecked != NULL ? -EINVAL : -ENOMEM;
}

int gmw_patch_add_op(json_t *patch, const char *op, const char *path, json_t *value)
{
    json_t *obj = NULL;
    json_t *str = NULL;
    int rc = -ENOMEM;

    if (!json_is_array(patch) || op == NULL || path == NULL) {
        rc = -EINVAL;
        goto fail;
    }
    obj = json_object();
    if (obj == NULL)
        goto fail;
    rc = op_string(op, &str);
    if (rc != 0)
        goto fail;
    rc = -ENOMEM;
    if (json_object_set_new(obj, "op", str) != 0)
        goto fail; /* set_new consumed str even on failure */
    rc = op_string(path, &str);
    if (rc != 0)
        goto fail;
    rc = -ENOMEM;
    if (json_object_set_new(obj, "path", str) != 0)
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
    return rc;
}

/* ---- applier ---------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errcap;
    size_t index;     /* op number, 0-based */
    const char *op;   /* op name or "?" */
    const char *path; /* path text or "?" */
} apply_ctx;

static int fail_msg(apply_ctx *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write "patch op N (OP PATH): reason" into the caller's buffer; returns rc. */
static int fail_msg(apply_ctx *ctx, int rc, const char *fmt, ...)
{
    char reason[256];
    va_list ap;

    if (ctx->err == NULL || ctx->errcap == 0)
        return rc;
    va_start(ap, fmt);
    /* ap is started on the line above; the analyzer loses it through `return fail_msg()` */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(ctx->err, ctx->errcap, "patch op %zu (%s %.200s): %s", ctx->index, ctx->op, ctx->path,
             reason);
    return rc;
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
 * (tok is a buffer of at least path_len + 1 bytes). Returns 0 or -EINVAL with a message.
 */
static int resolve_parent(apply_ctx *ctx, json_t *doc, const char *path, size_t path_len, char *tok,
                          json_t **parent, size_t *tok_len)
{
    const char *end = path + path_len;
    const char *p = path;
    json_t *cur = doc;

    if (*p != '/')
        return fail_msg(ctx, -EINVAL, "a JSON Pointer must be empty or start with '/'");
    for (;;) {
        const char *next = NULL;
        long n = decode_token(p + 1, end, tok, &next);
        if (n < 0)
            return fail_msg(ctx, -EINVAL,
                            "invalid escape in JSON Pointer ('~' must be followed by 0 or 1)");
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
            if (!parse_index(tok, (size_t)n, &idx))
                return fail_msg(ctx, -EINVAL, "'%.64s' is not an array index", tok);
            child = json_array_get(cur, idx);
        } else {
            return fail_msg(ctx, -EINVAL, "path runs through a scalar at '%.*s'", (int)(p - path),
                            path);
        }
        if (child == NULL)
            return fail_msg(ctx, -EINVAL, "path does not exist: '%.*s'", (int)(next - path), path);
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
        return fail_msg(ctx, -EINVAL,
                        "the document root can only be replaced by a value of the same type");
    }
    json_decref(copy);
    return 0;
oom:
    json_decref(copy);
    return fail_msg(ctx, -ENOMEM, "out of memory");
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

typedef enum { OP_ADD, OP_REMOVE, OP_REPLACE, OP_TEST } op_kind;

/* One operation, read from its object: the op, its path and its value (borrowed). */
typedef struct {
    op_kind kind;
    const char *path;
    size_t path_len;
    const json_t *value; /* NULL for remove */
} patch_op;

/* Read and check the members of one operation object into *op. */
static int read_op(apply_ctx *ctx, const json_t *opobj, patch_op *op)
{
    static const struct {
        const char *name;
        op_kind kind;
    } ops[] = {{"add", OP_ADD}, {"remove", OP_REMOVE}, {"replace", OP_REPLACE}, {"test", OP_TEST}};

    if (!json_is_object(opobj))
        return fail_msg(ctx, -EINVAL, "an operation must be a JSON object");
    const json_t *jop = json_object_get(opobj, "op");
    const json_t *jpath = json_object_get(opobj, "path");
    op->value = json_object_get(opobj, "value");
    if (!json_is_string(jop))
        return fail_msg(ctx, -EINVAL, "missing or non-string \"op\"");
    ctx->op = json_string_value(jop);
    if (!json_is_string(jpath))
        return fail_msg(ctx, -EINVAL, "missing or non-string \"path\"");
    ctx->path = json_string_value(jpath);
    op->path = json_string_value(jpath);
    op->path_len = json_string_length(jpath);

    size_t i = 0;
    while (i < sizeof ops / sizeof ops[0] && strcmp(ctx->op, ops[i].name) != 0)
        i++;
    if (i == sizeof ops / sizeof ops[0])
        return fail_msg(ctx, -EINVAL, "unsupported op (supported: add, remove, replace, test)");
    op->kind = ops[i].kind;
    if (op->kind != OP_REMOVE && op->value == NULL)
        return fail_msg(ctx, -EINVAL, "missing \"value\"");
    return 0;
}

/* An operation on path "": the whole document. */
static int apply_to_root(apply_ctx *ctx, json_t *doc, const patch_op *op)
{
    switch (op->kind) {
    case OP_ADD:
    case OP_REPLACE:
        return replace_root(ctx, doc, op->value);
    case OP_REMOVE:
        return fail_msg(ctx, -EINVAL, "cannot remove the document root");
    case OP_TEST:
        break;
    }
    if (!json_equal(doc, op->value))
        return fail_msg(ctx, -EINVAL, "test failed: value differs");
    return 0;
}

/* add: set the member, or insert at the index ("-" appends); the value is copied. */
static int apply_add(apply_ctx *ctx, json_t *parent, const char *tok, size_t tok_len,
                     const json_t *value)
{
    size_t idx = 0;

    if (json_is_array(parent)) {
        size_t size = json_array_size(parent);
        idx = size;
        if (!(tok_len == 1 && tok[0] == '-') && !parse_index(tok, tok_len, &idx))
            return fail_msg(ctx, -EINVAL, "'%.64s' is not an array index or '-'", tok);
        if (idx > size)
            return fail_msg(ctx, -EINVAL, "index %zu out of range (array size %zu)", idx, size);
    }
    json_t *copy = json_deep_copy(value);
    if (copy == NULL)
        return fail_msg(ctx, -ENOMEM, "out of memory");
    if (json_is_object(parent)) {
        if (json_object_setn_new(parent, tok, tok_len, copy) != 0)
            return fail_msg(ctx, -ENOMEM, "cannot set member");
    } else if (json_array_insert_new(parent, idx, copy) != 0) {
        return fail_msg(ctx, -ENOMEM, "cannot insert");
    }
    return 0;
}

/* remove, replace or test an existing target (the member or element tok of parent). */
static int apply_to_target(apply_ctx *ctx, json_t *parent, const char *tok, size_t tok_len,
                           const patch_op *op)
{
    bool bad_index = false;
    size_t idx = 0;
    json_t *target = child_of(parent, tok, tok_len, &bad_index);

    if (bad_index)
        return fail_msg(ctx, -EINVAL, "'%.64s' is not an array index", tok);
    if (target == NULL)
        return fail_msg(ctx, -EINVAL, "target does not exist");
    if (json_is_array(parent))
        (void)parse_index(tok, tok_len, &idx); /* valid: child_of found it */
    switch (op->kind) {
    case OP_REMOVE:
        if (json_is_object(parent) ? json_object_deln(parent, tok, tok_len) != 0
                                   : json_array_remove(parent, idx) != 0)
            return -EINVAL; /* not reached: the target exists */
        return 0;
    case OP_REPLACE: {
        json_t *copy = json_deep_copy(op->value);
        if (copy == NULL)
            return fail_msg(ctx, -ENOMEM, "out of memory");
        if (json_is_object(parent) ? json_object_setn_new(parent, tok, tok_len, copy) != 0
                                   : json_array_set_new(parent, idx, copy) != 0)
            return fail_msg(ctx, -ENOMEM, "cannot replace");
        return 0;
    }
    case OP_TEST:
        if (!json_equal(target, op->value))
            return fail_msg(ctx, -EINVAL, "test failed: value differs");
        return 0;
    case OP_ADD:
        break; /* apply_add's business */
    }
    return 0;
}

/* Read one operation, find the parent of its target, and apply it there. */
static int apply_one(apply_ctx *ctx, json_t *doc, const json_t *opobj)
{
    patch_op op = {OP_ADD, NULL, 0, NULL};
    json_t *parent = NULL;
    size_t tok_len = 0;
    int rc = read_op(ctx, opobj, &op);

    if (rc != 0)
        return rc;
    if (op.path_len == 0)
        return apply_to_root(ctx, doc, &op);
    char *tok = malloc(op.path_len + 1);
    if (tok == NULL)
        return fail_msg(ctx, -ENOMEM, "out of memory");
    rc = resolve_parent(ctx, doc, op.path, op.path_len, tok, &parent, &tok_len);
    if (rc != 0)
        goto out;
    if (!json_is_object(parent) && !json_is_array(parent)) {
        rc = fail_msg(ctx, -EINVAL, "parent of the target is not an object or array");
        goto out;
    }
    if (op.kind == OP_ADD)
        rc = apply_add(ctx, parent, tok, tok_len, op.value);
    else
        rc = apply_to_target(ctx, parent, tok, tok_len, &op);
out:
    free(tok);
    return rc;
}

int gmw_jsonpatch_apply(json_t *doc, const json_t *patch, char *err, size_t errcap)
{
    apply_ctx ctx = {err, errcap, 0, "?", "?"};

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (doc == NULL)
        return fail_msg(&ctx, -EINVAL, "no document");
    if (!json_is_array(patch)) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "a JSON Patch must be an array of operations");
        return -EINVAL;
    }
    for (size_t i = 0; i < json_array_size(patch); i++) {
        ctx.index = i;
        ctx.op = "?";
        ctx.path = "?";
        int rc = apply_one(&ctx, doc, json_array_get(patch, i));
        if (rc != 0)
            return rc;
    }
    return 0;
}
