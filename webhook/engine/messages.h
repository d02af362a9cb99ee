/*
 * messages.h - every warning and denial text the engine can produce (admission warnings,
 * denial messages, advice, workload preview lines, annotation problems), in one table so
 * that a test can hold every text: tests/unit/engine/test_messages.c formats each with
 * realistic worst-case values and checks that it stays within GMW_WARNING_MAX (120)
 * characters of printable ASCII and names what it must (container, annotation and value,
 * bound, example); it also drives the engine into each case and checks that the emitted
 * text is the table's. tests/messages/check_literals.py fails when a C file of
 * webhook/engine holds a string literal starting with "gomemlimit: " (a text that bypasses
 * this table) or when a GMW_MSG_ macro is missing from test_messages.c.
 *
 * Each is a printf format; the comment lists its arguments in order. Texts marked
 * "fragment" are parts of another text (given as its argument). Arguments that echo user
 * input are sanitized (sanitize.h) and cut by the caller: container names to 63 characters
 * (DNS labels), values to 24 or 40 as noted.
 */
#ifndef GMW_MESSAGES_H
#define GMW_MESSAGES_H

#include <inttypes.h> /* PRId64 in GMW_MSG_FIX_LIMIT */

/* The start of every warning and of every denial message. */
#define GMW_MSG_PREFIX "gomemlimit: "

/* The start of every text about one container but the envFrom one: container. preview.c
 * finds the engine's change line (GMW_MSG_CHANGE) and its skip lines by it. */
#define GMW_MSG_CONTAINER "gomemlimit: container %s: "

/* ---- containers: skipped ------------------------------------------------------------- */

/* container, container (the pod says inject=true or nothing; the container opts out) */
#define GMW_MSG_CONTAINER_OPT_OUT                                                                  \
    "gomemlimit: container %s: skipped, annotation gomemlimit.io/inject.%s=false"

/* container, image (cut to 40 characters) */
#define GMW_MSG_IMAGE_EXCLUDED "gomemlimit: container %s: skipped, image %s is in exclude.images"

/* container */
#define GMW_MSG_NO_LIMIT                                                                           \
    "gomemlimit: container %s: skipped, no memory limit (resources.limits.memory)"

/* a syntax error: container, limit as written (cut to 24, or GMW_MSG_NOT_A_QUANTITY) */
#define GMW_MSG_LIMIT_INVALID                                                                      \
    "gomemlimit: container %s: skipped, memory limit \"%s\" is invalid, use e.g. 512Mi or 1G"
/* a range error (negative, or 2^63 bytes = 8Ei or more): container, limit (cut to 24) */
#define GMW_MSG_LIMIT_OUT_OF_RANGE                                                                 \
    "gomemlimit: container %s: skipped, memory limit \"%s\" is out of range [0, 8Ei)"
/* the value shown for a limit or request that is neither a string nor an integer */
#define GMW_MSG_NOT_A_QUANTITY "(not a quantity)"

/* container, limit (cut to 24), minLimit */
#define GMW_MSG_LIMIT_BELOW_MIN                                                                    \
    "gomemlimit: container %s: skipped, memory limit %s is below minLimit %s"

/* limit x ratio is below 1 MiB: container, ratio (as the annotation spells it), limit (cut to
 * 24), fix (GMW_MSG_FIX_RATIO, or GMW_MSG_FIX_LIMIT when no ratio can help) */
#define GMW_MSG_GOMEMLIMIT_BELOW_MIB                                                               \
    "gomemlimit: container %s: skipped, ratio %s x limit %s < 1MiB; %s"
/* the smallest ratio that gives 1 MiB for the container */
#define GMW_MSG_FIX_RATIO "use e.g. ratio %s"
/* the smallest limit in whole Mi that gives 1 MiB at the container's ratio (a number) */
#define GMW_MSG_FIX_LIMIT "use e.g. limit %" PRId64 "Mi"

/* container */
#define GMW_MSG_ENV_NOT_LIST "gomemlimit: container %s: skipped, env is not a list"

/* ---- containers: injected, kept, changed --------------------------------------------- */

/* the change line: container, what (one of the GMW_MSG_WHAT_* fragments, maybe followed by
 * GMW_MSG_MALFORMED_REPLACED_SUFFIX or GMW_MSG_REPLACING_EMPTY), GOGC ("100" or "kept"),
 * change (GMW_MSG_REQUEST_CHANGE or "") */
