/*
 * defaulting.h - the apiserver defaulting that changes the webhook's decision, applied by
 * `mutate` before the engine so that its preview equals what the server will do.
 *
 * The apiserver defaults every Pod before any admission webhook sees it (k8s.io/kubernetes
 * pkg/apis/core/v1/defaults.go SetDefaults_Pod): for each container and init container
 * with resources.limits, every resource that has a limit and no request gets
 * request = limit (per resource: a cpu limit defaults only the cpu request). A pod template
 * is not defaulted when the workload is stored, but the Pod the controller creates from it
 * is, so `mutate` applies the same rule to templates.
 *
 * Pure: no I/O, no globals.
 */
#ifndef GMW_DEFAULTING_H
#define GMW_DEFAULTING_H

#include <jansson.h>

/*
 * Apply request-from-limit defaulting in place to the pod-like object `pod` ({metadata,
 * spec}, borrowed and modified): spec.containers[*] and spec.initContainers[*]. Entries
 * that are not objects, limits or requests that are not objects, are left as they are
 * (the apiserver would refuse them; the engine reports them). Sets *changed (may be NULL)
 * when a request was added. Returns 0, or -ENOMEM (pod may then be partly defaulted).
 */
int gmw_default_requests(json_t *pod, int *changed);

#endif
