/*
 * defaulting.h - the apiserver's resource defaulting that a Pod gets before any admission
 * webhook sees it, for the objects that do not get it: workload pod templates (/validate
 * previews) and manifests read offline (`mutate`).
 *
 * The rule (Kubernetes SetDefaults_Pod, pkg/apis/core/v1/defaults.go): for every container
 * and init container, each resource that has a limit and no request gets request = limit,
 * resource by resource (memory, cpu, hugepages-*, extended resources). The same rule applies
 * to the pod-level spec.resources (PodLevelResources). Nothing else is defaulted.
 *
 * Pure: no I/O, no globals.
 */
#ifndef GMW_DEFAULTING_H
#define GMW_DEFAULTING_H

#include <jansson.h>

#include "compiler.h"

/*
 * Apply the request-from-limit rule to `podspec` (a Pod's spec, modified in place; borrowed).
 * A podspec that is not an object, containers that are not objects and resources, limits or
 * requests of the wrong JSON type are left as they are (the apiserver would reject them;
 * the engine reports them). A `requests` that is null or absent is created when needed.
 * Returns 0, or -ENOMEM (podspec then may hold some of the defaults, never a half-made entry).
 */
GMW_MUST_CHECK int gmw_apply_pod_defaults(json_t *podspec);

#endif