#define GMW_MSG_CHANGE "gomemlimit: container %s: %s, GOGC=%s%s"
/* fragment: the user's GOMEMLIMIT stays (no arguments) */
#define GMW_MSG_WHAT_KEPT "GOMEMLIMIT kept (set by user)"
/* fragment: GOMEMLIMIT from the memory-limit annotation: GOMEMLIMIT */
#define GMW_MSG_WHAT_ANNOTATION "GOMEMLIMIT=%s (memory-limit)"
/* fragment: GOMEMLIMIT from the ratio: GOMEMLIMIT, ratio as a percentage, limit (cut to 24) */
#define GMW_MSG_WHAT_RATIO "GOMEMLIMIT=%s (%s of %s)"
/* fragment: an empty user GOMEMLIMIT filled in (no arguments) */
#define GMW_MSG_REPLACING_EMPTY " replacing \"\""
/* fragment: requests.memory raised: old (cut to 24, or "none"), new */
#define GMW_MSG_REQUEST_CHANGE ", request %s -> %s"
/* the old request when there was none */
#define GMW_MSG_REQUEST_NONE "none"

/* container, user GOMEMLIMIT (cut to 24), limit (cut to 24), example (the webhook's value) */
#define GMW_MSG_USER_ABOVE_LIMIT                                                                   \
    "gomemlimit: container %s: GOMEMLIMIT=%s exceeds the memory limit %s, use e.g. %s"

/* container, user GOGC (cut to 16) */
#define GMW_MSG_GOGC_NOT_UNDERSTOOD                                                                \
    "gomemlimit: container %s: GOGC=\"%s\" is not understood by Go, which uses 100"

/* container, what (one of the GMW_MSG_ENV_FROM_* fragments) */
#define GMW_MSG_ENV_FROM "gomemlimit: container %s uses envFrom: the injected %s any value from it"
#define GMW_MSG_ENV_FROM_BOTH "GOMEMLIMIT and GOGC override" /* fragment */
#define GMW_MSG_ENV_FROM_GOMEMLIMIT "GOMEMLIMIT overrides"   /* fragment */
#define GMW_MSG_ENV_FROM_GOGC "GOGC overrides"               /* fragment */

/* request policy name (match, limit) */
#define GMW_MSG_POD_RESOURCES                                                                      \
    "gomemlimit: pod has spec.resources: container requests.memory left unchanged (policy %s)"

/* container */
#define GMW_MSG_REQUESTS_NOT_OBJECT                                                                \
    "gomemlimit: container %s: resources.requests is not an object, left unchanged"

/* container, request as written (cut to 24) */
#define GMW_MSG_REQUEST_INVALID                                                                    \
    "gomemlimit: container %s: requests.memory \"%s\" is not a valid quantity, left unchanged"

/* container */
#define GMW_MSG_SHIM_NO_COMMAND                                                                    \
    "gomemlimit: container %s: no command to wrap with gomemlimit-shim: bake it in the image "     \
    "(docs/shim.md)"

/* container */
#define GMW_MSG_SHIM_CONFLICT                                                                      \
    "gomemlimit: container %s: /gomemlimit is used by another volume; not wrapped with "           \
    "gomemlimit-shim"

/* ---- malformed user GOMEMLIMIT (malformedGOMEMLIMIT) --------------------------------- */

/* container, value (cut to 24), repaired Go value */
#define GMW_MSG_MALFORMED_REPAIRED                                                                 \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" (a quantity, Go aborts on it) set to %s"

/* fragment: value (cut to 24): appended to the GMW_MSG_WHAT_* of the change line */
#define GMW_MSG_MALFORMED_REPLACED_SUFFIX " replacing \"%s\""

/* container, value (cut to 24) */
#define GMW_MSG_MALFORMED_REMOVED                                                                  \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" removed: Go aborts on it and there is no limit"

/* container, value (cut to 24), fix (one of GMW_MSG_FIX_*) */
#define GMW_MSG_MALFORMED_KEPT                                                                     \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" kept, Go aborts on it; %s"

/* container, value (cut to 24), fix: one item of the denial message (its warning is
 * GMW_MSG_PREFIX followed by the item) */
#define GMW_MSG_MALFORMED_DENIED "container %s: GOMEMLIMIT=\"%s\" makes Go abort at start; %s"

