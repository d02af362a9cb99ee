/*
 * jsonload.h - json_loadb(buf, len, 0, err), faster: a single-pass scanner for the JSON that
 * AdmissionReviews are made of, with jansson itself as the judge of everything else.
 *
 * gmw_json_loadb() returns exactly what json_loadb(buf, len, 0, err) returns: the same
 * accept/reject verdict on any bytes, the same tree (values, types, member order; a
 * duplicated key keeps its first position and its last value), and on rejection jansson's
 * own error (text, line, column). It gets there in two steps:
 *
 * 1. A strict scanner reads the body once and builds the jansson tree directly (no
 *    per-character stream, no copy of strings without escapes). It accepts only input it is
 *    sure jansson accepts identically: RFC 8259 JSON with an object or array at the top,
 *    strictly valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF),
 *    integers of at most 18 digits, reals strtod() reads without overflow, \u escapes that
 *    are neither U+0000 nor a lone surrogate, no NUL byte anywhere, nesting below 512.
 * 2. Anything else — invalid JSON, and the valid corners above — makes the scanner give up
 *    and the body is handed to json_loadb(), so jansson decides and explains.
 *
 * fuzz/fuzz_jsonload.c checks (1) against jansson on arbitrary bytes; tests/unit cover the
 * corners. Memory: the returned tree is jansson's (json_decref); inside a jarena scope it
 * lives in the arena.
 */
#ifndef GMW_JSONLOAD_H
#define GMW_JSONLOAD_H

#include <stddef.h>

#include <jansson.h>

json_t *gmw_json_loadb(const char *buf, size_t len, json_error_t *err);

/*
 * Members a caller never reads, left out of the tree: a trie over member names from the
 * root. Each node list ends with a NULL key; a key of GMW_JSON_PRUNE_EACH stands for every
 * element of an array (it must have children). A node without children drops its member:
 * the scanner still reads and validates the value (the verdict is json_loadb's, whatever is
 * dropped) but builds nothing for it, which is where a DOM parser spends its time.
 */
#define GMW_JSON_PRUNE_EACH "[]"
typedef struct gmw_json_prune {
    const char *key;
    const struct gmw_json_prune *children;
} gmw_json_prune;

/*
 * gmw_json_loadb, then without the members `prune` names (NULL: none): exactly the tree of
 * json_loadb(buf, len, 0, err) with those members deleted (a duplicated key counts once),
 * and jansson's error when it rejects. On the fallback path the members are deleted from
 * jansson's tree, so the result never depends on which step built it.
 */
json_t *gmw_json_loadb_pruned(const char *buf, size_t len, const gmw_json_prune *prune,
                              json_error_t *err);

/* Step 1 alone: the tree, or NULL when the scanner declined (then *oom tells whether it
 * declined for lack of memory). For tests and the fuzz target. */
json_t *gmw_json_scan(const char *buf, size_t len, int *oom);
json_t *gmw_json_scan_pruned(const char *buf, size_t len, const gmw_json_prune *prune, int *oom);

#endif
