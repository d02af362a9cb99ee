/*
 * messages.h - the texts of the warnings and denials added for issue 9 (malformed user
 * GOMEMLIMIT, excluded images), in one table so that a test can hold every text
 * (tests/unit/engine/test_messages.c: each formatted with realistic values stays within
 * GMW_WARNING_MAX characters and names the container, the value and the fix).
 *
 * Each is a printf format; the comment lists its arguments in order.
 */
#ifndef GMW_MESSAGES_H
#define GMW_MESSAGES_H

/* container, image (cut to 40 characters) */
#define GMW_MSG_IMAGE_EXCLUDED "gomemlimit: container %s: skipped, image %s is in exclude.images"

/* container, value, repaired Go value */
#define GMW_MSG_MALFORMED_REPAIRED                                                                 \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" (a quantity, Go aborts on it) set to %s"

/* container, value: appended to the "GOMEMLIMIT=<computed> (...)" injection warning */
#define GMW_MSG_MALFORMED_REPLACED_SUFFIX " replacing \"%s\""

/* container, value */
#define GMW_MSG_MALFORMED_REMOVED                                                                  \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" removed: Go aborts on it and there is no limit"

/* container, value, fix ("use 512MiB" / "use e.g. 460MiB" / "remove it or use e.g. 400MiB") */
#define GMW_MSG_MALFORMED_KEPT                                                                     \
    "gomemlimit: container %s: GOMEMLIMIT=\"%s\" kept, Go aborts on it; %s"

/* container, value, fix: one item of the denial message (and its warning) */
#define GMW_MSG_MALFORMED_DENIED "container %s: GOMEMLIMIT=\"%s\" makes Go abort at start; %s"

/* memory-limit annotation above a container's limit (follows 'KEY="VALUE" '):
 * container, limit, example (the container's computed GOMEMLIMIT, as a quantity) */
#define GMW_MSG_MEMORY_LIMIT_ABOVE "is above container %.63s's limit %.24s, use e.g. \"%.24s\""

/* memory-limit annotation below 1 MiB: container, key, value, example */
#define GMW_MSG_MEMORY_LIMIT_BELOW_MIB                                                             \
    "gomemlimit: container %s: skipped, %s=\"%s\" is below 1MiB, use e.g. \"%s\""

/* the pod opts out but a container re-enables itself (no arguments) */
#define GMW_MSG_POD_OPT_OUT_EXCEPT                                                                 \
    "gomemlimit: gomemlimit.io/inject=false: only containers with inject.<name>=true are injected"

/* The fixes named in the three texts above. */
#define GMW_MSG_FIX_USE "use %s"          /* the exact Go value of a quantity */
#define GMW_MSG_FIX_EXAMPLE "use e.g. %s" /* the value computed for the container */
#define GMW_MSG_FIX_REMOVE "remove it or use e.g. 400MiB"

#endif