/* The fixes named in the texts above. */
#define GMW_MSG_FIX_USE "use %s"                          /* the exact Go value of a quantity */
#define GMW_MSG_FIX_EXAMPLE "use e.g. %s"                 /* the value computed for the container */
#define GMW_MSG_FIX_REMOVE "remove it or use e.g. 400MiB" /* no limit: nothing to compute from */

/* ---- annotations ---------------------------------------------------------------------- */

/* memory-limit annotation above a container's limit (a detail: follows 'KEY="VALUE" '):
 * container, limit, example (the container's computed GOMEMLIMIT, as a quantity) */
#define GMW_MSG_MEMORY_LIMIT_ABOVE "is above container %.63s's limit %.24s, use e.g. \"%.24s\""

/* memory-limit annotation below 1 MiB: container, key, value (cut to 40), example */
#define GMW_MSG_MEMORY_LIMIT_BELOW_MIB                                                             \
    "gomemlimit: container %s: skipped, %s=\"%s\" < 1MiB, use e.g. \"%s\""

/* the pod opts out and no container re-enables itself (no arguments) */
#define GMW_MSG_POD_OPT_OUT                                                                        \
    "gomemlimit: injection disabled for the pod by annotation gomemlimit.io/inject=false"

/* the pod opts out but a container re-enables itself (no arguments) */
#define GMW_MSG_POD_OPT_OUT_EXCEPT                                                                 \
    "gomemlimit: gomemlimit.io/inject=false: only containers with inject.<name>=true are injected"

/* container named by a per-container key */
#define GMW_MSG_ANN_NO_SUCH_CONTAINER                                                              \
    "gomemlimit: annotations for container %s ignored: the pod has no such container"

/* container named in gomemlimit.io/containers */
#define GMW_MSG_CONTAINERS_NO_SUCH                                                                 \
    "gomemlimit: gomemlimit.io/containers names %s, which is not a container of the pod"

/* issues not kept (count), of which invalid (count) */
#define GMW_MSG_ANN_ISSUES_DROPPED                                                                 \
    "gomemlimit: %zu more annotation problems not listed (%zu invalid, ignored)"

/* An annotation problem (gmw_ann_issue_format, the denial message's items):
 * key, value (cut to 40), problem (GMW_MSG_ANN_PROBLEM_*), expected (GMW_MSG_EXPECTED_*) */
#define GMW_MSG_ANN_ISSUE "%s=\"%s\" %s %s"
/* key, value, detail (container-specific, e.g. GMW_MSG_MEMORY_LIMIT_ABOVE) */
#define GMW_MSG_ANN_ISSUE_DETAIL "%s=\"%s\" %s"
/* key, what is known (GMW_MSG_EXPECTED_UNKNOWN) */
#define GMW_MSG_ANN_UNKNOWN "unknown annotation %s (%s)"

/* The warnings for the same problems (gmw_ann_issue_warning; key and value shortened so
 * that the example fits): lead ("" or GMW_MSG_ANN_LEAD_IGNORED), key, value, problem,
 * expected */
#define GMW_MSG_ANN_ISSUE_WARNING "gomemlimit: %s%s=\"%s\" %s %s"
/* lead, key, value, detail */
#define GMW_MSG_ANN_DETAIL_WARNING "gomemlimit: %s%s=\"%s\" %s"
/* key */
#define GMW_MSG_ANN_UNKNOWN_WARNING "gomemlimit: unknown annotation %s ignored"
/* the lead of an invalid annotation's warning in warn mode */
#define GMW_MSG_ANN_LEAD_IGNORED "ignored: "

/* Problems: a syntax error and a range error get different texts. */
#define GMW_MSG_ANN_PROBLEM_SYNTAX "is invalid, use"
#define GMW_MSG_ANN_PROBLEM_RANGE "is out of range, use"
#define GMW_MSG_ANN_PROBLEM_TOO_MANY "is over 64 containers, use"
/* the value shown for an annotation that is not a string */
#define GMW_MSG_ANN_NOT_STRING "(not a string)"

/* What each key accepts: the example first (a shortened warning keeps it), then the bound. */
#define GMW_MSG_EXPECTED_BOOL "e.g. \"false\" (true or false)"
#define GMW_MSG_EXPECTED_RATIO "e.g. \"0.9\" (a decimal in (0, 1] with <= 4 decimals)"
#define GMW_MSG_EXPECTED_GOGC "e.g. \"100\" (an integer 1-100000 or off)"
#define GMW_MSG_EXPECTED_REQUEST "e.g. \"match\" (match, limit or keep)"
#define GMW_MSG_EXPECTED_CONTAINERS "e.g. \"app,sidecar\" (at most 64 container names)"
#define GMW_MSG_EXPECTED_MEMORY_LIMIT "e.g. \"400Mi\" (or Go's 400MiB)"
#define GMW_MSG_EXPECTED_UNKNOWN                                                                   \
    "known keys: inject, ratio, gogc, memory-limit, request, shim, containers"
