/*
 * test_workload.c - Pods and workload pod templates through the engine
 * (webhook/engine/workload.h). Expectations come from the spec (issue 2): a 512Mi limit with
 * the default ratio 0.9 gives GOMEMLIMIT=460MiB, GOGC=100; with no request the apiserver makes
 * the request the limit (512Mi, issue 9), which is above GOMEMLIMIT: no request is added.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "workload.h"

#include "failing_alloc.h"
#include "test_json.h"

#define CONTAINER_512                                                                              \
    "{\"name\":\"app\",\"image\":\"example/"                                                       \
    "app:1\",\"resources\":{\"limits\":{\"memory\":\"512Mi\"}}}"
#define POD_SPEC "{\"containers\":[" CONTAINER_512 "]}"

/* The value of env `name` in container 0 of `spec`, or NULL. */
static const char *env_value(const json_t *spec, const char *name)
{
    json_t *env = json_object_get(json_array_get(json_object_get(spec, "containers"), 0), "env");
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return json_string_value(json_object_get(e, "value"));
    }
    return NULL;
}

static const char *request_memory(const json_t *spec)
{
    json_t *c = json_array_get(json_object_get(spec, "containers"), 0);
    return json_string_value(
        json_object_get(json_object_get(json_object_get(c, "resources"), "requests"), "memory"));
}

/* spec got the injection for a 512Mi limit-only container, and no request (the apiserver
 * defaults it to the limit when it creates the Pod). */
static void assert_injected(const json_t *spec)
{
    const char *gml = env_value(spec, "GOMEMLIMIT");
    const char *gogc = env_value(spec, "GOGC");
    const char *req = request_memory(spec);
    if (gml == NULL || strcmp(gml, "460MiB") != 0) {
        char *dump = json_dumps(spec, JSON_COMPACT);
        fail_msg("GOMEMLIMIT is %s in %s", gml ? gml : "(unset)", dump);
    }
    assert_non_null(gogc);
    assert_string_equal(gogc, "100");
    assert_null(req);
}

/* A 512Mi limit with a 256Mi request is raised to GOMEMLIMIT; a cpu-only limit defaults
 * only the cpu request (per resource), so the memory request is still raised. */
static void test_request_defaulting_per_resource(void **state)
{
    (void)state;
    gmw_config cfg;
    gmw_config_defaults(&cfg);
    static const struct {
        const char *resources;
        const char *want; /* requests.memory in the output, NULL: none */
    } cases[] = {
        {"{\"limits\":{\"memory\":\"512Mi\"}}", NULL},
        {"{\"limits\":{\"memory\":\"512Mi\"},\"requests\":{\"memory\":\"256Mi\"}}", "460Mi"},
        {"{\"limits\":{\"memory\":\"512Mi\"},\"requests\":{\"cpu\":\"1\"}}", NULL},
        {"{\"limits\":{\"memory\":\"512Mi\",\"cpu\":\"1\"},\"requests\":{\"memory\":\"1Mi\"}}",
         "460Mi"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                 "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\",\"resources\":%s}]}}",
                 cases[i].resources);
        json_t *obj = gmw_test_json(text);
        gmw_workload_result res;
        assert_int_equal(gmw_workload_mutate(&cfg, obj, NULL, &res), 0);
        assert_true(res.changed);
        const json_t *spec = json_object_get(res.object, "spec");
        assert_string_equal(env_value(spec, "GOMEMLIMIT"), "460MiB");
        const char *req = request_memory(spec);
        if (cases[i].want == NULL)
            assert_null(req);
        else
            assert_string_equal(req, cases[i].want);
        /* the object as written: no defaulted cpu request appears in the output */
        json_t *requests = json_object_get(
            json_object_get(json_array_get(json_object_get(spec, "containers"), 0), "resources"),
            "requests");
        assert_true(requests == NULL || json_object_get(requests, "cpu") == NULL ||
                    strstr(cases[i].resources, "\"requests\":{\"cpu\"") != NULL);
        gmw_workload_result_free(&res);
        json_decref(obj);
    }
}

/* gmw_workload_mutate, then swap the result in for *obj as the CLI does. */
static int mutate(const gmw_config *cfg, json_t **obj, const char *ns, gmw_workload_result *res)
{
    int rc = gmw_workload_mutate(cfg, *obj, ns, res);
    if (rc == 0 && res->changed) {
        assert_non_null(res->object);
        json_decref(*obj);
        *obj = json_incref(res->object);
    } else {
        assert_null(res->object);
    }
    return rc;
}

static gmw_config defaults(void)
{
    gmw_config cfg;
    gmw_config_defaults(&cfg);
    return cfg;
}

