/*
 * test_shim_delivery.c - the JSON Patch operations that deliver gomemlimit-shim
 * (webhook/engine/shim_delivery.c). These tests check the ops themselves; applying them is left
 * to an independent applier (tests/integration/test_shim_delivery.py, python3-jsonpatch).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "shim_delivery.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON at %d:%d: %s", e.line, e.column, e.text);
    return v;
}

/* Assert patch[i] is {op, path} and, when value_json is given, its value equals it. */
static void assert_op(const json_t *patch, size_t i, const char *op, const char *path,
                      const char *value_json)
{
    const json_t *o = json_array_get(patch, i);
    if (!o)
        fail_msg("no op %zu in a patch of %zu", i, json_array_size(patch));
    assert_string_equal(json_string_value(json_object_get(o, "op")), op);
    assert_string_equal(json_string_value(json_object_get(o, "path")), path);
    if (value_json) {
        json_t *want = parse(value_json);
        if (!json_equal(want, json_object_get(o, "value"))) {
            char *got = json_dumps(json_object_get(o, "value"), JSON_COMPACT);
            fail_msg("op %zu value %s, want %s", i, got ? got : "(null)", value_json);
        }
        json_decref(want);
    }
}

/* Run gmw_shim_patch_container on container JSON; returns the status, *out the patch. */
static int wrap(const char *container_json, const char *path, uint32_t ratio, bool force,
                json_t **out)
{
    json_t *c = parse(container_json);
    json_t *patch = json_array();
    assert_non_null(patch);
    gmw_shim_container_status st = GMW_SHIM_WRAPPED;
    int rc = gmw_shim_patch_container(patch, c, path, ratio, force, &st);
    json_decref(c);
    *out = patch;
    return rc != 0 ? rc : (int)st;
}

#define MOUNT "{\"name\":\"gomemlimit-shim\",\"mountPath\":\"/gomemlimit\",\"readOnly\":true}"
#define RESIZE "{\"resourceName\":\"memory\",\"restartPolicy\":\"RestartContainer\"}"

static void test_wrap_bare_container(void **state)
{
    (void)state;
    json_t *p;
    int st =
        wrap("{\"name\":\"app\",\"command\":[\"/app\",\"serve\"],\"args\":[\"--port\",\"80\"]}",
             "/spec/containers/0", 9000, false, &p);
    assert_int_equal(st, GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 3);
    assert_op(p, 0, "add", "/spec/containers/0/volumeMounts", "[" MOUNT "]");
    assert_op(p, 1, "replace", "/spec/containers/0/command",
              "[\"/gomemlimit/gomemlimit-shim\",\"--ratio\",\"0.9\",\"--\",\"/app\",\"serve\"]");
    assert_op(p, 2, "add", "/spec/containers/0/resizePolicy", "[" RESIZE "]");
    char *dump = json_dumps(p, JSON_COMPACT);
    assert_null(strstr(dump, "/args")); /* args are kept as they are */
    free(dump);
    json_decref(p);
}

static void test_wrap_existing_arrays_append(void **state)
{
    (void)state;
    json_t *p;
    int st =
        wrap("{\"name\":\"app\",\"command\":[\"app\"],"
             "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}],"
             "\"resizePolicy\":[{\"resourceName\":\"cpu\",\"restartPolicy\":\"NotRequired\"}]}",
             "/spec/containers/2", 5000, true, &p);
    assert_int_equal(st, GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 3);
    assert_op(p, 0, "add", "/spec/containers/2/volumeMounts/-", MOUNT);
    assert_op(p, 1, "replace", "/spec/containers/2/command",
              "[\"/gomemlimit/gomemlimit-shim\",\"--ratio\",\"0.5\",\"--force\",\"--\",\"app\"]");
    assert_op(p, 2, "add", "/spec/containers/2/resizePolicy/-", RESIZE);
    json_decref(p);
}

/*
 * A memory entry NotRequired (what apiserver defaulting adds with InPlacePodVerticalScaling)
 * becomes RestartContainer by a replace at its index; RestartContainer is left alone.
 */
