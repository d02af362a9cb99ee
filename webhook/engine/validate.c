/*
 * validate.c - the workload validating webhook (see validate.h).
 *
 * The envelope checks repeat review.c's, word for word, so a body is refused the same way
 * on both routes.
 */
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preview.h"
#include "sanitize.h"
#include "workload.h"

#define API_V1 "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

/* A string member equal to `want`, treating an absent member as `absent_ok`. */
static bool member_is(const json_t *obj, const char *key, const char *want, bool absent_ok)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return absent_ok;
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* Is the request about a workload resource (no subresource), by resource or by kind? */
static bool is_workload_request(const json_t *request, const json_t *object)
{
    static const struct {
        const char *group, *resource;
    } resources[] = {
        {"apps", "deployments"},       {"apps", "statefulsets"},
        {"apps", "daemonsets"},        {"apps", "replicasets"},
        {"extensions", "deployments"}, {"extensions", "daemonsets"},
        {"extensions", "replicasets"}, {"batch", "jobs"},
        {"batch", "cronjobs"},         {"", "replicationcontrollers"},
    };
    const json_t *sub = json_object_get(request, "subResource");
    if (sub != NULL && !json_is_null(sub) && !(json_is_string(sub) && json_string_length(sub) == 0))
        return false;
    const json_t *resource = json_object_get(request, "resource");
    if (json_is_object(resource)) {
        bool known = false;
        for (size_t i = 0; i < sizeof resources / sizeof resources[0] && !known; i++)
            known = member_is(resource, "group", resources[i].group, resources[i].group[0] == 0) &&
                    member_is(resource, "resource", resources[i].resource, false);
        if (!known)
            return false;
    }
    /* the object itself must be a workload (kind and group, workload.h) */
    return gmw_workload_classify(object, NULL, NULL) == GMW_OBJECT_WORKLOAD;
}

/* The pod template of a workload object, or NULL. */
static const json_t *template_of(const json_t *obj)
{
    json_t *tmpl = NULL;
    if (gmw_workload_classify(obj, &tmpl, NULL) != GMW_OBJECT_WORKLOAD)
        return NULL;
    return tmpl;
}

/* Build {"uid", "allowed", "status"?, "warnings"?}; returns NULL when out of memory. */
static json_t *make_response(const json_t *uid, const gmw_preview_result *pv, bool show)
{
    json_t *resp = json_pack("{s:O,s:b}", "uid", uid, "allowed", !pv->denied);
    if (resp == NULL)
        return NULL;
    if (pv->denied) {
        json_t *status = json_pack("{s:s,s:s,s:s,s:i}", "status", "Failure", "message", pv->message,
                                   "reason", "BadRequest", "code", pv->code);
        if (json_object_set_new(resp, "status", status) != 0)
            goto fail;
    }
    if ((show || pv->denied) && json_array_size(pv->warnings) > 0 &&
        json_object_set(resp, "warnings", pv->warnings) != 0)
        goto fail;
    return resp;
fail:
    json_decref(resp);
    return NULL;
}

