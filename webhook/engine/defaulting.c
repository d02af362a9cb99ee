/*
 * defaulting.c - request = limit for each resource with a limit and no request
 * (see defaulting.h).
 */
#include "defaulting.h"

#include <errno.h>

/* One resources object: copy each limit without a request into requests. */
static int default_resources(json_t *resources)
{
    json_t *limits = json_object_get(resources, "limits");
    json_t *requests = json_object_get(resources, "requests");
    const char *key;
    json_t *value;

    if (!json_is_object(resources) || !json_is_object(limits) || json_object_size(limits) == 0)
        return 0;
    if (requests != NULL && !json_is_null(requests) && !json_is_object(requests))
        return 0; /* not ours to fix: the engine warns about it */
    json_object_foreach(limits, key, value)
    {
        if (requests != NULL && json_object_get(requests, key) != NULL)
            continue;
        if (requests == NULL || json_is_null(requests)) {
            requests = json_object();
            if (requests == NULL || json_object_set_new(resources, "requests", requests) != 0)
                return -ENOMEM;
        }
        if (json_object_set_new(requests, key, json_deep_copy(value)) != 0)
            return -ENOMEM;
    }
    return 0;
}

int gmw_apply_pod_defaults(json_t *podspec)
{
    static const char *const lists[] = {"containers", "initContainers"};
    if (!json_is_object(podspec))
        return 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(podspec, lists[l]), i, ct)
        {
            if (json_is_object(ct) && default_resources(json_object_get(ct, "resources")) != 0)
                return -ENOMEM;
        }
    }
    return default_resources(json_object_get(podspec, "resources"));
}
