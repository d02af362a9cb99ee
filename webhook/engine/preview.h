/*
 * preview.h - what the webhook will do to the Pods of a workload (or to a Pod), said before
 * they exist: the pod template after the apiserver's defaulting (defaulting.h) through the
 * same engine, as per-container lines and the engine's own warnings (skip reasons, advice,
 * annotation problems), summarised to fit the apiserver's warning budget.
 *
 * Used by /validate (validate.h) and `mutate --check`. Pure: no I/O, no globals.
 *
 * Preview lines, one per container the engine looked at, in its order:
 *   gomemlimit: container app: GOMEMLIMIT=460MiB GOGC=100 requests.memory=460Mi
 *   gomemlimit: container app: GOMEMLIMIT=400MiB (user) GOGC=100 requests.memory=1Gi
 *   gomemlimit: container sidecar: skipped (not-selected)   (only when the engine said nothing)
 * then the engine's warnings without its "container X: GOMEMLIMIT=..., GOGC=..." injection
 * lines (the preview line says the same). Every line <= GMW_WARNING_MAX characters of
 * printable ASCII; the total stays <= GMW_PREVIEW_BUDGET characters: what does not fit is
 * counted in one final "gomemlimit: ... N more preview lines not shown (...)" line.
 */
#ifndef GMW_PREVIEW_H
#define GMW_PREVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "config.h"
#include "engine.h"
#include "workload.h"

#define GMW_PREVIEW_BUDGET 4096 /* characters, all warnings together (apiserver limit) */

/* One container as it will run. Strings are sanitized; "" when absent. */
typedef struct {
    char name[64];
    const char *action;   /* "injected" | "unchanged" | "skipped" (static) */
    const char *reason;   /* the engine's reason (static), e.g. "ok", "no-memory-limit" */
    char gomemlimit[40];  /* GOMEMLIMIT as it will run, "(valueFrom)" when not literal */
    char gogc[24];        /* GOGC as it will run */
    char request[40];     /* resources.requests.memory as it will run */
    bool user_gomemlimit; /* the GOMEMLIMIT is the user's, not the webhook's */
    bool malformed;       /* a GOMEMLIMIT Go rejects: the container aborts at start */
} gmw_preview_container;

typedef struct {
    gmw_object_class cls;                 /* GMW_OBJECT_OTHER: nothing to preview (no warnings) */
    bool denied;                          /* the Pod webhook would deny (invalid annotations) */
    int code;                             /* 200, or 400 when denied */
    char message[GMW_DENIAL_MESSAGE_MAX]; /* the Pod webhook's denial message */
    json_t *warnings;       /* owned: JSON array of strings (preview lines, engine warnings) */
    size_t advice_count;    /* advice warnings (advice.h) among the engine's */
    size_t malformed_count; /* containers that would abort at start (malformed GOMEMLIMIT) */
    size_t container_count; /* may exceed the array */
    gmw_preview_container containers[GMW_MAX_CONTAINER_OUTCOMES];
} gmw_preview_result;

/*
 * Preview `obj` (borrowed, not modified: a Pod or a workload, see workload.h) in namespace
 * `ns` (NULL or "": the object's metadata.namespace, else "default"). Fills *res; call
 * gmw_preview_result_free after, whatever the return value. A workload without a pod
 * template gets one warning saying so. Returns 0, or -ENOMEM (res then holds no warnings).
 */
GMW_MUST_CHECK int gmw_preview_object(const gmw_config *cfg, const json_t *obj, const char *ns,
                                      gmw_preview_result *res);

/* Release what *res owns (safe on a zeroed result, and twice). */
void gmw_preview_result_free(gmw_preview_result *res);

#endif
