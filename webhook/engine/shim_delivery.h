/*
 * shim_delivery.h - the JSON Patch operations that deliver gomemlimit-shim into a Pod:
 * an emptyDir volume, an init container (the webhook's own image) that copies the shim
 * into it, a read-only mount in each wrapped container, the container's command
 * rewritten to ["/gomemlimit/gomemlimit-shim", "--ratio", "<r>", ("--force",) "--", <command...>]
 * (args kept), and a memory resizePolicy {memory: RestartContainer} when none exists (a
 * memory entry NotRequired - what apiserver defaulting adds - is replaced by it).
 *
 * The engine decides *which* containers use the shim (config shim.enabled, annotation
 * gomemlimit.io/shim[.<name>]); this module only builds the operations. Pure: no I/O.
 * Idempotent: a container whose command already starts with the shim path, and a Pod
 * that already has the volume / init container, produce no operations.
 *
 * Ordering contract: container ops use the original array indices; the engine emits
 * all per-container ops first and the pod-level ops (gmw_shim_patch_pod) last, so an
 * init container inserted at index 0 cannot shift a path used earlier in the patch.
 */
#ifndef GMW_SHIM_DELIVERY_H
#define GMW_SHIM_DELIVERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "config.h"

#define GMW_SHIM_DIR "/gomemlimit"
#define GMW_SHIM_PATH "/gomemlimit/gomemlimit-shim"
#define GMW_SHIM_VOLUME "gomemlimit-shim"
#define GMW_SHIM_INIT_CONTAINER "gomemlimit-shim-install"
/* Where the webhook image holds the static shim (the init container runs it from there). */
#define GMW_SHIM_IMAGE_PATH "/gomemlimit-shim"

typedef enum {
    GMW_SHIM_WRAPPED = 0, /* ops appended */
    GMW_SHIM_ALREADY,     /* command already wrapped: nothing to do */
    GMW_SHIM_NO_COMMAND,  /* no explicit command: cannot wrap (caller warns) */
    GMW_SHIM_CONFLICT,    /* /gomemlimit is already a mount of another volume, or
                             volumeMounts/resizePolicy is not an array: not wrapped,
                             no ops (caller warns) */
} gmw_shim_container_status;

/*
 * Append to `patch` the ops that wrap the container (borrowed) found at JSON Pointer
 * `container_path` (already escaped, e.g. "/spec/containers/0"): volumeMount
 * {gomemlimit-shim, /gomemlimit, readOnly} (the array is added when absent), command
 * replaced by [GMW_SHIM_PATH, "--ratio", "<r>", ("--force",) "--", <command...>] with args
 * untouched, and {memory: RestartContainer} in resizePolicy when it has no memory entry
 * (the array is added when absent), or a "replace" of restartPolicy when the memory
 * entry says NotRequired (RestartContainer and other values are kept) - except on plain
 * init containers (an initContainers
 * path without restartPolicy Always), where Kubernetes forbids resizePolicy.
 * ratio_e4 is the ratio x 10^4, (0, 10000]. Stores what was done in *status (ops are
 * appended only for GMW_SHIM_WRAPPED) and returns 0; -ENOMEM when out of memory or
 * -ERANGE for a path too long (the patch may then hold some of this container's ops:
 * discard it).
 */
GMW_MUST_CHECK int gmw_shim_patch_container(json_t *patch, const json_t *container,
                                            const char *container_path, uint32_t ratio_e4,
                                            bool force, gmw_shim_container_status *status);

/*
 * Append the pod-level ops unless already present (matched by name): the emptyDir volume
 * GMW_SHIM_VOLUME {sizeLimit: 4Mi} and the init container GMW_SHIM_INIT_CONTAINER
 * (cfg->shim_image, cfg->shim_pull_policy, command [GMW_SHIM_IMAGE_PATH, "--install",
 * GMW_SHIM_DIR], restricted-PSS securityContext as UID 65532, 10m/16Mi requests, 100m/16Mi
 * limits - no resources at all when the Pod has pod-level spec.resources, whose requests
 * must cover the containers' and could be smaller) inserted at index 0 of initContainers
 * (the array is added when absent). `pod` is
 * the object whose "spec" holds the pod spec (a Pod, or a template as the engine sees it),
 * borrowed; paths start at "/spec". A missing spec yields no ops.
 * Returns 0, -ENOMEM, or -ERANGE (a path too long).
 */
GMW_MUST_CHECK int gmw_shim_patch_pod(json_t *patch, const json_t *pod, const gmw_config *cfg);

#endif
