/*
 * shim_delivery.c - JSON Patch operations that deliver gomemlimit-shim into a Pod
 * (see shim_delivery.h). Pure: builds jansson values, no I/O.
 */
#include "shim_delivery.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonpatch.h"
#include "memlimit.h"

#define PTR_MAX 512

/* The first object in the array whose `key` is the string `value` (its index in *at). */
static const json_t *array_find(const json_t *array, const char *key, const char *value, size_t *at)
{
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item)
    {
        const char *s = json_string_value(json_object_get(item, key));
        if (s != NULL && strcmp(s, value) == 0) {
            *at = i;
            return item;
        }
    }
    return NULL;
}

/* Does the array hold an object whose `key` is the string `value`? */
static bool array_has(const json_t *array, const char *key, const char *value)
{
    size_t at;
    return array_find(array, key, value, &at) != NULL;
}

/*
 * Append "add" of `value` (stolen) to `array_name` under base: at `index` ("-" to
 * append, "0" to insert first) when the array exists, else the whole array (which also
 * replaces a null member: "add" on an existing member replaces it, RFC 6902 4.1).
 */
static int add_to_array(json_t *patch, const json_t *parent, const char *base,
                        const char *array_name, const char *index, json_t *value)
{
    char path[PTR_MAX];
    int rc;
    if (value == NULL)
        return -ENOMEM;
    if (json_is_array(json_object_get(parent, array_name))) {
        rc = gmw_pointer_join(path, sizeof path, base, array_name);
        if (rc == 0)
            rc = gmw_pointer_append(path, sizeof path, index);
        if (rc != 0)
            goto fail;
        return gmw_patch_add_op(patch, "add", path, value);
    }
    rc = gmw_pointer_join(path, sizeof path, base, array_name);
    if (rc != 0)
        goto fail;
    json_t *array = json_array();
    if (array == NULL || json_array_append_new(array, value) != 0) {
        json_decref(array);
        return -ENOMEM;
    }
    return gmw_patch_add_op(patch, "add", path, array);
fail:
    json_decref(value);
    return rc;
}

/* Is this a plain init container (resizePolicy forbidden), judged by its path? */
static bool is_plain_init_container(const json_t *container, const char *container_path)
{
    if (!strstr(container_path, "/initContainers/"))
        return false;
    const char *rp = json_string_value(json_object_get(container, "restartPolicy"));
    return !(rp != NULL && strcmp(rp, "Always") == 0);
}

/* Decide whether the container can be wrapped; GMW_SHIM_WRAPPED when it can. */
static gmw_shim_container_status wrap_status(const json_t *container, bool *mounted)
{
    const json_t *command = json_object_get(container, "command");
    const json_t *mounts = json_object_get(container, "volumeMounts");
    const json_t *resize = json_object_get(container, "resizePolicy");

    *mounted = false;
    if (json_is_array(command) && json_array_size(command) > 0) {
        const char *first = json_string_value(json_array_get(command, 0));
        if (first != NULL && strcmp(first, GMW_SHIM_PATH) == 0)
            return GMW_SHIM_ALREADY;
    } else {
        return GMW_SHIM_NO_COMMAND;
    }
    if ((mounts != NULL && !json_is_array(mounts) && !json_is_null(mounts)) ||
        (resize != NULL && !json_is_array(resize) && !json_is_null(resize)))
        return GMW_SHIM_CONFLICT;
    size_t i;
    const json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *mp = json_string_value(json_object_get(m, "mountPath"));
        const char *name = json_string_value(json_object_get(m, "name"));
        /* "/gomemlimit" or "/gomemlimit/": the kubelet cleans the path. */
        if (mp != NULL && (strcmp(mp, GMW_SHIM_DIR) == 0 || strcmp(mp, GMW_SHIM_DIR "/") == 0)) {
            if (name == NULL || strcmp(name, GMW_SHIM_VOLUME) != 0)
                return GMW_SHIM_CONFLICT;
            *mounted = true;
        }
    }
    return GMW_SHIM_WRAPPED;
}

