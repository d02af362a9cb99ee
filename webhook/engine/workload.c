/*
 * workload.c - a Pod or a workload's pod template through the engine (see workload.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "defaulting.h"
#include "engine.h"
#include "jsonpatch.h"
#include "messages.h"
#include "workload.h"

/* "apps/v1" -> "apps"; "v1" -> "" (core); NULL/non-string -> NULL (unknown). */
static int api_group(const json_t *obj, char *group, size_t cap)
{
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    if (api == NULL)
        return -1;
    const char *slash = strchr(api, '/');
    size_t n = slash == NULL ? 0 : (size_t)(slash - api);
    if (n >= cap)
        n = cap - 1;
    memcpy(group, api, n);
    group[n] = '\0';
    return 0;
}

gmw_object_class gmw_workload_classify(const json_t *obj, json_t **template_out, const char **where)
{
    static const struct {
        const char *kind;
        const char *groups[3];
        int cronjob;
    } kinds[] = {
        {"Deployment", {"apps", "extensions", NULL}, 0},
        {"StatefulSet", {"apps", NULL, NULL}, 0},
        {"DaemonSet", {"apps", "extensions", NULL}, 0},
        {"ReplicaSet", {"apps", "extensions", NULL}, 0},
        {"ReplicationController", {"", NULL, NULL}, 0},
        {"Job", {"batch", NULL, NULL}, 0},
        {"CronJob", {"batch", NULL, NULL}, 1},
    };
    char group[128];
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    int have_group = json_is_object(obj) && api_group(obj, group, sizeof group) == 0;

    if (template_out != NULL)
        *template_out = NULL;
    if (where != NULL)
        *where = NULL;
    if (!json_is_object(obj) || kind == NULL)
        return GMW_OBJECT_OTHER;
    if (strcmp(kind, "Pod") == 0)
        return (!have_group || group[0] == '\0') ? GMW_OBJECT_POD : GMW_OBJECT_OTHER;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kind, kinds[i].kind) != 0)
            continue;
        int group_ok = !have_group;
        for (size_t g = 0; !group_ok && g < 3 && kinds[i].groups[g] != NULL; g++)
            group_ok = strcmp(group, kinds[i].groups[g]) == 0;
        if (!group_ok)
            return GMW_OBJECT_OTHER;
        json_t *spec = json_object_get(obj, "spec");
        if (kinds[i].cronjob)
            spec = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
        json_t *tmpl = json_object_get(spec, "template");
        if (template_out != NULL)
            *template_out = json_is_object(tmpl) ? tmpl : NULL;
        if (where != NULL)
            *where = kinds[i].cronjob ? "spec.jobTemplate.spec.template" : "spec.template";
        return GMW_OBJECT_WORKLOAD;
    }
    return GMW_OBJECT_OTHER;
}

void gmw_workload_result_free(gmw_workload_result *res)
{
    if (res == NULL)
        return;
    json_decref(res->warnings);
    res->warnings = NULL;
    json_decref(res->object);
    res->object = NULL;
}

static int add_warning(gmw_workload_result *res, const char *text)
{
    return json_array_append_new(res->warnings, json_string(text));
}

/*
 * Put the pod-like object's metadata and spec (after the patch) back into the template
 * `tmpl` of our private copy; a template that had no metadata gets it first.
 */
static int store_template(json_t *tmpl, json_t *podlike)
{
    json_t *meta = json_object_get(podlike, "metadata");
    json_t *spec = json_object_get(podlike, "spec");
    json_t *ordered = NULL;

    if (meta != NULL && json_object_get(tmpl, "metadata") == NULL) {
        ordered = json_pack("{s:O}", "metadata", meta);
        if (ordered == NULL || json_object_update(ordered, tmpl) != 0 ||
            json_object_clear(tmpl) != 0 || json_object_update(tmpl, ordered) != 0)
            goto fail;
        json_decref(ordered);
        ordered = NULL;
    }
    if ((meta != NULL && json_object_set(tmpl, "metadata", meta) != 0) ||
        (spec != NULL && json_object_set(tmpl, "spec", spec) != 0))
        goto fail;
    return 0;
fail:
    json_decref(ordered);
    return -1;
}

