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

/* The parts of a valid AdmissionReview the answer is built from (borrowed from root). */
typedef struct {
    const char *api_version; /* admission.k8s.io/v1 or v1beta1 */
    const json_t *request;
    const json_t *uid;
    json_t *object; /* request.object, may be NULL (the engine may change it) */
    const char *ns; /* request.namespace, else the object's; may be NULL */
} review_request;

/*
 * What the engine never reads of a review, left out of the tree (jsonload.h): about half
 * the bytes of a typical Pod review (managedFields alone is often a fifth), and most of its
 * objects. Still read and validated; the answer cannot depend on it. Only names nothing
 * in webhook/ looks up belong here: the volumes, volumeMounts, command and resizePolicy
 * the shim delivery reads, env and resources, names and annotations all stay.
 */
static const gmw_json_prune prune_container[] = {{"livenessProbe", NULL}, {"readinessProbe", NULL},
                                                 {"startupProbe", NULL},  {"ports", NULL},
                                                 {"lifecycle", NULL},     {NULL, NULL}};
static const gmw_json_prune prune_containers[] = {{GMW_JSON_PRUNE_EACH, prune_container},
                                                  {NULL, NULL}};
static const gmw_json_prune prune_spec[] = {{"containers", prune_containers},
                                            {"initContainers", prune_containers},
                                            {"tolerations", NULL},
                                            {"affinity", NULL},
                                            {NULL, NULL}};
static const gmw_json_prune prune_metadata[] = {
    {"managedFields", NULL}, {"ownerReferences", NULL}, {NULL, NULL}};
static const gmw_json_prune prune_object[] = {
    {"metadata", prune_metadata}, {"spec", prune_spec}, {NULL, NULL}};
static const gmw_json_prune prune_request[] = {
    {"userInfo", NULL}, {"object", prune_object}, {"oldObject", prune_object}, {NULL, NULL}};
static const gmw_json_prune prune_review[] = {{"request", prune_request}, {NULL, NULL}};

/* Parse the body as JSON. Returns 0, -EINVAL with the reason in err, or -ENOMEM. */
static int parse_body(const char *body, size_t len, json_t **root, char *err, size_t errcap)
{
    json_error_t jerr = {0}; /* jansson may fail before it fills it (out of memory) */
    char text[160];

    /* = json_loadb(body, len, 0, &jerr) without what the engine never reads, faster */
    *root = gmw_json_loadb_pruned(body, len, prune_review, &jerr);
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
    int rc = gmw_engine_mutate_disposable_pod(cfg, rq->object, rq->ns, res);
    if (rc != 0)
        return rc;
    outcome->decision = !res->allowed                     ? GMW_DECISION_DENIED
                        : json_array_size(res->patch) > 0 ? GMW_DECISION_PATCHED
                                                          : GMW_DECISION_ALLOWED;
    outcome->container_count = res->container_count;
    size_t n = res->container_count < GMW_MAX_CONTAINER_OUTCOMES ? res->container_count
                                                                 : GMW_MAX_CONTAINER_OUTCOMES;
    memcpy(outcome->containers, res->containers, n * sizeof outcome->containers[0]);
    return 0;
}

/* The AdmissionReview answer, serialized (malloc'd) with its length. 0 or -ENOMEM. */
static int write_response(const review_request *rq, const gmw_pod_result *res, char **response,
                          size_t *response_len)
{
    gmw_dynbuf out;
    gmw_dynbuf_init(&out, SIZE_MAX / 2);
    if (write_answer(&out, rq->api_version, rq->uid, res) != 0) {
        gmw_dynbuf_free(&out);
        return -ENOMEM;
    }
    *response = gmw_dynbuf_take(&out, response_len);
    return *response != NULL ? 0 : -ENOMEM;
}

int gmw_review_handle(const gmw_config *cfg, const char *body, size_t len, char **response,
                      size_t *response_len, gmw_review_outcome *outcome, char *err, size_t errcap)
{
    json_t *root = NULL;
    gmw_pod_result res;
    review_request rq;

    /* everything but the message and per-container tables (kilobytes, filled only up to the
     * count) */
    memset(&res, 0, offsetof(gmw_pod_result, message));
    res.message[0] = '\0';
    memset(&rq, 0, sizeof rq);
    memset(outcome, 0, offsetof(gmw_review_outcome, containers));
    outcome->decision = GMW_DECISION_IGNORED;
    *response = NULL;
    *response_len = 0;
    if (errcap > 0)
        err[0] = '\0';
    gmw_jarena_begin(); /* every jansson value of this admission dies at gmw_jarena_end */

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
    if (!gmw_jarena_active()) { /* else the arena drops these trees at once, below */
        gmw_pod_result_free(&res);
        json_decref(root);
    }
    gmw_jarena_end();
    return rc;
}