static void test_wrap_memory_resize_policy_not_required_replaced(void **state)
{
    (void)state;
    json_t *p;
    int st = wrap("{\"command\":[\"app\"],"
                  "\"resizePolicy\":[{\"resourceName\":\"cpu\",\"restartPolicy\":\"NotRequired\"},"
                  "{\"resourceName\":\"memory\",\"restartPolicy\":\"NotRequired\"}]}",
                  "/spec/containers/1", 9000, false, &p);
    assert_int_equal(st, GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 3);
    assert_op(p, 0, "add", "/spec/containers/1/volumeMounts", NULL);
    assert_op(p, 1, "replace", "/spec/containers/1/command", NULL);
    assert_op(p, 2, "replace", "/spec/containers/1/resizePolicy/1/restartPolicy",
              "\"RestartContainer\"");
    json_decref(p);
    /* RestartContainer already: kept, no op */
    st = wrap("{\"command\":[\"app\"],\"resizePolicy\":[" RESIZE "]}", "/spec/containers/0", 9000,
              false, &p);
    assert_int_equal(st, GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 2);
    assert_op(p, 1, "replace", "/spec/containers/0/command", NULL);
    json_decref(p);
}

/* Plain init containers get no resizePolicy op even with a NotRequired entry. */
static void test_plain_init_container_resize_policy_untouched(void **state)
{
    (void)state;
    json_t *p;
    int st =
        wrap("{\"command\":[\"app\"],"
             "\"resizePolicy\":[{\"resourceName\":\"memory\",\"restartPolicy\":\"NotRequired\"}]}",
             "/spec/initContainers/0", 9000, false, &p);
    assert_int_equal(st, GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 2);
    json_decref(p);
}

