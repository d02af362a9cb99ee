/*
 * test_engine.c - policy decisions and the exact JSON Patch of the engine, one case per
 * rule of docs/annotations.md (targets, GOMEMLIMIT arithmetic, requests policies, env
 * handling, every warning, every denial, idempotency).
 *
 * Pods and expected patches are written as JSON with ' for " to keep them readable.
 * Expected patches are compared structurally (json_equal) with hand-written ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "shim_delivery.h"
#include "test_json.h"

static gmw_config cfg;
static gmw_pod_result res;

static int setup(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    memset(&res, 0, sizeof res);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gmw_pod_result_free(&res);
    return 0;
}

/* Run the engine on a pod literal in namespace ns. */
static void run_ns(const char *pod, const char *ns)
{
    gmw_pod_result_free(&res);
    json_t *p = gmw_test_json_sq(pod);
    assert_int_equal(gmw_engine_mutate_pod(&cfg, p, ns, &res), 0);
    json_decref(p);
    assert_non_null(res.patch);
    assert_non_null(res.warnings);
    assert_non_null(res.audit);
    /* every warning is safe for the apiserver */
    size_t i;
    json_t *w;
    json_array_foreach(res.warnings, i, w)
    {
        const char *s = json_string_value(w);
        assert_true(strlen(s) <= 120);
        for (const char *c = s; *c; c++)
            assert_true(*c >= 0x20 && *c < 0x7f);
    }
}

static void run(const char *pod)
{
    run_ns(pod, "default");
}

static void assert_patch(const char *expected)
{
    json_t *want = gmw_test_json_sq(expected);
    if (!json_equal(want, res.patch)) {
        char *got = json_dumps(res.patch, JSON_COMPACT);
        char *exp = json_dumps(want, JSON_COMPACT);
        print_error("patch:\n got  %s\n want %s\n", got, exp);
        free(got);
        free(exp);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

static void assert_no_patch(void)
{
    assert_patch("[]");
}

/* Is there a warning containing every one of the NULL-terminated substrings? */
static int warning_with(const char *first, ...)
{
    size_t i;
    json_t *w;
    json_array_foreach(res.warnings, i, w)
    {
        const char *s = json_string_value(w);
        int ok = 1;
        va_list ap;
        va_start(ap, first);
        for (const char *sub = first; sub != NULL; sub = va_arg(ap, const char *))
            if (strstr(s, sub) == NULL)
                ok = 0;
        va_end(ap);
        if (ok)
            return 1;
    }
    return 0;
}

static void dump_warnings(void)
{
    char *s = json_dumps(res.warnings, 0);
    print_message("warnings: %s\n", s);
    free(s);
}

#define ASSERT_WARNING(...)                                                                        \
    do {                                                                                           \
        if (!warning_with(__VA_ARGS__, (const char *)NULL)) {                                      \
            dump_warnings();                                                                       \
            fail_msg("no warning with %s", #__VA_ARGS__);                                          \
        }                                                                                          \
    } while (0)

/* Is there a warning equal to `text`? */
static void assert_warning_exact(const char *text)
{
    size_t i;
    json_t *w;
    json_array_foreach(res.warnings, i, w)
    {
        if (strcmp(json_string_value(w), text) == 0)
            return;
    }
    dump_warnings();
    fail_msg("no warning equal to %s", text);
}

static void assert_outcome(size_t i, const char *name, const char *action, const char *reason)
{
    assert_true(i < res.container_count);
    assert_string_equal(res.containers[i].name, name);
    assert_string_equal(res.containers[i].action, action);
    assert_string_equal(res.containers[i].reason, reason);
}

static const char *audit(const char *key)
{
    return json_string_value(json_object_get(res.audit, key));
}

#define STATUS_OP(value)                                                                           \
    "{'op':'add','path':'/metadata/annotations','value':{'gomemlimit.io/status':'" value "'}}"

/* ---- targets and arithmetic ------------------------------------------------------------ */

static void test_basic_injection(void **state)
{
    (void)state;
    run("{'metadata':{'name':'p'},'spec':{'containers':[{'name':'app',"
        "'resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_true(res.allowed);
    assert_int_equal(res.code, 200);
    assert_patch("[{'op':'add','path':'/spec/containers/0/env','value':["
                 "{'name':'GOMEMLIMIT','value':'460MiB'},{'name':'GOGC','value':'100'}]},"
                 "{'op':'add','path':'/spec/containers/0/resources/requests',"
                 "'value':{'memory':'460Mi'}}," STATUS_OP(
                     "{\\'app\\':{\\'GOMEMLIMIT\\':\\'460MiB\\',\\'GOGC\\':\\'100\\'}}") "]");
    ASSERT_WARNING("container app: GOMEMLIMIT=460MiB (90% of 512Mi), GOGC=100, "
                   "request none -> 460Mi");
    assert_int_equal(res.container_count, 1);
    assert_outcome(0, "app", "injected", "ok");
    assert_string_equal(audit("injected"), "app=460MiB");
    assert_null(audit("skipped"));
}

static void test_env_exists_appends(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'a':'b'}},'spec':{'containers':[{'name':'app',"
        "'env':[{'name':'X','value':'1'}],"
        "'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]}}");
    assert_patch("[{'op':'add','path':'/spec/containers/0/env/-','value':"
                 "{'name':'GOMEMLIMIT','value':'921MiB'}},"
                 "{'op':'add','path':'/spec/containers/0/env/-','value':"
                 "{'name':'GOGC','value':'100'}},"
                 "{'op':'add','path':'/metadata/annotations/gomemlimit.io~1status','value':"
                 "'{\\'app\\':{\\'GOMEMLIMIT\\':\\'921MiB\\',\\'GOGC\\':\\'100\\'}}'}]");
}

static void test_no_metadata(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'app','env':null,"
        "'resources':{'limits':{'memory':'100Mi'},'requests':{'memory':'100Mi'}}}]}}");
    assert_patch("[{'op':'add','path':'/spec/containers/0/env','value':["
                 "{'name':'GOMEMLIMIT','value':'90MiB'},{'name':'GOGC','value':'100'}]},"
                 "{'op':'add','path':'/metadata','value':{'annotations':{'gomemlimit.io/status':"
                 "'{\\'app\\':{\\'GOMEMLIMIT\\':\\'90MiB\\',\\'GOGC\\':\\'100\\'}}'}}}]");
}

/* GOMEMLIMIT for a limit written in several quantity forms (Value() rounds up). */
static void check_limit(const char *limit, const char *gomemlimit)
{
    char pod[512], want[128];
    snprintf(pod, sizeof pod,
             "{'spec':{'containers':[{'name':'c','env':[],"
             "'resources':{'limits':{'memory':%s},'requests':{'memory':'1'}}}]}}",
             limit);
    run(pod);
    json_t *op = json_array_get(res.patch, 0);
    const char *got = json_string_value(json_object_get(json_object_get(op, "value"), "value"));
    snprintf(want, sizeof want, "%s", gomemlimit);
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("limit %s: GOMEMLIMIT %s, want %s", limit, got ? got : "(none)", want);
}

static void test_limit_forms(void **state)
{
    (void)state;
    check_limit("'512Mi'", "460MiB");
    check_limit("'1181116006400m'", "1013MiB"); /* 1.1Gi: 1181116007 x 0.9 */
    check_limit("'1500e6'", "1287MiB");         /* 1350000000 / 2^20 = 1287.4 */
    check_limit("'1.G'", "858MiB");             /* 900000000 / 2^20 = 858.3 */
    check_limit("'+5Gi'", "4608MiB");
    check_limit("'20480Ki'", "18MiB");
    check_limit("'0.5Gi'", "460MiB");
    check_limit("'1Gi'", "921MiB");
    check_limit("536870912", "460MiB"); /* a JSON number */
    check_limit("'536870912'", "460MiB");
    check_limit("'1e9'", "858MiB");
    check_limit("'1T'", "858306MiB");
}

static void test_ratio_annotations(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio':'0.5','gomemlimit.io/"
        "ratio.b':'0.8751'}},"
        "'spec':{'containers':["
        "{'name':'a','env':[],'resources':{'limits':{'memory':'1000Mi'},'requests':{'memory':'"
        "1000Mi'}}},"
        "{'name':'b','env':[],'resources':{'limits':{'memory':'1000Mi'},'requests':{'memory':'"
        "1000Mi'}}}]}}");
    assert_string_equal(audit("injected"), "a=500MiB,b=875MiB");
    ASSERT_WARNING("container a: GOMEMLIMIT=500MiB (50% of 1000Mi)");
    ASSERT_WARNING("container b: GOMEMLIMIT=875MiB (87.51% of 1000Mi)");
}

static void test_config_ratio_and_gogc(void **state)
{
    (void)state;
    cfg.ratio_e4 = 10000;
    snprintf(cfg.gogc, sizeof cfg.gogc, "off");
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'64Mi'},'requests':{'memory':'64Mi'}}}]}}");
    assert_string_equal(audit("injected"), "a=64MiB");
    ASSERT_WARNING("container a: GOMEMLIMIT=64MiB (100% of 64Mi), GOGC=off");
}

