/*
 * annotations.h - the gomemlimit.io/ pod annotations: parsing and validation.
 *
 * Pod-level keys and per-container keys "<key>.<container-name>" (the per-container
 * one wins):
 *   inject        "true" | "false"
 *   shim          "true" | "false"
 *   ratio         decimal in (0, 1], at most 4 decimals
 *   gogc          integer 1..100000 or "off"
 *   memory-limit  Kubernetes quantity (absolute GOMEMLIMIT; checked against the
 *                 container limit by the engine)
 *   request       "match" | "limit" | "keep"
 * Pod-level only:
 *   containers    comma-separated container names: restricts injection to them
 *   status        written by the webhook itself (see status.h), never validated
 *
 * Invalid values become issues of kind GMW_ANN_INVALID (the engine denies or warns,
 * per config invalidAnnotations) and the value is ignored; so do per-container keys for
 * more than GMW_ANN_MAX_CONTAINERS distinct names (GMW_ANN_TOO_MANY, also invalid);
 * unknown gomemlimit.io/ keys become GMW_ANN_UNKNOWN issues (always only a warning).
 * When more than GMW_ANN_MAX_ISSUES issues occur, invalid ones evict unknown ones and
 * the invalid ones that still do not fit are counted in invalid_dropped, so an invalid
 * annotation is never lost. See docs/annotations.md.
 *
 * Pure: no allocation, no I/O. The parsed struct borrows nothing except `status`.
 */
#ifndef GMW_ANNOTATIONS_H
#define GMW_ANNOTATIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define GMW_ANN_MAX_CONTAINERS 64 /* per-container entries, and names in `containers` */
#define GMW_ANN_MAX_ISSUES 16
#define GMW_ANN_NAME_MAX 64 /* container names are DNS labels: <= 63 chars */
#define GMW_ANN_TEXT_MAX 48 /* echoed (sanitized) values in messages */

/* Settings from annotations for one scope; has_* / -1 mean "not set". */
typedef struct {
    int inject; /* -1 unset, 0 false, 1 true */
    int shim;   /* -1 unset, 0 false, 1 true */
    bool has_ratio;
    uint32_t ratio_e4;
    bool has_gogc;
    char gogc[16];
    bool has_memory_limit;
    int64_t memory_limit_bytes;
    char memory_limit_text[GMW_ANN_TEXT_MAX];     /* sanitized original, for messages */
    char memory_limit_key[GMW_ANN_NAME_MAX + 32]; /* the key it came from */
    bool has_request;
    gmw_request_policy request;
} gmw_ann_values;

typedef struct {
    char name[GMW_ANN_NAME_MAX];
    gmw_ann_values values;
} gmw_ann_container;

/* GMW_ANN_INVALID and GMW_ANN_TOO_MANY are invalid annotations (deny mode denies). */
typedef enum { GMW_ANN_INVALID = 0, GMW_ANN_UNKNOWN, GMW_ANN_TOO_MANY } gmw_ann_issue_kind;

typedef struct {
    gmw_ann_issue_kind kind;
    char key[GMW_ANN_NAME_MAX + 48]; /* full annotation key, sanitized */
    char value[GMW_ANN_TEXT_MAX];    /* offending value, sanitized */
    const char *expected;            /* static: 'e.g. "<example>" (<what is accepted>)' */
    bool range;                      /* well-formed but out of range: "is out of range, use" */
    char detail[128]; /* when set: replaces "<problem> <expected>" (container-specific) */
} gmw_ann_issue;

/*
 * The three tables (containers, list, issues) are valid up to their counts only: the
 * parser zeroes the members before `containers` and fills each table entry whole when it
 * appends it, so the 27 KB of tables are never cleared (a memset per admission that cost
 * about as much as the rest of the parse).
 */