static void test_classify(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        gmw_object_class want;
        const char *where;
    } cases[] = {
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", GMW_OBJECT_POD, NULL},
        {"{\"kind\":\"Pod\"}", GMW_OBJECT_POD, NULL},
        {"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Pod\"}", GMW_OBJECT_OTHER, NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":{}}}",
         GMW_OBJECT_WORKLOAD, "spec.template"},
        {"{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\"}", GMW_OBJECT_WORKLOAD,
         "spec.template"},
        {"{\"kind\":\"Deployment\"}", GMW_OBJECT_WORKLOAD, "spec.template"},
        {"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Deployment\"}", GMW_OBJECT_OTHER, NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\"}", GMW_OBJECT_WORKLOAD,
         "spec.template"},
        {"{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"StatefulSet\"}", GMW_OBJECT_OTHER,
         NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\"}", GMW_OBJECT_WORKLOAD,
         "spec.template"},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\"}", GMW_OBJECT_WORKLOAD,
         "spec.template"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\"}", GMW_OBJECT_WORKLOAD,
         "spec.template"},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicationController\"}", GMW_OBJECT_OTHER, NULL},
        {"{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\"}", GMW_OBJECT_WORKLOAD, "spec.template"},
        {"{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\"}", GMW_OBJECT_WORKLOAD,
         "spec.jobTemplate.spec.template"},
        {"{\"apiVersion\":\"batch/v1beta1\",\"kind\":\"CronJob\"}", GMW_OBJECT_WORKLOAD,
         "spec.jobTemplate.spec.template"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Service\"}", GMW_OBJECT_OTHER, NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":\"PodTemplate\"}", GMW_OBJECT_OTHER, NULL},
        {"{\"apiVersion\":\"v1\"}", GMW_OBJECT_OTHER, NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":7}", GMW_OBJECT_OTHER, NULL},
        {"[1]", GMW_OBJECT_OTHER, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = gmw_test_json(cases[i].json);
        json_t *tmpl = (json_t *)1;
        const char *where = "x";
        gmw_object_class got = gmw_workload_classify(obj, &tmpl, &where);
        if (got != cases[i].want)
            fail_msg("%s: class %d, want %d", cases[i].json, (int)got, (int)cases[i].want);
        if (cases[i].where == NULL)
            assert_null(where);
        else
            assert_string_equal(where, cases[i].where);
        if (got != GMW_OBJECT_WORKLOAD)
            assert_null(tmpl);
        json_decref(obj);
    }
}

static void test_classify_finds_the_template(void **state)
{
    (void)state;
    json_t *obj =
        gmw_test_json("{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"spec\":{\"schedule\":"
                      "\"* * * * *\",\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":"
                      "{\"containers\":[]}}}}}}");
    json_t *tmpl = NULL;
    assert_int_equal(gmw_workload_classify(obj, &tmpl, NULL), GMW_OBJECT_WORKLOAD);
    json_t *job_spec =
        json_object_get(json_object_get(json_object_get(obj, "spec"), "jobTemplate"), "spec");
    assert_true(tmpl == json_object_get(job_spec, "template"));
    json_decref(obj);
    obj = gmw_test_json(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":7}}");
    tmpl = (json_t *)1;
    assert_int_equal(gmw_workload_classify(obj, &tmpl, NULL), GMW_OBJECT_WORKLOAD);
    assert_null(tmpl);
    json_decref(obj);
}

static void test_pod_is_mutated_in_place(void **state)
{
    (void)state;
    gmw_config cfg = defaults();
    gmw_workload_result res;
    json_t *pod =
        gmw_test_json("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
                      "\"namespace\":\"prod\"},\"spec\":" POD_SPEC "}");
    assert_int_equal(mutate(&cfg, &pod, NULL, &res), 0);
    assert_int_equal(res.cls, GMW_OBJECT_POD);
    assert_true(res.changed);
    assert_false(res.denied);
    assert_string_equal(res.error, "");
    assert_injected(json_object_get(pod, "spec"));
    /* untouched parts and key order survive */
    assert_string_equal(json_string_value(json_object_get(pod, "kind")), "Pod");
    const char *first_key = json_object_iter_key(json_object_iter(pod));
    assert_string_equal(first_key, "apiVersion");
    assert_non_null(json_object_get(
        json_object_get(json_object_get(pod, "metadata"), "annotations"), "gomemlimit.io/status"));
    gmw_workload_result_free(&res);
    gmw_workload_result_free(&res); /* twice is safe */

    /* A second pass changes nothing (the webhook is idempotent). */
    json_t *before = json_deep_copy(pod);
    assert_int_equal(mutate(&cfg, &pod, NULL, &res), 0);
    assert_false(res.changed);
    assert_true(json_equal(before, pod));
    gmw_workload_result_free(&res);
    json_decref(before);
    json_decref(pod);
}