/* a per-container key beyond the 64-container cap: the pod-level key (its name) */
#define GMW_MSG_EXPECTED_TOO_MANY(key) "e.g. \"gomemlimit.io/" key "\" (pod-level)"

/* ---- the pod, the denial ----------------------------------------------------------------- */

/* namespace (cut to 63) */
#define GMW_MSG_NAMESPACE_EXCLUDED                                                                 \
    "gomemlimit: namespace %s is excluded (config excludeNamespaces), nothing injected"

/* the last item of a denial message, and its warning after GMW_MSG_PREFIX: count */
#define GMW_MSG_DENIAL_MORE "and %zu more invalid gomemlimit.io/ annotations"

/* warnings.c: the warnings dropped by the count cap (count), the cap */
#define GMW_MSG_WARNINGS_DROPPED "gomemlimit: ... %zu more warnings not shown (at most %d are sent)"

/* ---- advice (advice.h) ---------------------------------------------------------------- */

/* container, GOMEMLIMIT (cut to 24, or "limits.memory"), share of the limit, limit */
#define GMW_MSG_ADVICE_NEAR_LIMIT                                                                  \
    "gomemlimit: container %s: advice: GOMEMLIMIT=%s is %s of limit %s, GC thrashes; use <= 90%%"
/* container, GOGC (cut to 12) */
#define GMW_MSG_ADVICE_LOW_GOGC                                                                    \
    "gomemlimit: container %s: advice: GOGC=%s < 25 makes the GC run nonstop; use 50-100"
/* container, GOGC (cut to 12) */
#define GMW_MSG_ADVICE_GOGC_OFF                                                                    \
    "gomemlimit: container %s: advice: GOGC=%s, no GOMEMLIMIT: heap grows to OOM kill; set "       \
    "limits.memory"
/* container, request (cut to 24) */
#define GMW_MSG_ADVICE_LOW_REQUEST                                                                 \
    "gomemlimit: container %s: advice: requests.memory %s < GOMEMLIMIT/2: evicted first; raise it"
/* container, GOMEMLIMIT (cut to 24): below GMW_ADVICE_TINY_HEAP (32 MiB) */
#define GMW_MSG_ADVICE_TINY_HEAP                                                                   \
    "gomemlimit: container %s: advice: GOMEMLIMIT=%s < 32MiB: GC runs nonstop; raise "             \
    "limits.memory"

/* ---- workload preview (preview.h) and mutate (workload.h) ----------------------------- */

/* container, GOMEMLIMIT (or "(unset)"), " (user)" or "", GOGC (or "(unset)"), request (or
 * "none") */
#define GMW_MSG_PREVIEW_LINE "gomemlimit: container %s: GOMEMLIMIT=%s%s GOGC=%s requests.memory=%s"
#define GMW_MSG_PREVIEW_UNSET "(unset)" /* fragment */
#define GMW_MSG_PREVIEW_USER " (user)"  /* fragment */
/* container, reason (the outcome's, e.g. not-selected) */
#define GMW_MSG_PREVIEW_SKIPPED "gomemlimit: container %s: skipped (%s)"
/* a GOMEMLIMIT in the object as written that makes Go abort (the file must be fixed, even
 * when the webhook repairs it): container, value (cut to 24), fix (one of GMW_MSG_FIX_*) */
#define GMW_MSG_PREVIEW_MALFORMED                                                                  \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" makes Go abort at start; %s"
/* lines not shown (count), containers, injected, skipped */
#define GMW_MSG_PREVIEW_MORE                                                                       \
    "gomemlimit: ... %zu more preview lines not shown (%zu containers: %zu injected, %zu "         \
    "skipped)"
/* where the template should be (e.g. spec.template) */
#define GMW_MSG_PREVIEW_NO_TEMPLATE "gomemlimit: no pod template at %s; nothing to preview"
/* mutate: where the template should be */
#define GMW_MSG_WORKLOAD_NO_TEMPLATE "no pod template at %s; nothing to do"

#endif