typedef struct {
    gmw_ann_values pod;
    size_t container_count;
    bool has_list; /* gomemlimit.io/containers given and valid */
    size_t list_count;
    const char *status; /* borrowed from the annotations object: gomemlimit.io/status */
    size_t issue_count;
    size_t issues_dropped;  /* issues beyond GMW_ANN_MAX_ISSUES (any kind) */
    size_t invalid_dropped; /* of which invalid (GMW_ANN_INVALID / GMW_ANN_TOO_MANY) */
    /* the tables: */
    gmw_ann_container containers[GMW_ANN_MAX_CONTAINERS];
    char list[GMW_ANN_MAX_CONTAINERS][GMW_ANN_NAME_MAX];
    gmw_ann_issue issues[GMW_ANN_MAX_ISSUES];
} gmw_annotations;

/* An empty gmw_ann_values (nothing set). */
void gmw_ann_values_init(gmw_ann_values *v);

/*
 * Parse metadata.annotations (borrowed; NULL or a non-object means "none") into *out.
 * Only keys with the gomemlimit.io/ prefix are looked at. Never fails.
 */
void gmw_annotations_parse(const json_t *annotations, gmw_annotations *out);

/* The settings for `container`: its own keys over the pod-level keys. */
void gmw_annotations_for(const gmw_annotations *a, const char *container, gmw_ann_values *out);

/* Does gomemlimit.io/containers (when given) name `container`? True when not given. */
bool gmw_annotations_selects(const gmw_annotations *a, const char *container);

/* Is `container` explicitly named in gomemlimit.io/containers? */
bool gmw_annotations_names(const gmw_annotations *a, const char *container);

/* Does this issue make the annotations invalid (not merely unknown)? */
bool gmw_ann_issue_is_invalid(const gmw_ann_issue *issue);

/*
 * Record an issue found outside the parser (the engine's memory-limit check). The key
 * and value are sanitized; `expected` must be a static string starting with the example
 * ('e.g. "400Mi" (...)'). A repeated issue (same kind, key, value) is recorded once.
 * When the table is full, an invalid issue replaces the last unknown one; what is left
 * over is counted in issues_dropped (and invalid_dropped when invalid).
 */
void gmw_annotations_add_issue(gmw_annotations *a, gmw_ann_issue_kind kind, const char *key,
                               const char *value, const char *expected);

/*
 * Write the one-line text of an issue into buf (capacity cap, NUL-terminated, truncated):
 * 'gomemlimit.io/ratio="1.5" is invalid, use e.g. "0.9" (a decimal in (0, 1] with <= 4
 * decimals)' (the full sanitized key and value: at most ~200 characters). Returns buf.
 */
char *gmw_ann_issue_format(const gmw_ann_issue *issue, char *buf, size_t cap);

/*
 * As gmw_annotations_add_issue (kind GMW_ANN_INVALID), for a value that is well-formed but
 * out of range: the texts say "is out of range, use" instead of "is invalid, use".
 */
void gmw_annotations_add_range_issue(gmw_annotations *a, const char *key, const char *value,
                                     const char *expected);

/*
 * As gmw_annotations_add_issue (kind GMW_ANN_INVALID), with a container-specific text that
 * follows 'KEY="VALUE" ' (copied; at most 127 characters), e.g. 'is above the memory limit
 * 64Mi of container sidecar, use e.g. "57Mi"'. Issues differing only in detail are kept apart.
 */
void gmw_annotations_add_detail_issue(gmw_annotations *a, const char *key, const char *value,
                                      const char *detail);

/*
 * Write the admission warning for an issue into buf (cap >= GMW_WARNING_MAX + 1):
 * "gomemlimit: " + lead + the text of gmw_ann_issue_format, at most GMW_WARNING_MAX
 * (120) characters. Key and value are shortened (ending in "...") so that the accepted
 * example always fits; only the description after it may be cut. lead is "" or a
 * short static word such as "ignored: ". An unknown key gives "gomemlimit: unknown
 * annotation <key> ignored" (lead unused). Returns buf.
 */
char *gmw_ann_issue_warning(const gmw_ann_issue *issue, const char *lead, char *buf, size_t cap);

/* What memory-limit accepts (also used by the engine for the "above the limit" case). */
extern const char gmw_ann_expected_memory_limit[];

#endif
