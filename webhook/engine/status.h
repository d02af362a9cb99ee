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
 * Pure: no I/O.
 */
#ifndef GMW_STATUS_H
#define GMW_STATUS_H

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
 * Serialize a status object (compact, members in insertion order). Returns a malloc'd
 * string (caller frees with free()), NULL when out of memory.
 */
GMW_MUST_CHECK char *gmw_status_format(const json_t *status);

#endif