static void test_wrap_ratio_formats(void **state)
{
    (void)state;
    static const struct {
        uint32_t e4;
        const char *text;
    } cases[] = {{10000, "1"},  {9000, "0.9"},    {7550, "0.755"},
                 {5, "0.0005"}, {1234, "0.1234"}, {100, "0.01"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *p;
        assert_int_equal(
            wrap("{\"command\":[\"x\"]}", "/spec/containers/0", cases[i].e4, false, &p),
            GMW_SHIM_WRAPPED);
        const json_t *cmd = json_object_get(json_array_get(p, 1), "value");
        assert_string_equal(json_string_value(json_array_get(cmd, 2)), cases[i].text);
        json_decref(p);
    }
}

/* Strings with spaces, empty strings and $(VAR) references are copied verbatim. */
static void test_wrap_command_copied_verbatim(void **state)
{
    (void)state;
    json_t *p;
    assert_int_equal(
        wrap("{\"command\":[\"/bin/sh\",\"-c\",\"exec app $(POD_NAME)\",\"\",\"a b\"]}",
             "/spec/containers/0", 9000, false, &p),
        GMW_SHIM_WRAPPED);
    assert_op(p, 1, "replace", "/spec/containers/0/command",
              "[\"/gomemlimit/gomemlimit-shim\",\"--ratio\",\"0.9\",\"--\",\"/bin/sh\",\"-c\","
              "\"exec app $(POD_NAME)\",\"\",\"a b\"]");
    json_decref(p);
}

static void test_already_wrapped(void **state)
{
    (void)state;
    json_t *p;
    int st =
        wrap("{\"command\":[\"/gomemlimit/gomemlimit-shim\",\"--ratio\",\"0.9\",\"--\",\"app\"],"
             "\"volumeMounts\":[" MOUNT "],\"resizePolicy\":[" RESIZE "]}",
             "/spec/containers/0", 9000, false, &p);
    assert_int_equal(st, GMW_SHIM_ALREADY);
    assert_int_equal(json_array_size(p), 0);
    json_decref(p);
}

static void test_no_command(void **state)
{
    (void)state;
    const char *cases[] = {
        "{\"name\":\"app\",\"args\":[\"serve\"]}",
        "{\"command\":[]}",
        "{\"command\":\"app\"}",
        "{\"command\":null}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *p;
        assert_int_equal(wrap(cases[i], "/spec/containers/0", 9000, false, &p),
                         GMW_SHIM_NO_COMMAND);
        assert_int_equal(json_array_size(p), 0);
        json_decref(p);
    }
}

static void test_conflicts(void **state)
{
    (void)state;
    const char *cases[] = {
        "{\"command\":[\"a\"],\"volumeMounts\":[{\"name\":\"mine\",\"mountPath\":\"/"
        "gomemlimit\"}]}",
        "{\"command\":[\"a\"],\"volumeMounts\":[{\"name\":\"mine\",\"mountPath\":\"/gomemlimit/"
        "\"}]}",
        "{\"command\":[\"a\"],\"volumeMounts\":\"oops\"}",
        "{\"command\":[\"a\"],\"resizePolicy\":{}}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *p;
        assert_int_equal(wrap(cases[i], "/spec/containers/0", 9000, false, &p), GMW_SHIM_CONFLICT);
        assert_int_equal(json_array_size(p), 0);
        json_decref(p);
    }
}

/* The shim volume already mounted at /gomemlimit (e.g. by hand): no second mount. */
static void test_existing_shim_mount_reused(void **state)
{
    (void)state;
    json_t *p;
    assert_int_equal(wrap("{\"command\":[\"a\"],\"volumeMounts\":[" MOUNT "]}",
                          "/spec/containers/0", 9000, false, &p),
                     GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 2);
    assert_op(p, 0, "replace", "/spec/containers/0/command", NULL);
    assert_op(p, 1, "add", "/spec/containers/0/resizePolicy", NULL);
    json_decref(p);
}

/* null arrays (tolerated in input) are replaced by a whole new array. */
static void test_null_arrays(void **state)
{
    (void)state;
    json_t *p;
    assert_int_equal(wrap("{\"command\":[\"a\"],\"volumeMounts\":null,\"resizePolicy\":null}",
                          "/spec/containers/0", 9000, false, &p),
                     GMW_SHIM_WRAPPED);
    assert_op(p, 0, "add", "/spec/containers/0/volumeMounts", "[" MOUNT "]");
    assert_op(p, 2, "add", "/spec/containers/0/resizePolicy", "[" RESIZE "]");
    json_decref(p);
}

/* Kubernetes forbids resizePolicy on plain init containers; sidecars may have it. */
static void test_init_containers_resize_policy(void **state)
{
    (void)state;
    json_t *p;
    assert_int_equal(wrap("{\"name\":\"migrate\",\"command\":[\"m\"]}", "/spec/initContainers/1",
                          9000, false, &p),
                     GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 2);
    assert_op(p, 0, "add", "/spec/initContainers/1/volumeMounts", NULL);
    assert_op(p, 1, "replace", "/spec/initContainers/1/command", NULL);
    json_decref(p);

    assert_int_equal(wrap("{\"name\":\"proxy\",\"restartPolicy\":\"Always\",\"command\":[\"p\"]}",
                          "/spec/initContainers/0", 9000, false, &p),
                     GMW_SHIM_WRAPPED);
    assert_int_equal(json_array_size(p), 3);
    assert_op(p, 2, "add", "/spec/initContainers/0/resizePolicy", "[" RESIZE "]");
    json_decref(p);
}

/* A container path that cannot hold the appended tokens fails cleanly. */
static void test_path_too_long(void **state)
{
    (void)state;
    char path[600];
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    json_t *p;
    assert_int_equal(wrap("{\"command\":[\"a\"]}", path, 9000, false, &p), -ERANGE);
    json_decref(p);
}

/* ---- pod-level ops ---- */

static void fill_config(gmw_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->shim_image, sizeof(cfg->shim_image), "%s", "registry.example/gmw:1.2.3");
    snprintf(cfg->shim_pull_policy, sizeof(cfg->shim_pull_policy), "%s", "Always");
}

static json_t *pod_ops(const char *pod_json)
{
    gmw_config cfg;
    fill_config(&cfg);
    json_t *pod = parse(pod_json);
    json_t *patch = json_array();
    assert_int_equal(gmw_shim_patch_pod(patch, pod, &cfg), 0);
    json_decref(pod);
    return patch;
}

