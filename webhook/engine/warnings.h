/*
 * warnings.h - the admission warnings list: what `kubectl` prints as "Warning: ...".
 *
 * The apiserver drops a warning that is not valid UTF-8 or holds a control character,
 * drops exact duplicates and truncates everything once the total passes 4096 runes
 * (see docs/annotations.md). This module makes every warning safe before it leaves:
 * printable ASCII only (gmw_sanitize, sanitize.h), at most GMW_WARNING_MAX characters
 * (longer ones end in "..."), no duplicates, at most GMW_WARNINGS_MAX_COUNT entries;
 * what does not fit is summarised by one final "gomemlimit: ... N more warnings".
 *
 * Pure: no I/O. Not thread-safe per list (one list per request).
 */
#ifndef GMW_WARNINGS_H
#define GMW_WARNINGS_H

#include <jansson.h>
#include <stddef.h>

#include "compiler.h"

#define GMW_WARNING_MAX 120       /* characters per warning (apiserver advice) */
#define GMW_WARNINGS_MAX_COUNT 24 /* 24 x 120 + summary stays far below 4096 */

typedef struct {
    json_t *list;   /* owned JSON array of strings, NULL until the first add */
    size_t dropped; /* warnings that did not fit the count cap */
    int oom;        /* set when an allocation failed (the list is then incomplete) */
} gmw_warnings;

/* Start an empty list (no allocation). */
void gmw_warnings_init(gmw_warnings *w);

/*
 * Format a warning (printf-style), sanitize and truncate it as described above,
 * and append it unless it is empty or already present. Never fails visibly: on
 * allocation failure w->oom is set and the warning is lost.
 */
void gmw_warnings_add(gmw_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Put the warnings of `front` before those of `w`: afterwards w holds front's entries,
 * then its own, with duplicates dropped and the count cap applied to the merged list
 * (what no longer fits is counted in w->dropped). `front` is left empty. For warnings
 * that must not be crowded out by the cap, such as ignored invalid annotations.
 */
void gmw_warnings_prepend(gmw_warnings *w, gmw_warnings *front);

/*
 * Append the "... N more" summary if anything was dropped and hand the array over:
 * returns a new reference (an empty array when nothing was added; NULL only when
 * out of memory). The list is empty again afterwards.
 */
GMW_MUST_CHECK json_t *gmw_warnings_take(gmw_warnings *w);

/* Release the list (safe to call twice or after gmw_warnings_take). */
void gmw_warnings_free(gmw_warnings *w);

#endif
