/*
 * test_review.c - AdmissionReview handling: versions, uid, which requests reach the
 * engine, the response shape (patch base64, omitted when empty), denials, bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

#include "failing_alloc.h"

static gmw_config cfg;

/* Replace ' by " (test literals). Caller frees. */
static char *dq(const char *text)
{
    size_t n = strlen(text);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    return buf;
}

static gmw_review_outcome outcome;

/* Handle body (already with "); expect success; return the parsed response (new ref). */
static json_t *handle_raw(const char *body, size_t len)
{
    char *resp = NULL, err[256];
    size_t resp_len = 0;
    int rc = gmw_review_handle(&cfg, body, len, &resp, &resp_len, &outcome, err, sizeof err);
    if (rc != 0)
        fail_msg("review failed: %s", err);
    assert_non_null(resp);
    assert_int_equal(strlen(resp), resp_len);
    json_error_t jerr;
    json_t *out = json_loads(resp, 0, &jerr);
    assert_non_null(out);
    free(resp);
    return out;
}

static json_t *handle(const char *literal)
{
    char *body = dq(literal);
    json_t *out = handle_raw(body, strlen(body));
    free(body);
    return out;
}

/* Expect failure with err containing `want`. */
static void handle_fails(const char *body, size_t len, const char *want)
{
    char *resp = (char *)"sentinel", err[256];
    size_t resp_len = 7;
    int rc = gmw_review_handle(&cfg, body, len, &resp, &resp_len, &outcome, err, sizeof err);
    assert_int_equal(rc, -EINVAL);
    assert_null(resp);
    if (strstr(err, want) == NULL)
        fail_msg("err \"%s\" lacks \"%s\"", err, want);
}

static int setup(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    return 0;
}

#define POD_WITH_LIMIT                                                                             \
    "{'metadata':{'name':'p','namespace':'ns1'},'spec':{'containers':[{'name':'app','env':[],"     \
    "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}"
#define POD_RESOURCE "'resource':{'group':'','version':'v1','resource':'pods'}"

static const json_t *response_of(const json_t *out)
{
    return json_object_get(out, "response");
}

/* Decode the base64 patch of a response into JSON (new ref). */
static json_t *decode_patch(const json_t *resp)
{
    const char *b64 = json_string_value(json_object_get(resp, "patch"));
    assert_non_null(b64);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(b64);
    assert_int_equal(n % 4, 0);
    char *bin = calloc(1, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char *p = strchr(alphabet, b64[i + k]);
            if (b64[i + k] == '=') {
                pad++;
                v <<= 6;
                continue;
            }
            assert_non_null(p);
            v = v << 6 | (unsigned)(p - alphabet);
        }
        bin[o++] = (char)(v >> 16);
        if (pad < 2)
            bin[o++] = (char)(v >> 8 & 255);
        if (pad < 1)
            bin[o++] = (char)(v & 255);
    }
    json_t *patch = json_loadb(bin, o, 0, NULL);
    assert_non_null(patch);
    assert_true(json_is_array(patch));
    free(bin);
    return patch;
}

static void test_v1_create_patched(void **state)
{
    (void)state;
    json_t *out = handle("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                         "'request':{'uid':'abc-123','operation':'CREATE','namespace':'ns1',"
                         "'kind':{'group':'','version':'v1','kind':'Pod'}," POD_RESOURCE ","
                         "'object':" POD_WITH_LIMIT "}}");
    assert_string_equal(json_string_value(json_object_get(out, "apiVersion")),
                        "admission.k8s.io/v1");
    assert_string_equal(json_string_value(json_object_get(out, "kind")), "AdmissionReview");
    const json_t *resp = response_of(out);
    assert_string_equal(json_string_value(json_object_get(resp, "uid")), "abc-123");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_string_equal(json_string_value(json_object_get(resp, "patchType")), "JSONPatch");
    json_t *patch = decode_patch(resp);
    assert_int_equal(json_array_size(patch), 3); /* GOMEMLIMIT, GOGC (one add), status */
    json_decref(patch);
    assert_true(json_array_size(json_object_get(resp, "warnings")) >= 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(resp, "auditAnnotations"), "injected")),
        "app=460MiB");
    assert_null(json_object_get(resp, "status"));
    assert_int_equal(outcome.decision, GMW_DECISION_PATCHED);
    assert_string_equal(outcome.uid, "abc-123");
    assert_string_equal(outcome.operation, "CREATE");
    assert_string_equal(outcome.ns, "ns1");
    assert_string_equal(outcome.name, "p");
    assert_string_equal(outcome.api_version, "admission.k8s.io/v1");
    assert_int_equal(outcome.container_count, 1);
    assert_string_equal(outcome.containers[0].action, "injected");
    json_decref(out);
}