/* Each workload kind: the template gets the injection, the rest stays as it was. */
static void test_each_workload_kind(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
        "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{"
        "\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":" POD_SPEC "}}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"s\"},"
        "\"spec\":{\"serviceName\":\"s\",\"template\":{\"metadata\":{},\"spec\":" POD_SPEC "}}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\"},"
        "\"spec\":{\"template\":{\"spec\":" POD_SPEC "}}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"rs\"},"
        "\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"a\":\"b\"}},\"spec\":" POD_SPEC
        "}}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"name\":\"rc\"},"
        "\"spec\":{\"template\":{\"spec\":" POD_SPEC "}}}",
        "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},"
        "\"spec\":{\"backoffLimit\":2,\"template\":{\"spec\":" POD_SPEC "}}}",
        "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"cj\"},"
        "\"spec\":{\"schedule\":\"@daily\",\"jobTemplate\":{\"spec\":{\"template\":{"
        "\"spec\":" POD_SPEC "}}}}}",
    };
    gmw_config cfg = defaults();
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        gmw_workload_result res;
        json_t *obj = gmw_test_json(docs[i]);
        json_t *orig = json_deep_copy(obj);
        json_t *tmpl = NULL;
        assert_int_equal(gmw_workload_classify(obj, &tmpl, NULL), GMW_OBJECT_WORKLOAD);
        assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
        if (!res.changed)
            fail_msg("%s: not changed", docs[i]);
        tmpl = NULL;
        gmw_workload_classify(obj, &tmpl, NULL);
        assert_injected(json_object_get(tmpl, "spec"));
        /* metadata comes first in the template, also when the engine created it */
        assert_string_equal(json_object_iter_key(json_object_iter(tmpl)), "metadata");
        assert_non_null(
            json_object_get(json_object_get(json_object_get(tmpl, "metadata"), "annotations"),
                            "gomemlimit.io/status"));
        /* Everything outside the template is as before. */
        json_t *orig_tmpl = NULL;
        gmw_workload_classify(orig, &orig_tmpl, NULL);
        json_object_clear(orig_tmpl);
        json_object_clear(tmpl);
        assert_true(json_equal(orig, obj));
        gmw_workload_result_free(&res);
        json_decref(orig);
        json_decref(obj);
    }
}

static void test_denied_leaves_the_object_alone(void **state)
{
    (void)state;
    gmw_config cfg = defaults();
    gmw_workload_result res;
    json_t *obj =
        gmw_test_json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
                      "\"d\"},\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                      "\"gomemlimit.io/ratio\":\"1.5\"}},\"spec\":" POD_SPEC "}}}");
    json_t *orig = json_deep_copy(obj);
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_true(res.denied);
    assert_false(res.changed);
    assert_int_equal(res.code, 400);
    assert_non_null(strstr(res.message, "gomemlimit.io/ratio"));
    assert_non_null(strstr(res.message, "1.5"));
    assert_true(json_equal(orig, obj));
    gmw_workload_result_free(&res);

    /* invalidAnnotations: warn turns the denial into a warning. */
    cfg.invalid_annotations = GMW_INVALID_WARN;
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_false(res.denied);
    assert_true(json_array_size(res.warnings) >= 1);
    gmw_workload_result_free(&res);
    json_decref(orig);
    json_decref(obj);
}

static void test_namespace_choice(void **state)
{
    (void)state;
    gmw_config cfg = defaults();
    gmw_workload_result res;
    const char *pod_in_kube_system =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
        "\"kube-system\"},\"spec\":" POD_SPEC "}";
    const char *pod_without_ns =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":" POD_SPEC
        "}";

    /* metadata.namespace excluded: no change, a warning */
    json_t *obj = gmw_test_json(pod_in_kube_system);
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_false(res.changed);
    assert_true(json_array_size(res.warnings) >= 1);
    gmw_workload_result_free(&res);
    /* --namespace wins over metadata.namespace */
    assert_int_equal(mutate(&cfg, &obj, "prod", &res), 0);
    assert_true(res.changed);
    gmw_workload_result_free(&res);
    json_decref(obj);

    /* --namespace excluded */
    obj = gmw_test_json(pod_without_ns);
    assert_int_equal(mutate(&cfg, &obj, "kube-public", &res), 0);
    assert_false(res.changed);
    gmw_workload_result_free(&res);
    /* no namespace anywhere: "default", which a config may exclude */
    snprintf(cfg.exclude_namespaces[cfg.exclude_count++], sizeof(cfg.exclude_namespaces[0]),
             "default");
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_false(res.changed);
    gmw_workload_result_free(&res);
    assert_int_equal(mutate(&cfg, &obj, "", &res), 0);
    assert_false(res.changed);
    gmw_workload_result_free(&res);
    json_decref(obj);
}