static void test_gogc_annotation(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/gogc':'50','gomemlimit.io/gogc.b':'off'}},"
        "'spec':{'containers':["
        "{'name':'a','env':[],'resources':{'limits':{'memory':'100Mi'},'requests':{'memory':'100Mi'"
        "}}},"
        "{'name':'b','env':[],'resources':{'limits':{'memory':'100Mi'},'requests':{'memory':'100Mi'"
        "}}}]}}");
    ASSERT_WARNING("container a: GOMEMLIMIT=90MiB", "GOGC=50");
    ASSERT_WARNING("container b: GOMEMLIMIT=90MiB", "GOGC=off");
}

static void test_memory_limit_annotation(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'300.5Mi'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_true(res.allowed);
    assert_string_equal(audit("injected"), "a=300MiB"); /* rounded down to a whole MiB */
    ASSERT_WARNING("container a: GOMEMLIMIT=300MiB (memory-limit)");
    /* equal to the limit is fine */
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit.a':'512Mi'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_string_equal(audit("injected"), "a=512MiB");
}

/* A user GOMEMLIMIT wins over the memory-limit annotation, and the warning says so. */
static void test_memory_limit_annotation_user_value_kept(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'100Mi'}},"
        "'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','value':'400MiB'}],"
        "'resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_true(res.allowed);
    assert_warning_exact("gomemlimit: container a: GOMEMLIMIT kept (set by user), GOGC=100");
    assert_false(warning_with("memory-limit annotation", (const char *)NULL));
    assert_outcome(0, "a", "unchanged", "user-value");
}

static void test_memory_limit_above_limit_denied(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'2Gi'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_false(res.allowed);
    assert_int_equal(res.code, 400);
    assert_no_patch();
    assert_non_null(strstr(res.message, "gomemlimit.io/memory-limit"));
    assert_non_null(strstr(res.message, "\"2Gi\""));
    /* a range error for this container: its name, its limit, an example valid for it */
    assert_string_equal(res.message,
                        "gomemlimit: gomemlimit.io/memory-limit=\"2Gi\" is above container a's "
                        "limit 512Mi, use e.g. \"460Mi\"");
    assert_warning_exact("gomemlimit: gomemlimit.io/memory-limit=\"2Gi\" is above container a's "
                         "limit 512Mi, use e.g. \"460Mi\"");
    assert_string_equal(audit("denied"), "invalid-annotation");
    assert_outcome(0, "a", "skipped", "invalid-annotation");
}

static void test_memory_limit_above_limit_warn_mode(void **state)
{
    (void)state;
    cfg.invalid_annotations = GMW_INVALID_WARN;
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit.a':'2Gi'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_true(res.allowed);
    assert_string_equal(audit("injected"), "a=460MiB"); /* the ratio applies */
    assert_warning_exact("gomemlimit: ignored: gomemlimit.io/memory-limit.a=\"2Gi\" is above "
                         "container a's limit 512Mi, use e.g. \"460Mi\"");
}

/* Issue 9's message cases: a pod-level memory-limit above a small sidecar's limit names the
 * sidecar, its limit and an example valid for it (one item per container); Go's spelling is
 * accepted; a too-small value quotes the annotation; syntax and range errors differ; a pod
 * opt-out is not called total when a container re-enables itself. */
static void test_issue9_messages(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'300Mi'}},'spec':{'containers':["
        "{'name':'app','resources':{'limits':{'memory':'512Mi'}}},"
        "{'name':'sidecar','resources':{'limits':{'memory':'64Mi'}}}]}}");
    assert_false(res.allowed);
    assert_string_equal(res.message, "gomemlimit: gomemlimit.io/memory-limit=\"300Mi\" is above "
                                     "container sidecar's limit 64Mi, use e.g. \"57Mi\"");
    /* Go's own spelling */
    static const char *const go[] = {"400MiB", "419430400", "419430400B"};
    for (size_t i = 0; i < 3; i++) {
        char pod[256];
        snprintf(
            pod, sizeof pod,
            "{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'%s'}},"
            "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'512Mi'}}}]}}",
            go[i]);
        run(pod);
        assert_true(res.allowed);
        ASSERT_WARNING("container app: GOMEMLIMIT=400MiB (memory-limit)");
    }
    /* too small: the annotation's own value is quoted, with an example for the container */
    cfg.min_limit_bytes = 0;
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'500Ki'}},"
        "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_warning_exact(
        "gomemlimit: container app: skipped, gomemlimit.io/memory-limit=\"500Ki\" < 1MiB, "
        "use e.g. \"460Mi\"");
    /* syntax vs range */
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio':'1.5','gomemlimit.io/gogc':'fast',"
        "'gomemlimit.io/memory-limit':'lots'}},"
        "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_non_null(strstr(res.message, "gomemlimit.io/ratio=\"1.5\" is out of range, use"));
    assert_non_null(strstr(res.message, "gomemlimit.io/gogc=\"fast\" is invalid, use"));
    assert_non_null(strstr(res.message, "gomemlimit.io/memory-limit=\"lots\" is invalid, use"));
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio':'abc','gomemlimit.io/gogc':'0',"
        "'gomemlimit.io/memory-limit':'-1Gi'}},"
        "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_non_null(strstr(res.message, "gomemlimit.io/ratio=\"abc\" is invalid, use"));
    assert_non_null(strstr(res.message, "gomemlimit.io/gogc=\"0\" is out of range, use"));
    assert_non_null(
        strstr(res.message, "gomemlimit.io/memory-limit=\"-1Gi\" is out of range, use"));
    /* pod opt-out with a container that re-enables itself */
    run("{'metadata':{'annotations':{'gomemlimit.io/inject':'false','gomemlimit.io/"
        "inject.app':'true'}},"
        "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'512Mi'}}},"
        "{'name':'b','resources':{'limits':{'memory':'512Mi'}}}]}}");
    ASSERT_WARNING("container app: GOMEMLIMIT=460MiB");
    assert_false(warning_with("injection disabled for the pod", (const char *)NULL));
    assert_warning_exact("gomemlimit: gomemlimit.io/inject=false: only containers with "
                         "inject.<name>=true are injected");
}

static void test_below_one_mib(void **state)
{
    (void)state;
    cfg.min_limit_bytes = 0;
    run("{'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Mi'}}}]}}");
    assert_no_patch(); /* 0.9 MiB */
    ASSERT_WARNING("container a: skipped, ratio 0.9 x limit 1Mi < 1MiB; use e.g. ratio 1");
    assert_outcome(0, "a", "skipped", "below-one-mib");
    run("{'metadata':{'annotations':{'gomemlimit.io/memory-limit':'512Ki'}},"
        "'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_no_patch();
    assert_outcome(0, "a", "skipped", "below-one-mib");
}

/* ---- skips --------------------------------------------------------------------------- */

static void test_no_memory_limit(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','resources':{}},"
        "{'name':'b','resources':{'limits':{'cpu':'1'}}},{'name':'c'}]}}");
    assert_no_patch(); /* no status annotation when nothing was injected */
    ASSERT_WARNING("gomemlimit: container a: skipped, no memory limit");
    ASSERT_WARNING("gomemlimit: container b: skipped, no memory limit");
    ASSERT_WARNING("gomemlimit: container c: skipped, no memory limit");
    assert_int_equal(res.container_count, 3);
    assert_outcome(1, "b", "skipped", "no-memory-limit");
    assert_string_equal(audit("skipped"), "a=no-memory-limit,b=no-memory-limit,c=no-memory-limit");
}

