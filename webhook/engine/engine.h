/*
 * engine.h - the admission decision for one Pod (or pod template): which containers
 * get GOMEMLIMIT/GOGC, which requests.memory change, and the JSON Patch that does it.
 *
 * Pure: no I/O, no globals; the same input always yields the same output. Used by
 * review.c (AdmissionReview) and by the `mutate` CLI (Pods and workload templates).
 * See docs/annotations.md for the user-facing contract (annotations, warnings,
 * status annotation, decisions).
 */
#ifndef GMW_ENGINE_H
#define GMW_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "config.h"

#define GMW_ANNOTATION_PREFIX "gomemlimit.io/"
#define GMW_STATUS_ANNOTATION "gomemlimit.io/status"
#define GMW_MAX_CONTAINER_OUTCOMES 64
#define GMW_DENIAL_MESSAGE_MAX 4608 /* capacity of gmw_pod_result.message */

/* What happened to one container; action and reason are static strings usable as
 * Prometheus label values (lower-case, [a-z-]). */
typedef struct {
    char name[64];      /* container name, truncated */
    const char *action; /* "injected" | "skipped" | "unchanged" */
    const char *reason; /* e.g. "ok", "no-memory-limit", "below-min-limit", "opt-out",
                           "namespace-excluded", "not-selected", "user-value", "already-mutated" */
} gmw_container_outcome;

typedef struct {
    bool allowed;     /* false only for invalid annotations with invalidAnnotations: deny */
    int code;         /* 200, or 400 when denied */
    json_t *patch;    /* owned: JSON array of ops (empty when nothing changes) */
    json_t *warnings; /* owned: JSON array of strings, each <= 120 chars, ASCII, no controls */
    json_t *audit;    /* owned: JSON object of auditAnnotations (keys without '/') */
    size_t container_count; /* total containers looked at (may exceed the array) */
    /* denial message: "gomemlimit: " and every invalid annotation (key, sanitized value, an
     * accepted example) joined by "; ". Sized for GMW_ANN_MAX_ISSUES whole items of at
     * most ~270 characters plus "and N more ..."; never cut mid-item. */
    char message[GMW_DENIAL_MESSAGE_MAX];
    /* valid up to min(container_count, GMW_MAX_CONTAINER_OUTCOMES) entries */
    gmw_container_outcome containers[GMW_MAX_CONTAINER_OUTCOMES];
} gmw_pod_result;

/*
 * Decide for `pod` (borrowed; a v1 Pod object, or a pod template {metadata, spec})
 * in namespace `ns` (may be NULL or "" when unknown) under `cfg`. Fills *res; the
 * caller must call gmw_pod_result_free(res) afterwards whatever the return value.
 * Returns 0, or -ENOMEM (res then holds a denial-free empty result).
 * A Pod without spec, with empty containers etc. is not an error: no patch, maybe a warning.
 */
GMW_MUST_CHECK int gmw_engine_mutate_pod(const gmw_config *cfg, const json_t *pod, const char *ns,
                                         gmw_pod_result *res);

/*
 * gmw_engine_mutate_pod for a pod the caller discards afterwards (the admission path, which
 * parsed it for this one decision): the same result, but the containers' env and resources
 * in `pod` are left as the patch makes them, so the pitfall advice is judged on the pod
 * itself instead of on a copy (advice.h). Read nothing of pod's containers afterwards.
 */
GMW_MUST_CHECK int gmw_engine_mutate_disposable_pod(const gmw_config *cfg, json_t *pod,
                                                    const char *ns, gmw_pod_result *res);

/* Release the JSON owned by *res (safe on a zeroed or already-freed result). */
void gmw_pod_result_free(gmw_pod_result *res);

#endif
