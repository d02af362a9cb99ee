/*
 * shim_delivery.h - the JSON Patch operations that deliver gomemlimit-shim into a Pod:
 * an emptyDir volume, an init container (the webhook's own image) that copies the shim
 * into it, a read-only mount in each wrapped container, the container's command
 * rewritten to ["/gomemlimit/gomemlimit-shim", "--ratio", "<r>", ("--force",) "--", <command...>]
 * (args kept), and a memory resizePolicy {memory: RestartContainer} when none exists.
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

#include "config.h"

#define GMW_SHIM_DIR "/gomemlimit"
#define GMW_SHIM_PATH "/gomemlimit/gomemlimit-shim"
#define GMW_SHIM_VOLUME "gomemlimit-shim"
#define GMW_SHIM_INIT_CONTAINER "gomemlimit-shim-install"

typedef enum {
    GMW_SHIM_WRAPPED = 0,     /* ops appended */
    GMW_SHIM_ALREADY,         /* command already wrapped: nothing to do */
    GMW_SHIM_NO_COMMAND,      /* no explicit command: cannot wrap (caller warns) */
} gmw_shim_container_status;

/*
 * Append to `patch` the ops that wrap the container (borrowed) found at JSON Pointer
 * `container_path` (e.g. "/spec/containers/0"): volumeMount, command rewrite with the
 * ratio (and --force when `force`), resizePolicy. Returns the status; -1 on OOM.
 */
int gmw_shim_patch_container(json_t *patch, const json_t *container, const char *container_path,
                             uint32_t ratio_e4, bool force);

/*
 * Append the pod-level ops (emptyDir volume, init container inserted first in
 * initContainers) unless already present. `pod` is borrowed. Returns 0 or -1 on OOM.
 */
int gmw_shim_patch_pod(json_t *patch, const json_t *pod, const gmw_config *cfg);

#endif