static void test_below_min_limit(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'8Mi'}}}]}}");
    assert_no_patch();
    ASSERT_WARNING("container a: skipped, memory limit 8Mi is below minLimit 16Mi");
    assert_outcome(0, "a", "skipped", "below-min-limit");
    /* exactly minLimit is injected */
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'16Mi'},'requests':{'memory':'16Mi'}}}]}}");
    assert_string_equal(audit("injected"), "a=14MiB");
}

static void test_invalid_limit(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'12GB'}}},"
        "{'name':'b','resources':{'limits':{'memory':'-1Gi'}}},"
        "{'name':'c','resources':{'limits':{'memory':true}}}]}}");
    assert_no_patch();
    ASSERT_WARNING("container a: skipped, memory limit \"12GB\" is invalid");
    /* a range error is told apart from a syntax error */
    ASSERT_WARNING("container b: skipped, memory limit \"-1Gi\" is out of range [0, 8Ei)");
    ASSERT_WARNING("container c: skipped, memory limit");
    assert_outcome(2, "c", "skipped", "invalid-limit");
}

static void test_namespace_excluded(void **state)
{
    (void)state;
    run_ns("{'metadata':{'annotations':{'gomemlimit.io/ratio':'bad'}},"
           "'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}},"
           "{'name':'b'}]}}",
           "kube-system");
    assert_true(res.allowed); /* annotations are not even looked at */
    assert_no_patch();
    assert_int_equal(json_array_size(res.warnings), 1);
    ASSERT_WARNING("namespace kube-system is excluded");
    assert_int_equal(res.container_count, 2);
    assert_outcome(0, "a", "skipped", "namespace-excluded");
    assert_outcome(1, "b", "skipped", "namespace-excluded");
    assert_string_equal(audit("skipped"), "namespace-excluded");
    /* unknown namespace (NULL or ""): not excluded */
    run_ns("{'spec':{'containers':[{'name':'a','env':[],"
           "'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]}}",
           NULL);
    assert_string_equal(audit("injected"), "a=921MiB");
    run_ns("{'spec':{'containers':[{'name':'a','env':[],"
           "'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]}}",
           "");
    assert_string_equal(audit("injected"), "a=921MiB");
}

static void test_opt_out_pod(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/inject':'false'}},"
        "'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'b','resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_no_patch();
    assert_int_equal(json_array_size(res.warnings), 1);
    ASSERT_WARNING("injection disabled for the pod by annotation gomemlimit.io/inject=false");
    assert_outcome(0, "a", "skipped", "opt-out");
    assert_outcome(1, "b", "skipped", "opt-out");
}

static void test_opt_out_container_and_opt_in_override(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/inject.a':'false'}},"
        "'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'b','env':[],'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]"
        "}}");
    ASSERT_WARNING("container a: skipped, annotation gomemlimit.io/inject.a=false");
    assert_outcome(0, "a", "skipped", "opt-out");
    assert_outcome(1, "b", "injected", "ok");
    /* the status records the skipped container too */
    json_t *op = json_array_get(res.patch, json_array_size(res.patch) - 1);
    assert_string_equal(json_string_value(json_object_get(op, "path")),
                        "/metadata/annotations/gomemlimit.io~1status");
    const char *st = json_string_value(json_object_get(op, "value"));
    assert_string_equal(st, "{\"a\":{\"reason\":\"opt-out\"},\"b\":{\"GOMEMLIMIT\":\"921MiB\","
                            "\"GOGC\":\"100\"}}");
    /* pod-level false, container-level true wins */
    run("{'metadata':{'annotations':{'gomemlimit.io/inject':'false','gomemlimit.io/"
        "inject.b':'true'}},"
        "'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'b','env':[],'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]"
        "}}");
    assert_outcome(0, "a", "skipped", "opt-out");
    assert_outcome(1, "b", "injected", "ok");
}

/* ---- which containers ------------------------------------------------------------------- */

static void test_sidecars_and_init_containers(void **state)
{
    (void)state;
    run("{'spec':{'initContainers':["
        "{'name':'init','resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'side','restartPolicy':'Always','resources':{'limits':{'memory':'256Mi'},"
        "'requests':{'memory':'256Mi'}}}],"
        "'containers':[{'name':'app','resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'"
        "1Gi'}}}],"
        "'ephemeralContainers':[{'name':'dbg','resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_string_equal(audit("injected"), "app=921MiB,side=230MiB");
    assert_patch("[{'op':'add','path':'/spec/containers/0/env','value':["
                 "{'name':'GOMEMLIMIT','value':'921MiB'},{'name':'GOGC','value':'100'}]},"
                 "{'op':'add','path':'/spec/initContainers/1/env','value':["
                 "{'name':'GOMEMLIMIT','value':'230MiB'},{'name':'GOGC','value':'100'}]},"
                 "{'op':'add','path':'/metadata','value':{'annotations':{'gomemlimit.io/status':"
                 "'{\\'app\\':{\\'GOMEMLIMIT\\':\\'921MiB\\',\\'GOGC\\':\\'100\\'},"
                 "\\'side\\':{\\'GOMEMLIMIT\\':\\'230MiB\\',\\'GOGC\\':\\'100\\'}}'}}}]");
    assert_int_equal(res.container_count, 2); /* plain init and ephemeral: not looked at */
}

static void test_containers_annotation(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/containers':'init,b,ghost'}},"
        "'spec':{'initContainers':["
        "{'name':'init','env':[],'resources':{'limits':{'memory':'100Mi'},'requests':{'memory':'"
        "100Mi'}}},"
        "{'name':'init2','resources':{'limits':{'memory':'100Mi'}}},"
        "{'name':'side','restartPolicy':'Always','resources':{'limits':{'memory':'100Mi'}}}],"
        "'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'b','env':[],'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]"
        "}}");
    assert_string_equal(audit("injected"), "b=921MiB,init=90MiB");
    assert_outcome(0, "a", "skipped", "not-selected");
    assert_outcome(1, "b", "injected", "ok");
    assert_outcome(2, "init", "injected", "ok");
    assert_outcome(3, "side", "skipped", "not-selected");
    assert_int_equal(res.container_count, 4);
    ASSERT_WARNING("gomemlimit.io/containers names ghost, which is not a container");
    assert_false(warning_with("container a:", (const char *)NULL)); /* not selected: silent */
}

static void test_annotation_for_missing_container(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio.ghost':'0.5'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]}}");
    ASSERT_WARNING("annotations for container ghost ignored: the pod has no such container");
    assert_string_equal(audit("injected"), "a=921MiB");
}

/* The op whose path is `path` (NULL when none). */
static json_t *op_at(const char *path)
{
    size_t i;
    json_t *op;
    json_array_foreach(res.patch, i, op)
    {
        if (strcmp(json_string_value(json_object_get(op, "path")), path) == 0)
            return op;
    }
    return NULL;
}

#define REQ_PATH "/spec/containers/0/resources/requests/memory"

/* ---- requests.memory ------------------------------------------------------------------- */

static void test_request_match(void **state)
{
    (void)state;
    /* below GOMEMLIMIT: raised, written <n>Mi */
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'256Mi','cpu':'1'}}}]}}");
    json_t *op = op_at(REQ_PATH);
    assert_non_null(op);
    assert_string_equal(json_string_value(json_object_get(op, "op")), "replace");
    assert_string_equal(json_string_value(json_object_get(op, "value")), "460Mi");
    ASSERT_WARNING("request 256Mi -> 460Mi");
    /* requests without memory: add the key */
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'cpu':'1'}}}]}}");
    op = op_at(REQ_PATH);
    assert_non_null(op);
    assert_string_equal(json_string_value(json_object_get(op, "op")), "add");
    assert_string_equal(json_string_value(json_object_get(op, "value")), "460Mi");
    /* at or above GOMEMLIMIT: untouched */
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'460Mi'}}}]}}");
    assert_null(op_at(REQ_PATH));
    assert_int_equal(json_array_size(res.patch), 3); /* GOMEMLIMIT, GOGC, status */
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'500Mi'}}}]}}");
    assert_null(op_at(REQ_PATH));
}

