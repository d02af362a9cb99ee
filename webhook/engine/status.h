/*
 * status.h - the gomemlimit.io/status pod annotation: what the webhook did, per container.
 *
 * Value: compact JSON, one member per container looked at, in pod order:
 *   {"app":{"GOMEMLIMIT":"460MiB","GOGC":"100"},
 *    "legacy":{"GOGC":"100","reason":"user-value"},
 *    "debug":{"reason":"no-memory-limit"}}
 * "GOMEMLIMIT" / "GOGC" are present only when the value in the container's env is the
 * webhook's own; "reason" is present when GOMEMLIMIT is not (user-value, or why the
 * container was skipped). On reinvocation the engine reads it back to recognise its own
 * env values (an env value equal to the recorded one is ours, anything else is the
 * user's), which makes the webhook idempotent. See docs/annotations.md.
 *
 * Size cap: Kubernetes allows 262,144 bytes for all annotations of an object together.
 * A status longer than GMW_STATUS_MAX bytes is written as a summary instead, under the
 * key "*" (never a container name):
 *   {"*":{"containers":2600,"GOMEMLIMIT":["460MiB","230MiB"],"GOGC":["100"],
 *         "reasons":{"no-memory-limit":3}}}
 * listing each distinct value the webhook wrote (first-appearance order) and counting
 * the reasons. Read back, a value in the list counts as the webhook's own for every
 * container, so the summary of a re-reviewed Pod is the same text (idempotent). If even
 * the lists do not fit, the longest are cut and "truncated":true is added.
 *
 * Pure: no I/O.
 */
#ifndef GMW_STATUS_H
#define GMW_STATUS_H

#include <stdbool.h>

#include <jansson.h>

#include "compiler.h"

/*
 * Parse a status annotation value. Returns a new reference to the JSON object, or NULL
 * when text is NULL, not JSON or not an object (then nothing counts as the webhook's own).
 */
json_t *gmw_status_parse(const char *text);

/*
 * The value the webhook recorded for env var `var` of `container` in a parsed status
 * (borrowed from status; NULL when none or status is NULL).
 */
const char *gmw_status_own_value(const json_t *status, const char *container, const char *var);

/*
 * Is `value` of env var `var` of `container` the webhook's own according to a parsed
 * status: the value recorded for that container, or one listed in a summary? False
 * when status or value is NULL.
 */
bool gmw_status_is_own(const json_t *status, const char *container, const char *var,
                       const char *value);

/* The largest status value written verbatim, in bytes (a quarter of the Kubernetes cap). */
#define GMW_STATUS_MAX 65536

/*
 * Serialize a status object (compact, members in insertion order), or its summary when
 * that is longer than GMW_STATUS_MAX bytes (the result is then at most GMW_STATUS_MAX
 * bytes). Returns a malloc'd string (caller frees with free()), NULL when out of memory.
 */
GMW_MUST_CHECK char *gmw_status_format(const json_t *status);

#endif
