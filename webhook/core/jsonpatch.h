/*
 * jsonpatch.h - RFC 6901 JSON Pointer tokens and the subset of RFC 6902 JSON Patch
 * this project uses (add, replace, remove, test) on jansson trees.
 *
 * The webhook only *builds* patches; the tests check them with independent appliers
 * (python3-jsonpatch, fast-json-patch). gmw_jsonpatch_apply exists for the `mutate`
 * CLI, which prints mutated manifests rather than patches.
 */
#ifndef GMW_JSONPATCH_H
#define GMW_JSONPATCH_H

#include <jansson.h>
#include <stddef.h>

#include "compiler.h"

/*
 * Append "/" + escaped(token) to the pointer in buf (NUL-terminated, capacity cap):
 * "~" -> "~0", "/" -> "~1". Returns 0; -ERANGE when it would not fit (buf unchanged);
 * -EINVAL for a NULL argument, cap 0 or a buf not NUL-terminated within cap.
 */
GMW_MUST_CHECK int gmw_pointer_append(char *buf, size_t cap, const char *token);

/*
 * Write base + "/" + escaped(token) into buf (capacity cap): base is an already escaped
 * pointer ("" or "/spec/containers/0"), token a raw member name or index. Returns 0;
 * -ERANGE when it would not fit, -EINVAL when an argument is NULL (buf then holds no
 * valid pointer).
 */
GMW_MUST_CHECK int gmw_pointer_join(char *buf, size_t cap, const char *base, const char *token);

/*
 * Append an op {"op": op, "path": path, "value": value} to the array `patch`.
 * Steals the reference to value (even on failure; value may be NULL for ops
 * without one). Returns 0, -ENOMEM, or -EINVAL when patch is not an array or op/path
 * is NULL or not UTF-8.
 */
GMW_MUST_CHECK int gmw_patch_add_op(json_t *patch, const char *op, const char *path, json_t *value);

/*
 * Apply `patch` (array of add/replace/remove/test ops, RFC 6902 semantics incl. "-" for
 * array append) to *doc in place. On success returns 0; on failure returns -EINVAL (the
 * patch does not apply) or -ENOMEM (out of memory), writes a one-line reason to err
 * ("patch op N (OP PATH): reason"; err may be NULL) and leaves *doc in an unspecified but
 * valid state.
 * doc is borrowed (the caller keeps its reference); values are copied from patch.
 * Strict RFC, not the apiserver's json-patch quirks: a missing parent is an error,
 * replace/remove/test need an existing target, array indices are "0" or [1-9][0-9]*
 * (no leading zeros, signs or negative indices), "-" only in add on an array. Path ""
 * is the whole document: test compares it, add/replace swap its contents in place
 * (same type only, because doc is borrowed), remove is refused. move and copy are
 * refused as unsupported. test compares with json_equal (1 and 1.0 differ).
 */
GMW_MUST_CHECK int gmw_jsonpatch_apply(json_t *doc, const json_t *patch, char *err, size_t errcap);

#endif