static void test_v1beta1_answered_in_v1beta1(void **state)
{
    (void)state;
    json_t *out = handle("{'apiVersion':'admission.k8s.io/v1beta1','kind':'AdmissionReview',"
                         "'request':{'uid':'u','operation':'CREATE'," POD_RESOURCE ","
                         "'object':" POD_WITH_LIMIT "}}");
    assert_string_equal(json_string_value(json_object_get(out, "apiVersion")),
                        "admission.k8s.io/v1beta1");
    assert_non_null(json_object_get(response_of(out), "patch"));
    json_decref(out);
}

static void test_missing_api_version_is_v1(void **state)
{
    (void)state;
    json_t *out = handle("{'request':{'uid':'u','operation':'DELETE'}}");
    assert_string_equal(json_string_value(json_object_get(out, "apiVersion")),
                        "admission.k8s.io/v1");
    assert_string_equal(json_string_value(json_object_get(out, "kind")), "AdmissionReview");
    json_decref(out);
}

static void test_uid_copied_exactly(void **state)
{
    (void)state;
    static const char *const uids[] = {"",
                                       "UPPER-lower",
                                       "with \\\"quotes\\\" and \\\\",
                                       "\\u00e9\\u4e2d\\ud83d\\ude00",
                                       "a/b?c=d&e<f>",
                                       "0df28fbd-5f5d-11e8-bc74-36e6bb280816"};
    for (size_t i = 0; i < sizeof uids / sizeof uids[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                 "\"request\":{\"uid\":\"%s\",\"operation\":\"UPDATE\"}}",
                 uids[i]);
        json_t *in = json_loads(body, 0, NULL);
        assert_non_null(in);
        json_t *out = handle_raw(body, strlen(body));
        assert_true(json_equal(json_object_get(json_object_get(in, "request"), "uid"),
                               json_object_get(response_of(out), "uid")));
        json_decref(in);
        json_decref(out);
    }
}

/* Requests that must be allowed untouched, decision "ignored". */
static void check_ignored(const char *request_members)
{
    char literal[2048];
    snprintf(literal, sizeof literal,
             "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'x',%s,"
             "'object':" POD_WITH_LIMIT "}}",
             request_members);
    json_t *out = handle(literal);
    const json_t *resp = response_of(out);
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_null(json_object_get(resp, "patch"));
    assert_null(json_object_get(resp, "patchType"));
    assert_null(json_object_get(resp, "warnings"));
    assert_int_equal(outcome.decision, GMW_DECISION_IGNORED);
    assert_int_equal(outcome.container_count, 0);
    json_decref(out);
}

static void test_non_pod_create_ignored(void **state)
{
    (void)state;
    check_ignored("'operation':'UPDATE'," POD_RESOURCE);
    check_ignored("'operation':'DELETE'," POD_RESOURCE);
    check_ignored("'operation':'CONNECT'," POD_RESOURCE);
    check_ignored("'operation':'CREATE'," POD_RESOURCE ",'subResource':'status'");
    check_ignored("'operation':'CREATE'," POD_RESOURCE ",'subResource':'ephemeralcontainers'");
    check_ignored("'operation':'CREATE','resource':{'group':'apps','version':'v1',"
                  "'resource':'deployments'}");
    check_ignored("'operation':'CREATE','resource':{'group':'','version':'v1',"
                  "'resource':'secrets'}");
    check_ignored("'operation':'CREATE','resource':{'group':'example.com','version':'v1',"
                  "'resource':'pods'}");
    check_ignored("'operation':'CREATE','kind':{'group':'','version':'v1','kind':'Secret'}");
    check_ignored("'operation':'create'," POD_RESOURCE);
    check_ignored("'operation':'CREATE'");
    check_ignored("'operation':7," POD_RESOURCE);
}