int gmw_validate_handle(const gmw_config *cfg, const char *body, size_t len, char **response,
                        size_t *response_len, gmw_review_outcome *outcome, char *err, size_t errcap)
{
    json_error_t jerr = {0}; /* jansson may fail before it fills it (out of memory) */
    json_t *root = NULL, *out = NULL, *resp = NULL;
    gmw_preview_result pv;
    int rc = -ENOMEM; /* until the input is known bad (-EINVAL) or all went well (0) */

    memset(&pv, 0, sizeof pv);
    memset(outcome, 0, sizeof *outcome);
    outcome->decision = GMW_DECISION_IGNORED;
    *response = NULL;
    *response_len = 0;
    if (errcap > 0)
        err[0] = '\0';

    root = json_loadb(body, len, 0, &jerr);
    if (root == NULL) {
        char text[160];
        if (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0')
            goto fail; /* -ENOMEM */
        snprintf(err, errcap, "invalid JSON: %s (line %d, column %d)",
                 gmw_sanitize(text, sizeof text, jerr.text, 120), jerr.line, jerr.column);
        rc = -EINVAL;
        goto fail;
    }
    if (!json_is_object(root)) {
        snprintf(err, errcap, "not an AdmissionReview: the body is not a JSON object");
        rc = -EINVAL;
        goto fail;
    }
    const json_t *api = json_object_get(root, "apiVersion");
    const char *api_version = API_V1;
    if (api != NULL) {
        const char *s = json_string_value(api);
        if (s == NULL || (strcmp(s, API_V1) != 0 && strcmp(s, API_V1BETA1) != 0)) {
            char text[64];
            snprintf(err, errcap, "unsupported apiVersion \"%s\": want " API_V1 " or " API_V1BETA1,
                     gmw_sanitize(text, sizeof text, s != NULL ? s : "(not a string)", 48));
            rc = -EINVAL;
            goto fail;
        }
        api_version = s;
    }
    const json_t *kind = json_object_get(root, "kind");
    if (kind != NULL && !member_is(root, "kind", "AdmissionReview", true)) {
        char text[64];
        snprintf(err, errcap, "not an AdmissionReview: kind is \"%s\"",
                 gmw_sanitize(text, sizeof text,
                              json_is_string(kind) ? json_string_value(kind) : "(not a string)",
                              48));
        rc = -EINVAL;
        goto fail;
    }
    const json_t *request = json_object_get(root, "request");
    if (!json_is_object(request)) {
        snprintf(err, errcap, "not an AdmissionReview: no request object");
        rc = -EINVAL;
        goto fail;
    }
    const json_t *uid = json_object_get(request, "uid");
    if (!json_is_string(uid)) {
        snprintf(err, errcap, "not an AdmissionReview: request.uid is missing or not a string");
        rc = -EINVAL;
        goto fail;
    }

    /* the summary for logs and metrics */
    const json_t *object = json_object_get(request, "object");
    const json_t *metadata = json_object_get(object, "metadata");
    gmw_sanitize(outcome->uid, sizeof outcome->uid, json_string_value(uid),
                 sizeof outcome->uid - 1);
    gmw_sanitize(outcome->api_version, sizeof outcome->api_version, api_version,
                 sizeof outcome->api_version - 1);
    gmw_sanitize(outcome->operation, sizeof outcome->operation,
                 json_string_value(json_object_get(request, "operation")),
                 sizeof outcome->operation - 1);
    const char *ns = json_string_value(json_object_get(request, "namespace"));
    if (ns == NULL || ns[0] == '\0')
        ns = json_string_value(json_object_get(metadata, "namespace"));
    gmw_sanitize(outcome->ns, sizeof outcome->ns, ns, sizeof outcome->ns - 1);
    const char *name = json_string_value(json_object_get(request, "name"));
    if (name == NULL || name[0] == '\0')
        name = json_string_value(json_object_get(metadata, "name"));
    if (name == NULL || name[0] == '\0')
        name = json_string_value(json_object_get(metadata, "generateName"));
    gmw_sanitize(outcome->name, sizeof outcome->name, name, sizeof outcome->name - 1);

    bool create = member_is(request, "operation", "CREATE", false);
    bool update = member_is(request, "operation", "UPDATE", false);
    bool show = false;
    if ((create || update) && is_workload_request(request, object)) {
        if (gmw_preview_object(cfg, object, ns, &pv) != 0)
            goto fail;
        /* an UPDATE that leaves the template as it was is never denied (validate.h) */
        const json_t *old_tmpl = template_of(json_object_get(request, "oldObject"));
        if (update && pv.denied && old_tmpl != NULL && json_equal(old_tmpl, template_of(object)))
            pv.denied = false;
        const json_t *dry = json_object_get(request, "dryRun");
        show = cfg->preview == GMW_PREVIEW_ALWAYS ||
               (cfg->preview == GMW_PREVIEW_DRY_RUN && json_is_true(dry));
        outcome->decision = pv.denied ? GMW_DECISION_DENIED : GMW_DECISION_ALLOWED;
        outcome->container_count = pv.container_count;
        size_t n = pv.container_count < GMW_MAX_CONTAINER_OUTCOMES ? pv.container_count
                                                                   : GMW_MAX_CONTAINER_OUTCOMES;
        for (size_t k = 0; k < n; k++) {
            memcpy(outcome->containers[k].name, pv.containers[k].name,
                   sizeof outcome->containers[k].name);
            outcome->containers[k].action = pv.containers[k].action;
            outcome->containers[k].reason = pv.containers[k].reason;
        }
    }
    resp = make_response(uid, &pv, show);
    if (resp == NULL)
        goto fail;
    out = json_pack("{s:s,s:s,s:O}", "apiVersion", api_version, "kind", "AdmissionReview",
                    "response", resp);
    if (out == NULL)
        goto fail;
    *response = json_dumps(out, JSON_COMPACT);
    if (*response == NULL)
        goto fail;
    *response_len = strlen(*response);
    rc = 0;
fail:
    if (rc == -ENOMEM && errcap > 0)
        snprintf(err, errcap, "out of memory");
    gmw_preview_result_free(&pv);
    json_decref(resp);
    json_decref(out);
    json_decref(root);
    return rc;
}
