/*
 * fuzz_review.c - the whole AdmissionReview handler (gmw_review_handle), under two configs
 * (the defaults, and warn mode + shim + requestPolicy limit + ratio 0.75 + no excluded
 * namespaces).
 *
 * Invariants: the handler returns 0, -EINVAL or -ENOMEM, with a NUL-terminated one-line
 * reason on error; a response is compact JSON without duplicate keys, an AdmissionReview
 * with response.uid equal to request.uid and a boolean allowed; a patch is JSONPatch,
 * standard base64 (decoded here with OpenSSL, not our encoder) of a JSON array of ops; it
 * applies to request.object (with the project's applier, in process: fast but not
 * independent; fuzz/check_patches.py re-checks the corpus with python3-jsonpatch), and the
 * patched object reviewed again gets no patch (idempotent).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "config.h"
#include "fuzz_check.h"
#include "jsonpatch.h"
#include "review.h"

static const char k_config2[] = "invalidAnnotations: warn\n"
                                "excludeNamespaces: []\n"
                                "defaults: {ratio: 0.75, requestPolicy: limit, gogc: \"off\"}\n"
                                "shim: {enabled: true, image: \"registry.example/gmw:1\"}\n";

/* Decode standard padded base64 with OpenSSL; returns a malloc'd buffer or NULL. */
static unsigned char *b64_decode(const char *s, size_t len, size_t *out_len)
{
    if (len % 4 != 0 || len > (size_t)INT32_MAX)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (n < 0) {
        free(out);
        return NULL;
    }
    size_t pad = (len >= 1 && s[len - 1] == '=') + (len >= 2 && s[len - 2] == '=');
    *out_len = (size_t)n - pad;
    return out;
}

static const char *str_member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Review `body` once; on success return the parsed response (caller decrefs). */
static json_t *review(const gmw_config *cfg, const char *body, size_t len, char **raw)
{
    char *resp = NULL, err[256];
    size_t resp_len = 0;
    gmw_review_outcome outcome;
    memset(err, 'X', sizeof err);
    int rc = gmw_review_handle(cfg, body, len, &resp, &resp_len, &outcome, err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM, "rc %d", rc);
        FUZZ_CHECK(resp == NULL, "response on error");
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0', "error text");
        FUZZ_CHECK(strchr(err, '\n') == NULL, "multi-line error: %s", err);
        return NULL;
    }
    FUZZ_CHECK(resp != NULL && strlen(resp) == resp_len, "response length");
    json_error_t jerr;
    json_t *out = json_loadb(resp, resp_len, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(out != NULL, "response is not JSON (%s): %.300s", jerr.text, resp);
    FUZZ_CHECK(strcmp(str_member(out, "kind") ? str_member(out, "kind") : "", "AdmissionReview") ==
                   0,
               "kind: %.300s", resp);
    const json_t *r = json_object_get(out, "response");
    FUZZ_CHECK(json_is_object(r), "no response object: %.300s", resp);
    FUZZ_CHECK(json_is_boolean(json_object_get(r, "allowed")), "allowed: %.300s", resp);
    FUZZ_CHECK(json_is_string(json_object_get(r, "uid")), "uid: %.300s", resp);
    FUZZ_CHECK(gmw_review_decision_name(outcome.decision) != NULL, "no decision");
    *raw = resp;
    return out;
}

/* Check the patch of response `out` against the request in `in`; returns the patched
 * review body (malloc'd) when there was a patch, else NULL. */
static char *check_patch(const json_t *in, const json_t *out, size_t *patched_len)
{
    const json_t *r = json_object_get(out, "response");
    const json_t *request = json_object_get(in, "request");
    /* response.uid is request.uid exactly */
    FUZZ_CHECK(json_equal(json_object_get(r, "uid"), json_object_get(request, "uid")),
               "uid not copied");
    const json_t *patch64 = json_object_get(r, "patch");
    if (patch64 == NULL) {
        FUZZ_CHECK(json_object_get(r, "patchType") == NULL, "patchType without patch");
        return NULL;
    }
    FUZZ_CHECK(json_is_true(json_object_get(r, "allowed")), "patch on a denial");
    FUZZ_CHECK(json_is_string(patch64), "patch not a string");
    FUZZ_CHECK(strcmp(str_member(r, "patchType") ? str_member(r, "patchType") : "", "JSONPatch") ==
                   0,
               "patchType");
    size_t plen = 0;
    unsigned char *ptext =
        b64_decode(json_string_value(patch64), json_string_length(patch64), &plen);
    FUZZ_CHECK(ptext != NULL, "patch is not standard base64");
    json_error_t jerr;
    json_t *patch = json_loadb((const char *)ptext, plen, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(patch != NULL, "patch is not JSON: %s", jerr.text);
    FUZZ_CHECK(json_is_array(patch) && json_array_size(patch) > 0,
               "patch is not a non-empty array");
    size_t i;
    json_t *op;
    json_array_foreach(patch, i, op)
    {
        const char *name = str_member(op, "op"), *path = str_member(op, "path");
        FUZZ_CHECK(name != NULL && path != NULL && (path[0] == '/'), "op %zu", i);
    }
    json_t *obj = json_deep_copy(json_object_get(request, "object"));
    char err[256];
    FUZZ_CHECK(obj != NULL, "patch for a request without object");
    FUZZ_CHECK(gmw_jsonpatch_apply(obj, patch, err, sizeof err) == 0,
               "the patch does not apply: %s\npatch: %.*s", err, (int)plen, ptext);
    free(ptext);
    json_decref(patch);
    /* The same review with the patched object. */
    json_t *again = json_deep_copy(in);
    FUZZ_CHECK(again != NULL, "oom");
    json_object_set_new(json_object_get(again, "request"), "object", obj);
    char *text = json_dumps(again, JSON_COMPACT);
    json_decref(again);
    FUZZ_CHECK(text != NULL, "oom");
    *patched_len = strlen(text);
    return text;
}

static void run(const gmw_config *cfg, const uint8_t *data, size_t size)
{
    char *raw = NULL;
    json_t *out = review(cfg, (const char *)data, size, &raw);
    if (out == NULL)
        return;
    /* The handler parsed it, so it is JSON (duplicates: last wins, as in review.c). */
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    FUZZ_CHECK(in != NULL, "handler accepted what jansson refuses");
    size_t plen = 0;
    char *patched = check_patch(in, out, &plen);
    if (patched != NULL) {
        char *raw2 = NULL;
        json_t *out2 = review(cfg, patched, plen, &raw2);
        FUZZ_CHECK(out2 != NULL, "the patched review is refused");
        FUZZ_CHECK(json_object_get(json_object_get(out2, "response"), "patch") == NULL,
                   "not idempotent: the patched object gets another patch\nfirst: %.400s\n"
                   "second: %.400s",
                   raw, raw2);
        json_decref(out2);
        free(raw2);
        free(patched);
    }
    json_decref(in);
    json_decref(out);
    free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gmw_config cfg1, cfg2;
    static int ready;
    if (!ready) {
        char err[GMW_CONFIG_ERR];
        gmw_config_defaults(&cfg1);
        FUZZ_CHECK(
            gmw_config_parse(k_config2, sizeof k_config2 - 1, "fuzz", &cfg2, err, sizeof err) == 0,
            "%s", err);
        ready = 1;
    }
    if (size > (1u << 20))
        return 0;
    run(&cfg1, data, size);
    run(&cfg2, data, size);
    return 0;
}
