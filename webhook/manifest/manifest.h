/*
 * manifest.h - Kubernetes manifests as text <-> jansson trees: a YAML or JSON stream of
 * documents in, YAML (multi-document) or JSON out.
 *
 * Reading resolves plain YAML scalars the way kubectl does (sigs.k8s.io/yaml on go-yaml
 * v2, i.e. YAML 1.1 forms), so that what `mutate` prints means what kubectl would have
 * sent for the input: `0644` is the integer 420, `yes`/`on`/`y` are true, `1e3` is 1000,
 * `2001-12-14` stays a string. Quoted scalars are always strings. Writing quotes every
 * string that a YAML 1.1 or 1.2 reader could take for something else ("true", "no",
 * "100", "1.0", "0x1F", "1e3", "~", "", "2001-12-14", ...). docs/cli.md lists the rules.
 *
 * Bounded: input size is the caller's cap; nesting is capped at GMW_MANIFEST_MAX_DEPTH;
 * aliases are expanded by copying, at most GMW_MANIFEST_MAX_ALIAS_NODES nodes in all per
 * stream (no "billion laughs"). Duplicate mapping keys are errors (strict decoding).
 *
 * Pure: no I/O, no globals; thread-safe.
 */
#ifndef GMW_MANIFEST_H
#define GMW_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

#define GMW_MANIFEST_MAX_DEPTH 256
#define GMW_MANIFEST_MAX_ALIAS_NODES ((size_t)1 << 20)
#define GMW_MANIFEST_MAX_OUTPUT ((size_t)512 << 20)

typedef enum { GMW_MANIFEST_YAML = 0, GMW_MANIFEST_JSON } gmw_manifest_format;

/*
 * Parse buf[0..len) (need not be NUL-terminated) as a stream of documents. The input
 * is JSON when its first non-blank character is '{' (one or more concatenated JSON
 * objects, as kubectl accepts them), YAML otherwise. Empty YAML documents (only
 * comments, or an explicit null) are skipped. `name` is used in messages only.
 *
 * Returns 0 with a new reference to a JSON array of the documents in *docs (caller
 * decrefs) and *format (may be NULL) set to what was detected. Returns -EINVAL with
 * "NAME:LINE:COL: message" (1-based) in err for bad input, -ENOMEM when out of memory
 * ("NAME: out of memory", or the position where it happened); *docs is then NULL.
 */
GMW_MUST_CHECK int gmw_manifest_parse(const char *buf, size_t len, const char *name,
                                      gmw_manifest_format *format, json_t **docs, char *err,
                                      size_t errcap);

/* The YAML half of gmw_manifest_parse, for callers that know the input is YAML. */
GMW_MUST_CHECK int gmw_yaml_parse_stream(const char *buf, size_t len, const char *name,
                                         json_t **docs, char *err, size_t errcap);

/* The JSON half: a stream of whitespace-separated JSON values (objects or arrays). */
GMW_MUST_CHECK int gmw_json_parse_stream(const char *buf, size_t len, const char *name,
                                         json_t **docs, char *err, size_t errcap);

/*
 * Resolve an unquoted (plain) YAML scalar s[0..len) as kubectl does. Returns 0 with a
 * new reference in *value (string, integer, real, true, false or null). For values JSON
 * cannot carry returns -EINVAL (.inf, .nan) or -ERANGE (integers beyond int64) with a
 * static reason in *why; -ENOMEM when out of memory (*why NULL). *value is NULL then.
 */
GMW_MUST_CHECK int gmw_yaml_resolve_plain(const char *s, size_t len, json_t **value,
                                          const char **why);

/*
 * Would the string s[0..len), written as a plain scalar, read back as anything but this
 * string under YAML 1.1 (kubectl, PyYAML) or the YAML 1.2 core schema? The emitter
 * quotes such strings; syntax (':', '#', leading spaces...) is libyaml's business.
 */
bool gmw_yaml_plain_is_ambiguous(const char *s, size_t len);

/*
 * Write each element of `docs` (a JSON array) as one YAML document, separated by
 * "---" lines, block style, 2-space indentation, keys in their stored order, no line
 * folding, UTF-8 unescaped. Returns 0 with a malloc'd NUL-terminated string in *text
 * (caller frees) and its length in *text_len (may be NULL); an empty array yields "".
 * On failure *text is NULL, err holds a message and the result is -EINVAL (docs not an
 * array, or nested more than 4096 deep), -E2BIG (output over GMW_MANIFEST_MAX_OUTPUT)
 * or -ENOMEM.
 */
GMW_MUST_CHECK int gmw_yaml_emit(const json_t *docs, char **text, size_t *text_len, char *err,
                                 size_t errcap);

/*
 * Write `doc` as indented JSON (4 spaces, keys in stored order) followed by a newline;
 * reals use the fewest digits that read back exactly. Returns 0 with a malloc'd string
 * in *text (caller frees) and its length in *text_len (may be NULL), or -ENOMEM with a
 * message in err and *text NULL.
 */
GMW_MUST_CHECK int gmw_json_emit(const json_t *doc, char **text, size_t *text_len, char *err,
                                 size_t errcap);

#endif