static void test_passthrough_and_missing_template(void **state)
{
    (void)state;
    gmw_config cfg = defaults();
    gmw_workload_result res;
    json_t *obj =
        gmw_test_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"k\":\"v\"}}");
    json_t *orig = json_deep_copy(obj);
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_int_equal(res.cls, GMW_OBJECT_OTHER);
    assert_false(res.changed);
    assert_int_equal(json_array_size(res.warnings), 0);
    assert_true(json_equal(orig, obj));
    gmw_workload_result_free(&res);
    json_decref(orig);
    json_decref(obj);

    obj = gmw_test_json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{}}");
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_false(res.changed);
    assert_int_equal(json_array_size(res.warnings), 1);
    assert_non_null(strstr(json_string_value(json_array_get(res.warnings, 0)), "spec.template"));
    gmw_workload_result_free(&res);
    json_decref(obj);
}

static void test_pod_without_limits_is_unchanged_with_warning(void **state)
{
    (void)state;
    gmw_config cfg = defaults();
    gmw_workload_result res;
    json_t *obj =
        gmw_test_json("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
    json_t *orig = json_deep_copy(obj);
    assert_int_equal(mutate(&cfg, &obj, NULL, &res), 0);
    assert_true(json_array_size(res.warnings) >= 1);
    /* only the status annotation may have been added */
    json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
    if (ann != NULL)
        json_object_del(ann, "gomemlimit.io/status");
    if (ann != NULL && json_object_size(ann) == 0)
        json_object_del(json_object_get(obj, "metadata"), "annotations");
    assert_true(json_equal(orig, obj));
    gmw_workload_result_free(&res);
    json_decref(orig);
    json_decref(obj);
}

/*
 * Out of memory at every jansson allocation in turn (ours and the engine's): either
 * the full, correct result or an error with the object unchanged; never a crash, a
 * leak (ASan) or a half-mutated object.
 */
static void test_out_of_memory_sweep(void **state)
{
    (void)state;
    gmw_config cfg = defaults();
    gmw_workload_result res;
    static const char *const inputs[] = {
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
        "\"spec\":{\"template\":{\"spec\":" POD_SPEC "}}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
        "\"annotations\":{\"x\":\"y\"}},\"spec\":" POD_SPEC "}",
    };
    for (size_t n = 0; n < sizeof(inputs) / sizeof(inputs[0]); n++) {
        json_t *want = gmw_test_json(inputs[n]);
        assert_int_equal(mutate(&cfg, &want, NULL, &res), 0);
        assert_true(res.changed);
        gmw_workload_result_free(&res);
        bool succeeded = false;
        for (long budget = 0; budget < 5000 && !succeeded; budget++) {
            json_t *orig = gmw_test_json(inputs[n]);
            json_t *obj = gmw_test_json(inputs[n]);
            gmw_test_fail_allocs_after(budget);
            int rc = gmw_workload_mutate(&cfg, obj, NULL, &res);
            gmw_test_fail_allocs_after(-1);
            assert_true(json_equal(obj, orig)); /* never touched */
            if (rc == 0) {
                if (!res.changed || !json_equal(res.object, want)) {
                    char *got = json_dumps(res.object, JSON_COMPACT);
                    fail_msg("budget %ld: rc 0 but a different result: %s", budget, got);
                }
                succeeded = true;
            } else {
                assert_string_not_equal(res.error, "");
                assert_null(res.object);
            }
            gmw_workload_result_free(&res);
            json_decref(obj);
            json_decref(orig);
        }
        assert_true(succeeded);
        json_decref(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_classify_finds_the_template),
        cmocka_unit_test(test_pod_is_mutated_in_place),
        cmocka_unit_test(test_request_defaulting_per_resource),
        cmocka_unit_test(test_each_workload_kind),
        cmocka_unit_test(test_denied_leaves_the_object_alone),
        cmocka_unit_test(test_namespace_choice),
        cmocka_unit_test(test_passthrough_and_missing_template),
        cmocka_unit_test(test_pod_without_limits_is_unchanged_with_warning),
        cmocka_unit_test(test_out_of_memory_sweep),
    };
    return cmocka_run_group_tests_name("workload", tests, NULL, NULL);
}