/* Append the ops that wrap a container wrap_status accepted (steps 1 to 3 of shim_delivery.h). */
static int wrap_container(json_t *patch, const json_t *container, const char *container_path,
                          uint32_t ratio_e4, bool force, bool mounted)
{
    const json_t *command = json_object_get(container, "command");
    const json_t *resize = json_object_get(container, "resizePolicy");
    json_t *new_command = NULL;
    char path[PTR_MAX], ratio[16];
    size_t i;
    int rc = -ENOMEM;

    /* 1. the read-only mount of the shim volume */
    if (!mounted) {
        json_t *mount = json_pack("{s:s, s:s, s:b}", "name", GMW_SHIM_VOLUME, "mountPath",
                                  GMW_SHIM_DIR, "readOnly", 1);
        rc = add_to_array(patch, container, container_path, "volumeMounts", "-", mount);
        if (rc != 0)
            return rc;
    }

    /* 2. the command, wrapped; args stay as they are */
    gmw_ratio_format(ratio_e4, ratio, sizeof ratio);
    new_command = json_pack("[s, s, s]", GMW_SHIM_PATH, "--ratio", ratio);
    if (new_command == NULL)
        return -ENOMEM;
    if (force && json_array_append_new(new_command, json_string("--force")) != 0)
        goto fail;
    if (json_array_append_new(new_command, json_string("--")) != 0)
        goto fail;
    const json_t *arg;
    json_array_foreach(command, i, arg)
    {
        if (json_array_append_new(new_command, json_deep_copy(arg)) != 0)
            goto fail;
    }
    rc = gmw_pointer_join(path, sizeof path, container_path, "command");
    if (rc != 0)
        goto fail;
    rc = gmw_patch_add_op(patch, "replace", path, new_command);
    new_command = NULL; /* stolen */
    if (rc != 0)
        return rc;

    /*
     * 3. restart on an in-place memory resize, so the shim re-reads the limit. A memory
     * entry "NotRequired" is what apiserver defaulting adds (InPlacePodVerticalScaling)
     * before webhooks run, indistinguishable from a user's: it becomes RestartContainer.
     */
    if (!is_plain_init_container(container, container_path)) {
        size_t at = 0;
        const json_t *entry = array_find(resize, "resourceName", "memory", &at);
        const char *policy = json_string_value(json_object_get(entry, "restartPolicy"));
        if (entry == NULL) {
            json_t *value = json_pack("{s:s, s:s}", "resourceName", "memory", "restartPolicy",
                                      "RestartContainer");
            return add_to_array(patch, container, container_path, "resizePolicy", "-", value);
        }
        if (policy != NULL && strcmp(policy, "NotRequired") == 0) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", at);
            rc = gmw_pointer_join(path, sizeof path, container_path, "resizePolicy");
            if (rc == 0)
                rc = gmw_pointer_append(path, sizeof path, idx);
            if (rc == 0)
                rc = gmw_pointer_append(path, sizeof path, "restartPolicy");
            if (rc == 0)
                rc = gmw_patch_add_op(patch, "replace", path, json_string("RestartContainer"));
            return rc;
        }
    }
    return 0;
fail:
    json_decref(new_command);
    return rc;
}

int gmw_shim_patch_container(json_t *patch, const json_t *container, const char *container_path,
                             uint32_t ratio_e4, bool force, gmw_shim_container_status *status)
{
    bool mounted = false;

    *status = wrap_status(container, &mounted);
    if (*status != GMW_SHIM_WRAPPED)
        return 0;
    return wrap_container(patch, container, container_path, ratio_e4, force, mounted);
}

/*
 * The init container that copies the shim into the volume; new reference or NULL.
 * Without resources when the Pod has pod-level spec.resources: the apiserver requires
 * pod requests >= the aggregate container requests, which 10m/16Mi could break.
 */
static json_t *install_container(const gmw_config *cfg, bool with_resources)
{
    /* clang-format off */
    json_t *ct = json_pack(
        "{s:s, s:s, s:s, s:[s, s, s], s:[{s:s, s:s}],"
        " s:{s:b, s:i, s:i, s:b, s:b, s:b, s:{s:[s]}, s:{s:s}},"
        " s:s}",
        "name", GMW_SHIM_INIT_CONTAINER, "image", cfg->shim_image, "imagePullPolicy",
        cfg->shim_pull_policy, "command", GMW_SHIM_IMAGE_PATH, "--install", GMW_SHIM_DIR,
        "volumeMounts", "name", GMW_SHIM_VOLUME, "mountPath", GMW_SHIM_DIR,
        "securityContext", "runAsNonRoot", 1, "runAsUser", 65532, "runAsGroup", 65532,
        "allowPrivilegeEscalation", 0, "privileged", 0, "readOnlyRootFilesystem", 1,
        "capabilities", "drop", "ALL", "seccompProfile", "type", "RuntimeDefault",
        "terminationMessagePolicy", "FallbackToLogsOnError");
    /* clang-format on */
    if (ct == NULL || !with_resources)
        return ct;
    json_t *resources = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "requests", "cpu", "10m",
                                  "memory", "16Mi", "limits", "cpu", "100m", "memory", "16Mi");
    if (json_object_set_new(ct, "resources", resources) != 0) {
        json_decref(ct);
        return NULL;
    }
    return ct;
}

int gmw_shim_patch_pod(json_t *patch, const json_t *pod, const gmw_config *cfg)
{
    const json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec))
        return 0;
    const json_t *volumes = json_object_get(spec, "volumes");
    const json_t *inits = json_object_get(spec, "initContainers");

    if (!array_has(volumes, "name", GMW_SHIM_VOLUME)) {
        json_t *vol =
            json_pack("{s:s, s:{s:s}}", "name", GMW_SHIM_VOLUME, "emptyDir", "sizeLimit", "4Mi");
        int rc = add_to_array(patch, spec, "/spec", "volumes", "-", vol);
        if (rc != 0)
            return rc;
    }
    if (!array_has(inits, "name", GMW_SHIM_INIT_CONTAINER)) {
        const json_t *pod_resources = json_object_get(spec, "resources");
        bool with_resources = pod_resources == NULL || json_is_null(pod_resources);
        return add_to_array(patch, spec, "/spec", "initContainers", "0",
                            install_container(cfg, with_resources));
    }
    return 0;
}