static void test_pod_create_variants_reach_engine(void **state)
{
    (void)state;
    /* subResource "" and null, kind-only (no resource), dryRun anywhere */
    static const char *const variants[] = {
        "'operation':'CREATE'," POD_RESOURCE ",'subResource':''",
        "'operation':'CREATE'," POD_RESOURCE ",'subResource':null",
        "'operation':'CREATE','kind':{'group':'','version':'v1','kind':'Pod'}",
        "'operation':'CREATE'," POD_RESOURCE ",'dryRun':true,'options':{'dryRun':['All']}",
        "'operation':'CREATE','resource':{'resource':'pods'}",
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char literal[2048];
        snprintf(literal, sizeof literal,
                 "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                 "'request':{'uid':'x',%s,'object':" POD_WITH_LIMIT "}}",
                 variants[i]);
        json_t *out = handle(literal);
        if (json_object_get(response_of(out), "patch") == NULL)
            fail_msg("variant %zu not patched", i);
        json_decref(out);
    }
}

static void test_dry_run_identical(void **state)
{
    (void)state;
    char *a = NULL, *b = NULL, err[128];
    size_t la, lb;
    char *wet = dq("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                   "'request':{'uid':'x','operation':'CREATE'," POD_RESOURCE ",'dryRun':false,"
                   "'object':" POD_WITH_LIMIT "}}");
    char *dry = dq("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','dryRun':true,"
                   "'request':{'uid':'x','operation':'CREATE'," POD_RESOURCE ",'dryRun':true,"
                   "'options':{'dryRun':['All']},'object':" POD_WITH_LIMIT "}}");
    assert_int_equal(gmw_review_handle(&cfg, wet, strlen(wet), &a, &la, &outcome, err, sizeof err),
                     0);
    assert_int_equal(gmw_review_handle(&cfg, dry, strlen(dry), &b, &lb, &outcome, err, sizeof err),
                     0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(wet);
    free(dry);
}

static void test_tolerates_missing_fields(void **state)
{
    (void)state;
    /* no request.name, no namespace, oldObject {}, object without kind, generateName */
    json_t *out = handle("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                         "'request':{'uid':'g','operation':'CREATE'," POD_RESOURCE ","
                         "'oldObject':{},'object':{'metadata':{'generateName':'web-'},"
                         "'spec':{'containers':[{'name':'app','env':[],'resources':{'limits':"
                         "{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]}}}}");
    assert_non_null(json_object_get(response_of(out), "patch"));
    assert_string_equal(outcome.name, "web-");
    assert_string_equal(outcome.ns, "");
    json_decref(out);
    /* request.name wins, object namespace used when request has none */
    out =
        handle("{'request':{'uid':'g','name':'n1','operation':'CREATE'," POD_RESOURCE ","
               "'object':{'metadata':{'name':'n2','namespace':'kube-system'},"
               "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'1Gi'}}}]}}}}");
    assert_string_equal(outcome.name, "n1");
    assert_string_equal(outcome.ns, "kube-system");
    assert_null(json_object_get(response_of(out), "patch")); /* excluded namespace */
    assert_int_equal(outcome.decision, GMW_DECISION_ALLOWED);
    json_decref(out);
    /* object missing or not an object: ignored */
    out = handle("{'request':{'uid':'g','operation':'CREATE'," POD_RESOURCE ",'object':null}}");
    assert_int_equal(outcome.decision, GMW_DECISION_IGNORED);
    json_decref(out);
}

static void test_no_change_no_patch_keys(void **state)
{
    (void)state;
    json_t *out = handle("{'request':{'uid':'g','operation':'CREATE'," POD_RESOURCE ","
                         "'object':{'spec':{'containers':[]}}}}");
    const json_t *resp = response_of(out);
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_null(json_object_get(resp, "patch"));
    assert_null(json_object_get(resp, "patchType"));
    assert_null(json_object_get(resp, "warnings"));
    assert_null(json_object_get(resp, "auditAnnotations"));
    assert_int_equal(outcome.decision, GMW_DECISION_ALLOWED);
    json_decref(out);
}

static void test_denied_response(void **state)
{
    (void)state;
    json_t *out = handle("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                         "'request':{'uid':'d','operation':'CREATE'," POD_RESOURCE ","
                         "'object':{'metadata':{'annotations':{'gomemlimit.io/ratio':'1.5'}},"
                         "'spec':{'containers':[{'name':'app','resources':{'limits':"
                         "{'memory':'1Gi'}}}]}}}}");
    const json_t *resp = response_of(out);
    assert_true(json_is_false(json_object_get(resp, "allowed")));
    assert_string_equal(json_string_value(json_object_get(resp, "uid")), "d");
    const json_t *status = json_object_get(resp, "status");
    assert_int_equal(json_integer_value(json_object_get(status, "code")), 400);
    assert_string_equal(json_string_value(json_object_get(status, "status")), "Failure");
    const char *msg = json_string_value(json_object_get(status, "message"));
    assert_non_null(strstr(msg, "gomemlimit.io/ratio"));
    assert_non_null(strstr(msg, "\"1.5\""));
    assert_non_null(strstr(msg, "e.g. \"0.9\""));
    assert_null(json_object_get(resp, "patch"));
    assert_null(json_object_get(resp, "patchType"));
    assert_int_equal(outcome.decision, GMW_DECISION_DENIED);
    json_decref(out);
}

static void test_duplicate_keys_last_wins(void **state)
{
    (void)state;
    json_t *out = handle("{'request':{'uid':'first','operation':'UPDATE','uid':'second'}}");
    assert_string_equal(json_string_value(json_object_get(response_of(out), "uid")), "second");
    json_decref(out);
}

static void test_bad_input(void **state)
{
    (void)state;
    handle_fails("", 0, "invalid JSON");
    handle_fails("not json", 8, "invalid JSON");
    handle_fails("{\"a\":", 5, "invalid JSON");
    handle_fails("{} trailing", 11, "invalid JSON");
    handle_fails("[]", 2, "not a JSON object");
    handle_fails("{}", 2, "no request object");
    handle_fails("{\"request\":null}", 16, "no request object");
    handle_fails("{\"request\":[]}", 14, "no request object");
    handle_fails("{\"request\":{}}", 14, "request.uid is missing");
    handle_fails("{\"request\":{\"uid\":5}}", 21, "request.uid is missing or not a string");
    handle_fails("{\"request\":{\"uid\":null}}", 24, "request.uid");
    const char *big = "{\"request\":{\"uid\":\"u\",\"n\":99999999999999999999999}}";
    handle_fails(big, strlen(big), "too big integer");
    const char *api = "{\"apiVersion\":\"admission.k8s.io/v2\",\"request\":{\"uid\":\"u\"}}";
    handle_fails(api, strlen(api), "unsupported apiVersion \"admission.k8s.io/v2\"");
    const char *api2 = "{\"apiVersion\":1,\"request\":{\"uid\":\"u\"}}";
    handle_fails(api2, strlen(api2), "unsupported apiVersion");
    const char *kind = "{\"kind\":\"Pod\",\"request\":{\"uid\":\"u\"}}";
    handle_fails(kind, strlen(kind), "kind is \"Pod\"");
    const char *nul = "{\"request\":{\"uid\":\"a\\u0000b\"}}";
    handle_fails(nul, strlen(nul), "invalid JSON");
    /* embedded NUL byte in the body and invalid UTF-8 */
    handle_fails("{\"request\":\0}", 13, "invalid JSON");
    handle_fails("{\"request\":{\"uid\":\"\xff\"}}", 22, "invalid JSON");
    /* deep nesting: an error, not a crash */
    size_t depth = 5000;
    char *deep = malloc(depth * 2 + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    handle_fails(deep, depth * 2, "invalid JSON");
    free(deep);
}

/* The error text is logged by the server: it must never quote the body, where an env value
 * or a Secret can be (jansson's "near '...'" token). */
static void test_invalid_json_error_does_not_quote_the_body(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"request\":{\"object\":{\"env\":[{\"value\":\"s3cr3t-token\x01\"}]}}}",
        "{\"request\":{\"object\":{\"env\":[{\"value\":\"s3cr3t-token\\q\"}]}}}",
        "{\"request\":{\"uid\":s3cr3t-token}}",
        "{\"request\":{\"object\":{\"env\":[{\"value\":\"s3cr3t-token",
        "{\"s3cr3t-token\" 1}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *resp = NULL, err[256];
        size_t resp_len = 0;
        int rc = gmw_review_handle(&cfg, bodies[i], strlen(bodies[i]), &resp, &resp_len, &outcome,
                                   err, sizeof err);
        assert_int_equal(rc, -EINVAL);
        if (strstr(err, "invalid JSON: ") != err || strstr(err, "(line 1, column ") == NULL)
            fail_msg("unexpected error text: %s", err);
        if (strstr(err, "s3cr3t") != NULL || strstr(err, "near") != NULL)
            fail_msg("the error quotes the body: %s", err);
    }
}

static void test_not_nul_terminated_body(void **state)
{
    (void)state;
    char *body = dq("{'request':{'uid':'u','operation':'UPDATE'}}XXXX");
    json_t *out = handle_raw(body, strlen(body) - 4);
    assert_string_equal(json_string_value(json_object_get(response_of(out), "uid")), "u");
    json_decref(out);
    free(body);
}

static void test_out_of_memory_never_crashes(void **state)
{
    (void)state;
    char *body = dq("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                    "'request':{'uid':'m','operation':'CREATE'," POD_RESOURCE ","
                    "'object':{'metadata':{'annotations':{'gomemlimit.io/ratio.app':'0.5',"
                    "'gomemlimit.io/bogus':'1'}},'spec':{'containers':[{'name':'app',"
                    "'envFrom':[{}],'resources':{'limits':{'memory':'512Mi'}}},{'name':'x'}]}}}}");
    int succeeded = 0, failed = 0;
    for (long budget = 0; budget < 5000 && !succeeded; budget++) {
        char *resp = NULL, err[128];
        size_t len = 0;
        gmw_test_fail_allocs_after(budget);
        int rc =
            gmw_review_handle(&cfg, body, strlen(body), &resp, &len, &outcome, err, sizeof err);
        gmw_test_fail_allocs_after(-1);
        if (rc == 0) {
            /* either the full answer or, when the engine ran out, an allowed no-op */
            json_t *out = json_loads(resp, 0, NULL);
            assert_non_null(out);
            assert_string_equal(json_string_value(json_object_get(response_of(out), "uid")), "m");
            succeeded = json_object_get(response_of(out), "patch") != NULL;
            json_decref(out);
            free(resp);
        } else {
            /* out of memory is told apart from bad input: the server answers 500 */
            assert_null(resp);
            if (rc == -EINVAL && strncmp(err, "invalid JSON: ", 14) == 0)
                continue; /* jansson's parser reports some failed allocations as syntax */
            if (rc != -ENOMEM)
                fail_msg("budget %ld: rc %d: %s", budget, rc, err);
            assert_string_equal(err, "out of memory");
            failed++;
        }
    }
    assert_true(succeeded);
    assert_true(failed > 0);
    free(body);
}

/* One name per decision, as logs and the metrics' result label spell them. */
static void test_decision_names(void **state)
{
    (void)state;
    assert_string_equal(gmw_review_decision_name(GMW_DECISION_PATCHED), "patched");
    assert_string_equal(gmw_review_decision_name(GMW_DECISION_ALLOWED), "allowed");
    assert_string_equal(gmw_review_decision_name(GMW_DECISION_DENIED), "denied");
    assert_string_equal(gmw_review_decision_name(GMW_DECISION_IGNORED), "ignored");
    assert_string_equal(gmw_review_decision_name((gmw_review_decision)42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_names),
        cmocka_unit_test(test_v1_create_patched),
        cmocka_unit_test(test_v1beta1_answered_in_v1beta1),
        cmocka_unit_test(test_missing_api_version_is_v1),
        cmocka_unit_test(test_uid_copied_exactly),
        cmocka_unit_test(test_non_pod_create_ignored),
        cmocka_unit_test(test_pod_create_variants_reach_engine),
        cmocka_unit_test(test_dry_run_identical),
        cmocka_unit_test(test_tolerates_missing_fields),
        cmocka_unit_test(test_no_change_no_patch_keys),
        cmocka_unit_test(test_denied_response),
        cmocka_unit_test(test_duplicate_keys_last_wins),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_invalid_json_error_does_not_quote_the_body),
        cmocka_unit_test(test_not_nul_terminated_body),
        cmocka_unit_test(test_out_of_memory_never_crashes),
    };
    return cmocka_run_group_tests_name("review", tests, setup, NULL);
}