int gmw_workload_mutate(const gmw_config *cfg, const json_t *obj, const char *ns_override,
                        gmw_workload_result *res)
{
    gmw_pod_result pr;
    json_t *copy = NULL;    /* our private copy of obj: the result when all goes well */
    json_t *tmpl = NULL;    /* the pod template inside copy (borrowed) */
    json_t *podlike = NULL; /* copy itself (Pod) or {metadata, spec}: the patch lands here */
    json_t *decided = NULL; /* the engine's input: podlike after apiserver defaulting */
    const char *where = NULL;
    const char *ns = ns_override;
    char err[256];
    int rc = -ENOMEM;

    memset(res, 0, sizeof *res);
    memset(&pr, 0, sizeof pr);
    res->code = 200;
    res->warnings = json_array();
    if (res->warnings == NULL) {
        snprintf(res->error, sizeof res->error, "out of memory");
        return -ENOMEM;
    }
    res->cls = gmw_workload_classify(obj, &tmpl, &where);
    if (res->cls == GMW_OBJECT_OTHER)
        return 0;
    if (res->cls == GMW_OBJECT_WORKLOAD && tmpl == NULL) {
        char msg[128];
        snprintf(msg, sizeof msg, GMW_MSG_WORKLOAD_NO_TEMPLATE, where);
        if (add_warning(res, msg) != 0) {
            snprintf(res->error, sizeof res->error, "out of memory");
            return -ENOMEM;
        }
        return 0;
    }
    if (ns == NULL || ns[0] == '\0')
        ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    if (ns == NULL || ns[0] == '\0')
        ns = "default";

    /* Everything happens on a copy, so a failure or a denial leaves obj as it was. */
    copy = json_deep_copy(obj);
    if (copy == NULL)
        goto oom;
    if (res->cls == GMW_OBJECT_POD) {
        podlike = json_incref(copy);
    } else {
        gmw_workload_classify(copy, &tmpl, NULL);
        json_t *meta = json_object_get(tmpl, "metadata");
        json_t *spec = json_object_get(tmpl, "spec");
        podlike = json_object();
        if (podlike == NULL || (meta != NULL && json_object_set(podlike, "metadata", meta) != 0) ||
            (spec != NULL && json_object_set(podlike, "spec", spec) != 0))
            goto oom;
    }

    /* The engine decides on the Pod as the apiserver will hand it to the webhook
     * (requests defaulted from limits); the patch applies to the object as written, which
     * the apiserver defaults the same way when it creates the Pod (defaulting.h). */
    decided = json_deep_copy(podlike);
    if (decided == NULL || gmw_apply_pod_defaults(json_object_get(decided, "spec")) != 0)
        goto oom;
    if (gmw_engine_mutate_pod(cfg, decided, ns, &pr) != 0)
        goto oom;
    size_t i;
    json_t *w;
    json_array_foreach(pr.warnings, i, w)
    {
        if (json_is_string(w) && add_warning(res, json_string_value(w)) != 0)
            goto oom;
    }
    res->code = pr.code;
    if (!pr.allowed) {
        res->denied = true;
        snprintf(res->message, sizeof res->message, "%s", pr.message);
        rc = 0;
        goto out;
    }
    if (json_array_size(pr.patch) == 0) {
        rc = 0;
        goto out;
    }
    /* For a template, podlike shares metadata and spec with copy: the patch lands there. */
    rc = gmw_jsonpatch_apply(podlike, pr.patch, err, sizeof err);
    if (rc != 0) {
        snprintf(res->error, sizeof res->error, "cannot apply the engine's patch: %s", err);
        goto out;
    }
    if (res->cls == GMW_OBJECT_WORKLOAD && store_template(tmpl, podlike) != 0)
        goto oom;
    res->object = copy;
    copy = NULL;
    res->changed = true;
    rc = 0;
    goto out;
oom:
    snprintf(res->error, sizeof res->error, "out of memory");
    rc = -ENOMEM;
out:
    gmw_pod_result_free(&pr);
    json_decref(decided);
    json_decref(podlike);
    json_decref(copy);
    return rc;
}
