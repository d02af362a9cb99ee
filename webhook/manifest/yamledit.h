/*
 * yamledit.h - apply JSON Patch operations to YAML text without re-serialising it: the new
 * entries are inserted as text where they belong, with the file's own indentation, sequence
 * style, line endings and quoting; comments, key order, blank lines, anchors, aliases and
 * other documents stay byte-identical (issue 10, `mutate -o preserve` / `--in-place`).
 *
 * Positions come from libyaml's event marks (line and column, converted to byte offsets).
 * Supported operations, which are the ones the admission engine emits for env and requests:
 *   add     to a mapping (new key; an existing scalar key is replaced), to the end of a
 *           sequence ("-" or the index == size), block or flow style;
 *   replace a scalar by a scalar (a quoted scalar keeps its quotes).
 * Anything else (remove, move, replacing a collection, paths through aliases or into nodes
 * added by an earlier op of the same patch, block scalars) is refused with a message, so the
 * caller can fall back to `-o yaml`. Values are written in block style under block parents,
 * as JSON under flow parents.
 *
 * Pure: no I/O, no globals.
 */
#ifndef GMW_YAMLEDIT_H
#define GMW_YAMLEDIT_H

#include <jansson.h>
#include <stddef.h>

#include "compiler.h"

/*
 * Edit buf[0..len) (a YAML stream). `patches` is a JSON array with one JSON Patch (an
 * array of ops, possibly empty) per document that gmw_manifest_parse returns, i.e. per
 * YAML document that is not empty or null, in order. Paths are relative to each document.
 * Returns a malloc'd NUL-terminated result (caller frees) with its length in *out_len, or
 * NULL with "NAME:LINE:COL: message" or "NAME: message" in err (`name` names the input).
 */
GMW_MUST_CHECK char *gmw_yaml_edit(const char *buf, size_t len, const char *name,
                                   const json_t *patches, size_t *out_len, char *err,
                                   size_t errcap);

#endif
