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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sanitize.h"

#define API_V1 "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

const char *gmw_review_decision_name(gmw_review_decision d)
{
    static const char *const names[] = {"patched", "allowed", "denied", "ignored"};
    if ((size_t)d < sizeof names / sizeof names[0])
        return names[d];
    return "unknown";
}

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

/* Add the engine result to the response object; returns 0 or -1 (OOM). */
static int add_result(json_t *response, const gmw_pod_result *res)
{
    char *patch_text = NULL, *patch_b64 = NULL;
    int rc = -1;

    if (json_object_set_new(response, "allowed", json_boolean(res->allowed)) != 0)
        goto fail;
    if (!res->allowed) {
        json_t *status = json_pack("{s:s,s:s,s:s,s:i}", "status", "Failure", "message",
                                   res->message, "reason", "BadRequest", "code", res->code);
        if (json_object_set_new(response, "status", status) != 0)
            goto fail;
    }
    if (res->patch != NULL && json_array_size(res->patch) > 0) {
        patch_text = json_dumps(res->patch, JSON_COMPACT);
        if (patch_text == NULL)
            goto fail;
        patch_b64 = gmw_base64_encode(patch_text, strlen(patch_text));
        if (patch_b64 == NULL)
            goto fail;
        if (json_object_set_new(response, "patchType", json_string("JSONPatch")) != 0 ||
            json_object_set_new(response, "patch", json_string(patch_b64)) != 0)
            goto fail;
    }
    if (res->warnings != NULL && json_array_size(res->warnings) > 0 &&
        json_object_set(response, "warnings", res->warnings) != 0)
        goto fail;
    if (res->audit != NULL && json_object_size(res->audit) > 0 &&
        json_object_set(response, "auditAnnotations", res->audit) != 0)
        goto fail;
    rc = 0;
fail:
    free(patch_text);
    free(patch_b64);
    return rc;
}

/* The parts of a valid AdmissionReview the answer is built from (borrowed from root). */
typedef struct {
    const char *api_version; /* admission.k8s.io/v1 or v1beta1 */
    const json_t *request;
    const json_t *uid;
    const json_t *object; /* request.object, may be NULL */
    const char *ns;       /* request.namespace, else the object's; may be NULL */
} review_request;

