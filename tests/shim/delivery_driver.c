/*
 * delivery_driver.c - test helper: reads a Pod (JSON) on stdin and prints what the
 * engine would do with the shim delivery module, as JSON:
 *   {"statuses": {"<container path>": "wrapped|already|no-command|conflict"}, "patch": [...]}
 * Every container and every init container except the shim's own installer is wrapped
 * (the engine decides that for real); container ops come first, pod ops last, as the
 * ordering contract in shim_delivery.h requires.
 *
 *   gmw_shim_delivery_driver [--ratio-e4 N] [--force] [--image IMAGE] < pod.json
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpatch.h"
#include "shim_delivery.h"

static const char *status_name(int st)
{
    switch (st) {
    case GMW_SHIM_WRAPPED:
        return "wrapped";
    case GMW_SHIM_ALREADY:
        return "already";
    case GMW_SHIM_NO_COMMAND:
        return "no-command";
    case GMW_SHIM_CONFLICT:
        return "conflict";
    default:
        return "error";
    }
}

/* Wrap every container of one list; returns 1 if the pod needs the shim, 0, or -1. */
static int wrap_list(json_t *patch, json_t *statuses, const json_t *spec, const char *list,
                     uint32_t ratio_e4, int force)
{
    const json_t *arr = json_object_get(spec, list);
    int need = 0;
    size_t i;
    const json_t *c;
    json_array_foreach(arr, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        if (name && strcmp(name, GMW_SHIM_INIT_CONTAINER) == 0)
            continue;
        char path[256], idx[32];
        snprintf(path, sizeof(path), "/spec");
        snprintf(idx, sizeof(idx), "%zu", i);
        if (gmw_pointer_append(path, sizeof(path), list) != 0 ||
            gmw_pointer_append(path, sizeof(path), idx) != 0)
            return -1;
        gmw_shim_container_status st = GMW_SHIM_WRAPPED;
        if (gmw_shim_patch_container(patch, c, path, ratio_e4, force != 0, &st) != 0)
            return -1;
        json_object_set_new(statuses, path, json_string(status_name(st)));
        if (st == GMW_SHIM_WRAPPED || st == GMW_SHIM_ALREADY)
            need = 1;
    }
    return need;
}

int main(int argc, char **argv)
{
    uint32_t ratio_e4 = 9000;
    int force = 0;
    gmw_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.shim_image, sizeof(cfg.shim_image), "gomemlimit-webhook:test");
    snprintf(cfg.shim_pull_policy, sizeof(cfg.shim_pull_policy), "IfNotPresent");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (strcmp(argv[i], "--ratio-e4") == 0 && i + 1 < argc) {
            ratio_e4 = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc) {
            snprintf(cfg.shim_image, sizeof(cfg.shim_image), "%s", argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--ratio-e4 N] [--force] [--image IMAGE] < pod.json\n",
                    argv[0]);
            return 2;
        }
    }
    json_error_t jerr;
    json_t *pod = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
    json_t *patch = json_array(), *statuses = json_object(), *out = NULL;
    int rc = 1;
    if (!pod) {
        fprintf(stderr, "driver: bad JSON: %s\n", jerr.text);
        goto fail;
    }
    const json_t *spec = json_object_get(pod, "spec");
    int a = wrap_list(patch, statuses, spec, "containers", ratio_e4, force);
    int b = wrap_list(patch, statuses, spec, "initContainers", ratio_e4, force);
    if (a < 0 || b < 0)
        goto fail;
    if ((a || b) && gmw_shim_patch_pod(patch, pod, &cfg) != 0)
        goto fail;
    out = json_pack("{s:O, s:O}", "statuses", statuses, "patch", patch);
    if (!out || json_dumpf(out, stdout, JSON_COMPACT) != 0)
        goto fail;
    putchar('\n');
    rc = 0;
fail:
    json_decref(out);
    json_decref(pod);
    json_decref(patch);
    json_decref(statuses);
    return rc;
}
