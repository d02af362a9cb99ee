/*
 * defaulting.c - request-from-limit defaulting of a Pod, as the apiserver does it
 * (see defaulting.h).
 */
#include "defaulting.h"

#include <errno.h>

/* One container: every limit without a request becomes the request. */
static int default_container(json_t *container, int *changed)
{
    json_t *resources = json_object_get(container, "resources");
    json_t *limits = json_object_get(resources, "limits");
    json_t *requests = json_object_get(resources, "requests");
    const char *key;
    json_t *limit;

    if (!json_is_object(limits) || json_object_size(limits) == 0)
        return 0;
    if (requests != NULL && !json_is_null(requests) && !json_is_object(requests))
        return 0; /* invalid: left for the apiserver to refuse */
    if (!json_is_object(requests)) {
        requests = json_object();
        if (requests == NULL || json_object_set_new(resources, "requests", requests) != 0)
            return -ENOMEM;
    }
    json_object_foreach(limits, key, limit)
    {
        if (json_object_get(requests, key) != NULL)
            continue;
        json_t *copy = json_deep_copy(limit);
        if (copy == NULL || json_object_set_new(requests, key, copy) != 0)
            return -ENOMEM;
        if (changed != NULL)
            *changed = 1;
    }
    return 0;
}

int gmw_default_requests(json_t *pod, int *changed)
{
    static const char *const lists[] = {"containers", "initContainers"};
    json_t *spec = json_object_get(pod, "spec");

    if (changed != NULL)
        *changed = 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        size_t i;
        json_t *container;
        json_array_foreach(json_object_get(spec, lists[l]), i, container)
        {
            if (!json_is_object(container))
                continue;
            int rc = default_container(container, changed);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}
