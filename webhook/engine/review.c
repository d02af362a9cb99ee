/*
 * review.c - AdmissionReview in, AdmissionReview out (see review.h).
 *
 * Decisions (docs/annotations.md): the body is parsed without JSON_REJECT_DUPLICATES,
 * so a duplicated key keeps its last value, as the apiserver's own decoder does; a
 * missing apiVersion is answered in admission.k8s.io/v1; request.dryRun and options are
 * ignored (the webhook has no side effects).
 */
#include "review.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "dynbuf.h"
#include "jarena.h"
#include "jsonload.h"
#include "jsonwrite.h"
#include "warnings.h"

#define API_V1 "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

/* Copy a borrowed JSON string member (sanitized, truncated) into dst; "" when absent. */
static void copy_member(char *dst, size_t cap, const json_t *obj, const char *key)
{
    gmw_sanitize(dst, cap, json_string_value(json_object_get(obj, key)), cap - 1);
}

/* A string member equal to `want`, treating an absent member as `absent_ok`. */
static bool member_is(const json_t *obj, const char *key, const char *want, bool absent_ok)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return absent_ok;
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* Is this request about core/v1 pods (no subresource)? */
static bool is_pod_request(const json_t *request)
{
    const json_t *resource = json_object_get(request, "resource");
    const json_t *sub = json_object_get(request, "subResource");
    if (sub != NULL && !json_is_null(sub) && !(json_is_string(sub) && json_string_length(sub) == 0))
        return false;
    if (json_is_object(resource))
        return member_is(resource, "group", "", true) &&
               member_is(resource, "resource", "pods", false) &&
               member_is(resource, "version", "v1", true);
    /* no resource: fall back on the kind */
    const json_t *kind = json_object_get(request, "kind");
    return json_is_object(kind) && member_is(kind, "group", "", true) &&
           member_is(kind, "kind", "Pod", false);
}

/* Append the compact JSON text of v, exactly as json_dumps(v, JSON_COMPACT) writes it
 * inside a larger document (so the answer is the same bytes as dumping one tree). */
static int add_json(gmw_dynbuf *b, const json_t *v)
{
    return gmw_json_write(b, v);
}

/*
 * Write the whole AdmissionReview answer into b, members in the order the answer has always
 * had: {"apiVersion","kind","response":{"uid","allowed","status"?,"patchType"?,"patch"?,
 * "warnings"?,"auditAnnotations"?}}. Returns 0 or -1 (out of memory).
 */
