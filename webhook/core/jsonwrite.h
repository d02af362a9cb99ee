/*
 * jsonwrite.h - append the compact JSON text of a jansson value to a gmw_dynbuf: the same
 * bytes as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), written directly.
 *
 * jansson's dumper pays for a callback per token and a cycle-check hash table keyed by a
 * printf'd pointer for every array and object; answering an admission dumps the patch, the
 * warnings, the audit annotations and the status annotation, so that was a quarter of the
 * engine's instructions. Same output: members in insertion order, strings escaped as jansson
 * does (", \, \b \f \n \r \t, other controls as \u00XX upper-case, UTF-8 passed through),
 * integers in decimal; reals are formatted by jansson itself (json_dumpb of that one value).
 * fuzz/fuzz_jsonload.c compares the two on every tree jansson builds from arbitrary bytes.
 *
 * Returns 0; -ENOMEM (or -E2BIG at the buffer's cap: the dynbuf is then emptied, as
 * dynbuf.h says); -EINVAL for what jansson refuses to dump (invalid UTF-8 in a string built
 * without checks, NaN or infinity, nesting deeper than 2048).
 */
#ifndef GMW_JSONWRITE_H
#define GMW_JSONWRITE_H

#include <jansson.h>

#include "dynbuf.h"

int gmw_json_write(gmw_dynbuf *b, const json_t *v);

#endif