static void test_request_limit(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/request':'limit'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'1181116006400m'},'requests':{'memory':'256Mi'}}}]}}");
    json_t *op = op_at(REQ_PATH);
    assert_non_null(op);
    assert_string_equal(json_string_value(json_object_get(op, "op")), "replace");
    assert_string_equal(json_string_value(json_object_get(op, "value")), "1181116006400m");
    /* already equal (other spelling): untouched */
    run("{'metadata':{'annotations':{'gomemlimit.io/request':'limit'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1073741824'}}}]}}");
    assert_null(op_at(REQ_PATH));
    /* config policy limit, no requests: the whole object */
    cfg.request_policy = GMW_REQUEST_LIMIT;
    run("{'metadata':{},'spec':{'containers':[{'name':'a','env':[],'resources':{'limits':{'memory':"
        "'1Gi'}}}]}}");
    assert_patch("[{'op':'add','path':'/spec/containers/0/env/-','value':"
                 "{'name':'GOMEMLIMIT','value':'921MiB'}},"
                 "{'op':'add','path':'/spec/containers/0/env/-','value':"
                 "{'name':'GOGC','value':'100'}},"
                 "{'op':'add','path':'/spec/containers/0/resources/requests','value':"
                 "{'memory':'1Gi'}}," STATUS_OP("{\\'a\\':{\\'GOMEMLIMIT\\':\\'921MiB\\',"
                                                "\\'GOGC\\':\\'100\\'}}") "]");
}

static void test_request_keep(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/request.a':'keep'}},"
        "'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'1Mi'}}}]}}");
    assert_int_equal(json_array_size(res.patch), 3); /* GOMEMLIMIT, GOGC, status */
    assert_false(warning_with("request 1Mi -> ", (const char *)NULL));
    /* issue 10: a request far below GOMEMLIMIT is advised against */
    assert_warning_exact("gomemlimit: container a: advice: requests.memory 1Mi < GOMEMLIMIT/2: "
                         "evicted first; raise it");
}

static void test_pod_level_resources(void **state)
{
    (void)state;
    run("{'spec':{'resources':{'limits':{'memory':'2Gi'}},'containers':["
        "{'name':'a','env':[],'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'1Mi'}}"
        "},"
        "{'name':'b','env':[],'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'1Mi'}}"
        "}]}}");
    assert_int_equal(json_array_size(res.patch), 5); /* 2 x (GOMEMLIMIT, GOGC) + status */
    ASSERT_WARNING(
        "pod has spec.resources: container requests.memory left unchanged (policy match)");
    assert_false(warning_with("request 1Mi -> ", (const char *)NULL));
    ASSERT_WARNING("container b: advice: requests.memory 1Mi < GOMEMLIMIT/2");
}

static void test_request_invalid(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'lots'}}}]}}");
    ASSERT_WARNING("container a: requests.memory \"lots\" is not a valid quantity");
    assert_int_equal(json_array_size(res.patch), 3);
    run("{'spec':{'containers':[{'name':'a','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':[1]}}]}}");
    ASSERT_WARNING("container a: resources.requests is not an object");
}

/* ---- existing env ---------------------------------------------------------------------- */

static void test_user_gomemlimit_kept(void **state)
{
    (void)state;
    run("{'metadata':{},'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','value':'"
        "400MiB'}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'1Mi'}}}]}}");
    /* GOGC still added; requests untouched next to a user GOMEMLIMIT */
    assert_patch("[{'op':'add','path':'/spec/containers/0/env/-','value':"
                 "{'name':'GOGC','value':'100'}}," STATUS_OP(
                     "{\\'a\\':{\\'GOGC\\':\\'100\\',\\'reason\\':\\'user-value\\'}}") "]");
    assert_outcome(0, "a", "unchanged", "user-value");
    assert_string_equal(audit("unchanged"), "a=user-value");
    ASSERT_WARNING("container a: GOMEMLIMIT kept (set by user), GOGC=100");
    assert_false(warning_with("malformed", (const char *)NULL));
}

/* A pod with container 'a' (1Gi limit unless limit is NULL) whose env is GOMEMLIMIT=value then
 * GOGC=100. */
static void run_malformed(const char *value, const char *limit)
{
    char pod[512];
    snprintf(pod, sizeof pod,
             "{'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','value':'%s'},"
             "{'name':'GOGC','value':'100'}]%s%s%s}]}}",
             value, limit ? ",'resources':{'limits':{'memory':'" : "", limit ? limit : "",
             limit ? "'}}" : "");
    run(pod);
}