static int write_answer(gmw_dynbuf *b, const char *api_version, const json_t *uid,
                        const gmw_pod_result *res)
{
    gmw_dynbuf patch;
    char *patch_b64 = NULL;
    int rc = -1;

    gmw_dynbuf_init(&patch, SIZE_MAX / 2);
    /* api_version is one of the two constants (checked by the caller): no escaping needed */
    if (gmw_dynbuf_adds(b, "{\"apiVersion\":\"") != 0 || gmw_dynbuf_adds(b, api_version) != 0 ||
        gmw_dynbuf_adds(b, "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":") != 0 ||
        add_json(b, uid) != 0 ||
        gmw_dynbuf_adds(b, res->allowed ? ",\"allowed\":true" : ",\"allowed\":false") != 0)
        goto fail;
    if (!res->allowed) {
        json_t *status = json_pack("{s:s,s:s,s:s,s:i}", "status", "Failure", "message",
                                   res->message, "reason", "BadRequest", "code", res->code);
        int bad =
            status == NULL || gmw_dynbuf_adds(b, ",\"status\":") != 0 || add_json(b, status) != 0;
        json_decref(status);
        if (bad)
            goto fail;
    }
    if (res->patch != NULL && json_array_size(res->patch) > 0) {
        if (add_json(&patch, res->patch) != 0)
            goto fail;
        patch_b64 = gmw_base64_encode(gmw_dynbuf_ptr(&patch), gmw_dynbuf_len(&patch));
        if (patch_b64 == NULL ||
            gmw_dynbuf_adds(b, ",\"patchType\":\"JSONPatch\",\"patch\":\"") != 0 ||
            gmw_dynbuf_adds(b, patch_b64) != 0 || gmw_dynbuf_adds(b, "\"") != 0)
            goto fail;
    }
    if (res->warnings != NULL && json_array_size(res->warnings) > 0 &&
        (gmw_dynbuf_adds(b, ",\"warnings\":") != 0 || add_json(b, res->warnings) != 0))
        goto fail;
    if (res->audit != NULL && json_object_size(res->audit) > 0 &&
        (gmw_dynbuf_adds(b, ",\"auditAnnotations\":") != 0 || add_json(b, res->audit) != 0))
        goto fail;
    if (gmw_dynbuf_adds(b, "}}") != 0)
        goto fail;
    rc = 0;
fail:
    gmw_dynbuf_free(&patch);
    free(patch_b64);
    return rc;
}

int gmw_review_handle(const gmw_config *cfg, const char *body, size_t len, char **response,
                      size_t *response_len, gmw_review_outcome *outcome, char *err, size_t errcap)
{
    json_error_t jerr;
    json_t *root = NULL;
    gmw_pod_result res;
    gmw_dynbuf out;
    int rc = -ENOMEM; /* until the input is known bad (-EINVAL) or all went well (0) */

    /* everything but the per-container tables (kilobytes, filled only up to the count) */
    memset(&res, 0, offsetof(gmw_pod_result, containers));
    memset(outcome, 0, offsetof(gmw_review_outcome, containers));
    outcome->decision = "ignored";
    *response = NULL;
    *response_len = 0;
    if (errcap > 0)
        err[0] = '\0';
    gmw_dynbuf_init(&out, SIZE_MAX / 2);
    gmw_jarena_begin(); /* every jansson value of this admission dies at gmw_jarena_end */

    root = gmw_json_loadb(body, len, &jerr); /* = json_loadb(body, len, 0, &jerr), faster */
    if (root == NULL) {
        char text[160];
        /* jansson: out of memory, or no error text at all (its buffers failed first) */
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
    gmw_sanitize(outcome->uid, sizeof outcome->uid, json_string_value(uid),
                 sizeof outcome->uid - 1);
    gmw_sanitize(outcome->api_version, sizeof outcome->api_version, api_version,
                 sizeof outcome->api_version - 1);
    copy_member(outcome->operation, sizeof outcome->operation, request, "operation");
    const json_t *object = json_object_get(request, "object");
    const json_t *metadata = json_object_get(object, "metadata");
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

    if (member_is(request, "operation", "CREATE", false) && is_pod_request(request) &&
        json_is_object(object)) {
        if (gmw_engine_mutate_pod(cfg, object, ns, &res) != 0)
            goto fail;
        outcome->decision = !res.allowed                     ? "denied"
                            : json_array_size(res.patch) > 0 ? "patched"
                                                             : "allowed";
        outcome->container_count = res.container_count;
        size_t n = res.container_count < GMW_MAX_CONTAINER_OUTCOMES ? res.container_count
                                                                    : GMW_MAX_CONTAINER_OUTCOMES;
        memcpy(outcome->containers, res.containers, n * sizeof outcome->containers[0]);
    } else {
        res.allowed = true;
        res.code = 200;
    }
    if (write_answer(&out, api_version, uid, &res) != 0)
        goto fail;
    *response = gmw_dynbuf_take(&out, response_len);
    if (*response == NULL)
        goto fail;
    rc = 0;
fail:
    if (rc == -ENOMEM && errcap > 0)
        snprintf(err, errcap, "out of memory");
    gmw_pod_result_free(&res);
    if (!gmw_jarena_active()) /* else the arena drops the whole tree at once, below */
        json_decref(root);
    gmw_dynbuf_free(&out);
    gmw_jarena_end();
    return rc;
}
