/*
 * workload.h - one manifest object through the admission engine, as `mutate` does it:
 * a Pod directly, the pod template of a workload as a pod-like {metadata, spec}.
 *
 * Workloads: Deployment, StatefulSet, DaemonSet, ReplicaSet (groups apps, extensions),
 * ReplicationController (core v1) and Job (batch) use spec.template; CronJob (batch)
 * uses spec.jobTemplate.spec.template. An object without apiVersion is recognised by
 * its kind alone; a kind of another API group (a CRD that happens to be called
 * "Deployment") is not a workload.
 *
 * The engine decides on the Pod as the apiserver will send it to the webhook: requests
 * defaulted from limits first (defaulting.h), for Pods and templates alike; the patch is
 * applied to the object as written. So `mutate -f` previews what the server does.
 *
 * Pure: no I/O; the engine's patch is applied with gmw_jsonpatch_apply.
 */
#ifndef GMW_WORKLOAD_H
#define GMW_WORKLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "config.h"
#include "engine.h"

typedef enum {
    GMW_OBJECT_OTHER = 0, /* passes through unchanged */
    GMW_OBJECT_POD,       /* core/v1 Pod */
    GMW_OBJECT_WORKLOAD,  /* has a pod template */
} gmw_object_class;

/*
 * Classify `obj` (borrowed). For GMW_OBJECT_WORKLOAD, *template_out (may be NULL) is
 * set to the borrowed pod template object, or NULL when the workload has none; *where
 * (may be NULL) to its path for messages ("spec.template" or
 * "spec.jobTemplate.spec.template"). Non-objects are GMW_OBJECT_OTHER.
 */
gmw_object_class gmw_workload_classify(const json_t *obj, json_t **template_out,
                                       const char **where);

typedef struct {
    gmw_object_class cls;
    bool changed;                         /* the object was modified: the result is in `object` */
    json_t *object;                       /* owned: the mutated copy when changed, else NULL */
    bool denied;                          /* the engine denied it (no `object`) */
    int code;                             /* the engine's code: 200, or 400 when denied */
    char message[GMW_DENIAL_MESSAGE_MAX]; /* denial message (the engine's) */
    json_t *warnings;                     /* owned: JSON array of strings (the engine's and ours) */
    char error[512];                      /* non-empty when the object could not be processed */
} gmw_workload_result;

/*
 * Decide for `obj` (borrowed, not modified) what the webhook would do to the Pod it
 * describes. Namespace: ns_override when non-NULL and non-empty, else the object's
 * metadata.namespace, else "default". Fills *res (call gmw_workload_result_free after,
 * whatever the return value); when the object changes, res->object holds the whole
 * mutated object, which the caller swaps in (json_array_set does not allocate, so the
 * swap cannot fail half-way). Returns 0 (also when denied or passed through); -ENOMEM
 * when out of memory, or -EINVAL when the engine's patch does not apply (res->error
 * says why in both cases).
 */
GMW_MUST_CHECK int gmw_workload_mutate(const gmw_config *cfg, const json_t *obj,
                                       const char *ns_override, gmw_workload_result *res);

/* Release what *res owns (safe on a zeroed result, and twice). */
void gmw_workload_result_free(gmw_workload_result *res);

#endif