/* Parse the body as JSON. Returns 0, -EINVAL with the reason in err, or -ENOMEM. */
static int parse_body(const char *body, size_t len, json_t **root, char *err, size_t errcap)
{
    json_error_t jerr;
    char text[160];

    *root = json_loadb(body, len, 0, &jerr);
    if (*root != NULL)
        return 0;
    /* jansson: out of memory, or no error text at all (its buffers failed first) */
    if (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0')
        return -ENOMEM;
    gmw_sanitize(text, sizeof text, jerr.text, 120);
    /* jansson quotes the token it stopped in ("near '\"s3cr3t-..."), which can be a piece
     * of an env value or Secret; the server logs this text, so keep only the reason and the
     * position (docs/security.md). */
    char *near = strstr(text, " near '");
    if (near != NULL)
        *near = '\0';
    snprintf(err, errcap, "invalid JSON: %s (line %d, column %d)", text, jerr.line, jerr.column);
    return -EINVAL;
}

/* Check that root is an AdmissionReview this webhook answers; fills *rq. 0 or -EINVAL. */
static int check_review(const json_t *root, review_request *rq, char *err, size_t errcap)
{
    char text[64];

    if (!json_is_object(root)) {
        snprintf(err, errcap, "not an AdmissionReview: the body is not a JSON object");
        return -EINVAL;
    }
    const json_t *api = json_object_get(root, "apiVersion");
    rq->api_version = API_V1;
    if (api != NULL) {
        const char *s = json_string_value(api);
        if (s == NULL || (strcmp(s, API_V1) != 0 && strcmp(s, API_V1BETA1) != 0)) {
            snprintf(err, errcap, "unsupported apiVersion \"%s\": want " API_V1 " or " API_V1BETA1,
                     gmw_sanitize(text, sizeof text, s != NULL ? s : "(not a string)", 48));
            return -EINVAL;
        }
        rq->api_version = s;
    }
    const json_t *kind = json_object_get(root, "kind");
    if (kind != NULL && !member_is(root, "kind", "AdmissionReview", true)) {
        snprintf(err, errcap, "not an AdmissionReview: kind is \"%s\"",
                 gmw_sanitize(text, sizeof text,
                              json_is_string(kind) ? json_string_value(kind) : "(not a string)",
                              48));
        return -EINVAL;
    }
    rq->request = json_object_get(root, "request");
    if (!json_is_object(rq->request)) {
        snprintf(err, errcap, "not an AdmissionReview: no request object");
        return -EINVAL;
    }
    rq->uid = json_object_get(rq->request, "uid");
    if (!json_is_string(rq->uid)) {
        snprintf(err, errcap, "not an AdmissionReview: request.uid is missing or not a string");
        return -EINVAL;
    }
    rq->object = json_object_get(rq->request, "object");
    rq->ns = json_string_value(json_object_get(rq->request, "namespace"));
    if (rq->ns == NULL || rq->ns[0] == '\0')
        rq->ns = json_string_value(
            json_object_get(json_object_get(rq->object, "metadata"), "namespace"));
    return 0;
}

/* The summary for logs and metrics: uid, apiVersion, operation, namespace and name. */
static void summarize(const review_request *rq, gmw_review_outcome *outcome)
{
    const json_t *metadata = json_object_get(rq->object, "metadata");

    gmw_sanitize(outcome->uid, sizeof outcome->uid, json_string_value(rq->uid),
                 sizeof outcome->uid - 1);
    gmw_sanitize(outcome->api_version, sizeof outcome->api_version, rq->api_version,
                 sizeof outcome->api_version - 1);
    copy_member(outcome->operation, sizeof outcome->operation, rq->request, "operation");
    gmw_sanitize(outcome->ns, sizeof outcome->ns, rq->ns, sizeof outcome->ns - 1);
    const char *name = json_string_value(json_object_get(rq->request, "name"));
    if (name == NULL || name[0] == '\0')
        name = json_string_value(json_object_get(metadata, "name"));
    if (name == NULL || name[0] == '\0')
        name = json_string_value(json_object_get(metadata, "generateName"));
    gmw_sanitize(outcome->name, sizeof outcome->name, name, sizeof outcome->name - 1);
}

/* Decide: the engine for a Pod CREATE, else allowed untouched. 0 or -ENOMEM. */
static int decide(const gmw_config *cfg, const review_request *rq, gmw_pod_result *res,
                  gmw_review_outcome *outcome)
{
    if (!member_is(rq->request, "operation", "CREATE", false) || !is_pod_request(rq->request) ||
        !json_is_object(rq->object)) {
        res->allowed = true;
        res->code = 200;
        return 0;
    }
    int rc = gmw_engine_mutate_pod(cfg, rq->object, rq->ns, res);
    if (rc != 0)
        return rc;
    outcome->decision = !res->allowed                     ? GMW_DECISION_DENIED
                        : json_array_size(res->patch) > 0 ? GMW_DECISION_PATCHED
                                                          : GMW_DECISION_ALLOWED;
    outcome->container_count = res->container_count;
    memcpy(outcome->containers, res->containers, sizeof outcome->containers);
    return 0;
}

/* The AdmissionReview answer, serialized (malloc'd) with its length. 0 or -ENOMEM. */
static int write_response(const review_request *rq, const gmw_pod_result *res, char **response,
                          size_t *response_len)
{
    json_t *resp = json_object();
    json_t *out = NULL;
    int rc = -ENOMEM;

    if (resp == NULL || json_object_set_new(resp, "uid", json_deep_copy(rq->uid)) != 0)
        goto fail;
    if (add_result(resp, res) != 0)
        goto fail;
    out = json_pack("{s:s,s:s,s:O}", "apiVersion", rq->api_version, "kind", "AdmissionReview",
                    "response", resp);
    if (out == NULL)
        goto fail;
    *response = json_dumps(out, JSON_COMPACT);
    if (*response == NULL)
        goto fail;
    *response_len = strlen(*response);
    rc = 0;
fail:
    json_decref(resp);
    json_decref(out);
    return rc;
}

int gmw_review_handle(const gmw_config *cfg, const char *body, size_t len, char **response,
                      size_t *response_len, gmw_review_outcome *outcome, char *err, size_t errcap)
{
    json_t *root = NULL;
    gmw_pod_result res;
    review_request rq;

    memset(&res, 0, sizeof res);
    memset(&rq, 0, sizeof rq);
    memset(outcome, 0, sizeof *outcome);
    outcome->decision = GMW_DECISION_IGNORED;
    *response = NULL;
    *response_len = 0;
    if (errcap > 0)
        err[0] = '\0';

    int rc = parse_body(body, len, &root, err, errcap);
    if (rc == 0)
        rc = check_review(root, &rq, err, errcap);
    if (rc == 0) {
        summarize(&rq, outcome);
        rc = decide(cfg, &rq, &res, outcome);
    }
    if (rc == 0)
        rc = write_response(&rq, &res, response, response_len);
    if (rc == -ENOMEM && errcap > 0)
        snprintf(err, errcap, "out of memory");
    gmw_pod_result_free(&res);
    json_decref(root);
    return rc;
}