static void test_pod_adds_volume_and_init_container(void **state)
{
    (void)state;
    json_t *p = pod_ops("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
    assert_int_equal(json_array_size(p), 2);
    assert_op(p, 0, "add", "/spec/volumes",
              "[{\"name\":\"gomemlimit-shim\",\"emptyDir\":{\"sizeLimit\":\"4Mi\"}}]");
    assert_op(p, 1, "add", "/spec/initContainers", NULL);
    const json_t *init = json_array_get(json_object_get(json_array_get(p, 1), "value"), 0);
    json_t *want = parse(
        "{\"name\":\"gomemlimit-shim-install\",\"image\":\"registry.example/gmw:1.2.3\","
        "\"imagePullPolicy\":\"Always\","
        "\"command\":[\"/gomemlimit-shim\",\"--install\",\"/gomemlimit\"],"
        "\"volumeMounts\":[{\"name\":\"gomemlimit-shim\",\"mountPath\":\"/gomemlimit\"}],"
        "\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"},"
        "\"limits\":{\"cpu\":\"100m\",\"memory\":\"16Mi\"}},"
        "\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":65532,\"runAsGroup\":65532,"
        "\"allowPrivilegeEscalation\":false,\"privileged\":false,\"readOnlyRootFilesystem\":true,"
        "\"capabilities\":{\"drop\":[\"ALL\"]},\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
        "\"terminationMessagePolicy\":\"FallbackToLogsOnError\"}");
    assert_true(json_equal(init, want));
    json_decref(want);
    json_decref(p);
}

/*
 * Pod-level spec.resources: the apiserver requires pod requests >= the aggregate container
 * requests, so the init container comes without resources; a null spec.resources is none.
 */
static void test_pod_level_resources_init_container_without_resources(void **state)
{
    (void)state;
    json_t *p = pod_ops("{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"5m\","
                        "\"memory\":\"8Mi\"}},\"containers\":[{\"name\":\"a\"}]}}");
    assert_int_equal(json_array_size(p), 2);
    assert_op(p, 1, "add", "/spec/initContainers", NULL);
    const json_t *init = json_array_get(json_object_get(json_array_get(p, 1), "value"), 0);
    assert_string_equal(json_string_value(json_object_get(init, "name")),
                        "gomemlimit-shim-install");
    assert_null(json_object_get(init, "resources"));
    assert_non_null(json_object_get(init, "securityContext"));
    json_decref(p);
    p = pod_ops("{\"spec\":{\"resources\":null,\"containers\":[{\"name\":\"a\"}]}}");
    init = json_array_get(json_object_get(json_array_get(p, 1), "value"), 0);
    assert_non_null(json_object_get(json_object_get(init, "resources"), "requests"));
    json_decref(p);
}

static void test_pod_existing_arrays(void **state)
{
    (void)state;
    json_t *p = pod_ops("{\"spec\":{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],"
                        "\"initContainers\":[{\"name\":\"migrate\"}],\"containers\":[]}}");
    assert_int_equal(json_array_size(p), 2);
    assert_op(p, 0, "add", "/spec/volumes/-", NULL);
    assert_op(p, 1, "add", "/spec/initContainers/0", NULL); /* first: runs before the others */
    json_decref(p);
}

static void test_pod_idempotent(void **state)
{
    (void)state;
    json_t *p = pod_ops("{\"spec\":{\"volumes\":[{\"name\":\"gomemlimit-shim\",\"emptyDir\":{}}],"
                        "\"initContainers\":[{\"name\":\"gomemlimit-shim-install\"}]}}");
    assert_int_equal(json_array_size(p), 0);
    json_decref(p);
}

static void test_pod_without_spec(void **state)
{
    (void)state;
    json_t *p = pod_ops("{\"metadata\":{}}");
    assert_int_equal(json_array_size(p), 0);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_bare_container),
        cmocka_unit_test(test_wrap_existing_arrays_append),
        cmocka_unit_test(test_wrap_memory_resize_policy_not_required_replaced),
        cmocka_unit_test(test_plain_init_container_resize_policy_untouched),
        cmocka_unit_test(test_wrap_ratio_formats),
        cmocka_unit_test(test_wrap_command_copied_verbatim),
        cmocka_unit_test(test_already_wrapped),
        cmocka_unit_test(test_no_command),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_existing_shim_mount_reused),
        cmocka_unit_test(test_null_arrays),
        cmocka_unit_test(test_init_containers_resize_policy),
        cmocka_unit_test(test_path_too_long),
        cmocka_unit_test(test_pod_adds_volume_and_init_container),
        cmocka_unit_test(test_pod_level_resources_init_container_without_resources),
        cmocka_unit_test(test_pod_existing_arrays),
        cmocka_unit_test(test_pod_idempotent),
        cmocka_unit_test(test_pod_without_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