/* malformedGOMEMLIMIT: keep: left as it is, with a warning naming container, value and fix. */
static void test_user_gomemlimit_malformed_keep(void **state)
{
    (void)state;
    cfg.malformed_gomemlimit = GMW_MALFORMED_KEEP;
    static const struct {
        const char *value, *fix;
    } bad[] = {
        {"512Mi", "use 512MiB"},       {"1G", "use 1000000000"},       {"1.5Gi", "use 1536MiB"},
        {"1GB", "use e.g. 921MiB"},    {"100 MiB", "use e.g. 921MiB"}, {"-5", "use e.g. 921MiB"},
        {"1.5GiB", "use e.g. 921MiB"}, {"OFF", "use e.g. 921MiB"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_malformed(bad[i].value, "1Gi");
        char want[160];
        snprintf(want, sizeof want,
                 "gomemlimit: container a: GOMEMLIMIT=\"%s\" kept, Go aborts on it; %s",
                 bad[i].value, bad[i].fix);
        assert_warning_exact(want);
        assert_no_patch();
    }
    run_malformed("abc", NULL);
    assert_warning_exact(
        "gomemlimit: container a: GOMEMLIMIT=\"abc\" kept, Go aborts on it; remove "
        "it or use e.g. 400MiB");
    /* accepted by Go; the only warning is the advice of issue 10, when one applies */
    static const struct {
        const char *value, *advice;
    } good[] = {
        {"400MiB", NULL},
        {"off", NULL},
        {"1073741824", "GOMEMLIMIT=1073741824 is 100% of limit 1Gi, GC thrashes"},
        {"1GiB", "GOMEMLIMIT=1GiB is 100% of limit 1Gi, GC thrashes"},
        {"0", "GOMEMLIMIT=0 < 32MiB: GC runs nonstop"},
        {"5B", "GOMEMLIMIT=5B < 32MiB: GC runs nonstop"},
        {"5KiB", "GOMEMLIMIT=5KiB < 32MiB: GC runs nonstop"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        run_malformed(good[i].value, "1Gi");
        assert_int_equal(json_array_size(res.warnings), good[i].advice != NULL);
        if (good[i].advice != NULL)
            ASSERT_WARNING(good[i].advice);
        assert_no_patch(); /* both user values: nothing to do, no status */
    }
}

/* repair (the default): a quantity becomes the exact Go value, still the user's value. */
static void test_user_gomemlimit_malformed_repair_quantity(void **state)
{
    (void)state;
    static const struct {
        const char *value, *go;
    } q[] = {{"512Mi", "512MiB"}, {"1G", "1000000000"}, {"1.5Gi", "1536MiB"}, {"1Gi", "1GiB"},
             {"1k", "1000"},      {"2Ki", "2KiB"},      {"0.5Gi", "512MiB"},  {"1e3", "1000"}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        run_malformed(q[i].value, "2Gi");
        char want[400];
        snprintf(
            want, sizeof want,
            "[{'op':'replace','path':'/spec/containers/0/env/0/value','value':'%s'},"
            "{'op':'add','path':'/metadata','value':{'annotations':{'gomemlimit.io/status':"
            "'{\\'a\\':{\\'reason\\':\\'user-value\\',\\'malformed\\':\\'repaired %s\\'}}'}}}]",
            q[i].go, q[i].value);
        assert_patch(want);
        snprintf(
            want, sizeof want,
            "gomemlimit: container a: GOMEMLIMIT=\"%s\" (a quantity, Go aborts on it) set to %s",
            q[i].value, q[i].go);
        assert_warning_exact(want);
        assert_outcome(0, "a", "repaired", "user-value");
    }
    /* from then on the rules for a valid user value apply: above the limit is said */
    run_malformed("3Gi", "2Gi");
    ASSERT_WARNING("container a: GOMEMLIMIT=3GiB exceeds the memory limit 2Gi");
    /* also without a limit (the container is skipped, its value still repaired) */
    run_malformed("256Mi", NULL);
    assert_patch("[{'op':'replace','path':'/spec/containers/0/env/0/value','value':'256MiB'},"
                 "{'op':'add','path':'/metadata','value':{'annotations':{'gomemlimit.io/status':"
                 "'{\\'a\\':{\\'reason\\':\\'no-memory-limit\\',\\'malformed\\':\\'repaired "
                 "256Mi\\'}}'}}}]");
}

/* repair: anything else is replaced by the computed value, or removed without a limit. */
static void test_user_gomemlimit_malformed_repair_other(void **state)
{
    (void)state;
    static const char *const bad[] = {"1GB", "100 MiB", "-5", "1.5GiB", "OFF", "lots", "-", "Mi"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[600];
        run_malformed(bad[i], "1Gi");
        /* the webhook's own value now: the request policy applies too */
        snprintf(want, sizeof want,
                 "[{'op':'add','path':'/spec/containers/0/env/0/value','value':'921MiB'},"
                 "{'op':'add','path':'/spec/containers/0/resources/requests',"
                 "'value':{'memory':'921Mi'}},"
                 "{'op':'add','path':'/metadata','value':{'annotations':{'gomemlimit.io/status':"
                 "'{\\'a\\':{\\'GOMEMLIMIT\\':\\'921MiB\\',\\'malformed\\':\\'replaced "
                 "%s\\'}}'}}}]",
                 bad[i]);
        assert_patch(want);
        snprintf(want, sizeof want,
                 "gomemlimit: container a: GOMEMLIMIT=921MiB (90%% of 1Gi) replacing "
                 "\"%s\"",
                 bad[i]);
        ASSERT_WARNING(want);
        if (strcmp(bad[i], "1GB") == 0)
            assert_warning_exact(
                "gomemlimit: container a: GOMEMLIMIT=921MiB (90% of 1Gi) replacing "
                "\"1GB\", GOGC=kept, request none -> 921Mi");
        assert_outcome(0, "a", "injected", "malformed-replaced");
    }
    /* no limit: nothing to compute, the value is removed (the env entry goes) */
    run_malformed("lots", NULL);
    assert_patch("[{'op':'remove','path':'/spec/containers/0/env/0'},"
                 "{'op':'add','path':'/metadata','value':{'annotations':{'gomemlimit.io/status':"
                 "'{\\'a\\':{\\'reason\\':\\'no-memory-limit\\',\\'malformed\\':\\'removed "
                 "lots\\'}}'}}}]");
    assert_warning_exact(
        "gomemlimit: container a: GOMEMLIMIT=\"lots\" removed: Go aborts on it and "
        "there is no limit");
    /* the same for a limit below minLimit (skipped) */
    run_malformed("lots", "8Mi");
    ASSERT_WARNING("container a: GOMEMLIMIT=\"lots\" removed");
    /* opted-out containers are left alone */
    run("{'metadata':{'annotations':{'gomemlimit.io/inject':'false'}},'spec':{'containers':[{"
        "'name':'a','env':[{'name':'GOMEMLIMIT','value':'512Mi'}]}]}}");
    assert_no_patch();
}

/* exclude.images: a matching image is skipped, with the pattern in the warning and the
 * reason image-excluded in the status and the outcome (metrics); its env is not touched. */
static void test_exclude_images(void **state)
{
    (void)state;
    const char *text = "exclude:\n  images: [\"docker.io/library/nginx*\", \"*/envoy:*\"]\n";
    char err[GMW_CONFIG_ERR];
    assert_int_equal(gmw_config_parse(text, strlen(text), "t.yaml", &cfg, err, sizeof err), 0);
    run("{'spec':{'containers':["
        "{'name':'web','image':'docker.io/library/nginx:1.27',"
        "'env':[{'name':'GOMEMLIMIT','value':'512Mi'}],'resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'proxy','image':'docker.io/envoyproxy/"
        "envoy:v1.31','resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'app','image':'ghcr.io/x/"
        "nginx-exporter:1','resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_warning_exact("gomemlimit: container web: skipped, image docker.io/library/nginx:1.27 "
                         "is in exclude.images");
    assert_warning_exact("gomemlimit: container proxy: skipped, image "
                         "docker.io/envoyproxy/envoy:v1.31 is in exclude.images");
    assert_outcome(0, "web", "skipped", "image-excluded");
    assert_outcome(1, "proxy", "skipped", "image-excluded");
    assert_outcome(2, "app", "injected", "ok");
    json_t *patch = res.patch;
    size_t i;
    json_t *op;
    const char *status = NULL;
    json_array_foreach(patch, i, op)
    {
        const char *path = json_string_value(json_object_get(op, "path"));
        assert_non_null(path);
        if (path == NULL)
            return;
        assert_null(strstr(path, "/containers/0/")); /* web untouched (its 512Mi too) */
        assert_null(strstr(path, "/containers/1/"));
        if (strcmp(path, "/metadata") == 0)
            status = json_string_value(
                json_object_get(json_object_get(json_object_get(op, "value"), "annotations"),
                                "gomemlimit.io/status"));
    }
    assert_non_null(status);
    if (status == NULL)
        return;
    assert_non_null(strstr(status, "\"web\":{\"reason\":\"image-excluded\"}"));
    assert_string_equal(json_string_value(json_object_get(res.audit, "skipped")),
                        "web=image-excluded,proxy=image-excluded");
}

/* deny: the Pod is refused; the message names container, value and fix, for each container. */
static void test_user_gomemlimit_malformed_deny(void **state)
{
    (void)state;
    cfg.malformed_gomemlimit = GMW_MALFORMED_DENY;
    run("{'spec':{'containers':["
        "{'name':'a','env':[{'name':'GOMEMLIMIT','value':'512Mi'}],"
        "'resources':{'limits':{'memory':'1Gi'}}},"
        "{'name':'b','env':[{'name':'GOMEMLIMIT','value':'lots'}],"
        "'resources':{'limits':{'memory':'512Mi'}}},"
        "{'name':'c','env':[{'name':'GOMEMLIMIT','value':'x'}]},"
        "{'name':'ok','env':[{'name':'GOMEMLIMIT','value':'100MiB'}],"
        "'resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_false(res.allowed);
    assert_int_equal(res.code, 400);
    assert_no_patch();
    assert_string_equal(
        res.message, "gomemlimit: container a: GOMEMLIMIT=\"512Mi\" makes Go abort at start; use "
                     "512MiB; container b: GOMEMLIMIT=\"lots\" makes Go abort at start; use e.g. "
                     "460MiB; container c: GOMEMLIMIT=\"x\" makes Go abort at "
                     "start; remove it or use e.g. 400MiB");
    assert_int_equal(json_array_size(res.warnings), 3);
    assert_warning_exact(
        "gomemlimit: container b: GOMEMLIMIT=\"lots\" makes Go abort at start; use "
        "e.g. 460MiB");
    assert_string_equal(json_string_value(json_object_get(res.audit, "denied")),
                        "malformed-gomemlimit");
    /* with invalid annotations too: one denial holding both */
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio':'2'}},'spec':{'containers':["
        "{'name':'a','env':[{'name':'GOMEMLIMIT','value':'512Mi'}],"
        "'resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_false(res.allowed);
    assert_non_null(strstr(res.message, "gomemlimit.io/ratio"));
    assert_non_null(strstr(res.message, "; container a: GOMEMLIMIT=\"512Mi\" makes Go abort"));
    /* a valid value is never denied */
    run_malformed("400MiB", "1Gi");
    assert_true(res.allowed);
}

static void test_user_gomemlimit_above_limit(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','value':'2GiB'}],"
        "'resources':{'limits':{'memory':'1Gi'}}}]}}");
    ASSERT_WARNING("container a: GOMEMLIMIT=2GiB exceeds the memory limit 1Gi");
}

static void test_user_value_from(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','valueFrom':"
        "{'resourceFieldRef':{'resource':'limits.memory'}}},{'name':'GOGC','value':'50'}],"
        "'resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_no_patch();
    /* issue 10: limits.memory itself is 100 % of the limit */
    assert_int_equal(json_array_size(res.warnings), 1);
    assert_warning_exact("gomemlimit: container a: advice: GOMEMLIMIT=limits.memory is 100% of "
                         "limit 1Gi, GC thrashes; use <= 90%");
    assert_outcome(0, "a", "unchanged", "user-value");
}

/* An empty GOMEMLIMIT or GOGC (value "" or none) is unset for Go: the webhook fills it in. */
static void test_empty_env_values_filled(void **state)
{
    (void)state;
    run("{'metadata':{},'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','value':''},"
        "{'name':'GOGC'}],'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'1Gi'}}}]}}");
    assert_patch("[{'op':'add','path':'/spec/containers/0/env/0/value','value':'921MiB'},"
                 "{'op':'add','path':'/spec/containers/0/env/1/value','value':'100'}," STATUS_OP(
                     "{\\'a\\':{\\'GOMEMLIMIT\\':\\'921MiB\\',\\'GOGC\\':\\'100\\'}}") "]");
    assert_warning_exact("gomemlimit: container a: GOMEMLIMIT=921MiB (90% of 1Gi) replacing \"\", "
                         "GOGC=100");
    assert_outcome(0, "a", "injected", "ok");
    /* no envFrom warning: the entries existed already */
    run("{'spec':{'containers':[{'name':'a','envFrom':[{'configMapRef':{'name':'x'}}],"
        "'env':[{'name':'GOMEMLIMIT','value':''}],'resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_false(warning_with("envFrom: the injected GOMEMLIMIT", (const char *)NULL));
    assert_warning_exact("gomemlimit: container a uses envFrom: the injected GOGC overrides any "
                         "value from it");
}

static void test_user_gogc(void **state)
{
    (void)state;
    run("{'metadata':{'name':'x'},'spec':{'containers':[{'name':'a','env':[{'name':'GOGC','value':'"
        "abc'}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    ASSERT_WARNING("container a: GOGC=\"abc\" is not understood by Go, which uses 100");
    ASSERT_WARNING("container a: GOMEMLIMIT=460MiB (90% of 512Mi), GOGC=kept");
    assert_patch("[{'op':'add','path':'/spec/containers/0/env/-','value':"
                 "{'name':'GOMEMLIMIT','value':'460MiB'}}," STATUS_OP(
                     "{\\'a\\':{\\'GOMEMLIMIT\\':\\'460MiB\\'}}") "]");
    run("{'spec':{'containers':[{'name':'a','env':[{'name':'GOGC','value':'-1'}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_false(warning_with("not understood", (const char *)NULL));
}

static void test_env_from_warning(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','envFrom':[{'configMapRef':{'name':'x'}}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_warning_exact("gomemlimit: container a uses envFrom: the injected GOMEMLIMIT and GOGC "
                         "override any value from it");
    /* only the variable actually added is named */
    run("{'spec':{'containers':[{'name':'a','envFrom':[{'configMapRef':{'name':'x'}}],"
        "'env':[{'name':'GOGC','value':'50'}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_warning_exact("gomemlimit: container a uses envFrom: the injected GOMEMLIMIT overrides "
                         "any value from it");
    run("{'spec':{'containers':[{'name':'a','envFrom':[{'configMapRef':{'name':'x'}}],"
        "'env':[{'name':'GOMEMLIMIT','value':'400MiB'}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_warning_exact("gomemlimit: container a uses envFrom: the injected GOGC overrides any "
                         "value from it");
    run("{'spec':{'containers':[{'name':'a','envFrom':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_false(warning_with("envFrom", (const char *)NULL));
}

static void test_duplicate_env_last_wins(void **state)
{
    (void)state;
    cfg.malformed_gomemlimit = GMW_MALFORMED_KEEP;
    run("{'spec':{'containers':[{'name':'a','env':[{'name':'GOMEMLIMIT','value':'400MiB'},"
        "{'name':'GOMEMLIMIT','value':'bad'}],'resources':{'limits':{'memory':'1Gi'}}}]}}");
    ASSERT_WARNING("container a: GOMEMLIMIT=\"bad\" kept, Go aborts on it");
}

static void test_env_not_a_list(void **state)
{
    (void)state;
    run("{'spec':{'containers':[{'name':'a','env':{'GOGC':'1'},"
        "'resources':{'limits':{'memory':'1Gi'}}}]}}");
    assert_no_patch();
    ASSERT_WARNING("container a: skipped, env is not a list");
    assert_outcome(0, "a", "skipped", "invalid-spec");
}

/* ---- idempotency ----------------------------------------------------------------------- */

#define MUTATED_POD                                                                                \
    "{'metadata':{'annotations':{'gomemlimit.io/status':"                                          \
    "'{\\'app\\':{\\'GOMEMLIMIT\\':\\'460MiB\\',\\'GOGC\\':\\'100\\'},"                            \
    "\\'x\\':{\\'reason\\':\\'no-memory-limit\\'}}'}},"                                            \
    "'spec':{'containers':[{'name':'app','env':[{'name':'GOMEMLIMIT','value':'460MiB'},"           \
    "{'name':'GOGC','value':'100'}],"                                                              \
    "'resources':{'limits':{'memory':'%s'},'requests':{'memory':'460Mi'}}},"                       \
    "{'name':'x','resources':{}}]}}"

static void test_idempotent(void **state)
{
    (void)state;
    char pod[1024];
    snprintf(pod, sizeof pod, MUTATED_POD, "512Mi");
    run(pod);
    assert_no_patch();
    assert_outcome(0, "app", "unchanged", "already-mutated");
    assert_string_equal(audit("injected"), "app=460MiB");
    assert_false(warning_with("user", (const char *)NULL)); /* its own values are not the user's */
    assert_false(warning_with("container app", (const char *)NULL));
}

static void test_own_value_updated(void **state)
{
    (void)state;
    char pod[1024];
    /* another webhook raised the limit between the rounds: the webhook's own value follows */
    snprintf(pod, sizeof pod, MUTATED_POD, "1Gi");
    run(pod);
    assert_patch("[{'op':'replace','path':'/spec/containers/0/env/0/value','value':'921MiB'},"
                 "{'op':'replace','path':'/spec/containers/0/resources/requests/memory',"
                 "'value':'921Mi'},"
                 "{'op':'add','path':'/metadata/annotations/gomemlimit.io~1status','value':"
                 "'{\\'app\\':{\\'GOMEMLIMIT\\':\\'921MiB\\',\\'GOGC\\':\\'100\\'},"
                 "\\'x\\':{\\'reason\\':\\'no-memory-limit\\'}}'}]");
    assert_outcome(0, "app", "injected", "ok");
}

static void test_foreign_value_is_users(void **state)
{
    (void)state;
    /* the same value but no status annotation: the user's */
    run("{'spec':{'containers':[{'name':'app','env':[{'name':'GOMEMLIMIT','value':'460MiB'},"
        "{'name':'GOGC','value':'100'}],'resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_no_patch();
    assert_outcome(0, "app", "unchanged", "user-value");
    /* status present but the env value differs: the user's, status corrected */
    run("{'metadata':{'annotations':{'gomemlimit.io/status':"
        "'{\\'app\\':{\\'GOMEMLIMIT\\':\\'460MiB\\',\\'GOGC\\':\\'100\\'}}'}},"
        "'spec':{'containers':[{'name':'app','env':[{'name':'GOMEMLIMIT','value':'300MiB'},"
        "{'name':'GOGC','value':'100'}],'resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_outcome(0, "app", "unchanged", "user-value");
    assert_patch("[{'op':'add','path':'/metadata/annotations/gomemlimit.io~1status','value':"
                 "'{\\'app\\':{\\'GOGC\\':\\'100\\',\\'reason\\':\\'user-value\\'}}'}]");
    /* garbage status: nothing is the webhook's own */
    run("{'metadata':{'annotations':{'gomemlimit.io/status':'garbage'}},"
        "'spec':{'containers':[{'name':'app','env':[{'name':'GOMEMLIMIT','value':'460MiB'},"
        "{'name':'GOGC','value':'100'}],'resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_outcome(0, "app", "unchanged", "user-value");
}

/* ---- invalid annotations --------------------------------------------------------------- */

static void check_denied(const char *key, const char *value)
{
    char pod[512];
    snprintf(pod, sizeof pod,
             "{'metadata':{'annotations':{'%s':'%s'}},'spec':{'containers':[{'name':'app',"
             "'resources':{'limits':{'memory':'512Mi'}}}]}}",
             key, value);
    run(pod);
    if (res.allowed)
        fail_msg("%s=%s not denied", key, value);
    assert_int_equal(res.code, 400);
    assert_no_patch();
    if (strstr(res.message, key) == NULL || strstr(res.message, value) == NULL ||
        strstr(res.message, "e.g.") == NULL)
        fail_msg("%s=%s: message %s", key, value, res.message);
    assert_true(strlen(res.message) < sizeof res.message);
    ASSERT_WARNING(key);
}

static void test_invalid_annotations_denied(void **state)
{
    (void)state;
    check_denied("gomemlimit.io/inject", "yes");
    check_denied("gomemlimit.io/inject.app", "no");
    check_denied("gomemlimit.io/shim", "enabled");
    check_denied("gomemlimit.io/ratio", "1.5");
    check_denied("gomemlimit.io/ratio", "0.00001");
    check_denied("gomemlimit.io/ratio.app", "0");
    check_denied("gomemlimit.io/gogc", "0");
    check_denied("gomemlimit.io/gogc.app", "fast");
    check_denied("gomemlimit.io/memory-limit", "lots");
    check_denied("gomemlimit.io/memory-limit.app", "1Ti");
    check_denied("gomemlimit.io/request", "max");
    check_denied("gomemlimit.io/containers", "App");
}

static void test_several_invalid_in_one_message(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio':'2','gomemlimit.io/gogc':'x',"
        "'gomemlimit.io/unknown':'1'}},"
        "'spec':{'containers':[{'name':'app','resources':{'limits':{'memory':'512Mi'}}}]}}");
    assert_false(res.allowed);
    assert_string_equal(
        res.message, "gomemlimit: gomemlimit.io/ratio=\"2\" is out of range, use e.g. \"0.9\" (a "
                     "decimal in (0, 1] with <= 4 decimals); gomemlimit.io/gogc=\"x\" is "
                     "invalid, use e.g. \"100\" (an integer 1-100000 or off)");
    assert_null(strstr(res.message, "unknown")); /* unknown keys never deny */
}

static void test_invalid_annotations_warn_mode(void **state)
{
    (void)state;
    cfg.invalid_annotations = GMW_INVALID_WARN;
    run("{'metadata':{'annotations':{'gomemlimit.io/ratio':'1.5','gomemlimit.io/gogc.app':'x'}},"
        "'spec':{'containers':[{'name':'app','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_true(res.allowed);
    assert_string_equal(audit("injected"), "app=460MiB"); /* the defaults apply */
    assert_warning_exact(
        "gomemlimit: ignored: gomemlimit.io/ratio=\"1.5\" is out of range, use e.g. "
        "\"0.9\" (a decimal in (0, 1] with <= 4 decimals)");
    assert_warning_exact("gomemlimit: ignored: gomemlimit.io/gogc.app=\"x\" is invalid, use e.g. "
                         "\"100\" (an integer 1-100000 or off)");
    ASSERT_WARNING("GOGC=100");
}

static void test_unknown_annotation_warns(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/ratoi':'0.5'}},"
        "'spec':{'containers':[{'name':'app','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_true(res.allowed);
    ASSERT_WARNING("gomemlimit: unknown annotation gomemlimit.io/ratoi ignored");
}

/* Run a pod whose annotations are `prefix`, then "<stem><i>": value for i < n, then suffix. */
static void run_many_keys(const char *prefix, int n, const char *stem, const char *value,
                          const char *suffix)
{
    static char pod[16384];
    size_t len = (size_t)snprintf(pod, sizeof pod, "{'metadata':{'annotations':{%s", prefix);
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%d", stem, i);
        len += (size_t)snprintf(pod + len, sizeof pod - len, "%s'%s':'%s'",
                                i > 0 || prefix[0] != '\0' ? "," : "", key, value);
    }
    snprintf(pod + len, sizeof pod - len,
             "%s}},'spec':{'containers':[{'name':'a','env':[],"
             "'resources':{'limits':{'memory':'1Gi'}}}]}}",
             suffix);
    assert_true(strlen(pod) < sizeof pod - 1);
    run(pod);
}

/* Review /tmp/rv/p4.json: 16 unknown keys before an invalid one must not hide it. */
static void test_invalid_after_many_unknown_denied(void **state)
{
    (void)state;
    run_many_keys("", 16, "gomemlimit.io/x", "1", ",'gomemlimit.io/ratio':'7'");
    assert_false(res.allowed);
    assert_no_patch();
    assert_string_equal(res.message,
                        "gomemlimit: gomemlimit.io/ratio=\"7\" is out of range, use e.g. "
                        "\"0.9\" (a decimal in (0, 1] with <= 4 decimals)");
    /* warn mode: the invalid one is still reported, and the overflow is counted */
    cfg.invalid_annotations = GMW_INVALID_WARN;
    run_many_keys("", 16, "gomemlimit.io/x", "1", ",'gomemlimit.io/ratio':'7'");
    assert_true(res.allowed);
    assert_warning_exact("gomemlimit: ignored: gomemlimit.io/ratio=\"7\" is out of range, use e.g. "
                         "\"0.9\" (a decimal in (0, 1] with <= 4 decimals)");
    assert_warning_exact("gomemlimit: 1 more annotation problems not listed (0 invalid, ignored)");
    assert_string_equal(audit("injected"), "a=921MiB"); /* the default ratio */
}

/* More invalid annotations than the issue table holds: denied, with the count. */
static void test_more_invalid_than_issue_table(void **state)
{
    (void)state;
    run_many_keys("", 20, "gomemlimit.io/gogc.c", "0", "");
    assert_false(res.allowed);
    assert_non_null(
        strstr(res.message, "gomemlimit.io/gogc.c0=\"0\" is out of range, use e.g. \"100\""));
    size_t len = strlen(res.message);
    const char *tail = "; and 4 more invalid gomemlimit.io/ annotations";
    assert_true(len > strlen(tail));
    assert_string_equal(res.message + len - strlen(tail), tail);
    assert_warning_exact("gomemlimit: and 4 more invalid gomemlimit.io/ annotations");
}

/* Review /tmp/rv/p5.json: a per-container opt-out after 64 other names must not be lost. */
static void test_per_container_name_overflow_denied(void **state)
{
    (void)state;
    run_many_keys("", 64, "gomemlimit.io/gogc.c", "50", ",'gomemlimit.io/inject.a':'false'");
    assert_false(res.allowed);
    assert_no_patch();
    assert_string_equal(res.message,
                        "gomemlimit: gomemlimit.io/inject.a=\"false\" is over 64 containers, use "
                        "e.g. \"gomemlimit.io/inject\" (pod-level)");
    assert_warning_exact("gomemlimit: gomemlimit.io/inject.a=\"false\" is over 64 containers, use "
                         "e.g. \"gomemlimit.io/inject\" (pod-level)");
    /* 64 names are fine */
    run_many_keys("", 63, "gomemlimit.io/gogc.c", "50", ",'gomemlimit.io/inject.a':'false'");
    assert_true(res.allowed);
    assert_outcome(0, "a", "skipped", "opt-out");
}

/* Long keys and values are shortened in warnings, never the accepted example. */
static void test_invalid_warning_keeps_example(void **state)
{
    (void)state;
    static const char name[] = "c123456789012345678901234567890123456789012345678901234567890ab";
    char pod[1024];
    snprintf(pod, sizeof pod,
             "{'metadata':{'annotations':{'gomemlimit.io/containers':'%s,"
             "x12345678901234567890123456789012345678901234567890123456789012,"
             "bad_name_but_very_long_value_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',"
             "'gomemlimit.io/memory-limit.%s':'99999999999999999999999999999999999999999999999'}},"
             "'spec':{'containers':[{'name':'a','resources':{'limits':{'memory':'1Gi'}}}]}}",
             name, name);
    run(pod);
    assert_false(res.allowed);
    assert_int_equal(json_array_size(res.warnings), 2);
    /* the message: full keys, values cut at 40 characters, the whole accepted text */
    assert_string_equal(
        res.message,
        "gomemlimit: gomemlimit.io/containers=\"c123456789012345678901234567890123456...\" is "
        "invalid, use e.g. \"app,sidecar\" (at most 64 container names); "
        "gomemlimit.io/memory-limit.c123456789012345678901234567890123456789012345678901234567890ab"
        "=\"9999999999999999999999999999999999999...\" is out of range, use e.g. \"400Mi\" (or "
        "Go's 400MiB)");
    /* the warnings: key and value shortened so that the example stays */
    assert_warning_exact(
        "gomemlimit: gomemlimit.io/containers=\"c123456789012...\" is invalid, use "
        "e.g. \"app,sidecar\" (at most 64 container names)");
    assert_warning_exact("gomemlimit: gomemlimit.io/memory-limit.c123456789012345678901...="
                         "\"9999999999999...\" is out of range, use e.g. \"400Mi\"...");
}

/* ---- odd shapes and limits ------------------------------------------------------------- */

static void test_odd_pods(void **state)
{
    (void)state;
    run("{}");
    assert_no_patch();
    run("{'spec':null}");
    assert_no_patch();
    run("{'spec':{'containers':[]}}");
    assert_no_patch();
    assert_int_equal(json_array_size(res.warnings), 0);
    run("{'spec':{'containers':{'a':1}}}");
    assert_no_patch();
    run("{'spec':{'containers':[1,'x',null]}}");
    assert_no_patch();
    run("{'metadata':{'annotations':null},'spec':{'containers':[{'resources':{'limits':{'memory':'"
        "1Gi'}},'env':[]}]}}");
    /* unnamed container: still handled, named "" */
    assert_int_equal(res.container_count, 1);
    run("[]");
    assert_no_patch();
}

static void test_hostile_names_sanitized(void **state)
{
    (void)state;
    /* names the apiserver would reject still must not break warnings */
    run("{'spec':{'containers':[{'name':'"
        "a\\nb\\u00e9\\u0001xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}]}}");
    assert_int_equal(json_array_size(res.warnings), 1); /* checked clean by run() */
    ASSERT_WARNING("container a?b??");
}

static void test_many_containers_capped(void **state)
{
    (void)state;
    char pod[16384];
    size_t n = (size_t)snprintf(pod, sizeof pod, "{'spec':{'containers':[");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(pod + n, sizeof pod - n, "%s{'name':'container-%03d'}", i ? "," : "",
                              i);
    snprintf(pod + n, sizeof pod - n, "]}}");
    run(pod);
    assert_int_equal(json_array_size(res.warnings), 25);
    assert_warning_exact("gomemlimit: ... 76 more warnings not shown (at most 24 are sent)");
    size_t total = 0, i;
    json_t *w;
    json_array_foreach(res.warnings, i, w) total += json_string_length(w);
    assert_true(total < 4096);
    assert_int_equal(res.container_count, 100);
    assert_string_equal(res.containers[GMW_MAX_CONTAINER_OUTCOMES - 1].name, "container-063");
}

/* ---- shim ------------------------------------------------------------------------------ */

static void test_shim_no_command_warns(void **state)
{
    (void)state;
    cfg.shim_enabled = true;
    run("{'spec':{'containers':[{'name':'app','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    ASSERT_WARNING("container app: no command to wrap with gomemlimit-shim", "docs/shim.md");
    assert_string_equal(audit("injected"), "app=460MiB"); /* env injection still done */
    /* disabled per container: no warning */
    run("{'metadata':{'annotations':{'gomemlimit.io/shim.app':'false'}},"
        "'spec':{'containers':[{'name':'app','env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    assert_false(warning_with("gomemlimit-shim", (const char *)NULL));
}

/* Is the op's path under prefix? */
static int op_path_starts(const json_t *op, const char *prefix)
{
    const char *p = json_string_value(json_object_get(op, "path"));
    return p != NULL && strncmp(p, prefix, strlen(prefix)) == 0;
}

static void test_shim_wraps_command_pod_ops_last(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/shim':'true'}},"
        "'spec':{'containers':[{'name':'app','command':['/app'],'args':['-v'],'env':[],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    size_t n = json_array_size(res.patch), i, last_container = 0, first_pod = n;
    json_t *op;
    int wrapped = 0;
    json_array_foreach(res.patch, i, op)
    {
        if (op_path_starts(op, "/spec/containers/0"))
            last_container = i;
        if ((op_path_starts(op, "/spec/volumes") || op_path_starts(op, "/spec/initContainers")) &&
            first_pod == n)
            first_pod = i;
        char *text = json_dumps(op, JSON_COMPACT);
        if (strstr(text, GMW_SHIM_PATH) != NULL)
            wrapped = 1;
        free(text);
    }
    assert_true(wrapped);
    assert_true(first_pod < n);
    assert_true(last_container < first_pod); /* pod-level shim ops come last */
    assert_false(warning_with("docs/shim.md", (const char *)NULL));
}

/* A container that already mounts something else at /gomemlimit is not wrapped, says so,
 * and does not pull in the pod-level volume and init container. */
static void test_shim_conflict_warns_and_adds_no_pod_ops(void **state)
{
    (void)state;
    run("{'metadata':{'annotations':{'gomemlimit.io/shim':'true'}},"
        "'spec':{'volumes':[{'name':'other','emptyDir':{}}],"
        "'containers':[{'name':'app','command':['/app'],'env':[],"
        "'volumeMounts':[{'name':'other','mountPath':'/gomemlimit'}],"
        "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'512Mi'}}}]}}");
    ASSERT_WARNING("container app: /gomemlimit is used by another volume", "not wrapped");
    size_t i;
    json_t *op;
    json_array_foreach(res.patch, i, op)
    {
        assert_false(op_path_starts(op, "/spec/volumes"));
        assert_false(op_path_starts(op, "/spec/initContainers"));
        assert_false(op_path_starts(op, "/spec/containers/0/command"));
    }
    assert_string_equal(audit("injected"), "app=460MiB"); /* env injection still done */
}

/* In warn mode an ignored invalid annotation is reported first, even when the pod's
 * containers produce more warnings than the list can hold. */
static void test_warn_mode_issue_survives_warning_cap(void **state)
{
    (void)state;
    cfg.invalid_annotations = GMW_INVALID_WARN;
    char pod[8192];
    size_t n = (size_t)snprintf(pod, sizeof pod,
                                "{'metadata':{'annotations':{'gomemlimit.io/ratio':'7'}},"
                                "'spec':{'containers':[");
    for (int i = 0; i < 40; i++) /* 40 containers without a memory limit: 40 warnings */
        n += (size_t)snprintf(pod + n, sizeof pod - n, "%s{'name':'c%02d'}", i ? "," : "", i);
    snprintf(pod + n, sizeof pod - n, "]}}");
    run(pod);
    assert_true(res.allowed);
    assert_true(warning_with("gomemlimit.io/ratio", "7", (const char *)NULL));
    const char *first = json_string_value(json_array_get(res.warnings, 0));
    assert_non_null(strstr(first, "gomemlimit.io/ratio"));
    const char *last =
        json_string_value(json_array_get(res.warnings, json_array_size(res.warnings) - 1));
    assert_non_null(strstr(last, "more warnings not shown"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_basic_injection),
        T(test_env_exists_appends),
        T(test_no_metadata),
        T(test_limit_forms),
        T(test_ratio_annotations),
        T(test_config_ratio_and_gogc),
        T(test_gogc_annotation),
        T(test_memory_limit_annotation),
        T(test_memory_limit_above_limit_denied),
        T(test_memory_limit_above_limit_warn_mode),
        T(test_issue9_messages),
        T(test_below_one_mib),
        T(test_no_memory_limit),
        T(test_below_min_limit),
        T(test_invalid_limit),
        T(test_namespace_excluded),
        T(test_opt_out_pod),
        T(test_opt_out_container_and_opt_in_override),
        T(test_sidecars_and_init_containers),
        T(test_containers_annotation),
        T(test_annotation_for_missing_container),
        T(test_request_match),
        T(test_request_limit),
        T(test_request_keep),
        T(test_pod_level_resources),
        T(test_request_invalid),
        T(test_user_gomemlimit_kept),
        T(test_user_gomemlimit_malformed_keep),
        T(test_user_gomemlimit_malformed_repair_quantity),
        T(test_user_gomemlimit_malformed_repair_other),
        T(test_user_gomemlimit_malformed_deny),
        T(test_exclude_images),
        T(test_user_gomemlimit_above_limit),
        T(test_user_value_from),
        T(test_memory_limit_annotation_user_value_kept),
        T(test_empty_env_values_filled),
        T(test_user_gogc),
        T(test_env_from_warning),
        T(test_duplicate_env_last_wins),
        T(test_env_not_a_list),
        T(test_idempotent),
        T(test_own_value_updated),
        T(test_foreign_value_is_users),
        T(test_invalid_annotations_denied),
        T(test_several_invalid_in_one_message),
        T(test_invalid_annotations_warn_mode),
        T(test_unknown_annotation_warns),
        T(test_invalid_after_many_unknown_denied),
        T(test_more_invalid_than_issue_table),
        T(test_per_container_name_overflow_denied),
        T(test_invalid_warning_keeps_example),
        T(test_odd_pods),
        T(test_hostile_names_sanitized),
        T(test_many_containers_capped),
        T(test_shim_no_command_warns),
        T(test_shim_wraps_command_pod_ops_last),
        T(test_shim_conflict_warns_and_adds_no_pod_ops),
        T(test_warn_mode_issue_survives_warning_cap),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
